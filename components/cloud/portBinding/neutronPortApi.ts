// The port API of one region's Neutron, as the port providers call it: a Keystone token and the catalog's network
// endpoint for the region, then GET and PUT of one port and the list of the region's agents, each request riding out
// a short outage with a bounded backoff.
import { NeutronAgent } from "./bindingCheck";
import { NeutronAccess } from "./neutronAccess";

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

/** One region's Neutron, authenticated: `request` answers with the status and the parsed body (undefined on 404). */
export interface NeutronSession {
    /** The region's network endpoint with its `/v2.0` (the catalog's, for messages). */
    root: string;
    request(method: "GET" | "PUT", path: string, body?: unknown): Promise<any>;
}

/**
 * An authenticated session with a region's Neutron: Keystone is asked for a token and the catalog for the region's
 * network endpoint up front, so that merely opening one proves the credentials. Every request rides out a short
 * outage of Keystone or Neutron (`policy`); a 404 answers undefined, any other failure throws with the status.
 */
export async function neutronSession(
    access: NeutronAccess,
    region: string,
    // BINDING_RETRY, written out: the serialised provider carries no module scope.
    policy: RetryPolicy = { budgetMs: 60_000, firstDelayMs: 500, maxDelayMs: 5_000 },
): Promise<NeutronSession> {
    return catalogSession(access, region, { type: "network", name: "Neutron", version: "/v2.0" }, policy);
}

/** A service of the Keystone catalog: its type, its name for messages, and the API version its paths start under. */
export interface CatalogService {
    type: string;
    name: string;
    version: string;
}

/**
 * The same for any service of the catalog (`neutronSession` is this for the network service): Glance, for the
 * amphora image check, with the same credentials, retries and messages.
 */
export async function catalogSession(
    access: NeutronAccess,
    region: string,
    service: CatalogService,
    policy: RetryPolicy = { budgetMs: 60_000, firstDelayMs: 500, maxDelayMs: 5_000 },
): Promise<NeutronSession> {
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
        .filter((s) => s.type === service.type)
        .flatMap((s) => s.endpoints)
        .find((e: any) => (e.region_id ?? e.region) === region && e.interface === access.interface);
    if (!endpoint) {
        throw new Error(`no ${access.interface} ${service.type} endpoint for region "${region}" in the Keystone catalog`);
    }
    const endpointUrl = String(endpoint.url).replace(/\/+$/, "");
    const root = endpointUrl.endsWith(service.version) ? endpointUrl : `${endpointUrl}${service.version}`;
    return {
        root,
        async request(method: "GET" | "PUT", path: string, body?: unknown): Promise<any> {
            const url = `${root}${path}`;
            const res = await withBackoff(`${service.name} ${method} ${path} in ${region}`, policy, async () => {
                const r = await request(url, method, { "X-Auth-Token": token }, body);
                if (r.status >= 500) throw httpAnswer(r.status, `${service.name} answered ${r.status}: ${r.body.slice(0, 200)}`);
                return r;
            });
            if (res.status === 404) return undefined;
            if (res.status < 200 || res.status > 299) {
                throw new Error(`${service.name} ${method} ${url} in ${region} answered ${res.status}: ${res.body.slice(0, 500)}`);
            }
            // An accepted request may answer with no body at all (Octavia's 202 to an amphora's config push).
            return res.body.trim() === "" ? {} : JSON.parse(res.body);
        },
    };
}

/** One region's Neutron as the port providers use it: a port by id, and the region's agents. */
export interface NeutronPortApi {
    /** The port after `method`, or undefined on 404. */
    call(method: "GET" | "PUT", portId: string, body?: unknown): Promise<any>;
    /** Every agent of the region (`GET /v2.0/agents`: admin only, as setting a binding host is). */
    agents(): Promise<NeutronAgent[]>;
}

/** The port API of a region's Neutron: `call` returns the port, or undefined on 404. */
export async function neutronPortApi(
    access: NeutronAccess,
    region: string,
    // BINDING_RETRY, written out: the serialised provider carries no module scope.
    policy: RetryPolicy = { budgetMs: 60_000, firstDelayMs: 500, maxDelayMs: 5_000 },
): Promise<NeutronPortApi> {
    const session = await neutronSession(access, region, policy);
    return {
        async call(method: "GET" | "PUT", portId: string, body?: unknown): Promise<any> {
            const answer = await session.request(method, `/ports/${encodeURIComponent(portId)}`, body);
            return answer?.port;
        },
        async agents(): Promise<NeutronAgent[]> {
            const answer = await session.request("GET", "/agents");
            return answer?.agents ?? [];
        },
    };
}
