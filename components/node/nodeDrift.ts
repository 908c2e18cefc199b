// Drift on a controller node, made visible to `pulumi refresh` and repairable by `pulumi up`.
//
// command:remote:Command has no read, so a refresh cannot see what became of o-hm0, the heartbeat rules, the boot
// unit or octavia.conf. NodeDrift is a dynamic resource whose `read` runs the read-only drift check (check.ts,
// scripts/check.sh) over SSH with the commands' own connection settings (the host key pinned), bounded in time.
//
// How a found drift gets repaired, without a replacement (a replaced command would run its undo first):
// - `read` returns, besides the outputs, the inputs for the next diff with `drift` set to what it found;
// - the next program run's `check` turns that into one more repair of each drifted concern (`repairs`, a count per
//   concern) and clears `drift`. `check` runs in previews too, so `repairs` is known there: a preview shows exactly
//   which commands an `up` will re-run;
// - ControllerNode puts `# repair <n>` at the top of the text of the command that converges a concern (NODE_COMMANDS:
//   o-hm0, the firewall rule and the boot unit are one command, the plane) when its count is above 0, so the
//   text changes, and the provider updates the command by running its converging create again, which
//   puts the node right. On a clean node nothing changes: `preview --refresh --expect-no-changes` passes.
// The heartbeat key is compared by its SHA-256 (a secret input, never printed); the check prints no value of it.
// The check also reports each certificate file's days left (`CERT` lines): `read` warns about those close to their
// end (CERTIFICATE_EXPIRY_DAYS), and keeps them in the `certificates` output.

import * as pulumi from "@pulumi/pulumi";

// Not exported itself: the provider's code refers to it, and a closure that refers to an export captures the whole
// module, which Pulumi's serializer then `require`s by path when the program is compiled under node_modules/.cache/
// (npm run stack, the bench), where the provider process cannot find it.
const CONCERN_NAMES = ["ohm0", "firewall", "persistence", "certificates", "octavia-conf"] as const;
/** The concerns of a node, as the check reports them (ControllerNode's NODE_COMMANDS says which command converges each). */
export const CONCERNS = CONCERN_NAMES;
export type Concern = (typeof CONCERN_NAMES)[number];

export interface Drift {
    concern: Concern;
    what: string;
}

/** The differences the check printed (`DRIFT <concern> <what>` lines); throws when the check did not finish. */
export function parseNodeCheck(stdout: string): Drift[] {
    const lines = String(stdout).split("\n");
    if (!lines.includes("CHECK done")) throw new Error(`the drift check did not finish; it printed: ${String(stdout).slice(-500)}`);
    const out: Drift[] = [];
    for (const line of lines) {
        const m = /^DRIFT (\S+) (.*)$/.exec(line);
        if (m && (CONCERN_NAMES as readonly string[]).includes(m[1])) out.push({ concern: m[1] as Concern, what: m[2] });
    }
    return out;
}

/** A certificate file the check found on the node, and the whole days left until it expires (null: unknown). */
export interface CertificateExpiry {
    path: string;
    daysLeft: number | null;
}

/** The `CERT <path> <days-left>` lines of the check (days `unknown` when the node could not read the file). */
export function parseCertificateLines(stdout: string): CertificateExpiry[] {
    const out: CertificateExpiry[] = [];
    for (const line of String(stdout).split("\n")) {
        const m = /^CERT (\/.*) (-?\d+|unknown)$/.exec(line);
        if (m) out.push({ path: m[1], daysLeft: m[2] === "unknown" ? null : Number(m[2]) });
    }
    return out;
}

// The one place of the expiry thresholds, in days left: refresh's warnings and `npm run doctor` both use them.
// Not exported itself, for the reason given at CONCERN_NAMES.
const EXPIRY_DAYS = { warn: 30, urgent: 14 } as const;
/** A certificate with at most `warn` days left is warned about, with at most `urgent` loudly. */
export const CERTIFICATE_EXPIRY_DAYS = EXPIRY_DAYS;

export type ExpiryLevel = "ok" | "warn" | "urgent" | "unknown";

export function certificateExpiryLevel(daysLeft: number | null): ExpiryLevel {
    if (daysLeft === null) return "unknown";
    if (daysLeft <= EXPIRY_DAYS.urgent) return "urgent";
    if (daysLeft <= EXPIRY_DAYS.warn) return "warn";
    return "ok";
}

