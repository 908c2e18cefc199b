// The rules every configured value must satisfy, one definition each.
//
// The config schema (config.ts) refines with these functions, and the code that turns values into
// resources and node scripts (node/controllerNode.ts and the generators of components/node/) asserts with
// the very same functions. So whatever `pulumi preview` lets through, the generators accept, and a
// value the generators would refuse is refused by the config check, before anything is registered:
// a rule of its own in a generator would only ever surface half-way through a `pulumi up`.
//
// A rule returns undefined for a valid value, or what was expected. The text never quotes the value:
// config errors put the key path in front of it, generator errors the value too unless it is secret.
// Everything here is pure (no Pulumi, no I/O).

import { OHM0 } from "./names";
import { RELEASE_RE } from "../amphora/agentRelease";
import * as net from "net";
import * as ipaddr from "ipaddr.js";

export type Rule<T = string> = (value: T) => string | undefined;

/** Runs rules in order; the first complaint wins. */
export function all<T>(...rules: Rule<T>[]): Rule<T> {
    return (value) => {
        for (const rule of rules) {
            const problem = rule(value);
            if (problem !== undefined) return problem;
        }
        return undefined;
    };
}

export class RuleError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RuleError";
    }
}

/**
 * The generators' side of a rule: throws `what: <value> <problem>`. A secret value is never shown.
 * Quoting (shellQuote) is what protects the shell; this only keeps the generators to the config's rules.
 */
export function assertValid<T>(what: string, value: T, rule: Rule<T>, options: { secret?: boolean } = {}): T {
    const problem = typeof value === "string" || typeof value === "number" ? rule(value) : "must be a string or a number";
    if (problem !== undefined) {
        throw new RuleError(`${what}: ${options.secret ? "the (secret) value" : JSON.stringify(value)} ${problem}`);
    }
    return value;
}

// ---------------------------------------------------------------------------------------------
// Text

/**
 * One line: CR or LF would start a new INI line in octavia.conf, and NUL cannot pass through a
 * shell word or an exec argument.
 */
export const oneLine: Rule = (v) => (/[\r\n\0]/.test(v) ? "must be a single line (no line break, no NUL)" : undefined);

export const notBlank: Rule = (v) => (v.trim() === "" ? "must not be empty" : undefined);

/** Free text that reaches a node: the heartbeat key, the restart command. Outer blanks are kept (and quoted). */
export const singleLineText: Rule = all(notBlank, oneLine);

/** An Octavia release number as its tags spell it (`15.1.0`). */
export const octaviaRelease: Rule = (v) => (RELEASE_RE.test(v) ? undefined : "must be an Octavia release number such as 15.1.0");

/** Glance tags: at most 255 characters (its schema), one line; Octavia matches the tag exactly. */
export const imageTag: Rule = (v) => singleLineText(v) ?? (v.length > 255 ? "must be at most 255 characters (Glance's limit)" : undefined);

/**
 * Octavia's passphrases (`ca_private_key_passphrase`, `server_certs_key_passphrase`) are Fernet-shaped: 32
 * characters of the URL-safe base64 alphabet, since Octavia base64-encodes `server_certs_key_passphrase` into a
 * Fernet key, which needs exactly 32 bytes. Never quoted in a message: it is a secret.
 */
export const fernetPassphrase: Rule = (v) => (/^[A-Za-z0-9_=-]{32}$/.test(v) ? undefined : "must be 32 characters of A-Z a-z 0-9 - _ = (Octavia's Fernet-shaped passphrase)");

/** C0 controls and DEL; `tab` says whether a tab counts (it does in paths, not in free text). */
function hasControl(v: string, tab = false): boolean {
    for (const ch of v) {
        const code = ch.charCodeAt(0);
        if ((code < 0x20 && (tab || code !== 0x09)) || code === 0x7f) return true;
    }
    return false;
}

/**
 * An OpenStack name (region, group, network, image, ...): Keystone and Neutron keep at most 255
 * characters. Outer blanks are refused rather than trimmed: Neutron and Keystone keep them, so a
 * trimmed value would name something else than what the operator wrote.
 */
export function openstackName(maxLength = 255): Rule {
    return all(notBlank, oneLine, (v) => {
        // Other control characters would make the value unreadable in a diff or a log, never anything useful.
        if (hasControl(v)) return "must not contain control characters";
        if (v !== v.trim()) return "must not start or end with a blank";
        if (v.length > maxLength) return `must be at most ${maxLength} characters (it has ${v.length})`;
        return undefined;
    });
}

/**
 * A name the stack also puts into resource names (regions, the demo's networks, backends and load balancers).
 * The Node SDK splits URNs at `::` in several places, so a name holding one would be cut short there.
 */
