// Pure generators of the bash programs that ControllerNode hands to command.remote.Command. The programs are files
// of their own in components/node/files/ (shellcheck'ed by `npm run lint`); this module keeps the typed parameters,
// their checks, the quoted assignments (the only way a value enters a script) and the assembly. It returns strings
// and touches neither Pulumi nor the network, so the host tests run exactly these strings over real SSH.
//
// How a command reaches the node: the provider asks sshd to run the string with the SSH user's login shell
// (`$SHELL -c <string>`), which may be dash, as a user who is usually not root (`ssh.user` defaults to "stack"), so
// `asRoot` wraps every script in a few POSIX lines that hand it to bash, through `sudo -n` unless already root, inside
// an overall `timeout`. Standard input passes through untouched: it is the one channel that carries a secret (the
// heartbeat key, see octaviaConf.ts), because a command's text shows up in `pulumi preview`, in the state file and in
// the provider's error messages.

import * as rules from "../config/rules";
import { assertValid } from "../config/rules";
import { nodeAsset } from "./assets";
import { assertAbsolutePath, assertInterfaceName, assertPort, fail, normalizeIp, normalizeMac, normalizeUuid, shellQuote } from "./values";
// The values' checks and quoting live in values.ts; they stay part of this module's API.
export { assertAbsolutePath, assertInterfaceName, assertPort, normalizeIp, normalizeMac, normalizeUuid, shellQuote } from "./values";
import { OCTAVIA_CONF_MERGE_PROGRAM, OctaviaSetting, assertOsloValue } from "./octaviaConf";

import { OHM0 } from "../config/names";
export { OHM0 };
/** Where the scripts keep what they write on a node; every path is removed again by a delete. */
export const NODE_PATHS = {
    configDir: "/etc/tricircle-lbaas",
    stateDir: "/var/lib/tricircle-lbaas",
    runDir: "/run/tricircle-lbaas",
    dhclientConf: "/etc/tricircle-lbaas/dhclient-o-hm0.conf",
    dhclientScript: "/etc/tricircle-lbaas/dhclient-o-hm0-script",
    dhclientLease: "/var/lib/tricircle-lbaas/dhclient-o-hm0.leases",
    dhclientPid: "/run/tricircle-lbaas/dhclient-o-hm0.pid",
    dhclientLog: "/run/tricircle-lbaas/dhclient-o-hm0.log",
    helper: "/usr/local/sbin/tricircle-lbaas-o-hm0",
    unitName: "tricircle-lbaas-o-hm0.service",
    unitFile: "/etc/systemd/system/tricircle-lbaas-o-hm0.service",
} as const;

/** Upper bounds, in seconds, on everything a script may wait for. */
export const LIMITS = {
    /** The whole script, whatever happens inside it. */
    scriptSeconds: 600,
    /** One ovs-vsctl transaction (waits for ovs-vswitchd to apply it). */
    ovsSeconds: 20,
    /** At boot the helper waits this long for Open vSwitch; a create fails at once instead. */
    bootOvsWaitSeconds: 60,
    /** For the o-hm0 device to appear after the port is added. */
    linkSeconds: 20,
    /** dhclient's own `timeout` for a lease (the process is killed 10 s later regardless). */
    dhcpSeconds: 20,
    /** For o-hm0 to show exactly the port's MAC and address. */
    verifySeconds: 10,
    /** For the xtables lock. */
    iptablesWaitSeconds: 10,
    /** The operator's Octavia restart command. */
    restartSeconds: 300,
} as const;

/** Comment on our firewall rules, so they are told apart from rules an operator added by hand. */
export const FIREWALL_COMMENT = "tricircle-lbaas-o-hm0";
/** Scripts above this size get near Linux's 128 KiB limit on one exec argument. */
const MAX_SCRIPT_BYTES = 100_000;

export interface RemoteScripts {
    create: string;
    update: string;
    delete: string;
}

// ---------------------------------------------------------------------------------------------
// Script assembly

/**
 * Wraps a bash script so it runs as root under bash whatever the SSH user's login shell, with
 * an overall time limit. The script travels as a quoted here-document into a private temporary
 * file (so `pulumi preview` shows it verbatim, and sudo, which closes extra descriptors, can
 * still read it); standard input flows through untouched to the script.
 */
