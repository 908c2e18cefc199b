// docs/bench.md and README.md's "## Benchmark" section, as text, from an Analysis (analyze.ts): pure, no I/O. Every
// number the prose quotes is computed here or in analyze.ts, never typed in.
import { Meta, RawResults } from "../rawResults";
import { Analysis, census, CriticalPath, GUIDE_SUM, median, medianOf, Metric, requestCount } from "./analyze";

// --- formats -----------------------------------------------------------------------------------------------------
/** An integer as is, else at most DIGITS decimals without trailing zeros. */
export const formatNumber = (x: number, digits = 2): string => (Number.isInteger(x) ? String(x) : x.toFixed(digits).replace(/\.?0+$/, ""));
export const formatSeconds = (x: number): string => x.toFixed(1);
export const formatRatio = (x: number): string => `${x.toFixed(1)}×`;
/** " (min–max)" of several values, nothing for one. */
export const formatRange = (xs: number[], format: (x: number) => string = formatSeconds): string =>
    xs.length > 1 ? ` (${format(Math.min(...xs))}–${format(Math.max(...xs))})` : "";
/** A time over the runs: its median, and its range when there are several runs. */
const wallCell = (xs: number[]): string => `${formatSeconds(median(xs))}${formatRange(xs)}`;
const shortName = (urn: string): string => urn.split("::").pop() ?? urn;
const shortType = (type: string): string => type.replace(/^pulumi:providers:/, "provider:");

type Line = (text?: string) => void;

/** What the sections share: the analysis, and the figures of the three sections by phase-name prefix. */
interface Context extends Analysis {
    meta: Meta;
    notes: string[];
    editor: string;
    runCount: number;
    many: boolean;
    guide: (prefix: string, metric: Metric) => number;
    engine: (prefix: string, metric: Metric) => number;
    baseline: (prefix: string, metric: Metric) => number;
    restartText: (section: string) => string;
}

function context(raw: RawResults, analysis: Analysis): Context {
    const { table, restarts } = analysis;
    return {
        ...analysis,
        meta: raw.meta,
        notes: raw.notes,
        editor: raw.editor,
        runCount: table.runs.length,
        many: table.runs.length > 1,
        guide: (prefix, metric) => table.figure("guide", prefix, metric),
        engine: (prefix, metric) => table.figure("engine", prefix, metric),
        baseline: (prefix, metric) => table.figure("baseline", prefix, metric),
        restartText: (section) => (restarts[section]?.length ? [...new Set(restarts[section])].join("/") : "?"),
    };
}

/** README.md's prose is wrapped at 80 columns; tables stay one row a line. */
function wrapProse(text: string): string[] {
    if (text.startsWith("|") || text.length <= 80) return [text];
    const out: string[] = [];
    let current = "";
    for (const word of text.split(" ")) {
        if (current && current.length + 1 + word.length > 80) {
            out.push(current);
            current = word;
        } else current = current ? `${current} ${word}` : word;
    }
    if (current) out.push(current);
    return out;
}

/** docs/bench.md. */
export function renderReport(raw: RawResults, analysis: Analysis): string {
    const ctx = context(raw, analysis);
    const lines: string[] = [];
    const line: Line = (text = "") => void lines.push(text);
    const sections = [headerAndSummary, resultsTable, criticalPathSection, whatTheNumbersShow, differencesFromTheGuide, earlierFigures, howItIsMeasured, perRunTable];
    for (const section of sections) section(ctx, line);
    return lines.join("\n");
}

/** README.md's "## Benchmark" section (its body, without the heading). */
export function renderReadmeSection(raw: RawResults, analysis: Analysis): string {
    const lines: string[] = [];
    readmeIntroduction(context(raw, analysis), (text = "") => void lines.push(text));
    return lines.flatMap(wrapProse).join("\n") + "\n";
}