export function urnSafeName(maxLength = 255): Rule {
    return all(openstackName(maxLength), (v) => (v.includes("::") ? "must not contain :: (it separates the parts of a Pulumi URN, and resource names are made of it)" : undefined));
}

/** Region ids: Keystone's `region.id` is at most 255 characters; they land in URNs, port names and octavia.conf. */
export const regionName: Rule = urnSafeName(255);

/** A stack's identity on a node, `<project>/<stack>`: what Pulumi allows in both names (letters, digits, - _ .). */
export const stackIdentity: Rule = (v) => (/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/.test(v) ? undefined : "must be <project>/<stack> (letters, digits, - _ .)");

// ---------------------------------------------------------------------------------------------
// Numbers

export function integerIn(min: number, max: number): Rule<number> {
    return (v) => (Number.isInteger(v) && v >= min && v <= max ? undefined : `must be an integer ${min}..${max}`);
}

export const port: Rule<number> = integerIn(1, 65535);

// ---------------------------------------------------------------------------------------------
// Hosts and users

const IPV6_ZONE = /%/;

/** IPv4 in dotted decimal only: `010.0.0.1` or `10.1` are octal or short forms that tools read differently. */
export function isIpv4(v: string): boolean {
    return net.isIPv4(v);
}

/** IPv6 without a zone (`%eth0`): a zone names an interface of the deployer, not an address of the node. */
export function isIpv6(v: string): boolean {
    return net.isIPv6(v) && !IPV6_ZONE.test(v);
}

function labels(v: string, label: { re: RegExp; text: string }): string | undefined {
    if (v.length > 253) return `must be at most 253 characters (it has ${v.length})`;
    if (v.endsWith(".")) return "must not end with a dot";
    const parts = v.split(".");
    if (parts.some((p) => p === "")) return "must not have an empty label (.. or a leading dot)";
    if (parts.some((p) => !label.re.test(p))) return `has a label that is not ${label.text}, or starts or ends with -`;
    // As oslo.config: an all-digit last label would make a mistyped IPv4 address look like a name.
    if (/^[0-9]+$/.test(parts[parts.length - 1])) return "must not end in an all-digit label (a mistyped IPv4 address?)";
    return undefined;
}

const DNS_LABEL = { re: /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/, text: "1-63 of A-Z a-z 0-9 -" };
const HOST_DOMAIN_LABEL = { re: /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/, text: "1-63 of A-Z a-z 0-9 _ -" };

/** An RFC 1123 host name (letters, digits, hyphens; labels of 1..63; at most 253), no trailing dot. */
export const dnsName: Rule = (v) => {
    const problem = labels(v, DNS_LABEL);
    return problem === undefined ? undefined : `is not a DNS name: ${problem}`;
};

/** `controllers[].host`: where SSH connects. */
export const sshHost: Rule = (v) => {
    if (v === "") return "must not be empty";
    if (isIpv4(v) || isIpv6(v)) return undefined;
    if (net.isIPv6(v)) return "must be an IPv6 address without a zone (%...)";
    if (/^[0-9.]+$/.test(v)) return "must be an IPv4 address in dotted decimal (a.b.c.d, no leading zeros)";
    return dnsName(v) === undefined ? undefined : "must be an IPv4 or IPv6 address or a DNS name (letters, digits, -, labels of 1..63)";
};

/** One spelling per node, so that `FD00:0::1`/`fd00::1` or `Ctl1`/`ctl1` count as the same host. */
export function hostIdentity(host: string): string {
    if (isIpv4(host) || isIpv6(host)) return ipaddr.parse(host).toString();
    return host.toLowerCase();
}

/**
 * `controllers[].hostname`, Neutron's `binding:host_id`. Neutron takes any string there, but the port is
 * only wired when it equals the `host` of the agent on the controller, and that option is an
 * oslo.config HostDomain (Nova's `host` too, since oslo.config bug 1892044): an IP address, or a name
 * whose labels may hold `_`. So `compute_1` is a legitimate agent host and is accepted; it reaches the
 * node only as a quoted shell word and as the JSON of an API call. IPv6 literals, which HostDomain
 * also takes, are refused: the host id is part of resource names, where `::` cannot go (urnSafeName).
 */
export const bindingHostId: Rule = (v) => {
    if (v === "") return "must not be empty";
    if (isIpv4(v)) return undefined;
    if (net.isIPv6(v)) return "must not be an IPv6 address: it is part of resource names, where :: cannot go (use the agent's host name)";
    const problem = labels(v, HOST_DOMAIN_LABEL);
    return problem === undefined ? undefined : `is not a Neutron agent host (an oslo.config host domain: letters, digits, _ and -): ${problem}`;
};