export function asRoot(label: string, script: string): string {
    const bytes = Buffer.byteLength(script);
    if (bytes > MAX_SCRIPT_BYTES) throw new Error(`${label}: script of ${bytes} bytes exceeds ${MAX_SCRIPT_BYTES}`);
    const delimiter = "TLB_SCRIPT_EOF";
    if (script.split("\n").includes(delimiter)) throw new Error(`${label}: the script contains its own delimiter`);
    const run = `timeout -k 10 ${LIMITS.scriptSeconds} /bin/bash "$tlb_script"`;
    return [
        `# tricircle-lbaas ${label}: the bash script below runs as root (through sudo -n unless already root).`,
        "tlb_script=$(mktemp -t tricircle-lbaas.XXXXXXXX) || exit 1",
        `cat >"$tlb_script" <<'${delimiter}'`,
        script.replace(/\n$/, ""),
        delimiter,
        `if [ "$(id -u)" -eq 0 ]; then ${run}; else sudo -n ${run}; fi`,
        "tlb_rc=$?",
        'rm -f "$tlb_script"',
        'exit "$tlb_rc"',
        "",
    ].join("\n");
}

/** Shell-variable assignments; the only place where values enter a script. */
export function assignments(vars: Record<string, string | number>): string {
    return Object.entries(vars)
        .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
        .join("\n");
}

/** A quoted here-document writing `content` through tlb_install_file. */
function fileFromHeredoc(mode: string, pathVar: string, delimiter: string, content: string): string {
    if (content.split("\n").includes(delimiter)) throw new Error(`here-document delimiter ${delimiter} occurs in its content`);
    const body = content.endsWith("\n") ? content : `${content}\n`;
    return `tlb_install_file ${mode} "$${pathVar}" <<'${delimiter}'\n${body}${delimiter}`;
}