/** The warning for a certificate close to its end (or past it), naming the node, the file, the days and the remedy; none when it is far off. */
export function certificateWarning(node: string, c: CertificateExpiry): string | undefined {
    const level = certificateExpiryLevel(c.daysLeft);
    if (level === "ok" || level === "unknown" || c.daysLeft === null) return undefined;
    const when = c.daysLeft < 0 ? `expired ${-c.daysLeft} day(s) ago` : c.daysLeft === 0 ? "expires within a day" : `expires in ${c.daysLeft} day(s)`;
    const loud = level === "urgent" ? `URGENT (${EXPIRY_DAYS.urgent} days or less): ` : "";
    const base = c.path.slice(c.path.lastIndexOf("/") + 1);
    const remedy = base === "client.cert-and-key.pem" || !/ca/i.test(base)
        ? "change `amphora.certificates.clientValidityDays` or `rotation` and run `pulumi up` to reissue the client certificate in place"
        : "a CA past its end stops every amphora connection: change `amphora.certificates.caValidityDays` or `rotation` and run `pulumi up` to reissue it";
    return `${loud}controller node ${node}: the certificate ${c.path} ${when}; ${remedy}`;
}

/** `ok`, or `drift: <concern>: <what differs>; ...`: the one-line report of `npm run doctor`. */
export function driftReport(drift: Drift[]): string {
    return drift.length === 0 ? "ok" : `drift: ${drift.map((d) => `${d.concern}: ${d.what}`).join("; ")}`;
}

/** The SSH connection of the check: the same settings as the remote commands'. */
export interface DriftConnection {
    host: string;
    port: number;
    user: string;
    privateKey: string;
    /** OpenSSH public key line of the node; without one, any host key is accepted (as the command provider does). */
    hostKey?: string;
    dialErrorLimit: number;
    perDialTimeout: number;
}

export type Repairs = Record<Concern, number>;

interface DriftInputs {
    /** How messages name the node: `<component name> (<host>:<port>)`. */
    node: string;
    connection: DriftConnection;
    /** The check command's text (check.ts): no secret in it. */
    check: string;
    /** The check's standard input: hashes of the secret values (secret). */
    checkStdin: string;
    /** What the last refresh found (set by `read`, cleared by `check`). */
    drift?: Drift[];
    /** Repairs asked for so far, per concern (set by `check`). */
    repairs?: Repairs;
}

/** Upper bound of one check, SSH dials included. */
export function checkTimeoutSeconds(c: Pick<DriftConnection, "dialErrorLimit" | "perDialTimeout">): number {
    return c.dialErrorLimit * (c.perDialTimeout + 1) + 60;
}

/**
 * Runs the check on the node with the system's OpenSSH client (the machine that runs `pulumi` has one; the dynamic
 * provider cannot use the command plugin's own SSH code). Read-only on the node; the key and the pinned host key
 * go into a private temporary folder, removed afterwards. Throws an error naming the node when it cannot be reached.
 */
export async function runNodeCheck(node: string, c: DriftConnection, check: string, stdin: string): Promise<Drift[]> {
    return (await runNodeCheckReport(node, c, check, stdin)).drift;
}

/** What one run of the check found: the drift, and the certificate files with their days left. */
export interface NodeCheckReport {
    drift: Drift[];
    certificates: CertificateExpiry[];
}

