// The scale benchmark's figures, goals and Markdown, from a recorded run (record.ts): pure, no I/O, so that the driver
// that measures and the tests that check the arithmetic share one implementation. Numbers go through toFixed only,
// which ignores the locale: the same record renders the same text on any machine.
import { SCALE_CHART_TITLE } from "./chart";
import { busyShare, CPU_GROUP_LABELS, CPU_GROUPS, notSeenS } from "./cpu";
import { OpMeasure, OP_LABELS, SCALE_OPS, ScaleOp, ScaleRecord, ScaleSize } from "./record";

/** How far above the critical path the makespan may go before the engine counts as scheduling badly. */
export const MAKESPAN_LIMIT = 1.5;

/** The goals, in the order the report lists them. */
export const GOALS = {
    preview16: "preview of 16 regions with 32 controllers under 15 s",
    up4: "up of 4 regions with 8 controllers under 60 s",
    makespan: "makespan within 1.5x of the engine's critical path at every size",
    guide: "the stack's up ahead of the guide by a ratio that grows with the number of regions",
    sshPerNode: "at most one SSH login per node and operation",
    noChangeSsh: "no-change preview makes no SSH login",
} as const;

/** A goal judged on a record: met is undefined when the record lacks what the goal needs, and detail then says what. */
export interface GoalCheck {
    goal: string;
    met: boolean | undefined;
    detail: string;
}

// --- figures -----------------------------------------------------------------------------------------------------

/**
 * Makespan over critical path: 1 when the engine ran every step as soon as its dependencies allowed, more when it held
 * steps back. Undefined when either number is missing, or the critical path is 0 (nothing to divide by).
 */
export function makespanRatio(m: OpMeasure): number | undefined {
    if (m.makespanS === undefined || m.criticalPathS === undefined || m.criticalPathS === 0) return undefined;
    return m.makespanS / m.criticalPathS;
}

/**
 * How many times longer the guide's procedure by hand took than the stack's up-cold at the same size. Undefined
 * without a guide measure or an up-cold, or when up-cold took no time.
 */
export function guideRatio(size: ScaleSize): number | undefined {
    const up = size.ops["up-cold"];
    if (!size.guide || !up || up.wallS === 0) return undefined;
    return size.guide.wallS / up.wallS;
}

// --- formats -----------------------------------------------------------------------------------------------------
const MISSING = "–";
const fixed = (x: number | undefined, digits: number): string => (x === undefined ? MISSING : x.toFixed(digits));
const regionsText = (regions: number): string => `${regions} region${regions === 1 ? "" : "s"}`;
/** "1, 2 and 4 regions". */
function regionsList(regions: number[]): string {
    const last = regions[regions.length - 1];
    const head = regions.slice(0, -1);
    return `${head.length ? `${head.join(", ")} and ` : ""}${regionsText(last)}`;
}
const byRegions = (record: ScaleRecord): ScaleSize[] => [...record.sizes].sort((a, b) => a.regions - b.regions);

// --- goals -------------------------------------------------------------------------------------------------------

/** OP's wall time at REGIONS against a limit: the size goals (1 and 2). */
function wallUnder(record: ScaleRecord, goal: string, regions: number, op: ScaleOp, limitS: number): GoalCheck {
    const size = record.sizes.find((s) => s.regions === regions);
    if (!size) return { goal, met: undefined, detail: `the record has no size with ${regionsText(regions)}` };
    const m = size.ops[op];
    if (!m) return { goal, met: undefined, detail: `the record has no ${op} at ${regionsText(regions)}` };
    return {
        goal,
        met: m.wallS < limitS,
        detail: `${OP_LABELS[op]} took ${fixed(m.wallS, 1)} s at ${regionsText(regions)} with ${size.controllers} controllers (limit ${limitS} s)`,
    };
}

