// What to do with each object of the management plane that the cloud already holds and that is not this stack's:
// refuse it (without `adopt`, or when it contradicts the configuration), or adopt it: import it as found and keep it
// on destroy. Pure: the inventory in, the plan out, so every case has a unit test.
import { RegionModel, StackModel } from "../config/model";
import { HEALTH_MANAGER_DEVICE_OWNER, healthManagerPortName } from "../config/names";
import { RuleSpec, securityGroupRules } from "../cloud/securityGroupRules";
import { ADOPTED_TAG_PREFIX, OWNER_TAG_PREFIXES } from "../cloud/tags";
import { FoundGroup, FoundNetwork, FoundPort, FoundRule, FoundSubnet, Inventory } from "./inventory";

/** An object found on the cloud and taken over: its id (the import) and what it was like (the inputs to keep). */
export interface Adopted<T> {
    id: string;
    found: T;
}

export interface RegionAdoption {
    network?: Adopted<FoundNetwork>;
    subnet?: Adopted<FoundSubnet>;
    /** By controller hostname. */
    ports: Record<string, Adopted<FoundPort>>;
}

export interface PlaneAdoption {
    groups: { amphora?: Adopted<FoundGroup>; healthManager?: Adopted<FoundGroup> };
    /** Rules the configuration makes that an adopted group already has, by the rule's key (securityGroupRules). */
    rules: Record<string, Adopted<FoundRule>>;
    /** Ingress rules of adopted groups that the configuration would not make: kept as they are, and listed. */
    keptRules: { group: string; rule: FoundRule }[];
    /** By region name. */
    regions: Record<string, RegionAdoption>;
}

export interface AdoptionPlan {
    /** Each names the configuration key, the object(s) and why; any refusal stops the program before it registers. */
    refusals: string[];
    /** One line per object taken over, for the program's log. */
    adopted: string[];
    plane: PlaneAdoption;
}

/** What the plan needs of the stack besides its configuration. */
export interface AdoptionContext {
    model: Pick<StackModel, "securityGroups" | "regions" | "healthManager" | "adopt">;
    /** This stack's tag (tags.ts stackTag): objects carrying it are the stack's own, made by it. */
    stackTag: string;
    /** This stack's adopted tag (tags.ts adoptedTag): objects it took over before, candidates again. */
    adoptedTag: string;
    /** The owner project id of the plane (`amphoraProject`), when configured. */
    ownerProjectId?: string;
}


function describe(kind: string, object: { id: string; name: string }): string {
    return `${kind} ${JSON.stringify(object.name)} (${object.id})`;
}

/** The wanted rule and a found one are the same rule (Neutron's "any source" is null, or the family's whole range). */
export function sameRule(spec: RuleSpec, rule: FoundRule): boolean {
    const anySource = spec.remoteIpPrefix === (spec.ethertype === "IPv4" ? "0.0.0.0/0" : "::/0");
    const source = rule.remote_ip_prefix === null ? (anySource ? spec.remoteIpPrefix : null) : rule.remote_ip_prefix;
    return (
        rule.direction === "ingress" &&
        rule.ethertype === spec.ethertype &&
        rule.protocol === spec.protocol &&
        (rule.port_range_min ?? undefined) === spec.portRangeMin &&
        (rule.port_range_max ?? undefined) === spec.portRangeMax &&
        rule.remote_group_id === null &&
        source === spec.remoteIpPrefix
    );
}

