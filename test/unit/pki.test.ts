// The amphora PKI as generated (components/amphora/pki.ts) and as RegionPki's dynamic provider keeps it
// (components/amphora/regionPki.ts): the chain read back with Node's own X509Certificate (OpenSSL) and, for the
// critical flags, @peculiar/x509; the checks of an operator's PKI; the provider's diff rules, create and update,
// also once serialised as the engine stores it; RegionPki registering its material as a secret output; and Octavia's
// own certificate generator (python3-cryptography) signing an amphora's certificate with the generated server CA, then
// a mutual-TLS handshake between that amphora and the controllers' client certificate (test/python/octavia_sign_check.py).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { spawnSync } from "child_process";
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
    checkPkiMaterial,
    daysLeft,
    GENERATED_PKI_SECRET_FIELDS,
    GeneratedPki,
    generateRegionPki,
    PkiOptions,
    reissueClientCertificate,
} from "../../components/amphora/pki";
import { PASSPHRASE_RE, PKI_FILES, PkiMaterial } from "../../components/amphora/pkiMaterial";
import { RegionPki, RegionPkiInputs, RegionPkiOutputs, regionPkiProvider } from "../../components/amphora/regionPki";

const ROOT = path.join(__dirname, "..", "..");
const PYTHON = "/usr/bin/python3";
const OPTIONS: PkiOptions = { region: "RegionOne", caValidityDays: 3650, clientValidityDays: 365 };
const INPUTS: RegionPkiInputs = { region: "RegionOne", caValidityDays: 3650, clientValidityDays: 365, rotation: 0 };
const DAY = 86_400_000;

// RSA 4096 takes a second or more per key: one PKI generated directly and one through the provider, reused by all.
let pki: GeneratedPki;
let created: { id: string; outs: RegionPkiOutputs };
beforeAll(async () => {
    [pki, created] = await Promise.all([generateRegionPki(OPTIONS), regionPkiProvider.create(INPUTS) as Promise<{ id: string; outs: RegionPkiOutputs }>]);
}, 60_000);

const cert = (pem: string) => new X509Certificate(pem);
const parsed = (pem: string) => new x509.X509Certificate(pem);

