// The scale benchmark's chart: wall time against regions, one line per engine operation and dashed ones for the guide
// by hand (its configuration, beside up, and its undo, beside destroy), as standalone SVG text. Drawn with vega-lite (compiled to a vega spec) and rendered headless by vega's
// View.toSVG(), which needs no canvas and no browser; nothing here reads the clock, so a record draws the same bytes.
import { OP_LABELS, SCALE_OPS, ScaleRecord } from "./record";

/** The chart's title, also the alt text of the report's image. */
export const SCALE_CHART_TITLE = "Wall time against regions (2 controllers per region)";
/** The legend entries of the guide's procedure by hand: its configuration, and its undo. */
export const GUIDE_LABEL = "guide (by hand)";
export const GUIDE_UNDO_LABEL = "guide's undo (by hand)";
export const X_TITLE = "regions (log scale)";
export const Y_TITLE = "wall time (s)";

/** Each series keeps its colour whichever others a record lacks (vega's tableau10, the guide in grey). */
const COLORS: Readonly<Record<string, string>> = {
    [OP_LABELS["preview-cold"]]: "#4c78a8",
    [OP_LABELS["up-cold"]]: "#f58518",
    [OP_LABELS["preview-nochange"]]: "#54a24b",
    [OP_LABELS["preview-refresh"]]: "#b279a2",
    [OP_LABELS.destroy]: "#e45756",
    [GUIDE_LABEL]: "#595959",
    [GUIDE_UNDO_LABEL]: "#a0a0a0",
};

// --- the parts of vega and vega-lite used here, typed by hand -----------------------------------------------------
// The packages' own typings would not help: vega-lite's are reachable only through its "exports" map, which this
// project's moduleResolution ("node") ignores, and the modules come through importEsm, whose result TypeScript cannot
// know. These few lines are all the code below relies on.
interface VegaView {
    toSVG(scaleFactor?: number): Promise<string>;
    finalize(): void;
}
interface Vega {
    parse(spec: object): object;
    View: new (runtime: object, options: { renderer: "none" }) => VegaView;
}
interface VegaLite {
    compile(spec: object): { spec: object };
}

// vega and vega-lite are ESM only, and vega has a top-level await, so not even the require(esm) of recent Node loads it
// (ERR_REQUIRE_ASYNC_MODULE): it takes a real import(). The project compiles to CommonJS (tsconfig.json, bench/run.sh's
// tsc), where tsc turns every `import(...)` into `require(...)`. The body of a `new Function` is a string tsc does not
// touch, so its import() stays one in the compiled bench under plain `node`. Under vitest that same function fails:
// vitest evaluates modules with vm.runInThisContext and no dynamic-import callback, and a function made there inherits
// the lack (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). There, and only there, the import() written in the source below
// works, because vitest rewrites it to its own loader before tsc is ever involved.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- on purpose: see above
const nativeImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

async function importEsm(specifier: string): Promise<unknown> {
    try {
        return await nativeImport(specifier);
    } catch (error) {
        if (!String((error as { code?: unknown } | null)?.code).startsWith("ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING")) throw error;
        return import(specifier);
    }
}

let modules: Promise<{ vega: Vega; vegaLite: VegaLite }> | undefined;
/** Both packages, loaded once: importing them takes a few hundred milliseconds. */
function loadVega(): Promise<{ vega: Vega; vegaLite: VegaLite }> {
    modules ??= Promise.all([importEsm("vega"), importEsm("vega-lite")]).then(([vega, vegaLite]) => ({
        vega: vega as Vega,
        vegaLite: vegaLite as VegaLite,
    }));
    return modules;
}

/** The x ticks: the powers of 2 from LO to HI (the benchmark doubles the regions at each size). */
function powersOfTwo(lo: number, hi: number): number[] {
    const ticks: number[] = [];
    for (let x = 1; x <= hi; x *= 2) if (x >= lo) ticks.push(x);
    return ticks;
}

/** The vega-lite spec of RECORD's chart: one row of data per point, its series named as the legend shows it. */
export function scaleChartSpec(record: ScaleRecord): object {
    const sizes = [...record.sizes].sort((a, b) => a.regions - b.regions);
    const rows = sizes.flatMap((size) => [
        ...SCALE_OPS.flatMap((op) => {
            const m = size.ops[op];
            return m ? [{ regions: size.regions, series: OP_LABELS[op], wallS: m.wallS }] : [];
        }),
        ...(size.guide ? [{ regions: size.regions, series: GUIDE_LABEL, wallS: size.guide.wallS }] : []),
        ...(size.guideUndo ? [{ regions: size.regions, series: GUIDE_UNDO_LABEL, wallS: size.guideUndo.wallS }] : []),
    ]);
    // Only the series that have a point get a legend entry, in the order the operations run, the guide's last.
    const present = new Set(rows.map((r) => r.series));
    const series = [...SCALE_OPS.map((op) => OP_LABELS[op]), GUIDE_LABEL, GUIDE_UNDO_LABEL].filter((s) => present.has(s));
    const regions = sizes.map((s) => s.regions);
    // 1 to 16 whatever was measured, so that charts of partial runs line up with a full one.
    const domain = [Math.min(1, ...regions), Math.max(16, ...regions)];
    // color and strokeDash on the same field with the same title make vega-lite draw one legend, dashed for the guide.
    const legendScale = (range: unknown[]) => ({ domain: series, range });
    return {
        title: SCALE_CHART_TITLE,
        width: 640,
        height: 360,
        // The whole SVG is 640 x 360, legend and axes included.
        autosize: { type: "fit", contains: "padding" },
        background: "white",
        data: { values: rows },
        mark: { type: "line", point: true },
        encoding: {
            x: {
                field: "regions",
                type: "quantitative",
                title: X_TITLE,
                scale: { type: "log", base: 2, domain, nice: false },
                axis: { values: powersOfTwo(domain[0], domain[1]), format: "d", grid: true },
            },
            y: { field: "wallS", type: "quantitative", title: Y_TITLE, scale: { zero: true } },
            color: {
                field: "series",
                type: "nominal",
                title: null,
                sort: series,
                scale: legendScale(series.map((s) => COLORS[s])),
                // Line symbols, not the points' circles: a circle cannot show the guide's dashes.
                legend: { symbolType: "stroke", symbolSize: 500, symbolStrokeWidth: 2, labelLimit: 240 },
            },
            strokeDash: {
                field: "series",
                type: "nominal",
                title: null,
                sort: series,
                scale: legendScale(series.map((s) => (s === GUIDE_LABEL || s === GUIDE_UNDO_LABEL ? [6, 4] : [1, 0]))),
            },
        },
    };
}

/** RECORD's chart as standalone SVG text (it starts with `<svg`). */
export async function renderScaleChart(record: ScaleRecord): Promise<string> {
    const { vega, vegaLite } = await loadVega();
    const view = new vega.View(vega.parse(vegaLite.compile(scaleChartSpec(record)).spec), { renderer: "none" });
    try {
        return await view.toSVG();
    } finally {
        view.finalize();
    }
}