/** Goal 3: up-cold and destroy, wherever the record has both a makespan and a critical path. */
function makespanGoal(sizes: ScaleSize[]): GoalCheck {
    const goal = GOALS.makespan;
    const OPS: ScaleOp[] = ["up-cold", "destroy"];
    const judged: string[] = [];
    const over: string[] = [];
    const unjudged: number[] = [];
    for (const size of sizes) {
        const parts: string[] = [];
        for (const op of OPS) {
            const m = size.ops[op];
            const ratio = m && makespanRatio(m);
            if (ratio === undefined) continue;
            parts.push(`${OP_LABELS[op]} ${fixed(ratio, 2)}`);
            if (ratio > MAKESPAN_LIMIT) over.push(`${OP_LABELS[op]} at ${regionsText(size.regions)} (${fixed(ratio, 2)})`);
        }
        if (parts.length) judged.push(`${regionsText(size.regions)}: ${parts.join(", ")}`);
        else unjudged.push(size.regions);
    }
    if (!judged.length) return { goal, met: undefined, detail: "the record has no up-cold or destroy with both a makespan and a critical path" };
    const ratios = `makespan/critical path: ${judged.join("; ")}`;
    const lacking = unjudged.length ? `; no makespan and critical path at ${regionsList(unjudged)}` : "";
    return { goal, met: !over.length, detail: `${over.length ? `over ${MAKESPAN_LIMIT}: ${over.join(", ")}; ` : ""}${ratios}${lacking}` };
}

/** Goal 4: the guide/up ratio above 1 at every size that has it, and never falling as the regions grow. */
function guideGoal(sizes: ScaleSize[]): GoalCheck {
    const goal = GOALS.guide;
    const ratios = sizes.flatMap((size) => {
        const ratio = guideRatio(size);
        return ratio === undefined ? [] : [{ regions: size.regions, ratio }];
    });
    const listed = ratios.map((r) => `${regionsText(r.regions)} ${fixed(r.ratio, 2)}x`).join(", ");
    // One ratio shows no trend: "grows" needs two sizes at least.
    if (ratios.length < 2) {
        const had = ratios.length ? `only ${listed}` : "none";
        return { goal, met: undefined, detail: `guide/up ratios need a guide measure and an up-cold at two sizes at least (${had})` };
    }
    const behind = ratios.filter((r) => r.ratio <= 1).map((r) => `${regionsText(r.regions)} (${fixed(r.ratio, 2)}x)`);
    const falls = ratios.slice(1).flatMap((r, i) => {
        const previous = ratios[i];
        return r.ratio < previous.ratio
            ? [`from ${fixed(previous.ratio, 2)}x at ${regionsText(previous.regions)} to ${fixed(r.ratio, 2)}x at ${regionsText(r.regions)}`]
            : [];
    });
    const why = [...(behind.length ? [`not ahead at ${behind.join(", ")}`] : []), ...(falls.length ? [`falls ${falls.join(", ")}`] : [])];
    return { goal, met: !why.length, detail: `${why.length ? `${why.join("; ")}; ` : ""}guide/up: ${listed}` };
}

/** Goal 5: no operation logs in to the controllers more often than there are controllers. */
function sshPerNodeGoal(sizes: ScaleSize[]): GoalCheck {
    const goal = GOALS.sshPerNode;
    const measures = sizes.flatMap((size) =>
        SCALE_OPS.flatMap((op) => {
            const m = size.ops[op];
            return m ? [{ size, op, logins: m.sshLogins }] : [];
        }),
    );
    if (!measures.length) return { goal, met: undefined, detail: "the record has no operation measured" };
    const where = (x: (typeof measures)[number]): string =>
        `${OP_LABELS[x.op]} at ${regionsText(x.size.regions)}: ${x.logins} for ${x.size.controllers} controllers`;
    const over = measures.filter((x) => x.logins > x.size.controllers);
    if (over.length) return { goal, met: false, detail: `more logins than controllers: ${over.map(where).join("; ")}` };
    // The first of the largest, so that the same record always names the same operation.
    const most = measures.reduce((a, b) => (b.logins > a.logins ? b : a));
    return { goal, met: true, detail: `${measures.length} operations checked; the most logins: ${where(most)}` };
}

/** Goal 6: a preview with nothing to do must not reach the nodes at all. */
function noChangeSshGoal(sizes: ScaleSize[]): GoalCheck {
    const goal = GOALS.noChangeSsh;
    const measured = sizes.filter((s) => s.ops["preview-nochange"]);
    if (!measured.length) return { goal, met: undefined, detail: "the record has no preview-nochange" };
    const unmeasured = sizes.filter((s) => !s.ops["preview-nochange"]).map((s) => s.regions);
    const lacking = unmeasured.length ? `; not measured at ${regionsList(unmeasured)}` : "";
    const logged = measured.filter((s) => s.ops["preview-nochange"]!.sshLogins !== 0);
    if (logged.length) {
        const list = logged.map((s) => `${s.ops["preview-nochange"]!.sshLogins} at ${regionsText(s.regions)}`).join(", ");
        return { goal, met: false, detail: `SSH logins: ${list}${lacking}` };
    }
    return { goal, met: true, detail: `no login at ${regionsList(measured.map((s) => s.regions))}${lacking}` };
}

