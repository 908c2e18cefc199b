// A controller's SSH host key under `ssh.hostKeyPolicy: accept-new`: the first key the node shows is recorded in the
// state and pinned from then on, as OpenSSH's `StrictHostKeyChecking=accept-new` does with known_hosts. The remote
// commands and the drift check connect with the recorded key (the command provider's fixed host key, ssh's
// StrictHostKeyChecking=yes), so a node that answers with another key is refused before it is sent anything (the
// heartbeat key, the PKI); and every later preview and up compares the node's key with the recorded one first, to
// fail with a message that names the host and both fingerprints rather than with a bare handshake error.
import * as pulumi from "@pulumi/pulumi";

export interface HostKeyPinInputs {
    host: string;
    port: number;
}

export interface HostKeyPinOutputs extends HostKeyPinInputs {
    /** The OpenSSH public key line (`type base64`) the node showed first. */
    hostKey: string;
    /** Its SHA256 fingerprint, as `ssh-keygen -l` prints it. */
    fingerprint: string;
}

/** `SHA256:<base64 without padding>` of a key line's blob, as OpenSSH shows fingerprints. */
export function hostKeyFingerprint(line: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- serialised into the dynamic provider
    const crypto = require("crypto") as typeof import("crypto");
    const blob = Buffer.from(line.trim().split(/\s+/)[1] ?? "", "base64");
    return `SHA256:${crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * The key the node at host:port shows, by the preferred type (ssh-rsa last, as its SHA-1 signatures are refused by
 * new OpenSSH), asked with the system's ssh-keyscan
 * (the machine that runs `pulumi` has OpenSSH's client, which the drift check uses too). Bounded: 10 s.
 */
export function scanHostKey(host: string, port: number): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- serialised into the dynamic provider
    const cp = require("child_process") as typeof import("child_process");
    // rules.HOST_KEY_TYPES, in its order of preference, written out: the serialised provider carries no module scope.
    const types = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];
    const r = cp.spawnSync("ssh-keyscan", ["-T", "10", "-p", String(port), "-t", "ed25519,ecdsa,rsa", "--", host], { encoding: "utf8", timeout: 20_000, killSignal: "SIGKILL" });
    if (r.error) throw new Error(`ssh.hostKeyPolicy accept-new: could not run ssh-keyscan for ${host}:${port}: ${r.error.message}`);
    const keys = String(r.stdout)
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("#"))
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f.length >= 3 && types.includes(f[1]))
        .map((f) => `${f[1]} ${f[2]}`);
    keys.sort((a, b) => types.indexOf(a.split(" ")[0]) - types.indexOf(b.split(" ")[0]));
    if (keys.length === 0) {
        const why = String(r.stderr).trim().split("\n").pop() || `ssh-keyscan exited ${r.status}`;
        throw new Error(`ssh.hostKeyPolicy accept-new: ${host}:${port} showed no SSH host key to pin (${why})`);
    }
    return keys[0];
}

// Pulumi serialises this object and the functions it calls into the state and runs them in a separate provider
// process, without this module around them: they require what they need at call time and capture nothing else.
export const hostKeyPinProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: HostKeyPinOutputs, news: HostKeyPinInputs) {
        // Another address is another node: a new pin.
        const replaces = ["host", "port"].filter((k) => (olds as any)[k] !== (news as any)[k]);
        if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: true };
        let now: string | undefined;
        try {
            now = scanHostKey(news.host, news.port);
        } catch {
            // Unreachable now: the commands' own connection (with the pinned key) reports that.
            return { changes: false };
        }
        const [type, blob] = olds.hostKey.split(" ");
        const [nowType, nowBlob] = now.split(" ");
        // The node may offer a preferred type it did not have then; only a different key of the pinned type is a change.
        if (nowType === type && nowBlob !== blob) {
            throw new Error(
                `the SSH host key of ${news.host}:${news.port} has changed since it was pinned (ssh.hostKeyPolicy accept-new): ` +
                    `pinned ${hostKeyFingerprint(olds.hostKey)}, it now shows ${hostKeyFingerprint(now)}. Nothing was sent to it. ` +
                    `If the node was reinstalled, check the new key on its console and set it as ssh.hostKeys["${news.host}"]; ` +
                    `otherwise something else answers at that address.`,
            );
        }
        return { changes: false };
    },

    async create(inputs: HostKeyPinInputs) {
        const hostKey = scanHostKey(inputs.host, inputs.port);
        return { id: `${inputs.host}:${inputs.port}`, outs: { ...inputs, hostKey, fingerprint: hostKeyFingerprint(hostKey) } };
    },

    // The recorded key stays what it was: a refresh must not re-pin.
    async read(id: string, props: HostKeyPinOutputs) {
        return { id, props };
    },

    async delete() {},
};

/** The pinned key of one controller node (see the top of this file). */
export class HostKeyPin extends pulumi.dynamic.Resource {
    declare public readonly hostKey: pulumi.Output<string>;
    declare public readonly fingerprint: pulumi.Output<string>;

    constructor(name: string, args: { host: pulumi.Input<string>; port: pulumi.Input<number> }, opts?: pulumi.CustomResourceOptions) {
        super(hostKeyPinProvider, name, { ...args, hostKey: undefined, fingerprint: undefined }, opts, "node", "HostKeyPin");
    }
}
