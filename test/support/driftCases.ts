// What can be undone behind the stack's back on a controller node, and how the drift check must report it: shared by
// the host suite (the check and its repairs against a namespace node) and the e2e suite (the same through the real
// engine and `npm run doctor`).
import { Concern } from "../../components/node/nodeDrift";
import { NODE_PATHS } from "../../components/node/remote";

export interface DriftCase {
    name: string;
    /** The node concern that drifted (the check's name for it; NODE_COMMANDS says which command repairs it). */
    concern: Exclude<Concern, "certificates">;
    /** What an operator, a cleanup tool or a rebuilt OVS database does to the node. */
    make: string;
    /** The check's report must contain this. */
    reported: RegExp;
}

const CHANGE_MAC = [
    `ovs-vsctl --timeout=10 set Interface o-hm0 'mac="fa:16:3e:00:00:99"'`,
    `for i in $(seq 100); do [ "$(cat /sys/class/net/o-hm0/address)" = fa:16:3e:00:00:99 ] && break; sleep 0.1; done`,
    `[ "$(cat /sys/class/net/o-hm0/address)" = fa:16:3e:00:00:99 ]`,
].join("\n");

/** The drifts every suite runs, whatever the node's address and configuration. */
export const COMMON_DRIFT_CASES: DriftCase[] = [
    { name: "o-hm0 removed", concern: "ohm0", make: "ovs-vsctl --timeout=10 del-port br-int o-hm0", reported: /ohm0: o-hm0 is not a port of br-int/ },
    // ovs-vswitchd keeps an internal port's device at the row's "mac": a changed MAC is a changed row (and device).
    { name: "its MAC changed", concern: "ohm0", make: CHANGE_MAC, reported: /ohm0: o-hm0's mac is 'fa:16:3e:00:00:99'.*o-hm0 has MAC fa:16:3e:00:00:99, not / },
    {
        name: "the IPv4 rule removed",
        concern: "firewall",
        make: "iptables -w -D INPUT -i o-hm0 -p udp --dport 5555 -m comment --comment tricircle-lbaas-o-hm0 -j ACCEPT",
        reported: /firewall: iptables has no rule accepting UDP 5555 on o-hm0/,
    },
    { name: "the unit removed", concern: "persistence", make: `rm -f ${NODE_PATHS.unitFile}`, reported: new RegExp(`persistence: ${NODE_PATHS.unitFile} is missing`) },
];
