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

// Pulumi serialises this object and the functions it calls into the state and runs them in a separate provider
// process, without this module around them: they require what they need at call time and capture nothing else.
export const neutronBindingProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: BindingInputs, news: BindingInputs) {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        if (!news.hostId) failures.push({ property: "hostId", reason: "the controller's Neutron host id must not be empty" });
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: BindingOutputs, news: BindingInputs) {
        // Credentials rotate without the binding changing: they never cause a diff.
        const replaces = ["portId", "region"].filter((k) => (olds as any)[k] !== (news as any)[k]);
        const hostChanged = olds.boundHostId !== news.hostId || olds.hostId !== news.hostId;
        return {
            changes: replaces.length > 0 || hostChanged,
            replaces,
            deleteBeforeReplace: true,
        };
    },

    async create(inputs: BindingInputs) {
        const port = await neutronPortCall(inputs.access, inputs.region, "PUT", inputs.portId, { port: { "binding:host_id": inputs.hostId } });
        return { id: inputs.portId, outs: { ...inputs, boundHostId: port["binding:host_id"] ?? inputs.hostId } };
    },

    async update(_id: string, _olds: BindingOutputs, news: BindingInputs) {
        const port = await neutronPortCall(news.access, news.region, "PUT", news.portId, { port: { "binding:host_id": news.hostId } });
        return { outs: { ...news, boundHostId: port["binding:host_id"] ?? news.hostId } };
    },

    async read(id: string, props: BindingOutputs) {
        const port = await neutronPortCall(props.access, props.region, "GET", id);
        if (port === undefined) return { id: "", props: {} };
        return { id, props: { ...props, boundHostId: port["binding:host_id"] ?? "" } };
    },

    async delete(id: string, props: BindingOutputs) {
        // Unbinding a port that is already gone is done.
        await neutronPortCall(props.access, props.region, "PUT", id, { port: { "binding:host_id": "" } });
    },
};

/** One authenticated call to the port API of a region's Neutron. Returns the port, or undefined on 404. */
async function neutronPortCall(
    access: NeutronAccess,
    region: string,
    method: "GET" | "PUT",
    portId: string,
    body?: unknown,
): Promise<any> {
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

    // Connection failures and 5xx are worth a few tries; an answer like 401 or 409 is final at once.
    class FinalAnswer extends Error {}
    async function withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
        let lastError: unknown;
        for (let i = 0; i < 4; i++) {
            try {
                return await attempt();
            } catch (err) {
                lastError = err;
                if (err instanceof FinalAnswer) break;
                await new Promise((r) => setTimeout(r, 500 * 2 ** i));
            }
        }
        throw new Error(`${what}: ${(lastError as Error)?.message ?? String(lastError)}`);
    }

    const base = access.authUrl.replace(/\/+$/, "");
    const tokensUrl = /\/v3$/.test(base) ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`;
    const auth = await withRetries("Keystone authentication", async () => {
        const res = await request(tokensUrl, "POST", {}, access.authBody);
        if (res.status >= 500) throw new Error(`Keystone answered ${res.status} at ${tokensUrl}`);
        if (res.status !== 201) throw new FinalAnswer(`Keystone answered ${res.status} at ${tokensUrl}`);
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
    const portUrl = `${/\/v2\.0$/.test(root) ? root : `${root}/v2.0`}/ports/${encodeURIComponent(portId)}`;
    const res = await withRetries(`Neutron ${method} port ${portId} in ${region}`, async () => {
        const r = await request(portUrl, method, { "X-Auth-Token": token }, body);
        if (r.status >= 500) throw new Error(`Neutron answered ${r.status}`);
        return r;
    });
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status > 299) {
        throw new Error(`Neutron ${method} ${portUrl} in ${region} answered ${res.status}: ${res.body.slice(0, 500)}`);
    }
    return JSON.parse(res.body).port;
}

export interface PortHostBindingArgs {
    portId: pulumi.Input<string>;
    /** Neutron's host id of the controller (its `hostname`), i.e. `binding:host_id`. */
    hostId: pulumi.Input<string>;
    /** The local region whose Neutron holds the binding (Tricircle binds in the local region, not the central one). */
    region: pulumi.Input<string>;
    access: pulumi.Input<NeutronAccess>;
}

/**
 * `openstack --os-region-name <region> port set --host <hostname> <port>` as a resource: create binds, a host
 * change rebinds in place, delete unbinds, refresh reads the binding back. The provider's own Port resource can
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
