// The region's amphora PKI on a controller node: the four files of PKI_FILES in Octavia's certificate directory
// (`amphora.certificatesDir`), which the octavia.conf keys of octaviaConf.ts `amphoraSettings` point to.
//
// The files travel on the command's standard input only (two of them hold private keys), as one JSON document read
// by a Python program (files/octavia_certificates.py: its docstring says what it does on the node), because JSON,
// ownership lookups, backups and atomic writes are plain there and awkward in bash. Like the merge program it rides
// in the command's text as a here-document on descriptor 3 and is never installed on the node.
//
// The restart after a change: the octavia.conf command owns Octavia's restart (one per run, marked by its PENDING
// file). The certificates command only touches that marker when it changed a file; the octavia.conf command, which
// depends on it and so runs right after it, carries `publicCertificatesDigest` in its text, so a certificate-only
// change (a client certificate reissued in place) changes that text too and the provider re-runs its update, which
// finds the marker and restarts Octavia exactly once, also when octavia.conf itself did not change. (A private key
// that changed without its certificate is not in that digest: the marker then waits, the drift check reports "an
// Octavia restart is still pending", and the repair that follows runs the restart.)

import { nodeAsset } from "./assets";
import { OCTAVIA_CONF_FUNCTIONS, certificatesStateFile, octaviaStateFile } from "./octaviaConf";
import { LIMITS, NODE_PATHS, RemoteScripts, asRoot, assignments, nodeScript, pythonFunction, shellProgram } from "./remote";
import { assertAbsolutePath, sha256Hex } from "./values";
import * as rules from "../config/rules";
import { assertValid } from "../config/rules";
import { PASSPHRASE_RE, PKI_FILES, PkiMaterial } from "../amphora/pkiMaterial";

/** The program that writes, restores and checks the files (see the top of this file). */
export const CERTIFICATES_PROGRAM = nodeAsset("octavia_certificates.py");

// Read once, at module load (see assets.ts).
const CERTIFICATES_FUNCTIONS = shellProgram("certificates.sh");

/** The files of PKI_FILES, in a fixed order. */
export const CERTIFICATE_FILE_NAMES: readonly string[] = [PKI_FILES.serverCaCertificate, PKI_FILES.serverCaPrivateKey, PKI_FILES.clientCaCertificate, PKI_FILES.clientCertAndKey];
/** The files that hold a certificate (whose expiry the drift check reports); the CA key file holds none. */
export const CERTIFICATE_CERT_NAMES: readonly string[] = [PKI_FILES.serverCaCertificate, PKI_FILES.clientCaCertificate, PKI_FILES.clientCertAndKey];
/** The files that hold a private key: compared by a digest that travels on standard input, never in a script. */
const PRIVATE_FILE_NAMES: readonly string[] = [PKI_FILES.serverCaPrivateKey, PKI_FILES.clientCertAndKey];

const pemBlock = (type: string) => new RegExp(`^-----BEGIN ${type}-----\\r?\\n[\\s\\S]*?\\r?\\n-----END ${type}-----\\s*$`);
const CERT_RE = pemBlock("CERTIFICATE");
const ENCRYPTED_KEY_RE = pemBlock("ENCRYPTED PRIVATE KEY");
const PLAIN_KEY_RE = pemBlock("(?:RSA |EC )?PRIVATE KEY");

/** Holds the material to its shape; messages name the field, never a value. */
export function assertPkiFiles(pki: PkiMaterial): PkiMaterial {
    const need = (field: keyof PkiMaterial, ok: boolean, expected: string) => {
        if (!ok) throw new Error(`amphora PKI: ${field} is not ${expected} (the value is not shown)`);
    };
    const str = (v: unknown): v is string => typeof v === "string";
    need("serverCaCertificate", str(pki.serverCaCertificate) && CERT_RE.test(pki.serverCaCertificate), "one PEM certificate");
    need("clientCaCertificate", str(pki.clientCaCertificate) && CERT_RE.test(pki.clientCaCertificate), "one PEM certificate");
    need("clientCertificate", str(pki.clientCertificate) && CERT_RE.test(pki.clientCertificate), "one PEM certificate");
    need("serverCaPrivateKey", str(pki.serverCaPrivateKey) && ENCRYPTED_KEY_RE.test(pki.serverCaPrivateKey), "one encrypted PKCS#8 PEM key");
    need("clientPrivateKey", str(pki.clientPrivateKey) && PLAIN_KEY_RE.test(pki.clientPrivateKey), "one unencrypted PEM private key");
    need("serverCaPassphrase", str(pki.serverCaPassphrase) && PASSPHRASE_RE.test(pki.serverCaPassphrase), "32 characters of A-Z a-z 0-9 _ = -");
    need("serverCertsKeyPassphrase", str(pki.serverCertsKeyPassphrase) && PASSPHRASE_RE.test(pki.serverCertsKeyPassphrase), "32 characters of A-Z a-z 0-9 _ = -");
    return pki;
}

