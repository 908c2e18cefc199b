// The cloud side of the orphan repair (tools/doctor/orphans.ts plans it): a token and catalog from Keystone, then
// each region's Neutron, Octavia and Nova, listed by the stack's tag or by exact name, and deletes that wait until
// the object is gone.
import { KeystoneAuth, keystoneAuthBody } from "../../components/cloud/openstackAuth";
import { ChildQuery } from "./childClaims";
import { AnyKind, CloudObject, describeObject, ObjectKind } from "./orphans";

interface Endpoints {
    token: string;
    url(service: "network" | "load-balancer" | "compute", region: string): string | undefined;
}

async function api(method: string, url: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
    const res = await fetch(url, {
        method,
        headers: { "Content-Type": "application/json", Accept: "application/json", ...(token ? { "X-Auth-Token": token } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
        json = text ? JSON.parse(text) : undefined;
    } catch {
        json = undefined;
    }
    return { status: res.status, json, headers: res.headers };
}

/** A token and the catalog of the stack's credentials (the same rules as the providers': resolveKeystoneAuth). */
export async function openCloud(auth: KeystoneAuth): Promise<Endpoints> {
    const base = auth.authUrl.replace(/\/+$/, "");
    const tokensUrl = /\/v3$/.test(base) ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`;
    const res = await api("POST", tokensUrl, undefined, keystoneAuthBody(auth));
    if (res.status !== 201) throw new Error(`Keystone answered ${res.status} at ${tokensUrl}`);
    const token = res.headers.get("x-subject-token") ?? "";
    const catalog = (res.json?.token?.catalog ?? []) as Array<{ type: string; endpoints: Array<{ region: string; region_id?: string; interface: string; url: string }> }>;
    return {
        token,
        url(service, region) {
            const entry = catalog.find((c) => c.type === service);
            const e = entry?.endpoints.find((x) => (x.region === region || x.region_id === region) && x.interface === auth.interface);
            return e?.url.replace(/\/+$/, "");
        },
    };
}

/** The collections the stack's tags are searched in: service, path (with its API prefix), JSON key, kind. */
const COLLECTIONS: ReadonlyArray<{ service: "network" | "load-balancer" | "compute"; path: string; key: string; kind: ObjectKind }> = [
    { service: "network", path: "/v2.0/security-groups", key: "security_groups", kind: "security-group" },
    { service: "network", path: "/v2.0/networks", key: "networks", kind: "network" },
    { service: "network", path: "/v2.0/subnets", key: "subnets", kind: "subnet" },
    { service: "network", path: "/v2.0/ports", key: "ports", kind: "port" },
    { service: "load-balancer", path: "/v2/lbaas/loadbalancers", key: "loadbalancers", kind: "loadbalancer" },
    { service: "load-balancer", path: "/v2/lbaas/listeners", key: "listeners", kind: "listener" },
    { service: "compute", path: "/servers/detail", key: "servers", kind: "server" },
];

// Nova lists and filters server tags from microversion 2.26 on.
const NOVA_TAGS = { "OpenStack-API-Version": "compute 2.26", "X-OpenStack-Nova-API-Version": "2.26" };

type Collection = (typeof COLLECTIONS)[number];

/**
 * Lists each (region, collection, query) in turn and keeps what `keep` accepts. An endpoint that several regions
 * share (one Neutron behind two region names) is listed once, under the first of them, so that no object is counted,
 * or deleted, twice; a service missing from a region's catalog has nothing.
 */
async function listEach(
    cloud: Endpoints,
    regions: string[],
    queries: Array<{ c: Collection; query: string; name?: string }>,
    keep: (o: { id: string; name?: string; tags?: string[] }, asked: { c: Collection; name?: string }) => boolean,
): Promise<CloudObject[]> {
    const out: CloudObject[] = [];
    const listed = new Set<string>();
    for (const region of [...new Set(regions)]) {
        for (const asked of queries) {
            const { c, query } = asked;
            const base = cloud.url(c.service, region);
            const url = `${base}${c.path}?${query}`;
            if (!base || listed.has(url)) continue;
            listed.add(url);
            const res = await api("GET", url, cloud.token, undefined, c.service === "compute" ? NOVA_TAGS : {});
            if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
            for (const o of (res.json?.[c.key] ?? []) as Array<{ id: string; name?: string; tags?: string[] }>) {
                if (keep(o, asked)) out.push({ kind: c.kind, id: o.id, name: o.name ?? "", region, tags: o.tags ?? [] });
            }
        }
    }
    return out;
}

/** Every object in the regions that carries `tag` (shared endpoints listed once). */
export async function listTagged(cloud: Endpoints, regions: string[], tag: string): Promise<CloudObject[]> {
    const queries = COLLECTIONS.map((c) => ({ c, query: `tags=${encodeURIComponent(tag)}` }));
    // A filter the service ignored would list everything: keep only what carries the tag.
    return listEach(cloud, regions, queries, (o) => (o.tags ?? []).includes(tag));
}

/**
 * The objects without any tag of the given kinds and exact names (what a create leaves when it was stopped before
 * its tags were set). Shared endpoints are listed once.
 */
export async function listUntaggedNamed(cloud: Endpoints, regions: string[], wanted: Array<{ kind: ObjectKind; name: string }>): Promise<CloudObject[]> {
    const queries = wanted.map(({ kind, name }) => ({ c: COLLECTIONS.find((x) => x.kind === kind)!, query: `name=${encodeURIComponent(name)}`, name }));
    // Nova's name filter is a pattern: only the exact name counts.
    return listEach(cloud, regions, queries, (o, asked) => o.name === asked.name && (o.tags ?? []).length === 0);
}

/**
 * What each query of an untagged kind finds, per region (an endpoint several regions share is listed once). A parent
 * that is gone (404) has nothing.
 */
export async function listChildren(cloud: Endpoints, regions: string[], queries: ChildQuery[]): Promise<Array<{ query: ChildQuery; region: string; objects: Array<Record<string, unknown>> }>> {
    const out: Array<{ query: ChildQuery; region: string; objects: Array<Record<string, unknown>> }> = [];
    for (const query of queries) {
        const listed = new Set<string>();
        for (const region of [...new Set(regions)]) {
            const base = cloud.url(query.service, region);
            const url = `${base}${query.path}`;
            if (!base || listed.has(url)) continue;
            listed.add(url);
            const res = await api("GET", url, cloud.token, undefined, query.headers);
            if (res.status === 404) continue;
            if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
            out.push({ query, region, objects: (res.json?.[query.key] ?? []) as Array<Record<string, unknown>> });
        }
    }
    return out;
}

/** Deletes one object and waits (up to 120 s) until the API no longer has it. */
export async function deleteObject(cloud: Endpoints, o: CloudObject): Promise<void> {
    const c = COLLECTIONS.find((x) => x.kind === o.kind)!;
    const base = cloud.url(c.service, o.region)!;
    const item = `${base}${c.path.replace(/\/detail$/, "")}/${encodeURIComponent(o.id)}`;
    const del = await api("DELETE", o.kind === "loadbalancer" ? `${item}?cascade=true` : item, cloud.token);
    if (del.status >= 300 && del.status !== 404) throw new Error(`DELETE ${describeObject(o)} answered ${del.status}`);
    const deadline = Date.now() + 120_000;
    for (;;) {
        const res = await api("GET", item, cloud.token);
        const gone = res.status === 404 || (o.kind === "loadbalancer" && res.json?.loadbalancer?.provisioning_status === "DELETED");
        if (gone) return;
        if (Date.now() > deadline) throw new Error(`${describeObject(o)} still there 120 s after its delete`);
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/**
 * Gives an object the stack's tags (Neutron's objects only: the plane the program looks at before it plans). An
 * object a create left untagged would otherwise look like somebody else's to the next `up`, which refuses it.
 * Returns whether it was tagged.
 */
export async function tagObject(cloud: Endpoints, o: CloudObject<AnyKind>, tags: string[]): Promise<boolean> {
    const c = COLLECTIONS.find((x) => x.kind === o.kind);
    if (c?.service !== "network") return false;
    const base = cloud.url(c.service, o.region)!;
    const res = await api("PUT", `${base}${c.path}/${encodeURIComponent(o.id)}/tags`, cloud.token, { tags });
    if (res.status >= 300) throw new Error(`PUT tags of ${describeObject(o)} answered ${res.status}`);
    return true;
}
