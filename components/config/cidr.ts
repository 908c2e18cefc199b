import * as ipaddr from "ipaddr.js";
import { CanonicalCidr, parseCanonicalCidr } from "./rules";

export type IpFamily = 4 | 6;

export interface ParsedCidr {
    text: string;
    family: IpFamily;
    prefixLength: number;
    address: ipaddr.IPv4 | ipaddr.IPv6;
}

/** Parses a CIDR that satisfies the config's rule (rules.ts); returns the rule's complaint otherwise. */
export function parseCidr(text: string): ParsedCidr | string {
    const checked = parseCanonicalCidr(text);
    return typeof checked === "string" ? `"${text}" ${checked}` : fromCanonical(checked);
}

/** The parsed form of a CIDR the rule has accepted. */
export function fromCanonical(checked: CanonicalCidr): ParsedCidr {
    return { ...checked, address: ipaddr.parse(checked.text.split("/")[0]) };
}

export function cidrsOverlap(a: ParsedCidr, b: ParsedCidr): boolean {
    if (a.family !== b.family) {
        return false;
    }
    // Two aligned prefixes overlap exactly when one contains the other's network address.
    return a.address.match(b.address, b.prefixLength) || b.address.match(a.address, a.prefixLength);
}

/** Usable host addresses of a subnet, after the network, broadcast (IPv4) and Neutron's gateway-less reservations. */
export function usableHostCount(cidr: ParsedCidr): number {
    const hostBits = (cidr.family === 4 ? 32 : 128) - cidr.prefixLength;
    if (hostBits >= 31) {
        return Number.MAX_SAFE_INTEGER;
    }
    const reserved = cidr.family === 4 ? 2 : 1;
    return Math.max(0, 2 ** hostBits - reserved);
}
