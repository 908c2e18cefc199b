// The node's share of the management plane (guide step 3) as one command: o-hm0, the heartbeat firewall rule and
// their reboot persistence. The three share one lifetime (the rule and the boot unit exist for o-hm0 and go with it)
// and none restarts Octavia, so one SSH login sets them up and one takes them down. octavia.conf and the amphora
// certificates stay commands of their own: they restart Octavia, one controller of a region after the other.
import { FIREWALL_FUNCTIONS, firewallVars } from "./firewall";
import { checkOHm0Params, OHM0_PROGRAMS, ohm0Vars } from "./ohm0";
import { PERSISTENCE_FUNCTIONS, persistenceFilesWriter, PersistenceParams, persistenceVars } from "./persistence";
import { asRoot, nodeScript, RemoteScripts } from "./remote";

/** o-hm0's values and the heartbeat port: all the boot unit needs too, as it redoes o-hm0 and the rule at boot. */
export type PlaneParams = PersistenceParams;

const PROGRAMS = [...OHM0_PROGRAMS, FIREWALL_FUNCTIONS, PERSISTENCE_FUNCTIONS];

/**
 * Create (and update: it converges) sets up o-hm0 first, since the rule names it and the boot unit restores it, and
 * prints o-hm0's `OHM0` report. Delete first checks that the node serves this stack (tlb_owner_check, which the
 * o-hm0 removal would only do last), then undoes in the reverse order: the boot unit, the rule, o-hm0.
 */
export function planeScripts(p: PlaneParams): RemoteScripts {
    const c = checkOHm0Params(p.ohm0);
    const values = [ohm0Vars(c, 0), firewallVars(p.heartbeatPort), persistenceVars()];
    const create = nodeScript([...values, persistenceFilesWriter(p)], PROGRAMS, "tlb_ohm0_up\ntlb_firewall_up\ntlb_persistence_write_files\ntlb_persistence_install");
    const remove = nodeScript(values, PROGRAMS, "tlb_owner_check\ntlb_persistence_remove\ntlb_firewall_remove\ntlb_ohm0_remove");
    return { create: asRoot("plane (o-hm0, firewall rule, boot unit)", create), delete: asRoot("plane delete", remove) };
}
