// `npm run doctor -- --orphans [--fix]` and the crash e2e, the planning half (pure: the state and the cloud's objects in,
// what to do out; tools/doctor/cloudObjects.ts talks to the cloud): the way back to a clean state after an interrupted `up`.
// A hard stop (kill -9, a lost runner) leaves creates in the state as pending operations without ids, while the
// cloud may already hold the objects: the next `up` would make them again, under the same names. The stack's tags
// (components/tags.ts) tell its objects apart from an operator's: an object with this stack's tag whose id is not in
// the state is an orphan. `--fix` adopts each orphan that a pending create claims (same type, its key tag naming the
// pending resource) into the state under that URN, deletes the orphans nothing claims, drops the pending creates
// that found no object, and refreshes so the adopted resources get their real outputs. Neutron takes tags in a call
// of their own after the create, so a kill between the two leaves an object with no tag at all: a pending create
// also claims the one untagged object of its type and exact name (two such objects: the fix refuses and names them).
// It never deletes an object without this stack's tag.
import { keyTag, TAGGED_TYPES } from "../../components/cloud/tags";
import type { ChildKind } from "./childClaims";

/** The kinds of cloud object the stack tags, by the API collection that lists them. */
export type ObjectKind = "security-group" | "network" | "subnet" | "port" | "loadbalancer" | "listener" | "server";

/** The Pulumi type of each kind (components/tags.ts TAGGED_TYPES): what a pending create must be to claim one. */
export const TYPE_OF_KIND: Readonly<Record<ObjectKind, string>> = {
    "security-group": "openstack:networking/secGroup:SecGroup",
    network: "openstack:networking/network:Network",
    subnet: "openstack:networking/subnet:Subnet",
    port: "openstack:networking/port:Port",
    loadbalancer: "openstack:loadbalancer/loadBalancer:LoadBalancer",
    listener: "openstack:loadbalancer/listener:Listener",
    server: "openstack:compute/instance:Instance",
};

/**
 * The order deletes go in: what depends on an object first (a listener before its load balancer, a port before its
 * network; a load balancer is deleted with `cascade`, which takes its amphora's ports along).
 */
export const DELETE_ORDER: readonly ObjectKind[] = ["listener", "loadbalancer", "server", "port", "subnet", "network", "security-group"];

/** A tagged kind, or an untagged one that a pending create claims (tools/doctor/childClaims.ts). */
export type AnyKind = ObjectKind | ChildKind;

export interface CloudObject<K extends AnyKind = ObjectKind> {
    kind: K;
    id: string;
    name: string;
    region: string;
    tags: string[];
}

interface StateResource {
    urn: string;
    type: string;
    id?: string;
    custom?: boolean;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    [key: string]: unknown;
}

/** Also exported for the cloud side and the repair. */
export interface Deployment {
    resources?: StateResource[];
    pending_operations?: Array<{ resource: StateResource; type: string; [key: string]: unknown }>;
    [key: string]: unknown;
}

export interface PendingOperation {
    /** `creating`, `updating`, `deleting`, `reading`, `importing`. */
    operation: string;
    urn: string;
    type: string;
}

/** The last part of a URN: the resource's name, the one its key tag carries. */
export function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

export function pendingOperations(deployment: Deployment): PendingOperation[] {
    return (deployment.pending_operations ?? []).map((op) => ({ operation: op.type, urn: op.resource.urn, type: op.resource.type }));
}

export interface OrphanPlan {
    /** Orphans a pending create claims: adopted under its URN. */
    adopt: Array<{ urn: string; object: CloudObject<AnyKind> }>;
    /** Orphans nothing claims: deleted. */
    delete: CloudObject[];
    /** Pending creates that found no object on the cloud: dropped (the next `up` creates them). */
    drop: string[];
    /** Pending creates with more than one untagged object of their name: the fix refuses, for the operator to pick. */
    ambiguous: Array<{ urn: string; candidates: Array<CloudObject<AnyKind>> }>;
}

