// The arithmetic of the report, pure: the guide's sums, a phase's figure over the runs (medians of times, the fewest
// of counts), the ratios per run, the engine's critical path and makespan, the cross-checks. No file is read here
// (load.ts does that) and nothing is formatted (render.ts does that).
import { PhaseRow, RawResults, Step, StepsRecord } from "../rawResults";

export const median = (xs: number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** A column of a phase row, or "requests": the API requests of all the services together. */
export type Metric = Exclude<keyof PhaseRow, "section" | "phase"> | "requests";

export const requestCount = (r: PhaseRow): number => r.keystone + r.neutron + r.octavia + r.nova + r.glance + r.placement;

const metricOf = (r: PhaseRow, metric: Metric): number => (metric === "requests" ? requestCount(r) : r[metric]);

/**
 * Counts are a phase's own, the same in every run, but another client's requests falling into a phase add to them
 * (the cloud is shared): so a count's figure is the fewest of any run. Everything else is a time: its median.
 */
const COUNTS: ReadonlyArray<Metric> = ["requests", "keystone", "neutron", "octavia", "nova", "glance", "placement", "tokens", "ssh", "cli"];

// --- the guide's phases, by what they are ----------------------------------------------------------------------
export type GuideKind = "config-cloud" | "config-nodes" | "demo" | "undo-demo" | "undo-nodes" | "undo-config";

export function guideKindOf(r: { section: string; phase: string }): GuideKind | undefined {
    if (r.section !== "guide") return undefined;
    const p = r.phase;
    if (p.startsWith("undo: demo")) return "undo-demo";
    if (p.startsWith("undo: nodes")) return "undo-nodes";
    if (p.startsWith("undo: configuration")) return "undo-config";
    if (p.startsWith("nodes:")) return "config-nodes";
    if (/^(security groups|management networks|health-manager ports|bind them)/.test(p)) return "config-cloud";
    if (p.startsWith("demo:")) return "demo";
    return undefined;
}

/** The guide's sums: the phase names of the rows that add up its phases (they start with "=", which sets them apart). */
export const GUIDE_SUM = {
    cloud: "= configuration, cloud side (the 4 CLI phases)",
    nodes: "= configuration, nodes (the 4 SSH phases)",
    config: "= the guide's configuration (cloud + nodes)",
    demo: "= How to play (the demo phases: networks, backends, the load-balancer chain)",
    procedure: "= the whole procedure (configuration + How to play): the ratio's numerator, against `pulumi up`",
    undoDemo: "= undo of How to play (load-balancer chain, backends, networks)",
    undoConfig: "= undo of the configuration (nodes + cloud side)",
    undoAll: "= the whole undo: against `pulumi destroy`",
};

/** Which kinds of phases each of the guide's sums adds up. */
const GUIDE_SUM_KINDS: Record<string, GuideKind[]> = {
    [GUIDE_SUM.cloud]: ["config-cloud"],
    [GUIDE_SUM.nodes]: ["config-nodes"],
    [GUIDE_SUM.config]: ["config-cloud", "config-nodes"],
    [GUIDE_SUM.demo]: ["demo"],
    [GUIDE_SUM.procedure]: ["config-cloud", "config-nodes", "demo"],
    [GUIDE_SUM.undoDemo]: ["undo-demo"],
    [GUIDE_SUM.undoConfig]: ["undo-nodes", "undo-config"],
    [GUIDE_SUM.undoAll]: ["undo-demo", "undo-nodes", "undo-config"],
};

/** The counted columns of a row: every one adds up across phases. */
const COUNTED = ["wall", "keystone", "neutron", "octavia", "tokens", "server", "cli", "cpu", "ssh", "nova", "glance", "placement"] as const;

/** ROWS added up column by column, into one row named SECTION / PHASE. */
export function sumRows(rows: PhaseRow[], section: string, phase: string): PhaseRow {
    const sum: PhaseRow = { section, phase, wall: 0, keystone: 0, neutron: 0, octavia: 0, tokens: 0, server: 0, cli: 0, cpu: 0, ssh: 0, nova: 0, glance: 0, placement: 0 };
    for (const r of rows) for (const column of COUNTED) sum[column] += r[column];
    return sum;
}

/** A run's rows with the guide's sums appended after the guide's own phases (before the first other section's). */
export function withGuideSums(rows: PhaseRow[]): PhaseRow[] {
    const guide = rows.filter((r) => r.section === "guide");
    const sums = Object.entries(GUIDE_SUM_KINDS).map(([name, kinds]) => sumRows(guide.filter((r) => kinds.includes(guideKindOf(r) as GuideKind)), "guide", name));
    const out: PhaseRow[] = [];
    let placed = false;
    for (const r of rows) {
        if (!placed && r.section !== "guide" && guide.length) {
            out.push(...sums);
            placed = true;
        }
        out.push(r);
    }
    if (!placed && guide.length) out.push(...sums);
    return out;
}

export interface PhaseKey {
    section: string;
    phase: string;
}

/** The phases of all runs (the guide's sums included), and their figures over the runs. */
export interface PhaseTable {
    /** Every run's rows, the guide's sums included, in the order of the runs. */
    runs: PhaseRow[][];
    /** The phases in the order of the first run; a phase missing from a run (a failed run) is left out of its figure. */
    keys: PhaseKey[];
    /** The first phase of SECTION whose name starts with PREFIX; throws if there is none. */
    find(section: string, prefix: string): PhaseKey;
    /** The phase's rows, one per run that has it. */
    rowsOf(section: string, phase: string): PhaseRow[];
    /** The phase's figure over the runs: the median of a time, the fewest of a count, a guide's sum's count the sum of its phases' counts. */
    phaseFigure(section: string, phase: string, metric: Metric): number;
    /** phaseFigure of the phase find(SECTION, PREFIX) names. */
    figure(section: string, prefix: string, metric: Metric): number;
    /** The phase's value in each run that has it. */
    values(section: string, prefix: string, metric: Metric): number[];
    /** The phase's value per run, undefined where a run lacks it. */
    perRun(section: string, prefix: string, metric: Metric): Array<number | undefined>;
}

export function phaseTable(runRows: PhaseRow[][]): PhaseTable {
    const runs = runRows.map(withGuideSums);
    const keys: PhaseKey[] = [];
    for (const rows of runs) for (const r of rows) if (!keys.some((k) => k.section === r.section && k.phase === r.phase)) keys.push(r);
    const rowsOf = (section: string, phase: string): PhaseRow[] => runs.flatMap((rows) => rows.filter((r) => r.section === section && r.phase === phase));
    const find = (section: string, prefix: string): PhaseKey => {
        const k = keys.find((x) => x.section === section && x.phase.startsWith(prefix));
        if (!k) throw new Error(`no ${section} phase "${prefix}…" in the results`);
        return k;
    };
    const phaseFigure = (section: string, phase: string, metric: Metric): number => {
        if (!COUNTS.includes(metric)) return median(rowsOf(section, phase).map((r) => metricOf(r, metric)));
        const kinds = section === "guide" ? GUIDE_SUM_KINDS[phase] : undefined;
        if (kinds) return keys.filter((k) => kinds.includes(guideKindOf(k) as GuideKind)).reduce((a, k) => a + phaseFigure(k.section, k.phase, metric), 0);
        return Math.min(...rowsOf(section, phase).map((r) => metricOf(r, metric)));
    };
    return {
        runs,
        keys,
        find,
        rowsOf,
        phaseFigure,
        figure: (section, prefix, metric) => {
            const k = find(section, prefix);
            return phaseFigure(k.section, k.phase, metric);
        },
        values: (section, prefix, metric) => {
            const k = find(section, prefix);
            return rowsOf(k.section, k.phase).map((r) => metricOf(r, metric));
        },
        perRun: (section, prefix, metric) => {
            const k = find(section, prefix);
            return runs.map((rows) => {
                const r = rows.find((x) => x.section === k.section && x.phase === k.phase);
                return r ? metricOf(r, metric) : undefined;
            });
        },
    };
}

/** A guide's phase's wall time over an engine's phase's, per run that has both (and a non-zero denominator). */
export function wallRatios(table: PhaseTable, guidePhase: string, denominatorSection: string, denominatorPhase: string): number[] {
    const numerators = table.perRun("guide", guidePhase, "wall");
    const denominators = table.perRun(denominatorSection, denominatorPhase, "wall");
    return numerators.flatMap((x, i) => {
        const y = denominators[i];
        return x !== undefined && y !== undefined && y > 0 ? [x / y] : [];
    });
}

// --- the engine's critical path --------------------------------------------------------------------------------
export interface PathStep {
    urn: string;
    type: string;
    /** s from the operation's start. */
    start: number;
    end: number;
    /** The step's duration (s); 0 for a component. */
    weight: number;
}

export interface CriticalPath {
    /** Sum of the step durations along the longest dependency chain (s). */
    length: number;
    /** From the first step's start to the last step's end of that chain (s). */
    span: number;
    /** From the first step's start (the stack's own registration) to the last step's end (s). */
    makespan: number;
    steps: PathStep[];
    stepCount: number;
    /** The whole chain's step durations by kind (s). */
    byKind: Record<string, number>;
    /** Sum of all step durations (s): the work, were it done one step after the other. */
    work: number;
    /** Largest difference between a step's engine timestamp and this process's receipt of it (s). */
    clockSkew: number;
    /** The first step's start (s from the operation's start). */
    firstStart: number;
}

export const isProvider = (type: string): boolean => type.startsWith("pulumi:providers:");

/** What a step of TYPE is, for the chain's breakdown. */
export function stepKind(type: string): string {
    if (isProvider(type)) return "provider start-up";
    if (type.startsWith("command:")) return "SSH commands on the nodes";
    if (type.startsWith("pulumi-nodejs:dynamic/")) return "host binding (dynamic provider)";
    if (type.startsWith("openstack:loadbalancer/")) return "the load-balancer chain (Octavia, bridged provider)";
    if (type.startsWith("openstack:compute/")) return "the backends (Nova, bridged provider)";
    if (type.startsWith("openstack:")) return "other OpenStack resources (bridged provider)";
    return "other";
}

/**
 * Longest chain of steps, by summed step durations, in the dependency graph the state records: a resource waits for
 * its `dependencies`, its `propertyDependencies`, its `parent` (a child is registered once its parent is) and its
 * provider. Components (no provider of their own, the stack included) are bookkeeping, not work: they weigh 0 but
 * pass their own dependencies on (a ControllerNode's `dependsOn` reaches its commands through `parent`). For a
 * destroy the edges are reversed: a resource is deleted once everything that depends on it is gone. Steps that
 * failed or never ended are left out.
 */
export function criticalPath(record: StepsRecord, which: "up" | "destroy"): CriticalPath | undefined {
    const steps = record[which].filter((x) => x.end !== undefined && !x.failed);
    if (steps.length === 0) return undefined;
    const byUrn = new Map(steps.map((x) => [x.urn, x]));
    const resources = new Map(record.resources.map((r) => [r.urn, r]));
    const isWork = (urn: string) => {
        const r = resources.get(urn);
        const type = r?.type ?? byUrn.get(urn)?.type ?? "";
        return isProvider(type) || Boolean(r?.provider);
    };
    const waitsFor = new Map<string, Set<string>>();
    for (const urn of byUrn.keys()) waitsFor.set(urn, new Set());
    for (const r of record.resources) {
        const on = new Set<string>([...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()]);
        if (r.parent) on.add(r.parent);
        // A provider reference is "<urn>::<id>".
        if (r.provider) on.add(r.provider.slice(0, r.provider.lastIndexOf("::")));
        for (const d of on) {
            if (d === r.urn || !byUrn.has(d) || !byUrn.has(r.urn)) continue;
            // up: r waits for d; destroy: d waits for r.
            if (which === "up") waitsFor.get(r.urn)!.add(d);
            else waitsFor.get(d)!.add(r.urn);
        }
    }
    const weight = (urn: string) => {
        const x = byUrn.get(urn)!;
        return isWork(urn) ? (x.end! - x.start) / 1000 : 0;
    };
    const best = new Map<string, { length: number; prev?: string }>();
    const visiting = new Set<string>();
    const longest = (urn: string): number => {
        const known = best.get(urn);
        if (known) return known.length;
        if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        visiting.add(urn);
        let top = 0;
        let prev: string | undefined;
        for (const d of waitsFor.get(urn) ?? []) {
            const l = longest(d);
            if (l > top || prev === undefined) {
                top = l;
                prev = d;
            }
        }
        visiting.delete(urn);
        const length = top + weight(urn);
        best.set(urn, { length, prev });
        return length;
    };
    let last = "";
    for (const urn of byUrn.keys()) if (!last || longest(urn) > longest(last)) last = urn;
    const chain: string[] = [];
    for (let u: string | undefined = last; u !== undefined; u = best.get(u)?.prev) chain.unshift(u);
    const pathSteps = chain.filter(isWork).map((u) => {
        const x = byUrn.get(u)!;
        return { urn: u, type: x.type, start: x.start / 1000, end: x.end! / 1000, weight: weight(u) };
    });
    const work = steps.filter((x) => isWork(x.urn));
    const first = Math.min(...steps.map((x) => x.start)) / 1000;
    const byKind: Record<string, number> = {};
    for (const p of pathSteps) byKind[stepKind(p.type)] = (byKind[stepKind(p.type)] ?? 0) + p.weight;
    const engineOrigin = Math.min(...steps.map((x) => x.engineStart));
    const clockSkew = Math.max(
        ...steps.map((x) => Math.abs(x.engineStart - engineOrigin - (x.start / 1000 - first))),
        ...steps.map((x) => (x.engineEnd === undefined ? 0 : Math.abs(x.engineEnd - engineOrigin - (x.end! / 1000 - first)))),
    );
    return {
        length: best.get(last)!.length,
        span: pathSteps.length ? pathSteps[pathSteps.length - 1].end - pathSteps[0].start : 0,
        makespan: Math.max(...work.map((x) => x.end!)) / 1000 - first,
        steps: pathSteps,
        stepCount: work.length,
        byKind,
        work: work.reduce((a, x) => a + (x.end! - x.start) / 1000, 0),
        clockSkew,
        firstStart: first,
    };
}

export interface Census {
    total: number;
    components: number;
    work: number;
    /** "<kind> ×<n>", by first occurrence in the state. */
    byKind: Array<[string, number]>;
}

/** What the state after `up` holds: components, and the resources with work of their own by kind. */
export function census(record: StepsRecord | undefined): Census {
    if (!record) return { total: 0, components: 0, work: 0, byKind: [] };
    const kinds = new Map<string, number>();
    let components = 0;
    let work = 0;
    for (const r of record.resources) {
        if (!r.provider && !isProvider(r.type)) {
            components++;
            continue;
        }
        work++;
        const label = isProvider(r.type) ? `${r.type.slice("pulumi:providers:".length)} provider` : r.type.split(":").pop()!;
        kinds.set(label, (kinds.get(label) ?? 0) + 1);
    }
    return { total: record.resources.length, components, work, byKind: [...kinds] };
}

/** A run's critical paths; undefined where its steps were not recorded. */
export interface RunPaths {
    id: number;
    up?: CriticalPath;
    destroy?: CriticalPath;
    counts: Record<string, number>;
    steps?: StepsRecord;
}

/** The index of the run whose cold `up` is the median one among those with a critical path (the lower of two middles), or -1. */
export function medianRunIndex(upWalls: Array<number | undefined>, paths: RunPaths[]): number {
    const known = upWalls.map((w, i) => ({ w, i })).filter((x) => x.w !== undefined && paths[x.i].up) as Array<{ w: number; i: number }>;
    if (!known.length) return -1;
    const sorted = [...known].sort((a, b) => a.w - b.w);
    return sorted[Math.floor((sorted.length - 1) / 2)].i;
}

/** The duration (s) of the first finished step of TYPE in the cold `up`. */
export function upStepSeconds(record: StepsRecord | undefined, type: string): number | undefined {
    const step: Step | undefined = record?.up.find((x) => x.type === type && x.end !== undefined);
    return step ? (step.end! - step.start) / 1000 : undefined;
}

// --- the whole analysis ----------------------------------------------------------------------------------------
export interface Analysis {
    runIds: number[];
    table: PhaseTable;
    /** The guide's whole procedure ÷ the engine's cold `up`, per run. */
    upRatios: number[];
    /** The guide's whole undo ÷ `pulumi destroy`, per run. */
    destroyRatios: number[];
    paths: RunPaths[];
    upPaths: CriticalPath[];
    destroyPaths: CriticalPath[];
    /** Index into paths of the median cold `up`, or -1. */
    medianRun: number;
    /** Per window-N.tsv: its requests minus the sum of its run's guide phases' (NaN when the run has no guide phase). */
    windowDifferences: number[];
    /** Phases (not the guide's sums, not the baseline's) whose requests or SSH logins differ between runs. */
    varying: PhaseKey[];
    /** Octavia restarts per node during a section, over every node and run. */
    restarts: Record<string, number[]>;
    /** The engine's own LoadBalancer step in the median run's cold `up` (s). */
    engineLoadBalancer?: number;
}

export const medianOf = (paths: CriticalPath[], f: (c: CriticalPath) => number): number => median(paths.map(f));

export function analyze(raw: RawResults): Analysis {
    const table = phaseTable(raw.runs.map((r) => r.rows));
    const runIds = raw.runs.map((r) => r.id);
    const paths: RunPaths[] = raw.runs.map((r) =>
        r.steps
            ? { id: r.id, up: criticalPath(r.steps, "up"), destroy: criticalPath(r.steps, "destroy"), counts: r.steps.counts, steps: r.steps }
            : { id: r.id, up: undefined, destroy: undefined, counts: {} },
    );
    const medianRun = medianRunIndex(table.perRun("engine", "pulumi up, cold", "wall"), paths);
    const windowDifferences = raw.windows.map(({ run, counts }) => {
        const rows = table.runs[runIds.indexOf(run)] ?? [];
        const guide = rows.filter((r) => r.section === "guide" && !r.phase.startsWith("="));
        const logged = counts.keystone + counts.neutron + counts.octavia + counts.nova + counts.glance + counts.placement;
        return guide.length ? logged - guide.reduce((a, r) => a + requestCount(r), 0) : NaN;
    });
    const restarts: Record<string, number[]> = {};
    for (const r of raw.restarts) (restarts[r.section] ??= []).push(r.count);
    return {
        runIds,
        table,
        upRatios: wallRatios(table, GUIDE_SUM.procedure, "engine", "pulumi up, cold"),
        destroyRatios: wallRatios(table, GUIDE_SUM.undoAll, "engine", "pulumi destroy"),
        paths,
        upPaths: paths.flatMap((p) => (p.up ? [p.up] : [])),
        destroyPaths: paths.flatMap((p) => (p.destroy ? [p.destroy] : [])),
        medianRun,
        windowDifferences,
        varying: table.keys.filter(
            (k) => !k.phase.startsWith("=") && k.section !== "baseline" && new Set(table.rowsOf(k.section, k.phase).map((r) => `${requestCount(r)}/${r.ssh}`)).size > 1,
        ),
        restarts,
        engineLoadBalancer: medianRun >= 0 ? upStepSeconds(paths[medianRun].steps, "openstack:loadbalancer/loadBalancer:LoadBalancer") : undefined,
    };
}