export function planAdoption(inventory: Inventory, ctx: AdoptionContext): AdoptionPlan {
    const { model } = ctx;
    const refusals: string[] = [];
    const adopted: string[] = [];
    const plane: PlaneAdoption = { groups: {}, rules: {}, keptRules: [], regions: {} };
    const ours = (o: { tags: string[] }) => o.tags.includes(ctx.stackTag);
    const otherStack = (o: { tags: string[] }) =>
        o.tags.find((t) => OWNER_TAG_PREFIXES.some((p) => t.startsWith(p)) && t !== ctx.stackTag && t !== ctx.adoptedTag);

    /**
     * The one candidate for an object, or a refusal: none (a create), the stack's own (already in its state), one
     * foreign (adopted with `adopt`, refused without), two or more (refused, naming them all).
     */
    function choose<T extends { id: string; name: string; tags: string[]; project_id: string }>(key: string, kind: string, candidates: T[]): Adopted<T> | undefined {
        const unique = [...new Map(candidates.map((c) => [c.id, c])).values()];
        if (unique.some(ours)) return undefined;
        if (unique.length === 0) return undefined;
        if (unique.length > 1) {
            refusals.push(`${key}: ${unique.length} candidates for one ${kind}: ${unique.map((c) => describe(kind, c)).join(", ")}; remove or rename all but one`);
            return undefined;
        }
        const [found] = unique;
        const owner = otherStack(found);
        if (owner !== undefined) {
            // A destroyed stack leaves what it took over with its adopted tag: the tag outlives it, and only the
            // operator knows whether that stack is gone.
            const release = owner.startsWith(ADOPTED_TAG_PREFIX) ? `; if that stack is destroyed, remove the tag ${owner} from it and run again` : "";
            refusals.push(`${key}: ${describe(kind, found)} belongs to another stack (${owner}); a plane is one stack's${release}`);
            return undefined;
        }
        if (!model.adopt) {
            refusals.push(`${key}: ${describe(kind, found)} already exists and is not this stack's`);
            return undefined;
        }
        if (ctx.ownerProjectId !== undefined && found.project_id !== ctx.ownerProjectId) {
            refusals.push(`${key}: ${describe(kind, found)} belongs to project ${found.project_id}, not amphoraProject (${ctx.ownerProjectId})`);
            return undefined;
        }
        adopted.push(`${key}: ${describe(kind, found)}`);
        return { id: found.id, found };
    }

    // Health-manager ports first: they lead to their network, subnet and group even under other names.
    const regionPorts = new Map<string, FoundPort[]>();
    model.regions.forEach((region, i) => {
        const ports: Record<string, Adopted<FoundPort>> = {};
        region.controllers.forEach((controller, j) => {
            const key = `regions[${i}].controllers[${j}].hostname`;
            const name = healthManagerPortName(region.name, controller.hostname);
            const candidates = inventory.ports.filter(
                (p) => (p.device_owner === HEALTH_MANAGER_DEVICE_OWNER && p["binding:host_id"] === controller.hostname) || p.name === name,
            );
            const port = choose(key, "health-manager port", candidates);
            if (port === undefined) return;
            const host = port.found["binding:host_id"];
            if (host && host !== controller.hostname) {
                refusals.push(`${key}: ${describe("health-manager port", port.found)} is bound to host ${JSON.stringify(host)}, not ${JSON.stringify(controller.hostname)}`);
                return;
            }
            ports[controller.hostname] = port;
        });
        regionPorts.set(region.name, Object.values(ports).map((p) => p.found));
        plane.regions[region.name] = { ports };
    });

    const portGroups = new Set([...regionPorts.values()].flat().flatMap((p) => p.security_groups));
    const byName = (name: string) => inventory.groups.filter((g) => g.name === name);
    plane.groups.amphora = choose("securityGroups.amphora", "security group", byName(model.securityGroups.amphora));
    plane.groups.healthManager = choose("securityGroups.healthManager", "security group", [
        ...byName(model.securityGroups.healthManager),
        ...inventory.groups.filter((g) => portGroups.has(g.id) && g.id !== plane.groups.amphora?.id),
    ]);

    const wanted = securityGroupRules({ ...model.securityGroups, heartbeatPort: model.healthManager.port });
    for (const kind of ["amphora", "healthManager"] as const) {
        const group = plane.groups[kind];
        if (group === undefined) continue;
        const matched = new Set<string>();
        for (const spec of wanted.filter((w) => w.group === kind)) {
            const rule = group.found.security_group_rules.find((r) => !matched.has(r.id) && sameRule(spec, r));
            if (rule === undefined) continue;
            matched.add(rule.id);
            plane.rules[spec.key] = { id: rule.id, found: rule };
        }
        for (const rule of group.found.security_group_rules) {
            if (rule.direction === "ingress" && !matched.has(rule.id)) plane.keptRules.push({ group: group.found.name, rule });
        }
    }

    model.regions.forEach((region: RegionModel, i) => {
        const ports = regionPorts.get(region.name) ?? [];
        const entry = plane.regions[region.name];
        const networkIds = new Set(ports.map((p) => p.network_id));
        const refusedBefore = refusals.length;
        const network = choose(`regions[${i}].mgmt.network`, "network", [
            ...inventory.networks.filter((n) => n.name === region.mgmt.network),
            ...inventory.networks.filter((n) => networkIds.has(n.id)),
        ]);
        const subnetIds = new Set(ports.flatMap((p) => p.fixed_ips.map((f) => f.subnet_id)));
        const subnet = choose(`regions[${i}].mgmt.subnet`, "subnet", [
            ...inventory.subnets.filter((s) => s.name === region.mgmt.subnet && (network === undefined || s.network_id === network.id)),
            ...inventory.subnets.filter((s) => subnetIds.has(s.id)),
        ]);
        if (subnet !== undefined) {
            if (subnet.found.cidr !== region.mgmt.cidr) {
                refusals.push(`regions[${i}].mgmt.cidr: ${describe("subnet", subnet.found)} has ${subnet.found.cidr}, the configuration ${region.mgmt.cidr}`);
            } else if ((network === undefined && refusals.length === refusedBefore) || (network !== undefined && subnet.found.network_id !== network.id)) {
                // (A network already refused explains its subnet: no second message.)
                refusals.push(`regions[${i}].mgmt.subnet: ${describe("subnet", subnet.found)} is on network ${subnet.found.network_id}, which is not the region's management network`);
            }
        }
        if (network !== undefined) entry.network = network;
        if (subnet !== undefined) entry.subnet = subnet;
        for (const port of Object.values(entry.ports)) {
            if (network !== undefined && port.found.network_id !== network.id) {
                refusals.push(`regions[${i}].mgmt.network: ${describe("health-manager port", port.found)} is on network ${port.found.network_id}, not ${network.id}`);
            }
        }
    });

    if (refusals.length > 0 && !model.adopt) {
        refusals.push("set tricircle-lbaas:adopt to true to take over what exists (README: \"Taking over a deployment made by hand\"), or remove it");
    }
    return { refusals, adopted, plane };
}
