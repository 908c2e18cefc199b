// The stack's side of the benchmark: the whole index.ts program (the guide's topology: the management plane of both
// regions, one controller per region on the benchmark's own node pair, and the demo of Pulumi.local.yaml, the
// guide's third scenario: net1, net2, four backends, lb1 with its listener, pool, members and monitor) through the
// real engine, in this process through the Automation API (tools/lib/engine.ts), with the project's plugins,
// against the local cloud with compute.
// Phases: create the stack, `preview` (cold: everything to create), `up` cold, `up` with no change, `preview` with
// no change, `preview --refresh` with no change (the nodes' drift checks over SSH included), `destroy`. Each phase
// is timed and the API requests and SSH logins it caused are counted (bench/api-requests.sh), as for the
// guide's phases.
//
// Compiled (with index.ts and components/) and run by bench/run.sh; writes one tab-separated row per phase to
// $BENCH_OUT (section, phase, wall seconds, keystone, neutron, octavia, new tokens, server seconds, openstack CLI
// calls, client CPU seconds, SSH logins, nova, glance, placement: see lib.sh) and, to $BENCH_STEPS_OUT, the engine's steps of the cold `up`
// and of the `destroy` (start and end of each, per URN, from the engine's events) with the dependencies of every
// resource from the state after `up` (`dependencies`, `propertyDependencies`, `parent`, `provider`; the types in
// rawResults.ts): bench/report/ computes the critical path and the makespan from them.
//
// Names: the security groups, the management networks and every name of the demo (its networks, backends and load
// balancers, and the members' references to them) carry "-engine-<BENCH_SUFFIX>", so nothing clashes with the
// `local` stack deployed on the same cloud or with the guide's run (its names end in -<BENCH_SUFFIX>). The demo's
// backend group is named after the stack, "bench" (components/demo/demo.ts). Every engine operation is bounded
// (BENCH_ENGINE_TIMEOUT seconds, default 600); on a failure the stack is destroyed (bounded too) and the caller's
// trap removes by name whatever is left.
import { Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { requireEngine, STACK_PLUGINS, throwAwayStack } from "../tools/lib/engine";
import { localStackConfig, localStackSecrets, nodeFacts, writeStackFile } from "../tools/lib/localStack";
import { bounded as bounded_, freshProgram, markLogs as markLogs_, requestsSince as requestsSince_, stepRecorder } from "./engineRun";
import { StateResource, StepsRecord } from "./rawResults";

// Compiled into node_modules/.cache/tricircle-bench/bench/: the checkout comes from run.sh, the compiled
// program (index.js, components/) is one folder up.
const ROOT = process.env.BENCH_ROOT ?? process.cwd();
const PROGRAM_DIR = path.resolve(__dirname, "..");
const CLOUDS_YAML = path.join(ROOT, ".local-cloud", "clouds.yaml");
const OUT = process.env.BENCH_OUT ?? "";
const STEPS_OUT = process.env.BENCH_STEPS_OUT ?? "";
const SUFFIX = `engine-${process.env.BENCH_SUFFIX ?? randomBytes(3).toString("hex")}`;
const TIMEOUT_S = Number(process.env.BENCH_ENGINE_TIMEOUT ?? 600);
const SECTION = "engine";
const STACK_NAME = "bench";
const PASSPHRASE = "bench-local-only";

// The program (index.ts) and the in-process provider code resolve credentials from this process's environment.
process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;

function say(msg: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] engine: ${msg}\n`);
}

function markLogs(): string {
    return markLogs_(ROOT, SUFFIX);
}

function requestsSince(mark: string): number[] {
    return requestsSince_(ROOT, mark);
}

/** User + system CPU seconds of this process and of its children that were waited for (Linux /proc). */
function cpuSeconds(): number {
    const self = process.cpuUsage();
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ": state is field 3, cutime field 16 and cstime field 17 (1-based, man 5 proc).
    const ticks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
    const hz = Number(process.env.BENCH_CLK_TCK ?? 100);
    return (self.user + self.system) / 1e6 + ticks / hz;
}

/** Runs one phase: wall time, API requests and SSH logins from the logs; appends the row to $BENCH_OUT. */
async function phase<T>(name: string, body: () => Promise<T> | T): Promise<T> {
    const mark = markLogs();
    const cpu0 = cpuSeconds();
    const t0 = process.hrtime.bigint();
    const result = await body();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds() - cpu0;
    const [keystone, neutron, octavia, tokens, server, ssh, nova = 0, glance = 0, placement = 0] = requestsSince(mark);
    const row = [SECTION, name, wall.toFixed(2), keystone, neutron, octavia, tokens, server.toFixed(2), 0, cpu.toFixed(2), ssh, nova, glance, placement].join("\t");
    if (OUT) fs.appendFileSync(OUT, row + "\n");
    say(
        `${name}: ${wall.toFixed(2)} s, requests keystone ${keystone} (new tokens ${tokens}), neutron ${neutron}, octavia ${octavia}, nova ${nova}, glance ${glance}, placement ${placement}, server ${server.toFixed(2)} s, SSH logins ${ssh}, CPU ${cpu.toFixed(2)} s`,
    );
    return result;
}

/** The whole program, index.ts, loaded afresh for every engine run (its modules read the config when loaded). */
const program = freshProgram(PROGRAM_DIR);

/** The `local` stack's configuration (tools/lib/localStack.ts) on the bench nodes, with the bench's own names. */
function benchConfig(): { config: Record<string, unknown>; secrets: Record<string, string>; nodes: number } {
    const facts = nodeFacts(ROOT, "bench");
    const config = localStackConfig(ROOT, facts);
    // The guide's groups: open to every source (the stack's default is the management CIDRs), IPv4 and IPv6.
    config["tricircle-lbaas:securityGroups"] = {
        amphora: `lb-mgmt-sec-grp-${SUFFIX}`,
        healthManager: `lb-health-mgr-sec-grp-${SUFFIX}`,
        allowedCidrs: ["0.0.0.0/0", "::/0"],
    };
    const regions = config["tricircle-lbaas:regions"] as Array<{ mgmt: Record<string, unknown>; controllers?: unknown[] }>;
    regions.forEach((r, i) => {
        r.mgmt = { ...r.mgmt, network: `lb-mgmt-net${i + 1}-${SUFFIX}`, subnet: `lb-mgmt-subnet${i + 1}-${SUFFIX}` };
    });
    const demo = config["tricircle-lbaas:demo"] as RawDemo | undefined;
    if (!demo?.loadBalancers?.length || !demo.backends?.length) throw new Error("Pulumi.local.yaml has no demo with backends and a load balancer: the bench compares the guide's whole procedure");
    config["tricircle-lbaas:demo"] = suffixDemo(demo, (name) => `${name}-${SUFFIX}`);
    const nodes = regions.reduce((n, r) => n + (r.controllers?.length ?? 0), 0);
    if (nodes !== 2) throw new Error(`the bench topology has ${nodes} controllers, expected 2 (one per region): are the bench nodes running?`);
    return { config, secrets: localStackSecrets(facts), nodes };
}

/** What the demo's config (as written in Pulumi.local.yaml, before the schema parses it) names and refers to. */
interface RawDemo {
    networks: Array<{ name: string }>;
    backends?: Array<{ name: string; network: string }>;
    loadBalancers?: Array<{ name: string; vipNetwork: string; members?: string[] }>;
}

/** The demo with every name it defines, and every reference to one, renamed (networks, backends, load balancers). */
function suffixDemo<T extends RawDemo>(demo: T, rename: (name: string) => string): T {
    return {
        ...demo,
        networks: demo.networks.map((n) => ({ ...n, name: rename(n.name) })),
        backends: demo.backends?.map((b) => ({ ...b, name: rename(b.name), network: rename(b.network) })),
        loadBalancers: demo.loadBalancers?.map((lb) => ({ ...lb, name: rename(lb.name), vipNetwork: rename(lb.vipNetwork), members: lb.members?.map(rename) })),
    };
}

/** Runs an engine operation within its bound (BENCH_ENGINE_TIMEOUT). */
function bounded<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return bounded_(what, TIMEOUT_S, say, run);
}

function checkOps(what: string, summary: Record<string, number> | undefined, want: Record<string, number>): void {
    const got = Object.fromEntries(Object.entries(summary ?? {}).filter(([, n]) => n > 0));
    const wantPositive = Object.fromEntries(Object.entries(want).filter(([, n]) => n > 0));
    if (JSON.stringify(Object.entries(got).sort()) !== JSON.stringify(Object.entries(wantPositive).sort())) {
        throw new Error(`${what}: ${JSON.stringify(got)}, expected ${JSON.stringify(wantPositive)}`);
    }
}

/** o-hm0 on each bench node as the node itself has it (node-state.sh, outside the timed phases). */
function nodeOhm0(): string {
    return execFileSync("bash", [path.join(ROOT, "bench", "node-state.sh"), "ohm0"], { encoding: "utf8", timeout: 60_000 }).trim();
}

async function main(): Promise<void> {
    requireEngine(ROOT, STACK_PLUGINS);
    const { config, secrets } = benchConfig();
    let stack: Stack | undefined;
    let backend = "";
    let workDir = "";
    let destroyed = false;
    const record: StepsRecord = {
        resources: [],
        up: [],
        destroy: [],
        counts: {},
        parallel: "the CLI's default",
    };
    try {
        stack = await phase("create the stack (stack init, config)", async () => {
            const made = await throwAwayStack({ root: ROOT, projectName: "tricircle-lbaas", stackName: STACK_NAME, program, passphrase: PASSPHRASE });
            ({ backend, workDir } = made);
            writeStackFile(workDir, STACK_NAME, config);
            for (const [key, value] of Object.entries(secrets)) await made.stack.setConfig(key, { value, secret: true }, true);
            return made.stack;
        });
        const st = stack;

        const cold = await phase("pulumi preview (cold: everything to create)", () => bounded("preview", (signal) => st.preview({ signal })));
        const creates = cold.changeSummary.create ?? 0;
        if (creates < 30) throw new Error(`the cold preview plans ${JSON.stringify(cold.changeSummary)}: fewer creates than the whole stack has`);
        record.counts.previewCreates = creates;

        const rec = stepRecorder();
        const up = await phase("pulumi up, cold", () => {
            rec.t0();
            return bounded("up", (signal) => st.up({ onEvent: rec.onEvent, signal }));
        });
        checkOps("up, cold", up.summary.resourceChanges, { create: creates });
        record.up = rec.steps;
        record.counts.upCreates = up.summary.resourceChanges?.create ?? 0;
        // Outside the timed phases: what the nodes really have, and the dependencies the engine recorded.
        const outputs = await st.outputs();
        const regions = outputs.regions?.value as Record<string, { healthManagers: Array<{ hostname: string; ip: string; mac: string }> }>;
        const declared = Object.values(regions)
            .flatMap((r) => r.healthManagers)
            .map((h) => `${h.hostname} ${h.mac} ${h.ip}`)
            .sort();
        const onNodes = nodeOhm0().split("\n").sort();
        if (JSON.stringify(declared) !== JSON.stringify(onNodes)) throw new Error(`o-hm0 after up: the nodes have ${JSON.stringify(onNodes)}, the stack says ${JSON.stringify(declared)}`);
        say(`verified: o-hm0 on the nodes is the stack's (${onNodes.join("; ")})`);
        const deployment = (await st.exportStack()).deployment as { resources?: StateResource[] };
        record.resources = (deployment.resources ?? []).map((r) => ({
            urn: r.urn,
            type: r.type,
            parent: r.parent,
            provider: r.provider,
            dependencies: r.dependencies,
            propertyDependencies: r.propertyDependencies,
        }));

        const again = await phase("pulumi up, no change", () => bounded("up, no change", (signal) => st.up({ signal })));
        checkOps("up, no change", again.summary.resourceChanges, { same: creates });
        const nochange = await phase("pulumi preview, no change", () => bounded("preview, no change", (signal) => st.preview({ signal })));
        checkOps("preview, no change", nochange.changeSummary, { same: creates });
        // The drift check: a refresh reads every resource, the nodes' NodeDrift over SSH (one login each).
        const refreshed = await phase("pulumi preview --refresh, no change", () =>
            bounded("preview --refresh, no change", (signal) => st.preview({ refresh: true, expectNoChanges: true, signal })),
        );
        checkOps("preview --refresh, no change", refreshed.changeSummary, { same: creates });

        const drec = stepRecorder();
        const down = await phase("pulumi destroy", () => {
            drec.t0();
            return bounded("destroy", (signal) => st.destroy({ onEvent: drec.onEvent, signal }));
        });
        destroyed = true;
        checkOps("destroy", down.summary.resourceChanges, { delete: creates });
        record.destroy = drec.steps;
    } finally {
        if (STEPS_OUT) fs.writeFileSync(STEPS_OUT, JSON.stringify(record));
        if (stack && !destroyed) {
            say("cleaning up: destroy (not timed)");
            const st = stack;
            await bounded("cleanup destroy", (signal) => st.destroy({ signal })).catch((e: Error) =>
                say(`cleanup destroy failed (the caller's trap removes what is left by name): ${e.message.split("\n").slice(-5).join(" ")}`),
            );
        }
        if (backend) fs.rmSync(backend, { recursive: true, force: true });
        if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    }
}

main().catch((e: Error) => {
    say(`FAILED: ${e.stack ?? e.message}`);
    process.exitCode = 1;
});
