// A controller node set up the guide's way by hand (steps 3: o-hm0 on the health-manager port, its address, the
// heartbeat rule), and o-hm0 as a takeover must leave it: shared by the host and e2e suites of adoption.
import { HostNode } from "../host/harness";

/** The guide's ovs-vsctl and ip lines for o-hm0 on `port`, as an operator types them (no OVS "mac" column). */
export function guideOhm0Lines(port: { id: string; mac: string }): string[] {
    return [
        "ovs-vsctl --timeout=20 -- --may-exist add-port br-int o-hm0 -- set Interface o-hm0 type=internal" +
            ` -- set Interface o-hm0 external-ids:iface-status=active -- set Interface o-hm0 external-ids:attached-mac=${port.mac}` +
            ` -- set Interface o-hm0 external-ids:iface-id=${port.id} -- set Interface o-hm0 external-ids:skip_cleanup=true`,
        "for i in $(seq 100); do [ -e /sys/class/net/o-hm0 ] && break; sleep 0.1; done",
        `ip link set dev o-hm0 address ${port.mac}`,
        "ip link set dev o-hm0 up",
    ];
}

/** The guide's heartbeat rule: no comment, so the stack cannot claim it as its own. */
export const GUIDE_FIREWALL_LINE = "iptables -I INPUT -i o-hm0 -p udp --dport 5555 -j ACCEPT";

/** What a takeover must not change: the interface (a flap changes its carrier count), its identity and addresses. */
export interface Link {
    ifindex: number;
    carrierChanges: number;
    mac: string;
    ifaceId: string;
    addresses: string[];
}

export async function ohm0Link(node: HostNode): Promise<Link> {
    const r = await node.sh(
        [
            "cat /sys/class/net/o-hm0/ifindex /sys/class/net/o-hm0/carrier_changes /sys/class/net/o-hm0/address",
            "ovs-vsctl --timeout=10 get Interface o-hm0 external_ids:iface-id",
            "ip -o addr show dev o-hm0 scope global | awk '{ print $4 }' | sort | tr '\\n' ' '",
        ].join("\n"),
    );
    const [ifindex, carrier, mac, ifaceId, addresses] = r.stdout.split("\n");
    return { ifindex: Number(ifindex), carrierChanges: Number(carrier), mac, ifaceId: ifaceId.replace(/"/g, ""), addresses: addresses.trim().split(" ").filter(Boolean) };
}
