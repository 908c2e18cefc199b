// The binding provider's retries (components/cloud/portBinding/neutronPortApi.ts) against a real HTTP server on 127.0.0.1 that plays
// Keystone and Neutron: nothing listening at first (connection refused), then 503s, a reset connection and a 502,
// then the answers. No mocks: real sockets, real timers, the very functions the serialised provider runs.
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { NeutronAccess } from "../../components/cloud/portBinding/neutronAccess";
import { BINDING_RETRY, RetryPolicy, neutronPortApi, transientFailure, withBackoff } from "../../components/cloud/portBinding/neutronPortApi";

/** A fast policy for the tests: the logic is the provider's, only the numbers are smaller. */
const FAST: RetryPolicy = { budgetMs: 4_000, firstDelayMs: 50, maxDelayMs: 400 };

interface Script {
    /** Answers to give, in order, per path prefix; the last one repeats. "reset" drops the connection unanswered. */
    keystone: Array<number | "reset">;
    port: Array<number | "reset">;
}

let servers: http.Server[] = [];
afterEach(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    servers = [];
});

/** A port nothing listens on (yet): bound once by the kernel, then closed. */
async function freePort(): Promise<number> {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    return port;
}

/** Keystone and Neutron on one port, answering as scripted; `hits` counts the requests each path got. */
function fakeCloud(port: number, script: Script): { start(): Promise<void>; hits: { keystone: number; port: number } } {
    const hits = { keystone: 0, port: 0 };
    const next = (list: Array<number | "reset">, n: number) => list[Math.min(n, list.length - 1)];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            const isAuth = req.url === "/v3/auth/tokens";
            const answer = isAuth ? next(script.keystone, hits.keystone++) : next(script.port, hits.port++);
            if (answer === "reset") {
                req.socket.destroy();
                return;
            }
            if (answer !== 200 && answer !== 201) {
                res.writeHead(answer, { "Content-Type": "text/plain" }).end(`scripted ${answer}`);
                return;
            }
            if (isAuth) {
                expect(JSON.parse(body).auth).toBeDefined();
                const catalog = [{ type: "network", endpoints: [{ region_id: "RegionOne", interface: "public", url: `http://127.0.0.1:${port}/` }] }];
                res.writeHead(201, { "Content-Type": "application/json", "X-Subject-Token": "tok" }).end(JSON.stringify({ token: { catalog } }));
                return;
            }
            expect(req.headers["x-auth-token"]).toBe("tok");
            res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ port: { id: "p1", "binding:host_id": "ctl-1" } }));
        });
    });
    return {
        hits,
        start: () => {
            servers.push(server);
            return new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
        },
    };
}

function access(port: number): NeutronAccess {
    return { authUrl: `http://127.0.0.1:${port}/v3`, authBody: JSON.stringify({ auth: { identity: {} } }), interface: "public", insecure: false };
}

