// TEST FIXTURE, not the stack's PKI: a region's PkiMaterial made with the openssl command line, so the node tests
// can deliver certificates before the stack's own generator (components/amphora/pki.ts) is there. RSA 2048 keeps it
// fast; the shape is what Octavia's certificate guide asks for: a server CA whose key is encrypted PKCS#8 under a
// 32-character passphrase, a separate client CA, and the controllers' client certificate issued by that client CA.
// Passphrases reach openssl through files in a private temporary folder, never through its arguments.
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PASSPHRASE_RE, PkiMaterial } from "../../components/amphora/pkiMaterial";

export interface TestPkiOptions {
    region?: string;
    /** Days the two CAs are valid. */
    caValidityDays?: number;
    /** Days the client certificate is valid. */
    clientValidityDays?: number;
}

/** A passphrase of Octavia's shape: 32 characters of the URL-safe base64 alphabet. */
export function testPassphrase(): string {
    const p = randomBytes(24).toString("base64url");
    if (!PASSPHRASE_RE.test(p)) throw new Error("test passphrase has the wrong shape");
    return p;
}

function openssl(dir: string, args: string[]): void {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");

/** The material, and the client CA's key beside it (PkiMaterial does not carry it) to reissue the client certificate. */
export interface TestPki {
    material: PkiMaterial;
    /** The client CA's private key (unencrypted), kept by the fixture only, to reissue the client certificate. */
    clientCaPrivateKey: string;
}

export function testPki(opts: TestPkiOptions = {}): TestPki {
    const region = opts.region ?? "RegionOne";
    const caDays = String(opts.caValidityDays ?? 3650);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-test-pki-"));
    try {
        const serverCaPassphrase = testPassphrase();
        fs.writeFileSync(path.join(dir, "pass"), serverCaPassphrase, { mode: 0o600 });
        // `-passout` makes `req -newkey` write the key as encrypted PKCS#8 (BEGIN ENCRYPTED PRIVATE KEY).
        openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", caDays, "-subj", `/O=tricircle-lbaas test/CN=${region} amphora server CA`,
            "-keyout", "server_ca.key.pem", "-passout", "file:pass", "-out", "server_ca.cert.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", caDays, "-subj", `/O=tricircle-lbaas test/CN=${region} controller client CA`,
            "-keyout", "client_ca.key.pem", "-noenc", "-out", "client_ca.cert.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        const caKey = read(dir, "client_ca.key.pem");
        const client = issueClientCertificate(read(dir, "client_ca.cert.pem"), caKey, { region, days: opts.clientValidityDays ?? 365 });
        return {
            material: {
                serverCaCertificate: read(dir, "server_ca.cert.pem"),
                serverCaPrivateKey: read(dir, "server_ca.key.pem"),
                serverCaPassphrase,
                clientCaCertificate: read(dir, "client_ca.cert.pem"),
                clientCertificate: client.certificate,
                clientPrivateKey: client.privateKey,
                serverCertsKeyPassphrase: testPassphrase(),
            },
            clientCaPrivateKey: caKey,
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** A client certificate (and its new key) issued by the given client CA: what a reissue in place produces. */
export function issueClientCertificate(clientCaCertificate: string, clientCaPrivateKey: string, opts: { region?: string; days: number }): { certificate: string; privateKey: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-test-pki-"));
    try {
        fs.writeFileSync(path.join(dir, "ca.cert.pem"), clientCaCertificate);
        fs.writeFileSync(path.join(dir, "ca.key.pem"), clientCaPrivateKey, { mode: 0o600 });
        fs.writeFileSync(path.join(dir, "ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n");
        openssl(dir, ["req", "-new", "-newkey", "rsa:2048", "-noenc", "-keyout", "client.key.pem", "-subj", `/O=tricircle-lbaas test/CN=${opts.region ?? "RegionOne"} controller`, "-out", "client.csr"]);
        openssl(dir, ["x509", "-req", "-in", "client.csr", "-CA", "ca.cert.pem", "-CAkey", "ca.key.pem", "-set_serial", `0x${randomBytes(16).toString("hex")}`,
            "-days", String(opts.days), "-sha256", "-extfile", "ext", "-out", "client.cert.pem"]);
        return { certificate: read(dir, "client.cert.pem"), privateKey: read(dir, "client.key.pem") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
