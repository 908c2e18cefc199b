// Turns the rows of `npm run bench` (scripts/bench.sh) into docs/bench.md: the summary (medians over the runs, the
// ratio), the engine's critical path against its makespan, the numbers the explanation quotes (computed here,
// never typed in), and a per-run table. With --readme it prints only the summary table, for README.md.
//
//   node report.js RESULTS_DIR [--readme] > docs/bench.md
//
// RESULTS_DIR holds run-N.tsv (rows: section, phase, wall_s, keystone, neutron, octavia, new_tokens, server_s,
// cli_calls, client_cpu_s, ssh_logins, nova, glance, placement), window-N.tsv (the guide's whole-run counts: section,
// "window", keystone, neutron, octavia, new_tokens, server_s, ssh, nova, glance, placement, cli_calls), steps-N.json (stack-engine.ts: the engine's steps of
// `up` and `destroy` and the resources' dependencies), restarts-N.tsv (section, node, Octavia restarts during the
// section), notes.txt (findings, one a line) and meta.json (see bench.sh).
import * as fs from "fs";
import * as path from "path";

interface Row {
    section: string;
    phase: string;
    wall: number;
    keystone: number;
    neutron: number;
    octavia: number;
    tokens: number;
    server: number;
    cli: number;
    cpu: number;
    ssh: number;
    nova: number;
    glance: number;
    placement: number;
}

interface Meta {
    date: string;
    command: string;
    runs: number;
    nproc: string;
    memory: string;
    cpu: string;
    kernel: string;
    os: string;
    loadBefore: string;
    loadAfter: string;
    openstackClient: string;
    pulumi: string;
    openstackPlugin: string;
    commandPlugin: string;
    openssh: string;
    node: string;
    pollInterval: string;
    totalSeconds: string;
}

interface Step {
    urn: string;
    type: string;
    op: string;
    start: number;
    end?: number;
    engineStart: number;
    engineEnd?: number;
    failed?: boolean;
}

interface StateResource {
    urn: string;
    type: string;
    parent?: string;
    provider?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
}

interface Steps {
    resources: StateResource[];
    up: Step[];
    destroy: Step[];
    counts: Record<string, number>;
}

const dir = process.argv[2];
const readmeOnly = process.argv.includes("--readme");
if (!dir) {
    process.stderr.write("usage: node report.js RESULTS_DIR [--readme]\n");
    process.exit(2);
}

const meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8")) as Meta;
const numbered = (re: RegExp) =>
    fs
        .readdirSync(dir)
        .filter((f) => re.test(f))
        .sort((a, b) => Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0]));
const runFiles = numbered(/^run-\d+\.tsv$/);
const runNumber = (f: string) => Number(f.match(/\d+/)?.[0]);

function parseRows(file: string): Row[] {
    return fs
        .readFileSync(path.join(dir, file), "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => {
            const [section, phase, ...n] = l.split("\t");
            const [wall, keystone, neutron, octavia, tokens, server, cli, cpu, ssh, nova, glance, placement] = n.map(Number);
            return { section, phase, wall, keystone, neutron, octavia, tokens, server, cli, cpu, ssh: ssh || 0, nova: nova || 0, glance: glance || 0, placement: placement || 0 };
        });
}

const runs = runFiles.map(parseRows);
if (runs.length === 0) throw new Error(`no run-N.tsv in ${dir}`);
const runIds = runFiles.map(runNumber);
const editor = fs.existsSync(path.join(dir, "editor.txt")) ? fs.readFileSync(path.join(dir, "editor.txt"), "utf8").trim() : "";
const notes = fs.existsSync(path.join(dir, "notes.txt"))
    ? [...new Set(fs.readFileSync(path.join(dir, "notes.txt"), "utf8").split("\n").filter((l) => l.trim()))]
    : [];

