// What the stack sets in octavia.conf (guide step 4), and the program that merges it in.
//
// The settings are computed here, in TypeScript, from typed inputs. The merge itself runs on the
// controller as Python (every Octavia controller has python3), because it must read and rewrite
// the file exactly as oslo.config parses it: other sections, keys, comments and line endings
// stay byte for byte, and every value the stack writes reads back as itself.

import { nodeAsset } from "./assets";
import { adoptAssignment, asRoot, assignments, LIMITS, NODE_PATHS, nodeScript, pythonFunction, RemoteScripts, shellProgram } from "./remote";
import { assertAbsolutePath, UUID_RE } from "./values";
import * as rules from "../config/rules";
import { assertValid } from "../config/rules";
import { ServiceEndpoint } from "../config/schema";
import { PASSPHRASE_RE, PKI_FILES, PkiMaterial } from "../amphora/pkiMaterial";

/**
 * A setting with its value in the script, or one whose value travels on standard input. `guarded`: the value ties
 * Octavia to one management plane (where amphorae boot, their group, the key their heartbeats are signed with), so
 * one already in the file with another value, not written by the stack, is refused instead of overwritten: it means
 * running amphorae of another plane (see the merge program's `apply`). Packages ship the others (bind_ip,
 * region_name, ...) with placeholder values, which the stack overwrites.
 */
export type OctaviaSetting =
    | { section: string; key: string; value: string; guarded?: true }
    | { section: string; key: string; secret: OctaviaSecretName; guarded?: true };

/** Names of the values that never appear in a command's text (see `octaviaConfStdin`). */
export type OctaviaSecretName = "heartbeat_key" | "ca_private_key_passphrase" | "server_certs_key_passphrase";

/** What Octavia needs to boot amphorae in the region; each key is set only when its value is given. */
export interface AmphoraConfValues {
    /** [controller_worker] amp_flavor_id: the Nova flavor of the amphorae. */
    flavorId?: string;
    /** [controller_worker] amp_image_tag: the Glance tag of the amphora image. */
    imageTag?: string;
    /** [controller_worker] amp_image_owner_id: the Keystone project that owns the image. */
    imageOwnerId?: string;
    /** [controller_worker] amp_ssh_key_name: the Nova keypair put into the amphorae. */
    sshKeyName?: string;
    /** The region's PKI is delivered to this directory: the certificate keys below point into it. */
    certificatesDir?: string;
}

export interface OctaviaConfValues {
    /** The local region: [nova] and [glance] region_name. */
    region: string;
    /** Tricircle's central region: [neutron] region_name (the one Neutron). */
    centralRegion: string;
    bindIp: string;
    bindPort: number;
    /** `ip:port` of every health manager of the region, comma separated. */
    controllerIpPortList: string;
    mgmtNetworkId: string;
    amphoraSecurityGroupId: string;
    neutron?: ServiceEndpoint;
    nova?: ServiceEndpoint;
    glance?: ServiceEndpoint;
    amphora?: AmphoraConfValues;
}

// Ids and addresses come from Neutron; configured values are held to the config's rules (rules.ts).
const SECTION_OR_KEY_RE = /^[A-Za-z0-9_.-]+$/;

/**
 * A value oslo.config can hold: one line. (Leading/trailing blanks, quotes, `#`, `;`, `=`, `$`
 * and backslashes are all fine: the merge program writes them so they read back unchanged.)
 */
export function assertOsloValue(what: string, value: string): string {
    if (typeof value !== "string") throw new Error(`${what}: expected a string`);
    if (rules.oneLine(value) !== undefined) throw new Error(`${what}: must be a single line without NUL (oslo.config ends a value at a line break)`);
    return value;
}

function uuid(what: string, value: string): string {
    if (!UUID_RE.test(value)) throw new Error(`${what}: ${JSON.stringify(value)} is not a UUID`);
    return value.toLowerCase();
}

function ipPortList(value: string): string {
    const items = value.split(",");
    for (const item of items) {
        // Octavia splits each item at its last ':'; IPv6 addresses keep their own colons.
        const m = /^(\[?[0-9A-Fa-f:.]+\]?):(\d{1,5})$/.exec(item);
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
            throw new Error(`controller_ip_port_list: ${JSON.stringify(item)} is not ip:port (in ${JSON.stringify(value)})`);
        }
    }
    return value;
}

