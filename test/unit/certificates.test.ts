// Unit tests of the amphora part of a controller node: the octavia.conf keys (file paths, secrets by reference,
// validation), the standard-input documents (the only place the PKI's keys and passphrases travel), the expiry
// lines of the drift check and their warning thresholds, and, under Pulumi mocks, how ControllerNode wires the
// certificates command. That the programs do what they promise on a node is the host suite's job.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { PkiMaterial } from "../../components/amphora/pkiMaterial";
import { nodeCheckScript, nodeCheckStdin } from "../../components/node/check";
import { certificateFiles, certificatesScripts, certificatesStdin, assertPkiFiles, publicCertificatesDigest } from "../../components/node/certificates";
import { ControllerNode } from "../../components/node/controllerNode";
import { scriptOfCommand } from "../../components/node/remote";
import { CERTIFICATE_EXPIRY_DAYS, certificateExpiryLevel, certificateWarning, parseCertificateLines } from "../../components/node/nodeDrift";
import { AmphoraConfValues, OCTAVIA_CONF_MERGE_PROGRAM, OctaviaSetting, amphoraSettings, octaviaConfScripts, octaviaConfStdin, octaviaSettings } from "../../components/node/octaviaConf";
import { certificateLines } from "../../tools/doctor/drift";
import { controllerNodeArgs } from "../support/controllerNodeArgs";
import { testPki } from "../support/testPki";

const NET_ID = "8acc6c02-66aa-4c0a-92bb-2a7a9c184ab1";
const SG_ID = "e4282699-43fd-4cb5-a709-cfaf213640f5";
const DIR = "/etc/octavia/certs";
const AMPHORA: AmphoraConfValues = { flavorId: "10", imageTag: "amphora", imageOwnerId: "b35450fd79164af4a0df26149228ddf2", sshKeyName: "octavia_ssh_key", certificatesDir: DIR };
const PKI: PkiMaterial = testPki().material;
/** Lines of every secret the PKI has: neither may appear in a command's text. */
const SECRET_NEEDLES = [PKI.serverCaPassphrase, PKI.serverCertsKeyPassphrase, ...PKI.serverCaPrivateKey.split("\n").slice(1, 3), ...PKI.clientPrivateKey.split("\n").slice(1, 3)];

const values = (amphora?: AmphoraConfValues) => ({
    region: "RegionOne",
    centralRegion: "CentralRegion",
    bindIp: "192.168.10.6",
    bindPort: 5555,
    controllerIpPortList: "192.168.10.6:5555",
    mgmtNetworkId: NET_ID,
    amphoraSecurityGroupId: SG_ID,
    ...(amphora ? { amphora } : {}),
});