const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const num = (x: number, digits = 2): string => (Number.isInteger(x) ? String(x) : x.toFixed(digits).replace(/\.?0+$/, ""));
const secs = (x: number): string => x.toFixed(1);
const range = (xs: number[], f: (x: number) => string = secs): string => (xs.length > 1 ? ` (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : "");

type Metric = Exclude<keyof Row, "section" | "phase">;
const requests = (r: Row): number => r.keystone + r.neutron + r.octavia + r.nova + r.glance + r.placement;

// --- the guide's phases, by what they are -------------------------------------------------------------------
type Kind = "config-cloud" | "config-nodes" | "demo" | "undo-demo" | "undo-nodes" | "undo-config";
function kindOf(r: { section: string; phase: string }): Kind | undefined {
    if (r.section !== "guide") return undefined;
    const p = r.phase;
    if (p.startsWith("undo: demo")) return "undo-demo";
    if (p.startsWith("undo: nodes")) return "undo-nodes";
    if (p.startsWith("undo: configuration")) return "undo-config";
    if (p.startsWith("nodes:")) return "config-nodes";
    if (/^(security groups|management networks|health-manager ports|bind them)/.test(p)) return "config-cloud";
    if (p.startsWith("demo:")) return "demo";
    return undefined;
}

function sum(rows: Row[], section: string, phase: string): Row {
    const init: Row = { section, phase, wall: 0, keystone: 0, neutron: 0, octavia: 0, tokens: 0, server: 0, cli: 0, cpu: 0, ssh: 0, nova: 0, glance: 0, placement: 0 };
    return rows.reduce(
        (a, r) => ({
            ...a,
            wall: a.wall + r.wall,
            keystone: a.keystone + r.keystone,
            neutron: a.neutron + r.neutron,
            octavia: a.octavia + r.octavia,
            tokens: a.tokens + r.tokens,
            server: a.server + r.server,
            cli: a.cli + r.cli,
            cpu: a.cpu + r.cpu,
            ssh: a.ssh + r.ssh,
            nova: a.nova + r.nova,
            glance: a.glance + r.glance,
            placement: a.placement + r.placement,
        }),
        init,
    );
}

const T = {
    cloud: "= configuration, cloud side (the 4 CLI phases)",
    nodes: "= configuration, nodes (the 4 SSH phases)",
    config: "= the guide's configuration (cloud + nodes)",
    demo: "= How to play (the demo phases: networks, backends, the load-balancer chain)",
    procedure: "= the whole procedure (configuration + How to play): the ratio's numerator, against `pulumi up`",
    undoDemo: "= undo of How to play (load-balancer chain, backends, networks)",
    undoConfig: "= undo of the configuration (nodes + cloud side)",
    undoAll: "= the whole undo: against `pulumi destroy`",
};

// The guide's sums: which kinds of phases each one adds up.
const DERIVED: Record<string, Kind[]> = {
    [T.cloud]: ["config-cloud"],
    [T.nodes]: ["config-nodes"],
    [T.config]: ["config-cloud", "config-nodes"],
    [T.demo]: ["demo"],
    [T.procedure]: ["config-cloud", "config-nodes", "demo"],
    [T.undoDemo]: ["undo-demo"],
    [T.undoConfig]: ["undo-nodes", "undo-config"],
    [T.undoAll]: ["undo-demo", "undo-nodes", "undo-config"],
};

// Derived rows, per run: the sums the summary compares, appended after the guide's own phases.
const withTotals = runs.map((rows) => {
    const guide = rows.filter((r) => r.section === "guide");
    const derived = Object.entries(DERIVED).map(([name, kinds]) => sum(guide.filter((r) => kinds.includes(kindOf(r) as Kind)), "guide", name));
    const out: Row[] = [];
    let placed = false;
    for (const r of rows) {
        if (!placed && r.section !== "guide" && guide.length) {
            out.push(...derived);
            placed = true;
        }
        out.push(r);
    }
    if (!placed && guide.length) out.push(...derived);
    return out;
});

// Phases in the order of the first run; a phase missing from a run (a failed run) is left out of its median.
const keys: { section: string; phase: string }[] = [];
for (const rows of withTotals) for (const r of rows) if (!keys.some((k) => k.section === r.section && k.phase === r.phase)) keys.push(r);
const valuesOf = (section: string, phase: string): Row[] => withTotals.flatMap((rows) => rows.filter((r) => r.section === section && r.phase === phase));
const metricOf = (r: Row, metric: Metric | "requests") => (metric === "requests" ? requests(r) : r[metric]);
const find = (section: string, prefix: string): { section: string; phase: string } => {
    const k = keys.find((x) => x.section === section && x.phase.startsWith(prefix));
    if (!k) throw new Error(`no ${section} phase "${prefix}…" in the results`);
    return k;
};
const all = (section: string, prefix: string, metric: Metric | "requests"): number[] => {
    const k = find(section, prefix);
    return valuesOf(k.section, k.phase).map((r) => metricOf(r, metric));
};
/**
 * A phase's figure over the runs. Times (wall, server, CPU) are medians. Counts (requests, tokens, SSH logins, CLI
 * calls) are a phase's own, the same in every run, but another client's requests falling into a phase add to them
 * (the cloud is shared): so a count is the fewest of any run, and a sum's count the sum of its phases' counts.
 */
const COUNTS: ReadonlyArray<Metric | "requests"> = ["requests", "keystone", "neutron", "octavia", "nova", "glance", "placement", "tokens", "ssh", "cli"];
function stat(section: string, phase: string, metric: Metric | "requests"): number {
    if (!COUNTS.includes(metric)) return median(valuesOf(section, phase).map((r) => metricOf(r, metric)));
    const kinds = section === "guide" ? DERIVED[phase] : undefined;
    if (kinds) {
        return keys.filter((k) => kinds.includes(kindOf(k) as Kind)).reduce((a, k) => a + stat(k.section, k.phase, metric), 0);
    }
    return Math.min(...valuesOf(section, phase).map((r) => metricOf(r, metric)));
}
const m = (section: string, prefix: string, metric: Metric | "requests"): number => {
    const k = find(section, prefix);
    return stat(k.section, k.phase, metric);
};
const G = (prefix: string, metric: Metric | "requests") => m("guide", prefix, metric);
const E = (prefix: string, metric: Metric | "requests") => m("engine", prefix, metric);
const B = (prefix: string, metric: Metric | "requests") => m("baseline", prefix, metric);
const perRun = (section: string, prefix: string, metric: Metric | "requests"): Array<number | undefined> => {
    const k = find(section, prefix);
    return withTotals.map((rows) => {
        const r = rows.find((x) => x.section === k.section && x.phase === k.phase);
        return r ? metricOf(r, metric) : undefined;
    });
};

// --- the ratios, per run --------------------------------------------------------------------------------------
function ratios(numerator: string, denominatorSection: string, denominator: string): number[] {
    const a = perRun("guide", numerator, "wall");
    const b = perRun(denominatorSection, denominator, "wall");
    return a.flatMap((x, i) => {
        const y = b[i];
        return x !== undefined && y !== undefined && y > 0 ? [x / y] : [];
    });
}
const upRatio = ratios(T.procedure, "engine", "pulumi up, cold");
const destroyRatio = ratios(T.undoAll, "engine", "pulumi destroy");
const times = (x: number) => `${x.toFixed(1)}×`;

// --- the engine's critical path ---------------------------------------------------------------------------------
interface PathStep {
    urn: string;
    type: string;
    start: number;
    end: number;
    weight: number;
}
interface CriticalPath {
    /** Sum of the step durations along the longest dependency chain (s). */
    length: number;
    /** From the first step's start to the last step's end of that chain (s). */
    span: number;
    /** From the first step's start (the stack's own registration) to the last step's end (s). */
    makespan: number;
    steps: PathStep[];
    stepCount: number;
    /** The whole chain's step durations by kind (s). */
    byKind: Record<string, number>;
    /** Sum of all step durations (s): the work, were it done one step after the other. */
    work: number;
    /** Largest difference between a step's engine timestamp and this process's receipt of it (s). */
    clockSkew: number;
    /** The first step's start (s from the operation's start). */
    firstStart: number;
}

const isProvider = (type: string) => type.startsWith("pulumi:providers:");
const shortName = (urn: string) => urn.split("::").pop() ?? urn;
const shortType = (type: string) => type.replace(/^pulumi:providers:/, "provider:");
function kindOfType(type: string): string {
    if (isProvider(type)) return "provider start-up";
    if (type.startsWith("command:")) return "SSH commands on the nodes";
    if (type.startsWith("pulumi-nodejs:dynamic/")) return "host binding (dynamic provider)";
    if (type.startsWith("openstack:loadbalancer/")) return "the load-balancer chain (Octavia, bridged provider)";
    if (type.startsWith("openstack:compute/")) return "the backends (Nova, bridged provider)";
    if (type.startsWith("openstack:")) return "other OpenStack resources (bridged provider)";
    return "other";
}

/**
 * Longest chain of steps, by summed step durations, in the dependency graph the state records: a resource waits for
 * its `dependencies`, its `propertyDependencies`, its `parent` (a child is registered once its parent is) and its
 * provider. Components (no provider of their own, the stack included) are bookkeeping, not work: they weigh 0 but
 * pass their own dependencies on (a ControllerNode's `dependsOn` reaches its commands through `parent`). For a
 * destroy the edges are reversed: a resource is deleted once everything that depends on it is gone.
 */
function criticalPath(s: Steps, which: "up" | "destroy"): CriticalPath | undefined {
    const steps = s[which].filter((x) => x.end !== undefined && !x.failed);
    if (steps.length === 0) return undefined;
    const byUrn = new Map(steps.map((x) => [x.urn, x]));
    const resources = new Map(s.resources.map((r) => [r.urn, r]));
    const isWork = (urn: string) => {
        const r = resources.get(urn);
        const type = r?.type ?? byUrn.get(urn)?.type ?? "";
        return isProvider(type) || Boolean(r?.provider);
    };
    const deps = new Map<string, Set<string>>();
    for (const urn of byUrn.keys()) deps.set(urn, new Set());
    for (const r of s.resources) {
        const on = new Set<string>([...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()]);
        if (r.parent) on.add(r.parent);
        if (r.provider) on.add(r.provider.slice(0, r.provider.lastIndexOf("::")));
        for (const d of on) {
            if (d === r.urn || !byUrn.has(d) || !byUrn.has(r.urn)) continue;
            // up: r waits for d; destroy: d waits for r.
            if (which === "up") deps.get(r.urn)!.add(d);
            else deps.get(d)!.add(r.urn);
        }
    }
    const weight = (urn: string) => {
        const x = byUrn.get(urn)!;
        return isWork(urn) ? (x.end! - x.start) / 1000 : 0;
    };
    const best = new Map<string, { length: number; prev?: string }>();
    const visiting = new Set<string>();
    const longest = (urn: string): number => {
        const known = best.get(urn);
        if (known) return known.length;
        if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        visiting.add(urn);
        let top = 0;
        let prev: string | undefined;
        for (const d of deps.get(urn) ?? []) {
            const l = longest(d);
            if (l > top || prev === undefined) {
                top = l;
                prev = d;
            }
        }
        visiting.delete(urn);
        const length = top + weight(urn);
        best.set(urn, { length, prev });
        return length;
    };
    let last = "";
    for (const urn of byUrn.keys()) if (!last || longest(urn) > longest(last)) last = urn;
    const chain: string[] = [];
    for (let u: string | undefined = last; u !== undefined; u = best.get(u)?.prev) chain.unshift(u);
    const pathSteps = chain
        .filter(isWork)
        .map((u) => {
            const x = byUrn.get(u)!;
            return { urn: u, type: x.type, start: x.start / 1000, end: x.end! / 1000, weight: weight(u) };
        });
    const work = steps.filter((x) => isWork(x.urn));
    const first = Math.min(...steps.map((x) => x.start)) / 1000;
    const byKind: Record<string, number> = {};
    for (const p of pathSteps) byKind[kindOfType(p.type)] = (byKind[kindOfType(p.type)] ?? 0) + p.weight;
    const t0Engine = Math.min(...steps.map((x) => x.engineStart));
    const skew = Math.max(
        ...steps.map((x) => Math.abs(x.engineStart - t0Engine - (x.start / 1000 - first))),
        ...steps.map((x) => (x.engineEnd === undefined ? 0 : Math.abs(x.engineEnd - t0Engine - (x.end! / 1000 - first)))),
    );
    return {
        length: best.get(last)!.length,
        span: pathSteps.length ? pathSteps[pathSteps.length - 1].end - pathSteps[0].start : 0,
        makespan: Math.max(...work.map((x) => x.end!)) / 1000 - first,
        steps: pathSteps,
        stepCount: work.length,
        byKind,
        work: work.reduce((a, x) => a + (x.end! - x.start) / 1000, 0),
        clockSkew: skew,
        firstStart: first,
    };
}

const stepFiles = new Map(numbered(/^steps-\d+\.json$/).map((f) => [runNumber(f), JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Steps]));
const paths = runIds.map((id) => {
    const s = stepFiles.get(id);
    return s ? { id, up: criticalPath(s, "up"), destroy: criticalPath(s, "destroy"), counts: s.counts } : { id, up: undefined, destroy: undefined, counts: {} };
});
const upPaths = paths.flatMap((p) => (p.up ? [p.up] : []));
const downPaths = paths.flatMap((p) => (p.destroy ? [p.destroy] : []));
const medOf = (xs: CriticalPath[], f: (c: CriticalPath) => number) => median(xs.map(f));
// The run whose cold up is the median one: its chain is the one shown step by step.
const medianRunIndex = (() => {
    const walls = perRun("engine", "pulumi up, cold", "wall");
    const known = walls.map((w, i) => ({ w, i })).filter((x) => x.w !== undefined && paths[x.i].up) as { w: number; i: number }[];
    if (!known.length) return -1;
    const sorted = [...known].sort((a, b) => a.w - b.w);
    return sorted[Math.floor((sorted.length - 1) / 2)].i;
})();

// What the cold up creates, by kind (from the state of the median run, else the first).
function census(st: Steps | undefined): { total: number; components: number; work: number; text: string } {
    if (!st) return { total: 0, components: 0, work: 0, text: "" };
    const kinds = new Map<string, number>();
    let components = 0;
    let work = 0;
    for (const r of st.resources) {
        if (!r.provider && !isProvider(r.type)) {
            components++;
            continue;
        }
        work++;
        const label = isProvider(r.type) ? `${r.type.slice("pulumi:providers:".length)} provider` : r.type.split(":").pop()!;
        kinds.set(label, (kinds.get(label) ?? 0) + 1);
    }
    const text = [...kinds].map(([k, n]) => `${k} ×${n}`).join(", ");
    return { total: st.resources.length, components, work, text };
}

// --- restarts ---------------------------------------------------------------------------------------------------
const restarts: Record<string, number[]> = {};
for (const f of numbered(/^restarts-\d+\.tsv$/)) {
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n").filter(Boolean)) {
        const [section, , n] = line.split("\t");
        (restarts[section] ??= []).push(Number(n));
    }
}
const restartText = (section: string) => (restarts[section]?.length ? [...new Set(restarts[section])].join("/") : "?");

// --- the output ------------------------------------------------------------------------------------------------
const many = runs.length > 1;
const lines: string[] = [];
const p = (s = "") => lines.push(s);
const wallCell = (xs: number[]) => `${secs(median(xs))}${range(xs)}`;

function summaryTable(): void {
    const cell = (section: string, prefix: string, metric: Metric | "requests") => num(m(section, prefix, metric));
    const row = (label: string, section: string, prefix: string) =>
        p(`| ${label} | ${wallCell(all(section, prefix, "wall"))} | ${cell(section, prefix, "requests")} | ${cell(section, prefix, "ssh")} | ${cell(section, prefix, "cli")} |`);
    p("| what | wall s | API requests | SSH logins | `openstack` CLI calls |");
    p("|---|---:|---:|---:|---:|");
    row("guide: configuration, cloud side (security groups, management networks, health-manager ports, bindings)", "guide", T.cloud);
    row("guide: configuration, nodes (o-hm0, iptables, octavia.conf, restart)", "guide", T.nodes);
    row("guide: How to play (net1, net2, 4 backends booted, lb1, listener, pool, 4 members, monitor, each waited for)", "guide", T.demo);
    row("**guide: the whole procedure**", "guide", T.procedure);
    row(`**engine: \`pulumi up\`, cold** (the same topology, ${num(paths[0]?.counts.upCreates ?? 0)} resources)`, "engine", "pulumi up, cold");
    p(`| **ratio whole procedure ÷ \`pulumi up\`** | **${times(median(upRatio))}**${range(upRatio, times)} | | | |`);
    row("guide: its undo of everything (load-balancer chain, backends, networks, nodes, configuration)", "guide", T.undoAll);
    row("engine: `pulumi destroy`", "engine", "pulumi destroy");
    p(`| **ratio whole undo ÷ \`pulumi destroy\`** | **${times(median(destroyRatio))}**${range(destroyRatio, times)} | | | |`);
    row("engine: `pulumi preview`, cold (everything to create)", "engine", "pulumi preview (cold");
    row("engine: `pulumi up`, no change", "engine", "pulumi up, no change");
    row("engine: `pulumi preview`, no change", "engine", "pulumi preview, no change");
    row("engine: `pulumi preview --refresh`, no change (every resource read; the nodes' drift checks over SSH)", "engine", "pulumi preview --refresh, no change");
    if (upPaths.length) {
        p(
            `| engine: cold \`up\`'s critical path / makespan / wall | ${secs(medOf(upPaths, (c) => c.length))} / ${secs(medOf(upPaths, (c) => c.makespan))} / ${secs(E("pulumi up, cold", "wall"))} | | | |`,
        );
    }
    if (downPaths.length) {
        p(
            `| engine: \`destroy\`'s critical path / makespan / wall | ${secs(medOf(downPaths, (c) => c.length))} / ${secs(medOf(downPaths, (c) => c.makespan))} / ${secs(E("pulumi destroy", "wall"))} | | | |`,
        );
    }
}