/** `ssh.user`, `controllers[].user`: a POSIX user name, so it can never be read as an ssh option. */
export const posixUser: Rule = (v) => {
    if (v.length === 0 || v.length > 32) return "must be a user name of 1..32 characters";
    if (!/^[a-z_][a-z0-9_-]*[$]?$/.test(v)) return "must be a POSIX user name (a-z or _ first, then a-z 0-9 _ -, optionally a final $)";
    return undefined;
};

// ---------------------------------------------------------------------------------------------
// Node-side names and paths


/**
 * `controllers[].ovsBridge`: OVS makes a Linux interface of the bridge's name, so the kernel's rules
 * apply (at most 15 bytes, not `.` or `..`); the character set is the one OVS tools accept unquoted.
 */
export const interfaceName: Rule = (v) => {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(v)) return "must be an interface name (1-15 of A-Z a-z 0-9 _ . -)";
    if (v === "." || v === "..") return "must not be . or ..";
    if (v === OHM0) return `must not be ${OHM0}, the port the stack adds to the bridge`;
    return undefined;
};

/**
 * What the state file name (`octavia-conf<path with / as _>.json.restart-pending`) and the merge
 * program's temporary files add to the config path must still fit a 255-byte file name.
 */
export const MAX_CONFIG_PATH_BYTES = 200;

/**
 * `octavia.configFile`: any absolute path of printable characters, spaces included (every script
 * quotes it); no `.`/`..`/empty component, so the stack's record of the file names exactly one file.
 */
export const configPath: Rule = (v) => {
    if (!v.startsWith("/")) return "must be an absolute path (starting with /)";
    if (hasControl(v, true)) return "must not contain control characters (line breaks, tabs, NUL)";
    if (v.endsWith("/")) return "must name a file, not a directory (no trailing /)";
    const parts = v.slice(1).split("/");
    if (parts.some((p) => p === "" || p === "." || p === "..")) return "must not contain empty, . or .. components";
    const bytes = Buffer.byteLength(v, "utf8");
    if (bytes > MAX_CONFIG_PATH_BYTES) return `must be at most ${MAX_CONFIG_PATH_BYTES} bytes (it has ${bytes})`;
    return undefined;
};

// ---------------------------------------------------------------------------------------------
// SSH host keys

/** Host key algorithms sshd can present (security-key types are user keys only). */
export const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"] as const;

function sshStrings(blob: Buffer): Buffer[] | undefined {
    const out: Buffer[] = [];
    let at = 0;
    while (at < blob.length) {
        if (at + 4 > blob.length) return undefined;
        const length = blob.readUInt32BE(at);
        if (at + 4 + length > blob.length) return undefined;
        out.push(blob.subarray(at + 4, at + 4 + length));
        at += 4 + length;
    }
    return out;
}

const ECDSA_POINT_BYTES: Record<string, number> = { nistp256: 65, nistp384: 97, nistp521: 133 };

/**
 * `ssh.hostKeys` values: an OpenSSH public key line (`type base64 [comment]`, as ssh-keyscan prints
 * it without the host). The key blob is decoded and must be a whole key of the declared type, so a
 * truncated paste or a key of another type is refused here rather than as a failed connection.
 */
export const hostKey: Rule = (v) => {
    const expected = "must be an OpenSSH public key line (type base64 [comment], e.g. ssh-ed25519 AAAAC3...)";
    if (hasControl(v)) return `${expected}, on one line`;
    if (v !== v.trim()) return `${expected}, without outer blanks`;
    const m = /^(\S+) ([A-Za-z0-9+/]+={0,2})(?: (.*))?$/.exec(v);
    if (!m) return expected;
    const [, type, base64] = m;
    if (!(HOST_KEY_TYPES as readonly string[]).includes(type)) return `${expected}: the type is not one of ${HOST_KEY_TYPES.join(", ")}`;
    const blob = Buffer.from(base64, "base64");
    if (blob.toString("base64") !== base64) return `${expected}: the key is not valid base64`;
    const parts = sshStrings(blob);
    if (!parts || parts.length === 0 || parts[0].toString("latin1") !== type) return `${expected}: the key data is not a ${type} key (truncated, or another type?)`;
    const whole =
        type === "ssh-ed25519"
            ? parts.length === 2 && parts[1].length === 32
            : type === "ssh-rsa"
              ? parts.length === 3 && parts[2].length >= 128
              : parts.length === 3 && parts[1].toString("latin1") === type.slice("ecdsa-sha2-".length) && parts[2].length === ECDSA_POINT_BYTES[parts[1].toString("latin1")];
    return whole ? undefined : `${expected}: the key data is not a whole ${type} key (truncated?)`;
};

// ---------------------------------------------------------------------------------------------
// Addresses and URLs

export interface CanonicalCidr {
    text: string;
    family: 4 | 6;
    prefixLength: number;
}

