import * as pulumi from "@pulumi/pulumi";

/**
 * How the binding provider reaches a region's Neutron: Keystone's URL, the ready-made v3 auth request body
 * (built in the program from the stack's credentials), and TLS settings. Always passed as a secret.
 */
export interface NeutronAccess {
    authUrl: string;
    /** Keystone v3 `POST /auth/tokens` body, as JSON text. */
    authBody: string;
    interface: string;
    insecure: boolean;
    cacertFile?: string;
}

interface BindingInputs {
    portId: string;
    hostId: string;
    region: string;
    access: NeutronAccess;
}

interface BindingOutputs extends BindingInputs {
    boundHostId: string;
}

// Credentials: the program resolves them (openstack:* settings, clouds.yaml, OS_*) and hands them in as the secret
// input `access`, which the state keeps and which `read` and `delete` use. Rotating them is a change like any other:
// `diff` compares the stored credentials with the program's and reports an in-place update, and `update` stores the
// new ones (after trying them on Keystone) without touching the port again; from then on `refresh` and `destroy`
// authenticate with the new ones. Reading them at run time instead (the dynamic provider's `configure` receives the
// stack's configuration) was not chosen: `refresh` and `destroy` run without the program, so every other resource of
// the stack talks to OpenStack through its explicit provider's credentials as stored in the state, and after a
// rotation those are only renewed by a `pulumi up`; the bindings follow the same rule instead of a second one. It also
// keeps a delete going to the cloud that holds the binding: after a switch of `openstack:cloud`, run-time credentials
// would unbind in the new cloud, where a 404 counts as done, and leave the old port bound.

// Pulumi serialises this object and the functions it calls into the state and runs them in a separate provider
// process, without this module around them: they require what they need at call time and capture nothing else.
export const neutronBindingProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: BindingInputs, news: BindingInputs) {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        if (!news.hostId) failures.push({ property: "hostId", reason: "the controller's Neutron host id must not be empty" });
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: BindingOutputs, news: BindingInputs) {
        const replaces = ["portId", "region"].filter((k) => (olds as any)[k] !== (news as any)[k]);
        const hostChanged = olds.boundHostId !== news.hostId || olds.hostId !== news.hostId;
        // Compared here, never shown: the engine prints the secret input as [secret].
        const credentialsChanged = !sameAccess(olds.access, news.access);
        return {
            changes: replaces.length > 0 || hostChanged || credentialsChanged,
            replaces,
            deleteBeforeReplace: true,
        };
    },

    async create(inputs: BindingInputs) {
        const api = await neutronPortApi(inputs.access, inputs.region);
        const port = await api.call("PUT", inputs.portId, { port: { "binding:host_id": inputs.hostId } });
        if (port === undefined) throw new Error(`Neutron port ${inputs.portId} does not exist in ${inputs.region}`);
        return { id: inputs.portId, outs: { ...inputs, boundHostId: port["binding:host_id"] ?? inputs.hostId } };
    },

    async update(_id: string, olds: BindingOutputs, news: BindingInputs) {
        const api = await neutronPortApi(news.access, news.region);
        if (olds.boundHostId === news.hostId && olds.hostId === news.hostId) {
            // Only the credentials changed, and they have just worked on Keystone (a wrong one fails this update,
            // not a later destroy). The binding is as wanted: the port is left alone.
            return { outs: { ...news, boundHostId: olds.boundHostId } };
        }
        const port = await api.call("PUT", news.portId, { port: { "binding:host_id": news.hostId } });
        if (port === undefined) throw new Error(`Neutron port ${news.portId} does not exist in ${news.region}`);
        return { outs: { ...news, boundHostId: port["binding:host_id"] ?? news.hostId } };
    },

    async read(id: string, props: BindingOutputs) {
        const api = await neutronPortApi(props.access, props.region);
        const port = await api.call("GET", id);
        if (port === undefined) return { id: "", props: {} };
        return { id, props: { ...props, boundHostId: port["binding:host_id"] ?? "" } };
    },

    async delete(id: string, props: BindingOutputs) {
        // Unbinding a port that is already gone is done.
        const api = await neutronPortApi(props.access, props.region);
        await api.call("PUT", id, { port: { "binding:host_id": "" } });
    },
};

/**
 * Whether two credential sets are the same, whatever the key order of the auth body. An unknown (preview) or missing
 * value counts as different: an update then stores what the program resolved.
 */
