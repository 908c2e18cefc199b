// The repair after an interrupted `up` (tools/doctor/orphans.ts, tools/doctor/cloudObjects.ts): which tagged objects are orphans, which pending
// create claims each, and the state the fix writes. Pure functions on a state export, and the listing against an
// HTTP server on loopback that answers as Neutron does (no cloud, no mocks).
import * as http from "http";
import { AddressInfo } from "net";
import { describe, expect, it } from "vitest";
import { listTagged, listUntaggedNamed } from "../../tools/doctor/cloudObjects";
import { adoptIntoState, CloudObject, Deployment, DELETE_ORDER, planOrphans, TYPE_OF_KIND, urnName } from "../../tools/doctor/orphans";
import { keyTag, TAGGED_TYPES } from "../../components/cloud/tags";

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
        expect(planOrphans(clean, [object("security-group", "sg-in-state", "lb-secgroups-amphora")])).toEqual({ adopt: [], delete: [], drop: [], ambiguous: [] });
    });

    const untagged = (kind: CloudObject["kind"], id: string, name: string): CloudObject => ({ kind, id, name, region: "RegionOne", tags: [] });

    it("a create stopped before its tags claims the one untagged object of its type and exact name", () => {
        const plan = planOrphans(
            deployment(),
            [],
            [untagged("network", "net-bare", "lb-mgmt-net1"), untagged("subnet", "subnet-bare", "lb-mgmt-net2"), untagged("network", "other", "lb-mgmt-net")],
        );
        expect(plan.adopt).toEqual([{ urn: URN(NET, "region-RegionOne-mgmt-net"), object: expect.objectContaining({ id: "net-bare" }) }]);
        expect(plan.drop).toEqual([URN(NET, "region-RegionTwo-mgmt-net")]); // a subnet of that name is not a network
        expect(plan.delete).toEqual([]); // an untagged object is never deleted
        expect(plan.ambiguous).toEqual([]);
    });

    it("prefers the tagged orphan, and leaves two untagged objects of one name to the operator", () => {
        const tagged = planOrphans(deployment(), [object("network", "net-1", "region-RegionOne-mgmt-net")], [untagged("network", "net-bare", "lb-mgmt-net1")]);
        expect(tagged.adopt.map((a) => a.object.id)).toEqual(["net-1"]);
        const two = planOrphans(deployment(), [], [untagged("network", "a", "lb-mgmt-net2"), untagged("network", "b", "lb-mgmt-net2")]);
        expect(two.ambiguous).toEqual([{ urn: URN(NET, "region-RegionTwo-mgmt-net"), candidates: [expect.objectContaining({ id: "a" }), expect.objectContaining({ id: "b" })] }]);
        expect(two.adopt).toEqual([]);
        expect(two.drop).toEqual([URN(NET, "region-RegionOne-mgmt-net")]);
    });

    it("an untagged object already in the state is claimed by nothing", () => {
        const withNet = deployment();
        withNet.resources!.push({ urn: URN(NET, "other-net"), type: NET, id: "net-known", custom: true, inputs: { name: "lb-mgmt-net1" } });
        const plan = planOrphans(withNet, [], [untagged("network", "net-known", "lb-mgmt-net1")]);
        expect(plan.adopt).toEqual([]);
        expect(plan.drop).toHaveLength(2);
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

describe("listTagged", () => {
    /** A Neutron-shaped server: one tagged network; records each path asked for. */
    async function neutron(): Promise<{ base: string; asked: string[]; close: () => void }> {
        const asked: string[] = [];
        const server = http.createServer((req, res) => {
            asked.push(req.url ?? "");
            const body = req.url?.startsWith("/v2.0/networks?")
                ? { networks: [{ id: "net-1", name: "lb-mgmt-net1", tags: [TAG] }, { id: "net-untagged", name: "other", tags: [] }] }
                : { security_groups: [], subnets: [], ports: [] };
            res.setHeader("content-type", "application/json");
            res.end(JSON.stringify(body));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, close: () => server.close() };
    }

    it("lists an endpoint that two regions share once, and keeps only what carries the tag", async () => {
        const n = await neutron();
        try {
            const cloud = { token: "t", url: (service: string) => (service === "network" ? n.base : undefined) };
            const objects = await listTagged(cloud, ["RegionOne", "RegionTwo"], TAG);
            expect(objects).toEqual([{ kind: "network", id: "net-1", name: "lb-mgmt-net1", region: "RegionOne", tags: [TAG] }]);
            expect(n.asked.filter((u) => u.startsWith("/v2.0/networks"))).toEqual([`/v2.0/networks?tags=${encodeURIComponent(TAG)}`]);
        } finally {
            n.close();
        }
    });

    it("finds the untagged object of an exact name and kind, once for a shared endpoint", async () => {
        const n = await neutron();
        try {
            const cloud = { token: "t", url: (service: string) => (service === "network" ? n.base : undefined) };
            const found = await listUntaggedNamed(cloud, ["RegionOne", "RegionTwo"], [{ kind: "network", name: "other" }, { kind: "network", name: "lb-mgmt-net1" }]);
            // lb-mgmt-net1 carries the tag: not a stray; "other" has none.
            expect(found).toEqual([{ kind: "network", id: "net-untagged", name: "other", region: "RegionOne", tags: [] }]);
            expect(n.asked).toEqual(["/v2.0/networks?name=other", "/v2.0/networks?name=lb-mgmt-net1"]);
        } finally {
            n.close();
        }
    });

    it("lists each region of its own endpoint", async () => {
        const [one, two] = [await neutron(), await neutron()];
        try {
            const cloud = { token: "t", url: (service: string, region: string) => (service === "network" ? (region === "RegionOne" ? one : two).base : undefined) };
            const objects = await listTagged(cloud, ["RegionOne", "RegionTwo"], TAG);
            expect(objects.map((o) => `${o.region} ${o.id}`)).toEqual(["RegionOne net-1", "RegionTwo net-1"]);
        } finally {
            one.close();
            two.close();
        }
    });
});