// --- the sections ------------------------------------------------------------------------------------------------
/** The summary table, in docs/bench.md and in README.md. */
function summaryTable(ctx: Context, line: Line): void {
    const { table, paths, upPaths, destroyPaths, upRatios, destroyRatios, engine } = ctx;
    const cell = (section: string, prefix: string, metric: Metric) => formatNumber(table.figure(section, prefix, metric));
    const row = (label: string, section: string, prefix: string) =>
        line(`| ${label} | ${wallCell(table.values(section, prefix, "wall"))} | ${cell(section, prefix, "requests")} | ${cell(section, prefix, "ssh")} | ${cell(section, prefix, "cli")} |`);
    line("| what | wall s | API requests | SSH logins | `openstack` CLI calls |");
    line("|---|---:|---:|---:|---:|");
    row("guide: configuration, cloud side (security groups, management networks, health-manager ports, bindings)", "guide", GUIDE_SUM.cloud);
    row("guide: configuration, nodes (o-hm0, iptables, octavia.conf, restart)", "guide", GUIDE_SUM.nodes);
    row("guide: How to play (net1, net2, 4 backends booted, lb1, listener, pool, 4 members, monitor, each waited for)", "guide", GUIDE_SUM.demo);
    row("**guide: the whole procedure**", "guide", GUIDE_SUM.procedure);
    row(`**engine: \`pulumi up\`, cold** (the same topology, ${formatNumber(paths[0]?.counts.upCreates ?? 0)} resources)`, "engine", "pulumi up, cold");
    line(`| **ratio whole procedure ÷ \`pulumi up\`** | **${formatRatio(median(upRatios))}**${formatRange(upRatios, formatRatio)} | | | |`);
    row("guide: its undo of everything (load-balancer chain, backends, networks, nodes, configuration)", "guide", GUIDE_SUM.undoAll);
    row("engine: `pulumi destroy`", "engine", "pulumi destroy");
    line(`| **ratio whole undo ÷ \`pulumi destroy\`** | **${formatRatio(median(destroyRatios))}**${formatRange(destroyRatios, formatRatio)} | | | |`);
    row("engine: `pulumi preview`, cold (everything to create)", "engine", "pulumi preview (cold");
    row("engine: `pulumi up`, no change", "engine", "pulumi up, no change");
    row("engine: `pulumi preview`, no change", "engine", "pulumi preview, no change");
    row("engine: `pulumi preview --refresh`, no change (every resource read; the nodes' drift checks over SSH)", "engine", "pulumi preview --refresh, no change");
    if (upPaths.length) {
        line(
            `| engine: cold \`up\`'s critical path / makespan / wall | ${formatSeconds(medianOf(upPaths, (c) => c.length))} / ${formatSeconds(medianOf(upPaths, (c) => c.makespan))} / ${formatSeconds(engine("pulumi up, cold", "wall"))} | | | |`,
        );
    }
    if (destroyPaths.length) {
        line(
            `| engine: \`destroy\`'s critical path / makespan / wall | ${formatSeconds(medianOf(destroyPaths, (c) => c.length))} / ${formatSeconds(medianOf(destroyPaths, (c) => c.makespan))} / ${formatSeconds(engine("pulumi destroy", "wall"))} | | | |`,
        );
    }
}

/** README.md's section before its wrapping: the summary table between two paragraphs. */
function readmeIntroduction(ctx: Context, line: Line): void {
    const { meta, many, runCount, upPaths, guide } = ctx;
    line(
        `\`${meta.command}\` on the local cloud and the benchmark's own two controller nodes, ${meta.date} (full tables, the critical path and the method in \`docs/bench.md\`; ` +
            `${many ? `medians of ${runCount} runs (counts: the fewest of any run)` : "one run"}; ${meta.nproc} shared cores, load average ${meta.loadBefore.split(" ")[0]} at the start):`,
    );
    line();
    summaryTable(ctx, line);
    line();
    line(
        "Both sides build the same topology on the same cloud (with compute: Nova's fake driver, Octavia booting each amphora as a fake server) and nodes: the guide's whole procedure " +
            "(the configuration's cloud side with the `openstack` CLI, then on each controller o-hm0, the firewall rule, octavia.conf and the restart, one `ssh node sudo …` per command; " +
            "then \"How to play\" in its third scenario: net1 and net2, `nova boot` of backend1 and backend2 in RegionOne on net1, backend3 in RegionTwo on net1, backend4 in RegionTwo on net2, " +
            "lb1 in RegionOne, its listener, pool, the four members with their real addresses and a health monitor, waiting for ACTIVE after each change) against `pulumi up` of the whole `index.ts` " +
            "with the same `demo` (both regions, one controller per region) through the real engine and the project's plugins; the undo of all of it against `pulumi destroy`. " +
            `The guide's time is mostly client start-up and waiting: ${formatNumber(guide(GUIDE_SUM.procedure, "cli"))} CLI calls, each starting a Python process and authenticating anew, and one load-balancer change at a time; ` +
            "the engine authenticates once per provider and runs independent resources in parallel" +
            (upPaths.length ? `: along its critical path the steps take ${formatSeconds(medianOf(upPaths, (c) => c.length))} s of its ${formatSeconds(medianOf(upPaths, (c) => c.makespan))} s makespan.` : ".") +
            " After the guide's undo and after `pulumi destroy` the benchmark checks that both nodes are back to their state before (no o-hm0, no o-hm0 rule, octavia.conf byte for byte) " +
            "and that nothing of the run is left on the cloud, and fails if not.",
    );
}

