// The scale benchmark's report (bench/scale/report.ts) and chart (bench/scale/chart.ts) on a SYNTHETIC record:
// fixtures/scale-record.synthetic.json is made by hand to check the arithmetic, with round numbers whose figures are
// worked out below by hand. It is not a measurement; nothing here says how fast the stack is.
//
// Its five sizes (regions 1, 2, 4, 8, 16; 2 controllers per region) meet every goal: up-cold makespan/critical path
// 12/10, 25/20, 42/30, 60/50, 120/100 = 1.20, 1.25, 1.40, 1.20, 1.20; destroy 10/8, 12/10, 20/16, 30/25, 50/40 = 1.25,
// 1.20, 1.25, 1.20, 1.25; guide/up 40/20, 90/30, 180/45, 400/80, 900/150 = 2, 3, 4, 5, 6; preview cold at 16 regions
// 12.5 s, up cold at 4 regions 45 s; SSH logins one per controller or none. Where the CPU went is in two operations
// only: up-cold at 1 region (30 of 40 CPU s busy = 75 %; groups 6 + 4 + 2 + 10 + 3 + 1 = 26, so 4 not seen) and
// destroy at 16 regions (90 of 100 = 90 %; groups summing to 90.5, more than busy: "not seen" stays 0). Each test
// breaks a copy of it.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { GUIDE_LABEL, GUIDE_UNDO_LABEL, renderScaleChart, X_TITLE, Y_TITLE } from "../../bench/scale/chart";
import { OP_LABELS, ScaleRecord, ScaleSize } from "../../bench/scale/record";
import { sectionOf } from "../../bench/report/docSection";
import { cpuTable, GoalCheck, goals, guideRatio, makespanRatio, renderScaleReadme, renderScaleSection, SCALE_CHART_FILE, SCALE_CHART_LINK, SCALE_HEADING, SCALE_README_HEADING, SCALE_RECORD_FILE, scaleTable } from "../../bench/scale/report";

const FIXTURE = path.join(__dirname, "fixtures", "scale-record.synthetic.json");
/** A fresh copy each time, so that a test may break it. */
const record = (): ScaleRecord => JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as ScaleRecord;
const at = (r: ScaleRecord, regions: number): ScaleSize => r.sizes.find((s) => s.regions === regions)!;

// The goals' wording is the brief's, typed out again here so that a change to it shows.
const GOAL_TEXTS = [
    "preview of 16 regions with 32 controllers under 15 s",
    "up of 4 regions with 8 controllers under 60 s",
    "makespan within 1.5x of the engine's critical path at every size",
    "the stack's up ahead of the guide by a ratio that grows with the number of regions",
    "at most one SSH login per node and operation",
    "no-change preview makes no SSH login",
];
/** The check of goal N (1 to 6) on R. */
const goal = (r: ScaleRecord, n: number): GoalCheck => goals(r)[n - 1];

describe("scale report: figures", () => {
    it("the fixture says it is synthetic", () => {
        expect(record().note).toMatch(/^SYNTHETIC: .*not a measurement/);
    });

    it("makespan over critical path: up-cold 12/10 = 1.2 … 120/100 = 1.2, destroy 10/8 = 1.25", () => {
        const r = record();
        expect(r.sizes.map((s) => makespanRatio(s.ops["up-cold"]!))).toEqual([1.2, 1.25, 1.4, 1.2, 1.2]);
        expect(makespanRatio(at(r, 1).ops.destroy!)).toBe(1.25);
    });

    it("no makespan ratio without both numbers, or with a critical path of 0", () => {
        expect(makespanRatio(record().sizes[0].ops["preview-cold"]!)).toBeUndefined();
        expect(makespanRatio({ wallS: 1, apiRequests: 0, sshLogins: 0, peakRssMb: 1, makespanS: 3 })).toBeUndefined();
        expect(makespanRatio({ wallS: 1, apiRequests: 0, sshLogins: 0, peakRssMb: 1, criticalPathS: 3 })).toBeUndefined();
        expect(makespanRatio({ wallS: 1, apiRequests: 0, sshLogins: 0, peakRssMb: 1, criticalPathS: 0, makespanS: 3 })).toBeUndefined();
    });

    it("guide over up: 40/20, 90/30, 180/45, 400/80, 900/150 = 2, 3, 4, 5, 6", () => {
        expect(record().sizes.map(guideRatio)).toEqual([2, 3, 4, 5, 6]);
    });

    it("no guide ratio without a guide measure or without an up-cold", () => {
        const r = record();
        delete at(r, 1).guide;
        delete at(r, 2).ops["up-cold"];
        expect(r.sizes.map(guideRatio)).toEqual([undefined, undefined, 4, 5, 6]);
    });
});

