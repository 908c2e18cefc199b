// Where the CPU went (bench/scale/cpu.ts): /proc's texts parsed, processes grouped, and the sums over snapshots, on
// texts and snapshots written by hand. The sampler that reads /proc is run once against this very process.
import { describe, expect, it } from "vitest";
import { CpuAccount, cpuGroup, CpuGroup, cpuSampler, lineage, notSeenS, parseMachineStat, parseProcStat, ProcIdentity, ProcSample } from "../../bench/scale/cpu";

describe("scale cpu: /proc's texts", () => {
    it("the machine's busy and total ticks: user+nice+system+irq+softirq+steal busy, idle and iowait not", () => {
        const text = "cpu  100 5 50 1000 20 3 2 7 0 0\ncpu0 50 2 25 500 10 1 1 3 0 0\nintr 1 2 3\n";
        expect(parseMachineStat(text)).toEqual({ busy: 167, total: 1187 });
        expect(() => parseMachineStat("intr 1 2\n")).toThrow(/no aggregate cpu line/);
    });

    it("a process's parent, name and own ticks, whatever its name holds", () => {
        // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
        // ... priority nice num_threads itrealvalue starttime vsize ...
        const tail = "S 42 42 42 0 -1 4194560 100 0 0 0 250 30 900 90 20 0 12 0 123456 1000000 50";
        expect(parseProcStat(7, `7 (pulumi) ${tail}`)).toEqual({ pid: 7, ppid: 42, comm: "pulumi", ticks: 280, started: 123456 });
        expect(parseProcStat(8, `8 (a (b) c) ${tail}`)).toEqual({ pid: 8, ppid: 42, comm: "a (b) c", ticks: 280, started: 123456 });
        expect(parseProcStat(9, "")).toBeUndefined();
        expect(parseProcStat(9, "9 (x) S 1")).toBeUndefined();
    });
});

describe("scale cpu: groups", () => {
    const host = "net:[4026531840]";
    const id = (over: Partial<ProcIdentity>): ProcIdentity => ({ comm: "x", cmdline: "", netns: host, mine: "no", ...over });

    it("this process, the engine and its plugins by lineage", () => {
        expect(cpuGroup(id({ mine: "self", comm: "node" }), host)).toBe("program");
        expect(cpuGroup(id({ mine: "descendant", comm: "pulumi" }), host)).toBe("engine");
        expect(cpuGroup(id({ mine: "descendant", comm: "pulumi-resource" }), host)).toBe("plugins");
        // A plugin named like a cloud service is still the engine's.
        expect(cpuGroup(id({ mine: "descendant", cmdline: "/usr/bin/neutron-wrapper" }), host)).toBe("plugins");
    });

    it("the nodes by namespace or by their L2 agent's name, the cloud by its services, the rest other", () => {
        expect(cpuGroup(id({ netns: "net:[4026532999]", comm: "sshd" }), host)).toBe("nodes");
        expect(cpuGroup(id({ cmdline: "python3 /usr/bin/neutron-openvswitch-agent --config-file /x/ovs-agent-node-scale-r3-b.ini" }), host)).toBe("nodes");
        expect(cpuGroup(id({ cmdline: "python3 /usr/bin/neutron-openvswitch-agent --config-file /x/ovs-agent-compute1.ini" }), host)).toBe("cloud");
        expect(cpuGroup(id({ cmdline: "/usr/bin/python3 /usr/bin/neutron-server --config-file x" }), host)).toBe("cloud");
        expect(cpuGroup(id({ cmdline: "uwsgi --ini keystone.ini" }), host)).toBe("cloud");
        expect(cpuGroup(id({ comm: "mariadbd" }), host)).toBe("cloud");
        expect(cpuGroup(id({ comm: "kworker/0:1" }), host)).toBe("other");
        // An unreadable namespace is not taken for a node's.
        expect(cpuGroup(id({ netns: "", comm: "bash" }), host)).toBe("other");
    });

    it("lineage: self, below self through generations, or not; a loop in the parents ends", () => {
        const parents = new Map([
            [10, 1],
            [20, 10],
            [30, 20],
            [40, 1],
            [50, 60],
            [60, 50],
        ]);
        expect(lineage(10, 10, parents)).toBe("self");
        expect(lineage(30, 10, parents)).toBe("descendant");
        expect(lineage(40, 10, parents)).toBe("no");
        expect(lineage(50, 10, parents)).toBe("no");
    });
});

