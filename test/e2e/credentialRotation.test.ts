// Real engine + real OpenStack: a Keystone password rotation under a deployed PortHostBinding. A throw-away user with
// the admin role on the local cloud's project owns the binding's credentials (through the stack's own path:
// openstack:* settings -> openStackSettings -> neutronAccess); its password is changed in Keystone, then in the stack.
import * as pulumi from "@pulumi/pulumi";
import { Stack } from "@pulumi/pulumi/automation";
import { randomBytes } from "crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PortHostBinding } from "../../components/cloud/portBinding/portHostBinding";
import { neutronAccess, openStackSettings } from "../../components/cloud/providers";
import { inlineStack, requireEngine } from "./engine";
import { labAgentHosts, openstack, openstackNoOutput, requireLocalCloud } from "./localCloud";

const suffix = randomBytes(3).toString("hex");
const userName = `e2e-rotate-${suffix}`;
const oldPassword = `old-${randomBytes(12).toString("hex")}`;
const newPassword = `new-${randomBytes(12).toString("hex")}`;
const AUTH_URL = "http://127.0.0.1:5000/v3";
let userId = "";
let networkId = "";
let portId = "";
let stack: Stack;
// A host with a live L2 agent (a lab node): a binding counts only once one took the port.
let host = "";

const program = async () => {
    const binding = new PortHostBinding("hm-binding", {
        portId: new pulumi.Config().require("portId"),
        hostId: host,
        region: "RegionOne",
        access: neutronAccess(openStackSettings()),
    });
    return { boundHostId: binding.boundHostId };
};

const port = () => openstack("RegionOne", "port", "show", portId) as { binding_host_id?: string; revision_number: number };

/** Keystone's own answer to a password, asked directly (status 201 = a token). */
async function keystoneStatus(password: string): Promise<number> {
    const res = await fetch(`${AUTH_URL}/auth/tokens`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
            auth: {
                identity: { methods: ["password"], password: { user: { name: userName, domain: { name: "Default" }, password } } },
                scope: { project: { name: "admin", domain: { name: "Default" } } },
            },
        }),
    });
    return res.status;
}

describe("Keystone password rotation under a PortHostBinding (real engine, local cloud)", () => {
    beforeAll(async () => {
        requireEngine();
        requireLocalCloud();
        [host] = labAgentHosts();
        const projectId = openstack("CentralRegion", "project", "show", "admin").id;
        userId = openstack("CentralRegion", "user", "create", "--domain", "Default", "--password", oldPassword, userName).id;
        openstackNoOutput("CentralRegion", "role", "add", "--user", userId, "--project", projectId, "admin");
        networkId = openstack("CentralRegion", "network", "create", `e2e-rotate-${suffix}`).id;
        openstack("CentralRegion", "subnet", "create", "--network", networkId, "--subnet-range", "198.18.1.0/28", "--gateway", "none", `e2e-rotate-${suffix}`);
        portId = openstack("CentralRegion", "port", "create", "--network", networkId, "--device-owner", "Octavia:health-mgr", `e2e-rotate-${suffix}`).id;
        ({ stack } = await inlineStack(program, {
            "tricircle-lbaas-e2e:portId": { value: portId },
            "openstack:authUrl": { value: AUTH_URL },
            "openstack:userName": { value: userName },
            "openstack:password": { value: oldPassword, secret: true },
            "openstack:tenantName": { value: "admin" },
            "openstack:userDomainName": { value: "Default" },
            "openstack:projectDomainName": { value: "Default" },
        }));
    });

    afterAll(async () => {
        await stack?.destroy().catch(() => undefined);
        if (portId) openstackNoOutput("CentralRegion", "port", "delete", portId);
        if (networkId) openstackNoOutput("CentralRegion", "network", "delete", networkId);
        if (userId) openstackNoOutput("CentralRegion", "user", "delete", userId);
    });

    it("up binds the port with the dedicated user's password", async () => {
        await stack.up();
        expect(port().binding_host_id).toBe(host);
    });

    it("once Keystone has the new password, the old one is refused, and so is a refresh with the stored credentials", async () => {
        openstackNoOutput("CentralRegion", "user", "set", "--password", newPassword, userId);
        expect(await keystoneStatus(oldPassword)).toBe(401);
        expect(await keystoneStatus(newPassword)).toBe(201);
        // Before the stack knows the new password, its state holds the old one: this is what `up` is for.
        await expect(stack.refresh()).rejects.toThrow(/Keystone answered 401/);
    });

    it("the new password in the stack is an in-place update of the binding, shown as [secret], and the port is not touched", async () => {
        await stack.setConfig("openstack:password", { value: newPassword, secret: true });
        const preview = await stack.preview({ diff: true });
        expect(preview.changeSummary.update).toBe(1);
        expect(preview.changeSummary.replace ?? 0).toBe(0);
        expect(preview.stdout).toContain("[secret]");
        expect(preview.stdout + preview.stderr).not.toContain(newPassword);
        expect(preview.stdout + preview.stderr).not.toContain(oldPassword);
        const before = port();
        const up = await stack.up();
        expect(up.summary.resourceChanges?.update).toBe(1);
        const after = port();
        expect(after.binding_host_id).toBe(host);
        expect(after.revision_number).toBe(before.revision_number);
        await stack.preview({ expectNoChanges: true });
    });

    it("refresh and destroy then authenticate with the new password", async () => {
        const refresh = await stack.refresh();
        expect(refresh.summary.result).toBe("succeeded");
        expect(refresh.summary.resourceChanges?.update ?? 0).toBe(0);
        const destroy = await stack.destroy();
        expect(destroy.summary.result).toBe("succeeded");
        expect(port().binding_host_id ?? "").toBe("");
        // Still refused: the destroy did not get through with the old password.
        expect(await keystoneStatus(oldPassword)).toBe(401);
    });
});