describe("scale report: goals", () => {
    it("judges the six goals, in order, all met on the fixture", () => {
        const checks = goals(record());
        expect(checks.map((g) => g.goal)).toEqual(GOAL_TEXTS);
        expect(checks.map((g) => g.met)).toEqual([true, true, true, true, true, true]);
        expect(checks[0].detail).toBe("preview cold took 12.5 s at 16 regions with 32 controllers (limit 15 s)");
        expect(checks[1].detail).toBe("up cold took 45.0 s at 4 regions with 8 controllers (limit 60 s)");
        expect(checks[2].detail).toContain("1 region: up cold 1.20, destroy 1.25; 2 regions: up cold 1.25, destroy 1.20");
        expect(checks[3].detail).toBe("guide/up: 1 region 2.00x, 2 regions 3.00x, 4 regions 4.00x, 8 regions 5.00x, 16 regions 6.00x");
        expect(checks[4].detail).toBe("25 operations checked; the most logins: up cold at 16 regions: 32 for 32 controllers");
        expect(checks[5].detail).toBe("no login at 1, 2, 4, 8 and 16 regions");
    });

    it("1: a preview of 16 regions taking 15.0 s is not under 15 s; without 16 regions it is not judged", () => {
        const slow = record();
        at(slow, 16).ops["preview-cold"]!.wallS = 15;
        expect(goal(slow, 1)).toMatchObject({ met: false, detail: expect.stringContaining("took 15.0 s") });

        const small = record();
        small.sizes = small.sizes.filter((s) => s.regions !== 16);
        expect(goal(small, 1)).toEqual({ goal: GOAL_TEXTS[0], met: undefined, detail: "the record has no size with 16 regions" });

        const unmeasured = record();
        delete at(unmeasured, 16).ops["preview-cold"];
        expect(goal(unmeasured, 1)).toMatchObject({ met: undefined, detail: "the record has no preview-cold at 16 regions" });
    });

    it("2: an up of 4 regions taking 60.0 s fails; without an up-cold at 4 regions it is not judged", () => {
        const slow = record();
        at(slow, 4).ops["up-cold"]!.wallS = 60;
        expect(goal(slow, 2).met).toBe(false);
        // The goal needs up-cold at 4 regions only; the rest of the record does not matter.
        const onlyFour = record();
        onlyFour.sizes = [at(onlyFour, 4)];
        expect(goal(onlyFour, 2).met).toBe(true);

        const unmeasured = record();
        delete at(unmeasured, 4).ops["up-cold"];
        expect(goal(unmeasured, 2)).toMatchObject({ met: undefined, detail: "the record has no up-cold at 4 regions" });
    });

    it("3: destroy at 8 regions with makespan 40 / critical path 25 = 1.60 fails it; exactly 1.5 passes", () => {
        const bad = record();
        at(bad, 8).ops.destroy!.makespanS = 40;
        expect(goal(bad, 3).met).toBe(false);
        expect(goal(bad, 3).detail).toMatch(/^over 1\.5: destroy at 8 regions \(1\.60\); /);

        const edge = record();
        at(edge, 4).ops["up-cold"]!.makespanS = 45; // 45 / 30
        expect(goal(edge, 3).met).toBe(true);
        expect(goal(edge, 3).detail).toContain("4 regions: up cold 1.50");
    });

    it("3: judged on the sizes that have the numbers; not judged when none has", () => {
        const partial = record();
        delete at(partial, 16).ops["up-cold"]!.makespanS;
        delete at(partial, 16).ops.destroy!.criticalPathS;
        expect(goal(partial, 3)).toMatchObject({ met: true, detail: expect.stringMatching(/; no makespan and critical path at 16 regions$/) });

        const none = record();
        for (const size of none.sizes) for (const m of Object.values(size.ops)) delete m.makespanS;
        expect(goal(none, 3)).toMatchObject({ met: undefined, detail: expect.stringContaining("no up-cold or destroy with both") });
    });

    it("4: a ratio that falls (4.00x at 4 regions, then 300/80 = 3.75x at 8) or is not above 1 fails it; a flat one passes", () => {
        const falls = record();
        at(falls, 8).guide!.wallS = 300; // 300 / 80 = 3.75, below 4.00 at 4 regions
        expect(goal(falls, 4)).toMatchObject({ met: false, detail: expect.stringMatching(/^falls from 4\.00x at 4 regions to 3\.75x at 8 regions; guide\/up: /) });

        const behind = record();
        at(behind, 1).guide!.wallS = 20; // 20 / 20 = 1: level with the stack is not ahead
        expect(goal(behind, 4)).toMatchObject({ met: false, detail: expect.stringMatching(/^not ahead at 1 region \(1\.00x\); /) });

        const flat = record();
        at(flat, 2).guide!.wallS = 60; // 60 / 30 = 2.00, as at 1 region
        expect(goal(flat, 4).met).toBe(true);
    });

    it("4: not judged without two sizes that have both a guide and an up-cold", () => {
        const one = record();
        for (const size of one.sizes.slice(1)) delete size.guide;
        expect(goal(one, 4)).toMatchObject({ met: undefined, detail: expect.stringContaining("(only 1 region 2.00x)") });
        const none = record();
        for (const size of none.sizes) delete size.guide;
        expect(goal(none, 4)).toMatchObject({ met: undefined, detail: expect.stringContaining("(none)") });
    });

    it("5: a preview --refresh with 5 logins on 4 controllers fails it; a record with no operation is not judged", () => {
        const bad = record();
        at(bad, 2).ops["preview-refresh"]!.sshLogins = 5;
        expect(goal(bad, 5)).toEqual({
            goal: GOAL_TEXTS[4],
            met: false,
            detail: "more logins than controllers: preview --refresh at 2 regions: 5 for 4 controllers",
        });
        const empty = record();
        for (const size of empty.sizes) size.ops = {};
        expect(goal(empty, 5).met).toBeUndefined();
    });

    it("6: a no-change preview logging in once fails it; judged on the sizes that have one, not judged without any", () => {
        const bad = record();
        at(bad, 4).ops["preview-nochange"]!.sshLogins = 1;
        expect(goal(bad, 6)).toMatchObject({ met: false, detail: "SSH logins: 1 at 4 regions" });

        const partial = record();
        delete at(partial, 16).ops["preview-nochange"];
        expect(goal(partial, 6)).toMatchObject({ met: true, detail: "no login at 1, 2, 4 and 8 regions; not measured at 16 regions" });

        const none = record();
        for (const size of none.sizes) delete size.ops["preview-nochange"];
        expect(goal(none, 6).met).toBeUndefined();
    });
});