describe("scale cpu: sums over snapshots", () => {
    const p = (pid: number, comm: string, ticks: number, started = 1): ProcSample => ({ pid, ppid: 1, comm, ticks, started });
    const groupOf: Record<string, CpuGroup> = { pulumi: "engine", "neutron-server": "cloud", sshd: "nodes", bash: "nodes", node: "program" };
    const account = () => new CpuAccount((x) => groupOf[x.comm] ?? "other");

    it("a process present at the start counts from its ticks then, one born later from 0, one gone keeps its last", () => {
        const a = account();
        a.observe([p(1, "node", 500), p(2, "neutron-server", 1000)]);
        a.observe([p(1, "node", 520), p(2, "neutron-server", 1100), p(3, "pulumi", 40), p(4, "sshd", 5)]);
        // sshd (4) ends before the last snapshot: its 5 ticks stay counted.
        a.observe([p(1, "node", 530), p(2, "neutron-server", 1250), p(3, "pulumi", 190)]);
        expect(a.groups(100)).toEqual({ engine: 1.9, plugins: 0, program: 0.3, cloud: 2.5, nodes: 0.05, other: 0 });
    });

    it("a pid taken over by a new process (another start time): the old one's ticks kept, the new one counted from 0", () => {
        const a = account();
        a.observe([p(5, "sshd", 100, 7)]);
        a.observe([p(5, "sshd", 130, 7)]);
        a.observe([p(5, "bash", 20, 900)]);
        a.observe([p(5, "bash", 30, 900)]);
        a.observe([p(5, "bash", 3, 950)]);
        expect(a.groups(100).nodes).toBeCloseTo(0.3 + 0.3 + 0.03, 10);
    });

    it("a process that renames itself is the same process: its lifetime's ticks are not counted again", () => {
        const a = account();
        a.observe([p(6, "kworker/0:2-events", 5000, 3)]);
        a.observe([p(6, "kworker/0:2-mm_percpu_wq", 5002, 3)]);
        a.observe([p(6, "kworker/0:2-events", 5004, 3)]);
        expect(a.groups(100).other).toBeCloseTo(0.04, 10);
    });

    it("not seen: busy time beyond the groups' sum, never below 0", () => {
        const groups = { engine: 1, plugins: 1, program: 1, cloud: 1, nodes: 1, other: 1 };
        expect(notSeenS({ busyS: 10, capacityS: 20, groups })).toBe(4);
        expect(notSeenS({ busyS: 5, capacityS: 20, groups })).toBe(0);
    });

    it("the sampler on this machine: busy time within capacity, this process's own work under program", async () => {
        const sampler = cpuSampler(50);
        const until = Date.now() + 300;
        let spin = 0;
        while (Date.now() < until) spin += Math.sqrt(spin + 1);
        await new Promise((r) => setTimeout(r, 120));
        const m = sampler.stop();
        expect(spin).toBeGreaterThan(0);
        expect(m.capacityS).toBeGreaterThan(0.3);
        expect(m.busyS).toBeLessThanOrEqual(m.capacityS);
        // 0.3 s of spinning in this process, at 100 ticks a second: well above a tenth of a second.
        expect(m.groups.program).toBeGreaterThan(0.1);
        expect(m.groups.engine).toBe(0);
        // Every group's time was spent inside the machine's busy time (a tick of rounding per process aside).
        const summed = Object.values(m.groups).reduce((a, b) => a + b, 0);
        expect(summed).toBeLessThanOrEqual(m.busyS + 0.2);
    });
});
