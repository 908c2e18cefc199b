// The dynamic provider behind AmphoraAgentConfig: after a region's controllers have a new heartbeat key or health
// manager list, it asks the region's Octavia to push its agent settings to every running amphora of the region.
//
// Why: an amphora keeps the agent configuration it was booted with. After a key rotation every heartbeat it sends
// fails the health manager's HMAC check, and after a controller change it keeps sending to the old list; either way,
// once `[health_manager] heartbeat_timeout` has passed, Octavia declares it dead and fails it over, the whole region's
// fleet at once. Octavia's own remedy is `PUT /v2/octavia/amphorae/{id}/config` (`openstack loadbalancer amphora
// configure`): the worker renders the agent configuration from its octavia.conf and sends it to the amphora, whose
// agent takes the health-manager list, the key and the interval into its heartbeats without a restart, from Octavia
// 15.1.0, 16.0.1 and 17.0.0 on (agentRelease.ts); an older agent only into its file, which its next start reads.
// PlaneChangeGuard, before the controllers change, refuses what such agents cannot follow.
import * as pulumi from "@pulumi/pulumi";
import { NeutronAccess, sameAccess } from "../cloud/portBinding/neutronAccess";
import { catalogSession } from "../cloud/portBinding/neutronPortApi";

export interface AgentConfigInputs {
    /** The local region, whose Octavia API is asked (the catalog's load-balancer endpoint for it). */
    region: string;
    /** Credentials (secret): the ones the host bindings use. */
    access: NeutronAccess;
    /**
     * A digest of what the amphora agent is told: the heartbeat key, the region's `controller_ip_port_list`
     * (secret, as it is derived from the key). A change of it is what pushes.
     */
    plane: string;
    /** The region's management subnet: the amphorae whose management address lies in it are the region's. */
    mgmtCidr: string;
}

export interface AgentConfigOutputs extends AgentConfigInputs {
    /** The amphorae the last push reached, by id, sorted. */
    pushedTo: string[];
}

/** An amphora as Octavia's API lists it (the fields the push reads). */
export interface ListedAmphora {
    id: string;
    status?: string;
    loadbalancer_id?: string | null;
    lb_network_ip?: string | null;
}

/**
 * The amphorae to push to: in service (ALLOCATED: serving a load balancer; Octavia's API answers a spare amphora's
 * config request with an error, as it has no load balancer to authorise against) and on the region's management
 * subnet. On a Tricircle cloud each region's Octavia lists its own amphorae; the subnet keeps a shared Octavia (the
 * lab's) from pushing another region's.
 */
export function amphoraeInRegion(amphorae: ListedAmphora[], mgmtCidr: string): ListedAmphora[] {
    // Required here, not imported: the serialised provider carries no module scope.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const net = require("net");
    const [address, prefix] = mgmtCidr.split("/");
    const family = net.isIPv6(address) ? "ipv6" : "ipv4";
    const subnet = new net.BlockList();
    subnet.addSubnet(address, Number(prefix), family);
    return amphorae
        .filter((a) => a.status === "ALLOCATED" && !!a.loadbalancer_id && !!a.lb_network_ip && net.isIP(a.lb_network_ip) !== 0)
        .filter((a) => subnet.check(a.lb_network_ip as string, net.isIPv6(a.lb_network_ip as string) ? "ipv6" : "ipv4"))
        .sort((a, b) => a.id.localeCompare(b.id));
}

/** The region's Octavia session and its amphorae in service (amphoraeInRegion), every page of the list read. */
export async function regionAmphorae(inputs: Pick<AgentConfigInputs, "region" | "access" | "mgmtCidr">) {
    const session = await catalogSession(inputs.access, inputs.region, { type: "load-balancer", name: "Octavia", version: "/v2" });
    const listed: ListedAmphora[] = [];
    let path: string | undefined = "/octavia/amphorae?limit=500";
    while (path !== undefined) {
        const page: { amphorae?: ListedAmphora[]; amphorae_links?: Array<{ rel: string; href: string }> } | undefined = await session.request("GET", path);
        listed.push(...(page?.amphorae ?? []));
        const next = page?.amphorae_links?.find((l) => l.rel === "next")?.href;
        // Octavia's `next` is a full URL; the session wants the path below its /v2.
        path = next === undefined ? undefined : next.slice(next.indexOf("/octavia/amphorae"));
    }
    return { session, targets: amphoraeInRegion(listed, inputs.mgmtCidr) };
}