export function sameAccess(a: NeutronAccess | undefined, b: NeutronAccess | undefined): boolean {
    function canonical(value: unknown): unknown {
        if (Array.isArray(value)) return value.map(canonical);
        if (value && typeof value === "object") {
            return Object.fromEntries(
                Object.keys(value)
                    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
                    .sort()
                    .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
            );
        }
        return value;
    }
    function form(access: NeutronAccess | undefined): string | undefined {
        if (!access || typeof access !== "object") return undefined;
        let body: unknown = access.authBody;
        try {
            body = JSON.parse(access.authBody);
        } catch {
            // Compared as text.
        }
        return JSON.stringify(canonical({ ...access, authBody: body }));
    }
    const fa = form(a);
    return fa !== undefined && fa === form(b);
}

/** How long the binding provider keeps trying one request through a short outage (see BINDING_RETRY). */
export interface RetryPolicy {
    /** No new attempt starts once this many milliseconds have passed since the first. */
    budgetMs: number;
    /** The first pause; each next one doubles, up to `maxDelayMs`. */
    firstDelayMs: number;
    maxDelayMs: number;
}

/**
 * The binding provider's bound: attempts for up to 60 s, pausing 0.5, 1, 2, 4, then 5 s between them. A restart of
 * neutron-server on the local cloud keeps its API away for 8 s (7.9-8.6 s over 3 runs of
 * lab/restart-neutron.sh, 2 shared cores), and a production neutron-server with many API workers
 * takes a few times that; 60 s rides those out with a margin, and stops a real outage from holding `pulumi up` for
 * longer than a minute per binding. The pause is capped at 5 s so the first attempt after the API is back comes
 * within 5 s of it. A copy of these numbers is written in neutronPortApi's default (the serialised provider cannot
 * refer to a module-level constant); test/unit/portHostBindingRetry.test.ts checks that they agree.
 */
export const BINDING_RETRY: RetryPolicy = { budgetMs: 60_000, firstDelayMs: 500, maxDelayMs: 5_000 };

/**
 * An unwanted HTTP answer as an error carrying its status (a plain Error: the serialised provider keeps to functions).
 * 502, 503 and 504 (a proxy, or a server starting or stopping) are worth another try, any other is final.
 */
export function httpAnswer(status: number, message: string): Error & { status: number } {
    return Object.assign(new Error(message), { status });
}

/**
 * Whether a failed attempt may succeed when tried again: no answer at all (refused, reset, unreachable, timed out:
 * the API is restarting or a pooled connection died) or a 502/503/504. A 4xx, a 500 and anything else are final.
 */
export function transientFailure(err: unknown): boolean {
    const status = (err as { status?: unknown })?.status;
    if (typeof status === "number") return status === 502 || status === 503 || status === 504;
    const code = (err as { code?: unknown })?.code;
    if (typeof code === "string") {
        return ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"].includes(code);
    }
    return /timed out after|socket hang up/.test(String((err as Error)?.message ?? ""));
}

/**
 * Runs `attempt` until it succeeds, fails for good (transientFailure says no), or the policy's budget is spent,
 * pausing with a doubling, capped delay in between; the error names `what`, the attempts and the last failure.
 */
export async function withBackoff<T>(what: string, policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
    const start = Date.now();
    let delay = policy.firstDelayMs;
    for (let tries = 1; ; tries++) {
        try {
            return await attempt();
        } catch (err) {
            const message = (err as Error)?.message ?? String(err);
            if (!transientFailure(err)) throw new Error(`${what}: ${message}`);
            const elapsed = Date.now() - start;
            if (elapsed + delay > policy.budgetMs) {
                throw new Error(`${what}: ${message} (still failing after ${tries} attempts in ${Math.round(elapsed / 1000)} s)`);
            }
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(delay * 2, policy.maxDelayMs);
        }
    }
}

/**
 * An authenticated session with the port API of a region's Neutron: Keystone is asked for a token and the catalog
 * for the region's network endpoint up front, so that merely opening one proves the credentials. `call` returns the
 * port, or undefined on 404. Every request rides out a short outage of Keystone or Neutron (`policy`).
 */
