// What the cloud already holds of the management plane, read from Neutron before the program registers anything:
// the security groups by their configured names (with their rules), the health-manager ports (by device owner, and
// by the names the stack gives them) with their networks and subnets, and the management networks and subnets by
// their configured names. Read with the credentials of the host bindings, in `pulumi preview` too: a plane made by
// hand must be seen before a second one is planned.
import { neutronSession, NeutronSession } from "../cloud/portBinding/neutronPortApi";
import { HEALTH_MANAGER_DEVICE_OWNER } from "../config/names";
import { NeutronAccess } from "../cloud/portBinding/neutronAccess";


export interface FoundRule {
    id: string;
    direction: "ingress" | "egress";
    ethertype: "IPv4" | "IPv6";
    protocol: string | null;
    port_range_min: number | null;
    port_range_max: number | null;
    remote_ip_prefix: string | null;
    remote_group_id: string | null;
}

export interface FoundGroup {
    id: string;
    name: string;
    project_id: string;
    description: string;
    tags: string[];
    security_group_rules: FoundRule[];
}

export interface FoundNetwork {
    id: string;
    name: string;
    project_id: string;
    shared: boolean;
    admin_state_up: boolean;
    tags: string[];
}

export interface FoundSubnet {
    id: string;
    name: string;
    network_id: string;
    project_id: string;
    cidr: string;
    ip_version: 4 | 6;
    gateway_ip: string | null;
    enable_dhcp: boolean;
    allocation_pools: { start: string; end: string }[];
    tags: string[];
}

export interface FoundPort {
    id: string;
    name: string;
    network_id: string;
    project_id: string;
    mac_address: string;
    fixed_ips: { subnet_id: string; ip_address: string }[];
    security_groups: string[];
    device_owner: string;
    admin_state_up: boolean;
    "binding:host_id": string;
    tags: string[];
}

/** Everything found, each object once. */
export interface Inventory {
    groups: FoundGroup[];
    networks: FoundNetwork[];
    subnets: FoundSubnet[];
    ports: FoundPort[];
}

/** The names the stack would give the plane's objects: what the inventory looks for besides the ports' owners. */
export interface InventoryQuery {
    centralRegion: string;
    localRegions: string[];
    groupNames: string[];
    networkNames: string[];
    subnetNames: string[];
    portNames: string[];
}

function query(filters: [string, string][]): string {
    return filters.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}

/** One listing, filtered by repeated values of one field (Neutron ORs them); nothing asked, nothing listed. */
async function list<T>(session: NeutronSession, collection: string, field: string, values: string[]): Promise<T[]> {
    const unique = [...new Set(values)];
    if (unique.length === 0) return [];
    const answer = await session.request("GET", `/${collection}?${query(unique.map((v) => [field, v]))}`);
    return ((answer ?? {})[collection.replace(/-/g, "_")] ?? []) as T[];
}

function byId<T extends { id: string }>(items: T[]): T[] {
    return [...new Map(items.map((i) => [i.id, i])).values()];
}

/**
 * Reads the inventory. A health-manager port is central (Tricircle), but its binding lives in the local region: the
 * binding host each local region reports wins over the central one's (empty there on Tricircle).
 */
export async function readInventory(access: NeutronAccess, q: InventoryQuery): Promise<Inventory> {
    const central = await neutronSession(access, q.centralRegion);
    const groups = await list<FoundGroup>(central, "security-groups", "name", q.groupNames);
    const ports = byId([
        ...(await list<FoundPort>(central, "ports", "device_owner", [HEALTH_MANAGER_DEVICE_OWNER])),
        ...(await list<FoundPort>(central, "ports", "name", q.portNames)),
    ]);
    const seenRoots = new Set([central.root]);
    for (const region of q.localRegions) {
        const local = await neutronSession(access, region);
        // Regions that share one Neutron (the lab) answer once.
        if (seenRoots.has(local.root)) continue;
        seenRoots.add(local.root);
        const bound = await list<FoundPort>(local, "ports", "id", ports.map((p) => p.id));
        for (const port of ports) {
            const host = bound.find((b) => b.id === port.id)?.["binding:host_id"];
            if (host) port["binding:host_id"] = host;
        }
    }
    const networks = byId([
        ...(await list<FoundNetwork>(central, "networks", "name", q.networkNames)),
        ...(await list<FoundNetwork>(central, "networks", "id", ports.map((p) => p.network_id))),
    ]);
    const subnets = byId([
        ...(await list<FoundSubnet>(central, "subnets", "name", q.subnetNames)),
        ...(await list<FoundSubnet>(central, "subnets", "id", ports.flatMap((p) => p.fixed_ips.map((f) => f.subnet_id)))),
    ]);
    return { groups, networks, subnets, ports };
}