/** The title, the machine and the software, and the summary. */
function headerAndSummary(ctx: Context, line: Line): void {
    const { meta, many, runCount } = ctx;
    line("# Benchmark: the guide's procedure and the stack through the real engine, on the local cloud");
    line();
    line("<!-- Written by bench/run.sh (`npm run bench`); edits are overwritten by the next run. -->");
    line();
    line(`Produced by \`${meta.command}\` on ${meta.date}: ${meta.runs} run${many ? "s" : ""} one after the other, ${meta.totalSeconds} s in all.`);
    line();
    line(`Machine: ${meta.nproc} CPUs (${meta.cpu}), ${meta.memory} memory, ${meta.os}, kernel ${meta.kernel}; load average ${meta.loadBefore} before, ${meta.loadAfter} after (the machine is shared: other work ran meanwhile).`);
    line(
        `Software: python-openstackclient ${meta.openstackClient}; pulumi ${meta.pulumi} (built from Go modules, docs/toolchain.md), driven in-process through the Automation API (tools/lib/engine.ts) by Node.js ${meta.node}; ` +
            `plugins \`openstack\` ${meta.openstackPlugin} (the project's bridged build, plugins/openstack) and \`command\` ${meta.commandPlugin}; OpenSSH ${meta.openssh}. ` +
            "The local cloud of docs/local-cloud.md with its compute part (`start.sh --with-compute`: Keystone, Neutron, Glance, Placement, Nova with the fake virt driver on two compute hosts, Octavia with real VIP ports and each amphora a fake Nova server in project `service`, only the amphora agent noop; everything on 127.0.0.1); the benchmark's own two controller nodes (`LOCAL_NODES_SET=bench` of lab/nodes.sh: network namespaces at 169.254.79.x with sshd, Open vSwitch, iptables, /etc/octavia/octavia.conf, no systemd).",
    );
    line();
    line("## Summary");
    line();
    line(
        many
            ? `Times: the median over the ${runCount} runs, with the range (min–max) of the runs; the ratio is taken per run, then its median. Counts (requests, SSH logins, CLI calls): the fewest of any run, since another client's requests on the shared cloud can only add to a phase's own count (see "How it is measured").`
            : "One run: rerun with `npm run bench -- --runs 3` for medians.",
    );
    line();
    summaryTable(ctx, line);
    line();
    line(
        "The same topology on both sides: the guide's configuration (security groups with the guide's 10 rules, open to `0.0.0.0/0` and `::/0`; two management networks 192.168.10.0/24 and 192.168.20.0/24; " +
            "one health-manager port per region bound to its controller; on each controller o-hm0, the UDP 5555 rule, the octavia.conf keys and a restart) and its \"How to play\" in the topology of its third scenario " +
            "(net1 10.0.10.0/24 and net2 10.0.20.0/24; backend1 and backend2 in RegionOne on net1, backend3 in RegionTwo on net1, backend4 in RegionTwo on net2, booted from `cirros` with `m1.tiny`; " +
            "lb1 in RegionOne with its VIP on net1's subnet, an HTTP listener on port 80, a ROUND_ROBIN pool, the four members on port 80 with each backend's own subnet and address, an HTTP health monitor), " +
            "against the whole `index.ts` program with the `demo` of Pulumi.local.yaml, which is that scenario (the management plane of both regions, one controller per region on the same two bench nodes, and the demo). " +
            "The ratios are the whole procedure against `pulumi up` and the whole undo against `pulumi destroy`. " +
            "The earlier configuration-only ratio (the guide's configuration against `up` of the stack without its demo) is no longer measured: the stack's side now always carries the demo, and its `up` cannot be split by wall time " +
            "(its configuration and demo resources run side by side); the guide's configuration rows are still shown.",
    );
    line();
}

/** Every phase's figures, the guide's sums among them. */
function resultsTable(ctx: Context, line: Line): void {
    const { table } = ctx;
    line("## Results");
    line();
    line(
        "\"API requests\" = Keystone + Neutron + Octavia + Nova + Glance + Placement requests logged by the services during the phase (Nova's and Placement's include those the Nova services and Octavia's worker make for the servers the phase boots or deletes); \"new tokens\" are Keystone's `POST /v3/auth/tokens` among them; " +
            "\"server s\" = the time the services logged for those requests, summed (requests served in parallel add up); \"SSH logins\" = logins the bench nodes' sshd accepted; \"client CPU s\" = CPU used by the client processes (see \"How it is measured\").",
    );
    line();
    line("| phase | wall s | API requests | Keystone (new tokens) | Neutron | Octavia | Nova | Glance | Placement | server s | SSH logins | `openstack` CLI calls | client CPU s |");
    line("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    const SECTIONS: Record<string, string> = {
        guide: "The guide's whole procedure: the `openstack` CLI and `ssh node sudo …` (`bench/guide-procedure.sh`)",
        engine: "The stack: the whole `index.ts` with the demo through the real engine, Automation API (`bench/stack-engine.ts`)",
        baseline: "What one `openstack` CLI call costs (`bench/cli-baseline.sh`, mean of 3 calls each)",
    };
    let section = "";
    for (const k of table.keys) {
        if (k.section !== section) {
            section = k.section;
            line(`| **${SECTIONS[section] ?? section}** | | | | | | | | | | | | |`);
        }
        const rows = table.rowsOf(k.section, k.phase);
        const v = (metric: Metric) => formatNumber(table.phaseFigure(k.section, k.phase, metric));
        const bold = k.phase.startsWith("=") || k.phase.startsWith("pulumi ");
        const name = bold ? `**${k.phase}**` : k.phase;
        line(`| ${name} | ${wallCell(rows.map((r) => r.wall))} | ${v("requests")} | ${v("keystone")} (${v("tokens")}) | ${v("neutron")} | ${v("octavia")} | ${v("nova")} | ${v("glance")} | ${v("placement")} | ${v("server")} | ${v("ssh")} | ${v("cli")} | ${v("cpu")} |`);
    }
    line();
}