describe("scale report: Markdown", () => {
    const HEADER =
        "| regions | controllers | resources | state (KiB) | preview cold (s) | up cold (s) | preview no change (s) | preview --refresh (s) | destroy (s) " +
        "| guide (s) | guide/up | guide's undo (s) | up: makespan/critical path | up: peak RSS (MiB) | up: SSH logins | up: API requests |";

    it("one row per size, sorted by regions, numbers formatted by hand-checked rules", () => {
        const r = record();
        r.sizes.reverse();
        const lines = scaleTable(r).split("\n");
        expect(lines[0]).toBe(HEADER);
        expect(lines[1]).toBe(`|${" ---: |".repeat(16)}`);
        expect(lines.slice(2).map((l) => l.split(" | ")[0])).toEqual(["| 1", "| 2", "| 4", "| 8", "| 16"]);
        // 450.4 MiB rounds down, 512.6 up; 1.2 and 1.25 keep two decimals; 2 and 3 one, with an "x".
        // The state's size is in the 1-region size only (1024.6 KiB rounds up); the others show it missing.
        expect(lines[2]).toBe("| 1 | 2 | 40 | 1025 | 3.0 | 20.0 | 2.5 | 4.0 | 10.0 | 40.0 | 2.0x | 16.0 | 1.20 | 450 | 2 | 150 |");
        expect(lines[3]).toBe("| 2 | 4 | 72 | – | 4.0 | 30.0 | 3.0 | 6.0 | 14.0 | 90.0 | 3.0x | 36.0 | 1.25 | 513 | 4 | 290 |");
        expect(lines[6]).toBe("| 16 | 32 | 520 | – | 12.5 | 150.0 | 10.0 | 27.0 | 64.0 | 900.0 | 6.0x | 360.0 | 1.20 | 1020 | 32 | 2250 |");
        expect(lines).toHaveLength(7);
    });

    it("a dash where a measure is missing", () => {
        const r = record();
        const eight = at(r, 8);
        delete eight.guide;
        delete eight.ops.destroy;
        delete eight.ops["up-cold"]!.criticalPathS;
        const sixteen = at(r, 16);
        delete sixteen.ops["up-cold"];
        const lines = scaleTable(r).split("\n");
        expect(lines[5]).toBe("| 8 | 16 | 264 | – | 8.0 | 80.0 | 6.0 | 15.0 | – | – | – | 160.0 | – | 750 | 16 | 1130 |");
        expect(lines[6]).toBe("| 16 | 32 | 520 | – | 12.5 | – | 10.0 | 27.0 | 64.0 | 900.0 | – | 360.0 | – | – | – | – |");
    });

    it("the section: heading, circumstances, chart, table and one line per goal", () => {
        const r = record();
        at(r, 4).ops["preview-nochange"]!.sshLogins = 2;
        r.sizes = r.sizes.filter((s) => s.regions !== 16);
        const text = renderScaleSection(r, "img/scale.svg");
        const lines = text.split("\n");
        expect(lines[0]).toBe("## Scale: 1 to 16 regions");
        // The method first, then the run's circumstances, then the chart.
        expect(lines[2]).toMatch(/^`npm run bench -- --scale`: the local cloud grown to 16 regions/);
        const run = lines.findIndex((l) => l.startsWith("Run of "));
        expect(lines[run]).toBe("Run of 2000-01-01 on synthetic (no machine); synthetic (no load). Commit `0000000`. " + `Note: ${r.note}`);
        expect(lines[run - 1]).toBe("");
        expect(lines[run + 2]).toBe("![Wall time against regions (2 controllers per region)](img/scale.svg)");
        expect(text).toContain(`\n\n${scaleTable(r)}\n\n`);
        const goalLines = lines.filter((l) => l.startsWith("- "));
        expect(goalLines).toEqual([
            `- **not judged**: ${GOAL_TEXTS[0]} — the record has no size with 16 regions`,
            `- **met**: ${GOAL_TEXTS[1]} — up cold took 45.0 s at 4 regions with 8 controllers (limit 60 s)`,
            expect.stringMatching(/^- \*\*met\*\*: makespan within 1\.5x .* — makespan\/critical path: 1 region: /),
            `- **met**: ${GOAL_TEXTS[3]} — guide/up: 1 region 2.00x, 2 regions 3.00x, 4 regions 4.00x, 8 regions 5.00x`,
            `- **met**: ${GOAL_TEXTS[4]} — 20 operations checked; the most logins: up cold at 8 regions: 16 for 16 controllers`,
            `- **NOT met**: ${GOAL_TEXTS[5]} — SSH logins: 2 at 4 regions`,
        ]);
        expect(text.endsWith("\n")).toBe(true);
    });

    it("where the CPU went: a row per size and operation that measured it, busy share and groups by hand-checked rules", () => {
        const r = record();
        r.sizes.reverse();
        const lines = cpuTable(r)!.split("\n");
        expect(lines[0]).toBe(
            "| regions | operation | wall (s) | cores busy (%) | `pulumi` CLI (CPU s) | plugins (CPU s) | program (CPU s) | cloud (CPU s) | nodes (CPU s) | other (CPU s) | not seen (CPU s) |",
        );
        expect(lines[1]).toBe(`| --- | --- |${" ---: |".repeat(9)}`);
        expect(lines.slice(2)).toEqual(["| 1 | up cold | 20.0 | 75 | 6.0 | 4.0 | 2.0 | 10.0 | 3.0 | 1.0 | 4.0 |", "| 16 | destroy | 64.0 | 90 | 40.0 | 5.5 | 4.5 | 30.0 | 6.0 | 4.5 | 0.0 |"]);
        // In the section after the goals, with what its columns are; a record without it has neither.
        const text = renderScaleSection(r, "x.svg");
        expect(text).toContain(`\n\n${cpuTable(r)}\n`);
        expect(text.indexOf("Where the machine's CPU went")).toBeGreaterThan(text.indexOf("- **met**"));
        at(r, 1).ops["up-cold"]!.cpu!.capacityS = 0;
        expect(cpuTable(r)!.split("\n")[2]).toBe("| 1 | up cold | 20.0 | – | 6.0 | 4.0 | 2.0 | 10.0 | 3.0 | 1.0 | 4.0 |");
        for (const size of r.sizes) for (const m of Object.values(size.ops)) delete m.cpu;
        expect(cpuTable(r)).toBeUndefined();
        expect(renderScaleSection(r, "x.svg")).not.toContain("Where the machine's CPU went");
    });

    it("leaves out the commit and the note when the record has none; a chart path with a space goes in angle brackets", () => {
        const r = record();
        delete r.commit;
        delete r.note;
        const text = renderScaleSection(r, "my charts/scale.svg");
        const runLine = () => text.split("\n").find((l) => l.startsWith("Run of "));
        expect(runLine()).toBe("Run of 2000-01-01 on synthetic (no machine); synthetic (no load).");
        expect(text).not.toContain("What bounds it");
        r.findings = ["first finding", "second"];
        expect(renderScaleSection(r, "x.svg").trimEnd().split("\n").slice(-4)).toEqual(["What bounds it, and what was tried:", "", "- first finding", "- second"]);
        r.parallel = "64";
        expect(renderScaleSection(r, "x.svg").split("\n").find((l) => l.startsWith("Run of "))).toBe(
            "Run of 2000-01-01 on synthetic (no machine); synthetic (no load). The engine's --parallel: 64.",
        );
        expect(text).toContain("](<my charts/scale.svg>)");
    });
});

