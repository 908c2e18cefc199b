// ssh.hostKeyPolicy accept-new (components/node/hostKeyPin.ts), against a real sshd in a namespace node: the pin
// records the key the node shows, a later diff passes while the node keeps it and fails naming both fingerprints
// when the node answers with another, and a node that shows no key is not pinned.
import * as path from "path";
import { execFileSync } from "child_process";
import { describe, expect, it } from "vitest";
import { hostKeyFingerprint, HostKeyPinOutputs, hostKeyPinProvider } from "../../components/node/hostKeyPin";
import { freshNodePerTest } from "./harness";

const startNode = freshNodePerTest();
// Another node's ed25519 key: what a pinned key looks like when something else now answers at the address.
const OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

describe("the host key pin (accept-new) against a real sshd", () => {
    it("pins the key the node shows; a diff passes while it keeps it, and fails naming the host and both fingerprints when it changed", async () => {
        const node = await startNode();
        const shown = node.hostKey.split(" ").slice(0, 2).join(" ");
        const created = await hostKeyPinProvider.create({ host: node.sshHost, port: 22 });
        const outs = created.outs as HostKeyPinOutputs;
        expect(outs.hostKey).toBe(shown);
        // The fingerprint as OpenSSH computes it from the node's own public key file.
        const keygen = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", path.join(node.dir, "ssh", "host_ed25519.pub")], { encoding: "utf8" });
        expect(keygen.split(" ")[1]).toBe(outs.fingerprint);

        const same = await hostKeyPinProvider.diff!(created.id, outs, { host: node.sshHost, port: 22 });
        expect(same.changes).toBe(false);

        const changed = await hostKeyPinProvider.diff!(created.id, { ...outs, hostKey: OTHER_KEY, fingerprint: hostKeyFingerprint(OTHER_KEY) }, { host: node.sshHost, port: 22 }).then(
            () => undefined,
            (e: Error) => e.message,
        );
        expect(changed).toContain(`the SSH host key of ${node.sshHost}:22 has changed since it was pinned`);
        expect(changed).toContain(`pinned ${hostKeyFingerprint(OTHER_KEY)}, it now shows ${outs.fingerprint}`);
        expect(changed).toContain(`ssh.hostKeys["${node.sshHost}"]`);

        // Another address is another node: a new pin, made before the old one goes.
        const moved = await hostKeyPinProvider.diff!(created.id, outs, { host: node.sshHost, port: 2222 });
        expect(moved).toMatchObject({ changes: true, replaces: ["port"] });

        // Nothing listens there: nothing is pinned, and the error says where.
        await expect(hostKeyPinProvider.create({ host: node.sshHost, port: 2222 })).rejects.toThrow(`${node.sshHost}:2222 showed no SSH host key to pin`);
    });
});