/** The engine's critical path against its makespan, and the chain of the median run. */
function criticalPathSection(ctx: Context, line: Line): void {
    const { table, paths, upPaths, destroyPaths, medianRun, engine } = ctx;
    if (!upPaths.length) return;
    const med = paths[medianRun];
    const cp = med.up!;
    line("## The engine's critical path");
    line();
    const state = census(med.steps);
    line(
        `The cold \`up\` creates ${formatNumber(med.counts.upCreates ?? 0)} resources (the engine's count). Its state holds ${state.total}: ${state.components} components (bookkeeping, the stack itself included) and ${state.work} with work of their own, ` +
            `by type: ${state.byKind.map(([kind, n]) => `${kind} ×${n}`).join(", ")} (the \`command\` and \`pulumi-nodejs\` providers are the engine's default ones, not in its count). ` +
            "Each step's start and end come from the engine's events, the dependencies from the state after `up` (see \"How it is measured\").",
    );
    line();
    line("| | critical path s | its span s | makespan s | wall s | all steps' durations, summed s |");
    line("| --- | ---: | ---: | ---: | ---: | ---: |");
    const upWall = table.perRun("engine", "pulumi up, cold", "wall");
    const downWall = table.perRun("engine", "pulumi destroy", "wall");
    const pathRow = (label: string, xs: CriticalPath[], walls: Array<number | undefined>) => {
        const w = walls.filter((x): x is number => x !== undefined);
        line(
            `| ${label} | ${wallCell(xs.map((c) => c.length))} | ${wallCell(xs.map((c) => c.span))} | ${wallCell(xs.map((c) => c.makespan))} | ${wallCell(w)} | ${wallCell(xs.map((c) => c.work))} |`,
        );
    };
    pathRow("`pulumi up`, cold", upPaths, upWall);
    if (destroyPaths.length) pathRow("`pulumi destroy`", destroyPaths, downWall);
    line();
    const share = (medianOf(upPaths, (c) => c.length) / medianOf(upPaths, (c) => c.makespan)) * 100;
    const leadIn = medianOf(upPaths, (c) => (c.steps.length ? c.steps[0].start - c.firstStart : 0));
    line(
        `- **Critical path vs makespan.** Along the longest chain the steps themselves take ${formatSeconds(medianOf(upPaths, (c) => c.length))} s; the makespan (first step's start to last step's end) is ${formatSeconds(medianOf(upPaths, (c) => c.makespan))} s, so the chain's steps fill ${share.toFixed(0)} % of it. ` +
            `The rest: ${formatSeconds(medianOf(upPaths, (c) => c.span - c.length))} s of waits between the chain's steps (the engine finishing a step, the program in this process receiving its outputs, running the \`apply\` that needs them and registering the next resource, a plugin starting), ` +
            `and ${formatSeconds(leadIn)} s before the chain's first step (from the stack's own registration to the first provider's). ` +
            `Around the makespan the wall time adds ${formatSeconds(engine("pulumi up, cold", "wall") - medianOf(upPaths, (c) => c.makespan))} s: starting the \`pulumi\` CLI and the program's run, writing the state. ` +
            `Done one after the other, the ${cp.stepCount} steps would take ${formatSeconds(medianOf(upPaths, (c) => c.work))} s: the engine runs independent branches (the security groups and their rules, the two regions, the backends and the load balancer) side by side.`,
    );
    const kinds = Object.entries(cp.byKind).sort((a, b) => b[1] - a[1]);
    line(`- **What the chain is made of** (run ${med.id}, the median cold \`up\`): ${kinds.map(([k, v]) => `${k} ${formatSeconds(v)} s`).join(", ")}.`);
    line();
    line(`The chain of run ${med.id} (times from the start of \`up\`, s):`);
    line();
    line("| # | resource | type | start | end | duration |");
    line("| ---: | --- | --- | ---: | ---: | ---: |");
    cp.steps.forEach((s, i) => line(`| ${i + 1} | ${shortName(s.urn)} | \`${shortType(s.type)}\` | ${s.start.toFixed(2)} | ${s.end.toFixed(2)} | ${s.weight.toFixed(2)} |`));
    line();
}