const withNewline = (s: string) => (s.endsWith("\n") ? s : `${s}\n`);

/** Each file's content, by file name. */
export function certificateFiles(pki: PkiMaterial): Record<string, string> {
    assertPkiFiles(pki);
    return {
        [PKI_FILES.serverCaCertificate]: withNewline(pki.serverCaCertificate),
        [PKI_FILES.serverCaPrivateKey]: withNewline(pki.serverCaPrivateKey),
        [PKI_FILES.clientCaCertificate]: withNewline(pki.clientCaCertificate),
        // Octavia's `[haproxy_amphora] client_cert` is the certificate followed by its key, in one file.
        [PKI_FILES.clientCertAndKey]: withNewline(pki.clientCertificate) + withNewline(pki.clientPrivateKey),
    };
}

/** Standard input of the certificates command: `{"files": {<file name>: <PEM text>}}` (secret: it holds keys). */
export function certificatesStdin(pki: PkiMaterial): string {
    return `${JSON.stringify({ files: certificateFiles(pki) })}\n`;
}

/** SHA-256 of each public file, by name: given in the check's text. */
export function publicCertificateDigests(pki: PkiMaterial): Record<string, string> {
    const files = certificateFiles(pki);
    return Object.fromEntries(CERTIFICATE_FILE_NAMES.filter((n) => !PRIVATE_FILE_NAMES.includes(n)).map((n) => [n, sha256Hex(files[n])]));
}

/** SHA-256 of each file holding a private key, by name: the check's standard input carries them. */
export function privateCertificateDigests(pki: PkiMaterial): Record<string, string> {
    const files = certificateFiles(pki);
    return Object.fromEntries(PRIVATE_FILE_NAMES.map((n) => [n, sha256Hex(files[n])]));
}

/**
 * One digest of the public certificates (both CAs and the client certificate), not of any key: what the octavia.conf
 * command's text carries so that it re-runs after a certificate change (see the top of this file).
 */
export function publicCertificatesDigest(pki: PkiMaterial): string {
    assertPkiFiles(pki);
    return sha256Hex(JSON.stringify([pki.serverCaCertificate, pki.clientCaCertificate, pki.clientCertificate]));
}

export interface CertificatesScriptParams {
    /** `octavia.configFile`: its ownership names Octavia's user; its restart marker is shared. */
    configFile: string;
    restartCommand: string;
    /** `amphora.certificatesDir`. */
    certificatesDir: string;
}

/** The program's parameters (paths and names, nothing secret), as the one JSON argument it takes. */
export function certificatesParams(configFile: string, certificatesDir: string, expected?: Record<string, string>): string {
    const conf = assertAbsolutePath("octavia.configFile", configFile);
    const dir = assertAbsolutePath("amphora.certificatesDir", certificatesDir);
    const state = certificatesStateFile(conf);
    return JSON.stringify({
        dir,
        conf,
        state,
        backups: state.replace(/\.json$/, ".backups"),
        pending: `${octaviaStateFile(conf)}.restart-pending`,
        names: CERTIFICATE_FILE_NAMES,
        certs: CERTIFICATE_CERT_NAMES,
        ...(expected ? { expected } : {}),
    });
}

/** `tlb_certs ACTION PARAMS` runs the certificates program, its text on descriptor 3 (standard input stays free). */
export const CERTIFICATES_FUNCTION = pythonFunction("octavia_certificates.py", "tlb_certs", "TLB_CERTS_PY_EOF", CERTIFICATES_PROGRAM);

/** Write the PKI files (create/update) and restore what was there (delete). Standard input: `certificatesStdin`. */
export function certificatesScripts(p: CertificatesScriptParams): RemoteScripts {
    const conf = assertAbsolutePath("octavia.configFile", p.configFile);
    assertValid("octavia.restartCommand", p.restartCommand, rules.singleLineText);
    const state = octaviaStateFile(conf);
    const vars = assignments({
        TLB_CONF: conf,
        TLB_STATE_DIR: NODE_PATHS.stateDir,
        TLB_CERT_PARAMS: certificatesParams(conf, p.certificatesDir),
        // The octavia.conf command's restart, for the delete (see certificates.sh).
        TLB_PENDING: `${state}.restart-pending`,
        TLB_RESTART: p.restartCommand,
        TLB_RESTART_WAIT: LIMITS.restartSeconds,
    });
    const programs = [CERTIFICATES_FUNCTION, OCTAVIA_CONF_FUNCTIONS, CERTIFICATES_FUNCTIONS];
    const converge = asRoot("certificates", nodeScript([vars], programs, "tlb_certificates_apply"));
    const remove = asRoot("certificates delete", nodeScript([vars], programs, "tlb_certificates_restore"));
    return { create: converge, delete: remove };
}