/** Every secret of a PKI, and every base64 line of its keys, none of which a problem text may quote. */
function secretFragments(m: GeneratedPki): string[] {
    return GENERATED_PKI_SECRET_FIELDS.flatMap((f) => [m[f], ...m[f].split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"))]);
}

describe("generateRegionPki", () => {
    it("makes two distinct CAs: CA:TRUE pathLen 0 and keyCertSign+cRLSign, both critical, a subject key id, RSA 4096", () => {
        for (const [pem, role] of [[pki.serverCaCertificate, "amphora server CA"], [pki.clientCaCertificate, "controller client CA"]] as const) {
            const c = cert(pem);
            expect(c.ca).toBe(true);
            expect(c.subject).toBe(`CN=tricircle-lbaas ${role} RegionOne`);
            expect(c.issuer).toBe(c.subject);
            expect(c.verify(c.publicKey)).toBe(true);
            expect(c.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
            const p = parsed(pem);
            const bc = p.getExtension(x509.BasicConstraintsExtension)!;
            expect([bc.ca, bc.pathLength, bc.critical]).toEqual([true, 0, true]);
            const ku = p.getExtension(x509.KeyUsagesExtension)!;
            expect([ku.usages, ku.critical]).toEqual([x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true]);
            expect(p.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
            expect(p.signatureAlgorithm).toMatchObject({ name: "RSASSA-PKCS1-v1_5", hash: { name: "SHA-256" } });
        }
        expect(cert(pki.serverCaCertificate).publicKey.equals(cert(pki.clientCaCertificate).publicKey)).toBe(false);
    });

    it("issues the client certificate from the client CA only: CA:FALSE, digitalSignature+keyEncipherment, clientAuth, RSA 2048", () => {
        const client = cert(pki.clientCertificate);
        const clientCa = cert(pki.clientCaCertificate);
        const serverCa = cert(pki.serverCaCertificate);
        expect(client.subject).toBe("CN=tricircle-lbaas controller RegionOne");
        expect(client.ca).toBe(false);
        expect(client.checkIssued(clientCa)).toBe(true);
        expect(client.verify(clientCa.publicKey)).toBe(true);
        expect(client.checkIssued(serverCa)).toBe(false);
        expect(client.verify(serverCa.publicKey)).toBe(false);
        expect(client.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
        // Node 20's `keyUsage` lists the extended key usages.
        expect(client.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
        expect(client.checkPrivateKey(createPrivateKey(pki.clientPrivateKey))).toBe(true);
        expect(pki.clientPrivateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);

        const p = parsed(pki.clientCertificate);
        const bc = p.getExtension(x509.BasicConstraintsExtension)!;
        expect([bc.ca, bc.critical]).toEqual([false, true]);
        const ku = p.getExtension(x509.KeyUsagesExtension)!;
        expect([ku.usages, ku.critical]).toEqual([x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true]);
        expect(p.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
        expect(p.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(parsed(pki.clientCaCertificate).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
    });

    it("makes each certificate valid for the days asked, from a few minutes ago", () => {
        const now = Date.now();
        for (const [pem, days] of [[pki.serverCaCertificate, 3650], [pki.clientCaCertificate, 3650], [pki.clientCertificate, 365]] as const) {
            const c = cert(pem);
            expect(Math.abs(new Date(c.validTo).getTime() - now - days * DAY)).toBeLessThanOrEqual(DAY);
            const before = now - new Date(c.validFrom).getTime();
            expect(before).toBeGreaterThanOrEqual(60_000);
            expect(before).toBeLessThanOrEqual(15 * 60_000);
            expect([days - 1, days]).toContain(daysLeft(pem));
        }
        expect(daysLeft(pki.clientCertificate, new Date(now + 400 * DAY))).toBeLessThan(0);
    });

    it("encrypts both CA keys (PKCS#8, aes-256-cbc): they load with their passphrase only", () => {
        // The DER of the OID 2.16.840.1.101.3.4.1.42 (aes-256-cbc), found in the PBES2 parameters.
        const AES_256_CBC_OID = Buffer.from("060960864801650304012a", "hex");
        for (const [key, passphrase, caPem] of [
            [pki.serverCaPrivateKey, pki.serverCaPassphrase, pki.serverCaCertificate],
            [pki.clientCaPrivateKey, pki.clientCaPassphrase, pki.clientCaCertificate],
        ] as const) {
            expect(key).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
            const der = Buffer.from(key.replace(/-----[^-]+-----|\s/g, ""), "base64");
            expect(der.includes(AES_256_CBC_OID)).toBe(true);
            expect(() => createPrivateKey(key)).toThrow();
            expect(() => createPrivateKey({ key, passphrase: "x".repeat(32) })).toThrow();
            expect(cert(caPem).checkPrivateKey(createPrivateKey({ key, passphrase }))).toBe(true);
        }
    });

    it("makes fresh passphrases of Octavia's shape, different in each PKI and within one", () => {
        const other = created.outs.material;
        const mine = [pki.serverCaPassphrase, pki.clientCaPassphrase, pki.serverCertsKeyPassphrase];
        const theirs = [other.serverCaPassphrase, other.clientCaPassphrase, other.serverCertsKeyPassphrase];
        for (const p of [...mine, ...theirs]) expect(p).toMatch(PASSPHRASE_RE);
        expect(new Set([...mine, ...theirs]).size).toBe(6);
        expect(other.serverCaCertificate).not.toBe(pki.serverCaCertificate);
    });
});

describe("reissueClientCertificate", () => {
    it("keeps both CAs, their keys and every passphrase byte for byte; the new client certificate is the same client CA's", async () => {
        const again = await reissueClientCertificate(pki, { ...OPTIONS, clientValidityDays: 30 });
        for (const f of Object.keys(pki) as (keyof GeneratedPki)[]) {
            if (f === "clientCertificate" || f === "clientPrivateKey") expect(again[f]).not.toBe(pki[f]);
            else expect(again[f]).toBe(pki[f]);
        }
        const client = cert(again.clientCertificate);
        expect(client.checkIssued(cert(pki.clientCaCertificate)) && client.verify(cert(pki.clientCaCertificate).publicKey)).toBe(true);
        expect(client.checkPrivateKey(createPrivateKey(again.clientPrivateKey))).toBe(true);
        expect(client.publicKey.equals(cert(pki.clientCertificate).publicKey)).toBe(false);
        expect([29, 30]).toContain(daysLeft(again.clientCertificate));
        expect(checkPkiMaterial(again)).toEqual([]);
    });

    it("never makes the client certificate outlive its CA", async () => {
        const again = await reissueClientCertificate(pki, { ...OPTIONS, clientValidityDays: 5000 });
        expect(cert(again.clientCertificate).validTo).toBe(cert(pki.clientCaCertificate).validTo);
    });
});

describe("checkPkiMaterial", () => {
    const problemsSeen: string[] = [];
    const check = (m: PkiMaterial, now?: Date) => {
        const problems = checkPkiMaterial(m, now);
        problemsSeen.push(...problems);
        return problems;
    };

    it("finds nothing wrong with a generated PKI", () => {
        expect(check(pki)).toEqual([]);
        expect(check(created.outs.material)).toEqual([]);
    });

    it("a wrong passphrase for the server CA's key", () => {
        const problems = check({ ...pki, serverCaPassphrase: created.outs.material.serverCaPassphrase });
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(/^serverCaPrivateKey does not decrypt with serverCaPassphrase/);
    });

    it("a server CA key that is not the server CA's", () => {
        const problems = check({ ...pki, serverCaPrivateKey: pki.clientCaPrivateKey, serverCaPassphrase: pki.clientCaPassphrase });
        expect(problems).toEqual(["serverCaPrivateKey is not the key of serverCaCertificate."]);
    });

    it("a client certificate from another CA", () => {
        const other = created.outs.material;
        const problems = check({ ...pki, clientCertificate: other.clientCertificate, clientPrivateKey: other.clientPrivateKey });
        expect(problems).toEqual(["clientCertificate is not issued by clientCaCertificate."]);
    });

    it("a client key that is not the client certificate's", () => {
        expect(check({ ...pki, clientPrivateKey: created.outs.material.clientPrivateKey })).toEqual(["clientPrivateKey is not the key of clientCertificate."]);
    });

    it("one CA for both roles (the same certificate twice)", () => {
        const problems = check({ ...pki, serverCaCertificate: pki.clientCaCertificate, serverCaPrivateKey: pki.clientCaPrivateKey, serverCaPassphrase: pki.clientCaPassphrase });
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(/^serverCaCertificate and clientCaCertificate are the same certificate/);
    });

    it("an expired certificate", async () => {
        const past = new Date(Date.now() - 400 * DAY);
        const expired = await reissueClientCertificate(pki, { ...OPTIONS, clientValidityDays: 30, now: past });
        const problems = check(expired);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(/^clientCertificate \(the controllers' client certificate\) expired on \d{4}-/);
        // The CAs, checked ten years and a day from now.
        const later = check(pki, new Date(Date.now() + 3651 * DAY));
        expect(later.filter((p) => /^(serverCaCertificate|clientCaCertificate) \(the (server|client) CA\) expired on/.test(p))).toHaveLength(2);
    });

    it("a client certificate that does not allow client authentication", async () => {
        // The client's own key, certified by the client CA for serverAuth only.
        const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
        const subtle = webcrypto.subtle;
        const caKey = createPrivateKey({ key: pki.clientCaPrivateKey, passphrase: pki.clientCaPassphrase }).export({ type: "pkcs8", format: "der" });
        const publicKey = createPublicKey(pki.clientPrivateKey).export({ type: "spki", format: "der" });
        const ca = parsed(pki.clientCaCertificate);
        const serverOnly = await x509.X509CertificateGenerator.create(
            {
                subject: [{ CN: ["tricircle-lbaas controller RegionOne"] }],
                issuer: ca.subjectName,
                publicKey: await subtle.importKey("spki", publicKey, alg, true, ["verify"]),
                signingKey: await subtle.importKey("pkcs8", caKey, alg, false, ["sign"]),
                signingAlgorithm: alg,
                notBefore: new Date(Date.now() - DAY),
                notAfter: new Date(Date.now() + DAY),
                extensions: [
                    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
                    new x509.AuthorityKeyIdentifierExtension(ca.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId),
                ],
            },
            webcrypto as unknown as Crypto,
        );
        expect(check({ ...pki, clientCertificate: serverOnly.toString("pem") })).toEqual([
            "clientCertificate does not allow client authentication (extendedKeyUsage without clientAuth).",
        ]);
    });

    it("a passphrase of the wrong shape", () => {
        expect(check({ ...pki, serverCertsKeyPassphrase: "too-short" })).toEqual([
            "serverCertsKeyPassphrase must be 32 characters of the URL-safe base64 alphabet (A-Z, a-z, 0-9, _, - and =).",
        ]);
        expect(check({ ...pki, serverCertsKeyPassphrase: "a+b/".repeat(8) })).toHaveLength(1);
    });

    it("an unencrypted server CA key, an encrypted client key, text that is no PEM", () => {
        const plainCaKey = createPrivateKey({ key: pki.serverCaPrivateKey, passphrase: pki.serverCaPassphrase }).export({ type: "pkcs8", format: "pem" }).toString();
        expect(check({ ...pki, serverCaPrivateKey: plainCaKey })).toEqual(["serverCaPrivateKey is not encrypted, but Octavia decrypts it with serverCaPassphrase."]);
        expect(check({ ...pki, clientPrivateKey: pki.clientCaPrivateKey })).toEqual([
            "clientPrivateKey is not an unencrypted PEM private key (Octavia reads it without a passphrase).",
        ]);
        expect(check({ ...pki, clientCaCertificate: "not a certificate" })).toEqual(["clientCaCertificate is not a PEM certificate (the client CA)."]);
        expect(check({ ...pki, serverCaCertificate: pki.clientCertificate })).toContain("serverCaCertificate is not a CA certificate (basicConstraints CA:TRUE).");
    });

    it("never quotes a key or a passphrase", () => {
        expect(problemsSeen.length).toBeGreaterThanOrEqual(10);
        const secrets = [...secretFragments(pki), ...secretFragments(created.outs.material), "too-short", "a+b/".repeat(8)];
        for (const problem of problemsSeen) {
            for (const secret of secrets) expect(problem.includes(secret), problem).toBe(false);
        }
    });
});

describe("RegionPki's provider", () => {
    const diff = (news: Partial<RegionPkiInputs>) => regionPkiProvider.diff!("amphora-pki-RegionOne", created.outs, { ...INPUTS, ...news });

    it("create keeps a whole PKI and the notAfter dates in the clear", () => {
        const outs = created.outs;
        expect(created.id).toBe("amphora-pki-RegionOne");
        expect(outs).toMatchObject(INPUTS);
        expect(checkPkiMaterial(outs.material)).toEqual([]);
        expect(outs.material.clientCaPassphrase).toMatch(PASSPHRASE_RE);
        expect(outs.serverCaNotAfter).toBe(new Date(cert(outs.material.serverCaCertificate).validTo).toISOString());
        expect(outs.clientCaNotAfter).toBe(new Date(cert(outs.material.clientCaCertificate).validTo).toISOString());
        expect(outs.clientNotAfter).toBe(new Date(cert(outs.material.clientCertificate).validTo).toISOString());
    });

    it("diff: nothing changed, or only caValidityDays, is no change; a new region replaces; client validity or rotation updates in place", async () => {
        expect(await diff({})).toMatchObject({ changes: false, replaces: [] });
        expect(await diff({ caValidityDays: 7300 })).toMatchObject({ changes: false, replaces: [] });
        expect(await diff({ region: "RegionTwo" })).toMatchObject({ changes: true, replaces: ["region"], deleteBeforeReplace: false });
        expect(await diff({ clientValidityDays: 90 })).toMatchObject({ changes: true, replaces: [] });
        expect(await diff({ rotation: 1 })).toMatchObject({ changes: true, replaces: [] });
    });

    it("update reissues the client certificate under the same CAs", async () => {
        const { outs } = (await regionPkiProvider.update!(created.id, created.outs, { ...INPUTS, rotation: 1, clientValidityDays: 90 })) as { outs: RegionPkiOutputs };
        expect(outs).toMatchObject({ ...INPUTS, rotation: 1, clientValidityDays: 90 });
        const before = created.outs.material;
        expect(outs.material.serverCaCertificate).toBe(before.serverCaCertificate);
        expect(outs.material.serverCaPrivateKey).toBe(before.serverCaPrivateKey);
        expect(outs.material.clientCaCertificate).toBe(before.clientCaCertificate);
        expect(outs.material.clientCertificate).not.toBe(before.clientCertificate);
        expect([outs.serverCaNotAfter, outs.clientCaNotAfter]).toEqual([created.outs.serverCaNotAfter, created.outs.clientCaNotAfter]);
        expect(outs.clientNotAfter).toBe(new Date(cert(outs.material.clientCertificate).validTo).toISOString());
        expect(Math.abs(Date.parse(outs.clientNotAfter) - Date.now() - 90 * DAY)).toBeLessThanOrEqual(DAY);
        expect(checkPkiMaterial(outs.material)).toEqual([]);
    });

    it("check refuses an empty region and validities that are not whole positive days", async () => {
        const { failures } = await regionPkiProvider.check!(INPUTS, { region: "", caValidityDays: 0, clientValidityDays: 1.5, rotation: Number.NaN });
        expect(failures?.map((f) => f.property).sort()).toEqual(["caValidityDays", "clientValidityDays", "region", "rotation"]);
        expect((await regionPkiProvider.check!(INPUTS, INPUTS)).failures).toEqual([]);
    });

    it("delete does nothing outside the state", async () => {
        await expect(regionPkiProvider.delete!(created.id, created.outs)).resolves.toBeUndefined();
    });

    it("serialised as the engine stores it and loaded on its own, it still diffs and reissues", async () => {
        const serialized = await pulumi.runtime.serializeFunction(() => regionPkiProvider, { allowSecrets: true });
        const module = { exports: {} as { handler?: () => typeof regionPkiProvider } };
        // eslint-disable-next-line @typescript-eslint/no-implied-eval
        new Function("exports", "require", "module", serialized.text)(module.exports, require, module);
        const loaded = module.exports.handler!();
        expect(await loaded.diff!(created.id, created.outs, { ...INPUTS, caValidityDays: 1 })).toMatchObject({ changes: false });
        expect(await loaded.diff!(created.id, created.outs, { ...INPUTS, rotation: 2 })).toMatchObject({ changes: true, replaces: [] });
        const { outs } = (await loaded.update!(created.id, created.outs, { ...INPUTS, rotation: 2 })) as { outs: RegionPkiOutputs };
        expect(outs.material.clientCaCertificate).toBe(created.outs.material.clientCaCertificate);
        expect(checkPkiMaterial(outs.material)).toEqual([]);
    });
});

describe("RegionPki", () => {
    it("registers its whole material as a secret output, with the provider serialised into its inputs", async () => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: any } };
        const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };
        /* eslint-enable @typescript-eslint/no-require-imports */
        const seen: { type: string; secrets: string[] }[] = [];
        let providerText = "";
        await pulumi.runtime.setMocks(
            {
                newResource(args) {
                    providerText = String(args.inputs.__provider ?? "");
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call: () => ({}),
            },
            "tricircle-lbaas",
            "unit",
            false,
        );
        const register = MockMonitor.prototype.registerResource;
        MockMonitor.prototype.registerResource = function (req: any, callback: any) {
            seen.push({ type: req.getType(), secrets: req.getAdditionalsecretoutputsList() });
            return register.call(this, req, callback);
        };
        try {
            new RegionPki("amphora-pki-RegionOne", INPUTS);
            await waitForRPCs();
        } finally {
            MockMonitor.prototype.registerResource = register;
        }
        expect(seen).toEqual([{ type: "pulumi-nodejs:dynamic/amphora:RegionPki", secrets: ["material"] }]);
        expect(providerText).toMatch(/exports\.handler/);
    });
});

describe("Octavia's certificate generator (python3-cryptography) with the generated PKI", () => {
    function writeCerts(m: PkiMaterial): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pki-test-"));
        fs.writeFileSync(path.join(dir, PKI_FILES.serverCaCertificate), m.serverCaCertificate);
        fs.writeFileSync(path.join(dir, PKI_FILES.serverCaPrivateKey), m.serverCaPrivateKey);
        fs.writeFileSync(path.join(dir, PKI_FILES.clientCaCertificate), m.clientCaCertificate);
        fs.writeFileSync(path.join(dir, PKI_FILES.clientCertAndKey), m.clientCertificate + m.clientPrivateKey);
        return dir;
    }
    function signCheck(m: PkiMaterial, passphrase: string): any {
        const dir = writeCerts(m);
        try {
            const r = spawnSync(PYTHON, [path.join(ROOT, "test", "python", "octavia_sign_check.py"), dir], { input: passphrase, encoding: "utf8", timeout: 60_000 });
            expect(r.error, `could not run ${PYTHON} (python3-octavia brings Octavia and python3-cryptography)`).toBeUndefined();
            // Octavia logs its failures ("Unable to sign certificate."), never what it was given.
            for (const secret of [passphrase, ...secretFragments({ ...m, clientCaPrivateKey: "", clientCaPassphrase: "" }).filter((x) => x !== "")]) {
                expect(r.stdout + r.stderr).not.toContain(secret);
            }
            return { status: r.status, ...JSON.parse(r.stdout) };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("signs an amphora's certificate with the server CA and its passphrase; amphora and controller then shake hands", () => {
        expect(signCheck(pki, pki.serverCaPassphrase)).toEqual({
            status: 0,
            ok: true,
            issuer: "CN=tricircle-lbaas amphora server CA RegionOne",
            subject: "CN=amphora-0f3c9b1e",
            amphoraSawClient: "tricircle-lbaas controller RegionOne",
            controllerSawAmphora: "amphora-0f3c9b1e",
        });
    });

    it("refuses to sign with a wrong passphrase", () => {
        expect(signCheck(pki, created.outs.material.serverCaPassphrase)).toMatchObject({ status: 1, ok: false, step: "sign", cause: "ValueError" });
    });

    it("the handshake fails when the controllers' certificate is another client CA's", () => {
        const other = created.outs.material;
        const mixed = { ...pki, clientCertificate: other.clientCertificate, clientPrivateKey: other.clientPrivateKey };
        expect(signCheck(mixed, pki.serverCaPassphrase)).toMatchObject({ status: 1, ok: false, step: "handshake" });
    });
});
