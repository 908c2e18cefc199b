// Real OpenStack: Keystone and Neutron of the local cloud. Exercises the binding provider's operations exactly as the
// engine calls them (create, diff, update, read, delete) and reads the result back with the openstack CLI.
import { randomBytes } from "crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { neutronBindingProvider } from "../../components/cloud/portBinding/bindingProvider";
import { labAgentHosts, localNeutronAccess, openstack, openstackNoOutput, requireLocalCloud } from "./localCloud";

const suffix = randomBytes(3).toString("hex");
let networkId = "";
let portId = "";
// Hosts with a live L2 agent: a binding counts only once one took the port.
let host1 = "";
let host2 = "";

function boundHost(region: string): string {
    return openstack(region, "port", "show", portId)["binding_host_id"] ?? "";
}

describe("PortHostBinding against the local Neutron", () => {
    beforeAll(() => {
        requireLocalCloud();
        [host1, host2] = labAgentHosts();
        networkId = openstack("CentralRegion", "network", "create", `e2e-binding-${suffix}`).id;
        openstack("CentralRegion", "subnet", "create", "--network", networkId, "--subnet-range", "192.0.2.0/28", "--gateway", "none", `e2e-binding-${suffix}`);
        portId = openstack("CentralRegion", "port", "create", "--network", networkId, "--device-owner", "Octavia:health-mgr", `e2e-binding-${suffix}`).id;
    });

    afterAll(() => {
        if (portId) openstackNoOutput("CentralRegion", "port", "delete", portId);
        if (networkId) openstackNoOutput("CentralRegion", "network", "delete", networkId);
    });

    it("binds, rebinds in place, reads back and unbinds in the local region", async () => {
        const access = localNeutronAccess();
        const inputs = { portId, hostId: host1, region: "RegionOne", access };

        const created = await neutronBindingProvider.create(inputs);
        expect(created.id).toBe(portId);
        expect(created.outs.boundHostId).toBe(host1);
        expect(created.outs.vifType).toBe("ovs");
        expect(boundHost("RegionOne")).toBe(host1);

        const moved = { ...inputs, hostId: host2 };
        const diff = await neutronBindingProvider.diff!(portId, created.outs, moved);
        expect(diff).toMatchObject({ changes: true, replaces: [] });
        const updated = await neutronBindingProvider.update!(portId, created.outs, moved);
        expect(updated.outs!.boundHostId).toBe(host2);
        expect(boundHost("RegionOne")).toBe(host2);

        // Drift made by hand shows up on refresh.
        openstackNoOutput("RegionOne", "port", "set", "--host", "somewhere-else", portId);
        const read = await neutronBindingProvider.read!(portId, updated.outs);
        expect(read.props!.boundHostId).toBe("somewhere-else");
        const driftDiff = await neutronBindingProvider.diff!(portId, read.props, moved);
        expect(driftDiff.changes).toBe(true);

        await neutronBindingProvider.delete!(portId, updated.outs);
        expect(boundHost("RegionOne")).toBe("");
    });

    it("a host no live agent reports is refused, naming the agents and the likely host, and the binding is undone", async () => {
        const access = localNeutronAccess();
        const failure = neutronBindingProvider.create({ portId, hostId: `${host1}.example.org`, region: "RegionOne", access });
        await expect(failure).rejects.toThrow(new RegExp(`to host "${host1}\\.example\\.org" \\(binding:vif_type binding_failed\\)`));
        const message = await failure.catch((e: Error) => e.message);
        // The lab's compute hosts and both controller nodes run Open vSwitch agents.
        expect(message).toMatch(new RegExp(`Live L2 agents in RegionOne: .*${host1} \\(Open vSwitch agent\\).*`));
        expect(message).toContain("compute1 (Open vSwitch agent)");
        expect(message).toContain(`Did you mean "${host1}"?`);
        expect(boundHost("RegionOne")).toBe("");
        expect(openstack("RegionOne", "port", "show", portId)["binding_vif_type"]).toBe("unbound");
    });

    it("a credential change alone is an in-place update, tried on Keystone before it is stored", async () => {
        const access = localNeutronAccess();
        const olds = { portId, hostId: host1, region: "RegionOne", access, boundHostId: host1 };
        const rotated = { ...olds, access: { ...access, authBody: access.authBody.replace(/"password":"[^"]*"/, '"password":"rotated"') } };
        expect(await neutronBindingProvider.diff!(portId, olds, rotated)).toMatchObject({ changes: true, replaces: [] });
        // "rotated" is not the password: the update fails at Keystone, and the port is left as it was.
        await expect(neutronBindingProvider.update!(portId, olds, rotated)).rejects.toThrow(/Keystone authentication: Keystone answered 401/);
        expect(boundHost("RegionOne")).toBe("");
    });

    it("fails with the region and status when the region has no network endpoint", async () => {
        const access = localNeutronAccess();
        await expect(neutronBindingProvider.create({ portId, hostId: host1, region: "RegionNine", access })).rejects.toThrow(/no public network endpoint for region "RegionNine"/);
    });

    it("fails clearly on bad credentials", async () => {
        const access = localNeutronAccess();
        const wrong = { ...access, authBody: access.authBody.replace(/"password":"[^"]*"/, '"password":"wrong"') };
        await expect(neutronBindingProvider.create({ portId, hostId: host1, region: "RegionOne", access: wrong })).rejects.toThrow(/Keystone authentication: Keystone answered 401/);
    });

    it("unbinding a port that is already gone succeeds", async () => {
        const access = localNeutronAccess();
        await expect(neutronBindingProvider.delete!("00000000-0000-0000-0000-000000000000", { portId: "x", hostId: "n", region: "RegionOne", access, boundHostId: "n" } as any)).resolves.toBeUndefined();
    });
});