function endpointSettings(section: string, e: ServiceEndpoint | undefined): OctaviaSetting[] {
    const out: OctaviaSetting[] = [];
    if (e?.serviceName !== undefined) out.push({ section, key: "service_name", value: assertValid(`${section}.serviceName`, e.serviceName, rules.openstackName()) });
    if (e?.endpoint !== undefined) out.push({ section, key: "endpoint", value: assertValid(`${section}.endpoint`, e.endpoint, rules.httpUrl) });
    if (e?.endpointType !== undefined) out.push({ section, key: "endpoint_type", value: assertValid(`${section}.endpointType`, e.endpointType, rules.endpointType) });
    return out;
}

/** A Keystone project id: 32 hex digits, or the dashed UUID form some deployments use. */
const KEYSTONE_ID_RE = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

function nonEmptyLine(what: string, value: string, max?: number): string {
    assertOsloValue(what, value);
    if (value.trim() === "") throw new Error(`${what}: must not be empty`);
    if (max !== undefined && value.length > max) throw new Error(`${what}: must be at most ${max} characters`);
    return value;
}

/**
 * The keys that let Octavia boot and talk to amphorae. None is `guarded`: packages ship placeholders and devstack
 * writes its own, so the stack overwrites them and its delete restores what was there (as with region_name). The
 * two passphrases are referenced by name and travel on standard input (`octaviaConfStdin`).
 */
export function amphoraSettings(a: AmphoraConfValues | undefined): OctaviaSetting[] {
    if (a === undefined) return [];
    const cw = "controller_worker";
    const out: OctaviaSetting[] = [];
    if (a.flavorId !== undefined) out.push({ section: cw, key: "amp_flavor_id", value: nonEmptyLine("amphora.flavorId", a.flavorId) });
    if (a.imageTag !== undefined) out.push({ section: cw, key: "amp_image_tag", value: nonEmptyLine("amphora.imageTag", a.imageTag) });
    if (a.imageOwnerId !== undefined) {
        if (typeof a.imageOwnerId !== "string" || !KEYSTONE_ID_RE.test(a.imageOwnerId)) {
            throw new Error(`amphora.imageOwnerId: ${JSON.stringify(a.imageOwnerId)} is not a Keystone project id (32 hex digits or a UUID)`);
        }
        out.push({ section: cw, key: "amp_image_owner_id", value: a.imageOwnerId });
    }
    // Nova takes any one-line name of 1 to 255 characters for a keypair.
    if (a.sshKeyName !== undefined) out.push({ section: cw, key: "amp_ssh_key_name", value: nonEmptyLine("amphora.sshKeyName", a.sshKeyName, 255) });
    if (a.certificatesDir !== undefined) {
        const dir = assertAbsolutePath("amphora.certificatesDir", a.certificatesDir);
        const file = (name: string) => `${dir}/${name}`;
        out.push(
            { section: cw, key: "client_ca", value: file(PKI_FILES.clientCaCertificate) },
            { section: "certificates", key: "ca_certificate", value: file(PKI_FILES.serverCaCertificate) },
            { section: "certificates", key: "ca_private_key", value: file(PKI_FILES.serverCaPrivateKey) },
            { section: "certificates", key: "ca_private_key_passphrase", secret: "ca_private_key_passphrase" },
            { section: "certificates", key: "server_certs_key_passphrase", secret: "server_certs_key_passphrase" },
            { section: "certificates", key: "signing_digest", value: "sha256" },
            { section: "haproxy_amphora", key: "client_cert", value: file(PKI_FILES.clientCertAndKey) },
            { section: "haproxy_amphora", key: "server_ca", value: file(PKI_FILES.serverCaCertificate) },
        );
    }
    return out;
}