if (readmeOnly) {
    p(
        `\`${meta.command}\` on the local cloud and the benchmark's own two controller nodes, ${meta.date} (full tables, the critical path and the method in \`docs/bench.md\`; ` +
            `${many ? `medians of ${runs.length} runs (counts: the fewest of any run)` : "one run"}; ${meta.nproc} shared cores, load average ${meta.loadBefore.split(" ")[0]} at the start):`,
    );
    p();
    summaryTable();
    p();
    p(
        "Both sides build the same topology on the same cloud (with compute: Nova's fake driver, Octavia booting each amphora as a fake server) and nodes: the guide's whole procedure " +
            "(the configuration's cloud side with the `openstack` CLI, then on each controller o-hm0, the firewall rule, octavia.conf and the restart, one `ssh node sudo …` per command; " +
            "then \"How to play\" in its third scenario: net1 and net2, `nova boot` of backend1 and backend2 in RegionOne on net1, backend3 in RegionTwo on net1, backend4 in RegionTwo on net2, " +
            "lb1 in RegionOne, its listener, pool, the four members with their real addresses and a health monitor, waiting for ACTIVE after each change) against `pulumi up` of the whole `index.ts` " +
            "with the same `demo` (both regions, one controller per region) through the real engine and the project's plugins; the undo of all of it against `pulumi destroy`. " +
            `The guide's time is mostly client start-up and waiting: ${num(G(T.procedure, "cli"))} CLI calls, each starting a Python process and authenticating anew, and one load-balancer change at a time; ` +
            "the engine authenticates once per provider and runs independent resources in parallel" +
            (upPaths.length ? `: along its critical path the steps take ${secs(medOf(upPaths, (c) => c.length))} s of its ${secs(medOf(upPaths, (c) => c.makespan))} s makespan.` : ".") +
            " After the guide's undo and after `pulumi destroy` the benchmark checks that both nodes are back to their state before (no o-hm0, no o-hm0 rule, octavia.conf byte for byte) " +
            "and that nothing of the run is left on the cloud, and fails if not.",
    );
    // README.md's prose is wrapped at 80 columns; tables stay one row a line.
    const wrap = (line: string): string[] => {
        if (line.startsWith("|") || line.length <= 80) return [line];
        const out: string[] = [];
        let cur = "";
        for (const word of line.split(" ")) {
            if (cur && cur.length + 1 + word.length > 80) {
                out.push(cur);
                cur = word;
            } else cur = cur ? `${cur} ${word}` : word;
        }
        if (cur) out.push(cur);
        return out;
    };
    process.stdout.write(lines.flatMap(wrap).join("\n") + "\n");
    process.exit(0);
}

