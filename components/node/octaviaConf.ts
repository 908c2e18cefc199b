// What the stack sets in octavia.conf (guide step 4), and the program that merges it in.
//
// The settings are computed here, in TypeScript, from typed inputs. The merge itself runs on the
// controller as Python (every Octavia controller has python3), because it must read and rewrite
// the file exactly as oslo.config parses it: other sections, keys, comments and line endings
// stay byte for byte, and every value the stack writes reads back as itself.

import { nodeAsset } from "./assets";
import { adoptAssignment, asRoot, assignments, LIMITS, NODE_PATHS, PRELUDE, RemoteScripts, shellPiece } from "./remote";
import { assertAbsolutePath, UUID_RE } from "./values";
import * as rules from "../config/rules";
import { assertValid } from "../config/rules";
import { ServiceEndpoint } from "../config/schema";

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
export type OctaviaSecretName = "heartbeat_key";

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

/** Standard input of the octavia.conf command: the secrets, as JSON, never in the command text. */
export function octaviaConfStdin(secrets: { heartbeatKey: string }): string {
    assertValid("healthManager.heartbeatKey", secrets.heartbeatKey, rules.singleLineText, { secret: true });
    const doc: Record<OctaviaSecretName, string> = { heartbeat_key: secrets.heartbeatKey };
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
const OCTAVIA_CONF_FUNCTIONS = shellPiece(nodeAsset("octavia-conf.sh"));

export interface OctaviaConfScriptParams {
    configFile: string;
    restartCommand: string;
    settings: OctaviaSetting[];
    /**
     * The node was set up by hand and is taken over (`tricircle-lbaas:adopt`): changes only the wording of a refusal
     * (a guarded value that differs then contradicts the adopted plane); equal values are kept either way.
     */
    adopt: boolean;
}

/** The state file that records what the stack changed in `configFile`, one per config file. */
export function octaviaStateFile(configFile: string): string {
    return `${NODE_PATHS.stateDir}/octavia-conf${assertAbsolutePath("octavia.configFile", configFile).replace(/\//g, "_")}.json`;
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
    });
}

/**
 * `tlb_merge ACTION ...` runs the merge program. It travels in the command's text, as a quoted here-document on
 * descriptor 3 (standard input stays free for the secrets); it is never installed on the node.
 */
export function octaviaMergeFunction(): string {
    if (OCTAVIA_CONF_MERGE_PROGRAM.split("\n").includes("TLB_PY_EOF")) throw new Error("merge program contains its delimiter");
    return `tlb_merge() {\n  python3 /dev/fd/3 "$@" 3<<'TLB_PY_EOF'\n${OCTAVIA_CONF_MERGE_PROGRAM}TLB_PY_EOF\n}`;
}

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
    const vars = [adoptAssignment(p.adopt), octaviaConfVars(configFile, p.restartCommand, p.settings)].join("\n");
    const lib = [PRELUDE, vars, octaviaMergeFunction(), OCTAVIA_CONF_FUNCTIONS].join("\n\n");
    const converge = asRoot("octavia.conf", `${lib}\n\ntlb_octavia_conf_apply`);
    const remove = asRoot("octavia.conf delete", `${lib}\n\ntlb_octavia_conf_restore`);
    return { create: converge, update: converge, delete: remove };
}
