// The bench report's arithmetic on a trimmed run (test/unit/data/bench-run/README.md says what it holds), against
// figures worked out by hand from the fixture's files; and its text, against what the report wrote before it was split.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { analyze, census, criticalPath, GUIDE_SUM, median, medianOf, phaseTable } from "../../bench/report/analyze";
import { loadResults, parsePhaseRows, parseWindow } from "../../bench/report/load";
import { renderReadmeSection, renderReport } from "../../bench/report/render";
import { StepsRecord } from "../../bench/rawResults";

const DIR = path.join(__dirname, "data", "bench-run");
const raw = loadResults(DIR);
const steps = (run: number): StepsRecord => raw.runs.find((r) => r.id === run)!.steps!;
const shortName = (urn: string) => urn.split("::").pop();

describe("bench report: reading a results folder", () => {
    it("reads the runs in order, with their steps where they were recorded", () => {
        expect(raw.runs.map((r) => [r.id, r.rows.length, r.steps !== undefined])).toEqual([
            [1, 32, true],
            [2, 32, true],
            [3, 32, false],
        ]);
        expect(raw.windows.map((w) => w.run)).toEqual([1, 2, 3]);
        expect(raw.restarts).toHaveLength(12);
        expect(raw.notes).toHaveLength(1);
        expect(raw.editor).toMatch(/^an awk one-liner/);
    });

    it("reads the columns of older files as 0", () => {
        expect(parsePhaseRows("guide\tx\t1.5\t2\t3\t4\t1\t0.25\t5\t0.75\n")).toEqual([
            { section: "guide", phase: "x", wall: 1.5, keystone: 2, neutron: 3, octavia: 4, tokens: 1, server: 0.25, cli: 5, cpu: 0.75, ssh: 0, nova: 0, glance: 0, placement: 0 },
        ]);
        expect(parseWindow("guide\twindow\t10\t20\t30\t4\t1.5\t6\n")).toMatchObject({ keystone: 10, neutron: 20, octavia: 30, ssh: 6, nova: 0, glance: 0, placement: 0 });
    });
});

describe("bench report: medians and counts over the runs", () => {
    it("median: the middle value, or the mean of the two middle ones; the input is left alone", () => {
        const xs = [3, 1, 2];
        expect(median(xs)).toBe(2);
        expect(xs).toEqual([3, 1, 2]);
        expect(median([4, 1, 3, 2])).toBe(2.5);
        expect(median([7])).toBe(7);
    });

    const table = phaseTable(raw.runs.map((r) => r.rows));

    it("puts the guide's sums after the guide's own phases", () => {
        const names = table.keys.map((k) => k.phase);
        const first = names.indexOf(GUIDE_SUM.cloud);
        expect(names[first - 1]).toMatch(/^undo: configuration/);
        expect(names[first + 8]).toBe("create the stack (stack init, config)");
    });

    it("adds up the guide's phases per run: configuration 36.4 + 8.3, How to play 57.9 (+2 s of lb1 in run 3)", () => {
        expect(table.perRun("guide", GUIDE_SUM.cloud, "wall").map((x) => x!.toFixed(2))).toEqual(["36.40", "38.40", "35.40"]);
        expect(table.perRun("guide", GUIDE_SUM.nodes, "wall").map((x) => x!.toFixed(2))).toEqual(["8.30", "8.30", "8.30"]);
        expect(table.perRun("guide", GUIDE_SUM.demo, "wall").map((x) => x!.toFixed(2))).toEqual(["57.90", "57.90", "59.90"]);
        expect(table.perRun("guide", GUIDE_SUM.procedure, "wall").map((x) => x!.toFixed(2))).toEqual(["102.60", "104.60", "103.60"]);
        expect(table.perRun("guide", GUIDE_SUM.undoAll, "wall").map((x) => x!.toFixed(2))).toEqual(["53.50", "53.50", "53.50"]);
    });

    it("takes the median of a time and the fewest of a count", () => {
        expect(table.figure("guide", "security groups", "wall")).toBe(20); // 20, 22, 19
        expect(table.figure("guide", GUIDE_SUM.procedure, "wall")).toBeCloseTo(103.6, 9); // 102.6, 104.6, 103.6
        expect(table.figure("engine", "pulumi up, cold", "wall")).toBe(50.3); // 50.3, 60.3, 48.3
        // Run 2's security groups had 3 more Keystone requests (another client's): 68, 71, 68.
        expect(table.values("guide", "security groups", "requests")).toEqual([68, 71, 68]);
        expect(table.figure("guide", "security groups", "requests")).toBe(68);
        // A sum's count is the sum of its phases' fewest: 68 + 20 + 28 + 10.
        expect(table.figure("guide", GUIDE_SUM.cloud, "requests")).toBe(126);
        expect(table.figure("guide", GUIDE_SUM.cloud, "cli")).toBe(22);
        expect(table.figure("guide", GUIDE_SUM.nodes, "ssh")).toBe(32);
    });

    it("throws on a phase the results do not have", () => {
        expect(() => table.figure("engine", "pulumi refresh", "wall")).toThrow(/no engine phase "pulumi refresh…"/);
    });
});

