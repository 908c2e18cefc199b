// Host scenarios, the region's amphora PKI on a controller: the certificates command delivers the files as Octavia's
// user (octavia.conf is root:octavia 0640, as packages install it), octavia.conf points at them, a second run
// changes nothing, a reissued client certificate restarts Octavia exactly once, delete gives back a devstack file it
// replaced and the directory as it was, the drift check sees tampering and reports days left; and Octavia's own code,
// as Octavia's user, signs an amphora certificate with the delivered CA and talks to a mutual-TLS agent with it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { certificateFiles } from "../../components/node/certificates";
import { parseCertificateLines, parseNodeCheck } from "../../components/node/nodeDrift";
import { PkiMaterial } from "../../components/amphora/pkiMaterial";
import { generateRegionPki, reissueClientCertificate } from "../../components/amphora/pki";
import { forControllers } from "../../components/amphora/pkiMaterial";
import { testPki } from "../support/testPki";
import { BASELINE_OCTAVIA_CONF, NodeCommand, HostNode, OCTAVIA_CONF, RegisteredCommand, commandsOf, driftCheckOf, expectOk, nodeArgs, restartCount, Lab } from "./harness";


const CERT_DIR = "/etc/octavia/certs";
const ORDER: NodeCommand[] = ["certificates", "octavia-conf"];
const OCTAVIA_GID = Number(execFileSync("getent", ["group", "octavia"], { encoding: "utf8" }).split(":")[2]);
const OCTAVIA_UID = Number(execFileSync("id", ["-u", "octavia"], { encoding: "utf8" }).trim());
const AMPHORA = { flavorId: "amphora-flavor", imageTag: "amphora", imageOwnerId: "b35450fd79164af4a0df26149228ddf2", sshKeyName: "octavia_ssh_key", certificatesDir: CERT_DIR };

let lab: Lab | undefined;
afterEach(async () => {
    await lab?.teardown();
    lab = undefined;
});

async function startNode(gid = OCTAVIA_GID): Promise<HostNode> {
    lab = await Lab.create();
    return lab.node({ octaviaConf: { path: OCTAVIA_CONF, content: BASELINE_OCTAVIA_CONF, mode: 0o640, uid: 0, gid } });
}

function argsWith(node: HostNode, pki: PkiMaterial) {
    return nodeArgs(node, { amphora: { conf: AMPHORA, pki } });
}

async function run(node: HostNode, commands: Record<NodeCommand, RegisteredCommand>, phase: "create" | "update" | "delete", order = ORDER) {
    const out: Record<string, string> = {};
    for (const c of order) out[c] = expectOk(await node.ssh(commands[c][phase], { input: commands[c].stdin }), `${c} ${phase}`).stdout;
    return out;
}

/** Type, mode, owner and content digest of every path under the directory (and the directory itself). */
async function listing(node: HostNode, dir: string): Promise<string> {
    return (await node.sh(`cd / && find ${dir} -printf '%y %m %U:%G %p\\n' | sort; find ${dir} -type f -exec sha256sum {} + | sort`)).stdout;
}

async function check(node: HostNode, commands: Record<NodeCommand, RegisteredCommand>) {
    const c = driftCheckOf(commands);
    const r = expectOk(await node.ssh(c.script, { input: c.stdin, timeoutMs: 120_000 }), "drift check");
    return { drift: parseNodeCheck(r.stdout).filter((d) => d.concern === "certificates"), certs: parseCertificateLines(r.stdout), stdout: r.stdout };
}