/** The six goals of the scale benchmark, judged on RECORD, in the order of GOALS. */
export function goals(record: ScaleRecord): GoalCheck[] {
    const sizes = byRegions(record);
    return [
        wallUnder(record, GOALS.preview16, 16, "preview-cold", 15),
        wallUnder(record, GOALS.up4, 4, "up-cold", 60),
        makespanGoal(sizes),
        guideGoal(sizes),
        sshPerNodeGoal(sizes),
        noChangeSshGoal(sizes),
    ];
}

// --- Markdown ----------------------------------------------------------------------------------------------------

/** The table's columns: a header and the cell of one size. */
const COLUMNS: ReadonlyArray<{ header: string; cell: (size: ScaleSize) => string }> = [
    { header: "regions", cell: (s) => String(s.regions) },
    { header: "controllers", cell: (s) => String(s.controllers) },
    { header: "resources", cell: (s) => String(s.resources) },
    { header: "state (KiB)", cell: (s) => fixed(s.stateKiB, 0) },
    ...SCALE_OPS.map((op) => ({ header: `${OP_LABELS[op]} (s)`, cell: (s: ScaleSize) => fixed(s.ops[op]?.wallS, 1) })),
    { header: "guide (s)", cell: (s) => fixed(s.guide?.wallS, 1) },
    { header: "guide/up", cell: (s) => (guideRatio(s) === undefined ? MISSING : `${fixed(guideRatio(s), 1)}x`) },
    { header: "guide's undo (s)", cell: (s) => fixed(s.guideUndo?.wallS, 1) },
    { header: "up: makespan/critical path", cell: (s) => fixed(s.ops["up-cold"] && makespanRatio(s.ops["up-cold"]), 2) },
    { header: "up: peak RSS (MiB)", cell: (s) => fixed(s.ops["up-cold"]?.peakRssMb, 0) },
    { header: "up: SSH logins", cell: (s) => fixed(s.ops["up-cold"]?.sshLogins, 0) },
    { header: "up: API requests", cell: (s) => fixed(s.ops["up-cold"]?.apiRequests, 0) },
];

/** A Markdown table row. */
const row = (cells: string[]): string => `| ${cells.join(" | ")} |`;

/** One row per size, by regions: wall times of every operation and the guide, then up-cold's ratios and costs. */
export function scaleTable(record: ScaleRecord): string {
    return [
        row(COLUMNS.map((c) => c.header)),
        row(COLUMNS.map(() => "---:")),
        ...byRegions(record).map((size) => row(COLUMNS.map((c) => c.cell(size)))),
    ].join("\n");
}

/** The operations whose CPU the report shows: the two the makespan goal judges. */
const CPU_OPS: ReadonlyArray<ScaleOp> = ["up-cold", "destroy"];

/**
 * Where the machine's CPU went during up-cold and destroy, a row per size and operation that measured it: how busy the
 * cores were (busy CPU seconds over the operation's length times the cores), and each group's CPU seconds. Undefined
 * when no operation of the record measured it.
 */
export function cpuTable(record: ScaleRecord): string | undefined {
    const rows = byRegions(record).flatMap((size) =>
        CPU_OPS.flatMap((op) => {
            const m = size.ops[op];
            if (!m?.cpu) return [];
            const busy = busyShare(m.cpu);
            return [[String(size.regions), OP_LABELS[op], fixed(m.wallS, 1), busy === undefined ? MISSING : fixed(100 * busy, 0), ...CPU_GROUPS.map((g) => fixed(m.cpu!.groups[g], 1)), fixed(notSeenS(m.cpu), 1)]];
        }),
    );
    if (!rows.length) return undefined;
    const header = ["regions", "operation", "wall (s)", "cores busy (%)", ...CPU_GROUPS.map((g) => `${CPU_GROUP_LABELS[g]} (CPU s)`), "not seen (CPU s)"];
    return [row(header), row(header.map((_, i) => (i < 2 ? "---" : "---:"))), ...rows.map(row)].join("\n");
}

/** What the CPU table's columns are (bench/scale/cpu.ts says how they are measured). */
const CPU_METHOD = [
    "Where the machine's CPU went (`bench/scale/cpu.ts`): \"cores busy\" is the time the cores were not idle over the",
    "operation's length times the cores (/proc/stat); the groups are every process's own CPU time, sampled twice a second",
    "and grouped by what it is: the `pulumi` CLI (the engine, which writes the state after every step), its plugins, this",
    "program (the Automation API, the stack's program, the sampler), the cloud's services, the controller nodes (their",
    "namespaces and L2 agents) and anything else; \"not seen\" is busy time of processes shorter-lived than a sample (an",
    "ssh, a node's script).",
].join("\n");

