// Where the machine's CPU went during an engine operation of the scale benchmark. The makespan runs far past the
// critical path at 8 and 16 regions, and the question is whether steps wait for one another (the engine scheduling
// badly: the stack's to fix) or for a core (the lab's two cores shared by the engine, the cloud and the nodes). The
// machine's busy time is exact (/proc/stat); who used it is sampled: every process's own CPU time (/proc/<pid>/stat)
// twice a second, each put in a group by what it is. A process that lives less than one sample interval (an ssh, a
// node's script, an ovs-vsctl) is not seen: its time shows as "not seen", the busy time no group accounts for.
//
// The parsing and the arithmetic are pure (CpuAccount, cpuGroup, parse*), tested on text written by hand; only
// readSnapshot and cpuSampler touch /proc.
import { execFileSync } from "child_process";
import * as fs from "fs";

/**
 * Who used the CPU:
 * - "engine": the `pulumi` CLI, which plans, diffs and writes the state after every step;
 * - "plugins": the resource plugins it starts (openstack, command, the dynamic providers' Node.js host);
 * - "program": this Node.js process: the Automation API, the stack's program, and this sampler;
 * - "cloud": the local cloud's services (Keystone, Neutron, Nova, Octavia, Glance, Placement, their database, queue,
 *   cache and the compute hosts' agents);
 * - "nodes": the controller nodes: everything in their network namespaces (sshd, their Open vSwitch, the scripts the
 *   stack runs there) and their L2 agents, which run beside them;
 * - "other": everything else on the machine (other work on a shared machine, the kernel's threads).
 */
export type CpuGroup = "engine" | "plugins" | "program" | "cloud" | "nodes" | "other";

/** Every CpuGroup, in the order the report's columns show them. */
export const CPU_GROUPS: ReadonlyArray<CpuGroup> = ["engine", "plugins", "program", "cloud", "nodes", "other"];

/** How the report's table heads each group's column. */
export const CPU_GROUP_LABELS: Readonly<Record<CpuGroup, string>> = {
    engine: "`pulumi` CLI",
    plugins: "plugins",
    program: "program",
    cloud: "cloud",
    nodes: "nodes",
    other: "other",
};

/** What the machine's cores did during one operation, and which processes did it. */
export interface CpuMeasure {
    /** CPU seconds the cores were busy (not idle, not waiting for I/O), all of them together. */
    busyS: number;
    /** CPU seconds the cores had: the operation's length times the cores. */
    capacityS: number;
    /** CPU seconds of the processes the sampler saw, by group; their sum is at most busyS. */
    groups: Record<CpuGroup, number>;
}

/** One process as the sampler sees it. */
export interface ProcSample {
    pid: number;
    ppid: number;
    /** The kernel's short name of the process (at most 15 characters). */
    comm: string;
    /** Its own CPU time so far, user and system, in clock ticks (its reaped children's not included). */
    ticks: number;
    /**
     * When it started, in clock ticks after boot: with the pid, what tells a process from a later one that got the
     * same pid. Not the name: a process may rename itself (the kernel's workers do, many times a second).
     */
    started: number;
}

/** What decides a process's group, read once when it is first seen. */
export interface ProcIdentity {
    comm: string;
    /** Its command line, arguments joined by spaces. */
    cmdline: string;
    /** Its network namespace (the link /proc/<pid>/ns/net points to), or "" when unreadable. */
    netns: string;
    /** Whether it is this process or one it started (through any number of generations). */
    mine: "self" | "descendant" | "no";
}

/** The busy and total clock ticks of all cores, from /proc/stat's first line. */
export function parseMachineStat(text: string): { busy: number; total: number } {
    const line = text.split("\n").find((l) => /^cpu\s/.test(l));
    if (!line) throw new Error("/proc/stat: no aggregate cpu line");
    // user nice system idle iowait irq softirq steal [guest guest_nice: already inside user and nice]
    const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
}

/** A process's /proc/<pid>/stat: its parent, short name and own CPU ticks. Undefined for a text that is not one. */
export function parseProcStat(pid: number, text: string): ProcSample | undefined {
    // The name is in parentheses and may itself hold spaces and parentheses: the fields follow the last ")".
    const open = text.indexOf("(");
    const close = text.lastIndexOf(")");
    if (open < 0 || close < open) return undefined;
    const fields = text.slice(close + 2).trim().split(" ");
    // After the name: state(3) ppid(4) ... utime(14) stime(15) ... starttime(22), i.e. offsets 0, 1, 11, 12 and 19 here.
    const [ppid, utime, stime, started] = [fields[1], fields[11], fields[12], fields[19]].map(Number);
    if (![ppid, utime, stime, started].every(Number.isFinite)) return undefined;
    return { pid, ppid, comm: text.slice(open + 1, close), ticks: utime + stime, started };
}

// The local cloud's services as their command lines name them (lab/start.sh), and what serves them.
const CLOUD = /keystone|neutron|nova-|octavia|glance|placement|uwsgi|mysqld|mariadbd|beam\.smp|rabbitmq|epmd|memcached|ovs-vswitchd|ovsdb-server|qemu/;
// A controller node's L2 agent runs beside the node, in this machine's namespace (lab/node-agent.sh).
const NODE_AGENT = /ovs-agent-node-/;