/** runNodeCheck, with the certificates' expiry too. */
export async function runNodeCheckReport(node: string, c: DriftConnection, check: string, stdin: string): Promise<NodeCheckReport> {
    // Serialised into the dynamic provider: everything it needs is required here.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the provider process, without this module
    const cp = require("child_process") as typeof import("child_process");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    const fs = require("fs") as typeof import("fs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    const os = require("os") as typeof import("os");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    const path = require("path") as typeof import("path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-drift-"));
    try {
        const keyFile = path.join(dir, "id");
        fs.writeFileSync(keyFile, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
        const options = ["-F", "/dev/null", "-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "GlobalKnownHostsFile=/dev/null"];
        if (c.hostKey) {
            const [type, blob] = c.hostKey.trim().split(/\s+/);
            const pattern = c.port === 22 ? c.host : `[${c.host}]:${c.port}`;
            fs.writeFileSync(path.join(dir, "known_hosts"), `${pattern} ${type} ${blob}\n`);
            const algorithms = type === "ssh-rsa" ? "rsa-sha2-512,rsa-sha2-256,ssh-rsa" : type;
            options.push("-o", `UserKnownHostsFile=${path.join(dir, "known_hosts")}`, "-o", "StrictHostKeyChecking=yes", "-o", `HostKeyAlgorithms=${algorithms}`);
        } else {
            options.push("-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no");
        }
        options.push("-o", `ConnectTimeout=${c.perDialTimeout}`, "-o", `ConnectionAttempts=${c.dialErrorLimit}`, "-o", "LogLevel=ERROR", "-p", String(c.port));
        const bound = c.dialErrorLimit * (c.perDialTimeout + 1) + 60;
        const r = cp.spawnSync("ssh", [...options, "--", `${c.user}@${c.host}`, check], { input: stdin, encoding: "utf8", timeout: bound * 1000, killSignal: "SIGKILL", maxBuffer: 16 << 20 });
        if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") throw new Error(`controller node ${node}: the drift check did not finish within ${bound} s`);
        if (r.error) throw new Error(`controller node ${node}: could not run ssh for the drift check: ${r.error.message}`);
        if (r.status === 255) {
            const last = String(r.stderr).trim().split("\n").pop() ?? "";
            throw new Error(`controller node ${node} is unreachable over SSH (the drift check gave up after ${c.dialErrorLimit} attempts of ${c.perDialTimeout} s): ${last}`);
        }
        if (r.status !== 0) throw new Error(`controller node ${node}: the drift check failed (exit ${r.status}): ${String(r.stderr).trim().slice(-1000)}`);
        return { drift: parseNodeCheck(r.stdout), certificates: parseCertificateLines(r.stdout) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Refresh's warnings about certificates near their end (the provider's process: Pulumi's log, else standard error). */
function warnAboutCertificates(node: string, certificates: CertificateExpiry[]): void {
    let warn: (message: string) => unknown = (message) => console.warn(`warning: ${message}`);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the provider process, without this module
        const log = (require("@pulumi/pulumi") as typeof import("@pulumi/pulumi")).log;
        warn = (message) => log.warn(message);
    } catch {
        // Pulumi's SDK not resolvable from the provider: standard error, which the engine shows too.
    }
    for (const c of certificates) {
        const message = certificateWarning(node, c);
        if (message !== undefined) void warn(message);
    }
}

function zeroRepairs(): Repairs {
    return { ohm0: 0, firewall: 0, persistence: 0, certificates: 0, "octavia-conf": 0 };
}

// Serialised by Pulumi into the state and run in the dynamic provider's process (see portHostBinding.ts).
export const nodeDriftProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: DriftInputs, news: DriftInputs) {
        const repairs: Repairs = { ...zeroRepairs(), ...(olds?.repairs ?? {}) };
        for (const concern of new Set((olds?.drift ?? []).map((d) => d.concern))) repairs[concern] = (repairs[concern] ?? 0) + 1;
        return { inputs: { ...news, drift: [], repairs } };
    },

    async diff(_id: string, olds: DriftInputs, news: DriftInputs) {
        const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
        const changes =
            (olds.drift ?? []).length > 0 ||
            !same(olds.repairs, news.repairs) ||
            !same(olds.connection, news.connection) ||
            olds.check !== news.check ||
            olds.checkStdin !== news.checkStdin ||
            olds.node !== news.node;
        return { changes, replaces: [], deleteBeforeReplace: false };
    },

    // Nothing to do on the node: the check only ever reads, and only on refresh.
    async create(inputs: DriftInputs) {
        return { id: inputs.node, outs: inputs };
    },

    async update(_id: string, _olds: DriftInputs, news: DriftInputs) {
        return { outs: news };
    },

    async read(id: string, props: DriftInputs) {
        const { drift, certificates } = await runNodeCheckReport(props.node, props.connection, props.check, props.checkStdin);
        warnAboutCertificates(props.node, certificates);
        const { __provider: _omit, certificates: _old, ...inputs } = props as DriftInputs & { __provider?: string; certificates?: unknown };
        return { id, props: { ...props, drift, certificates }, inputs: { ...inputs, drift } };
    },

    async delete() {
        // Nothing on the node belongs to the check.
    },
};

export interface NodeDriftArgs {
    /** How messages name the node. */
    node: pulumi.Input<string>;
    /** The remote commands' connection (secret: it holds the private key). */
    connection: pulumi.Input<DriftConnection>;
    /** The check command (check.ts `nodeCheckScript`). */
    check: pulumi.Input<string>;
    /** The check's standard input (check.ts `nodeCheckStdin`): secret. */
    checkStdin: pulumi.Input<string>;
}

/** What refresh last found on a node, and how many repairs of each concern `up` has run since the node was set up. */
export class NodeDrift extends pulumi.dynamic.Resource {
    /** The differences the last refresh found (empty once `up` has taken them in). */
    declare public readonly drift: pulumi.Output<Drift[]>;
    /** Repairs per concern: ControllerNode re-runs a concern's command when its count grows. */
    declare public readonly repairs: pulumi.Output<Repairs>;
    /** The certificate files the last refresh found on the node, with their days left (none before a refresh). */
    declare public readonly certificates: pulumi.Output<CertificateExpiry[] | undefined>;

    constructor(name: string, args: NodeDriftArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            nodeDriftProvider,
            name,
            { ...args, connection: pulumi.secret(args.connection), checkStdin: pulumi.secret(args.checkStdin), drift: undefined, repairs: undefined, certificates: undefined },
            { ...opts, additionalSecretOutputs: ["connection", "checkStdin"] },
        );
    }
}

/** The comment that makes a concern's command text change when a repair is due (see the top of this file). */
export function repairMarker(repairs: Partial<Repairs> | undefined, concern: Concern): string {
    const n = repairs?.[concern] ?? 0;
    return n > 0 ? `# tricircle-lbaas: repair ${n} of ${concern} (drift found by refresh; components/node/nodeDrift.ts)\n` : "";
}