p("# Benchmark: the guide's procedure and the stack through the real engine, on the local cloud");
p();
p("<!-- Written by scripts/bench.sh (`npm run bench`); edits are overwritten by the next run. -->");
p();
p(`Produced by \`${meta.command}\` on ${meta.date}: ${meta.runs} run${many ? "s" : ""} one after the other, ${meta.totalSeconds} s in all.`);
p();
p(`Machine: ${meta.nproc} CPUs (${meta.cpu}), ${meta.memory} memory, ${meta.os}, kernel ${meta.kernel}; load average ${meta.loadBefore} before, ${meta.loadAfter} after (the machine is shared: other work ran meanwhile).`);
p(
    `Software: python-openstackclient ${meta.openstackClient}; pulumi ${meta.pulumi} (built from Go modules, docs/toolchain.md), driven in-process through the Automation API (scripts/lib/engine.ts) by Node.js ${meta.node}; ` +
        `plugins \`openstack\` ${meta.openstackPlugin} (the project's bridged build, plugins/openstack) and \`command\` ${meta.commandPlugin}; OpenSSH ${meta.openssh}. ` +
        "The local cloud of docs/local-cloud.md with its compute part (`start.sh --with-compute`: Keystone, Neutron, Glance, Placement, Nova with the fake virt driver on two compute hosts, Octavia with real VIP ports and each amphora a fake Nova server in project `service`, only the amphora agent noop; everything on 127.0.0.1); the benchmark's own two controller nodes (`LOCAL_NODES_SET=bench` of lab/nodes.sh: network namespaces at 169.254.79.x with sshd, Open vSwitch, iptables, /etc/octavia/octavia.conf, no systemd).",
);
p();
p("## Summary");
p();
p(
    many
        ? `Times: the median over the ${runs.length} runs, with the range (min–max) of the runs; the ratio is taken per run, then its median. Counts (requests, SSH logins, CLI calls): the fewest of any run, since another client's requests on the shared cloud can only add to a phase's own count (see "How it is measured").`
        : "One run: rerun with `npm run bench -- --runs 3` for medians.",
);
p();
summaryTable();
p();
p(
    "The same topology on both sides: the guide's configuration (security groups with the guide's 10 rules, open to `0.0.0.0/0` and `::/0`; two management networks 192.168.10.0/24 and 192.168.20.0/24; " +
        "one health-manager port per region bound to its controller; on each controller o-hm0, the UDP 5555 rule, the octavia.conf keys and a restart) and its \"How to play\" in the topology of its third scenario " +
        "(net1 10.0.10.0/24 and net2 10.0.20.0/24; backend1 and backend2 in RegionOne on net1, backend3 in RegionTwo on net1, backend4 in RegionTwo on net2, booted from `cirros` with `m1.tiny`; " +
        "lb1 in RegionOne with its VIP on net1's subnet, an HTTP listener on port 80, a ROUND_ROBIN pool, the four members on port 80 with each backend's own subnet and address, an HTTP health monitor), " +
        "against the whole `index.ts` program with the `demo` of Pulumi.local.yaml, which is that scenario (the management plane of both regions, one controller per region on the same two bench nodes, and the demo). " +
        "The ratios are the whole procedure against `pulumi up` and the whole undo against `pulumi destroy`. " +
        "The earlier configuration-only ratio (the guide's configuration against `up` of the stack without its demo) is no longer measured: the stack's side now always carries the demo, and its `up` cannot be split by wall time " +
        "(its configuration and demo resources run side by side); the guide's configuration rows are still shown.",
);
p();