describe("the binding provider rides out a short API outage (real local HTTP server)", () => {
    it("waits for a refused Keystone to come up, through its 503s, then through a reset and a 502 from Neutron", async () => {
        const port = await freePort();
        const cloud = fakeCloud(port, { keystone: [503, 503, 201], port: ["reset", 502, 200] });
        // Refused for the first 700 ms: the server is "restarting".
        const up = new Promise<void>((r) => setTimeout(() => void cloud.start().then(r), 700));
        const t0 = Date.now();
        const api = await neutronPortApi(access(port), "RegionOne", FAST);
        const bound = await api.call("GET", "p1");
        await up;
        expect(bound["binding:host_id"]).toBe("ctl-1");
        expect(cloud.hits).toEqual({ keystone: 3, port: 3 });
        expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
        expect(Date.now() - t0).toBeLessThan(FAST.budgetMs * 2);
    });

    it("gives up once the budget is spent, naming the attempts and the last failure", async () => {
        const port = await freePort();
        const t0 = Date.now();
        const err = await neutronPortApi(access(port), "RegionOne", { budgetMs: 1_000, firstDelayMs: 50, maxDelayMs: 200 }).then(
            () => undefined,
            (e: Error) => e,
        );
        const ms = Date.now() - t0;
        expect(err?.message).toMatch(/^Keystone authentication: .*ECONNREFUSED.*\(still failing after \d+ attempts in \d+ s\)$/);
        expect(Number(/after (\d+) attempts/.exec(err!.message)![1])).toBeGreaterThanOrEqual(4);
        // Bounded: never past the budget (plus the last refused connection's few milliseconds).
        expect(ms).toBeLessThanOrEqual(1_000 + 200);
    });

    it("takes a final answer at once: a 409 from Neutron, a 500 or a 401 from Keystone are not retried", async () => {
        const port = await freePort();
        const conflict = fakeCloud(port, { keystone: [201], port: [409] });
        await conflict.start();
        const api = await neutronPortApi(access(port), "RegionOne", FAST);
        await expect(api.call("PUT", "p1", { port: {} })).rejects.toThrow(/answered 409/);
        expect(conflict.hits.port).toBe(1);

        for (const status of [500, 401]) {
            await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
            servers = [];
            const p = await freePort();
            const keystone = fakeCloud(p, { keystone: [status], port: [200] });
            await keystone.start();
            await expect(neutronPortApi(access(p), "RegionOne", FAST)).rejects.toThrow(new RegExp(`^Keystone authentication: Keystone answered ${status}`));
            expect(keystone.hits.keystone).toBe(1);
        }
    });

    it("classifies failures: no answer and 502-504 are transient, other answers final", async () => {
        const refused = await fetchError(`http://127.0.0.1:${await freePort()}/`);
        expect(transientFailure(refused)).toBe(true);
        expect(transientFailure(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(true);
        expect(transientFailure(new Error("GET http://x/ timed out after 30 s"))).toBe(true);
        for (const status of [502, 503, 504]) expect(transientFailure(Object.assign(new Error("x"), { status }))).toBe(true);
        for (const status of [400, 401, 404, 409, 500]) expect(transientFailure(Object.assign(new Error("x"), { status }))).toBe(false);
        expect(transientFailure(new Error("no network endpoint"))).toBe(false);
        // withBackoff pauses between attempts, doubling up to the cap.
        const at: number[] = [];
        await withBackoff("x", { budgetMs: 5_000, firstDelayMs: 40, maxDelayMs: 100 }, async () => {
            at.push(Date.now());
            if (at.length < 5) throw Object.assign(new Error("x"), { code: "ECONNREFUSED" });
        });
        const gaps = at.slice(1).map((t, i) => t - at[i]);
        expect(gaps[0]).toBeGreaterThanOrEqual(35);
        expect(gaps[1]).toBeGreaterThanOrEqual(75);
        expect(gaps[2]).toBeGreaterThanOrEqual(95);
        expect(gaps[3]).toBeLessThan(400);
    });

    it("the serialised provider's default is BINDING_RETRY (written out there: no module scope)", () => {
        const source = fs.readFileSync(path.join(__dirname, "..", "..", "components", "cloud", "portBinding", "neutronPortApi.ts"), "utf8");
        const m = /policy: RetryPolicy = \{ budgetMs: ([\d_]+), firstDelayMs: ([\d_]+), maxDelayMs: ([\d_]+) \}/.exec(source);
        expect(m).not.toBeNull();
        const [budgetMs, firstDelayMs, maxDelayMs] = m!.slice(1).map((v) => Number(v.replace(/_/g, "")));
        expect({ budgetMs, firstDelayMs, maxDelayMs }).toEqual(BINDING_RETRY);
    });
});

/** The error of one plain request (the shape Node gives a refused connection). */
function fetchError(url: string): Promise<Error> {
    return new Promise((resolve) => {
        http.get(url, () => resolve(new Error("answered"))).on("error", resolve);
    });
}
