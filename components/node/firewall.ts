// The heartbeat firewall rule (guide step 3): the health-manager UDP port accepted on o-hm0, IPv4 and IPv6, once.
import { assignments, LIMITS, shellProgram } from "./remote";
import { assertPort } from "./values";

/** Comment on our firewall rules, so they are told apart from rules an operator added by hand. */
export const FIREWALL_COMMENT = "tricircle-lbaas-o-hm0";
// Read once, at module load (see assets.ts).
export const FIREWALL_FUNCTIONS = shellProgram("firewall.sh");

/**
 * The firewall's own assignments: iptables and ip6tables accept the health-manager UDP port on o-hm0, exactly once.
 * `TLB_ADOPT` and `TLB_FW_FOUND` come with the o-hm0 ones (ohm0Vars): with `adopt`, an operator's equivalent rule (the
 * guide's, without our comment) counts as that rule: recorded as found, not doubled, not removed.
 */
export function firewallVars(heartbeatPort: number): string {
    return assignments({
        TLB_HM_PORT: assertPort("healthManager.port", heartbeatPort),
        TLB_FW_COMMENT: FIREWALL_COMMENT,
        TLB_FW_WAIT: LIMITS.iptablesWaitSeconds,
    });
}