describe("bench report: the engine's critical path", () => {
    it("cold up of run 1: the chain through lb1, not the backend's; its length, span and makespan", () => {
        const up = criticalPath(steps(1), "up")!;
        expect(up.steps.map((s) => shortName(s.urn))).toEqual([
            "openstack-CentralRegion",
            "demo-networks-net1-engine-ddd86e-network",
            "demo-networks-net1-engine-ddd86e-subnet",
            "demo-lb-lb1-engine-ddd86e-lb",
            "demo-lb-lb1-engine-ddd86e-listener",
            "demo-lb-lb1-engine-ddd86e-pool",
            "demo-lb-lb1-engine-ddd86e-members",
            "demo-lb-lb1-engine-ddd86e-monitor",
        ]);
        // 0.002 + 1.6 + 1.44 + 30.67 + 1.31 + 1.5 + 8.29 + 1.71; the backend's branch is 1.6 + 17 to the members.
        expect(up.length).toBeCloseTo(46.522, 9);
        // The chain's first start (1.19) to its last end (48.92).
        expect(up.span).toBeCloseTo(47.73, 9);
        // The stack's registration (0.48) to the last work step's end (48.92): not the failed backend2's 60 s,
        // not the stack's own end (49.1: a component's outputs come after its children).
        expect(up.firstStart).toBeCloseTo(0.48, 9);
        expect(up.makespan).toBeCloseTo(48.44, 9);
        // 12 steps with work (3 providers, 8 OpenStack resources, 1 command): 0.002 + 0.01 + 0.05 + 46.52 - 0.002 + 17 + 7.
        expect(up.stepCount).toBe(12);
        expect(up.work).toBeCloseTo(70.582, 9);
        expect(up.byKind["the load-balancer chain (Octavia, bridged provider)"]).toBeCloseTo(43.48, 9);
        expect(up.byKind["other OpenStack resources (bridged provider)"]).toBeCloseTo(3.04, 9);
        expect(up.byKind["provider start-up"]).toBeCloseTo(0.002, 9);
    });

    it("destroy of run 1: the edges reversed, from the monitor down to net1", () => {
        const down = criticalPath(steps(1), "destroy")!;
        expect(down.steps.map((s) => shortName(s.urn)?.replace(/^demo-(networks|lb)-(net|lb)1-engine-ddd86e-/, ""))).toEqual([
            "monitor",
            "members",
            "pool",
            "listener",
            "lb",
            "subnet",
            "network",
        ]);
        // 1.7 + 3 + 1 + 1 + 8 + 1 + 1; the backend's branch (monitor, members, backend1) is 8.7.
        expect(down.length).toBeCloseTo(16.7, 9);
        expect(down.span).toBeCloseTo(17.1, 9);
        expect(down.makespan).toBeCloseTo(17.1, 9);
        expect(down.stepCount).toBe(9);
        expect(down.work).toBeCloseTo(21.7, 9);
    });

    it("run 2's lb1 10 s slower: the chain 10 s longer", () => {
        const up = criticalPath(steps(2), "up")!;
        expect(up.length).toBeCloseTo(56.522, 9);
        expect(up.makespan).toBeCloseTo(58.44, 9);
    });

    it("finds a dependency cycle instead of looping", () => {
        const record = steps(1);
        const [a, b] = [record.resources[6], record.resources[7]];
        const cyclic: StepsRecord = { ...record, resources: [...record.resources.filter((r) => r !== a), { ...a, dependencies: [b.urn] }] };
        expect(() => criticalPath(cyclic, "up")).toThrow(/dependency cycle/);
    });

    it("counts the state's components and resources with work, by kind", () => {
        const c = census(steps(1));
        expect([c.total, c.components, c.work]).toEqual([15, 3, 12]);
        expect(c.byKind.slice(0, 3)).toEqual([
            ["openstack provider", 2],
            ["command provider", 1],
            ["Network", 1],
        ]);
    });
});

describe("bench report: the whole analysis", () => {
    const a = analyze(raw);

    it("ratios per run, and their median", () => {
        // The whole procedure over the cold up: 102.6 / 50.3, 104.6 / 60.3, 103.6 / 48.3.
        expect(a.upRatios.map((x) => x.toFixed(4))).toEqual(["2.0398", "1.7347", "2.1449"]);
        expect(median(a.upRatios)).toBeCloseTo(102.6 / 50.3, 9);
        // The whole undo over destroy: 53.5 / 20, 53.5 / 22, 53.5 / 18.
        expect(a.destroyRatios.map((x) => x.toFixed(4))).toEqual(["2.6750", "2.4318", "2.9722"]);
        expect(median(a.destroyRatios)).toBeCloseTo(2.675, 9);
    });

    it("the critical paths of the runs with steps; the median run is the lower of two middles by cold-up wall time", () => {
        expect(a.upPaths).toHaveLength(2);
        expect(a.destroyPaths).toHaveLength(2);
        expect(a.medianRun).toBe(0); // run 1 (50.3 s) before run 2 (60.3 s); run 3 has no steps
        expect(medianOf(a.upPaths, (c) => c.length)).toBeCloseTo(51.522, 9);
        expect(medianOf(a.upPaths, (c) => c.makespan)).toBeCloseTo(53.44, 9);
        expect(a.engineLoadBalancer).toBeCloseTo(30.67, 9);
    });

    it("the cross-checks: every window adds up, only the security groups' count varied", () => {
        expect(a.windowDifferences).toEqual([0, 0, 0]);
        expect(a.varying.map((k) => k.phase)).toEqual(["security groups: 2 groups, 10 rules"]);
        expect(a.restarts).toEqual({ guide: [2, 2, 2, 2, 2, 2], engine: [2, 2, 2, 2, 2, 2] });
    });
});

describe("bench report: the text", () => {
    const a = analyze(raw);
    const expected = (file: string) => fs.readFileSync(path.join(DIR, "expected", file), "utf8");

    it("docs/bench.md is what the report wrote before its split", () => {
        expect(renderReport(raw, a)).toBe(expected("bench.md"));
    });

    it("README.md's section is what the report wrote before its split", () => {
        expect(renderReadmeSection(raw, a)).toBe(expected("readme-section.md"));
    });
});