/** The explanation, every number in it computed. */
function whatTheNumbersShow(ctx: Context, line: Line): void {
    const { meta, upRatios, destroyRatios, guide, engine, baseline, restartText, engineLoadBalancer } = ctx;
    const guideCalls = guide(GUIDE_SUM.procedure, "cli") + guide(GUIDE_SUM.undoAll, "cli");
    const cliPerCall = guide(GUIDE_SUM.cloud, "wall") / guide(GUIDE_SUM.cloud, "cli");
    const startup = baseline("openstack configuration show", "wall");
    const startupCpu = baseline("openstack configuration show", "cpu");
    const tokenIssue = baseline("openstack token issue", "wall");
    const oneRequest = baseline("openstack network list", "wall");
    const keystoneShare = guide(GUIDE_SUM.cloud, "keystone") / guide(GUIDE_SUM.cloud, "requests");
    const sshPerLogin = guide(GUIDE_SUM.nodes, "wall") / guide(GUIDE_SUM.nodes, "ssh");
    const lbPolls = guide("demo: lb1", "cli") - 1;
    // The load balancer's changes after its creation, each a call and the waits that follow it.
    const LB_CHANGES: Array<[string, number]> = [["demo: listener1", 1], ["demo: pool1", 1], ["demo: 4 members", 4], ["demo: health monitor", 1]];
    const changeCount = LB_CHANGES.reduce((a, [, n]) => a + n, 0);
    const perChange = LB_CHANGES.reduce((a, [k]) => a + guide(k, "wall"), 0) / changeCount;

    line("## What the numbers show");
    line();
    line(
        `- **The ratio.** The guide's whole procedure takes ${formatSeconds(guide(GUIDE_SUM.procedure, "wall"))} s (its configuration ${formatSeconds(guide(GUIDE_SUM.config, "wall"))} s, "How to play" ${formatSeconds(guide(GUIDE_SUM.demo, "wall"))} s); \`pulumi up\` of the same topology ${formatSeconds(engine("pulumi up, cold", "wall"))} s: ${formatRatio(median(upRatios))} (per run: ${upRatios.map(formatRatio).join(", ")}). ` +
            `An interactive \`pulumi up\` previews first: with the cold preview (${formatSeconds(engine("pulumi preview (cold", "wall"))} s) the engine's side is ${formatSeconds(engine("pulumi preview (cold", "wall") + engine("pulumi up, cold", "wall"))} s. ` +
            `The undo: ${formatSeconds(guide(GUIDE_SUM.undoAll, "wall"))} s by hand (How to play ${formatSeconds(guide(GUIDE_SUM.undoDemo, "wall"))} s, the configuration ${formatSeconds(guide(GUIDE_SUM.undoConfig, "wall"))} s) against ${formatSeconds(engine("pulumi destroy", "wall"))} s for \`pulumi destroy\` (${formatRatio(median(destroyRatios))}).`,
    );
    line(
        `- **The guide's cloud side is dominated by the CLI's own start-up.** ${formatNumber(guide(GUIDE_SUM.cloud, "cli"))} \`openstack\` invocations for the configuration (${formatNumber(guideCalls)} for procedure and undo together), ${cliPerCall.toFixed(2)} s each on average, ` +
            `with ${formatSeconds(guide(GUIDE_SUM.cloud, "cpu"))} s of client CPU in the configuration's ${formatSeconds(guide(GUIDE_SUM.cloud, "wall"))} s: the client is busy for most of its wall time (on ${meta.nproc} cores shared with other work). ` +
            `A call that sends no request at all (\`openstack configuration show\`) already costs ${startup.toFixed(2)} s (${startupCpu.toFixed(2)} s CPU: Python importing openstackclient and its plugins); ` +
            `\`token issue\` (start-up + authentication) ${tokenIssue.toFixed(2)} s and \`network list\` (+ one Neutron request) ${oneRequest.toFixed(2)} s. ` +
            `Every call authenticates from scratch (${formatNumber(guide(GUIDE_SUM.cloud, "tokens"))} new tokens for ${formatNumber(guide(GUIDE_SUM.cloud, "cli"))} calls), so ${(keystoneShare * 100).toFixed(0)} % of the configuration's ${formatNumber(guide(GUIDE_SUM.cloud, "requests"))} API requests go to Keystone. ` +
            `The engine's cold \`up\` makes ${formatNumber(engine("pulumi up, cold", "requests"))} requests (${formatNumber(engine("pulumi up, cold", "tokens"))} new tokens: once per provider and binding operation, not once per resource) from long-lived processes, and runs independent resources in parallel.`,
    );
    line(
        `- **The node side is cheap either way on loopback.** The guide's node steps are ${formatNumber(guide(GUIDE_SUM.nodes, "ssh"))} SSH commands (${sshPerLogin.toFixed(2)} s each): ${formatSeconds(guide(GUIDE_SUM.nodes, "wall"))} s for both nodes. ` +
            `The stack runs ${formatNumber(engine("pulumi up, cold", "ssh"))} remote commands (one login each: o-hm0, firewall, persistence, octavia.conf per node), the two nodes side by side. ` +
            `On real controllers over a network each login costs a round trip or more, on both sides.`,
    );
    line(
        `- **Fixed cost of an engine run**: \`up\` with nothing to do takes ${formatSeconds(engine("pulumi up, no change", "wall"))} s and \`preview\` ${formatSeconds(engine("pulumi preview, no change", "wall"))} s, with ${formatNumber(engine("pulumi up, no change", "requests") + engine("pulumi preview, no change", "requests"))} API requests and ${formatNumber(engine("pulumi up, no change", "ssh") + engine("pulumi preview, no change", "ssh"))} SSH logins between them ` +
            "(the providers diff against the state; without `--refresh` the only reads are the demo's image and flavor lookups, which the program makes on every run, plus whatever the compute hosts' periodic reports to Placement add): starting the `pulumi` CLI and its plugins, running the program, writing the state. " +
            (engine("pulumi preview (cold", "requests") === 0
                ? "The cold `preview` makes no request either: everything is to be created, so there is nothing to read."
                : `The cold \`preview\` makes ${formatNumber(engine("pulumi preview (cold", "requests"))} requests.`),
    );
    line(
        `- **The waits.** Octavia boots lb1's amphora as a (fake) Nova server: the guide's \`lb1\` phase took ${formatSeconds(guide("demo: lb1", "wall"))} s (the create + ${formatNumber(lbPolls)} poll${lbPolls === 1 ? "" : "s"}); ` +
            `each of the ${changeCount} later changes (listener, pool, 4 members, monitor) ${perChange.toFixed(1)} s on average, its call and the polls until ACTIVE again. ` +
            `The backends: ${formatSeconds(guide("demo: 4 backends", "wall"))} s for the four \`server create\`, then ${formatSeconds(guide("demo: the backends ACTIVE", "wall"))} s of \`server list\` until all had an address. ` +
            "The guide does all of it one step after the other. The stack waits for the same things (its provider polls Octavia and Nova), but boots the backends while lb1's amphora boots " +
            "(both need only the networks), and puts the four members in as one batch (one PUT of the member list, one wait). " +
            (engineLoadBalancer !== undefined
                ? `Its own \`LoadBalancer\` step took ${formatSeconds(engineLoadBalancer)} s against the guide's ${formatSeconds(guide("demo: lb1", "wall"))} s for the same create and wait` +
                  (engineLoadBalancer > guide("demo: lb1", "wall")
                      ? " (the amphora's server boots while Nova boots the four backends on the same 2 cores, and the provider polls Octavia at growing intervals, not every second: Octavia's worker and API logs of the run show when the load balancer went ACTIVE and when the provider looked). "
                      : ". ")
                : "") +
            "The amphora agent is noop, so a change is ACTIVE as soon as the worker has run its flow; with real amphorae (a VM booting an image, HAProxy reconfigured at every change) the waits would be longer on both sides.",
    );
    line(
        `- **Octavia restarts per node**: guide ${restartText("guide")} (its edit, its undo), engine ${restartText("engine")} (\`up\` and \`destroy\`; none for the no-change \`up\`).`,
    );
    line(
        "- **Idempotence is the other difference** (checked by hand on this cloud, not timed): a second `pulumi up` is a no-op with 0 requests, while running the guide's commands a second time " +
            "creates a second security group of the same name (Neutron does not require unique names), after which `security group rule create --protocol icmp lb-mgmt-sec-grp` fails with " +
            "`More than one SecurityGroup exists with the name 'lb-mgmt-sec-grp'.`; on a node, a second `iptables -I` adds a second rule.",
    );
    line();
}

