// The repair's matching of pending creates of kinds without tags (tools/doctor/childClaims.ts) to the object each may
// have made: pure functions on a state export and API-shaped listings, then the listing itself against an HTTP server
// on loopback that answers as Neutron does (no cloud, no mocks).
import * as http from "http";
import { AddressInfo } from "net";
import { describe, expect, it } from "vitest";
import { childQueries, ChildQuery, claimChildren, TYPE_OF_CHILD } from "../../tools/doctor/childClaims";
import { listChildren } from "../../tools/doctor/cloudObjects";
import { Deployment, TYPE_OF_KIND } from "../../tools/doctor/orphans";
import { TAGGED_TYPES } from "../../components/cloud/tags";

const URN = (type: string, name: string) => `urn:pulumi:local::tricircle-lbaas::${type}::${name}`;
const RULE = TYPE_OF_CHILD["security-group-rule"];

function pending(type: string, name: string, inputs: Record<string, unknown>): NonNullable<Deployment["pending_operations"]>[number] {
    return { type: "creating", resource: { urn: URN(type, name), type, inputs } };
}

/** The pending create of the health-manager group's heartbeat rule for one management subnet. */
const heartbeatRule = pending(RULE, "lb-secgroups-hm-udp5555-192.168.10.0_24", {
    securityGroupId: "sg-hm",
    direction: "ingress",
    ethertype: "IPv4",
    protocol: "udp",
    portRangeMin: 5555,
    portRangeMax: 5555,
    remoteIpPrefix: "192.168.10.0/24",
});

/** A rule as Neutron lists it. */
function neutronRule(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        id,
        security_group_id: "sg-hm",
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "udp",
        port_range_min: 5555,
        port_range_max: 5555,
        remote_ip_prefix: "192.168.10.0/24",
        remote_group_id: null,
        ...over,
    };
}

const only = (d: Deployment): ChildQuery => {
    const qs = childQueries(d);
    expect(qs).toHaveLength(1);
    return qs[0];
};

