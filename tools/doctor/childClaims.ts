// The repair's planning half for what the stack makes without tags (pure: the state and the listed objects in, what
// to adopt out; tools/doctor/cloudObjects.ts lists). A security group rule, a flavor and its access, a keypair, a
// pool and a health monitor take no tags (their API has none, or the npm SDK drops the input), so `doctor --orphans`
// cannot find them by the stack's tag. Yet a kill during such a create leaves the object on the cloud and a pending
// create in the state, and the next `up` asks for it again, which the API refuses: a rule's spec is unique within its
// group, a flavor's name within its Nova, a keypair's name within its user, a listener takes one default pool and a
// pool one health monitor. So each such pending create is matched to the object it may have made by what it was
// created with: its parent (the group, flavor, listener or pool, all of them the stack's own: the pending create
// names their ids) and its spec or its name (a flavor's and a keypair's carry the stack's and the region's names; a
// keypair must also hold the public key the create sent, or it is somebody else's). One match is adopted under the
// pending URN; none leaves the create to the next `up`; two or more are named for the operator, and the fix changes
// nothing.
import { CloudObject, Deployment } from "./orphans";

/** The untagged kinds a pending create is matched for. */
export type ChildKind = "security-group-rule" | "flavor" | "flavor-access" | "keypair" | "pool" | "health-monitor";

export const TYPE_OF_CHILD: Readonly<Record<ChildKind, string>> = {
    "security-group-rule": "openstack:networking/secGroupRule:SecGroupRule",
    flavor: "openstack:compute/flavor:Flavor",
    "flavor-access": "openstack:compute/flavorAccess:FlavorAccess",
    keypair: "openstack:compute/keypair:Keypair",
    pool: "openstack:loadbalancer/pool:Pool",
    "health-monitor": "openstack:loadbalancer/monitor:Monitor",
};

const CHILD_OF_TYPE = new Map(Object.entries(TYPE_OF_CHILD).map(([kind, type]) => [type, kind as ChildKind]));

/** Where the objects a pending create may have made are listed, and which of them it made. */
export interface ChildQuery {
    urn: string;
    kind: ChildKind;
    service: "network" | "load-balancer" | "compute";
    /** Path and query under the service's endpoint. */
    path: string;
    /** The JSON key of the list in the answer. */
    key: string;
    /** Headers the listing needs (a microversion). */
    headers?: Record<string, string>;
    /** Whether a listed object is what the pending create asked for. */
    made: (o: Record<string, unknown>) => boolean;
    /** The object's id as the provider records it (a flavor access has none of its own). */
    idOf: (o: Record<string, unknown>) => string;
    /** The object's name for the report. */
    describe: (o: Record<string, unknown>) => string;
}

type Inputs = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
/** A port bound as the provider sends it: 0 or unset means none. */
const port = (v: unknown): number | null => (typeof v === "number" && v !== 0 ? v : null);
const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => String((x as { id?: unknown }).id)) : []);
const q = encodeURIComponent;