/** Where the benchmark departs from the guide as written, and the findings of its run. */
function differencesFromTheGuide(ctx: Context, line: Line): void {
    const { notes, editor } = ctx;
    line("## Differences from the guide, and why");
    line();
    line("- **No DHCP**: the management networks have no DHCP server the nodes could reach (the local cloud has no DHCP agent wired to the nodes' br-int), so `dhclient -v o-hm0 -cf $OCTAVIA_DHCLIENT_CONF` is replaced by its static equivalent, `ip addr add <port ip>/24 dev o-hm0` and `ip link set o-hm0 up`. The stack does the same (`addressing: static`, its default).");
    line("- **The node steps run from this machine**, one `ssh stack@node sudo …` per command line of the guide (the guide's operator types them in a shell on the node). `--host $(hostname)` is the node's own host name (controller-r1, controller-r2), taken from the node facts.");
    line("- **octavia.conf** is edited one key per command (`crudini --set` where the node has it, else an awk one-liner with the same semantics: set the key in its section, replacing its line, else its commented-out sample line, else adding it at the end of the section, adding the section if missing" + (editor ? `; this run: ${editor}` : "") + "), after a `cp -p` backup that the undo moves back; the keys are those of guide step 4 the stack sets: `[health_manager]` bind_ip, bind_port, controller_ip_port_list, heartbeat_key, `[controller_worker]` amp_boot_network_list, amp_secgroup_list, `[neutron]` region_name (the central region), `[nova]` and `[glance]` region_name (the node's region). The guide's sample diff also sets service_name/endpoint/endpoint_type, which the stack's configuration leaves unset here, so neither side sets them.");
    line("- **The restart**: the nodes have no systemd; both sides run `echo restarted >>/run/octavia-restarts.log`, the restart command the stack is configured with on them (tools/lib/localStack.ts).");
    line("- **The undo** is not in the guide: the benchmark reverses every step: the load-balancer chain (monitor, members one by one, pool, listener, lb1, waiting after each, until lb1 is gone), the backends (one `server delete` per region, `server list` until they are gone), the networks (their delete retried while a port Octavia or Nova removes asynchronously still holds one), then the nodes (octavia.conf back, restart, `iptables -D`, `ovs-vsctl del-port`, which takes o-hm0 with its MAC and address), then the configuration's cloud side. It is counted apart from the procedure.");
    line("- **Names**: every name carries a per-run suffix on the guide's side (`net1-<suffix>`, `backend1-<suffix>`, `lb1-<suffix>`, …), and the stack's security groups, management networks and every name of its demo (networks, backends, load balancer, the members' references) carry `-engine-<suffix>`, so nothing clashes with the `local` stack on the same cloud. The stack names its health-manager ports `octavia-health-manager-<region>-<hostname>-listen-port` (no suffix; it keeps them by id) and its backends' group after the stack (`tricircle-lbaas-bench-demo-backend-http`).");
    line("- **What the stack does beyond the guide**, inside its measured time: an ip6tables rule next to the iptables one, the OVS `mac` column, checks that o-hm0 carries exactly the port's MAC and address, the boot-time persistence (a systemd unit and its helper, written even where no systemd runs), octavia.conf merged key by key with its original recorded for the undo, and a restart only when the file changed.");
    line("- **How to play, scenario 3 at once**: the guide grows its pool scenario by scenario (two backends on net1, then one on net1 in RegionTwo, then net2 and one backend on it in RegionTwo); the benchmark runs the same commands once for the third scenario's topology, the one the stack's demo deploys: net1, net2, the four backends, then lb1, listener, pool, the four members (each with its own network's subnet and the address `server list` shows), and a health monitor (HTTP, delay 5, timeout 3, 3 retries; the stack's demo has one, the guide's listing does not), waiting for ACTIVE after each load-balancer change. net2 (\"create network in RegionTwo\") is a central network, as net1 is.");
    line("- **Backends**: `nova boot --flavor 1 --image $image_id --nic net-id=…` is run as its openstackclient form, `server create --image cirros --flavor m1.tiny --nic net-id=…` (no lookup of the image's id), with the admin credentials and the project's default security group, as the guide does. The stack gives its backends their own group (HTTP from the demo networks, 2 rules) and its web server as user-data on a config drive. The servers are the fake virt driver's: nothing runs in them, so the guide's web-server simulation (`ssh cirros@…`, the `nc -l -p 80` loop) and `curl $VIP` are not run, on either side (the amphora agent is noop: no traffic crosses the VIP; test/host/verify.test.ts checks round robin against HAProxy).");
    line("- **Amphorae**: lb1's amphora boots where the local cloud's Octavia boots every amphora, on the cloud's own plane (`lc-amp-mgmt-net`, `lc-amp-sec-grp`, project `service`; lab/amphora-plane.sh is left as it is), on both sides: the bench nodes' octavia.conf, which both sides edit, is not the file the local Octavia reads.");
    if (notes.length) {
        line();
        line("## Found while running the guide as written");
        line();
        for (const n of notes) line(`- ${n}`);
    }
    line();
}

