// The guide's side of the scale benchmark: bench/guide-procedure.sh, the same script the two-node benchmark times,
// run for the nodes of the first N regions (two per region) without "How to play" (BENCH_GUIDE_DEMO=0), so that it
// does what the stack's side does: the central groups, a management network per region, a port per controller bound
// to its host, and each node's o-hm0, firewall rule, octavia.conf and restart; then the undo of all of it. Its phase
// rows (bench/lib.sh) are summed into the configuration (compared with the stack's up) and the undo (compared with
// destroy). Afterwards the nodes must be as before (bench/node-state.sh check), as after the stack's destroy.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalNode, NodeFacts } from "../../tools/lib/localStack";
import { GuideMeasure } from "./record";

/** One row of guide-procedure.sh's output (bench/lib.sh's `phase`): the columns the scale report needs. */
export interface GuidePhase {
    phase: string;
    wallS: number;
    apiRequests: number;
    cliCalls: number;
    sshLogins: number;
}

/** The tab-separated rows of bench/lib.sh's `phase`, the guide's section only. */
export function parseGuideRows(tsv: string): GuidePhase[] {
    return tsv
        .split("\n")
        .filter((line) => line.startsWith("guide\t"))
        .map((line) => {
            const c = line.split("\t");
            const n = (i: number) => Number(c[i] ?? 0) || 0;
            // keystone, neutron, octavia (3-5), nova, glance, placement (11-13); column 6 counts new tokens, a part
            // of keystone's requests, not more of them.
            return { phase: c[1], wallS: n(2), apiRequests: n(3) + n(4) + n(5) + n(11) + n(12) + n(13), cliCalls: n(8), sshLogins: n(10) };
        });
}

/** The guide's configuration (every phase but the undo's) and its undo, each summed. */
export function sumGuide(rows: GuidePhase[]): { config: GuideMeasure; undo: GuideMeasure } {
    const sum = (part: GuidePhase[]): GuideMeasure => ({
        wallS: part.reduce((a, r) => a + r.wallS, 0),
        apiRequests: part.reduce((a, r) => a + r.apiRequests, 0),
        sshLogins: part.reduce((a, r) => a + r.sshLogins, 0),
        cliCalls: part.reduce((a, r) => a + r.cliCalls, 0),
    });
    if (rows.some((r) => r.phase.startsWith("demo:") || r.phase.startsWith("undo: demo"))) throw new Error("the scale benchmark's guide runs without How to play (BENCH_GUIDE_DEMO=0)");
    const undo = rows.filter((r) => r.phase.startsWith("undo:"));
    if (!undo.length || undo.length === rows.length) throw new Error(`the guide's rows lack its configuration or its undo: ${rows.map((r) => r.phase).join("; ")}`);
    return { config: sum(rows.filter((r) => !r.phase.startsWith("undo:"))), undo: sum(undo) };
}

/** What guide-procedure.sh is told of the nodes: BENCH_NODE_COUNT and BENCH_NODE<N>_HOST / _HOSTNAME / _REGION. */
export function guideNodeEnv(nodes: LocalNode[]): Record<string, string> {
    const env: Record<string, string> = { BENCH_NODE_COUNT: String(nodes.length) };
    nodes.forEach((x, i) => Object.assign(env, { [`BENCH_NODE${i + 1}_HOST`]: x.host, [`BENCH_NODE${i + 1}_HOSTNAME`]: x.hostname, [`BENCH_NODE${i + 1}_REGION`]: x.region }));
    return env;
}

export interface GuideRun {
    root: string;
    facts: NodeFacts;
    /** The nodes of the regions measured, grouped by region. */
    nodes: LocalNode[];
    /** The scale node set's folder (known_hosts, the sshd logs node-state.sh and api-requests.sh read). */
    nodesDir: string;
    /** Where node-state.sh saved the nodes before the run: the guide's trap restores them from it on failure. */
    nodeState: string;
    timeoutS: number;
}

/** Runs the guide's procedure and its undo for these nodes; fails if the nodes are not back as they were. */
export function runGuide(run: GuideRun): { config: GuideMeasure; undo: GuideMeasure } {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tricircle-lbaas-scale-guide-")), "rows.tsv");
    try {
        execFileSync("bash", [path.join(run.root, "bench", "guide-procedure.sh")], {
            stdio: ["ignore", "ignore", "inherit"],
            timeout: run.timeoutS * 1000,
            killSignal: "SIGTERM",
            env: {
                ...process.env,
                ...guideNodeEnv(run.nodes),
                BENCH_GUIDE_DEMO: "0",
                BENCH_OUT: out,
                BENCH_SSH_USER: run.facts.user,
                BENCH_SSH_KEY: run.facts.privateKeyFile,
                BENCH_KNOWN_HOSTS: path.join(run.nodesDir, "known_hosts"),
                BENCH_HEARTBEAT_KEY_FILE: run.facts.heartbeatKeyFile,
                BENCH_NODE_STATE: run.nodeState,
                BENCH_NODES_DIR: run.nodesDir,
            },
        });
        nodesAsBefore(run, "the guide's undo");
        return sumGuide(parseGuideRows(fs.readFileSync(out, "utf8")));
    } finally {
        fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
}

/** bench/node-state.sh check: every scale node as it was saved before the run, or an error naming the step. */
export function nodesAsBefore(run: Pick<GuideRun, "root" | "nodesDir" | "nodeState">, after: string): void {
    execFileSync("bash", [path.join(run.root, "bench", "node-state.sh"), "check", run.nodeState, after], {
        stdio: ["ignore", "inherit", "inherit"],
        timeout: 300_000,
        env: { ...process.env, BENCH_NODES_DIR: run.nodesDir },
    });
}
