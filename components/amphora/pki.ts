// Generating and checking one region's dual-CA amphora PKI (Octavia's "Certificate Configuration Guide"): a server CA
// that signs each amphora's certificate, its key encrypted by a passphrase Octavia is given, and a client CA that
// signs the controllers' client certificate, which the amphora agent requires of whoever calls it.
//
// @peculiar/x509 only builds and parses the ASN.1 of the certificates; every key is generated, every signature made
// and every key encrypted by OpenSSL, through Node's WebCrypto and `crypto` module, so no cryptography of the PKI
// depends on a JavaScript implementation.
//
// RegionPki's dynamic provider calls these functions, and Pulumi serialises them into the state with it, to run them
// later in a process without this module around them: each function requires the libraries it needs at call time
// and refers to nothing at module level but other functions of this file.
import { PASSPHRASE_RE, PkiMaterial } from "./pkiMaterial";

/** What a generated PKI is made of. */
export interface PkiOptions {
    /** The region whose controllers and amphorae the PKI serves; its name goes into every subject. */
    region: string;
    /** How long both CA certificates are valid, in days. */
    caValidityDays: number;
    /** How long the controllers' client certificate is valid, in days. */
    clientValidityDays: number;
    /** The moment of generation (a test's clock); the real time when not given. */
    now?: Date;
}

/**
 * A PKI as the stack generates and keeps it in its state. Besides what the controllers receive, the client CA's key,
 * encrypted with its own passphrase, so that the client certificate can be reissued under the same CA (the amphorae
 * already trust it). Those two fields never leave the state: no node is given them.
 */
export interface GeneratedPki extends PkiMaterial {
    /** The client CA's private key, encrypted (PKCS#8, aes-256-cbc) with `clientCaPassphrase`. */
    clientCaPrivateKey: string;
    clientCaPassphrase: string;
}

/** Every field of a generated PKI that is a secret: the material's, and the client CA's key and passphrase. */
export const GENERATED_PKI_SECRET_FIELDS = [
    "serverCaPrivateKey",
    "serverCaPassphrase",
    "clientPrivateKey",
    "serverCertsKeyPassphrase",
    "clientCaPrivateKey",
    "clientCaPassphrase",
] as const;

/** Generates a region's PKI: both CAs (RSA 4096), the controllers' client certificate (RSA 2048), the passphrases. */
export async function generateRegionPki(o: PkiOptions): Promise<GeneratedPki> {
    const now = o.now ?? new Date();
    // Both CAs are made at once: Node generates RSA keys on its thread pool, and a 4096-bit one takes seconds.
    const [server, client] = await Promise.all([
        createCa(`tricircle-lbaas amphora server CA ${o.region}`, o.caValidityDays, now),
        createCa(`tricircle-lbaas controller client CA ${o.region}`, o.caValidityDays, now),
    ]);
    const issued = await issueClientCertificate(client.certificate, client.privateKey, client.passphrase, o.region, o.clientValidityDays, now);
    return {
        serverCaCertificate: server.certificate,
        serverCaPrivateKey: server.privateKey,
        serverCaPassphrase: server.passphrase,
        clientCaCertificate: client.certificate,
        clientCertificate: issued.certificate,
        clientPrivateKey: issued.privateKey,
        serverCertsKeyPassphrase: newPassphrase(),
        clientCaPrivateKey: client.privateKey,
        clientCaPassphrase: client.passphrase,
    };
}

/**
 * A new client key and certificate under the same client CA (its stored key decrypted with its passphrase); every
 * other field is returned unchanged, so the amphorae, which trust the client CA, accept the new certificate as they
 * did the old one.
 */
export async function reissueClientCertificate(pki: GeneratedPki, o: PkiOptions): Promise<GeneratedPki> {
    const issued = await issueClientCertificate(
        pki.clientCaCertificate,
        pki.clientCaPrivateKey,
        pki.clientCaPassphrase,
        o.region,
        o.clientValidityDays,
        o.now ?? new Date(),
    );
    return { ...pki, clientCertificate: issued.certificate, clientPrivateKey: issued.privateKey };
}