/** The figures measured before the benchmark, next to this run's. */
function earlierFigures(ctx: Context, line: Line): void {
    const { paths, guide, engine } = ctx;
    line("## Earlier figures, for comparison");
    line();
    line(
        "Measured before this benchmark existed, with the official `command` plugin and a bridged OpenStack provider, on the guide's topology with two controllers in namespaces (not from this run, not reproduced by it): " +
            "`preview` 42 creates 4.5 s; `up` 11.3 s; no-change `preview` 3.1 s; `destroy` 6 s; the guide's cloud-side procedure 39.5 s. " +
            `This run: ${formatNumber(paths[0]?.counts.previewCreates ?? 0)} creates in the cold \`preview\` ${formatSeconds(engine("pulumi preview (cold", "wall"))} s; \`up\` ${formatSeconds(engine("pulumi up, cold", "wall"))} s; no-change \`preview\` ${formatSeconds(engine("pulumi preview, no change", "wall"))} s; \`destroy\` ${formatSeconds(engine("pulumi destroy", "wall"))} s; the guide's configuration, cloud side ${formatSeconds(guide(GUIDE_SUM.cloud, "wall"))} s.`,
    );
    line();
}

/** The method, with the cross-checks' outcome. */
function howItIsMeasured(ctx: Context, line: Line): void {
    const { meta, many, table, upPaths, windowDifferences, varying } = ctx;
    line("## How it is measured");
    line();
    line(
        "- **One run** = the guide's whole procedure and undo, then the stack (create the stack, cold `preview`, cold `up`, no-change `up`, no-change `preview`, `preview --refresh`, `destroy`), then the CLI baseline, on the same cloud and the same two nodes, one after the other. " +
            "Before each side the bench saves the nodes' state (bench/node-state.sh, from outside the nodes with nsenter: devices and addresses, OVS ports, iptables and ip6tables rules, octavia.conf's sha256/size/mode/owner, /etc/octavia's listing, the stack's and the guide's files); " +
            "after the guide's undo and after `pulumi destroy` it compares, and the benchmark fails if any node differs (no o-hm0, no o-hm0 rule, octavia.conf byte for byte), or if a load balancer, server, network or security group of the run is left on the cloud. Every run passed both checks.",
    );
    line(
        "- **Wall time**: a monotonic clock around each phase (bash `$EPOCHREALTIME`, Node `process.hrtime`); the 0.5 s pause before each count (so that the services' last log lines land) is not included. The guide's sums are sums of its phases.",
    );
    line(
        "- **API requests**: the request lines the services appended to their logs during the phase (`bench/api-requests.sh`): `.local-cloud/log/keystone.log` and `octavia-api.log` (uwsgi's `[pid: …] … POST /v3/auth/tokens => generated …` lines), " +
            "`neutron-server.log` (`neutron.wsgi … \"PUT /v2.0/ports/… HTTP/1.1\" status: …`), `nova-api.log` (`nova.osapi_compute.wsgi.server … \"POST /v2.1/servers HTTP/1.1\" status: …`), `glance.log` (`eventlet.wsgi.server … \"GET /v2/images/… HTTP/1.1\" 200 …`) and `placement.log` (uwsgi's lines; its `placement.requestlog` lines repeat the same requests). " +
            "Keystone's count includes the token validations the other services make for the run's tokens; Nova's, Glance's and Placement's include the requests the Nova services and Octavia's worker make for the servers a phase boots or deletes (the amphora among them), " +
            "and Placement's also the compute hosts' periodic resource reports that fall into the phase, which are not the run's. " +
            "**SSH logins**: `Accepted publickey` lines in the bench nodes' sshd logs (`.local-cloud/nodes-bench/node*/log/sshd.log`); the state checks enter the nodes with nsenter and log in to nothing.",
    );
    const clean = windowDifferences.length > 0 && windowDifferences.every((d) => d === 0);
    line(
        "- The counts are of everything the services logged, so another client using the cloud at the same time is counted too (the cloud is shared with other work on this machine). " +
            "Two cross-checks: the guide's phases add up to the requests logged over its whole run " +
            (clean ? "exactly, in every run (nothing was logged between its phases)" : `with differences of ${windowDifferences.join(", ")} requests per run (requests logged between its phases)`) +
            "; and the counts of a phase are the same from run to run unless something else changed them: " +
            (!many
                ? "one run only, so this second check could not be made."
                : varying.length === 0
                  ? "they were, for every phase of every run."
                  : `they varied for ${varying.map((k) => `${k.section} "${k.phase}" (${table.rowsOf(k.section, k.phase).map((r) => requestCount(r)).join(", ")})`).join("; ")}` +
                    " (another client's requests, or Keystone's token validations, `GET /v3/auth/tokens`, which Neutron's and Octavia's keystonemiddleware skip when they have the token cached); the tables give the fewest."),
    );
    line(
        "- **CLI calls**: `openstack` processes started (the guide's, each one a full client start-up). **Client CPU**: user + system CPU of the client side: the CLI and ssh processes; for the engine the Node process (Automation API and the program) plus its waited-for children (the `pulumi` CLI and, through it, the plugins).",
    );
    line(
        "- **The stack's configuration** is the `local` stack's (Pulumi.local.yaml and tools/lib/localStack.ts: `openstack:cloud: local`, both regions and their CIDRs, `restartCommand`, the SSH user and pinned host keys) built from the bench nodes' facts (`nodeFacts(root, \"bench\")`), " +
            "with `amphoraProject: service` and the guide's third scenario as `demo`, the bench's own names and `securityGroups.allowedCidrs: [0.0.0.0/0, ::/0]` (the guide's rules; the stack's default would be the management CIDRs). Each run uses a fresh stack in a throw-away file backend; the program is the compiled `index.ts`, loaded afresh for every engine operation. " +
            "The Automation API runs `up` and `destroy` with `--skip-preview` (an interactive `pulumi up` previews first: add the cold `preview`), with the CLI's default parallelism.",
    );
    line(
        "- **Critical path**: each step's start is the engine's `resourcePreEvent` and its end the first `resOutputsEvent` (or `resOpFailedEvent`) of the same URN and operation, as received by the Automation API's event stream (gRPC, in this process) and stamped with `process.hrtime`: the events' own `timestamp` is in whole seconds, too coarse for steps of a fraction of a second " +
            `(it agrees with the received times to within ${formatSeconds(Math.max(...upPaths.map((c) => c.clockSkew), 0))} s, i.e. its rounding). The dependencies are the state's after \`up\` (\`stack.exportStack()\`): each resource's \`dependencies\`, \`propertyDependencies\`, \`parent\` and \`provider\`. ` +
            "Components (the stack itself, RegionalOctavia, ControllerNode, …) weigh nothing: their resOutputsEvent comes only when they register their outputs, after their children; they pass their own dependencies on to their children (a ControllerNode waits for its port's binding, and so do its commands). " +
            "The critical path is the chain with the largest sum of step durations; its span runs from its first step's start to its last step's end; the makespan from the first step's start (the stack's own registration) to the last step's end. For `destroy` the edges are reversed.",
    );
    line(`- The guide's waits poll \`loadbalancer show -c provisioning_status\` (and, for the backends, \`server list\`) every ${meta.pollInterval} s (\`BENCH_POLL_INTERVAL\`), each bounded by \`BENCH_WAIT_TIMEOUT\`. Every phase is bounded in time (each CLI and ssh call, each engine operation, each side as a whole); a trap deletes whatever a failed run left and restores the nodes.`);
    line("- Server-side CPU and memory were not measured, only the clients'. Times on this 2-CPU machine vary with other work on it (see the load averages above and the range column).");
    line();
}