const KIND_OF_TYPE = new Map(Object.entries(TYPE_OF_KIND).map(([kind, type]) => [type, kind as ObjectKind]));

/** The pending creates of tagged types: their kind, and the name each asked the cloud for. */
export function pendingCreates(deployment: Deployment): Array<{ urn: string; kind: ObjectKind; name?: string }> {
    return (deployment.pending_operations ?? [])
        .filter((op) => op.type === "creating" && TAGGED_TYPES.has(op.resource.type))
        .map((op) => {
            const name = op.resource.inputs?.name;
            return { urn: op.resource.urn, kind: KIND_OF_TYPE.get(op.resource.type)!, name: typeof name === "string" && name ? name : undefined };
        });
}

/**
 * What `--fix` does, decided from the state and the cloud's objects alone (pure). An orphan is claimed by the
 * pending create of its kind's type whose name its key tag carries; two objects with one key (a create that was
 * retried by hand) leave one to adopt and the rest to delete. A create no tagged orphan claims takes the one object
 * in `untagged` (objects without any tag) of its type and exact name; with two or more it is ambiguous.
 */
export function planOrphans(deployment: Deployment, tagged: CloudObject[], untagged: CloudObject[] = []): OrphanPlan {
    const known = new Set((deployment.resources ?? []).filter((r) => r.id).map((r) => `${r.type}\u0000${r.id}`));
    const orphans = tagged.filter((o) => !known.has(`${TYPE_OF_KIND[o.kind]}\u0000${o.id}`));
    const strays = untagged.filter((o) => o.tags.length === 0 && !known.has(`${TYPE_OF_KIND[o.kind]}\u0000${o.id}`));
    const plan: OrphanPlan = { adopt: [], delete: [], drop: [], ambiguous: [] };
    const taken = new Set<string>();
    for (const op of pendingCreates(deployment)) {
        const key = keyTag(urnName(op.urn));
        const object = orphans.find((o) => !taken.has(o.id) && o.kind === op.kind && o.tags.includes(key));
        const named = object ? [] : strays.filter((o) => !taken.has(o.id) && o.kind === op.kind && op.name !== undefined && o.name === op.name);
        const claimed = object ?? (named.length === 1 ? named[0] : undefined);
        if (claimed) {
            taken.add(claimed.id);
            plan.adopt.push({ urn: op.urn, object: claimed });
        } else if (named.length > 1) plan.ambiguous.push({ urn: op.urn, candidates: named });
        else plan.drop.push(op.urn);
    }
    plan.delete = orphans.filter((o) => !taken.has(o.id)).sort((a, b) => DELETE_ORDER.indexOf(a.kind) - DELETE_ORDER.indexOf(b.kind));
    return plan;
}

/**
 * The state after the plan (pure): each adopted pending create becomes a resource with the object's id (at the end,
 * after its parent and dependencies, which were in the state before its create began), its inputs standing in for
 * outputs until the refresh that follows reads the real ones; the dropped creates leave the pending list. Other
 * pending operations (an interrupted update or delete of an object that has an id) stay for the refresh to settle.
 */
export function adoptIntoState(deployment: Deployment, plan: OrphanPlan): Deployment {
    const adopted = new Map(plan.adopt.map((a) => [a.urn, a.object.id]));
    const settled = new Set([...adopted.keys(), ...plan.drop]);
    const resources = [...(deployment.resources ?? [])];
    for (const op of deployment.pending_operations ?? []) {
        const id = op.type === "creating" ? adopted.get(op.resource.urn) : undefined;
        if (id !== undefined) resources.push({ ...op.resource, id, custom: true, outputs: { ...(op.resource.inputs ?? {}), id } });
    }
    const pending = (deployment.pending_operations ?? []).filter((op) => !(op.type === "creating" && settled.has(op.resource.urn)));
    return { ...deployment, resources, pending_operations: pending };
}

/** One object per line, for the report: `<kind> <name> <id> (<region>)`. */
export function describeObject(o: CloudObject<AnyKind>): string {
    return `${o.kind} ${o.name || "(no name)"} ${o.id} (${o.region})`;
}
