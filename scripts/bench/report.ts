// Turns the rows of `npm run bench` (scripts/bench.sh) into docs/bench.md: the summary table (medians over the
// runs), the numbers the explanation quotes (computed here, never typed in), and a per-run table.
//
//   node report.js RESULTS_DIR > docs/bench.md
//
// RESULTS_DIR holds run-N.tsv (rows: section, phase, wall_s, keystone, neutron, octavia, new_tokens, server_s,
// cli_calls, client_cpu_s), window-N.tsv (the guide's whole-run counts: section, "window", keystone, neutron, octavia,
// new_tokens, server_s, cli_calls), notes.txt (findings, one a line) and meta.json (see bench.sh).
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
    node: string;
    pollInterval: string;
    totalSeconds: string;
}

const dir = process.argv[2];
if (!dir) {
    process.stderr.write("usage: node report.js RESULTS_DIR\n");
    process.exit(2);
}

const meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8")) as Meta;
const runFiles = fs
    .readdirSync(dir)
    .filter((f) => /^run-\d+\.tsv$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0]));

function parseRows(file: string): Row[] {
    return fs
        .readFileSync(path.join(dir, file), "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => {
            const [section, phase, ...n] = l.split("\t");
            const [wall, keystone, neutron, octavia, tokens, server, cli, cpu] = n.map(Number);
            return { section, phase, wall, keystone, neutron, octavia, tokens, server, cli, cpu };
        });
}

const runs = runFiles.map(parseRows);
if (runs.length === 0) throw new Error(`no run-N.tsv in ${dir}`);
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

type Metric = Exclude<keyof Row, "section" | "phase">;
const requests = (r: Row): number => r.keystone + r.neutron + r.octavia;

// Derived rows, per run: the sums the explanation compares.
const isUndo = (r: Row) => r.section === "guide" && r.phase.startsWith("undo");
function sum(rows: Row[], section: string, phase: string): Row {
    const init: Row = { section, phase, wall: 0, keystone: 0, neutron: 0, octavia: 0, tokens: 0, server: 0, cli: 0, cpu: 0 };
    return rows.reduce((a, r) => ({ ...a, wall: a.wall + r.wall, keystone: a.keystone + r.keystone, neutron: a.neutron + r.neutron, octavia: a.octavia + r.octavia, tokens: a.tokens + r.tokens, server: a.server + r.server, cli: a.cli + r.cli, cpu: a.cpu + r.cpu }), init);
}
const withTotals = runs.map((rows) => {
    const guide = rows.filter((r) => r.section === "guide");
    const procedure = sum(guide.filter((r) => !isUndo(r)), "guide", "= the procedure (sum of the phases above)");
    const all = sum(guide, "guide", "= procedure + undo");
    const out: Row[] = [];
    for (const r of rows) {
        if (isUndo(r)) out.push(procedure);
        out.push(r);
        if (isUndo(r)) out.push(all);
    }
    return out;
});

// Phases in the order of the first run; a phase missing from a run (a failed run) is left out of its median.
const keys: { section: string; phase: string }[] = [];
for (const rows of withTotals) for (const r of rows) if (!keys.some((k) => k.section === r.section && k.phase === r.phase)) keys.push(r);
const valuesOf = (section: string, phase: string): Row[] => withTotals.flatMap((rows) => rows.filter((r) => r.section === section && r.phase === phase));
const med = (section: string, phase: string, metric: Metric | "requests"): number => {
    const rows = valuesOf(section, phase);
    return median(rows.map((r) => (metric === "requests" ? requests(r) : r[metric])));
};
const find = (section: string, prefix: string): { section: string; phase: string } => {
    const k = keys.find((x) => x.section === section && x.phase.startsWith(prefix));
    if (!k) throw new Error(`no ${section} phase "${prefix}…" in the results`);
    return k;
};
const m = (section: string, prefix: string, metric: Metric | "requests"): number => {
    const k = find(section, prefix);
    return med(k.section, k.phase, metric);
};

const SECTIONS: Record<string, string> = {
    guide: "The guide's procedure with the `openstack` CLI (`scripts/bench/guide-procedure.sh`)",
    engine: "The real engine: `PortHostBinding` ×2 through the Automation API (`scripts/bench/binding-engine.ts`)",
    baseline: "What one `openstack` CLI call costs (`scripts/bench/cli-baseline.sh`, mean of 3 calls each)",
};

const many = runs.length > 1;
const lines: string[] = [];
const p = (s = "") => lines.push(s);

