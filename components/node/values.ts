// Quoting and validation of the values that reach the node programs (remote.ts assigns them, quoted).

import { createHash } from "crypto";
import * as net from "net";
import * as ipaddr from "ipaddr.js";
import * as rules from "../config/rules";
import { assertValid } from "../config/rules";

/** POSIX single-quoting: the result is one shell word whose value is exactly `value`. */
export function shellQuote(value: string): string {
    if (value.includes("\0")) throw new Error("shellQuote: a NUL byte cannot be passed through a shell");
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function fail(what: string, value: unknown, expected: string): never {
    throw new Error(`${what}: ${JSON.stringify(value)} is not ${expected}`);
}

// MACs and UUIDs come from Neutron, not from the configuration: these checks guard the scripts
// against a cloud's surprise. Configured values are held to the config's own rules (rules.ts).
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** A UUID as Neutron and Keystone print it, in either case. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** SHA-256 of a text (UTF-8), hex: the digests the node's scripts compare and the packed runs' comment. */
export function sha256Hex(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}
