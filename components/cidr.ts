import * as ipaddr from "ipaddr.js";

export type IpFamily = 4 | 6;

export interface ParsedCidr {
    text: string;
    family: IpFamily;
    prefixLength: number;
    address: ipaddr.IPv4 | ipaddr.IPv6;
}

/** Parses `a.b.c.d/n` or `x::/n`; returns an error message instead of throwing. */
export function parseCidr(text: string): ParsedCidr | string {
    if (!text.includes("/")) {
        return `"${text}" is not a CIDR (expected address/prefix, e.g. 192.168.10.0/24)`;
    }
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
        parsed = ipaddr.parseCIDR(text);
    } catch {
        return `"${text}" is not a valid IPv4 or IPv6 CIDR`;
    }
    const [address, prefixLength] = parsed;
    const family: IpFamily = address.kind() === "ipv4" ? 4 : 6;
    const network =
        family === 4
            ? ipaddr.IPv4.networkAddressFromCIDR(text)
            : ipaddr.IPv6.networkAddressFromCIDR(text);
    if (network.toString() !== address.toString()) {
        return `"${text}" has host bits set (the network is ${network.toString()}/${prefixLength})`;
    }
    return { text, family, prefixLength, address };
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