/** The keys of guide step 4, in file order. The heartbeat key is referenced, never embedded. */
export function octaviaSettings(v: OctaviaConfValues): OctaviaSetting[] {
    assertValid("bind_port (healthManager.port)", v.bindPort, rules.port);
    if (!/^[0-9A-Fa-f:.]+$/.test(v.bindIp)) throw new Error(`bind_ip: ${JSON.stringify(v.bindIp)} is not an IP address`);
    const settings: OctaviaSetting[] = [
        { section: "health_manager", key: "bind_ip", value: v.bindIp },
        { section: "health_manager", key: "bind_port", value: String(v.bindPort) },
        { section: "health_manager", key: "controller_ip_port_list", value: ipPortList(v.controllerIpPortList) },
        { section: "health_manager", key: "heartbeat_key", secret: "heartbeat_key", guarded: true },
        { section: "controller_worker", key: "amp_boot_network_list", value: uuid("amp_boot_network_list", v.mgmtNetworkId), guarded: true },
        { section: "controller_worker", key: "amp_secgroup_list", value: uuid("amp_secgroup_list", v.amphoraSecurityGroupId), guarded: true },
        ...amphoraSettings(v.amphora),
        { section: "neutron", key: "region_name", value: assertValid("centralRegion", v.centralRegion, rules.regionName) },
        ...endpointSettings("neutron", v.neutron),
        { section: "nova", key: "region_name", value: assertValid("region", v.region, rules.regionName) },
        ...endpointSettings("nova", v.nova),
        { section: "glance", key: "region_name", value: assertValid("region", v.region, rules.regionName) },
        ...endpointSettings("glance", v.glance),
    ];
    for (const s of settings) {
        if (!SECTION_OR_KEY_RE.test(s.section) || !SECTION_OR_KEY_RE.test(s.key)) throw new Error(`bad setting name [${s.section}] ${s.key}`);
        if ("value" in s) assertOsloValue(`[${s.section}] ${s.key}`, s.value);
    }
    return settings;
}

/** The passphrases of the region's PKI, as octavia.conf holds them. */
export type PkiPassphrases = Pick<PkiMaterial, "serverCaPassphrase" | "serverCertsKeyPassphrase">;

function assertPassphrase(what: string, value: string): string {
    if (typeof value !== "string" || !PASSPHRASE_RE.test(value)) throw new Error(`${what}: must be 32 characters of A-Z a-z 0-9 _ = - (the value is not shown)`);
    return value;
}

/**
 * Standard input of the octavia.conf command: the secrets, as JSON (`{"heartbeat_key": ..., and with a PKI
 * "ca_private_key_passphrase": ..., "server_certs_key_passphrase": ...}`), never in the command text. The merge
 * program looks each secret setting up by its name.
 */
export function octaviaConfStdin(secrets: { heartbeatKey: string; pki?: PkiPassphrases }): string {
    assertValid("healthManager.heartbeatKey", secrets.heartbeatKey, rules.singleLineText, { secret: true });
    const doc: Partial<Record<OctaviaSecretName, string>> = { heartbeat_key: secrets.heartbeatKey };
    if (secrets.pki !== undefined) {
        doc.ca_private_key_passphrase = assertPassphrase("serverCaPassphrase", secrets.pki.serverCaPassphrase);
        doc.server_certs_key_passphrase = assertPassphrase("serverCertsKeyPassphrase", secrets.pki.serverCertsKeyPassphrase);
    }
    return `${JSON.stringify(doc)}\n`;
}

/**
 * The merge program (components/node/files/octavia_conf_merge.py; its docstring says what it does and why it
 * parses the file itself), run on the node as `python3 /dev/fd/3 apply|restore CONF STATE BACKUP PENDING SETTINGS [ADOPT]`.
 */
export const OCTAVIA_CONF_MERGE_PROGRAM = nodeAsset("octavia_conf_merge.py");

// ---------------------------------------------------------------------------------------------
// The commands that merge the settings in (and restore the file on delete)

// Read once, at module load (see assets.ts).
export const OCTAVIA_CONF_FUNCTIONS = shellProgram("octavia-conf.sh");