/** Every run's own figures, when there are several. */
function perRunTable(ctx: Context, line: Line): void {
    const { many, table, paths, upRatios, destroyRatios, runIds } = ctx;
    if (!many) return;
    line("## Per run");
    line();
    line(`| phase | ${runIds.map((id) => `run ${id}: wall s / requests / SSH`).join(" | ")} |`);
    line(`| --- | ${runIds.map(() => "---:").join(" | ")} |`);
    for (const k of table.keys) {
        const cells = table.runs.map((rows) => {
            const r = rows.find((x) => x.section === k.section && x.phase === k.phase);
            return r ? `${formatSeconds(r.wall)} / ${formatNumber(requestCount(r))} / ${formatNumber(r.ssh)}` : "–";
        });
        line(`| ${k.section}: ${k.phase} | ${cells.join(" | ")} |`);
    }
    line(`| ratio guide whole procedure ÷ engine cold up | ${upRatios.map(formatRatio).join(" | ")} |`);
    line(`| ratio guide whole undo ÷ engine destroy | ${destroyRatios.map(formatRatio).join(" | ")} |`);
    line(`| engine: cold up, critical path / makespan s | ${paths.map((c) => (c.up ? `${formatSeconds(c.up.length)} / ${formatSeconds(c.up.makespan)}` : "–")).join(" | ")} |`);
    line(`| engine: destroy, critical path / makespan s | ${paths.map((c) => (c.destroy ? `${formatSeconds(c.destroy.length)} / ${formatSeconds(c.destroy.makespan)}` : "–")).join(" | ")} |`);
    line();
}
