// The binding provider's operations exactly as the engine calls them (diff, create, update, read, delete), against a
// FAKE Keystone and Neutron on loopback (a small HTTP server below, no OpenStack): what is asked of which API, with
// which credentials, and what ML2 answers when no live agent has the host. The real services are the e2e suite's
// (test/e2e/portHostBinding.test.ts, credentialRotation).
import * as http from "http";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { neutronAccessFrom } from "../../components/cloud/openstackAuth";
import { NeutronAgent } from "../../components/cloud/portBinding/bindingCheck";
import { neutronBindingProvider } from "../../components/cloud/portBinding/bindingProvider";
import { portActiveProvider } from "../../components/cloud/portBinding/portActive";
import { NeutronAccess, sameAccess } from "../../components/cloud/portBinding/neutronAccess";
import { LoopbackServer } from "./loopbackServer";

const PORT_ID = "3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d";

interface Request {
    method: string;
    path: string;
    body: string;
}

const ovs = (host: string, alive = true): NeutronAgent => ({ host, agent_type: "Open vSwitch agent", alive, admin_state_up: true });
const AGENTS = [ovs("node1"), ovs("node1b"), { host: "node1", agent_type: "DHCP agent", alive: true }];

/**
 * Keystone (password auth against `password`) and one region's Neutron port and agent API, recording every request.
 * A PUT of a host binds as ML2 does: `ovs` when a live Open vSwitch agent reports the host, else `binding_failed`.
 * The port's status answers `statuses` in turn (the last one stays), as an agent wiring it would change it.
 */
class FakeCloud extends LoopbackServer {
    password = "old-password";
    boundHost = "";
    vifType = "unbound";
    agents: NeutronAgent[] = AGENTS;
    agentsStatus = 200;
    statuses: string[] = ["ACTIVE"];
    requests: Request[] = [];