export async function neutronPortApi(
    access: NeutronAccess,
    region: string,
    // BINDING_RETRY, written out: the serialised provider carries no module scope.
    policy: RetryPolicy = { budgetMs: 60_000, firstDelayMs: 500, maxDelayMs: 5_000 },
): Promise<{ call(method: "GET" | "PUT", portId: string, body?: unknown): Promise<any> }> {
    // Required here, not imported: the serialised provider carries no module scope.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const http = require("http");
    const https = require("https");
    const fs = require("fs");
    /* eslint-enable @typescript-eslint/no-require-imports */

    function request(url: string, verb: string, headers: Record<string, string>, payload?: unknown): Promise<{ status: number; headers: any; body: string }> {
        const target = new URL(url);
        const lib = target.protocol === "https:" ? https : http;
        const data = payload === undefined ? undefined : typeof payload === "string" ? payload : JSON.stringify(payload);
        return new Promise((resolve, reject) => {
            const req = lib.request(
                target,
                {
                    method: verb,
                    headers: { Accept: "application/json", ...(data ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } : {}), ...headers },
                    rejectUnauthorized: !access.insecure,
                    ca: access.cacertFile ? fs.readFileSync(access.cacertFile) : undefined,
                    timeout: 30_000,
                },
                (res: any) => {
                    let text = "";
                    res.setEncoding("utf8");
                    res.on("data", (chunk: string) => (text += chunk));
                    res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${verb} ${target.origin}${target.pathname} timed out after 30 s`)));
            req.on("error", reject);
            if (data) req.write(data);
            req.end();
        });
    }

    const base = access.authUrl.replace(/\/+$/, "");
    const tokensUrl = /\/v3$/.test(base) ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`;
    const auth = await withBackoff("Keystone authentication", policy, async () => {
        const res = await request(tokensUrl, "POST", {}, access.authBody);
        if (res.status !== 201) throw httpAnswer(res.status, `Keystone answered ${res.status} at ${tokensUrl}`);
        return res;
    });
    const token = auth.headers["x-subject-token"];
    const catalog: any[] = JSON.parse(auth.body).token.catalog ?? [];
    const endpoint = catalog
        .filter((s) => s.type === "network")
        .flatMap((s) => s.endpoints)
        .find((e: any) => (e.region_id ?? e.region) === region && e.interface === access.interface);
    if (!endpoint) {
        throw new Error(`no ${access.interface} network endpoint for region "${region}" in the Keystone catalog`);
    }
    const root = String(endpoint.url).replace(/\/+$/, "");
    const portsUrl = `${/\/v2\.0$/.test(root) ? root : `${root}/v2.0`}/ports`;
    return {
        async call(method: "GET" | "PUT", portId: string, body?: unknown): Promise<any> {
            const portUrl = `${portsUrl}/${encodeURIComponent(portId)}`;
            const res = await withBackoff(`Neutron ${method} port ${portId} in ${region}`, policy, async () => {
                const r = await request(portUrl, method, { "X-Auth-Token": token }, body);
                if (r.status >= 500) throw httpAnswer(r.status, `Neutron answered ${r.status}: ${r.body.slice(0, 200)}`);
                return r;
            });
            if (res.status === 404) return undefined;
            if (res.status < 200 || res.status > 299) {
                throw new Error(`Neutron ${method} ${portUrl} in ${region} answered ${res.status}: ${res.body.slice(0, 500)}`);
            }
            return JSON.parse(res.body).port;
        },
    };
}

export interface PortHostBindingArgs {
    /** The health-manager port to bind (a central port, which Tricircle mirrors into the local region). */
    portId: pulumi.Input<string>;
    /** Neutron's host id of the controller (its `hostname`), i.e. `binding:host_id`. */
    hostId: pulumi.Input<string>;
    /** The local region whose Neutron holds the binding (Tricircle binds in the local region, not the central one). */
    region: pulumi.Input<string>;
    /** Credentials and endpoint options for that Neutron (secret in the state; a change never rebinds). */
    access: pulumi.Input<NeutronAccess>;
}

/**
 * `openstack --os-region-name <region> port set --host <hostname> <port>` as a resource: create binds, a host
 * change rebinds in place, a credential change is stored in place (the port untouched), delete unbinds, refresh
 * reads the binding back. The provider's own Port resource can
 * only set the binding through the central region's Neutron, which is not where Tricircle needs it.
 */
export class PortHostBinding extends pulumi.dynamic.Resource {
    declare public readonly portId: pulumi.Output<string>;
    declare public readonly hostId: pulumi.Output<string>;
    declare public readonly region: pulumi.Output<string>;
    declare public readonly boundHostId: pulumi.Output<string>;

    constructor(name: string, args: PortHostBindingArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            neutronBindingProvider,
            name,
            { ...args, access: pulumi.secret(args.access), boundHostId: undefined },
            { ...opts, additionalSecretOutputs: ["access"] },
            "neutron",
            "PortHostBinding",
        );
    }
}