describe("scale report: chart", () => {
    /** The texts an SVG shows, unescaped enough for these labels. */
    const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

    it("draws a standalone SVG with the title, the axis titles and a legend entry per operation and for the guide, the same bytes twice", async () => {
        const svg = await renderScaleChart(record());
        expect(svg.startsWith("<svg")).toBe(true);
        expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
        expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
        expect(svg).toMatch(/width="640" height="360"/);
        const shown = texts(svg);
        expect(shown).toEqual(expect.arrayContaining(["Wall time against regions (2 controllers per region)", X_TITLE, Y_TITLE]));
        expect(shown).toEqual(expect.arrayContaining([...Object.values(OP_LABELS), GUIDE_LABEL, GUIDE_UNDO_LABEL]));
        // The x ticks are the sizes, not the log scale's own choice.
        expect(shown).toEqual(expect.arrayContaining(["1", "2", "4", "8", "16"]));
        // Only the guide's lines (and their legend symbols) are dashed.
        expect(svg).toMatch(/stroke="#595959"[^>]*stroke-dasharray="6,4"/);
        expect(svg).toMatch(/stroke="#a0a0a0"[^>]*stroke-dasharray="6,4"/);
        const dashedStrokes = [...svg.matchAll(/<[^>]*stroke-dasharray="6,4"[^>]*>/g)].map((m) => /stroke="(#[0-9a-f]+)"/.exec(m[0])?.[1]).filter(Boolean);
        expect(new Set(dashedStrokes)).toEqual(new Set(["#595959", "#a0a0a0"]));
        expect(await renderScaleChart(record())).toBe(svg);
    });

    it("has no legend entry for what the record lacks", async () => {
        const r = record();
        for (const size of r.sizes) {
            delete size.guide;
            delete size.guideUndo;
            delete size.ops["preview-refresh"];
        }
        const shown = texts(await renderScaleChart(r));
        expect(shown).toContain(OP_LABELS["up-cold"]);
        expect(shown).not.toContain(OP_LABELS["preview-refresh"]);
        expect(shown).not.toContain(GUIDE_LABEL);
        expect(shown).not.toContain(GUIDE_UNDO_LABEL);
    });
});