/** The group of a process; `hostNetns` is the namespace of this machine's own processes. */
export function cpuGroup(p: ProcIdentity, hostNetns: string): CpuGroup {
    if (p.mine === "self") return "program";
    if (p.mine === "descendant") return p.comm === "pulumi" ? "engine" : "plugins";
    if (p.netns !== "" && hostNetns !== "" && p.netns !== hostNetns) return "nodes";
    if (NODE_AGENT.test(p.cmdline)) return "nodes";
    if (CLOUD.test(p.cmdline) || CLOUD.test(p.comm)) return "cloud";
    return "other";
}

/** Whether `pid` is `self` or below it, by the parents in `parents` (pid to ppid). */
export function lineage(pid: number, self: number, parents: ReadonlyMap<number, number>): ProcIdentity["mine"] {
    if (pid === self) return "self";
    const seen = new Set<number>();
    for (let p = parents.get(pid); p !== undefined && p > 1 && !seen.has(p); p = parents.get(p)) {
        if (p === self) return "descendant";
        seen.add(p);
    }
    return "no";
}

/**
 * The sums behind a CpuMeasure, from snapshots of the processes: each process counts from its ticks in the first
 * snapshot (0 for one born later) to its ticks in the last snapshot it was in. Pure: the snapshots come from outside.
 */
export class CpuAccount {
    private readonly procs = new Map<number, { started: number; group: CpuGroup; first: number; last: number }>();
    /** Ticks of processes whose pid a new process took over, by group. */
    private readonly ended = new Map<CpuGroup, number>();
    /** Whether the first snapshot, the one processes already running count from, was taken. */
    private primed = false;

    /** `identify` is asked once per new process (the caller reads its command line and namespace). */
    constructor(private readonly identify: (p: ProcSample, parents: ReadonlyMap<number, number>) => CpuGroup) {}

    observe(snapshot: ReadonlyArray<ProcSample>): void {
        const parents = new Map(snapshot.map((p) => [p.pid, p.ppid]));
        for (const p of snapshot) {
            const known = this.procs.get(p.pid);
            if (known && known.started === p.started) {
                known.last = p.ticks;
                continue;
            }
            // Another start time: the pid now belongs to a new process, counted from 0.
            if (known) this.ended.set(known.group, (this.ended.get(known.group) ?? 0) + known.last - known.first);
            const first = this.primed ? 0 : p.ticks;
            this.procs.set(p.pid, { started: p.started, group: this.identify(p, parents), first, last: p.ticks });
        }
        this.primed = true;
    }

    /** CPU seconds by group, at `ticksPerSecond`. */
    groups(ticksPerSecond: number): Record<CpuGroup, number> {
        const ticks = new Map(this.ended);
        for (const p of this.procs.values()) ticks.set(p.group, (ticks.get(p.group) ?? 0) + p.last - p.first);
        return Object.fromEntries(CPU_GROUPS.map((g) => [g, (ticks.get(g) ?? 0) / ticksPerSecond])) as Record<CpuGroup, number>;
    }
}

/** The busy time no group accounts for: processes too short-lived for the sampler. Never below 0. */
export function notSeenS(m: CpuMeasure): number {
    return Math.max(0, m.busyS - CPU_GROUPS.reduce((a, g) => a + m.groups[g], 0));
}

/** How busy the cores were, as a share of what they had (0 to 1); undefined with no capacity. */
export function busyShare(m: CpuMeasure): number | undefined {
    return m.capacityS > 0 ? m.busyS / m.capacityS : undefined;
}

// --- /proc --------------------------------------------------------------------------------------------------------

const readOr = (file: string, fallback: string): string => {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return fallback; // the process ended meanwhile, or hides it
    }
};

/** Every process now: its parent, name and CPU ticks. */
export function readSnapshot(): ProcSample[] {
    const out: ProcSample[] = [];
    for (const name of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) continue;
        const p = parseProcStat(Number(name), readOr(`/proc/${name}/stat`, ""));
        if (p) out.push(p);
    }
    return out;
}

function netnsOf(pid: number): string {
    try {
        return fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
        return "";
    }
}

/**
 * Samples the machine from now until stop(): every `intervalMs`, every process's CPU time, and the machine's busy
 * ticks at both ends. Runs in this process: its own cost shows under "program".
 */
export function cpuSampler(intervalMs = 500): { stop: () => CpuMeasure } {
    const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    const hostNetns = netnsOf(process.pid);
    const account = new CpuAccount((p, parents) =>
        cpuGroup(
            { comm: p.comm, cmdline: readOr(`/proc/${p.pid}/cmdline`, "").split("\0").join(" "), netns: netnsOf(p.pid), mine: lineage(p.pid, process.pid, parents) },
            hostNetns,
        ),
    );
    const machine0 = parseMachineStat(fs.readFileSync("/proc/stat", "utf8"));
    account.observe(readSnapshot());
    const timer = setInterval(() => account.observe(readSnapshot()), intervalMs);
    return {
        stop: () => {
            clearInterval(timer);
            account.observe(readSnapshot());
            const machine1 = parseMachineStat(fs.readFileSync("/proc/stat", "utf8"));
            return {
                busyS: (machine1.busy - machine0.busy) / ticksPerSecond,
                capacityS: (machine1.total - machine0.total) / ticksPerSecond,
                groups: account.groups(ticksPerSecond),
            };
        },
    };
}
