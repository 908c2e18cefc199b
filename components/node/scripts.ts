// Pure generators of the bash programs that ControllerNode hands to command.remote.Command.
//
// Everything here returns strings; nothing touches Pulumi or the network, so the host tests run
// exactly these strings over a real SSH connection and the unit tests snapshot them.
//
// How a command reaches the node: the provider asks sshd to run the string with the SSH user's
// login shell (`$SHELL -c <string>`). That shell may be dash and the user is usually not root
// (`ssh.user` defaults to "stack"), so `asRoot` wraps every script in a few POSIX lines that
// hand it to bash, through `sudo -n` unless already root, inside an overall `timeout`.
// Standard input passes through untouched: it is the one channel that carries a secret (the
// heartbeat key, see octaviaConf.ts), because a command's text shows up in `pulumi preview`,
// in the state file and in the provider's error messages.

import * as net from "net";
import * as ipaddr from "ipaddr.js";
import * as rules from "../rules";
import { assertValid } from "../rules";
import { OCTAVIA_CONF_MERGE_PROGRAM, OctaviaSetting, assertOsloValue } from "./octaviaConf";

/** The interface name Octavia's guide, devstack and kolla all use for the health-manager port. */
export const OHM0 = "o-hm0";

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
// Quoting and validation

/** POSIX single-quoting: the result is one shell word whose value is exactly `value`. */
export function shellQuote(value: string): string {
    if (value.includes("\0")) throw new Error("shellQuote: a NUL byte cannot be passed through a shell");
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

function fail(what: string, value: unknown, expected: string): never {
    throw new Error(`${what}: ${JSON.stringify(value)} is not ${expected}`);
}

// MACs and UUIDs come from Neutron, not from the configuration: these checks guard the scripts
// against a cloud's surprise. Configured values are held to the config's own rules (rules.ts).
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Lower-cases and checks a unicast Ethernet address as Neutron reports it (fa:16:3e:...). */
export function normalizeMac(mac: string): string {
    const m = String(mac).trim().toLowerCase();
    if (!MAC_RE.test(m)) fail("MAC address", mac, "six colon-separated hex octets");
    if (parseInt(m.slice(0, 2), 16) & 1) fail("MAC address", mac, "a unicast address (the first octet is odd)");
    if (m === "00:00:00:00:00:00") fail("MAC address", mac, "a usable address");
    return m;
}

export function normalizeUuid(what: string, id: string): string {
    const u = String(id).trim().toLowerCase();
    if (!UUID_RE.test(u)) fail(what, id, "a UUID");
    return u;
}

export function assertInterfaceName(what: string, name: string): string {
    return assertValid(what, name, rules.interfaceName);
}

export function assertPort(what: string, port: number): number {
    return assertValid(what, port, rules.port);
}

export function assertAbsolutePath(what: string, path: string): string {
    return assertValid(what, path, rules.configPath);
}

/** The address in the form `ip -o addr` prints it, so the scripts can compare strings. */
export function normalizeIp(what: string, ip: string): { address: string; family: 4 | 6 } {
    const s = String(ip).trim();
    const family = net.isIP(s);
    if (family === 0) fail(what, ip, "an IPv4 or IPv6 address");
    const address = ipaddr.parse(s).toString();
    return { address, family: family as 4 | 6 };
}

// ---------------------------------------------------------------------------------------------
// Script assembly

/**
 * Tag for embedded bash: the raw text, where the source writes `$\{` for bash's `$` + `{` (which a
 * template literal would otherwise take for an interpolation). Interpolation itself is refused: values
 * enter scripts only through `assignments`, quoted.
 */
function bash(strings: TemplateStringsArray, ...values: never[]): string {
    if (values.length > 0) throw new Error("bash`...` takes no interpolations");
    return strings.raw.join("").replace(/\$\\\{/g, "$" + "{");
}


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
function assignments(vars: Record<string, string | number>): string {
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

const PRELUDE = bash`set -euo pipefail
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022
tlb_fail() { printf 'tricircle-lbaas: error: %s\n' "$*" >&2; exit 1; }
tlb_note() { printf 'tricircle-lbaas: %s\n' "$*" >&2; }
tlb_host() { hostname 2>/dev/null || echo this-host; }
tlb_need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || tlb_fail "$tool is not installed on $(tlb_host)"
  done
}
# tlb_install_file MODE PATH <content: writes only when content or mode differ, so a re-run
# leaves the file (and its mtime) alone; the rename keeps readers from seeing half a file.
tlb_install_file() {
  local mode=$1 path=$2 tmp
  mkdir -p -- "$(dirname -- "$path")"
  tmp=$(mktemp "$path.tlb-tmp.XXXXXX")
  cat >"$tmp"
  if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s -- "$tmp" "$path" && [ "$(stat -c %a -- "$path")" = "$mode" ]; then
    rm -f -- "$tmp"
    return 0
  fi
  chmod "$mode" -- "$tmp"
  mv -f -- "$tmp" "$path"
  tlb_note "wrote $path"
}
tlb_remove_file() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -f -- "$1"
    tlb_note "removed $1"
  fi
}
tlb_rmdir_if_empty() {
  if [ -d "$1" ] && rmdir -- "$1" 2>/dev/null; then tlb_note "removed $1"; fi
  return 0
}`;

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

interface OHm0Checked {
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

/** dhclient.conf for o-hm0: only the address, never routers or DNS, bounded in time. */
export function dhclientConfText(): string {
    return [
        "# Written by tricircle-lbaas for o-hm0, Octavia's health-manager port.",
        "# Only the address is wanted: no routers (the controller keeps its default route), no DNS.",
        `timeout ${LIMITS.dhcpSeconds};`,
        "retry 30;",
        "initial-interval 1;",
        "backoff-cutoff 2;",
        "request subnet-mask, broadcast-address, interface-mtu;",
        "do-forward-updates false;",
        "",
    ].join("\n");
}

/**
 * dhclient's `-sf` script for o-hm0. The distribution's dhclient-script would also apply any
 * router or DNS option a server sends unasked (and run every hook under /etc/dhcp); this one
 * applies the address and MTU and nothing else.
 */
export function dhclientScriptText(): string {
    return bash`#!/bin/bash
# Written by tricircle-lbaas: applies the address and MTU that DHCP gives o-hm0, nothing else.
set -u
prefix_of() {
  local mask=$1 bits=0 octet IFS=.
  for octet in $mask; do
    case $octet in
      255) bits=$((bits + 8)) ;; 254) bits=$((bits + 7)) ;; 252) bits=$((bits + 6)) ;;
      248) bits=$((bits + 5)) ;; 240) bits=$((bits + 4)) ;; 224) bits=$((bits + 3)) ;;
      192) bits=$((bits + 2)) ;; 128) bits=$((bits + 1)) ;;
    esac
  done
  echo "$bits"
}
case "$\{reason:-}" in
  PREINIT)
    ip link set dev "$interface" up
    ;;
  BOUND | RENEW | REBIND | REBOOT)
    if [ -n "$\{old_ip_address:-}" ] && [ "$old_ip_address" != "$\{new_ip_address:-}" ]; then
      ip addr del "$old_ip_address/$(prefix_of "$\{old_subnet_mask:-255.255.255.255}")" dev "$interface" 2>/dev/null
    fi
    if [ -n "$\{new_broadcast_address:-}" ]; then
      ip addr replace "$new_ip_address/$(prefix_of "$new_subnet_mask")" broadcast "$new_broadcast_address" dev "$interface"
    else
      ip addr replace "$new_ip_address/$(prefix_of "$new_subnet_mask")" dev "$interface"
    fi
    case "$\{new_interface_mtu:-}" in
      '' | *[!0-9]*) ;;
      *) [ "$new_interface_mtu" -ge 576 ] && ip link set dev "$interface" mtu "$new_interface_mtu" ;;
    esac
    ;;
  EXPIRE | FAIL | RELEASE | STOP)
    if [ -n "$\{old_ip_address:-}" ]; then
      ip addr del "$old_ip_address/$(prefix_of "$\{old_subnet_mask:-255.255.255.255}")" dev "$interface" 2>/dev/null
    fi
    ;;
esac
exit 0
`;
}

function ohm0Vars(c: OHm0Checked, ovsWaitSeconds: number): string {
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

// Bash functions for o-hm0; they read only the TLB_* variables assigned above them.
const OHM0_FUNCTIONS = bash`tlb_ovs() { ovs-vsctl --timeout="$TLB_OVS_TIMEOUT" "$@"; }

# Both daemons must answer: ovsdb-server for the port row, ovs-vswitchd to create the device.
tlb_ovs_ready() {
  local deadline=$((SECONDS + TLB_OVS_WAIT)) problem
  while :; do
    if ! problem=$(ovs-vsctl --timeout=5 show 2>&1 >/dev/null); then
      problem="ovsdb-server does not answer ($\{problem:-no message})"
    elif ! problem=$(ovs-appctl --timeout=5 -t ovs-vswitchd version 2>&1 >/dev/null); then
      problem="ovs-vswitchd does not answer ($\{problem:-no message})"
    else
      problem=""
    fi
    [ -z "$problem" ] && break
    [ "$SECONDS" -ge "$deadline" ] && tlb_fail "Open vSwitch is not running on $(tlb_host): $problem"
    sleep 1
  done
  ovs-vsctl --timeout=5 br-exists "$TLB_BRIDGE" ||
    tlb_fail "Open vSwitch bridge $TLB_BRIDGE does not exist on $(tlb_host) (ovsBridge in the stack configuration)"
}

tlb_check_hostname() {
  local short full
  [ -n "$TLB_HOSTNAME" ] || return 0
  short=$(hostname -s 2>/dev/null || true)
  full=$(hostname -f 2>/dev/null || true)
  if [ "$TLB_HOSTNAME" != "$short" ] && [ "$TLB_HOSTNAME" != "$full" ] && [ "$TLB_HOSTNAME" != "$(tlb_host)" ]; then
    tlb_note "warning: the port is bound to host '$TLB_HOSTNAME' but this host calls itself '$(tlb_host)'; unless the Neutron agent here sets host=$TLB_HOSTNAME, the port will not be wired"
  fi
}

# A second device with the port's MAC on the same L2 breaks both; refuse before changing anything.
tlb_check_mac_unused() {
  local links name
  links=$(ip -o link show)
  while read -r name; do
    if [ -n "$name" ] && [ "$name" != o-hm0 ]; then
      tlb_fail "MAC $TLB_MAC of Neutron port $TLB_PORT_ID is already used by interface $name on $(tlb_host); refusing to create o-hm0 with the same address"
    fi
  done < <(awk -v mac="$TLB_MAC" '{
      for (i = 1; i < NF; i++) if ($i == "link/ether" && tolower($(i + 1)) == mac) {
        n = $2; sub(/:$/, "", n); sub(/@.*/, "", n); print n
      }
    }' <<<"$links")
  while read -r name; do
    if [ -n "$name" ] && [ "$name" != o-hm0 ]; then
      tlb_fail "MAC $TLB_MAC of Neutron port $TLB_PORT_ID is already claimed by Open vSwitch interface $name (external_ids:attached-mac) on $(tlb_host)"
    fi
  done < <(tlb_ovs --bare --columns=name find Interface "external_ids:attached-mac=\"$TLB_MAC\"")
  return 0
}

tlb_ovs_get() {
  local v
  v=$(tlb_ovs --if-exists get Interface o-hm0 "$1" 2>/dev/null) || v=""
  v=$\{v#\"}
  printf '%s' "$\{v%\"}"
}

# The guide's ovs-vsctl line, plus the OVS "mac" column so ovs-vswitchd itself gives a
# recreated device the port's MAC. Skipped when the row already says all of it.
tlb_ohm0_port() {
  local current kv needed=0
  current=$(tlb_ovs port-to-br o-hm0 2>/dev/null) || current=""
  if [ -n "$current" ] && [ "$current" != "$TLB_BRIDGE" ]; then
    tlb_fail "o-hm0 already exists on bridge $current, not $TLB_BRIDGE; remove it (ovs-vsctl del-port $current o-hm0) or set ovsBridge to $current"
  fi
  [ -n "$current" ] || needed=1
  for kv in "type=internal" "mac=$TLB_MAC" "external_ids:iface-status=active" "external_ids:attached-mac=$TLB_MAC" \
    "external_ids:iface-id=$TLB_PORT_ID" "external_ids:skip_cleanup=true"; do
    [ "$needed" = 1 ] && break
    [ "$(tlb_ovs_get "$\{kv%%=*}")" = "$\{kv#*=}" ] || needed=1
  done
  [ "$needed" = 1 ] || return 0
  tlb_ovs -- --may-exist add-port "$TLB_BRIDGE" o-hm0 -- set Interface o-hm0 type=internal \
    "mac=\"$TLB_MAC\"" external_ids:iface-status=active "external_ids:attached-mac=\"$TLB_MAC\"" \
    "external_ids:iface-id=\"$TLB_PORT_ID\"" external_ids:skip_cleanup=true
  tlb_note "o-hm0 is a port of $TLB_BRIDGE for Neutron port $TLB_PORT_ID"
}

tlb_ohm0_link() {
  local deadline=$((SECONDS + TLB_LINK_WAIT)) mac flags
  until [ -e /sys/class/net/o-hm0 ]; do
    [ "$SECONDS" -ge "$deadline" ] &&
      tlb_fail "o-hm0 did not appear within $\{TLB_LINK_WAIT}s of adding it to $TLB_BRIDGE; see ovs-vswitchd's log on $(tlb_host)"
    sleep 0.2
  done
  mac=$(cat /sys/class/net/o-hm0/address)
  if [ "$mac" != "$TLB_MAC" ]; then
    ip link set dev o-hm0 address "$TLB_MAC"
    TLB_MAC_CHANGED=1
    tlb_note "o-hm0 MAC set to $TLB_MAC (was $mac)"
  fi
  # Router advertisements on the management network must not give the controller a route.
  if [ -w /proc/sys/net/ipv6/conf/o-hm0/accept_ra ] && [ "$(cat /proc/sys/net/ipv6/conf/o-hm0/accept_ra)" != 0 ]; then
    echo 0 >/proc/sys/net/ipv6/conf/o-hm0/accept_ra
  fi
  flags=$(ip -o link show dev o-hm0)
  case $flags in
    *"<UP,"* | *",UP,"* | *",UP>"* | *"<UP>"*) ;;
    *) ip link set dev o-hm0 up ;;
  esac
}

tlb_global_addresses() { ip -o addr show dev o-hm0 scope global | awk '{ print $4 }' | sort; }

# o-hm0 carries the port's address only: an address someone else put there would make the health
# manager bind or answer from the wrong one.
tlb_ohm0_drop_foreign_addresses() {
  local want=$1 address
  for address in $(tlb_global_addresses); do
    [ "$address" = "$want" ] && continue
    ip addr del "$address" dev o-hm0
    tlb_note "removed $address from o-hm0"
  done
}

tlb_ohm0_static() {
  local want="$TLB_ADDRESS/$TLB_PREFIX"
  tlb_ohm0_drop_foreign_addresses "$want"
  [ "$(tlb_global_addresses)" = "$want" ] && return 0
  if [ "$TLB_FAMILY" = 6 ]; then
    ip -6 addr add "$want" dev o-hm0 nodad
  else
    ip addr add "$want" dev o-hm0
  fi
  tlb_note "o-hm0 has $want"
}

tlb_dhclient_running() {
  local pid cmdline
  [ -s "$TLB_DHCLIENT_PID" ] || return 1
  pid=$(cat "$TLB_DHCLIENT_PID")
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *dhclient*"$TLB_DHCLIENT_PID"* ]]
}

tlb_dhclient_stop() {
  local pid deadline=$((SECONDS + 10))
  tlb_dhclient_running || return 0
  pid=$(cat "$TLB_DHCLIENT_PID")
  kill "$pid" 2>/dev/null || true
  while [ -d "/proc/$pid" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -f -- "$TLB_DHCLIENT_PID"
  return 0
}

tlb_ohm0_dhcp() {
  local want="$TLB_ADDRESS/$TLB_PREFIX"
  mkdir -p -- "$TLB_CONFIG_DIR" "$TLB_STATE_DIR" "$TLB_RUN_DIR"
  tlb_write_dhclient_files
  if tlb_dhclient_running && [ "$\{TLB_MAC_CHANGED:-0}" = 0 ] && [ "$(tlb_global_addresses)" = "$want" ]; then
    return 0
  fi
  tlb_dhclient_stop
  tlb_ohm0_drop_foreign_addresses "$want"
  : >"$TLB_DHCLIENT_LOG"
  # -1: one attempt, bounded by "timeout" in the config; dhclient daemonizes once it holds a lease.
  if ! timeout -k 5 $((TLB_DHCP_WAIT + 10)) dhclient -1 -v -cf "$TLB_DHCLIENT_CONF" -sf "$TLB_DHCLIENT_SCRIPT" \
    -lf "$TLB_DHCLIENT_LEASE" -pf "$TLB_DHCLIENT_PID" o-hm0 </dev/null >>"$TLB_DHCLIENT_LOG" 2>&1; then
    tlb_fail "o-hm0 got no DHCP lease within $\{TLB_DHCP_WAIT}s (MAC $TLB_MAC): is Neutron's DHCP agent serving the management subnet, and is port $TLB_PORT_ID bound to $(tlb_host)? dhclient: $(tail -n 4 "$TLB_DHCLIENT_LOG" | tr '\n' ' ')"
  fi
  tlb_note "o-hm0 leased an address by DHCP"
}

tlb_ohm0_address() {
  if [ "$TLB_ADDRESSING" = dhcp ]; then tlb_ohm0_dhcp; else tlb_ohm0_static; fi
}

# The promise of this concern: o-hm0 carries exactly the Neutron port's MAC and address, and no
# default route. The last line is what ControllerNode reads back as its ip and mac outputs.
tlb_ohm0_verify() {
  local deadline=$((SECONDS + TLB_VERIFY_WAIT)) mac addresses details routes
  while :; do
    mac=$(cat /sys/class/net/o-hm0/address 2>/dev/null) || mac=missing
    addresses=$(tlb_global_addresses | tr '\n' ' ') || addresses=""
    addresses=$\{addresses% }
    # Only the port's own address must be past duplicate address detection; the link-local one may lag.
    details=$(ip -o addr show dev o-hm0 scope global 2>/dev/null) || details=""
    if [ "$mac" = "$TLB_MAC" ] && [ "$addresses" = "$TLB_ADDRESS/$TLB_PREFIX" ] && [[ $details != *tentative* ]]; then
      break
    fi
    [ "$SECONDS" -ge "$deadline" ] &&
      tlb_fail "o-hm0 on $(tlb_host) does not match Neutron port $TLB_PORT_ID: o-hm0 has MAC $mac and address(es) '$\{addresses:-none}', the port has MAC $TLB_MAC and $TLB_ADDRESS/$TLB_PREFIX"
    sleep 0.5
  done
  routes="$(ip -4 route show default dev o-hm0 2>/dev/null)$(ip -6 route show default dev o-hm0 2>/dev/null)"
  [ -z "$routes" ] || tlb_fail "a default route points at o-hm0 on $(tlb_host) ($routes); something other than this stack configures o-hm0 (NetworkManager?)"
  printf 'OHM0 ip=%s prefix=%s mac=%s\n' "$\{addresses%/*}" "$\{addresses#*/}" "$mac"
}

tlb_ohm0_up() {
  tlb_need ovs-vsctl ovs-appctl ip awk
  [ "$TLB_ADDRESSING" = dhcp ] && tlb_need dhclient
  tlb_ovs_ready
  tlb_check_hostname
  tlb_check_mac_unused
  tlb_ohm0_port
  tlb_ohm0_link
  tlb_ohm0_address
  tlb_ohm0_verify
}

# What the unit's ExecStop does: give the address back, keep the port.
tlb_ohm0_release() {
  if [ "$TLB_ADDRESSING" = dhcp ]; then
    if tlb_dhclient_running; then
      timeout -k 5 15 dhclient -r -cf "$TLB_DHCLIENT_CONF" -sf "$TLB_DHCLIENT_SCRIPT" -lf "$TLB_DHCLIENT_LEASE" \
        -pf "$TLB_DHCLIENT_PID" o-hm0 </dev/null >>"$TLB_DHCLIENT_LOG" 2>&1 || true
      tlb_dhclient_stop
    fi
  fi
  if [ -e /sys/class/net/o-hm0 ]; then
    local address
    for address in $(tlb_global_addresses); do ip addr del "$address" dev o-hm0; done
  fi
  return 0
}

tlb_ohm0_remove() {
  local current
  tlb_ohm0_release
  rm -f -- "$TLB_DHCLIENT_PID" "$TLB_DHCLIENT_LOG"
  tlb_remove_file "$TLB_DHCLIENT_LEASE"
  tlb_remove_file "$TLB_DHCLIENT_CONF"
  tlb_remove_file "$TLB_DHCLIENT_SCRIPT"
  if ! command -v ovs-vsctl >/dev/null 2>&1; then
    tlb_note "ovs-vsctl is not installed; no o-hm0 port to remove"
  else
    tlb_ovs_ready
    current=$(tlb_ovs port-to-br o-hm0 2>/dev/null) || current=""
    if [ "$current" = "$TLB_BRIDGE" ]; then
      tlb_ovs del-port "$TLB_BRIDGE" o-hm0
      tlb_note "removed o-hm0 from $TLB_BRIDGE"
    elif [ -n "$current" ]; then
      tlb_note "o-hm0 is on bridge $current, not $TLB_BRIDGE; left alone"
    fi
  fi
  tlb_rmdir_if_empty "$TLB_RUN_DIR"
  tlb_rmdir_if_empty "$TLB_STATE_DIR"
  tlb_rmdir_if_empty "$TLB_CONFIG_DIR"
}`;

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

function firewallVars(healthManagerPort: number): string {
    return assignments({
        TLB_HM_PORT: assertPort("healthManager.port", healthManagerPort),
        TLB_FW_COMMENT: FIREWALL_COMMENT,
        TLB_FW_WAIT: LIMITS.iptablesWaitSeconds,
    });
}

// Our rules carry a comment, so a re-run recognises them (and an old port's rule) without
// touching a rule an operator inserted by hand following the guide.
const FIREWALL_FUNCTIONS = bash`tlb_fw_tables() {
  command -v iptables >/dev/null 2>&1 || tlb_fail "iptables is not installed on $(tlb_host)"
  echo iptables
  if command -v ip6tables >/dev/null 2>&1; then echo ip6tables; else tlb_note "ip6tables is not installed; no IPv6 rule"; fi
}

tlb_fw_our_rules() { "$1" -w "$TLB_FW_WAIT" -S INPUT | awk -v c="--comment $TLB_FW_COMMENT " 'index($0 " ", c) && / -i o-hm0 /'; }

tlb_fw_delete_rule() {
  local table=$1 spec=$2
  local -a words
  read -r -a words <<<"$\{spec#-A }"
  "$table" -w "$TLB_FW_WAIT" -D "$\{words[@]}"
}

tlb_firewall_up() {
  local table rule
  for table in $(tlb_fw_tables); do
    while read -r rule; do
      [ -n "$rule" ] || continue
      case " $rule " in *" --dport $TLB_HM_PORT "*) continue ;; esac
      tlb_fw_delete_rule "$table" "$rule"
      tlb_note "$table: removed our earlier rule '$rule'"
    done < <(tlb_fw_our_rules "$table")
    if ! "$table" -w "$TLB_FW_WAIT" -C INPUT -i o-hm0 -p udp --dport "$TLB_HM_PORT" -m comment --comment "$TLB_FW_COMMENT" -j ACCEPT 2>/dev/null; then
      "$table" -w "$TLB_FW_WAIT" -I INPUT -i o-hm0 -p udp --dport "$TLB_HM_PORT" -m comment --comment "$TLB_FW_COMMENT" -j ACCEPT
      tlb_note "$table: accepting UDP $TLB_HM_PORT (Octavia heartbeats) on o-hm0"
    fi
  done
}

tlb_firewall_down() {
  local table rule
  for table in $(tlb_fw_tables); do
    while read -r rule; do
      [ -n "$rule" ] || continue
      tlb_fw_delete_rule "$table" "$rule"
      tlb_note "$table: removed '$rule'"
    done < <(tlb_fw_our_rules "$table")
  done
}`;

/** iptables and ip6tables: accept the health-manager UDP port on o-hm0, exactly once. */
export function firewallScripts(healthManagerPort: number): RemoteScripts {
    const lib = [PRELUDE, firewallVars(healthManagerPort), FIREWALL_FUNCTIONS].join("\n\n");
    const converge = asRoot("firewall", `${lib}\n\ntlb_firewall_up`);
    return { create: converge, update: converge, delete: asRoot("firewall delete", `${lib}\n\ntlb_firewall_down`) };
}

// ---------------------------------------------------------------------------------------------
// 3. Reboot persistence

export interface PersistenceParams {
    ohm0: OHm0Params;
    healthManagerPort: number;
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
        firewallVars(p.healthManagerPort),
        FIREWALL_FUNCTIONS,
        bash`case "$\{1:-}" in
  up) tlb_ohm0_up; tlb_firewall_up ;;
  down) tlb_firewall_down; tlb_ohm0_release ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac`,
        "",
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
    return [
        "# Written by tricircle-lbaas: restores o-hm0, the Octavia health-manager port, at boot.",
        "[Unit]",
        "Description=tricircle-lbaas: Octavia health-manager interface o-hm0 (MAC, address, firewall)",
        "Wants=network-pre.target openvswitch-switch.service openvswitch.service",
        "After=network-pre.target openvswitch-switch.service openvswitch.service",
        "PartOf=openvswitch-switch.service openvswitch.service",
        "Before=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=${NODE_PATHS.helper} up`,
        `ExecStop=${NODE_PATHS.helper} down`,
        `TimeoutStartSec=${LIMITS.bootOvsWaitSeconds + LIMITS.linkSeconds + LIMITS.dhcpSeconds + 60}`,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

const PERSISTENCE_SYSTEMD_UP = bash`if command -v systemctl >/dev/null 2>&1; then
  # daemon-reload needs a running systemd; enable also works offline (it only makes symlinks).
  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
  if ! systemctl is-enabled --quiet "$TLB_UNIT_NAME" 2>/dev/null; then
    systemctl enable "$TLB_UNIT_NAME"
  fi
else
  tlb_note "systemctl not found on $(tlb_host): $TLB_UNIT_FILE is written but nothing runs '$TLB_HELPER up' at boot"
fi`;

const PERSISTENCE_SYSTEMD_DOWN = bash`if command -v systemctl >/dev/null 2>&1 && [ -e "$TLB_UNIT_FILE" ]; then
  # No stop: ExecStop would take the address off o-hm0, which the o-hm0 resource still owns.
  if systemctl is-enabled --quiet "$TLB_UNIT_NAME" 2>/dev/null; then systemctl disable "$TLB_UNIT_NAME"; fi
fi
tlb_remove_file "$TLB_UNIT_FILE"
tlb_remove_file "$TLB_HELPER"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi`;

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
            PERSISTENCE_SYSTEMD_UP,
        ].join("\n\n"),
    );
    const remove = asRoot("persistence delete", [PRELUDE, vars, PERSISTENCE_SYSTEMD_DOWN].join("\n\n"));
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

const OCTAVIA_RESTART = bash`tlb_restart_octavia_if_pending() {
  local rc=0
  if [ ! -e "$TLB_PENDING" ]; then
    tlb_note "$TLB_CONF unchanged; Octavia not restarted"
    return 0
  fi
  tlb_note "restarting Octavia: $TLB_RESTART"
  timeout -k 10 "$TLB_RESTART_WAIT" bash -c "$TLB_RESTART" </dev/null || rc=$?
  if [ "$rc" != 0 ]; then
    tlb_fail "the Octavia restart command failed (exit $rc): $TLB_RESTART -- $TLB_CONF already has the new values; the restart is retried on the next run"
  fi
  rm -f -- "$TLB_PENDING"
}`;

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
    const state = octaviaStateFile(configFile);
    const vars = assignments({
        TLB_CONF: configFile,
        TLB_STATE: state,
        TLB_PENDING: `${state}.restart-pending`,
        TLB_BACKUP: octaviaBackupFile(configFile),
        TLB_STATE_DIR: NODE_PATHS.stateDir,
        TLB_SETTINGS: JSON.stringify(p.settings),
        TLB_RESTART: p.restartCommand,
        TLB_RESTART_WAIT: LIMITS.restartSeconds,
    });
    const merge = (action: "apply" | "restore") =>
        `python3 /dev/fd/3 ${action} "$TLB_CONF" "$TLB_STATE" "$TLB_BACKUP" "$TLB_PENDING" "$TLB_SETTINGS" 3<<'TLB_PY_EOF'\n${OCTAVIA_CONF_MERGE_PROGRAM}TLB_PY_EOF`;
    if (OCTAVIA_CONF_MERGE_PROGRAM.split("\n").includes("TLB_PY_EOF")) throw new Error("merge program contains its delimiter");
    const common = [PRELUDE, vars, OCTAVIA_RESTART, "tlb_need python3", `mkdir -p -m 0700 -- "$TLB_STATE_DIR"`];
    const converge = asRoot(
        "octavia.conf",
        [
            ...common,
            `[ -f "$TLB_CONF" ] || tlb_fail "$TLB_CONF does not exist on $(tlb_host): is Octavia installed there? (octavia.configFile)"`,
            merge("apply"),
            "tlb_restart_octavia_if_pending",
            `echo "OCTAVIA_CONF ok"`,
        ].join("\n\n"),
    );
    const remove = asRoot(
        "octavia.conf delete",
        [...common, merge("restore"), "tlb_restart_octavia_if_pending", `tlb_rmdir_if_empty "$TLB_STATE_DIR"`].join("\n\n"),
    );
    return { create: converge, update: converge, delete: remove };
}
