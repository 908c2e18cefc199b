// Real engine + real OpenStack: PortHostBinding through preview / up / refresh / update / destroy, against the local
// cloud's Keystone and Neutron, read back with the openstack CLI.
import { Stack } from "@pulumi/pulumi/automation";
import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PortHostBinding } from "../../components/cloud/portBinding/portHostBinding";
import { inlineStack, requireEngine } from "./engine";
import { labAgentHosts, localNeutronAccess, openstack, openstackNoOutput, requireLocalCloud } from "./localCloud";

const suffix = randomBytes(3).toString("hex");
let networkId = "";
let portId = "";
let stack: Stack;
let backend = "";
// Hosts with a live L2 agent: a binding counts only once one took the port.
let host1 = "";
let host2 = "";

const program = async () => {
    const config = new pulumi.Config();
    const binding = new PortHostBinding("hm-binding", {
        portId: config.require("portId"),
        hostId: config.require("hostId"),
        region: "RegionOne",
        access: localNeutronAccess(),
    });
    return { boundHostId: binding.boundHostId };
};

const boundHost = () => openstack("RegionOne", "port", "show", portId)["binding_host_id"] ?? "";

describe("PortHostBinding with the real engine against the local cloud", () => {
    beforeAll(async () => {
        requireEngine();
        requireLocalCloud();
        [host1, host2] = labAgentHosts();
        networkId = openstack("CentralRegion", "network", "create", `e2e-engine-${suffix}`).id;
        openstack("CentralRegion", "subnet", "create", "--network", networkId, "--subnet-range", "198.18.0.0/28", "--gateway", "none", `e2e-engine-${suffix}`);
        portId = openstack("CentralRegion", "port", "create", "--network", networkId, "--device-owner", "Octavia:health-mgr", `e2e-engine-${suffix}`).id;
        ({ stack, backend } = await inlineStack(program, { "tricircle-lbaas-e2e:portId": { value: portId }, "tricircle-lbaas-e2e:hostId": { value: host1 } }));
    });

    afterAll(async () => {
        await stack?.destroy().catch(() => undefined);
        if (portId) openstackNoOutput("CentralRegion", "port", "delete", portId);
        if (networkId) openstackNoOutput("CentralRegion", "network", "delete", networkId);
    });

    it("preview plans one create and touches nothing", async () => {
        const preview = await stack.preview();
        expect(preview.changeSummary.create).toBe(2); // the stack and the binding
        expect(boundHost()).toBe("");
    });

    it("up binds in the local region; a second preview has no changes; refresh finds no drift", async () => {
        const up = await stack.up();
        expect(up.summary.resourceChanges?.create).toBe(2);
        expect((await stack.outputs()).boundHostId?.value, JSON.stringify(up.outputs)).toBe(host1);
        expect(boundHost()).toBe(host1);
        await stack.preview({ expectNoChanges: true });
        const refresh = await stack.refresh();
        expect(refresh.summary.resourceChanges?.update ?? 0).toBe(0);
    });

    it("a host change is an in-place update, not a replacement", async () => {
        await stack.setConfig("tricircle-lbaas-e2e:hostId", { value: host2 });
        const preview = await stack.preview();
        expect(preview.changeSummary.update).toBe(1);
        expect(preview.changeSummary.replace ?? 0).toBe(0);
        await stack.up();
        expect(boundHost()).toBe(host2);
    });

    it("a host no live agent reports fails up, naming the agents, and leaves the port bound as before", async () => {
        await stack.setConfig("tricircle-lbaas-e2e:hostId", { value: `${host2}.example.org` });
        let output = "";
        await expect(stack.up({ onOutput: (s) => (output += s) })).rejects.toThrow();
        expect(output).toContain(`to host "${host2}.example.org" (binding:vif_type binding_failed)`);
        expect(output).toContain(`Did you mean "${host2}"?`);
        expect(boundHost()).toBe(host2);
        expect(openstack("RegionOne", "port", "show", portId)["binding_vif_type"]).toBe("ovs");
        expect((await stack.outputs()).boundHostId?.value).toBe(host2);
        await stack.setConfig("tricircle-lbaas-e2e:hostId", { value: host2 });
        await stack.preview({ expectNoChanges: true });
    });

    it("keeps the Keystone password out of the state in plain text", () => {
        // The state file itself: the Automation API's export decrypts secrets (--show-secrets).
        const stateDir = path.join(backend, ".pulumi", "stacks", "tricircle-lbaas-e2e");
        const state = fs.readdirSync(stateDir).filter((f) => f.endsWith(".json")).map((f) => fs.readFileSync(path.join(stateDir, f), "utf8")).join("\n");
        expect(state).toContain("hm-binding");
        const password = JSON.parse(localNeutronAccess().authBody).auth.identity.password.user.password as string;
        expect(password.length).toBeGreaterThan(3);
        expect(state).not.toContain(password);
        expect(state).toContain("ciphertext");
    });

    it("destroy unbinds", async () => {
        await stack.destroy();
        expect(boundHost()).toBe("");
    });
});