p("# Benchmark: the guide's procedure and the real engine on the local cloud");
p();
p("<!-- Written by scripts/bench.sh (`npm run bench`); edits are overwritten by the next run. -->");
p();
p(`Produced by \`${meta.command}\` on ${meta.date}: ${meta.runs} run${many ? "s" : ""} one after the other, ${meta.totalSeconds} s in all.`);
p();
p(`Machine: ${meta.nproc} CPUs (${meta.cpu}), ${meta.memory} memory, ${meta.os}, kernel ${meta.kernel}; load average ${meta.loadBefore} before, ${meta.loadAfter} after.`);
p(
    `Software: python-openstackclient ${meta.openstackClient}, pulumi ${meta.pulumi} (built from Go modules, docs/toolchain.md), Node.js ${meta.node}; the local cloud of docs/local-cloud.md (Keystone, Neutron, Octavia with the noop amphora drivers; everything on 127.0.0.1), without its compute part.`,
);
p();
p("## Results");
p();
p(
    many
        ? `Median over the ${runs.length} runs; wall time with the range (min–max) of the runs. Per run: see the end.`
        : "One run: rerun with `npm run bench -- --runs 3` for medians.",
);
p(
    "\"API requests\" = Keystone + Neutron + Octavia requests logged by the services during the phase; \"new tokens\" are Keystone's `POST /v3/auth/tokens` among them; " +
        "\"server s\" = the time the services logged for those requests, summed; \"client CPU s\" = CPU used by the client processes (see \"How it is measured\").",
);
p();
p("| phase | wall s | API requests | Keystone (new tokens) | Neutron | Octavia | server s | `openstack` CLI calls | client CPU s |");
p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
let section = "";
for (const k of keys) {
    if (k.section !== section) {
        section = k.section;
        p(`| **${SECTIONS[section] ?? section}** | | | | | | | | |`);
    }
    const rows = valuesOf(k.section, k.phase);
    const walls = rows.map((r) => r.wall);
    const wall = many ? `${secs(median(walls))} (${secs(Math.min(...walls))}–${secs(Math.max(...walls))})` : secs(walls[0]);
    const v = (metric: Metric | "requests") => num(med(k.section, k.phase, metric));
    const bold = k.phase.startsWith("=") || k.phase.startsWith("pulumi ");
    const name = bold ? `**${k.phase}**` : k.phase;
    p(`| ${name} | ${wall} | ${v("requests")} | ${v("keystone")} (${v("tokens")}) | ${v("neutron")} | ${v("octavia")} | ${v("server")} | ${v("cli")} | ${v("cpu")} |`);
}
p();

// --- the numbers the explanation quotes ---
const G = (prefix: string, metric: Metric | "requests") => m("guide", prefix, metric);
const E = (prefix: string, metric: Metric | "requests") => m("engine", prefix, metric);
const B = (prefix: string, metric: Metric | "requests") => m("baseline", prefix, metric);
const gAll = "= procedure + undo";
const gCalls = G(gAll, "cli");
const perCall = G(gAll, "wall") / gCalls;
const cpuPerCall = G(gAll, "cpu") / gCalls;
const startup = B("openstack configuration show", "wall");
const startupCpu = B("openstack configuration show", "cpu");
const tokenIssue = B("openstack token issue", "wall");
const oneRequest = B("openstack network list", "wall");
const keystoneShare = G(gAll, "keystone") / G(gAll, "requests");
const lbPolls = G("lb1", "cli") - 1;

