// The heartbeat firewall rule (guide step 3): the health-manager UDP port accepted on o-hm0, IPv4 and IPv6, once.
import { nodeAsset } from "./assets";
import { asRoot, assignments, LIMITS, PRELUDE, RemoteScripts, shellPiece } from "./remote";
import { assertPort } from "./values";

/** Comment on our firewall rules, so they are told apart from rules an operator added by hand. */
export const FIREWALL_COMMENT = "tricircle-lbaas-o-hm0";
// Read once, at module load (see assets.ts).
export const FIREWALL_FUNCTIONS = shellPiece(nodeAsset("firewall.sh"));

export function firewallVars(heartbeatPort: number): string {
    return assignments({
        TLB_HM_PORT: assertPort("healthManager.port", heartbeatPort),
        TLB_FW_COMMENT: FIREWALL_COMMENT,
        TLB_FW_WAIT: LIMITS.iptablesWaitSeconds,
    });
}

/** iptables and ip6tables: accept the health-manager UDP port on o-hm0, exactly once. */
export function firewallScripts(heartbeatPort: number): RemoteScripts {
    const lib = [PRELUDE, firewallVars(heartbeatPort), FIREWALL_FUNCTIONS].join("\n\n");
    const converge = asRoot("firewall", `${lib}\n\ntlb_firewall_up`);
    return { create: converge, update: converge, delete: asRoot("firewall delete", `${lib}\n\ntlb_firewall_down`) };
}