/**
 * A CIDR written the way Neutron writes it back: dotted decimal (Neutron refuses other IPv4 forms),
 * lower-case compressed IPv6 (RFC 5952), host bits zero. One spelling per network also means the
 * provider's read-back never differs from the configuration, and duplicates compare as text.
 */
export function parseCanonicalCidr(v: string): CanonicalCidr | string {
    const m = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(v);
    if (!m) return "is not a CIDR (expected address/prefix, e.g. 192.168.10.0/24 or fd00:10::/64)";
    const [, address, prefixText] = m;
    const prefixLength = Number(prefixText);
    const family = isIpv4(address) ? 4 : isIpv6(address) ? 6 : 0;
    if (family === 0) return "is not a valid IPv4 or IPv6 CIDR (IPv4 in dotted decimal, IPv6 without a zone)";
    if (prefixLength > (family === 4 ? 32 : 128)) return `is not a valid IPv${family} CIDR (the prefix is at most ${family === 4 ? 32 : 128})`;
    const parsed = ipaddr.parse(address);
    const network = (family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(v) : ipaddr.IPv6.networkAddressFromCIDR(v)).toString();
    if (network !== parsed.toString()) return `has host bits set (the network is ${network}/${prefixLength})`;
    const canonical = `${network}/${prefixLength}`;
    if (canonical !== v) return `must be written as ${canonical} (the form Neutron reports back)`;
    return { text: v, family, prefixLength };
}

export const cidr: Rule = (v) => {
    const parsed = parseCanonicalCidr(v);
    return typeof parsed === "string" ? parsed : undefined;
};

/** The prefix o-hm0 gets: from the management CIDR, and a /0 is no interface address. */
export function interfacePrefix(family: 4 | 6): Rule<number> {
    const max = family === 4 ? 32 : 128;
    return (v) => (Number.isInteger(v) && v >= 1 && v <= max ? undefined : `must be a prefix length 1..${max} for an IPv${family} address`);
}

/** The management CIDR itself: any canonical CIDR whose prefix o-hm0 can carry. */
export const managementCidr: Rule = (v) => {
    const parsed = parseCanonicalCidr(v);
    if (typeof parsed === "string") return parsed;
    return interfacePrefix(parsed.family)(parsed.prefixLength) === undefined ? undefined : "must have a prefix of at least /1 (o-hm0 takes its prefix)";
};

/** `octavia.<service>.endpoint`: keystoneauth's endpoint override, an absolute http(s) URL. */
export const httpUrl: Rule = (v) => {
    if (/\s/.test(v) || hasControl(v)) return "must be an http(s) URL without blanks";
    let url: URL;
    try {
        url = new URL(v);
    } catch {
        return "must be an absolute http(s) URL (e.g. http://10.7.20.110:9696)";
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http:// or https:// URL";
    if (!url.hostname) return "must name a host";
    return undefined;
};

export const ENDPOINT_TYPES = ["public", "internal", "admin", "publicURL", "internalURL", "adminURL"] as const;

export const endpointType: Rule = (v) =>
    (ENDPOINT_TYPES as readonly string[]).includes(v) ? undefined : `must be one of ${ENDPOINT_TYPES.join(", ")}`;

// ---------------------------------------------------------------------------------------------
// Demo (Octavia's own API rules, so a typo fails the preview and not a 400 after minutes of booting)

/** `healthMonitor.urlPath`, as Octavia's validator takes it: a path from /, no blanks, no scheme or host. */
export const urlPath: Rule = (v) => {
    if (!v.startsWith("/") || v.startsWith("//")) return "must be a URL path starting with / (not //)";
    if (/\s/.test(v) || hasControl(v)) return "must not contain blanks or control characters";
    return undefined;
};

/** `healthMonitor.expectedCodes`, Octavia's pattern: `200`, `200,202` or `200-204`. */
export const expectedCodes: Rule = (v) =>
    /^(\d{3}(\s*,\s*\d{3})*)$|^(\d{3}-\d{3})$/.test(v) ? undefined : "must be HTTP status codes: 200, 200,202 or 200-204";

/** Which pool protocols Octavia lets a listener of each protocol use (octavia.common.constants). */
export const LISTENER_POOL_PROTOCOLS: Record<string, readonly string[]> = {
    HTTP: ["HTTP", "PROXY", "PROXYV2"],
    HTTPS: ["HTTPS", "PROXY", "PROXYV2", "TCP"],
    TCP: ["HTTP", "HTTPS", "PROXY", "PROXYV2", "TCP"],
    UDP: ["UDP"],
    SCTP: ["SCTP"],
};

/** Monitor types Octavia allows on UDP and SCTP pools; the other pools refuse UDP-CONNECT and SCTP monitors. */
export const UDP_SCTP_MONITOR_TYPES = ["UDP-CONNECT", "SCTP", "TCP", "HTTP"] as const;