/**
 * What a preview says of a change that will push: how many running amphorae of the region take the new settings,
 * with their load balancers, so that a pull request's preview shows which part of the fleet a change touches. Read
 * only; a list that fails is said as such and does not fail the preview (the push itself fails loudly, in `up`).
 */
export async function pushPreview(inputs: AgentConfigInputs): Promise<string> {
    try {
        const { targets } = await regionAmphorae(inputs);
        if (targets.length === 0) return `region ${inputs.region}: no running amphora to give the new agent configuration to`;
        return `region ${inputs.region}: ${targets.length} running ${targets.length === 1 ? "amphora is" : "amphorae are"} sent the new agent configuration (load balancers ${loadBalancersOf(targets)})`;
    } catch (err) {
        return `region ${inputs.region}: could not count the amphorae the new agent configuration goes to (${(err as Error)?.message ?? String(err)}); \`up\` pushes it to every running one`;
    }
}

/** The load balancers the amphorae serve, each once, sorted, for messages. */
export function loadBalancersOf(amphorae: ListedAmphora[]): string {
    return [...new Set(amphorae.map((a) => a.loadbalancer_id))].sort().join(", ");
}

/** A line in the engine's output under the resource, from the provider's process (standard error if the SDK is not there). */
export function tell(message: string): void {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the provider process, without this module
        void (require("@pulumi/pulumi") as typeof import("@pulumi/pulumi")).log.info(message);
    } catch {
        process.stderr.write(`${message}\n`);
    }
}

/**
 * Pushes the agent configuration to every amphora of the region and returns their ids. Every amphora is tried; the
 * failures are reported together, each naming its amphora and load balancer, and fail the step, so the state keeps
 * the previous digest and the next `up` pushes again.
 */
export async function pushAgentConfig(inputs: AgentConfigInputs): Promise<string[]> {
    const { session, targets } = await regionAmphorae(inputs);
    const failures: string[] = [];
    for (const a of targets) {
        try {
            await session.request("PUT", `/octavia/amphorae/${encodeURIComponent(a.id)}/config`);
        } catch (err) {
            failures.push(`amphora ${a.id} (load balancer ${a.loadbalancer_id}): ${(err as Error)?.message ?? String(err)}`);
        }
    }
    if (failures.length > 0) {
        throw new Error(
            `region ${inputs.region}: ${failures.length} of ${targets.length} amphorae did not take the new agent configuration ` +
                `(their heartbeats are refused until they do; the next \`pulumi up\` tries again):\n${failures.join("\n")}`,
        );
    }
    return targets.map((a) => a.id);
}

/** Whether the amphorae already have what `news` would push: the same settings, region and subnet. */
export function samePush(olds: AgentConfigInputs, news: AgentConfigInputs): boolean {
    return olds.plane === news.plane && olds.region === news.region && olds.mgmtCidr === news.mgmtCidr;
}

// Pulumi serialises this object and the functions it calls into the state and runs them in a separate provider
// process, without this module around them: they require what they need at call time and capture nothing else.
export const agentConfigProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: AgentConfigOutputs, news: AgentConfigInputs) {
        // Compared here, never shown: the engine prints the secret inputs as [secret].
        const push = !samePush(olds, news);
        // In a preview and in `up` alike: the count is what the push about to run will reach.
        if (push) tell(await pushPreview(news));
        return { changes: push || !sameAccess(olds.access, news.access), replaces: [] };
    },

    async create(inputs: AgentConfigInputs) {
        // A first deployment on a cloud that already runs load balancers (a plane taken over) tells them too.
        const pushedTo = await pushAgentConfig(inputs);
        return { id: `${inputs.region}-amphora-agent-config`, outs: { ...inputs, pushedTo } };
    },

    async update(_id: string, olds: AgentConfigOutputs, news: AgentConfigInputs) {
        if (samePush(olds, news)) {
            // Only the credentials changed: the amphorae already have this configuration.
            return { outs: { ...news, pushedTo: olds.pushedTo } };
        }
        return { outs: { ...news, pushedTo: await pushAgentConfig(news) } };
    },

    // Nothing to undo: amphorae keep the configuration they have, and a destroy of the plane removes their network.
    async delete() {},
};