p("## Results");
p();
p(
    "\"API requests\" = Keystone + Neutron + Octavia + Nova + Glance + Placement requests logged by the services during the phase (Nova's and Placement's include those the Nova services and Octavia's worker make for the servers the phase boots or deletes); \"new tokens\" are Keystone's `POST /v3/auth/tokens` among them; " +
        "\"server s\" = the time the services logged for those requests, summed (requests served in parallel add up); \"SSH logins\" = logins the bench nodes' sshd accepted; \"client CPU s\" = CPU used by the client processes (see \"How it is measured\").",
);
p();
p("| phase | wall s | API requests | Keystone (new tokens) | Neutron | Octavia | Nova | Glance | Placement | server s | SSH logins | `openstack` CLI calls | client CPU s |");
p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
const SECTIONS: Record<string, string> = {
    guide: "The guide's whole procedure: the `openstack` CLI and `ssh node sudo …` (`scripts/bench/guide-procedure.sh`)",
    engine: "The stack: the whole `index.ts` with the demo through the real engine, Automation API (`scripts/bench/stack-engine.ts`)",
    baseline: "What one `openstack` CLI call costs (`scripts/bench/cli-baseline.sh`, mean of 3 calls each)",
};
let section = "";
for (const k of keys) {
    if (k.section !== section) {
        section = k.section;
        p(`| **${SECTIONS[section] ?? section}** | | | | | | | | | | | | |`);
    }
    const rows = valuesOf(k.section, k.phase);
    const v = (metric: Metric | "requests") => num(stat(k.section, k.phase, metric));
    const bold = k.phase.startsWith("=") || k.phase.startsWith("pulumi ");
    const name = bold ? `**${k.phase}**` : k.phase;
    p(`| ${name} | ${wallCell(rows.map((r) => r.wall))} | ${v("requests")} | ${v("keystone")} (${v("tokens")}) | ${v("neutron")} | ${v("octavia")} | ${v("nova")} | ${v("glance")} | ${v("placement")} | ${v("server")} | ${v("ssh")} | ${v("cli")} | ${v("cpu")} |`);
}
p();

if (upPaths.length) {
    const med = paths[medianRunIndex];
    const cp = med.up!;
    p("## The engine's critical path");
    p();
    const c = census(stepFiles.get(med.id));
    p(
        `The cold \`up\` creates ${num(med.counts.upCreates ?? 0)} resources (the engine's count). Its state holds ${c.total}: ${c.components} components (bookkeeping, the stack itself included) and ${c.work} with work of their own, ` +
            `by type: ${c.text} (the \`command\` and \`pulumi-nodejs\` providers are the engine's default ones, not in its count). ` +
            "Each step's start and end come from the engine's events, the dependencies from the state after `up` (see \"How it is measured\").",
    );
    p();
    p("| | critical path s | its span s | makespan s | wall s | all steps' durations, summed s |");
    p("| --- | ---: | ---: | ---: | ---: | ---: |");
    const upWall = perRun("engine", "pulumi up, cold", "wall");
    const downWall = perRun("engine", "pulumi destroy", "wall");
    const line = (label: string, xs: CriticalPath[], walls: Array<number | undefined>) => {
        const w = walls.filter((x): x is number => x !== undefined);
        p(
            `| ${label} | ${wallCell(xs.map((c) => c.length))} | ${wallCell(xs.map((c) => c.span))} | ${wallCell(xs.map((c) => c.makespan))} | ${wallCell(w)} | ${wallCell(xs.map((c) => c.work))} |`,
        );
    };
    line("`pulumi up`, cold", upPaths, upWall);
    if (downPaths.length) line("`pulumi destroy`", downPaths, downWall);
    p();
    const share = (medOf(upPaths, (c) => c.length) / medOf(upPaths, (c) => c.makespan)) * 100;
    const leadIn = medOf(upPaths, (c) => (c.steps.length ? c.steps[0].start - c.firstStart : 0));
    p(
        `- **Critical path vs makespan.** Along the longest chain the steps themselves take ${secs(medOf(upPaths, (c) => c.length))} s; the makespan (first step's start to last step's end) is ${secs(medOf(upPaths, (c) => c.makespan))} s, so the chain's steps fill ${share.toFixed(0)} % of it. ` +
            `The rest: ${secs(medOf(upPaths, (c) => c.span - c.length))} s of waits between the chain's steps (the engine finishing a step, the program in this process receiving its outputs, running the \`apply\` that needs them and registering the next resource, a plugin starting), ` +
            `and ${secs(leadIn)} s before the chain's first step (from the stack's own registration to the first provider's). ` +
            `Around the makespan the wall time adds ${secs(E("pulumi up, cold", "wall") - medOf(upPaths, (c) => c.makespan))} s: starting the \`pulumi\` CLI and the program's run, writing the state. ` +
            `Done one after the other, the ${cp.stepCount} steps would take ${secs(medOf(upPaths, (c) => c.work))} s: the engine runs independent branches (the security groups and their rules, the two regions, the backends and the load balancer) side by side.`,
    );
    const kinds = Object.entries(cp.byKind).sort((a, b) => b[1] - a[1]);
    p(`- **What the chain is made of** (run ${med.id}, the median cold \`up\`): ${kinds.map(([k, v]) => `${k} ${secs(v)} s`).join(", ")}.`);
    p();
    p(`The chain of run ${med.id} (times from the start of \`up\`, s):`);
    p();
    p("| # | resource | type | start | end | duration |");
    p("| ---: | --- | --- | ---: | ---: | ---: |");
    cp.steps.forEach((s, i) => p(`| ${i + 1} | ${shortName(s.urn)} | \`${shortType(s.type)}\` | ${s.start.toFixed(2)} | ${s.end.toFixed(2)} | ${s.weight.toFixed(2)} |`));
    p();
}

// --- the numbers the explanation quotes ---
const gCalls = G(T.procedure, "cli") + G(T.undoAll, "cli");
const cliPerCall = G(T.cloud, "wall") / G(T.cloud, "cli");
const startup = B("openstack configuration show", "wall");
const startupCpu = B("openstack configuration show", "cpu");
const tokenIssue = B("openstack token issue", "wall");
const oneRequest = B("openstack network list", "wall");
const keystoneShare = G(T.cloud, "keystone") / G(T.cloud, "requests");
const sshPerLogin = G(T.nodes, "wall") / G(T.nodes, "ssh");
const lbPolls = G("demo: lb1", "cli") - 1;
// The load balancer's changes after its creation, each a call and the waits that follow it.
const LB_CHANGES: Array<[string, number]> = [["demo: listener1", 1], ["demo: pool1", 1], ["demo: 4 members", 4], ["demo: health monitor", 1]];
// The engine's own wait for the load balancer: its LoadBalancer step in the median run's cold up.
const engineLb = (() => {
    const st = medianRunIndex >= 0 ? stepFiles.get(paths[medianRunIndex].id) : undefined;
    const step = st?.up.find((x) => x.type === "openstack:loadbalancer/loadBalancer:LoadBalancer" && x.end !== undefined);
    return step ? (step.end! - step.start) / 1000 : undefined;
})();
const changeCount = LB_CHANGES.reduce((a, [, n]) => a + n, 0);
const perChange = LB_CHANGES.reduce((a, [k]) => a + G(k, "wall"), 0) / changeCount;