p("## What the numbers show");
p();
p(
    `- **The guide's procedure is dominated by the CLI's own start-up.** It takes ${gCalls} \`openstack\` invocations (${num(G("= the procedure", "cli"))} for the procedure, ${num(G("undo", "cli"))} for the undo), ` +
        `${perCall.toFixed(2)} s of wall time each on average, and ${cpuPerCall.toFixed(2)} s of client CPU each: the client is busy for nearly all of its wall time. ` +
        `A call that sends no request at all (\`openstack configuration show\`) already costs ${startup.toFixed(2)} s (${startupCpu.toFixed(2)} s CPU: Python importing openstackclient and its plugins); ` +
        `\`token issue\` (start-up + authentication) ${tokenIssue.toFixed(2)} s and \`network list\` (+ one Neutron request) ${oneRequest.toFixed(2)} s. ` +
        `The services themselves logged ${G(gAll, "server").toFixed(1)} s for all ${num(G(gAll, "requests"))} requests of the run (${secs(G(gAll, "wall"))} s wall): ` +
        `on loopback, authenticating is not what costs time (Keystone issues a token in milliseconds); starting a Python client per command is. ` +
        `Over a network to a real cloud the authentication's round trips would be added on top of that, per call.`,
);
p(
    `- **Every CLI call authenticates from scratch**: ${num(G(gAll, "tokens"))} new tokens for ${gCalls} calls, and each costs Keystone three requests (version discovery \`GET /v3\`, \`POST /v3/auth/tokens\`, and the \`GET /v3/auth/tokens\` with which Neutron's or Octavia's keystonemiddleware validates a token it has not seen). ` +
        `That is why ${(keystoneShare * 100).toFixed(0)} % of the procedure's ${num(G(gAll, "requests"))} API requests go to Keystone, not to the services that do the work. ` +
        `Name look-ups add more: every name on the command line costs Neutron two look-ups (\`GET /v2.0/security-groups/NAME\` → 404, then \`?name=NAME\`), ` +
        `so the security-group phase makes ${num(G("security groups", "neutron"))} Neutron requests for its ${num(G("security groups", "cli"))} commands (2 creates + 10 × (2 look-ups + 1 create)).`,
);
p(
    `- **The waits are short here**: with the noop drivers the load balancer was ACTIVE at the first poll after each change (the \`lb1\` phase: ${num(G("lb1", "cli"))} calls = the create + ${num(lbPolls)} poll${lbPolls === 1 ? "" : "s"}). ` +
        `Each wait still costs one more CLI call (~${perCall.toFixed(1)} s) per load-balancer change, 5 changes each way. ` +
        `With real amphorae (a VM to boot, configuration pushed to it at every change) the waits would be far longer and dominate instead; that is not measured here.`,
);
p(
    `- **The same two bindings, CLI vs engine.** The guide's \`port set --host\` on the two health-manager ports: ${secs(G("bind them", "wall"))} s, ${num(G("bind them", "requests"))} API requests (${num(G("bind them", "tokens"))} tokens), 2 CLI calls one after the other. ` +
        `\`pulumi up\` (cold) of the stack's \`PortHostBinding\` for the same two ports: ${secs(E("pulumi up, cold", "wall"))} s, ${num(E("pulumi up, cold", "requests"))} API requests (${num(E("pulumi up, cold", "tokens"))} tokens: the dynamic provider authenticates once per binding operation, without version discovery; the engine runs the two bindings in parallel, their PUTs reach Neutron within ~0.1 s of each other in neutron-server.log, where the guide's two are a CLI start-up apart), and \`pulumi destroy\` ${secs(E("pulumi destroy", "wall"))} s, ${num(E("pulumi destroy", "requests"))} requests. ` +
        `An engine run has a fixed cost of its own: \`up\` with nothing to do takes ${secs(E("pulumi up, no change", "wall"))} s and \`preview\` ${secs(E("pulumi preview", "wall"))} s with **${num(E("pulumi up, no change", "requests") + E("pulumi preview", "requests"))}** API requests between them ` +
        `(the provider diffs against the state; without \`--refresh\` nothing is read from the cloud), i.e. starting the \`pulumi\` CLI, its plugin host, the dynamic-provider Node process, and writing the state. ` +
        `For two resources the engine's fixed cost and the CLI's per-call cost are of the same order; the engine's per-resource cost is a few HTTP requests from an already running process, the CLI's a new ~${startup.toFixed(1)} s Python process. ` +
        `The Automation API runs the program inside the benchmark's own Node process; \`pulumi up\` from the command line would also start the Node.js language host and load the TypeScript program, which cannot be measured here (no language host, see below), so these engine times are a lower bound of its fixed cost.`,
);
p(
    "- **Idempotence is the other difference** (checked by hand on this cloud, not timed): a second `pulumi up` is a no-op with 0 requests, while running the guide's commands a second time " +
        "creates a second security group of the same name (Neutron does not require unique names), after which `security group rule create --protocol icmp lb-mgmt-sec-grp` fails with " +
        "`More than one SecurityGroup exists with the name 'lb-mgmt-sec-grp'.`",
);
p();

