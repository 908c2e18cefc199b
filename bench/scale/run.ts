// npm run bench -- --scale: how the stack's cost grows with the cloud. For 1, 2, 4, 8 and 16 regions with two
// controllers each (the management plane and the nodes; no demo, whose size does not grow with regions), the whole
// index.ts through the real engine, in this process through the Automation API, against the local cloud grown to 16
// regions (LOCAL_CLOUD_REGIONS) and its scale node set (LOCAL_NODES_SET=scale of lab/nodes.sh, each node with its L2
// agent): `preview` cold, `up` cold, `preview` with no change, `preview --refresh` with no change, `destroy`. Each
// operation: wall time, API requests and SSH logins from the logs (bench/api-requests.sh, BENCH_SSHD_LOGS at the scale
// nodes), the peak memory of the engine and its plugins (every process below this one), and for `up` and `destroy`
// the engine's critical path and makespan (bench/report/analyze.ts, from the steps and the state's dependencies).
// Before the stack, at each size, the guide's procedure by hand for the same nodes and its undo (guide.ts). After the
// guide's undo and after destroy, every node must be as run.sh saved it. BENCH_SCALE_PARALLEL: the engine's
// --parallel for every operation (default: the engine's own, 4 per core). Writes the record (record.ts) to
// $BENCH_SCALE_OUT.
//
// Compiled (with index.ts and components/) and run by bench/scale/run.sh.
import { Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireEngine, STACK_PLUGINS, workspaceStack } from "../../tools/lib/engine";
import { LocalNode, localRestartCommand, localStackSecrets, NodeFacts, nodeFacts, writeStackFile } from "../../tools/lib/localStack";
import { bounded, freshProgram, markLogs, requestsSince, stepRecorder } from "../engineRun";
import { criticalPath } from "../report/analyze";
import { StateResource, StepsRecord } from "../rawResults";
import { busyShare, CpuMeasure, cpuSampler, readSnapshot } from "./cpu";
import { nodesAsBefore, runGuide } from "./guide";
import { OpMeasure, ScaleOp, ScaleRecord, ScaleSize } from "./record";

const ROOT = process.env.BENCH_ROOT ?? process.cwd();
// Compiled into node_modules/.cache/tricircle-bench-scale/bench/scale/: the program is two folders up.
const PROGRAM_DIR = path.resolve(__dirname, "..", "..");
const OUT = process.env.BENCH_SCALE_OUT ?? "";
const SIZES = (process.env.BENCH_SCALE_SIZES ?? "1,2,4,8,16").split(",").map(Number);
const TIMEOUT_S = Number(process.env.BENCH_ENGINE_TIMEOUT ?? 900);
const PASSPHRASE = "bench-scale-local-only";
// The scale node set's folder, and where run.sh saved its nodes before the run (bench/node-state.sh save).
const NODES_DIR = process.env.BENCH_NODES_DIR ?? path.join(ROOT, ".local-cloud", "nodes-scale");
const NODE_STATE = process.env.BENCH_NODE_STATE ?? "";
// BENCH_SCALE_GUIDE=0: the stack's side only.
const GUIDE = process.env.BENCH_SCALE_GUIDE !== "0";
const PARALLEL = process.env.BENCH_SCALE_PARALLEL ? Number(process.env.BENCH_SCALE_PARALLEL) : undefined;

process.env.OS_CLIENT_CONFIG_FILE = path.join(ROOT, ".local-cloud", "clouds.yaml");

