// The binding provider's operations exactly as the engine calls them (diff, create, update, read, delete), against a
// FAKE Keystone and Neutron on loopback (a small HTTP server below, no OpenStack): what is asked of which API, with
// which credentials. The real services are the e2e suite's (test/e2e/portHostBinding.test.ts, credentialRotation).
import * as http from "http";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { neutronAccessFrom } from "../../components/cloud/openstackAuth";
import { neutronBindingProvider } from "../../components/cloud/portBinding/bindingProvider";
import { NeutronAccess, sameAccess } from "../../components/cloud/portBinding/neutronAccess";
import { LoopbackServer } from "./loopbackServer";

const PORT_ID = "3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d";

interface Request {
    method: string;
    path: string;
    body: string;
}

/** Keystone (password auth against `password`) and one region's Neutron port API, recording every request. */
class FakeCloud extends LoopbackServer {
    password = "old-password";
    boundHost = "";
    requests: Request[] = [];

    access(password: string): NeutronAccess {
        return neutronAccessFrom({ authUrl: `${this.url}/v3`, userName: "binder", password, projectName: "admin", interface: "public", insecure: false });
    }
    portCalls(): Request[] {
        return this.requests.filter((r) => r.path.startsWith("/v2.0/ports/"));
    }
    tokenCalls(): Request[] {
        return this.requests.filter((r) => r.path === "/v3/auth/tokens");
    }

    protected answer(req: http.IncomingMessage, res: http.ServerResponse) {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
            this.requests.push({ method: req.method ?? "", path: req.url ?? "", body });
            const json = (status: number, doc: unknown, headers: Record<string, string> = {}) => {
                res.writeHead(status, { "Content-Type": "application/json", ...headers });
                res.end(JSON.stringify(doc));
            };
            if (req.url === "/v3/auth/tokens" && req.method === "POST") {
                const password = JSON.parse(body).auth.identity.password.user.password;
                if (password !== this.password) return json(401, { error: { code: 401, message: "The request you have made requires authentication." } });
                return json(
                    201,
                    { token: { catalog: [{ type: "network", endpoints: [{ region_id: "RegionOne", interface: "public", url: this.url }] }] } },
                    { "X-Subject-Token": `token-for-${password}` },
                );
            }
            if (req.url === `/v2.0/ports/${PORT_ID}`) {
                if (req.headers["x-auth-token"] !== `token-for-${this.password}`) return json(401, {});
                if (req.method === "PUT") this.boundHost = JSON.parse(body).port["binding:host_id"];
                return json(200, { port: { id: PORT_ID, "binding:host_id": this.boundHost } });
            }
            return json(404, { NeutronError: { type: "PortNotFound" } });
        });
    }
}

const cloud = new FakeCloud();
beforeAll(() => cloud.start());
afterAll(() => cloud.stop());
beforeEach(() => {
    cloud.password = "old-password";
    cloud.boundHost = "";
    cloud.requests = [];
});

const inputs = (password: string, hostId = "node1") => ({ portId: PORT_ID, hostId, region: "RegionOne", access: cloud.access(password) });

