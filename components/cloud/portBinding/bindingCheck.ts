// What makes a health-manager port's host binding real, and the words when it is not. Setting `binding:host_id` is
// only a request: Neutron's ML2 binds the port to that host only if a live L2 agent (or OVN chassis) reports exactly
// that host, and otherwise records `binding:vif_type = binding_failed` and answers 200 all the same. On a controller
// whose `hostname` is not the agent's `host` (an FQDN against a short name, a typo) or whose agent is down, o-hm0 is
// then never wired, no heartbeat reaches the health manager, and Octavia fails every amphora of the region over,
// while the port looks configured. These helpers let the binding provider and PortActive say so, by name.
//
// Every function here is called by a dynamic provider, which Pulumi serialises without this module around it: each
// keeps its constants inside and calls only what it imports.

/** The agent fields the checks read (Neutron `GET /v2.0/agents`). */
export interface NeutronAgent {
    id?: string;
    host: string;
    agent_type: string;
    alive: boolean;
    admin_state_up?: boolean;
}

/** A port's binding, as Neutron answers it. */
export interface PortBindingState {
    id: string;
    status?: string;
    "binding:host_id"?: string;
    "binding:vif_type"?: string;
}

/** Whether Neutron bound the port to a mechanism (an agent took it): neither `binding_failed` nor `unbound`. */
export function boundByAgent(port: Pick<PortBindingState, "binding:vif_type">): boolean {
    const vif = port["binding:vif_type"];
    return typeof vif === "string" && vif !== "" && vif !== "binding_failed" && vif !== "unbound";
}

/** The agents that can bind a port to their host: live L2 agents (OVS, Linux bridge, OVN, SR-IOV, MacVTap). */
export function liveL2Agents(agents: NeutronAgent[]): NeutronAgent[] {
    const l2 = /open vswitch agent|linux bridge agent|ovn controller|nic switch agent|macvtap agent/i;
    return agents
        .filter((a) => a.alive === true && a.admin_state_up !== false && l2.test(String(a.agent_type)))
        .sort((a, b) => a.host.localeCompare(b.host) || a.agent_type.localeCompare(b.agent_type));
}

/**
 * The agent host the operator most likely meant by `hostId`, or undefined: the same name in other case, the same
 * first label (an FQDN for a short name or the reverse), or failing those the nearest name within two edits.
 */
export function suggestHost(hostId: string, hosts: string[]): string | undefined {
    const want = hostId.toLowerCase();
    const label = (h: string) => h.toLowerCase().split(".")[0];
    const unique = [...new Set(hosts)].filter((h) => h !== hostId);
    const exact = unique.find((h) => h.toLowerCase() === want);
    if (exact !== undefined) return exact;
    const sameLabel = unique.filter((h) => label(h) === label(hostId));
    if (sameLabel.length > 0) return sameLabel.sort((a, b) => a.length - b.length || a.localeCompare(b))[0];
    const distance = (a: string, b: string): number => {
        let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
        for (let i = 1; i <= a.length; i++) {
            const cur = [i];
            for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.length];
    };
    let best: { host: string; d: number } | undefined;
    for (const h of unique) {
        const d = distance(want, h.toLowerCase());
        if (d <= 2 && (best === undefined || d < best.d || (d === best.d && h < best.host))) best = { host: h, d };
    }
    return best?.host;
}

/**
 * Why a binding request did not bind: the port, the host asked for, what Neutron recorded, and the live L2 agents of
 * the region with their hosts (with the likely intended one), or why they could not be listed.
 */
export function bindingFailureMessage(args: {
    portId: string;
    hostId: string;
    region: string;
    vifType: string | undefined;
    agents: NeutronAgent[] | { error: string };
}): string {
    const head =
        `Neutron in ${args.region} did not bind health-manager port ${args.portId} to host "${args.hostId}" ` +
        `(binding:vif_type ${args.vifType || "none"}): no live L2 agent reports that host, so o-hm0 would never be ` +
        `wired and no heartbeat would reach the health manager. The binding was undone.`;
    if (!Array.isArray(args.agents)) return `${head} The region's agents could not be listed: ${args.agents.error}`;
    const live = liveL2Agents(args.agents);
    if (live.length === 0) return `${head} ${args.region} has no live L2 agent at all: start the controller's agent (its [DEFAULT] host must be "${args.hostId}").`;
    const list = live.map((a) => `${a.host} (${a.agent_type})`).join(", ");
    const onHost = args.agents.filter((a) => a.host === args.hostId);
    const guess = suggestHost(args.hostId, live.map((a) => a.host));
    const why =
        onHost.length > 0
            ? ` The agent of "${args.hostId}" is ${onHost.map((a) => `${a.agent_type} ${a.alive ? "alive" : "dead"}${a.admin_state_up === false ? ", disabled" : ""}`).join("; ")}.`
            : "";
    const hint = guess !== undefined ? ` Did you mean "${guess}"?` : "";
    return (
        `${head}${why} Live L2 agents in ${args.region}: ${list}.${hint} Set regions[].controllers[].hostname to the ` +
        `host the controller's L2 agent reports (its [DEFAULT] host, the machine's hostname by default), or start that agent.`
    );
}

/** Why a bound port is not ACTIVE once o-hm0 carries it: the port, host, node and what Neutron shows. */
export function notActiveMessage(args: { portId: string; hostId: string; region: string; node: string; status: string | undefined; vifType: string | undefined; waitedS: number }): string {
    return (
        `health-manager port ${args.portId} in ${args.region} is ${args.status || "without a status"}, not ACTIVE, ` +
        `${args.waitedS} s after o-hm0 took it over on ${args.node} (binding:host_id "${args.hostId}", binding:vif_type ` +
        `${args.vifType || "none"}): the L2 agent of "${args.hostId}" has not wired it. Check that the agent runs on that ` +
        `node, on the bridge o-hm0 is plugged into (controllers[].ovsBridge), and reports host "${args.hostId}".`
    );
}