describe("scale report: README.md's line", () => {
    it("gives up cold, the guide and their ratio at every size, and preview cold", () => {
        expect(renderScaleReadme(record())).toBe(
            "## Benchmark at scale\n\n" +
                "`npm run bench -- --scale` (2000-01-01): at 1 / 2 / 4 / 8 / 16 regions with 2 controllers each, `pulumi up` cold took " +
                "20 / 30 / 45 / 80 / 150 s and the guide by hand 40 / 90 / 180 / 400 / 900 s (2.0x / 3.0x / 4.0x / 5.0x / 6.0x); " +
                '`preview` cold 3.0 / 4.0 / 5.5 / 8.0 / 12.5 s. The table, the chart and the goals: `docs/bench.md`, "Scale: 1 to 16 regions".\n',
        );
    });
});

describe("scale report: docs/bench.md", () => {
    const ROOT = path.join(__dirname, "..", "..");
    const kept = JSON.parse(fs.readFileSync(path.join(ROOT, SCALE_RECORD_FILE), "utf8")) as ScaleRecord;

    it("shows the section its kept record renders, the chart beside it, and its own numbers are a real run's", async () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "bench.md"), "utf8");
        expect(sectionOf(doc, SCALE_HEADING)).toBe(renderScaleSection(kept, SCALE_CHART_LINK));
        expect(sectionOf(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"), SCALE_README_HEADING)).toBe(renderScaleReadme(kept));
        expect(path.join("docs", SCALE_CHART_LINK)).toBe(SCALE_CHART_FILE);
        expect(fs.readFileSync(path.join(ROOT, SCALE_CHART_FILE), "utf8")).toBe(await renderScaleChart(kept));
        // Not the synthetic fixture: every size measured, each with the guide beside the stack.
        expect(kept.note ?? "").not.toMatch(/synthetic/);
        expect(kept.sizes.map((s) => s.regions).sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16]);
        for (const size of kept.sizes) {
            expect(Object.keys(size.ops).sort(), `at ${size.regions} regions`).toEqual(["destroy", "preview-cold", "preview-nochange", "preview-refresh", "up-cold"]);
            expect(size.guide?.wallS, `the guide at ${size.regions} regions`).toBeGreaterThan(0);
            expect(size.guideUndo?.wallS, `the guide's undo at ${size.regions} regions`).toBeGreaterThan(0);
        }
    });
});