describe("PortHostBinding provider: credentials", () => {
    it("a credential change is an in-place update; the diff never holds the secret", async () => {
        const created = await neutronBindingProvider.create(inputs("old-password"));
        const diff = await neutronBindingProvider.diff!(PORT_ID, created.outs, inputs("new-password"));
        expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
        expect(JSON.stringify(diff)).not.toContain("password");
        // The same credentials, spelt in another key order, are no change.
        const reversed = (v: unknown): unknown =>
            v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
        const reordered = { ...created.outs, access: { ...created.outs.access, authBody: JSON.stringify(reversed(JSON.parse(created.outs.access.authBody))) } };
        expect(reordered.access.authBody).not.toBe(created.outs.access.authBody);
        expect((await neutronBindingProvider.diff!(PORT_ID, reordered, inputs("old-password"))).changes).toBe(false);
    });

    it("an update with only new credentials tries them on Keystone, stores them and leaves the port alone", async () => {
        const created = await neutronBindingProvider.create(inputs("old-password"));
        cloud.password = "new-password";
        cloud.requests = [];
        const updated = await neutronBindingProvider.update!(PORT_ID, created.outs, inputs("new-password"));
        expect(cloud.portCalls()).toEqual([]);
        expect(cloud.tokenCalls()).toHaveLength(1);
        expect(updated.outs).toMatchObject({ boundHostId: "node1", hostId: "node1", access: cloud.access("new-password") });
    });

    it("a wrong new credential fails the update, naming Keystone, not the password", async () => {
        const created = await neutronBindingProvider.create(inputs("old-password"));
        cloud.requests = [];
        const failure = neutronBindingProvider.update!(PORT_ID, created.outs, inputs("typo-password"));
        await expect(failure).rejects.toThrow(/Keystone authentication: Keystone answered 401/);
        await failure.catch((e: Error) => expect(e.message).not.toContain("typo-password"));
        expect(cloud.portCalls()).toEqual([]);
    });

    it("after the update, read and delete authenticate with the new credentials; the old state's would be refused", async () => {
        const created = await neutronBindingProvider.create(inputs("old-password"));
        cloud.password = "new-password";
        const updated = await neutronBindingProvider.update!(PORT_ID, created.outs, inputs("new-password"));
        await expect(neutronBindingProvider.read!(PORT_ID, created.outs)).rejects.toThrow(/401/);
        const read = await neutronBindingProvider.read!(PORT_ID, updated.outs);
        expect(read.props).toMatchObject({ boundHostId: "node1", access: cloud.access("new-password") });
        await expect(neutronBindingProvider.delete!(PORT_ID, created.outs)).rejects.toThrow(/401/);
        expect(cloud.boundHost).toBe("node1");
        await neutronBindingProvider.delete!(PORT_ID, read.props as never);
        expect(cloud.boundHost).toBe("");
    });

    it("a host change with new credentials rebinds with the new ones", async () => {
        const created = await neutronBindingProvider.create(inputs("old-password"));
        cloud.password = "new-password";
        cloud.requests = [];
        const updated = await neutronBindingProvider.update!(PORT_ID, created.outs, inputs("new-password", "node1b"));
        expect(cloud.portCalls().map((r) => [r.method, JSON.parse(r.body)])).toEqual([["PUT", { port: { "binding:host_id": "node1b" } }]]);
        expect(updated.outs?.boundHostId).toBe("node1b");
    });

    it("drift read back by refresh is an update that rebinds", async () => {
        const created = await neutronBindingProvider.create(inputs("old-password"));
        cloud.boundHost = "elsewhere";
        const read = await neutronBindingProvider.read!(PORT_ID, created.outs);
        expect(read.props?.boundHostId).toBe("elsewhere");
        expect(await neutronBindingProvider.diff!(PORT_ID, read.props, inputs("old-password"))).toMatchObject({ changes: true, replaces: [] });
        cloud.requests = [];
        await neutronBindingProvider.update!(PORT_ID, read.props, inputs("old-password"));
        expect(cloud.portCalls().map((r) => r.method)).toEqual(["PUT"]);
        expect(cloud.boundHost).toBe("node1");
    });

    it("a new port or region is a replacement; nothing at all is no change", async () => {
        const created = await neutronBindingProvider.create(inputs("old-password"));
        expect((await neutronBindingProvider.diff!(PORT_ID, created.outs, { ...inputs("old-password"), region: "RegionTwo" })).replaces).toEqual(["region"]);
        expect((await neutronBindingProvider.diff!(PORT_ID, created.outs, { ...inputs("old-password"), portId: "other" })).replaces).toEqual(["portId"]);
        expect((await neutronBindingProvider.diff!(PORT_ID, created.outs, inputs("old-password"))).changes).toBe(false);
    });

    it("creating on a port that does not exist fails clearly", async () => {
        await expect(neutronBindingProvider.create({ ...inputs("old-password"), portId: "00000000-0000-0000-0000-000000000000" })).rejects.toThrow(/does not exist in RegionOne/);
    });

    it("sameAccess: missing or unknown credentials count as changed", () => {
        const a = cloud.access("x");
        expect(sameAccess(a, { ...a })).toBe(true);
        expect(sameAccess(a, { ...a, insecure: true })).toBe(false);
        expect(sameAccess(undefined, a)).toBe(false);
        expect(sameAccess(a, "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as never)).toBe(false);
    });

    it("serialised as the engine stores it and loaded on its own, it still tells a credential change", async () => {
        const serialized = await pulumi.runtime.serializeFunction(() => neutronBindingProvider, { allowSecrets: true });
        const module = { exports: {} as { handler?: () => typeof neutronBindingProvider } };
        // eslint-disable-next-line @typescript-eslint/no-implied-eval
        new Function("exports", "require", "module", serialized.text)(module.exports, require, module);
        const loaded = module.exports.handler!();
        const created = await loaded.create(inputs("old-password"));
        expect(await loaded.diff!(PORT_ID, created.outs, inputs("new-password"))).toMatchObject({ changes: true, replaces: [] });
    });
});