export interface OctaviaConfScriptParams {
    configFile: string;
    restartCommand: string;
    settings: OctaviaSetting[];
    /**
     * The node was set up by hand and is taken over (`tricircle-lbaas:adopt`): changes only the wording of a refusal
     * (a guarded value that differs then contradicts the adopted plane); equal values are kept either way.
     */
    adopt: boolean;
    /**
     * `publicCertificatesDigest` of the PKI the certificates command delivers: carried in the command text so that a
     * certificate-only change (a reissued client certificate) re-runs this command, which restarts Octavia once.
     */
    certificatesDigest?: string;
}

/** The state file that records what the stack changed in `configFile`, one per config file. */
export function octaviaStateFile(configFile: string): string {
    return `${NODE_PATHS.stateDir}/octavia-conf${assertAbsolutePath("octavia.configFile", configFile).replace(/\//g, "_")}.json`;
}

/**
 * The certificates command's record for the Octavia of `configFile` (certificates.ts): while it exists, the
 * octavia.conf delete leaves the restart to the certificates' delete, which runs after it.
 */
export function certificatesStateFile(configFile: string): string {
    return `${NODE_PATHS.stateDir}/certificates${assertAbsolutePath("octavia.configFile", configFile).replace(/\//g, "_")}.json`;
}

export function octaviaBackupFile(configFile: string): string {
    return `${configFile}.tricircle-lbaas.orig`;
}

/** The quoted assignments of the octavia.conf scripts (and of the drift check's part for it). */
export function octaviaConfVars(configFile: string, restartCommand: string, settings: OctaviaSetting[]): string {
    const state = octaviaStateFile(configFile);
    return assignments({
        TLB_CONF: configFile,
        TLB_STATE: state,
        TLB_PENDING: `${state}.restart-pending`,
        TLB_BACKUP: octaviaBackupFile(configFile),
        TLB_STATE_DIR: NODE_PATHS.stateDir,
        TLB_SETTINGS: JSON.stringify(settings),
        TLB_RESTART: restartCommand,
        TLB_RESTART_WAIT: LIMITS.restartSeconds,
        TLB_CERT_STATE: certificatesStateFile(configFile),
    });
}

/** `tlb_merge ACTION ...` runs the merge program (remote.ts `pythonFunction`). */
export const OCTAVIA_MERGE_FUNCTION = pythonFunction("octavia_conf_merge.py", "tlb_merge", "TLB_PY_EOF", OCTAVIA_CONF_MERGE_PROGRAM);

/**
 * Merge the settings into octavia.conf with an embedded Python program, then restart Octavia.
 * Secret values are read by that program from standard input (see `octaviaConfStdin`).
 */
export function octaviaConfScripts(p: OctaviaConfScriptParams): RemoteScripts {
    const configFile = assertAbsolutePath("octavia.configFile", p.configFile);
    assertValid("octavia.restartCommand", p.restartCommand, rules.singleLineText);
    const seen = new Set<string>();
    for (const s of p.settings) {
        const id = `${s.section}.${s.key}`;
        if (seen.has(id)) throw new Error(`octavia.conf setting [${s.section}] ${s.key} is given twice`);
        seen.add(id);
        if ("value" in s) assertOsloValue(`[${s.section}] ${s.key}`, s.value);
    }
    if (p.certificatesDigest !== undefined && !/^[0-9a-f]{64}$/.test(p.certificatesDigest)) throw new Error("certificatesDigest: not a SHA-256 hex digest");
    const vars = [adoptAssignment(p.adopt), octaviaConfVars(configFile, p.restartCommand, p.settings)].join("\n");
    // The restart after the certificates command changed a file: it touched this command's restart marker, and this
    // line (a digest of the public certificates only) changes with them, so the provider runs this command's update.
    const certificates = p.certificatesDigest === undefined ? [] : [`# certificates delivered: sha256 ${p.certificatesDigest}`];
    const values = [vars, ...certificates];
    const programs = [OCTAVIA_MERGE_FUNCTION, OCTAVIA_CONF_FUNCTIONS];
    const converge = asRoot("octavia.conf", nodeScript(values, programs, "tlb_octavia_conf_apply"));
    const remove = asRoot("octavia.conf delete", nodeScript(values, programs, "tlb_octavia_conf_restore"));
    return { create: converge, delete: remove };
}
