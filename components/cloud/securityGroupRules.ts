import { IpFamily } from "../config/cidr";

export interface RuleSpec {
    /** Stable child-name suffix: protocol, port and source, never a list position. */
    key: string;
    group: "amphora" | "healthManager";
    ethertype: "IPv4" | "IPv6";
    protocol: "icmp" | "ipv6-icmp" | "tcp" | "udp";
    portRangeMin?: number;
    portRangeMax?: number;
    remoteIpPrefix: string;
}

/** A CIDR as a URN-safe name part (`::` is the URN separator). */
export function cidrKey(cidr: string): string {
    return cidr.replace(/[:/]/g, "_");
}

/**
 * The guide's rules, one per source and port, each in the family of its source: amphorae accept ICMP and the
 * amphora TCP ports; health managers accept heartbeats on their UDP port.
 */
export function securityGroupRules(args: {
    sources: { cidr: string; family: IpFamily }[];
    amphoraTcpPorts: number[];
    heartbeatPort: number;
}): RuleSpec[] {
    return args.sources.flatMap(({ cidr, family }): RuleSpec[] => {
        const ethertype = family === 4 ? "IPv4" : "IPv6";
        const source = cidrKey(cidr);
        return [
            { key: `amphora-icmp-${source}`, group: "amphora", ethertype, protocol: family === 4 ? "icmp" : "ipv6-icmp", remoteIpPrefix: cidr },
            ...args.amphoraTcpPorts.map((port): RuleSpec => ({
                key: `amphora-tcp${port}-${source}`,
                group: "amphora",
                ethertype,
                protocol: "tcp",
                portRangeMin: port,
                portRangeMax: port,
                remoteIpPrefix: cidr,
            })),
            {
                key: `hm-udp${args.heartbeatPort}-${source}`,
                group: "healthManager",
                ethertype,
                protocol: "udp",
                portRangeMin: args.heartbeatPort,
                portRangeMax: args.heartbeatPort,
                remoteIpPrefix: cidr,
            },
        ];
    });
}
