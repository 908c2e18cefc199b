// The repair after an interrupted `up` (scripts/lib/orphans.ts): which tagged objects are orphans, which pending
// create claims each, and the state the fix writes. Pure functions on a state export; no cloud, no mocks.
import { describe, expect, it } from "vitest";
import { adoptIntoState, CloudObject, Deployment, DELETE_ORDER, planOrphans, TYPE_OF_KIND, urnName } from "../../scripts/lib/orphans";
import { keyTag, TAGGED_TYPES } from "../../components/tags";

const URN = (type: string, name: string) => `urn:pulumi:local::tricircle-lbaas::tricircle-lbaas:net:ManagementNetwork$${type}::${name}`;
const NET = "openstack:networking/network:Network";
const SG = "openstack:networking/secGroup:SecGroup";
const TAG = "tlb-stack:tricircle-lbaas:local";

function object(kind: CloudObject["kind"], id: string, key: string, region = "RegionOne"): CloudObject {
    return { kind, id, name: key, region, tags: ["tlb-project:tricircle-lbaas", TAG, keyTag(key)] };
}

function deployment(): Deployment {
    return {
        manifest: {},
        resources: [
            { urn: URN(SG, "lb-secgroups-amphora"), type: SG, id: "sg-in-state", custom: true, inputs: {}, outputs: { id: "sg-in-state" } },
        ],
        pending_operations: [
            { type: "creating", resource: { urn: URN(NET, "region-RegionOne-mgmt-net"), type: NET, inputs: { name: "lb-mgmt-net1" } } },
            { type: "creating", resource: { urn: URN(NET, "region-RegionTwo-mgmt-net"), type: NET, inputs: { name: "lb-mgmt-net2" } } },
            { type: "updating", resource: { urn: URN(SG, "lb-secgroups-amphora"), type: SG, id: "sg-in-state" } },
        ],
    };
}

describe("planOrphans", () => {
    it("adopts what a pending create of the same type and key claims, deletes the rest, drops creates that found nothing", () => {
        const plan = planOrphans(deployment(), [
            object("security-group", "sg-in-state", "lb-secgroups-amphora"), // in the state: no orphan
            object("network", "net-1", "region-RegionOne-mgmt-net"),
            object("security-group", "sg-lost", "lb-secgroups-health-manager"), // no pending create claims it
            object("subnet", "subnet-1", "region-RegionOne-mgmt-net"), // same key, other type: not claimed
        ]);
        expect(plan.adopt).toEqual([{ urn: URN(NET, "region-RegionOne-mgmt-net"), object: expect.objectContaining({ id: "net-1" }) }]);
        expect(plan.delete.map((o) => o.id)).toEqual(["subnet-1", "sg-lost"]); // a subnet before any security group
        expect(plan.drop).toEqual([URN(NET, "region-RegionTwo-mgmt-net")]);
    });

    it("adopts one of two objects with one key and deletes the other (no duplicate survives)", () => {
        const plan = planOrphans(deployment(), [object("network", "net-a", "region-RegionOne-mgmt-net"), object("network", "net-b", "region-RegionOne-mgmt-net")]);
        expect(plan.adopt.map((a) => a.object.id)).toEqual(["net-a"]);
        expect(plan.delete.map((o) => o.id)).toEqual(["net-b"]);
    });

    it("finds nothing to do on a clean state", () => {
        const clean: Deployment = { resources: deployment().resources, pending_operations: [] };
        expect(planOrphans(clean, [object("security-group", "sg-in-state", "lb-secgroups-amphora")])).toEqual({ adopt: [], delete: [], drop: [] });
    });
});

describe("adoptIntoState", () => {
    it("turns each claimed create into a resource with the object's id and leaves other pending operations", () => {
        const before = deployment();
        const plan = planOrphans(before, [object("network", "net-1", "region-RegionOne-mgmt-net")]);
        const after = adoptIntoState(before, plan);
        const adopted = after.resources!.find((r) => r.urn === URN(NET, "region-RegionOne-mgmt-net"));
        expect(adopted).toMatchObject({ id: "net-1", custom: true, type: NET, outputs: { id: "net-1", name: "lb-mgmt-net1" } });
        expect(after.resources!.indexOf(adopted!)).toBe(after.resources!.length - 1);
        expect(after.pending_operations!.map((op) => op.type)).toEqual(["updating"]);
        expect(before.pending_operations).toHaveLength(3); // the input is not changed
        expect(after.manifest).toEqual({});
    });
});

describe("the kinds", () => {
    it("cover every tagged type once, and each kind has its place in the delete order", () => {
        expect(new Set(Object.values(TYPE_OF_KIND))).toEqual(new Set(TAGGED_TYPES));
        expect([...DELETE_ORDER].sort()).toEqual(Object.keys(TYPE_OF_KIND).sort());
    });

    it("urnName is the resource's name", () => {
        expect(urnName(URN(NET, "region-RegionOne-mgmt-net"))).toBe("region-RegionOne-mgmt-net");
    });
});