p("## What the numbers show");
p();
p(
    `- **The ratio.** The guide's whole procedure takes ${secs(G(T.procedure, "wall"))} s (its configuration ${secs(G(T.config, "wall"))} s, "How to play" ${secs(G(T.demo, "wall"))} s); \`pulumi up\` of the same topology ${secs(E("pulumi up, cold", "wall"))} s: ${times(median(upRatio))} (per run: ${upRatio.map(times).join(", ")}). ` +
        `An interactive \`pulumi up\` previews first: with the cold preview (${secs(E("pulumi preview (cold", "wall"))} s) the engine's side is ${secs(E("pulumi preview (cold", "wall") + E("pulumi up, cold", "wall"))} s. ` +
        `The undo: ${secs(G(T.undoAll, "wall"))} s by hand (How to play ${secs(G(T.undoDemo, "wall"))} s, the configuration ${secs(G(T.undoConfig, "wall"))} s) against ${secs(E("pulumi destroy", "wall"))} s for \`pulumi destroy\` (${times(median(destroyRatio))}).`,
);
p(
    `- **The guide's cloud side is dominated by the CLI's own start-up.** ${num(G(T.cloud, "cli"))} \`openstack\` invocations for the configuration (${num(gCalls)} for procedure and undo together), ${cliPerCall.toFixed(2)} s each on average, ` +
        `with ${secs(G(T.cloud, "cpu"))} s of client CPU in the configuration's ${secs(G(T.cloud, "wall"))} s: the client is busy for most of its wall time (on ${meta.nproc} cores shared with other work). ` +
        `A call that sends no request at all (\`openstack configuration show\`) already costs ${startup.toFixed(2)} s (${startupCpu.toFixed(2)} s CPU: Python importing openstackclient and its plugins); ` +
        `\`token issue\` (start-up + authentication) ${tokenIssue.toFixed(2)} s and \`network list\` (+ one Neutron request) ${oneRequest.toFixed(2)} s. ` +
        `Every call authenticates from scratch (${num(G(T.cloud, "tokens"))} new tokens for ${num(G(T.cloud, "cli"))} calls), so ${(keystoneShare * 100).toFixed(0)} % of the configuration's ${num(G(T.cloud, "requests"))} API requests go to Keystone. ` +
        `The engine's cold \`up\` makes ${num(E("pulumi up, cold", "requests"))} requests (${num(E("pulumi up, cold", "tokens"))} new tokens: once per provider and binding operation, not once per resource) from long-lived processes, and runs independent resources in parallel.`,
);
p(
    `- **The node side is cheap either way on loopback.** The guide's node steps are ${num(G(T.nodes, "ssh"))} SSH commands (${sshPerLogin.toFixed(2)} s each): ${secs(G(T.nodes, "wall"))} s for both nodes. ` +
        `The stack runs ${num(E("pulumi up, cold", "ssh"))} remote commands (one login each: o-hm0, firewall, persistence, octavia.conf per node), the two nodes side by side. ` +
        `On real controllers over a network each login costs a round trip or more, on both sides.`,
);
p(
    `- **Fixed cost of an engine run**: \`up\` with nothing to do takes ${secs(E("pulumi up, no change", "wall"))} s and \`preview\` ${secs(E("pulumi preview, no change", "wall"))} s, with ${num(E("pulumi up, no change", "requests") + E("pulumi preview, no change", "requests"))} API requests and ${num(E("pulumi up, no change", "ssh") + E("pulumi preview, no change", "ssh"))} SSH logins between them ` +
        "(the providers diff against the state; without `--refresh` the only reads are the demo's image and flavor lookups, which the program makes on every run, plus whatever the compute hosts' periodic reports to Placement add): starting the `pulumi` CLI and its plugins, running the program, writing the state. " +
        (E("pulumi preview (cold", "requests") === 0
            ? "The cold `preview` makes no request either: everything is to be created, so there is nothing to read."
            : `The cold \`preview\` makes ${num(E("pulumi preview (cold", "requests"))} requests.`),
);
p(
    `- **The waits.** Octavia boots lb1's amphora as a (fake) Nova server: the guide's \`lb1\` phase took ${secs(G("demo: lb1", "wall"))} s (the create + ${num(lbPolls)} poll${lbPolls === 1 ? "" : "s"}); ` +
        `each of the ${changeCount} later changes (listener, pool, 4 members, monitor) ${perChange.toFixed(1)} s on average, its call and the polls until ACTIVE again. ` +
        `The backends: ${secs(G("demo: 4 backends", "wall"))} s for the four \`server create\`, then ${secs(G("demo: the backends ACTIVE", "wall"))} s of \`server list\` until all had an address. ` +
        "The guide does all of it one step after the other. The stack waits for the same things (its provider polls Octavia and Nova), but boots the backends while lb1's amphora boots " +
        "(both need only the networks), and puts the four members in as one batch (one PUT of the member list, one wait). " +
        (engineLb !== undefined
            ? `Its own \`LoadBalancer\` step took ${secs(engineLb)} s against the guide's ${secs(G("demo: lb1", "wall"))} s for the same create and wait` +
              (engineLb > G("demo: lb1", "wall")
                  ? " (the amphora's server boots while Nova boots the four backends on the same 2 cores, and the provider polls Octavia at growing intervals, not every second: Octavia's worker and API logs of the run show when the load balancer went ACTIVE and when the provider looked). "
                  : ". ")
            : "") +
        "The amphora agent is noop, so a change is ACTIVE as soon as the worker has run its flow; with real amphorae (a VM booting an image, HAProxy reconfigured at every change) the waits would be longer on both sides.",
);
p(
    `- **Octavia restarts per node**: guide ${restartText("guide")} (its edit, its undo), engine ${restartText("engine")} (\`up\` and \`destroy\`; none for the no-change \`up\`).`,
);
p(
    "- **Idempotence is the other difference** (checked by hand on this cloud, not timed): a second `pulumi up` is a no-op with 0 requests, while running the guide's commands a second time " +
        "creates a second security group of the same name (Neutron does not require unique names), after which `security group rule create --protocol icmp lb-mgmt-sec-grp` fails with " +
        "`More than one SecurityGroup exists with the name 'lb-mgmt-sec-grp'.`; on a node, a second `iptables -I` adds a second rule.",
);
p();