const verdict = (met: boolean | undefined): string => (met === undefined ? "not judged" : met ? "met" : "NOT met");

/** A path that Markdown would cut at a space or a parenthesis goes between angle brackets. */
const linkTarget = (path: string): string => (/[\s()]/.test(path) ? `<${path}>` : path);

/** The scale section's heading in docs/bench.md, where bench/scale and bench/report both find it. */
export const SCALE_HEADING = "## Scale: 1 to 16 regions";
/** Where the scale benchmark keeps its record and its chart, and how docs/bench.md links the chart. */
export const SCALE_RECORD_FILE = "docs/bench-scale/record.json";
export const SCALE_CHART_FILE = "docs/bench-scale/chart.svg";
export const SCALE_CHART_LINK = "bench-scale/chart.svg";

/** What the scale section's numbers are, in a few lines (bench/scale/run.ts and guide.ts say it at length). */
const SCALE_METHOD = [
    "`npm run bench -- --scale`: the local cloud grown to 16 regions (one Neutron, one Nova behind them) and two controller",
    "nodes per region, each with its L2 agent. At each size, first the guide's procedure by hand (`bench/guide-procedure.sh`",
    "for those nodes, without How to play): its configuration (\"guide\") and its undo; then the stack through the real",
    "engine: `preview` cold, `up` cold, `preview` and `preview --refresh` with no change, `destroy`. The management plane",
    "and the nodes only: the demo does not grow with regions. After the guide's undo and after `destroy`, every node must",
    "be as before the run. Makespan and critical path as in the two-node report above.",
].join("\n");

/**
 * The report's scale section: the run's circumstances, the chart (CHART_PATH, as the Markdown file will reach it), the
 * table and the goals. Ends with a line break.
 */
export function renderScaleSection(record: ScaleRecord, chartPath: string): string {
    const circumstances = [
        `Run of ${record.date} on ${record.machine}; ${record.load}.`,
        ...(record.parallel ? [`The engine's --parallel: ${record.parallel}.`] : []),
        ...(record.commit ? [`Commit \`${record.commit}\`.`] : []),
        // A note such as "synthetic" must travel with the numbers wherever they are shown.
        ...(record.note ? [`Note: ${record.note}`] : []),
    ].join(" ");
    const cpu = cpuTable(record);
    return [
        SCALE_HEADING,
        "",
        SCALE_METHOD,
        "",
        circumstances,
        "",
        `![${SCALE_CHART_TITLE}](${linkTarget(chartPath)})`,
        "",
        scaleTable(record),
        "",
        ...goals(record).map((g) => `- **${verdict(g.met)}**: ${g.goal} — ${g.detail}`),
        "",
        ...(cpu === undefined ? [] : [CPU_METHOD, "", cpu, ""]),
        ...(record.findings?.length ? ["What bounds it, and what was tried:", "", ...record.findings.map((f) => `- ${f}`), ""] : []),
    ].join("\n");
}

/** README.md's one-line summary of the scale run, under its own heading (bench/run.sh's "## Benchmark" stops there). */
export const SCALE_README_HEADING = "## Benchmark at scale";

/** README.md's scale section: one line of the run's numbers at each size, the guide's beside the stack's. Ends with a line break. */
export function renderScaleReadme(record: ScaleRecord): string {
    const sizes = byRegions(record);
    const list = (cell: (s: ScaleSize) => string) => sizes.map(cell).join(" / ");
    const sizesText = sizes.map((s) => s.regions).join(" / ");
    const line = [
        `\`npm run bench -- --scale\` (${record.date}): at ${sizesText} regions with 2 controllers each, \`pulumi up\` cold took`,
        `${list((s) => fixed(s.ops["up-cold"]?.wallS, 0))} s and the guide by hand ${list((s) => fixed(s.guide?.wallS, 0))} s`,
        `(${list((s) => (guideRatio(s) === undefined ? MISSING : `${fixed(guideRatio(s), 1)}x`))});`,
        `\`preview\` cold ${list((s) => fixed(s.ops["preview-cold"]?.wallS, 1))} s.`,
        `The table, the chart and the goals: \`docs/bench.md\`, "${SCALE_HEADING.slice(3)}".`,
    ].join(" ");
    return [SCALE_README_HEADING, "", line, ""].join("\n");
}
