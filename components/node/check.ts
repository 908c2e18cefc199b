// The drift check of a controller node: one read-only bash program (files/check.sh) that compares the node with what
// the plane (o-hm0, firewall, persistence), certificates and octavia.conf scripts set up, from the same quoted
// assignments and the same functions those scripts use. NodeDrift (nodeDrift.ts) runs it on refresh, `npm run doctor`
// runs it on its own.

export { Concern, CONCERNS, Drift, driftReport, parseNodeCheck } from "./nodeDrift";
import { OctaviaSetting } from "./octaviaConf";
import { FIREWALL_FUNCTIONS, firewallVars } from "./firewall";
import { OCTAVIA_MERGE_FUNCTION, octaviaConfVars } from "./octaviaConf";
import { OHM0_FUNCTIONS, OHm0Params, checkOHm0Params, ohm0Vars } from "./ohm0";
import { persistenceHelperText, persistenceUnitText } from "./persistence";
import { NODE_PATHS, asRoot, assignments, nodeScript, shellProgram } from "./remote";
import { CERTIFICATES_FUNCTION, certificatesParams, privateCertificateDigests, publicCertificateDigests } from "./certificates";
import { PkiMaterial } from "../amphora/pkiMaterial";
import { sha256Hex } from "./values";

const CHECK_FUNCTIONS = shellProgram("check.sh");

export interface NodeCheckParams {
    ohm0: OHm0Params;
    heartbeatPort: number;
    configFile: string;
    settings: OctaviaSetting[];
    /**
     * The PKI the certificates command delivers, when the stack manages it: its directory and the SHA-256 of each
     * public file (`publicCertificateDigests`); the private files' digests come on standard input.
     */
    certificates?: { dir: string; publicDigests: Record<string, string> };
}

/** The check command: read-only, as root (like the other commands), prints `DRIFT <concern> <what>` lines. */
export function nodeCheckScript(p: NodeCheckParams): string {
    const c = checkOHm0Params(p.ohm0);
    const persistence = { ohm0: p.ohm0, heartbeatPort: p.heartbeatPort };
    return asRoot(
        "drift check (read-only)",
        nodeScript(
            [
                ohm0Vars(c, 0),
                firewallVars(p.heartbeatPort),
                assignments({
                    TLB_HELPER: NODE_PATHS.helper,
                    TLB_UNIT_FILE: NODE_PATHS.unitFile,
                    TLB_UNIT_NAME: NODE_PATHS.unitName,
                    TLB_UNIT_SHA: sha256Hex(persistenceUnitText()),
                    TLB_HELPER_SHA: sha256Hex(persistenceHelperText(persistence)),
                }),
                // The restart command is never run by the check; the octavia.conf variables are the same as the merge's.
                octaviaConfVars(p.configFile, "true", p.settings),
                // Without managed certificates the check still reports the expiry of those octavia.conf points to.
                assignments({
                    TLB_CERT_MANAGED: p.certificates ? 1 : 0,
                    TLB_CERT_CHECK: p.certificates
                        ? certificatesParams(p.configFile, p.certificates.dir, p.certificates.publicDigests)
                        : JSON.stringify({ dir: "", conf: p.configFile }),
                }),
            ],
            [OHM0_FUNCTIONS, FIREWALL_FUNCTIONS, OCTAVIA_MERGE_FUNCTION, CERTIFICATES_FUNCTION, CHECK_FUNCTIONS],
            "tlb_check_all",
        ),
    );
}

/**
 * The check's standard input: the SHA-256 of each secret value, so the node compares without being told it:
 * `{"sha256": {<octavia.conf secret name>: hex}, "certificates": {<file holding a private key>: hex}}`.
 */
export function nodeCheckStdin(secrets: { heartbeatKey: string; pki?: PkiMaterial }): string {
    const conf: Record<string, string> = { heartbeat_key: sha256Hex(secrets.heartbeatKey) };
    if (secrets.pki === undefined) return `${JSON.stringify({ sha256: conf })}\n`;
    conf.ca_private_key_passphrase = sha256Hex(secrets.pki.serverCaPassphrase);
    conf.server_certs_key_passphrase = sha256Hex(secrets.pki.serverCertsKeyPassphrase);
    return `${JSON.stringify({ sha256: conf, certificates: privateCertificateDigests(secrets.pki) })}\n`;
}

/** The `certificates` part of NodeCheckParams for a delivered PKI. */
export function certificatesCheck(dir: string, pki: PkiMaterial): NonNullable<NodeCheckParams["certificates"]> {
    return { dir, publicDigests: publicCertificateDigests(pki) };
}