p("## Differences from the guide, and why");
p();
p("- **No DHCP**: the management networks have no DHCP server the nodes could reach (the local cloud has no DHCP agent wired to the nodes' br-int), so `dhclient -v o-hm0 -cf $OCTAVIA_DHCLIENT_CONF` is replaced by its static equivalent, `ip addr add <port ip>/24 dev o-hm0` and `ip link set o-hm0 up`. The stack does the same (`addressing: static`, its default).");
p("- **The node steps run from this machine**, one `ssh stack@node sudo …` per command line of the guide (the guide's operator types them in a shell on the node). `--host $(hostname)` is the node's own host name (controller-r1, controller-r2), taken from the node facts.");
p("- **octavia.conf** is edited one key per command (`crudini --set` where the node has it, else an awk one-liner with the same semantics: set the key in its section, replacing its line, else its commented-out sample line, else adding it at the end of the section, adding the section if missing" + (editor ? `; this run: ${editor}` : "") + "), after a `cp -p` backup that the undo moves back; the keys are those of guide step 4 the stack sets: `[health_manager]` bind_ip, bind_port, controller_ip_port_list, heartbeat_key, `[controller_worker]` amp_boot_network_list, amp_secgroup_list, `[neutron]` region_name (the central region), `[nova]` and `[glance]` region_name (the node's region). The guide's sample diff also sets service_name/endpoint/endpoint_type, which the stack's configuration leaves unset here, so neither side sets them.");
p("- **The restart**: the nodes have no systemd; both sides run `echo restarted >>/run/octavia-restarts.log`, the restart command the stack is configured with on them (scripts/lib/localStack.ts).");
p("- **The undo** is not in the guide: the benchmark reverses every step: the load-balancer chain (monitor, members one by one, pool, listener, lb1, waiting after each, until lb1 is gone), the backends (one `server delete` per region, `server list` until they are gone), the networks (their delete retried while a port Octavia or Nova removes asynchronously still holds one), then the nodes (octavia.conf back, restart, `iptables -D`, `ovs-vsctl del-port`, which takes o-hm0 with its MAC and address), then the configuration's cloud side. It is counted apart from the procedure.");
p("- **Names**: every name carries a per-run suffix on the guide's side (`net1-<suffix>`, `backend1-<suffix>`, `lb1-<suffix>`, …), and the stack's security groups, management networks and every name of its demo (networks, backends, load balancer, the members' references) carry `-engine-<suffix>`, so nothing clashes with the `local` stack on the same cloud. The stack names its health-manager ports `octavia-health-manager-<region>-<hostname>-listen-port` (no suffix; it keeps them by id) and its backends' group after the stack (`tricircle-lbaas-bench-demo-backend-http`).");
p("- **What the stack does beyond the guide**, inside its measured time: an ip6tables rule next to the iptables one, the OVS `mac` column, checks that o-hm0 carries exactly the port's MAC and address, the boot-time persistence (a systemd unit and its helper, written even where no systemd runs), octavia.conf merged key by key with its original recorded for the undo, and a restart only when the file changed.");
p("- **How to play, scenario 3 at once**: the guide grows its pool scenario by scenario (two backends on net1, then one on net1 in RegionTwo, then net2 and one backend on it in RegionTwo); the benchmark runs the same commands once for the third scenario's topology, the one the stack's demo deploys: net1, net2, the four backends, then lb1, listener, pool, the four members (each with its own network's subnet and the address `server list` shows), and a health monitor (HTTP, delay 5, timeout 3, 3 retries; the stack's demo has one, the guide's listing does not), waiting for ACTIVE after each load-balancer change. net2 (\"create network in RegionTwo\") is a central network, as net1 is.");
p("- **Backends**: `nova boot --flavor 1 --image $image_id --nic net-id=…` is run as its openstackclient form, `server create --image cirros --flavor m1.tiny --nic net-id=…` (no lookup of the image's id), with the admin credentials and the project's default security group, as the guide does. The stack gives its backends their own group (HTTP from the demo networks, 2 rules) and its web server as user-data on a config drive. The servers are the fake virt driver's: nothing runs in them, so the guide's web-server simulation (`ssh cirros@…`, the `nc -l -p 80` loop) and `curl $VIP` are not run, on either side (the amphora agent is noop: no traffic crosses the VIP; test/host/verify.test.ts checks round robin against HAProxy).");
p("- **Amphorae**: lb1's amphora boots where the local cloud's Octavia boots every amphora, on the cloud's own plane (`lc-amp-mgmt-net`, `lc-amp-sec-grp`, project `service`; lab/amphora-plane.sh is left as it is), on both sides: the bench nodes' octavia.conf, which both sides edit, is not the file the local Octavia reads.");
if (notes.length) {
    p();
    p("## Found while running the guide as written");
    p();
    for (const n of notes) p(`- ${n}`);
}
p();

p("## Earlier figures, for comparison");
p();
p(
    "Measured before this benchmark existed, with the official `command` plugin and a bridged OpenStack provider, on the guide's topology with two controllers in namespaces (not from this run, not reproduced by it): " +
        "`preview` 42 creates 4.5 s; `up` 11.3 s; no-change `preview` 3.1 s; `destroy` 6 s; the guide's cloud-side procedure 39.5 s. " +
        `This run: ${num(paths[0]?.counts.previewCreates ?? 0)} creates in the cold \`preview\` ${secs(E("pulumi preview (cold", "wall"))} s; \`up\` ${secs(E("pulumi up, cold", "wall"))} s; no-change \`preview\` ${secs(E("pulumi preview, no change", "wall"))} s; \`destroy\` ${secs(E("pulumi destroy", "wall"))} s; the guide's configuration, cloud side ${secs(G(T.cloud, "wall"))} s.`,
);
p();