/** When the (first) certificate of a PEM text stops being valid. */
export function certificateNotAfter(pem: string): Date {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { X509Certificate } = require("crypto") as typeof import("crypto");
    return new Date(new X509Certificate(pem).validTo);
}

/** Whole days from `now` until the certificate's notAfter (negative once it has expired). */
export function daysLeft(pem: string, now: Date = new Date()): number {
    return Math.floor((certificateNotAfter(pem).getTime() - now.getTime()) / 86_400_000);
}

/**
 * The problems of a PKI as an operator provides it, each a sentence naming the field of PkiMaterial it is about;
 * none quotes a key or a passphrase. An empty list means Octavia can use it.
 */
export function checkPkiMaterial(m: PkiMaterial, now: Date = new Date()): string[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { X509Certificate, createPrivateKey } = require("crypto") as typeof import("crypto");
    type Certificate = InstanceType<typeof X509Certificate>;
    type Key = ReturnType<typeof createPrivateKey>;
    const problems: string[] = [];

    function certificate(field: keyof PkiMaterial, what: string): Certificate | undefined {
        let cert: Certificate;
        try {
            cert = new X509Certificate(m[field]);
        } catch {
            problems.push(`${field} is not a PEM certificate (${what}).`);
            return undefined;
        }
        const notAfter = new Date(cert.validTo);
        const notBefore = new Date(cert.validFrom);
        if (notAfter.getTime() <= now.getTime()) problems.push(`${field} (${what}) expired on ${notAfter.toISOString()}.`);
        if (notBefore.getTime() > now.getTime()) problems.push(`${field} (${what}) is not valid before ${notBefore.toISOString()}.`);
        return cert;
    }

    // A private key as Octavia loads it: with the passphrase when it is given one, and then only if encrypted
    // (python3-cryptography refuses a passphrase for an unencrypted key); without one only if unencrypted.
    function privateKey(field: keyof PkiMaterial, passphraseField?: keyof PkiMaterial): Key | undefined {
        let plain: Key | undefined;
        try {
            plain = createPrivateKey({ key: m[field] });
        } catch {
            plain = undefined;
        }
        if (passphraseField === undefined) {
            if (plain === undefined) problems.push(`${field} is not an unencrypted PEM private key (Octavia reads it without a passphrase).`);
            return plain;
        }
        if (plain !== undefined) {
            problems.push(`${field} is not encrypted, but Octavia decrypts it with ${passphraseField}.`);
            return undefined;
        }
        try {
            return createPrivateKey({ key: m[field], passphrase: m[passphraseField] });
        } catch {
            problems.push(`${field} does not decrypt with ${passphraseField} (or is not a PEM private key).`);
            return undefined;
        }
    }

    for (const field of ["serverCaPassphrase", "serverCertsKeyPassphrase"] as const) {
        if (typeof m[field] !== "string" || !PASSPHRASE_RE.test(m[field])) {
            problems.push(`${field} must be 32 characters of the URL-safe base64 alphabet (A-Z, a-z, 0-9, _, - and =).`);
        }
    }

    const serverCa = certificate("serverCaCertificate", "the server CA");
    const clientCa = certificate("clientCaCertificate", "the client CA");
    const client = certificate("clientCertificate", "the controllers' client certificate");
    if (serverCa && !serverCa.ca) problems.push("serverCaCertificate is not a CA certificate (basicConstraints CA:TRUE).");
    if (clientCa && !clientCa.ca) problems.push("clientCaCertificate is not a CA certificate (basicConstraints CA:TRUE).");
    // One CA for both roles would let an amphora, whose certificate the server CA signs, call another amphora's agent
    // as if it were a controller: the agent would trust its certificate as a client certificate.
    if (serverCa && clientCa) {
        if (serverCa.raw.equals(clientCa.raw)) {
            problems.push("serverCaCertificate and clientCaCertificate are the same certificate: the two CAs must differ, or an amphora could pass for a controller.");
        } else if (serverCa.publicKey.equals(clientCa.publicKey)) {
            problems.push("serverCaCertificate and clientCaCertificate share one key: the two CAs must differ, or an amphora could pass for a controller.");
        }
    }

    const serverCaKey = privateKey("serverCaPrivateKey", "serverCaPassphrase");
    if (serverCa && serverCaKey && !serverCa.checkPrivateKey(serverCaKey)) {
        problems.push("serverCaPrivateKey is not the key of serverCaCertificate.");
    }

    if (client) {
        if (clientCa && !(client.checkIssued(clientCa) && client.verify(clientCa.publicKey))) {
            problems.push("clientCertificate is not issued by clientCaCertificate.");
        }
        if (client.ca) problems.push("clientCertificate is a CA certificate; the controllers' certificate must not be one.");
        // Node 20's `keyUsage` lists the extended key usages (undefined without the extension, which allows any).
        const extended = client.keyUsage as string[] | undefined;
        if (extended !== undefined && !extended.includes("1.3.6.1.5.5.7.3.2")) {
            problems.push("clientCertificate does not allow client authentication (extendedKeyUsage without clientAuth).");
        }
    }
    const clientKey = privateKey("clientPrivateKey");
    if (client && clientKey && !client.checkPrivateKey(clientKey)) {
        problems.push("clientPrivateKey is not the key of clientCertificate.");
    }
    return problems;
}