describe("certificates", () => {
    it("delivers the PKI as Octavia's user, idempotently; a reissued client certificate restarts once; drift, expiry; delete restores what was there", async () => {
        const node = await startNode();
        // What devstack leaves: its own server CA certificate under the same name, and a file of its own.
        await node.sh(`mkdir -m 0755 ${CERT_DIR} && echo devstack-ca >${CERT_DIR}/server_ca.cert.pem && chmod 0644 ${CERT_DIR}/server_ca.cert.pem && echo other >${CERT_DIR}/other.pem`);
        const before = await listing(node, CERT_DIR);
        const confBefore = (await node.sh(`cat ${OCTAVIA_CONF}`)).stdout;
        // The stack's own PKI (components/amphora/pki.ts), as RegionPki makes it.
        const generated = await generateRegionPki({ region: "RegionOne", caValidityDays: 3650, clientValidityDays: 365 });
        const pki = forControllers(generated);
        const commands = await commandsOf(argsWith(node, pki));

        // No secret in any command text.
        const secrets = [pki.serverCaPassphrase, pki.serverCertsKeyPassphrase, pki.serverCaPrivateKey.split("\n")[1], pki.clientPrivateKey.split("\n")[1]];
        for (const c of Object.values(commands)) for (const s of secrets) for (const text of [c.create, c.update, c.delete]) expect(text).not.toContain(s);
        expect(driftCheckOf(commands).script).not.toContain(pki.serverCaPassphrase);

        const created = await run(node, commands, "create");
        expect(created.certificates).toMatch(/CERTIFICATES changed/);
        expect(restartCount(node)).toBe(1);
        const files = certificateFiles(pki);
        for (const [name, content] of Object.entries(files)) {
            expect((await node.sh(`cat ${CERT_DIR}/${name}`)).stdout).toBe(content);
            expect((await node.sh(`stat -c '%a %u' ${CERT_DIR}/${name}`)).stdout.trim()).toBe(`600 ${OCTAVIA_UID}`);
        }
        expect((await node.sh(`stat -c '%a %u' ${CERT_DIR}`)).stdout.trim()).toBe(`700 ${OCTAVIA_UID}`);
        expect((await node.sh(`cat ${CERT_DIR}/other.pem`)).stdout).toBe("other\n");
        const conf = (await node.sh(`cat ${OCTAVIA_CONF}`)).stdout;
        for (const line of [
            `ca_certificate = ${CERT_DIR}/server_ca.cert.pem`,
            `ca_private_key = ${CERT_DIR}/server_ca.key.pem`,
            `ca_private_key_passphrase = ${pki.serverCaPassphrase}`,
            `server_certs_key_passphrase = ${pki.serverCertsKeyPassphrase}`,
            "signing_digest = sha256",
            `client_cert = ${CERT_DIR}/client.cert-and-key.pem`,
            `server_ca = ${CERT_DIR}/server_ca.cert.pem`,
            `client_ca = ${CERT_DIR}/client_ca.cert.pem`,
            "amp_flavor_id = amphora-flavor",
            "amp_ssh_key_name = octavia_ssh_key",
        ]) expect(conf).toContain(line);

        // Same inputs: nothing written, no restart.
        const again = await run(node, commands, "update");
        expect(again.certificates).toMatch(/CERTIFICATES unchanged/);
        expect(restartCount(node)).toBe(1);

        // Clean check; CERT lines with the days left (CAs 3650 days, client 365; whole days, so one less).
        let c = await check(node, commands);
        expect(c.drift).toEqual([]);
        const days = Object.fromEntries(c.certs.map((x) => [x.path, x.daysLeft]));
        expect(days).toEqual({ [`${CERT_DIR}/server_ca.cert.pem`]: 3649, [`${CERT_DIR}/client_ca.cert.pem`]: 3649, [`${CERT_DIR}/client.cert-and-key.pem`]: 364 });

        // A client certificate reissued in place (20 days): the file changes and Octavia restarts exactly once.
        const pki2 = forControllers(await reissueClientCertificate(generated, { region: "RegionOne", caValidityDays: 3650, clientValidityDays: 20 }));
        expect([pki2.serverCaCertificate, pki2.clientCaCertificate]).toEqual([pki.serverCaCertificate, pki.clientCaCertificate]);
        const commands2 = await commandsOf(argsWith(node, pki2));
        expect(commands2["octavia-conf"].update).not.toBe(commands["octavia-conf"].update);
        const updated = await run(node, commands2, "update");
        expect(updated.certificates).toMatch(/CERTIFICATES changed client\.cert-and-key\.pem$/m);
        expect(restartCount(node)).toBe(2);
        expect((await node.sh(`cat ${CERT_DIR}/client.cert-and-key.pem`)).stdout).toBe(certificateFiles(pki2)["client.cert-and-key.pem"]);
        c = await check(node, commands2);
        expect(c.drift).toEqual([]);
        expect(c.certs.find((x) => x.path.endsWith("client.cert-and-key.pem"))?.daysLeft).toBe(19);

        // Tampering and a loosened mode are drift; the converging update repairs them without a restart.
        await node.sh(`echo tampered >>${CERT_DIR}/client_ca.cert.pem && chmod 644 ${CERT_DIR}/server_ca.cert.pem && echo x >>${CERT_DIR}/server_ca.key.pem`);
        c = await check(node, commands2);
        const whats = c.drift.map((d) => d.what).join("\n");
        expect(whats).toContain(`${CERT_DIR}/client_ca.cert.pem differs from what the stack delivered`);
        expect(whats).toContain(`${CERT_DIR}/server_ca.cert.pem has mode 644, not 600`);
        expect(whats).toContain(`${CERT_DIR}/server_ca.key.pem differs from what the stack delivered`);
        expect(c.stdout).not.toContain(pki.serverCaPassphrase);
        await run(node, commands2, "update");
        expect((await check(node, commands2)).drift).toEqual([]);
        expect(restartCount(node)).toBe(3); // the repaired contents count as a change: one restart

        // Delete: octavia.conf first (it depends on the certificates), then the certificates: one restart for both.
        await run(node, commands2, "delete", ["octavia-conf", "certificates"]);
        expect(restartCount(node)).toBe(4);
        expect(await listing(node, CERT_DIR)).toBe(before);
        expect((await node.sh(`cat ${OCTAVIA_CONF}`)).stdout).toBe(confBefore);
        expect((await node.sh("ls -A /var/lib/tricircle-lbaas 2>/dev/null || echo gone")).stdout.trim()).toBe("gone");
    }, 300_000);

    it("without a directory before, delete removes it; a conf owned root:nogroup is refused naming its ownership", async () => {
        const node = await startNode();
        const pki = testPki().material;
        const commands = await commandsOf(argsWith(node, pki));
        await run(node, commands, "create");
        await run(node, commands, "delete", ["octavia-conf", "certificates"]);
        expect((await node.sh(`ls -d ${CERT_DIR} 2>/dev/null || echo gone`)).stdout.trim()).toBe("gone");
        expect(restartCount(node)).toBe(2);

        await node.sh(`chgrp nogroup ${OCTAVIA_CONF}`);
        const r = await node.ssh(commands.certificates.create, { input: commands.certificates.stdin });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(new RegExp(`cannot tell Octavia's user: octavia.configFile ${OCTAVIA_CONF} is owned by root:nogroup`));
        expect(r.stderr + r.stdout).not.toContain("PRIVATE KEY");
    }, 300_000);

    it("Octavia's own code, as Octavia's user: signs an amphora certificate with the delivered CA and reaches a mutual-TLS agent; other CA, wrong id and expiry fail", async () => {
        const node = await startNode();
        const pki = forControllers(await generateRegionPki({ region: "RegionOne", caValidityDays: 3650, clientValidityDays: 365 }));
        const commands = await commandsOf(argsWith(node, pki));
        await run(node, commands, "create");
        const program = fs.readFileSync(path.join(__dirname, "..", "python", "octavia_pki_proof.py"), "utf8");
        const r = expectOk(await node.exec(["runuser", "-u", "octavia", "--", "/usr/bin/python3", "-", OCTAVIA_CONF], { input: program, timeoutMs: 120_000 }), "the Octavia PKI proof");
        const out = JSON.parse(r.stdout.trim().split("\n").pop() as string) as Record<string, unknown>;
        expect(out.subject_cn).toBe(out.amp_id);
        expect(String(out.issuer)).toContain("amphora server CA");
        expect(out.positive).toEqual({ ok: { api_version: "1.0" } });
        expect(out.no_client_cert).toHaveProperty("failed");
        expect(out.other_ca).toEqual({ failed: "TimeOutException" });
        expect(out.wrong_id).toEqual({ failed: "TimeOutException" });
        expect(out.expired).toEqual({ failed: "TimeOutException" });
        expect(out.fernet).toBe("amphora key");
        expect((out.conf as Record<string, string>).client_cert).toBe(`${CERT_DIR}/client.cert-and-key.pem`);
    }, 300_000);
});

