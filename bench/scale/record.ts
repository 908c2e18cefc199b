// The recorded run of the scale benchmark: the stack's operations measured at 1, 2, 4, 8 and 16 regions (2 controller
// nodes per region), next to the guide's procedure by hand for the same regions. The driver that measures writes one
// ScaleRecord as JSON; report.ts and chart.ts read it and never measure anything. Declared once here so that the
// writer and the readers cannot drift apart.
import { CpuMeasure } from "./cpu";

/**
 * The engine operations measured at each size, in the order they run:
 * - "preview-cold": `pulumi preview` on an empty stack;
 * - "up-cold": `pulumi up` on an empty stack (creates everything);
 * - "preview-nochange": `pulumi preview` right after up-cold, nothing to do;
 * - "preview-refresh": `pulumi preview --refresh` right after up-cold (reads every resource back from the cloud);
 * - "destroy": `pulumi destroy` of what up-cold made.
 */
export type ScaleOp = "preview-cold" | "up-cold" | "preview-nochange" | "preview-refresh" | "destroy";

/** Every ScaleOp, in the order they run: the order of the report's columns and of the chart's legend. */
export const SCALE_OPS: ReadonlyArray<ScaleOp> = ["preview-cold", "up-cold", "preview-nochange", "preview-refresh", "destroy"];

/** How the report and the chart name each operation (the command a reader would type, more or less). */
export const OP_LABELS: Readonly<Record<ScaleOp, string>> = {
    "preview-cold": "preview cold",
    "up-cold": "up cold",
    "preview-nochange": "preview no change",
    "preview-refresh": "preview --refresh",
    destroy: "destroy",
};

/** What one operation cost at one size. */
export interface OpMeasure {
    /** Wall time of the operation, seconds. */
    wallS: number;
    /** OpenStack API requests it caused, all services together. */
    apiRequests: number;
    /** SSH logins on the controller nodes it caused. */
    sshLogins: number;
    /** Peak resident memory of the engine and its plugins together, MiB. */
    peakRssMb: number;
    /**
     * The engine's critical path: the longest dependency chain of resource steps, seconds. Only up-cold and destroy
     * have steps worth chaining; the previews leave it out.
     */
    criticalPathS?: number;
    /** From the first step's start to the last step's end, seconds; up-cold and destroy only, like criticalPathS. */
    makespanS?: number;
    /** Where the machine's CPU went meanwhile (cpu.ts); absent from records made before it was measured. */
    cpu?: CpuMeasure;
}

/**
 * What a part of the guide's procedure by hand cost for the same regions and controllers (bench/guide-procedure.sh,
 * without How to play): its configuration is the baseline of the stack's up, its undo that of destroy.
 */
export interface GuideMeasure {
    /** Wall time of that part of the procedure, seconds. */
    wallS: number;
    /** OpenStack API requests it caused, all services together. */
    apiRequests: number;
    /** SSH logins on the controller nodes it caused. */
    sshLogins: number;
    /** `openstack` CLI processes it started. */
    cliCalls: number;
}

/** One size of the cloud and what was measured on it. */
export interface ScaleSize {
    /** Regions of the cloud: 1, 2, 4, 8 or 16. */
    regions: number;
    /** Controller nodes: 2 per region. */
    controllers: number;
    /** Resources in the stack's state after up-cold. */
    resources: number;
    /**
     * Size of the stack's state file after up-cold, KiB: what the engine writes again after every step. Absent from
     * records made before it was measured.
     */
    stateKiB?: number;
    /** The operations measured; one that failed or was skipped is left out rather than given made-up numbers. */
    ops: Partial<Record<ScaleOp, OpMeasure>>;
    /** The guide's configuration for the same regions and controllers, when it was run. */
    guide?: GuideMeasure;
    /** The guide's undo of it (the guide has none; the benchmark's is bench/guide-procedure.sh's), when it was run. */
    guideUndo?: GuideMeasure;
}

/** One run of the scale benchmark. */
export interface ScaleRecord {
    /** ISO date of the run. */
    date: string;
    /** The machine it ran on, e.g. "2 cores, 24 GiB, Debian 12". */
    machine: string;
    /** What else loaded the machine, e.g. "load average 1.9 at start; nothing else running". */
    load: string;
    /** The engine's --parallel for every operation: a number, or how the engine chose it ("the engine's default, 8"). */
    parallel?: string;
    /** The commit of the stack that was measured. */
    commit?: string;
    /** Anything a reader must know about the numbers (e.g. that a record is synthetic). */
    note?: string;
    /**
     * What the person who ran it found out about the numbers (what bounds them, the experiments behind that, each with
     * its command), added to the record by hand after the run and shown under the table; `--from` draws it again.
     */
    findings?: string[];
    /** The sizes, in any order: readers sort them by regions. */
    sizes: ScaleSize[];
}