/** A fresh passphrase of Octavia's shape (PASSPHRASE_RE): 24 random bytes as URL-safe base64, 32 characters. */
export function newPassphrase(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { randomBytes } = require("crypto") as typeof import("crypto");
    return randomBytes(24).toString("base64url");
}

/**
 * Where the two libraries are, resolved when the program loads this module. RegionPki's provider runs serialised in
 * a provider process whose working directory is wherever the engine runs (a runner's work folder, not necessarily
 * the project), so a bare `require("@peculiar/x509")` there would not find the project's node_modules; the absolute
 * paths travel with the serialised code instead. They are only used when a PKI is generated or reissued, which
 * happens in an `up` that serialised the provider afresh from this checkout.
 */
const LIBRARY_PATHS = { reflectMetadata: require.resolve("reflect-metadata"), x509: require.resolve("@peculiar/x509") };

/** @peculiar/x509 (which wants reflect-metadata loaded first) and Node's WebCrypto, which does its cryptography. */
function libraries() {
    /* eslint-disable @typescript-eslint/no-require-imports */
    require(LIBRARY_PATHS.reflectMetadata);
    const x509 = require(LIBRARY_PATHS.x509) as typeof import("@peculiar/x509");
    const nodeCrypto = require("crypto") as typeof import("crypto");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const webcrypto = nodeCrypto.webcrypto as unknown as Crypto;
    return { x509, nodeCrypto, webcrypto };
}

/** RSA PKCS#1 v1.5 signatures with SHA-256, as Octavia's own local certificate generator signs. */
function rsaAlgorithm(): RsaHashedImportParams {
    return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
}

async function generateRsaKeyPair(modulusLength: number): Promise<CryptoKeyPair> {
    const { webcrypto } = libraries();
    return webcrypto.subtle.generateKey(
        { ...rsaAlgorithm(), modulusLength, publicExponent: new Uint8Array([1, 0, 1]) },
        true,
        ["sign", "verify"],
    );
}