/** The query for one pending create of an untagged kind, or undefined when its inputs cannot name its object. */
function queryOf(urn: string, kind: ChildKind, inputs: Inputs): ChildQuery | undefined {
    const base = { urn, kind, idOf: (o: Inputs) => String(o.id), describe: (o: Inputs) => String(o.name ?? o.id) };
    switch (kind) {
        case "security-group-rule": {
            const group = str(inputs.securityGroupId);
            if (!group) return undefined;
            const want = {
                direction: str(inputs.direction) ?? null,
                ethertype: str(inputs.ethertype) ?? null,
                protocol: str(inputs.protocol) ?? null,
                port_range_min: port(inputs.portRangeMin),
                port_range_max: port(inputs.portRangeMax),
                remote_ip_prefix: str(inputs.remoteIpPrefix) ?? null,
                remote_group_id: str(inputs.remoteGroupId) ?? null,
            };
            return {
                ...base,
                service: "network",
                path: `/v2.0/security-group-rules?security_group_id=${q(group)}`,
                key: "security_group_rules",
                made: (o) => o.security_group_id === group && Object.entries(want).every(([k, v]) => (o[k] ?? null) === v),
                describe: (o) => {
                    const text = (v: unknown, none: string) => (typeof v === "string" || typeof v === "number" ? String(v) : none);
                    const ports = o.port_range_min == null ? "" : ` ${text(o.port_range_min, "")}-${text(o.port_range_max, "")}`;
                    return `${text(o.direction, "?")} ${text(o.protocol, "any")}${ports} from ${text(o.remote_ip_prefix ?? o.remote_group_id, "anywhere")} in group ${group}`;
                },
            };
        }
        case "flavor": {
            const name = str(inputs.name);
            if (!name) return undefined;
            // Private flavors are listed to an admin with is_public=None only.
            return { ...base, service: "compute", path: "/flavors/detail?is_public=None", key: "flavors", made: (o) => o.name === name };
        }
        case "flavor-access": {
            const flavor = str(inputs.flavorId);
            const tenant = str(inputs.tenantId);
            if (!flavor || !tenant) return undefined;
            return {
                ...base,
                service: "compute",
                path: `/flavors/${q(flavor)}/os-flavor-access`,
                key: "flavor_access",
                made: (o) => o.flavor_id === flavor && o.tenant_id === tenant,
                // The provider's id of a flavor access: flavor and project.
                idOf: () => `${flavor}/${tenant}`,
                describe: () => `flavor ${flavor} for project ${tenant}`,
            };
        }
        case "keypair": {
            const name = str(inputs.name);
            const publicKey = str(inputs.publicKey)?.trim();
            if (!name || !publicKey) return undefined;
            const user = str(inputs.userId);
            // Nova lists each keypair wrapped in its own object; another user's keypairs from microversion 2.10 on.
            const kp = (o: Inputs) => (o.keypair ?? {}) as Inputs;
            return {
                ...base,
                service: "compute",
                path: `/os-keypairs${user ? `?user_id=${q(user)}` : ""}`,
                key: "keypairs",
                headers: { "OpenStack-API-Version": "compute 2.10", "X-OpenStack-Nova-API-Version": "2.10" },
                made: (o) => kp(o).name === name && str(kp(o).public_key)?.trim() === publicKey,
                // The provider's id of a keypair is its name.
                idOf: (o) => String(kp(o).name),
                describe: (o) => `${String(kp(o).name)}${user ? ` of user ${user}` : ""}`,
            };
        }
        case "pool": {
            const listener = str(inputs.listenerId);
            const name = str(inputs.name);
            if (!listener || !name) return undefined;
            return { ...base, service: "load-balancer", path: `/v2/lbaas/pools?name=${q(name)}`, key: "pools", made: (o) => o.name === name && ids(o.listeners).includes(listener) };
        }
        case "health-monitor": {
            const pool = str(inputs.poolId);
            const name = str(inputs.name);
            if (!pool || !name) return undefined;
            return { ...base, service: "load-balancer", path: `/v2/lbaas/healthmonitors?name=${q(name)}`, key: "healthmonitors", made: (o) => o.name === name && ids(o.pools).includes(pool) };
        }
    }
}

/** The pending creates of untagged kinds whose inputs name their object, with where to look for it. */
export function childQueries(deployment: Deployment): ChildQuery[] {
    return (deployment.pending_operations ?? []).flatMap((op) => {
        const kind = op.type === "creating" ? CHILD_OF_TYPE.get(op.resource.type) : undefined;
        const query = kind ? queryOf(op.resource.urn, kind, op.resource.inputs ?? {}) : undefined;
        return query ? [query] : [];
    });
}

export interface ChildPlan {
    adopt: Array<{ urn: string; object: CloudObject<ChildKind> }>;
    ambiguous: Array<{ urn: string; candidates: Array<CloudObject<ChildKind>> }>;
}

/**
 * What the fix does with each query's listed objects (per region, an endpoint shared by regions listed once): the
 * one object it made is adopted; with none the create is left to the next `up` (the refresh after the fix clears it);
 * with several the operator picks.
 */
export function claimChildren(found: Array<{ query: ChildQuery; region: string; objects: Array<Record<string, unknown>> }>): ChildPlan {
    const plan: ChildPlan = { adopt: [], ambiguous: [] };
    const byUrn = new Map<string, Array<CloudObject<ChildKind>>>();
    for (const { query, region, objects } of found) {
        const made = objects.filter(query.made).map((o) => ({ kind: query.kind, id: query.idOf(o), name: query.describe(o), region, tags: [] }));
        byUrn.set(query.urn, [...(byUrn.get(query.urn) ?? []), ...made]);
    }
    for (const [urn, candidates] of byUrn) {
        if (candidates.length === 1) plan.adopt.push({ urn, object: candidates[0] });
        else if (candidates.length > 1) plan.ambiguous.push({ urn, candidates });
    }
    return plan;
}
