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
// - ControllerNode puts `# repair <n>` at the top of a concern's command text when its count is above 0, so the
//   text changes, and the provider runs the command's `update` (the same converging script as its create), which
//   puts the node right. On a clean node nothing changes: `preview --refresh --expect-no-changes` passes.
// The heartbeat key is compared by its SHA-256 (a secret input, never printed); the check prints no value of it.

import * as pulumi from "@pulumi/pulumi";

// Not exported itself: the provider's code refers to it, and a closure that refers to an export captures the whole
// module, which Pulumi's serializer then `require`s by path when the program is compiled under node_modules/.cache/
// (npm run stack, the bench), where the provider process cannot find it.
const CONCERN_NAMES = ["ohm0", "firewall", "persistence", "octavia-conf"] as const;
/** The concerns of a node, as the remote commands of ControllerNode are named. */
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
        return parseNodeCheck(r.stdout);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function zeroRepairs(): Repairs {
    return { ohm0: 0, firewall: 0, persistence: 0, "octavia-conf": 0 };
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
        const drift = await runNodeCheck(props.node, props.connection, props.check, props.checkStdin);
        const { __provider: _omit, ...inputs } = props as DriftInputs & { __provider?: string };
        return { id, props: { ...props, drift }, inputs: { ...inputs, drift } };
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

    constructor(name: string, args: NodeDriftArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            nodeDriftProvider,
            name,
            { ...args, connection: pulumi.secret(args.connection), checkStdin: pulumi.secret(args.checkStdin), drift: undefined, repairs: undefined },
            { ...opts, additionalSecretOutputs: ["connection", "checkStdin"] },
        );
    }
}

/** The comment that makes a concern's command text change when a repair is due (see the top of this file). */
export function repairMarker(repairs: Partial<Repairs> | undefined, concern: Concern): string {
    const n = repairs?.[concern] ?? 0;
    return n > 0 ? `# tricircle-lbaas: repair ${n} of ${concern} (drift found by refresh; components/node/nodeDrift.ts)\n` : "";
}