/** A private key as PKCS#8 PEM: encrypted with aes-256-cbc under `passphrase` when one is given, else in clear. */
async function privateKeyPem(key: CryptoKey, passphrase?: string): Promise<string> {
    const { nodeCrypto, webcrypto } = libraries();
    const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
    const keyObject = nodeCrypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    const pem = passphrase === undefined
        ? keyObject.export({ type: "pkcs8", format: "pem" })
        : keyObject.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase });
    return pem.toString();
}

/** An encrypted PKCS#8 PEM key, decrypted and imported for signing. */
async function signingKey(pem: string, passphrase: string): Promise<CryptoKey> {
    const { nodeCrypto, webcrypto } = libraries();
    const der = nodeCrypto.createPrivateKey({ key: pem, passphrase }).export({ type: "pkcs8", format: "der" });
    return webcrypto.subtle.importKey("pkcs8", der, rsaAlgorithm(), false, ["sign"]);
}

/**
 * The validity of a certificate made at `now`. It starts five minutes earlier so that a host whose clock is a little
 * behind (an amphora booting before NTP settles, a controller drifting) does not reject it as not yet valid.
 */
function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
    const seconds = Math.floor(now.getTime() / 1000) * 1000;
    return { notBefore: new Date(seconds - 5 * 60_000), notAfter: new Date(seconds + days * 86_400_000) };
}

/** A self-signed CA (RSA 4096) named `commonName`, its key encrypted under a fresh passphrase. */
async function createCa(commonName: string, days: number, now: Date): Promise<{ certificate: string; privateKey: string; passphrase: string }> {
    const { x509, webcrypto } = libraries();
    const keys = await generateRsaKeyPair(4096);
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
        {
            name: [{ CN: [commonName] }],
            keys,
            signingAlgorithm: rsaAlgorithm(),
            ...validity(now, days),
            extensions: [
                // pathLen 0: Octavia signs the amphorae's certificates with the CA itself, never through another CA.
                new x509.BasicConstraintsExtension(true, 0, true),
                new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
                await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
            ],
        },
        webcrypto,
    );
    const passphrase = newPassphrase();
    return { certificate: cert.toString("pem") + "\n", privateKey: await privateKeyPem(keys.privateKey, passphrase), passphrase };
}

/**
 * The controllers' client certificate and its unencrypted key, signed by the client CA. The key is RSA 2048, as in
 * Octavia's guide (which makes the CAs 4096): it is reissued far more often than the CAs and used in every TLS
 * handshake with an amphora.
 */
async function issueClientCertificate(
    caCertificate: string,
    caPrivateKey: string,
    caPassphrase: string,
    region: string,
    days: number,
    now: Date,
): Promise<{ certificate: string; privateKey: string }> {
    const { x509, webcrypto } = libraries();
    const ca = new x509.X509Certificate(caCertificate);
    const [keys, caKey] = await Promise.all([generateRsaKeyPair(2048), signingKey(caPrivateKey, caPassphrase)]);
    // Never past the CA's own end: a chain is invalid from then on, and the notAfter reported should say so.
    const period = validity(now, days);
    if (period.notAfter.getTime() > ca.notAfter.getTime()) period.notAfter = ca.notAfter;
    // The authority key identifier repeats the CA's subject key identifier, whatever way that one was computed.
    const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    const authorityKeyId = caKeyId !== undefined
        ? new x509.AuthorityKeyIdentifierExtension(caKeyId)
        : await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey, false, webcrypto);
    const cert = await x509.X509CertificateGenerator.create(
        {
            subject: [{ CN: [`tricircle-lbaas controller ${region}`] }],
            issuer: ca.subjectName,
            publicKey: keys.publicKey,
            signingKey: caKey,
            signingAlgorithm: rsaAlgorithm(),
            ...period,
            extensions: [
                new x509.BasicConstraintsExtension(false, undefined, true),
                new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
                new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
                authorityKeyId,
                await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
            ],
        },
        webcrypto,
    );
    return { certificate: cert.toString("pem") + "\n", privateKey: await privateKeyPem(keys.privateKey) };
}
