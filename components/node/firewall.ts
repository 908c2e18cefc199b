// The heartbeat firewall rule (guide step 3): the health-manager UDP port accepted on o-hm0, IPv4 and IPv6, once.
import { adoptAssignment, asRoot, assignments, LIMITS, NODE_PATHS, nodeScript, RemoteScripts, shellProgram } from "./remote";
import { assertPort } from "./values";

/** Comment on our firewall rules, so they are told apart from rules an operator added by hand. */
export const FIREWALL_COMMENT = "tricircle-lbaas-o-hm0";
// Read once, at module load (see assets.ts).
export const FIREWALL_FUNCTIONS = shellProgram("firewall.sh");

/** The firewall's own assignments; `TLB_ADOPT` and `TLB_FW_FOUND` come with the o-hm0 ones where both are assembled. */
export function firewallVars(heartbeatPort: number): string {
    return assignments({
        TLB_HM_PORT: assertPort("healthManager.port", heartbeatPort),
        TLB_FW_COMMENT: FIREWALL_COMMENT,
        TLB_FW_WAIT: LIMITS.iptablesWaitSeconds,
    });
}

/**
 * iptables and ip6tables: accept the health-manager UDP port on o-hm0, exactly once. With `adopt`, an operator's
 * equivalent rule (the guide's, without our comment) counts as that rule: recorded as found, not doubled, not removed.
 */
export function firewallScripts(heartbeatPort: number, adopt: boolean): RemoteScripts {
    const own = [adoptAssignment(adopt), assignments({ TLB_FW_FOUND: NODE_PATHS.firewallFound })].join("\n");
    const values = [own, firewallVars(heartbeatPort)];
    const converge = asRoot("firewall", nodeScript(values, [FIREWALL_FUNCTIONS], "tlb_firewall_up"));
    return { create: converge, delete: asRoot("firewall delete", nodeScript(values, [FIREWALL_FUNCTIONS], "tlb_firewall_remove")) };
}

