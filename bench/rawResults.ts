// The raw results of one `npm run bench`, as its parts write them into the results folder (bench/run.sh --keep DIR)
// and as the report (bench/report/) reads them back: declared once here so that writer and reader cannot drift apart.
//
//   run-N.tsv       one PhaseRow a line (bench/lib.sh's `phase`, stack-engine.ts's `phase`, cli-baseline.sh)
//   window-N.tsv    the guide's whole-run counts, one line (guide-procedure.sh): WINDOW_COLUMNS
//   steps-N.json    StepsRecord (stack-engine.ts)
//   restarts-N.tsv  section, node, Octavia restarts during the section (run.sh)
//   notes.txt       findings of the guide's side, one a line; editor.txt: how octavia.conf was edited
//   meta.json       Meta (run.sh)

/** One timed phase: a row of run-N.tsv. The columns are PHASE_COLUMNS, in that order; the last four were added later. */
export interface PhaseRow {
    section: string;
    phase: string;
    /** Wall time (s). */
    wall: number;
    keystone: number;
    neutron: number;
    octavia: number;
    /** Keystone's `POST /v3/auth/tokens` among its requests. */
    tokens: number;
    /** The time the services logged for the phase's requests, summed (s). */
    server: number;
    /** `openstack` CLI processes started. */
    cli: number;
    /** User + system CPU of the client processes (s). */
    cpu: number;
    /** SSH logins the bench nodes' sshd accepted. */
    ssh: number;
    nova: number;
    glance: number;
    placement: number;
}

/** run-N.tsv's columns after section and phase. */
export const PHASE_COLUMNS = ["wall", "keystone", "neutron", "octavia", "tokens", "server", "cli", "cpu", "ssh", "nova", "glance", "placement"] as const;

/** window-N.tsv's columns after section and "window" (another order than run-N.tsv's: api-requests.sh's own). */
export const WINDOW_COLUMNS = ["keystone", "neutron", "octavia", "tokens", "server", "ssh", "nova", "glance", "placement", "cli"] as const;

/** The machine and the command of a bench run (meta.json, written by run.sh). */
export interface Meta {
    date: string;
    command: string;
    runs: number;
    nproc: string;
    memory: string;
    cpu: string;
    kernel: string;
    os: string;
    loadBefore: string;
    loadAfter: string;
    openstackClient: string;
    pulumi: string;
    openstackPlugin: string;
    commandPlugin: string;
    openssh: string;
    node: string;
    pollInterval: string;
    totalSeconds: string;
}

/** One engine step of `up` or `destroy`, from the Automation API's events (stack-engine.ts's step recorder). */
export interface Step {
    urn: string;
    type: string;
    op: string;
    /** ms since the operation started, when this process received the engine's resourcePreEvent. */
    start: number;
    /** The same for the first resOutputsEvent or resOpFailedEvent; absent when the step never ended. */
    end?: number;
    /** The engine's own timestamps (whole seconds since the epoch). */
    engineStart: number;
    engineEnd?: number;
    failed?: boolean;
}

/** A resource of the state after `up` (`stack.exportStack()`), with only what the critical path needs. */
export interface StateResource {
    urn: string;
    type: string;
    parent?: string;
    /** `<provider urn>::<provider id>`; absent for components. */
    provider?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
}

/** steps-N.json. */
export interface StepsRecord {
    resources: StateResource[];
    up: Step[];
    destroy: Step[];
    /** The engine's counts: previewCreates (the cold preview's creates), upCreates (the cold up's). */
    counts: Record<string, number>;
    /** The engine's parallelism, as words. */
    parallel: string;
}

/** window-N.tsv: the requests logged over the guide's whole run, from its first phase to its last. */
export type WindowRow = Record<(typeof WINDOW_COLUMNS)[number], number>;

/** A line of restarts-N.tsv. */
export interface RestartRow {
    section: string;
    node: string;
    /** Octavia restarts the node logged during the section. */
    count: number;
}

/** A results folder, read (bench/report/load.ts): the runs in the order of their numbers. */
export interface RawResults {
    meta: Meta;
    runs: Array<{ id: number; rows: PhaseRow[]; steps?: StepsRecord }>;
    /** In the order of their run numbers; `run` may name a run that has no run-N.tsv. */
    windows: Array<{ run: number; counts: WindowRow }>;
    /** Every restarts-N.tsv's lines, in the order of the run numbers. */
    restarts: RestartRow[];
    /** notes.txt's findings, each once. */
    notes: string[];
    /** editor.txt, or "". */
    editor: string;
}