describe("childQueries and claimChildren", () => {
    it("match a rule by its group and whole spec: another port, prefix or direction is not it", () => {
        const q = only({ pending_operations: [heartbeatRule] });
        expect(q.path).toBe("/v2.0/security-group-rules?security_group_id=sg-hm");
        const objects = [
            neutronRule("r-other-port", { port_range_min: 5556, port_range_max: 5556 }),
            neutronRule("r-other-prefix", { remote_ip_prefix: "192.168.20.0/24" }),
            neutronRule("r-egress", { direction: "egress" }),
            neutronRule("r-made"),
        ];
        const plan = claimChildren([{ query: q, region: "CentralRegion", objects }]);
        expect(plan.adopt.map((a) => [a.urn, a.object.id, a.object.kind])).toEqual([[heartbeatRule.resource.urn, "r-made", "security-group-rule"]]);
        expect(plan.ambiguous).toEqual([]);
    });

    it("read a rule without ports or prefix as Neutron does: null, whether the input is unset, 0 or empty", () => {
        const icmp = pending(RULE, "lb-secgroups-amphora-icmp", { securityGroupId: "sg-hm", direction: "ingress", ethertype: "IPv4", protocol: "icmp", portRangeMin: 0, remoteIpPrefix: "" });
        const q = only({ pending_operations: [icmp] });
        const made = neutronRule("r-icmp", { protocol: "icmp", port_range_min: null, port_range_max: null, remote_ip_prefix: null });
        expect(claimChildren([{ query: q, region: "CentralRegion", objects: [made, neutronRule("r-udp")] }]).adopt.map((a) => a.object.id)).toEqual(["r-icmp"]);
    });

    it("leave a create that made nothing to the next up, and name several candidates instead of picking one", () => {
        const flavor = pending(TYPE_OF_CHILD.flavor, "region-RegionOne-amphora-flavor", { name: "amphora-local-RegionOne" });
        const q = only({ pending_operations: [flavor] });
        expect(claimChildren([{ query: q, region: "RegionOne", objects: [{ id: "f-1", name: "m1.tiny" }] }])).toEqual({ adopt: [], ambiguous: [] });
        // Two regions whose Nova endpoints differ, each holding one flavor of the name: the operator picks.
        const twice = claimChildren([
            { query: q, region: "RegionOne", objects: [{ id: "f-1", name: "amphora-local-RegionOne" }] },
            { query: q, region: "RegionTwo", objects: [{ id: "f-2", name: "amphora-local-RegionOne" }] },
        ]);
        expect(twice.adopt).toEqual([]);
        expect(twice.ambiguous.map((a) => a.candidates.map((c) => `${c.region} ${c.id}`))).toEqual([["RegionOne f-1", "RegionTwo f-2"]]);
    });

    it("match a pool by name and listener, a monitor by name and pool, a flavor access by flavor and project", () => {
        const d: Deployment = {
            pending_operations: [
                pending(TYPE_OF_CHILD.pool, "demo-lb-lb1-pool", { name: "lb1-pool", listenerId: "l-1" }),
                pending(TYPE_OF_CHILD["health-monitor"], "demo-lb-lb1-monitor", { name: "lb1-monitor", poolId: "p-1" }),
                pending(TYPE_OF_CHILD["flavor-access"], "region-RegionOne-amphora-flavor-access", { flavorId: "f-1", tenantId: "proj-s" }),
            ],
        };
        const [pool, monitor, access] = childQueries(d);
        const plan = claimChildren([
            { query: pool, region: "RegionOne", objects: [{ id: "p-other", name: "lb1-pool", listeners: [{ id: "l-2" }] }, { id: "p-1", name: "lb1-pool", listeners: [{ id: "l-1" }] }] },
            { query: monitor, region: "RegionOne", objects: [{ id: "hm-1", name: "lb1-monitor", pools: [{ id: "p-1" }] }] },
            { query: access, region: "RegionOne", objects: [{ flavor_id: "f-1", tenant_id: "proj-other" }, { flavor_id: "f-1", tenant_id: "proj-s" }] },
        ]);
        expect(plan.adopt.map((a) => a.object.id)).toEqual(["p-1", "hm-1", "f-1/proj-s"]);
    });

    it("match a keypair by its name and the public key its create sent: the same name with another key is somebody else's", () => {
        const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOurKey amphora";
        const create = pending(TYPE_OF_CHILD.keypair, "region-RegionOne-amphora-keypair", { name: "tlb-amphora-local-RegionOne", publicKey: `${key}\n`, userId: "u-octavia" });
        const q = only({ pending_operations: [create] });
        expect(q.path).toBe("/os-keypairs?user_id=u-octavia");
        // As Nova lists keypairs: each wrapped in an object of its own, the key as stored.
        const nova = (name: string, publicKey: string) => ({ keypair: { name, public_key: publicKey, fingerprint: "f" } });
        const theirs = [nova("tlb-amphora-local-RegionOne", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKey someone"), nova("tlb-amphora-local-RegionTwo", key)];
        expect(claimChildren([{ query: q, region: "RegionOne", objects: theirs }])).toEqual({ adopt: [], ambiguous: [] });
        const plan = claimChildren([{ query: q, region: "RegionOne", objects: [...theirs, nova("tlb-amphora-local-RegionOne", key)] }]);
        expect(plan.adopt.map((a) => [a.urn, a.object.id, a.object.kind])).toEqual([[create.resource.urn, "tlb-amphora-local-RegionOne", "keypair"]]);
        // Without a user the caller's own keypairs are listed; without a public key the create names nothing to match.
        expect(only({ pending_operations: [pending(TYPE_OF_CHILD.keypair, "k", { name: "n", publicKey: key })] }).path).toBe("/os-keypairs");
        expect(childQueries({ pending_operations: [pending(TYPE_OF_CHILD.keypair, "k", { name: "n" })] })).toEqual([]);
    });

    it("ask nothing for a create whose inputs cannot name its object, nor for updates, deletes or tagged kinds", () => {
        const d: Deployment = {
            pending_operations: [
                pending(RULE, "no-group", { direction: "ingress" }),
                pending(TYPE_OF_CHILD.pool, "no-listener", { name: "lb1-pool" }),
                { type: "deleting", resource: { urn: URN(RULE, "gone"), type: RULE, id: "r-1", inputs: { securityGroupId: "sg-hm" } } },
                pending("openstack:networking/network:Network", "net", { name: "lb-mgmt-net1" }),
            ],
        };
        expect(childQueries(d)).toEqual([]);
    });

    it("cover kinds the tag search does not", () => {
        for (const type of Object.values(TYPE_OF_CHILD)) {
            expect(TAGGED_TYPES.has(type)).toBe(false);
            expect(Object.values(TYPE_OF_KIND)).not.toContain(type);
        }
    });
});

describe("listChildren", () => {
    it("lists each query once for an endpoint two regions share, and a parent that is gone has nothing", async () => {
        const asked: string[] = [];
        const server = http.createServer((req, res) => {
            asked.push(req.url ?? "");
            res.setHeader("content-type", "application/json");
            if (req.url?.startsWith("/v2.0/security-group-rules?security_group_id=sg-gone")) {
                res.statusCode = 404;
                res.end(JSON.stringify({ NeutronError: { type: "SecurityGroupNotFound" } }));
                return;
            }
            res.end(JSON.stringify({ security_group_rules: [neutronRule("r-made")] }));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        try {
            const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            const cloud = { token: "t", url: (service: string) => (service === "network" ? base : undefined) };
            const gone = pending(RULE, "gone", { ...heartbeatRule.resource.inputs, securityGroupId: "sg-gone" });
            const found = await listChildren(cloud, ["CentralRegion", "RegionOne"], childQueries({ pending_operations: [heartbeatRule, gone] }));
            expect(found.map((f) => [f.query.urn, f.region, f.objects.length])).toEqual([[heartbeatRule.resource.urn, "CentralRegion", 1]]);
            expect(asked).toEqual(["/v2.0/security-group-rules?security_group_id=sg-hm", "/v2.0/security-group-rules?security_group_id=sg-gone"]);
            expect(claimChildren(found).adopt.map((a) => a.object.id)).toEqual(["r-made"]);
        } finally {
            server.close();
        }
    });

    it("asks Nova for another user's keypairs with the microversion that reads user_id", async () => {
        const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOurKey amphora";
        const server = http.createServer((req, res) => {
            res.setHeader("content-type", "application/json");
            // As Nova does: below 2.10 user_id is ignored and the caller's own keypairs are listed.
            const mine = req.headers["openstack-api-version"] !== "compute 2.10";
            res.end(JSON.stringify({ keypairs: mine ? [] : [{ keypair: { name: "tlb-amphora-local-RegionOne", public_key: key } }] }));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        try {
            const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            const cloud = { token: "t", url: (service: string) => (service === "compute" ? base : undefined) };
            const create = pending(TYPE_OF_CHILD.keypair, "region-RegionOne-amphora-keypair", { name: "tlb-amphora-local-RegionOne", publicKey: key, userId: "u-octavia" });
            const found = await listChildren(cloud, ["RegionOne"], childQueries({ pending_operations: [create] }));
            expect(claimChildren(found).adopt.map((a) => a.object.id)).toEqual(["tlb-amphora-local-RegionOne"]);
        } finally {
            server.close();
        }
    });
});