p("## What could not be benchmarked here");
p();
p(
    "- **`pulumi up` / `preview` / `destroy` of the full stack against the guide's procedure** (issue 5's side-by-side and issue 7 part 4): " +
        "the stack needs `pulumi-resource-openstack` 3.15.2, `pulumi-resource-command` 1.2.1 and the `pulumi-language-nodejs` host, and none of them can be built on this machine: " +
        "the Go module proxy answers `403 Forbidden — This module version is not available.` for their modules (details and exact errors: docs/toolchain.md). " +
        "Only the stack's own dynamic resource, `PortHostBinding`, runs on the real engine (through the Automation API, whose in-process language runtime needs no language host). " +
        "So this page gives **no ratio between the guide and `pulumi up`** of the same topology, and the engine rows must not be read as one.",
);
p(
    "- What the full stack would add is therefore not measured: the openstack provider authenticating once per provider (region) instead of once per command, independent branches (security groups, the two management networks and ports, net1) created in parallel, " +
        "while Octavia still serialises the changes of one load balancer (listener, pool, members one after another). Those are expectations, not results.",
);
p(
    "- The node side of the guide (`ovs-vsctl`, `ip link`, `dhclient`, `iptables`, editing octavia.conf) and the backends (`nova boot`, the web server) are not in the timed procedure: this is the cloud side only, and the local cloud ran without its compute part. The members are the fixed addresses 10.0.10.10 and 10.0.10.11.",
);
p(
    "- Server-side CPU and memory were not measured, only the clients'. Times on this 2-CPU machine vary with other work on it (see the load averages above and the range column).",
);
if (notes.length) {
    p();
    p("## Found while running the guide as written");
    p();
    for (const n of notes) p(`- ${n}`);
}
p();

p("## How it is measured");
p();
p(
    "- **Wall time**: a monotonic clock around each phase (bash `$EPOCHREALTIME`, Node `process.hrtime`); the 0.5 s pause before each count (so that the services' last log lines land) is not included. " +
        "The guide's sums are sums of its phases.",
);
p(
    "- **API requests**: the request lines the services appended to their logs during the phase (`scripts/bench/api-requests.sh`): `.local-cloud/log/keystone.log` and `octavia-api.log` (uwsgi's `[pid: …] … POST /v3/auth/tokens => generated …` lines), " +
        "`neutron-server.log` (`neutron.wsgi … \"PUT /v2.0/ports/… HTTP/1.1\" status: …`). Keystone's count includes the token validations Neutron and Octavia make for the run's tokens. " +
        "With the noop drivers Octavia makes no Neutron calls of its own (checked in neutron-server.log: every Neutron request of a run is made as the clients' admin user, none as Octavia's service user).",
);
const windows = fs.readdirSync(dir).filter((f) => /^window-\d+\.tsv$/.test(f));
const windowCheck = windows.map((f) => {
    const [, , ...n] = fs.readFileSync(path.join(dir, f), "utf8").trim().split("\t");
    const [k, ne, o] = n.map(Number);
    const run = Number(f.match(/\d+/)?.[0]);
    const g = withTotals[run - 1]?.find((r) => r.section === "guide" && r.phase === gAll);
    return g ? k + ne + o - requests(g) : NaN;
});
const clean = windowCheck.length > 0 && windowCheck.every((d) => d === 0);
p(
    `- The counts are of everything the services logged, so another client using the cloud at the same time would be counted too. Cross-check: the guide's phases add up to the requests logged over its whole run ` +
        (clean ? `exactly, in every run (no other traffic).` : `with differences of ${windowCheck.join(", ")} requests per run (other traffic, or a request logged between phases).`),
);
p("- **CLI calls**: `openstack` processes started (the guide's, each one a full client start-up). The engine phases run one `pulumi` CLI process each.");
p(
    "- **Client CPU**: user + system CPU of the client side: the CLI processes; for the engine the Node process (Automation API and the program's language runtime) plus its waited-for children (the `pulumi` CLI and, through it, the dynamic-provider process).",
);
p(
    "- The Automation API runs `up` and `destroy` with `--skip-preview` (an interactive `pulumi up` previews first: add a `preview`). Each engine run uses a fresh stack in a throw-away file backend. " +
        "The two ports it binds are created and deleted with the CLI around it (the setup/teardown rows). The two bindings match the guide's: node1 in RegionOne, node2 in RegionTwo; they are read back with the CLI after `up` and after `destroy` (not timed).",
);
p(`- The guide's waits poll \`loadbalancer show -c provisioning_status\` every ${meta.pollInterval} s (\`BENCH_POLL_INTERVAL\`). All names carry a per-run suffix; a trap deletes whatever a failed run left.`);
p();

if (many) {
    p("## Per run");
    p();
    p(`| phase | ${runs.map((_, i) => `run ${i + 1}: wall s / requests`).join(" | ")} |`);
    p(`| --- | ${runs.map(() => "---:").join(" | ")} |`);
    for (const k of keys) {
        const cells = withTotals.map((rows) => {
            const r = rows.find((x) => x.section === k.section && x.phase === k.phase);
            return r ? `${secs(r.wall)} / ${num(requests(r))}` : "–";
        });
        p(`| ${k.section}: ${k.phase} | ${cells.join(" | ")} |`);
    }
    p();
}

process.stdout.write(lines.join("\n"));