/** A shell file of components/node/files/ as a piece of an assembled script: without its linter directives. */
export function shellPiece(text: string): string {
    return text
        .split("\n")
        .filter((line) => !/^\s*# shellcheck /.test(line))
        .join("\n")
        .replace(/\n+$/, "");
}

// Read once, at module load (see assets.ts).
export const PRELUDE = shellPiece(nodeAsset("prelude.sh"));
export const OHM0_FUNCTIONS = shellPiece(nodeAsset("ohm0.sh"));
export const FIREWALL_FUNCTIONS = shellPiece(nodeAsset("firewall.sh"));
const PERSISTENCE_FUNCTIONS = shellPiece(nodeAsset("persistence.sh"));
const HELPER_MAIN = shellPiece(nodeAsset("o-hm0-helper.sh"));
const UNIT_TEXT = nodeAsset("tricircle-lbaas-o-hm0.service");
const DHCLIENT_CONF = nodeAsset("dhclient-o-hm0.conf");
const DHCLIENT_SCRIPT = nodeAsset("dhclient-script.sh");
const OCTAVIA_CONF_FUNCTIONS = shellPiece(nodeAsset("octavia-conf.sh"));

// ---------------------------------------------------------------------------------------------
// 1. o-hm0

export type Addressing = "static" | "dhcp";

export interface OHm0Params {
    bridge: string;
    portId: string;
    mac: string;
    ip: string;
    prefixLength: number;
    addressing: Addressing;
    /** Neutron's binding host id; a mismatch with the node's hostname only warns (agents may set `host`). */
    hostname?: string;
}

export interface OHm0Checked {
    bridge: string;
    portId: string;
    mac: string;
    address: string;
    family: 4 | 6;
    prefixLength: number;
    addressing: Addressing;
    hostname: string;
}

export function checkOHm0Params(p: OHm0Params): OHm0Checked {
    const { address, family } = normalizeIp("o-hm0 port IP", p.ip);
    assertValid("o-hm0 prefix length", p.prefixLength, rules.interfacePrefix(family));
    if (p.addressing !== "static" && p.addressing !== "dhcp") fail("addressing", p.addressing, `"static" or "dhcp"`);
    if (p.addressing === "dhcp" && family === 6) {
        throw new Error(`addressing "dhcp" supports IPv4 management subnets only; use "static" for ${address}`);
    }
    if (p.hostname !== undefined) assertValid("hostname", p.hostname, rules.bindingHostId);
    return {
        bridge: assertInterfaceName("ovsBridge", p.bridge),
        portId: normalizeUuid("o-hm0 Neutron port id", p.portId),
        mac: normalizeMac(p.mac),
        address,
        family,
        prefixLength: p.prefixLength,
        addressing: p.addressing,
        hostname: p.hostname ?? "",
    };
}

/** dhclient.conf for o-hm0 (dhclient-o-hm0.conf): only the address, never routers or DNS, bounded in time. */
export function dhclientConfText(): string {
    return DHCLIENT_CONF;
}

/**
 * dhclient's `-sf` script for o-hm0 (dhclient-script.sh). The distribution's dhclient-script would also apply any
 * router or DNS option a server sends unasked (and run every hook under /etc/dhcp); this one applies the address and
 * MTU and nothing else.
 */
export function dhclientScriptText(): string {
    return DHCLIENT_SCRIPT;
}

export function ohm0Vars(c: OHm0Checked, ovsWaitSeconds: number): string {
    return assignments({
        TLB_BRIDGE: c.bridge,
        TLB_PORT_ID: c.portId,
        TLB_MAC: c.mac,
        TLB_ADDRESS: c.address,
        TLB_PREFIX: c.prefixLength,
        TLB_FAMILY: c.family,
        TLB_ADDRESSING: c.addressing,
        TLB_HOSTNAME: c.hostname,
        TLB_OVS_WAIT: ovsWaitSeconds,
        TLB_OVS_TIMEOUT: LIMITS.ovsSeconds,
        TLB_LINK_WAIT: LIMITS.linkSeconds,
        TLB_DHCP_WAIT: LIMITS.dhcpSeconds,
        TLB_VERIFY_WAIT: LIMITS.verifySeconds,
        TLB_CONFIG_DIR: NODE_PATHS.configDir,
        TLB_STATE_DIR: NODE_PATHS.stateDir,
        TLB_RUN_DIR: NODE_PATHS.runDir,
        TLB_DHCLIENT_CONF: NODE_PATHS.dhclientConf,
        TLB_DHCLIENT_SCRIPT: NODE_PATHS.dhclientScript,
        TLB_DHCLIENT_LEASE: NODE_PATHS.dhclientLease,
        TLB_DHCLIENT_PID: NODE_PATHS.dhclientPid,
        TLB_DHCLIENT_LOG: NODE_PATHS.dhclientLog,
    });
}

function dhclientFilesFunction(): string {
    return [
        "tlb_write_dhclient_files() {",
        fileFromHeredoc("644", "TLB_DHCLIENT_CONF", "TLB_DHCLIENT_CONF_EOF", dhclientConfText()),
        fileFromHeredoc("755", "TLB_DHCLIENT_SCRIPT", "TLB_DHCLIENT_SCRIPT_EOF", dhclientScriptText()),
        "}",
    ].join("\n");
}

function ohm0Library(c: OHm0Checked, ovsWaitSeconds: number): string {
    return [ohm0Vars(c, ovsWaitSeconds), OHM0_FUNCTIONS, dhclientFilesFunction()].join("\n\n");
}

/** o-hm0: OVS internal port with the Neutron port's identity, its MAC, its address; verified. */
export function ohm0Scripts(params: OHm0Params): RemoteScripts {
    const c = checkOHm0Params(params);
    const converge = asRoot("o-hm0", [PRELUDE, ohm0Library(c, 0), "tlb_ohm0_up"].join("\n\n"));
    const remove = asRoot("o-hm0 delete", [PRELUDE, ohm0Library(c, 0), "tlb_ohm0_remove"].join("\n\n"));
    return { create: converge, update: converge, delete: remove };
}

export interface OHm0Report {
    ip: string;
    prefixLength: number;
    mac: string;
}

/** Reads the `OHM0 ip=… prefix=… mac=…` line the o-hm0 script prints last. */
export function parseOHm0Report(stdout: string): OHm0Report {
    const lines = String(stdout).split("\n").filter((l) => l.startsWith("OHM0 "));
    const m = /^OHM0 ip=(\S+) prefix=(\d+) mac=(\S+)$/.exec((lines[lines.length - 1] ?? "").trim());
    if (!m) throw new Error(`the o-hm0 command printed no "OHM0 ip=… prefix=… mac=…" line; its output was: ${stdout}`);
    return { ip: normalizeIp("observed o-hm0 IP", m[1]).address, prefixLength: Number(m[2]), mac: normalizeMac(m[3]) };
}

// ---------------------------------------------------------------------------------------------
// 2. Firewall

export function firewallVars(heartbeatPort: number): string {
    return assignments({
        TLB_HM_PORT: assertPort("healthManager.port", heartbeatPort),
        TLB_FW_COMMENT: FIREWALL_COMMENT,
        TLB_FW_WAIT: LIMITS.iptablesWaitSeconds,
    });
}

/** iptables and ip6tables: accept the health-manager UDP port on o-hm0, exactly once. */
export function firewallScripts(heartbeatPort: number): RemoteScripts {
    const lib = [PRELUDE, firewallVars(heartbeatPort), FIREWALL_FUNCTIONS].join("\n\n");
    const converge = asRoot("firewall", `${lib}\n\ntlb_firewall_up`);
    return { create: converge, update: converge, delete: asRoot("firewall delete", `${lib}\n\ntlb_firewall_down`) };
}

// ---------------------------------------------------------------------------------------------
// 3. Reboot persistence

export interface PersistenceParams {
    ohm0: OHm0Params;
    heartbeatPort: number;
}

/**
 * The program the unit runs: `up` redoes what the o-hm0 and firewall scripts do (after waiting
 * for Open vSwitch), `down` gives the address back and drops the rules.
 */
export function persistenceHelperText(p: PersistenceParams): string {
    const c = checkOHm0Params(p.ohm0);
    return [
        "#!/bin/bash",
        `# Written by tricircle-lbaas; run by ${NODE_PATHS.unitName} at boot ("up") and shutdown ("down").`,
        "# Restores o-hm0 (port, MAC, address) and the heartbeat firewall rules, which do not survive a reboot.",
        PRELUDE,
        ohm0Library(c, LIMITS.bootOvsWaitSeconds),
        firewallVars(p.heartbeatPort),
        FIREWALL_FUNCTIONS,
        `${HELPER_MAIN}\n`,
    ].join("\n\n");
}

/**
 * The systemd unit, after kolla's octavia-interface.service. Open vSwitch's unit is
 * openvswitch-switch on Debian/Ubuntu and openvswitch on RHEL, and absent where OVS runs in a
 * container (kolla): Requires= on a missing unit would fail the boot job, so the unit uses
 * Wants= + After= for ordering, PartOf= so an OVS restart re-runs it, and the helper itself
 * waits (bounded) for the OVS database.
 */
export function persistenceUnitText(): string {
    return UNIT_TEXT;
}

/** Writes (create/update) or removes (delete) the boot-time unit and its helper. */
export function persistenceScripts(p: PersistenceParams): RemoteScripts {
    const vars = assignments({
        TLB_HELPER: NODE_PATHS.helper,
        TLB_UNIT_FILE: NODE_PATHS.unitFile,
        TLB_UNIT_NAME: NODE_PATHS.unitName,
    });
    const converge = asRoot(
        "persistence",
        [
            PRELUDE,
            vars,
            fileFromHeredoc("755", "TLB_HELPER", "TLB_HELPER_EOF", persistenceHelperText(p)),
            fileFromHeredoc("644", "TLB_UNIT_FILE", "TLB_UNIT_EOF", persistenceUnitText()),
            PERSISTENCE_FUNCTIONS,
            "tlb_persistence_install",
        ].join("\n\n"),
    );
    const remove = asRoot("persistence delete", [PRELUDE, vars, PERSISTENCE_FUNCTIONS, "tlb_persistence_remove"].join("\n\n"));
    return { create: converge, update: converge, delete: remove };
}

/** The commands systemd would run for ExecStart= (what the reboot test replays). */
export function unitExecLines(unitText: string, key: "ExecStart" | "ExecStop"): string[] {
    return unitText
        .split("\n")
        .filter((l) => l.startsWith(`${key}=`))
        .map((l) => l.slice(key.length + 1));
}

// ---------------------------------------------------------------------------------------------
// 4. octavia.conf

export interface OctaviaConfScriptParams {
    configFile: string;
    restartCommand: string;
    settings: OctaviaSetting[];
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
    const lib = [PRELUDE, octaviaConfVars(configFile, p.restartCommand, p.settings), octaviaMergeFunction(), OCTAVIA_CONF_FUNCTIONS].join("\n\n");
    const converge = asRoot("octavia.conf", `${lib}\n\ntlb_octavia_conf_apply`);
    const remove = asRoot("octavia.conf delete", `${lib}\n\ntlb_octavia_conf_restore`);
    return { create: converge, update: converge, delete: remove };
}