function say(msg: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] scale: ${msg}\n`);
}

/** The first `n` regions of the scale nodes, and their nodes grouped by region in that order: both sides measure these. */
function firstRegions(facts: NodeFacts, n: number): { regions: string[]; nodes: LocalNode[] } {
    const regions = [...new Set(facts.nodes.map((x) => x.region))].slice(0, n);
    if (regions.length < n) throw new Error(`the scale nodes cover ${regions.length} regions, not ${n}: LOCAL_CLOUD_REGIONS=16 bash lab/start.sh, then LOCAL_CLOUD_REGIONS=16 LOCAL_NODES_SET=scale bash lab/nodes.sh start`);
    const nodes = facts.nodes.filter((x) => regions.includes(x.region)).sort((a, b) => regions.indexOf(a.region) - regions.indexOf(b.region));
    return { regions, nodes };
}

/** The stack for the first `n` regions of the scale nodes, every name carrying `suffix`. */
function scaleConfig(facts: NodeFacts, n: number, suffix: string): Record<string, unknown> {
    const { regions, nodes } = firstRegions(facts, n);
    return {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:securityGroups": { amphora: `scale-amp-sec-grp-${suffix}`, healthManager: `scale-hm-sec-grp-${suffix}` },
        "tricircle-lbaas:healthManager": { port: 5555 },
        "tricircle-lbaas:regions": regions.map((name, i) => {
            const mine = nodes.filter((x) => x.region === name);
            return {
                name,
                mgmt: { network: `scale-mgmt-net${i + 1}-${suffix}`, subnet: `scale-mgmt-subnet${i + 1}-${suffix}`, cidr: `192.168.${100 + i}.0/24` },
                controllers: mine.map((x) => ({ host: x.host, hostname: x.hostname })),
                // The scale nodes run no Octavia: the restart is the counted line, without the lab's worker.
                octavia: { configFile: mine[0].configFile, restartCommand: localRestartCommand(ROOT, name, mine[0].configFile, false) },
            };
        }),
        "tricircle-lbaas:ssh": { user: facts.user, hostKeys: Object.fromEntries(nodes.map((x) => [x.host, x.hostKey])) },
    };
}

/** Every process below `root` (by parent pid), from /proc. */
function descendants(root: number): number[] {
    const parent = new Map(readSnapshot().map((p) => [p.pid, p.ppid]));
    const out: number[] = [];
    const walk = (p: number) => {
        for (const [child, pp] of parent) {
            if (pp === p) {
                out.push(child);
                walk(child);
            }
        }
    };
    walk(root);
    return out;
}

/** Samples the summed resident memory of this process's descendants (the engine and its plugins) every 250 ms. */
function memorySampler(): { stop: () => void; peak: () => number } {
    const page = 4096;
    let peak = 0;
    const sample = () => {
        let sum = 0;
        for (const pid of descendants(process.pid)) {
            try {
                sum += Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * page;
            } catch {
                // gone meanwhile
            }
        }
        peak = Math.max(peak, sum);
    };
    const timer = setInterval(sample, 250);
    sample();
    return { stop: () => clearInterval(timer), peak: () => peak / 2 ** 20 };
}

/** One operation, measured. */
async function measure<T>(tag: string, what: string, run: () => Promise<T>): Promise<{ result: T; m: OpMeasure }> {
    const mark = markLogs(ROOT, tag);
    const memory = memorySampler();
    const cpu = cpuSampler();
    const t0 = process.hrtime.bigint();
    let result: T;
    let cpuMeasure: CpuMeasure;
    try {
        result = await run();
    } finally {
        // Stopped on failure too: their timers would keep the process alive.
        memory.stop();
        cpuMeasure = cpu.stop();
    }
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    const peakRssMb = memory.peak();
    const [keystone, neutron, octavia, , , ssh, nova = 0, glance = 0, placement = 0] = requestsSince(ROOT, mark);
    const m: OpMeasure = { wallS, apiRequests: keystone + neutron + octavia + nova + glance + placement, sshLogins: ssh, peakRssMb, cpu: cpuMeasure };
    const busy = busyShare(cpuMeasure);
    say(`${what}: ${wallS.toFixed(1)} s, ${m.apiRequests} API requests, ${ssh} SSH logins, peak ${peakRssMb.toFixed(0)} MiB, cores ${busy === undefined ? "?" : (100 * busy).toFixed(0)} % busy`);
    return { result, m };
}

/** The guide's procedure and its undo for the nodes of the first `n` regions, with nothing of the stack on the cloud. */
/** Bytes of a stack's state file in a file:// backend (plain JSON, or gzip'd where the backend compresses it). */
function stateFileBytes(backend: string, stackName: string): number {
    const dir = path.join(backend, ".pulumi", "stacks", "tricircle-lbaas");
    for (const name of [`${stackName}.json`, `${stackName}.json.gz`]) {
        const file = path.join(dir, name);
        if (fs.existsSync(file)) return fs.statSync(file).size;
    }
    throw new Error(`no state file of stack ${stackName} in ${dir}`);
}

function guideSide(facts: NodeFacts, n: number): Pick<ScaleSize, "guide" | "guideUndo"> {
    const { nodes } = firstRegions(facts, n);
    const t0 = Date.now();
    const { config, undo } = runGuide({ root: ROOT, facts, nodes, nodesDir: NODES_DIR, nodeState: NODE_STATE, timeoutS: TIMEOUT_S * 2 });
    say(`${n} regions: the guide by hand, ${config.wallS.toFixed(1)} s (${config.cliCalls} CLI calls, ${config.sshLogins} SSH logins), its undo ${undo.wallS.toFixed(1)} s; ${((Date.now() - t0) / 1000).toFixed(0)} s with the pauses between phases`);
    return { guide: config, guideUndo: undo };
}

async function oneSize(facts: NodeFacts, n: number): Promise<ScaleSize> {
    const guide = GUIDE ? guideSide(facts, n) : {};
    const suffix = `${n}r-${randomBytes(3).toString("hex")}`;
    const config = scaleConfig(facts, n, suffix);
    const controllers = (config["tricircle-lbaas:regions"] as Array<{ controllers: unknown[] }>).reduce((a, r) => a + r.controllers.length, 0);
    const program = freshProgram(PROGRAM_DIR);
    // The work folder inside the checkout: the dynamic providers' serialised code requires the compiled program from
    // node_modules/.cache by a path its resolution finds only from below the checkout.
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "tricircle-lbaas-scale-state-"));
    const workDir = fs.mkdtempSync(path.join(ROOT, ".local-cloud", "scale-work-"));
    const made = { backend, workDir, stack: await workspaceStack({ root: ROOT, projectName: "tricircle-lbaas", stackName: `scale-${n}`, program, passphrase: PASSPHRASE, workDir, backendUrl: `file://${backend}` }) };
    const stack: Stack = made.stack;
    writeStackFile(made.workDir, `scale-${n}`, config);
    for (const [key, value] of Object.entries(localStackSecrets(facts))) await stack.setConfig(key, { value, secret: true }, true);
    const ops: Partial<Record<ScaleOp, OpMeasure>> = {};
    const steps: StepsRecord = { resources: [], up: [], destroy: [], counts: {}, parallel: PARALLEL ? String(PARALLEL) : "the CLI's default" };
    let destroyed = false;
    let resources = 0;
    let stateKiB: number | undefined;
    try {
        ops["preview-cold"] = (await measure(suffix, `${n} regions: preview, cold`, () => bounded("preview", TIMEOUT_S, say, (signal) => stack.preview({ signal, parallel: PARALLEL })))).m;
        const rec = stepRecorder();
        ops["up-cold"] = (
            await measure(suffix, `${n} regions: up, cold`, () => {
                rec.t0();
                return bounded("up", TIMEOUT_S, say, (signal) => stack.up({ onEvent: rec.onEvent, signal, parallel: PARALLEL }));
            })
        ).m;
        steps.up = rec.steps;
        const deployment = (await stack.exportStack()).deployment as { resources?: StateResource[] };
        steps.resources = deployment.resources ?? [];
        resources = steps.resources.length;
        stateKiB = stateFileBytes(made.backend, `scale-${n}`) / 1024;
        ops["preview-nochange"] = (await measure(suffix, `${n} regions: preview, no change`, () => bounded("preview", TIMEOUT_S, say, (signal) => stack.preview({ signal, expectNoChanges: true, parallel: PARALLEL })))).m;
        ops["preview-refresh"] = (
            await measure(suffix, `${n} regions: preview --refresh, no change`, () => bounded("preview --refresh", TIMEOUT_S, say, (signal) => stack.preview({ signal, refresh: true, expectNoChanges: true, parallel: PARALLEL })))
        ).m;
        const drec = stepRecorder();
        ops.destroy = (
            await measure(suffix, `${n} regions: destroy`, () => {
                drec.t0();
                return bounded("destroy", TIMEOUT_S, say, (signal) => stack.destroy({ onEvent: drec.onEvent, signal, parallel: PARALLEL }));
            })
        ).m;
        destroyed = true;
        nodesAsBefore({ root: ROOT, nodesDir: NODES_DIR, nodeState: NODE_STATE }, "pulumi destroy");
        steps.destroy = drec.steps;
        for (const which of ["up", "destroy"] as const) {
            const cp = criticalPath(steps, which);
            const op = ops[which === "up" ? "up-cold" : "destroy"]!;
            if (cp) Object.assign(op, { criticalPathS: cp.length, makespanS: cp.makespan });
        }
    } finally {
        if (!destroyed) {
            say(`${n} regions: cleaning up (destroy, not timed)`);
            await bounded("cleanup destroy", TIMEOUT_S, say, (signal) => stack.destroy({ signal })).catch((e: Error) => say(`cleanup destroy failed: ${e.message.split("\n").slice(-3).join(" ")}`));
        }
        fs.rmSync(made.backend, { recursive: true, force: true });
        fs.rmSync(made.workDir, { recursive: true, force: true });
    }
    return { regions: n, controllers, resources, ...(stateKiB !== undefined ? { stateKiB } : {}), ops, ...guide };
}

async function main(): Promise<void> {
    requireEngine(ROOT, STACK_PLUGINS);
    if (!NODE_STATE) throw new Error("BENCH_NODE_STATE: the nodes' state saved before the run (bench/node-state.sh save); run this with bench/scale/run.sh");
    const facts = nodeFacts(ROOT, "scale");
    const record: ScaleRecord = {
        date: new Date().toISOString().slice(0, 10),
        machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${fs.readFileSync("/etc/debian_version", "utf8").trim().replace(/^/, "Debian ")}`,
        load: `load average ${os.loadavg()[0].toFixed(2)} at start`,
        parallel: PARALLEL ? String(PARALLEL) : `the engine's default, ${4 * os.cpus().length} (4 per core)`,
        ...(GUIDE ? {} : { note: "the stack's side only (--no-guide)" }),
        commit: execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
        sizes: [],
    };
    for (const n of SIZES) {
        record.sizes.push(await oneSize(facts, n));
        if (OUT) fs.writeFileSync(OUT, JSON.stringify(record, null, 2));
    }
}

main().catch((e: Error) => {
    say(`FAILED: ${e.stack ?? e.message}`);
    process.exitCode = 1;
});