describe("octavia.conf amphora keys", () => {
    it("sets the amphora keys and points the certificate keys into the directory; passphrases by reference; none guarded", () => {
        const s = amphoraSettings(AMPHORA);
        const byKey = Object.fromEntries(s.map((x) => [`[${x.section}] ${x.key}`, "value" in x ? x.value : `secret:${x.secret}`]));
        expect(byKey).toEqual({
            "[controller_worker] amp_flavor_id": "10",
            "[controller_worker] amp_image_tag": "amphora",
            "[controller_worker] amp_image_owner_id": "b35450fd79164af4a0df26149228ddf2",
            "[controller_worker] amp_ssh_key_name": "octavia_ssh_key",
            "[controller_worker] client_ca": `${DIR}/client_ca.cert.pem`,
            "[certificates] ca_certificate": `${DIR}/server_ca.cert.pem`,
            "[certificates] ca_private_key": `${DIR}/server_ca.key.pem`,
            "[certificates] ca_private_key_passphrase": "secret:ca_private_key_passphrase",
            "[certificates] server_certs_key_passphrase": "secret:server_certs_key_passphrase",
            "[certificates] signing_digest": "sha256",
            "[haproxy_amphora] client_cert": `${DIR}/client.cert-and-key.pem`,
            "[haproxy_amphora] server_ca": `${DIR}/server_ca.cert.pem`,
        });
        expect(s.some((x) => x.guarded)).toBe(false);
        expect(amphoraSettings(undefined)).toEqual([]);
        expect(amphoraSettings({ imageTag: "amphora" })).toEqual([{ section: "controller_worker", key: "amp_image_tag", value: "amphora" }]);
        // In the whole list, after the guide's keys, each once.
        const all = octaviaSettings(values(AMPHORA));
        expect(all.filter((x) => x.key === "amp_flavor_id")).toHaveLength(1);
        expect(all.map((x) => x.key)).toContain("heartbeat_key");
        expect(JSON.stringify(all)).not.toContain(PKI.serverCaPassphrase);
    });

    it.each([
        ["flavorId", { flavorId: "" }, /amphora\.flavorId: must not be empty/],
        ["flavorId", { flavorId: "10\n11" }, /amphora\.flavorId: must be a single line/],
        ["imageTag", { imageTag: " " }, /amphora\.imageTag: must not be empty/],
        ["imageTag", { imageTag: "a\rb" }, /amphora\.imageTag: must be a single line/],
        ["imageOwnerId", { imageOwnerId: "admin" }, /amphora\.imageOwnerId: "admin" is not a Keystone project id/],
        ["imageOwnerId", { imageOwnerId: "b35450fd79164af4a0df26149228ddf2\n" }, /amphora\.imageOwnerId/],
        ["sshKeyName", { sshKeyName: "k".repeat(256) }, /amphora\.sshKeyName: must be at most 255 characters/],
        ["sshKeyName", { sshKeyName: "a\nb" }, /amphora\.sshKeyName: must be a single line/],
        ["certificatesDir", { certificatesDir: "etc/octavia/certs" }, /amphora\.certificatesDir: .*absolute path/],
        ["certificatesDir", { certificatesDir: "/etc/octavia/../certs" }, /amphora\.certificatesDir/],
    ] as [string, AmphoraConfValues, RegExp][])("refuses a bad %s, naming the field", (_field, a, re) => {
        expect(() => amphoraSettings(a)).toThrow(re);
    });

    it("accepts a UUID-shaped owner id and a 255-character keypair name", () => {
        expect(() => amphoraSettings({ imageOwnerId: "b35450fd-7916-4af4-a0df-26149228ddf2", sshKeyName: "k".repeat(255) })).not.toThrow();
    });

    it("standard input carries the passphrases by name; a malformed passphrase is refused without being shown", () => {
        expect(JSON.parse(octaviaConfStdin({ heartbeatKey: "hb", pki: PKI }))).toEqual({
            heartbeat_key: "hb",
            ca_private_key_passphrase: PKI.serverCaPassphrase,
            server_certs_key_passphrase: PKI.serverCertsKeyPassphrase,
        });
        expect(JSON.parse(octaviaConfStdin({ heartbeatKey: "hb" }))).toEqual({ heartbeat_key: "hb" });
        const bad = "short-and-secret";
        expect(() => octaviaConfStdin({ heartbeatKey: "hb", pki: { ...PKI, serverCaPassphrase: bad } })).toThrow(/serverCaPassphrase: must be 32 characters/);
        try {
            octaviaConfStdin({ heartbeatKey: "hb", pki: { ...PKI, serverCaPassphrase: bad } });
        } catch (e) {
            expect((e as Error).message).not.toContain(bad);
        }
    });

    it("the merge program takes the new secrets from standard input by name, and its check compares them by hash", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-cert-merge-"));
        try {
            const conf = path.join(dir, "octavia.conf");
            fs.writeFileSync(conf, "[certificates]\nca_certificate = /etc/octavia/certs/ca_01.pem\n");
            fs.writeFileSync(path.join(dir, "merge.py"), OCTAVIA_CONF_MERGE_PROGRAM);
            const settings: OctaviaSetting[] = amphoraSettings(AMPHORA);
            const args = (action: string) => [path.join(dir, "merge.py"), action, conf, path.join(dir, "state.json"), path.join(dir, "backup"), path.join(dir, "pending"), JSON.stringify(settings)];
            const stdin = JSON.stringify({ ca_private_key_passphrase: PKI.serverCaPassphrase, server_certs_key_passphrase: PKI.serverCertsKeyPassphrase });
            execFileSync("python3", args("apply"), { input: stdin, stdio: ["pipe", "pipe", "pipe"] });
            const text = fs.readFileSync(conf, "utf8");
            expect(text).toContain(`ca_private_key_passphrase = ${PKI.serverCaPassphrase}`);
            expect(text).toContain(`server_certs_key_passphrase = ${PKI.serverCertsKeyPassphrase}`);
            expect(text).toContain(`ca_certificate = ${DIR}/server_ca.cert.pem`);
            const hashes = JSON.parse(nodeCheckStdin({ heartbeatKey: "hb", pki: PKI })) as { sha256: Record<string, string> };
            expect(execFileSync("python3", args("check"), { input: JSON.stringify(hashes), encoding: "utf8" })).toBe("");
            const other = JSON.parse(nodeCheckStdin({ heartbeatKey: "hb", pki: { ...PKI, serverCertsKeyPassphrase: "x".repeat(32) } })) as object;
            const out = execFileSync("python3", args("check"), { input: JSON.stringify(other), encoding: "utf8" });
            expect(out).toBe("DIFFERS [certificates] server_certs_key_passphrase differs from the stack's (secret, not shown)\n");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("certificate files", () => {
    it("the four files: the client certificate and its key in one; standard input is the only place of the keys", () => {
        const files = certificateFiles(PKI);
        expect(Object.keys(files).sort()).toEqual(["client.cert-and-key.pem", "client_ca.cert.pem", "server_ca.cert.pem", "server_ca.key.pem"]);
        expect(files["client.cert-and-key.pem"]).toBe(PKI.clientCertificate + PKI.clientPrivateKey);
        expect(JSON.parse(certificatesStdin(PKI))).toEqual({ files });
        const scripts = certificatesScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "true", certificatesDir: DIR });
        for (const text of Object.values(scripts)) for (const s of SECRET_NEEDLES) expect(text).not.toContain(s);
    });

    it("refuses malformed material naming the field, never the value", () => {
        expect(() => assertPkiFiles({ ...PKI, serverCaPrivateKey: PKI.clientPrivateKey })).toThrow(/serverCaPrivateKey is not one encrypted PKCS#8 PEM key \(the value is not shown\)/);
        expect(() => assertPkiFiles({ ...PKI, clientPrivateKey: PKI.serverCaPrivateKey })).toThrow(/clientPrivateKey/);
        expect(() => assertPkiFiles({ ...PKI, clientCertificate: "nope" })).toThrow(/clientCertificate/);
        expect(() => assertPkiFiles({ ...PKI, serverCertsKeyPassphrase: "too-short" })).toThrow(/serverCertsKeyPassphrase/);
    });

    it("the drift check: public digests in its text, private ones and passphrase hashes on standard input", () => {
        const script = nodeCheckScript({
            ohm0: { bridge: "br-int", portId: "3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d", mac: "fa:16:3e:5a:6b:7c", ip: "192.168.10.6", prefixLength: 24, addressing: "static", hostname: "node1", adopt: false, owner: "tricircle-lbaas/unit" },
            heartbeatPort: 5555,
            configFile: "/etc/octavia/octavia.conf",
            settings: octaviaSettings(values(AMPHORA)),
            certificates: { dir: DIR, publicDigests: { "server_ca.cert.pem": "a".repeat(64), "client_ca.cert.pem": "b".repeat(64) } },
        });
        for (const s of SECRET_NEEDLES) expect(script).not.toContain(s);
        for (const s of SECRET_NEEDLES) expect(scriptOfCommand(script)).not.toContain(s);
        expect(script).toContain("a".repeat(64));
        const stdin = JSON.parse(nodeCheckStdin({ heartbeatKey: "hb", pki: PKI })) as { sha256: Record<string, string>; certificates: Record<string, string> };
        expect(Object.keys(stdin.sha256).sort()).toEqual(["ca_private_key_passphrase", "heartbeat_key", "server_certs_key_passphrase"]);
        expect(Object.keys(stdin.certificates).sort()).toEqual(["client.cert-and-key.pem", "server_ca.key.pem"]);
        for (const s of SECRET_NEEDLES) expect(JSON.stringify(stdin)).not.toContain(s);
    });

    it("the octavia.conf command's text carries the public certificates' digest: it changes when the client certificate does", () => {
        const conf = (digest?: string) =>
            octaviaConfScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "true", settings: octaviaSettings(values(AMPHORA)), adopt: false, ...(digest ? { certificatesDigest: digest } : {}) }).create;
        const d1 = publicCertificatesDigest(PKI);
        const d2 = publicCertificatesDigest({ ...PKI, clientCertificate: testPki().material.clientCertificate });
        expect(d1).not.toBe(d2);
        expect(conf(d1)).toContain(`# certificates delivered: sha256 ${d1}`);
        expect(conf(d1)).not.toBe(conf(d2));
        expect(() => conf("not-a-digest")).toThrow(/certificatesDigest/);
    });
});

describe("certificate expiry", () => {
    it("parses CERT lines (paths with spaces, negative and unknown days) and ignores the rest", () => {
        const out = "DRIFT certificates x\nCERT /etc/octavia/certs/server_ca.cert.pem 3649\nCERT /etc/my certs/c.pem -3\nCERT /x.pem unknown\nNOTE /x.pem: no\nCERT relative 5\nCHECK done\n";
        expect(parseCertificateLines(out)).toEqual([
            { path: "/etc/octavia/certs/server_ca.cert.pem", daysLeft: 3649 },
            { path: "/etc/my certs/c.pem", daysLeft: -3 },
            { path: "/x.pem", daysLeft: null },
        ]);
    });

    it.each([
        [31, "ok"],
        [30, "warn"],
        [15, "warn"],
        [14, "urgent"],
        [0, "urgent"],
        [-1, "urgent"],
        [null, "unknown"],
    ] as [number | null, string][])("%s days left: %s", (days, level) => {
        expect(certificateExpiryLevel(days)).toBe(level);
        const warning = certificateWarning("n1 (10.0.0.1:22)", { path: "/etc/octavia/certs/client.cert-and-key.pem", daysLeft: days });
        if (level === "ok" || level === "unknown") {
            expect(warning).toBeUndefined();
        } else {
            expect(warning).toContain("controller node n1 (10.0.0.1:22)");
            expect(warning).toContain("/etc/octavia/certs/client.cert-and-key.pem");
            expect(warning).toContain("amphora.certificates.clientValidityDays");
            expect(warning?.startsWith("URGENT")).toBe(level === "urgent");
        }
    });

    it("the thresholds are 30 and 14 days, and the doctor marks lines by them", () => {
        expect(CERTIFICATE_EXPIRY_DAYS).toEqual({ warn: 30, urgent: 14 });
        expect(certificateWarning("n", { path: "/c/server_ca.cert.pem", daysLeft: 3 })).toMatch(/expires in 3 day\(s\).*caValidityDays/);
        expect(certificateWarning("n", { path: "/c/client.cert-and-key.pem", daysLeft: -1 })).toMatch(/expired 1 day\(s\) ago/);
        expect(certificateLines([
            { path: "/a", daysLeft: 31 },
            { path: "/b", daysLeft: 30 },
            { path: "/c", daysLeft: 14 },
            { path: "/d", daysLeft: -2 },
            { path: "/e", daysLeft: null },
        ])).toEqual(["/a: 31 day(s) left", "/b: 30 day(s) left WARNING: reissue soon", "/c: 14 day(s) left URGENT: reissue now", "/d: expired 2 day(s) ago URGENT: reissue now", "/e: days left unknown"]);
    });
});

// ControllerNode under mocks: the certificates command only with a PKI, between o-hm0 and octavia.conf.
const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];
const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const reveal = (v: unknown): unknown => (v && typeof v === "object" && SECRET_KEY in v ? (v as unknown as { value: unknown }).value : v);

