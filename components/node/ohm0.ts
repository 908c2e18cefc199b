// o-hm0 (guide step 3): an OVS internal port on the controller's bridge that carries the health-manager port's
// identity (iface-id, MAC) and its address, statically or by a DHCP client that takes only the address.
import * as rules from "../config/rules";
import { assertValid } from "../config/rules";
import { nodeAsset } from "./assets";
import { adoptAssignment, assignments, fileFromHeredoc, LIMITS, NODE_PATHS, shellProgram } from "./remote";
import { joinPieces, Packed, packed, plainText } from "./scriptPieces";
import { assertInterfaceName, fail, normalizeIp, normalizeMac, normalizeUuid } from "./values";

// Read once, at module load (see assets.ts).
export const OHM0_FUNCTIONS = shellProgram("ohm0.sh");
const DHCLIENT_CONF = nodeAsset("dhclient-o-hm0.conf");
const DHCLIENT_SCRIPT = nodeAsset("dhclient-script.sh");

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
    /**
     * Take over an o-hm0 made by hand that already carries exactly this port (`tricircle-lbaas:adopt`): it is used as
     * found (no link flap, no address change, an operator's dhclient left running) and left in place by the delete.
     * Without it such an o-hm0 is refused. An o-hm0 carrying another port is refused either way.
     */
    adopt: boolean;
    /**
     * The stack that configures the node, `<project>/<stack>`. A node serves one stack: a second stack naming the
     * same host would move o-hm0 to its own port and rewrite octavia.conf under the first, so the o-hm0 create and
     * delete refuse a node that another stack serves (NODE_PATHS.owner), before they change anything.
     */
    owner: string;
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
    adopt: boolean;
    owner: string;
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
        adopt: p.adopt,
        owner: assertValid("owner (the stack)", p.owner, rules.stackIdentity),
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
    return `${adoptAssignment(c.adopt)}\n${assignments({
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
        TLB_OHM0_ORIGIN: NODE_PATHS.ohm0Origin,
        TLB_FW_FOUND: NODE_PATHS.firewallFound,
        TLB_OWNER: c.owner,
        TLB_OWNER_FILE: NODE_PATHS.owner,
    })}`;
}

// A fixed function: the two files it writes are the same on every node.
const DHCLIENT_FILES_FUNCTION = packed(
    "dhclient-o-hm0.conf+dhclient-script.sh",
    plainText(
        joinPieces(
            [
                "tlb_write_dhclient_files() {",
                fileFromHeredoc("644", "TLB_DHCLIENT_CONF", "TLB_DHCLIENT_CONF_EOF", dhclientConfText()),
                fileFromHeredoc("755", "TLB_DHCLIENT_SCRIPT", "TLB_DHCLIENT_SCRIPT_EOF", dhclientScriptText()),
                "}",
            ],
            "\n",
        ),
    ),
);

/** The programs of o-hm0 (after the prelude): its functions and the dhclient files' writer. */
export const OHM0_PROGRAMS: readonly Packed[] = [OHM0_FUNCTIONS, DHCLIENT_FILES_FUNCTION];

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