p("## How it is measured");
p();
p(
    "- **One run** = the guide's whole procedure and undo, then the stack (create the stack, cold `preview`, cold `up`, no-change `up`, no-change `preview`, `preview --refresh`, `destroy`), then the CLI baseline, on the same cloud and the same two nodes, one after the other. " +
        "Before each side the bench saves the nodes' state (scripts/bench/node-state.sh, from outside the nodes with nsenter: devices and addresses, OVS ports, iptables and ip6tables rules, octavia.conf's sha256/size/mode/owner, /etc/octavia's listing, the stack's and the guide's files); " +
        "after the guide's undo and after `pulumi destroy` it compares, and the benchmark fails if any node differs (no o-hm0, no o-hm0 rule, octavia.conf byte for byte), or if a load balancer, server, network or security group of the run is left on the cloud. Every run passed both checks.",
);
p(
    "- **Wall time**: a monotonic clock around each phase (bash `$EPOCHREALTIME`, Node `process.hrtime`); the 0.5 s pause before each count (so that the services' last log lines land) is not included. The guide's sums are sums of its phases.",
);
p(
    "- **API requests**: the request lines the services appended to their logs during the phase (`scripts/bench/api-requests.sh`): `.local-cloud/log/keystone.log` and `octavia-api.log` (uwsgi's `[pid: …] … POST /v3/auth/tokens => generated …` lines), " +
        "`neutron-server.log` (`neutron.wsgi … \"PUT /v2.0/ports/… HTTP/1.1\" status: …`), `nova-api.log` (`nova.osapi_compute.wsgi.server … \"POST /v2.1/servers HTTP/1.1\" status: …`), `glance.log` (`eventlet.wsgi.server … \"GET /v2/images/… HTTP/1.1\" 200 …`) and `placement.log` (uwsgi's lines; its `placement.requestlog` lines repeat the same requests). " +
        "Keystone's count includes the token validations the other services make for the run's tokens; Nova's, Glance's and Placement's include the requests the Nova services and Octavia's worker make for the servers a phase boots or deletes (the amphora among them), " +
        "and Placement's also the compute hosts' periodic resource reports that fall into the phase, which are not the run's. " +
        "**SSH logins**: `Accepted publickey` lines in the bench nodes' sshd logs (`.local-cloud/nodes-bench/node*/log/sshd.log`); the state checks enter the nodes with nsenter and log in to nothing.",
);
const windows = numbered(/^window-\d+\.tsv$/);
const windowCheck = windows.map((f) => {
    const [, , ...n] = fs.readFileSync(path.join(dir, f), "utf8").trim().split("\t");
    const [k, ne, o, , , , nova = 0, glance = 0, placement = 0] = n.map(Number);
    const i = runIds.indexOf(runNumber(f));
    const rows = withTotals[i] ?? [];
    const g = rows.filter((r) => r.section === "guide" && !r.phase.startsWith("="));
    return g.length ? k + ne + o + nova + glance + placement - g.reduce((a, r) => a + requests(r), 0) : NaN;
});
const clean = windowCheck.length > 0 && windowCheck.every((d) => d === 0);
const varying = keys.filter(
    (k) => !k.phase.startsWith("=") && k.section !== "baseline" && new Set(valuesOf(k.section, k.phase).map((r) => `${requests(r)}/${r.ssh}`)).size > 1,
);
p(
    "- The counts are of everything the services logged, so another client using the cloud at the same time is counted too (the cloud is shared with other work on this machine). " +
        "Two cross-checks: the guide's phases add up to the requests logged over its whole run " +
        (clean ? "exactly, in every run (nothing was logged between its phases)" : `with differences of ${windowCheck.join(", ")} requests per run (requests logged between its phases)`) +
        "; and the counts of a phase are the same from run to run unless something else changed them: " +
        (!many
            ? "one run only, so this second check could not be made."
            : varying.length === 0
              ? "they were, for every phase of every run."
              : `they varied for ${varying.map((k) => `${k.section} "${k.phase}" (${valuesOf(k.section, k.phase).map((r) => requests(r)).join(", ")})`).join("; ")}` +
                " (another client's requests, or Keystone's token validations, `GET /v3/auth/tokens`, which Neutron's and Octavia's keystonemiddleware skip when they have the token cached); the tables give the fewest."),
);
p(
    "- **CLI calls**: `openstack` processes started (the guide's, each one a full client start-up). **Client CPU**: user + system CPU of the client side: the CLI and ssh processes; for the engine the Node process (Automation API and the program) plus its waited-for children (the `pulumi` CLI and, through it, the plugins).",
);
p(
    "- **The stack's configuration** is the `local` stack's (Pulumi.local.yaml and scripts/lib/localStack.ts: `openstack:cloud: local`, both regions and their CIDRs, `restartCommand`, the SSH user and pinned host keys) built from the bench nodes' facts (`nodeFacts(root, \"bench\")`), " +
        "with `amphoraProject: service` and the guide's third scenario as `demo`, the bench's own names and `securityGroups.allowedCidrs: [0.0.0.0/0, ::/0]` (the guide's rules; the stack's default would be the management CIDRs). Each run uses a fresh stack in a throw-away file backend; the program is the compiled `index.ts`, loaded afresh for every engine operation. " +
        "The Automation API runs `up` and `destroy` with `--skip-preview` (an interactive `pulumi up` previews first: add the cold `preview`), with the CLI's default parallelism.",
);
p(
    "- **Critical path**: each step's start is the engine's `resourcePreEvent` and its end the first `resOutputsEvent` (or `resOpFailedEvent`) of the same URN and operation, as received by the Automation API's event stream (gRPC, in this process) and stamped with `process.hrtime`: the events' own `timestamp` is in whole seconds, too coarse for steps of a fraction of a second " +
        `(it agrees with the received times to within ${secs(Math.max(...upPaths.map((c) => c.clockSkew), 0))} s, i.e. its rounding). The dependencies are the state's after \`up\` (\`stack.exportStack()\`): each resource's \`dependencies\`, \`propertyDependencies\`, \`parent\` and \`provider\`. ` +
        "Components (the stack itself, RegionalOctavia, ControllerNode, …) weigh nothing: their resOutputsEvent comes only when they register their outputs, after their children; they pass their own dependencies on to their children (a ControllerNode waits for its port's binding, and so do its commands). " +
        "The critical path is the chain with the largest sum of step durations; its span runs from its first step's start to its last step's end; the makespan from the first step's start (the stack's own registration) to the last step's end. For `destroy` the edges are reversed.",
);
p(`- The guide's waits poll \`loadbalancer show -c provisioning_status\` (and, for the backends, \`server list\`) every ${meta.pollInterval} s (\`BENCH_POLL_INTERVAL\`), each bounded by \`BENCH_WAIT_TIMEOUT\`. Every phase is bounded in time (each CLI and ssh call, each engine operation, each side as a whole); a trap deletes whatever a failed run left and restores the nodes.`);
p("- Server-side CPU and memory were not measured, only the clients'. Times on this 2-CPU machine vary with other work on it (see the load averages above and the range column).");
p();

if (many) {
    p("## Per run");
    p();
    p(`| phase | ${runIds.map((id) => `run ${id}: wall s / requests / SSH`).join(" | ")} |`);
    p(`| --- | ${runIds.map(() => "---:").join(" | ")} |`);
    for (const k of keys) {
        const cells = withTotals.map((rows) => {
            const r = rows.find((x) => x.section === k.section && x.phase === k.phase);
            return r ? `${secs(r.wall)} / ${num(requests(r))} / ${num(r.ssh)}` : "–";
        });
        p(`| ${k.section}: ${k.phase} | ${cells.join(" | ")} |`);
    }
    p(`| ratio guide whole procedure ÷ engine cold up | ${upRatio.map(times).join(" | ")} |`);
    p(`| ratio guide whole undo ÷ engine destroy | ${destroyRatio.map(times).join(" | ")} |`);
    p(`| engine: cold up, critical path / makespan s | ${paths.map((c) => (c.up ? `${secs(c.up.length)} / ${secs(c.up.makespan)}` : "–")).join(" | ")} |`);
    p(`| engine: destroy, critical path / makespan s | ${paths.map((c) => (c.destroy ? `${secs(c.destroy.length)} / ${secs(c.destroy.makespan)}` : "–")).join(" | ")} |`);
    p();
}

process.stdout.write(lines.join("\n"));