function args(amphora?: { conf: AmphoraConfValues; pki?: PkiMaterial }) {
    return controllerNodeArgs({
        region: "RegionOne",
        centralRegion: "CentralRegion",
        host: "10.7.20.110",
        hostname: "node1",
        ovsBridge: "br-int",
        sshUser: "stack",
        sshPort: 22,
        sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n",
        addressing: "static",
        portId: "3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d",
        portMac: "fa:16:3e:5a:6b:7c",
        portIp: "192.168.10.6",
        prefixLength: 24,
        heartbeatPort: 5555,
        controllerIpPortList: "192.168.10.6:5555",
        heartbeatKey: "hb-key",
        mgmtNetworkId: NET_ID,
        amphoraSecurityGroupId: SG_ID,
        octavia: { configFile: "/etc/octavia/octavia.conf", restartCommand: "true" },
        adopt: false,
        ...(amphora ? { amphora } : {}),
    });
}

async function build(name: string, a: ReturnType<typeof args>, expected: number) {
    const opts = new Map<string, pulumi.CustomResourceOptions>();
    const names = new Map<pulumi.Resource, string>();
    new ControllerNode(name, a, {
        transformations: [
            (t) => {
                opts.set(t.name, t.opts);
                names.set(t.resource, t.name);
                return undefined;
            },
        ],
    });
    const deadline = Date.now() + 10_000;
    const mine = () => registered.filter((r) => r.name.startsWith(`${name}-`));
    while ((mine().filter((r) => r.type === "command:remote:Command").length < expected || !mine().some((r) => r.name === `${name}-drift`)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
    }
    const commands = Object.fromEntries(mine().filter((r) => r.type === "command:remote:Command").map((r) => [r.name.slice(name.length + 1), r.inputs]));
    const drift = mine().find((r) => r.name === `${name}-drift`)?.inputs ?? {};
    const dependsOn = (child: string) => ((opts.get(`${name}-${child}`)?.dependsOn as pulumi.Resource[] | undefined) ?? []).map((r) => names.get(r));
    return { commands, drift, opts, dependsOn };
}

describe("ControllerNode with an amphora PKI (Pulumi mocks)", () => {
    beforeAll(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (a) => {
                    registered.push({ type: a.type, name: a.name, inputs: a.inputs });
                    const stdout = a.name.endsWith("-plane") ? "OHM0 ip=192.168.10.6 prefix=24 mac=fa:16:3e:5a:6b:7c" : "";
                    return { id: `${a.name}-id`, state: { ...a.inputs, stdout, stderr: "" } };
                },
                call: (a) => a.inputs,
            },
            "tricircle-lbaas",
            "unit",
            false,
        );
    });

    it("no PKI, no certificates command; with one, it runs after the plane and before octavia.conf, its stdin secret", async () => {
        const plain = await build("a1", args({ conf: { imageTag: "amphora" } }), 4);
        expect(Object.keys(plain.commands).sort()).toEqual(["firewall", "octavia-conf", "persistence", "plane"]);

        const { commands, drift, opts, dependsOn } = await build("a2", args({ conf: AMPHORA, pki: PKI }), 5);
        expect(Object.keys(commands).sort()).toEqual(["certificates", "firewall", "octavia-conf", "persistence", "plane"]);
        expect(dependsOn("certificates")).toEqual(["a2-plane"]);
        expect(dependsOn("octavia-conf")).toContain("a2-certificates");
        expect(opts.get("a2-certificates")?.additionalSecretOutputs).toContain("stdin");
        expect(opts.get("a2-certificates")?.deleteBeforeReplace).toBe(true);
        expect(reveal(commands.certificates.stdin)).toBe(certificatesStdin(PKI));
        expect(commands.certificates.stdin).toHaveProperty(SECRET_KEY);
        expect(JSON.parse(String(reveal(commands["octavia-conf"].stdin)))).toMatchObject({ ca_private_key_passphrase: PKI.serverCaPassphrase });
        expect(String(commands["octavia-conf"].create)).toContain(publicCertificatesDigest(PKI));
        // No secret in any command's text nor in the check's.
        // The texts as they are and the scripts they unpack to on the node.
        const texts = [...Object.values(commands).flatMap((c) => [c.create, c.delete]), drift.check].filter((t) => t !== undefined).map(String);
        for (const t of [...texts, ...texts.map(scriptOfCommand)]) for (const s of SECRET_NEEDLES) expect(t).not.toContain(s);
        expect(String(drift.check)).toContain("TLB_CERT_MANAGED='1'");
        expect(JSON.parse(String(reveal(drift.checkStdin)))).toHaveProperty("certificates");
    });
});