    access(password: string): NeutronAccess {
        return neutronAccessFrom({ authUrl: `${this.url}/v3`, userName: "binder", password, projectName: "admin", interface: "public", insecure: false });
    }
    portCalls(): Request[] {
        return this.requests.filter((r) => r.path.startsWith("/v2.0/ports/"));
    }
    /** The hosts the port was asked to bind to, in order. */
    hostPuts(): string[] {
        return this.portCalls()
            .filter((r) => r.method === "PUT")
            .map((r) => JSON.parse(r.body).port["binding:host_id"]);
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
                if (req.method === "PUT") {
                    this.boundHost = JSON.parse(body).port["binding:host_id"];
                    const agent = this.agents.some((a) => a.host === this.boundHost && a.alive && a.agent_type === "Open vSwitch agent");
                    this.vifType = this.boundHost === "" ? "unbound" : agent ? "ovs" : "binding_failed";
                }
                const status = this.statuses.length > 1 ? this.statuses.shift() : this.statuses[0];
                return json(200, { port: { id: PORT_ID, status, "binding:host_id": this.boundHost, "binding:vif_type": this.vifType } });
            }
            if (req.url === "/v2.0/agents" && req.method === "GET") {
                if (this.agentsStatus !== 200) return json(this.agentsStatus, { NeutronError: { message: "rule:get_agent is disallowed by policy" } });
                return json(200, { agents: this.agents });
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
    cloud.vifType = "unbound";
    cloud.agents = AGENTS;
    cloud.agentsStatus = 200;
    cloud.statuses = ["ACTIVE"];
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

describe("PortHostBinding provider: a binding counts only when a live L2 agent took it", () => {
    it("a host no agent reports fails naming the live agents and the likely host, and the binding is undone", async () => {
        const failure = neutronBindingProvider.create(inputs("old-password", "node1.example.org"));
        await expect(failure).rejects.toThrow(/did not bind health-manager port 3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d to host "node1.example.org" \(binding:vif_type binding_failed\)/);
        const message = await failure.catch((e: Error) => e.message);
        expect(message).toContain("Live L2 agents in RegionOne: node1 (Open vSwitch agent), node1b (Open vSwitch agent).");
        expect(message).toContain('Did you mean "node1"?');
        expect(message).not.toContain("DHCP agent");
        expect(message).toContain("regions[].controllers[].hostname");
        expect(cloud.hostPuts()).toEqual(["node1.example.org", ""]);
        expect(cloud.boundHost).toBe("");
    });

    it("a dead agent on the host is named as dead; a failed host change goes back to the old host", async () => {
        const created = await neutronBindingProvider.create(inputs("old-password"));
        expect(created.outs).toMatchObject({ boundHostId: "node1", vifType: "ovs" });
        cloud.agents = [ovs("node1"), ovs("node2", false)];
        cloud.requests = [];
        const failure = neutronBindingProvider.update!(PORT_ID, created.outs, inputs("old-password", "node2"));
        await expect(failure).rejects.toThrow(/The agent of "node2" is Open vSwitch agent dead\. Live L2 agents in RegionOne: node1 \(Open vSwitch agent\)\./);
        expect(cloud.hostPuts()).toEqual(["node2", "node1"]);
        expect(cloud.boundHost).toBe("node1");
    });

    it("agents that cannot be listed are said so; the binding is still undone", async () => {
        cloud.agentsStatus = 403;
        await expect(neutronBindingProvider.create(inputs("old-password", "nowhere"))).rejects.toThrow(/The region's agents could not be listed: .*answered 403/);
        expect(cloud.boundHost).toBe("");
    });

    it("a region without any live L2 agent says to start one", async () => {
        cloud.agents = [];
        await expect(neutronBindingProvider.create(inputs("old-password"))).rejects.toThrow(/RegionOne has no live L2 agent at all: start the controller's agent \(its \[DEFAULT\] host must be "node1"\)/);
    });

    it("a failed binding seen by refresh (or never checked) is asked for again on the same host", async () => {
        const created = await neutronBindingProvider.create(inputs("old-password"));
        cloud.vifType = "binding_failed";
        const read = await neutronBindingProvider.read!(PORT_ID, created.outs);
        expect(read.props).toMatchObject({ boundHostId: "node1", vifType: "binding_failed" });
        expect((await neutronBindingProvider.diff!(PORT_ID, read.props, inputs("old-password"))).changes).toBe(true);
        const { vifType: _, ...unchecked } = created.outs as Record<string, unknown>;
        expect((await neutronBindingProvider.diff!(PORT_ID, unchecked, inputs("old-password"))).changes).toBe(true);
        cloud.requests = [];
        const updated = await neutronBindingProvider.update!(PORT_ID, read.props, inputs("old-password"));
        expect(cloud.hostPuts()).toEqual(["node1"]);
        expect(updated.outs).toMatchObject({ boundHostId: "node1", vifType: "ovs" });
    });

    it("an adopted port bound by an agent is kept without a call; one whose binding failed is bound again", async () => {
        cloud.boundHost = "node1";
        cloud.vifType = "ovs";
        const kept = await neutronBindingProvider.create({ ...inputs("old-password"), adopted: true });
        expect(cloud.hostPuts()).toEqual([]);
        expect(kept.outs).toMatchObject({ boundHostId: "node1", vifType: "ovs" });
        cloud.vifType = "binding_failed";
        await neutronBindingProvider.create({ ...inputs("old-password"), adopted: true });
        expect(cloud.hostPuts()).toEqual(["node1"]);
    });
});

describe("PortActive provider: the port is ACTIVE once o-hm0 carries it", () => {
    const active = (withinS = 10) => ({ portId: PORT_ID, hostId: "node1", region: "RegionOne", access: cloud.access("old-password"), node: "node-1 (10.0.0.5:22)", wiredAs: "fa:16:3e:00:00:01", withinS });

    it("waits while the agent wires the port, and stores ACTIVE", async () => {
        cloud.statuses = ["DOWN", "DOWN", "ACTIVE"];
        const created = await portActiveProvider.create(active());
        expect(created.outs.status).toBe("ACTIVE");
        expect(cloud.portCalls().filter((r) => r.method === "GET")).toHaveLength(3);
        expect(cloud.hostPuts()).toEqual([]);
    });

    it("a port that stays DOWN fails after the bound, naming port, host, node and what Neutron shows", async () => {
        cloud.statuses = ["DOWN"];
        cloud.vifType = "ovs";
        await expect(portActiveProvider.create(active(1))).rejects.toThrow(
            /health-manager port 3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d in RegionOne is DOWN, not ACTIVE, 1 s after o-hm0 took it over on node-1 \(10\.0\.0\.5:22\) \(binding:host_id "node1", binding:vif_type ovs\)/,
        );
    });

    it("refresh reads the status: a port no longer ACTIVE is a change; a new o-hm0 is waited for again", async () => {
        const created = await portActiveProvider.create(active());
        expect((await portActiveProvider.diff!(PORT_ID, created.outs, active())).changes).toBe(false);
        cloud.statuses = ["DOWN"];
        const read = await portActiveProvider.read!(PORT_ID, created.outs);
        expect(read.props?.status).toBe("DOWN");
        expect((await portActiveProvider.diff!(PORT_ID, read.props, active())).changes).toBe(true);
        expect((await portActiveProvider.diff!(PORT_ID, created.outs, { ...active(), wiredAs: "fa:16:3e:00:00:02" })).changes).toBe(true);
        expect((await portActiveProvider.read!("00000000-0000-0000-0000-000000000000", created.outs)).id).toBe("");
    });
});
