// Taking over a plane made by hand: the plan (pure, every case), and the program under MOCKS with a FAKE Neutron on
// loopback (fakeCloud.ts) holding the guide's objects: what is refused before anything is registered, and what is
// imported, kept as found and left on destroy. The real cloud is the e2e suite's (test/e2e/adoption.test.ts).
import { describe, expect, it } from "vitest";
import { FoundGroup, FoundNetwork, FoundPort, FoundRule, FoundSubnet, Inventory } from "../../components/adoption/inventory";
import { AdoptionContext, planAdoption, sameRule } from "../../components/adoption/plan";
import { parseStackConfig } from "../../components/config/model";
import { guideConfig, guideNamespace, SECRET_KEYS } from "./fixtures";
import { plain, ProgramError, runStack } from "./pulumiMocks";

const STACK_TAG = "tlb-stack:tricircle-lbaas:unit";
const ADOPTED_TAG = "tlb-adopted:tricircle-lbaas:unit";
const PROJECT = "5f0e1a3c9b2d4e6f8a7b6c5d4e3f2a1b";

const ID = {
    amphoraGroup: "0a5d6a2e-1111-4c0a-92bb-2a7a9c184ab1",
    hmGroup: "0a5d6a2e-2222-4c0a-92bb-2a7a9c184ab1",
    net1: "8acc6c02-1111-4c0a-92bb-2a7a9c184ab1",
    net2: "8acc6c02-2222-4c0a-92bb-2a7a9c184ab1",
    subnet1: "9bdd7d13-1111-4c0a-92bb-2a7a9c184ab1",
    subnet2: "9bdd7d13-2222-4c0a-92bb-2a7a9c184ab1",
    port1: "3f1c2a9e-1111-4e21-9a0c-6d8e7f1b2c3d",
    port2: "3f1c2a9e-2222-4e21-9a0c-6d8e7f1b2c3d",
};

let ruleCount = 0;
function rule(over: Partial<FoundRule>): FoundRule {
    ruleCount += 1;
    return {
        id: `7e7e7e7e-${String(ruleCount).padStart(4, "0")}-4c0a-92bb-2a7a9c184ab1`,
        direction: "ingress",
        ethertype: "IPv4",
        protocol: null,
        port_range_min: null,
        port_range_max: null,
        remote_ip_prefix: "0.0.0.0/0",
        remote_group_id: null,
        ...over,
    };
}

const tcp = (port: number, over: Partial<FoundRule> = {}) => rule({ protocol: "tcp", port_range_min: port, port_range_max: port, ...over });

/** What the guide's steps 1 and 2 leave on a cloud, by hand: world-open rules, a subnet with gateway and DHCP. */
function guideCloud(): Inventory {
    const group = (id: string, name: string, rules: FoundRule[]): FoundGroup => ({
        id,
        name,
        project_id: PROJECT,
        description: "",
        tags: [],
        security_group_rules: [rule({ direction: "egress", remote_ip_prefix: null }), ...rules],
    });
    const network = (id: string, name: string): FoundNetwork => ({ id, name, project_id: PROJECT, shared: false, admin_state_up: true, tags: [] });
    const subnet = (id: string, name: string, networkId: string, cidr: string, gateway: string): FoundSubnet => ({
        id,
        name,
        network_id: networkId,
        project_id: PROJECT,
        cidr,
        ip_version: 4,
        gateway_ip: gateway,
        enable_dhcp: true,
        allocation_pools: [{ start: gateway.replace(/1$/, "2"), end: gateway.replace(/1$/, "254") }],
        tags: [],
    });
    const port = (id: string, name: string, networkId: string, subnetId: string, ip: string, mac: string, host: string): FoundPort => ({
        id,
        name,
        network_id: networkId,
        project_id: PROJECT,
        mac_address: mac,
        fixed_ips: [{ subnet_id: subnetId, ip_address: ip }],
        security_groups: [ID.hmGroup],
        device_owner: "Octavia:health-mgr",
        admin_state_up: true,
        "binding:host_id": host,
        tags: [],
    });
    return {
        groups: [
            group(ID.amphoraGroup, "lb-mgmt-sec-grp", [rule({ protocol: "icmp" }), tcp(22), tcp(80), tcp(9443)]),
            group(ID.hmGroup, "lb-health-mgr-sec-grp", [rule({ protocol: "udp", port_range_min: 5555, port_range_max: 5555 })]),
        ],
        networks: [network(ID.net1, "lb-mgmt-net1"), network(ID.net2, "lb-mgmt-net2")],
        subnets: [
            subnet(ID.subnet1, "lb-mgmt-subnet1", ID.net1, "192.168.10.0/24", "192.168.10.1"),
            subnet(ID.subnet2, "lb-mgmt-subnet2", ID.net2, "192.168.20.0/24", "192.168.20.1"),
        ],
        ports: [
            port(ID.port1, "octavia-health-manager-region-one-listen-port", ID.net1, ID.subnet1, "192.168.10.5", "fa:16:3e:11:22:33", "node1"),
            port(ID.port2, "octavia-health-manager-region-two-listen-port", ID.net2, ID.subnet2, "192.168.20.5", "fa:16:3e:44:55:66", "node2"),
        ],
    };
}

function context(over: Record<string, unknown> = {}, extra: Partial<AdoptionContext> = {}): AdoptionContext {
    const model = parseStackConfig({ ...guideNamespace(), ...over });
    return { model, stackTag: STACK_TAG, adoptedTag: ADOPTED_TAG, ...extra };
}

describe("the plan", () => {
    it("a blank cloud: nothing adopted, nothing refused", () => {
        const plan = planAdoption({ groups: [], networks: [], subnets: [], ports: [] }, context());
        expect(plan.refusals).toEqual([]);
        expect(plan.adopted).toEqual([]);
        expect(plan.plane.regions.RegionOne.ports).toEqual({});
    });

    it("without adopt, each of the guide's objects is refused by its key, and the way out is named", () => {
        const plan = planAdoption(guideCloud(), context());
        expect(plan.refusals).toEqual([
            `regions[0].controllers[0].hostname: health-manager port "octavia-health-manager-region-one-listen-port" (${ID.port1}) already exists and is not this stack's`,
            `regions[1].controllers[0].hostname: health-manager port "octavia-health-manager-region-two-listen-port" (${ID.port2}) already exists and is not this stack's`,
            `securityGroups.amphora: security group "lb-mgmt-sec-grp" (${ID.amphoraGroup}) already exists and is not this stack's`,
            `securityGroups.healthManager: security group "lb-health-mgr-sec-grp" (${ID.hmGroup}) already exists and is not this stack's`,
            `regions[0].mgmt.network: network "lb-mgmt-net1" (${ID.net1}) already exists and is not this stack's`,
            `regions[0].mgmt.subnet: subnet "lb-mgmt-subnet1" (${ID.subnet1}) already exists and is not this stack's`,
            `regions[1].mgmt.network: network "lb-mgmt-net2" (${ID.net2}) already exists and is not this stack's`,
            `regions[1].mgmt.subnet: subnet "lb-mgmt-subnet2" (${ID.subnet2}) already exists and is not this stack's`,
            expect.stringMatching(/^set tricircle-lbaas:adopt to true/),
        ]);
    });

    it("with adopt, every object is taken over by id; the guide's world-open rules are kept and listed", () => {
        const plan = planAdoption(guideCloud(), context({ adopt: true }));
        expect(plan.refusals).toEqual([]);
        expect(plan.plane.groups.amphora?.id).toBe(ID.amphoraGroup);
        expect(plan.plane.groups.healthManager?.id).toBe(ID.hmGroup);
        expect(plan.plane.regions.RegionOne).toMatchObject({ network: { id: ID.net1 }, subnet: { id: ID.subnet1 }, ports: { node1: { id: ID.port1 } } });
        expect(plan.plane.regions.RegionTwo).toMatchObject({ network: { id: ID.net2 }, subnet: { id: ID.subnet2 }, ports: { node2: { id: ID.port2 } } });
        // The configuration's sources are the management CIDRs: none of the guide's 0.0.0.0/0 rules is one of them.
        expect(plan.plane.rules).toEqual({});
        expect(plan.plane.keptRules.map((k) => `${k.group} ${k.rule.protocol} ${k.rule.port_range_min ?? ""}`)).toEqual([
            "lb-mgmt-sec-grp icmp ",
            "lb-mgmt-sec-grp tcp 22",
            "lb-mgmt-sec-grp tcp 80",
            "lb-mgmt-sec-grp tcp 9443",
            "lb-health-mgr-sec-grp udp 5555",
        ]);
        expect(plan.adopted).toHaveLength(8);
    });

    it("with the guide's sources, its rules are the configuration's: imported, none kept aside", () => {
        const plan = planAdoption(guideCloud(), context({ adopt: true, securityGroups: { allowedCidrs: ["0.0.0.0/0"] } }));
        expect(Object.keys(plan.plane.rules).sort()).toEqual([
            "amphora-icmp-0.0.0.0_0",
            "amphora-tcp22-0.0.0.0_0",
            "amphora-tcp80-0.0.0.0_0",
            "amphora-tcp9443-0.0.0.0_0",
            "hm-udp5555-0.0.0.0_0",
        ]);
        expect(plan.plane.keptRules).toEqual([]);
    });

    it("Neutron's 'any source' (none) is the family's whole range, and only that", () => {
        const spec = { key: "k", group: "amphora" as const, ethertype: "IPv4" as const, protocol: "tcp" as const, portRangeMin: 22, portRangeMax: 22 };
        expect(sameRule({ ...spec, remoteIpPrefix: "0.0.0.0/0" }, tcp(22, { remote_ip_prefix: null }))).toBe(true);
        expect(sameRule({ ...spec, remoteIpPrefix: "192.168.10.0/24" }, tcp(22, { remote_ip_prefix: null }))).toBe(false);
        expect(sameRule({ ...spec, remoteIpPrefix: "0.0.0.0/0" }, tcp(23))).toBe(false);
        expect(sameRule({ ...spec, remoteIpPrefix: "0.0.0.0/0" }, tcp(22, { direction: "egress" }))).toBe(false);
    });

    it("one region by hand and one not yet: the first adopted, the second left to be created", () => {
        const cloud = guideCloud();
        cloud.networks = cloud.networks.filter((n) => n.id !== ID.net2);
        cloud.subnets = cloud.subnets.filter((s) => s.id !== ID.subnet2);
        cloud.ports = cloud.ports.filter((p) => p.id !== ID.port2);
        const plan = planAdoption(cloud, context({ adopt: true }));
        expect(plan.refusals).toEqual([]);
        expect(plan.plane.regions.RegionOne.network?.id).toBe(ID.net1);
        expect(plan.plane.regions.RegionTwo).toEqual({ ports: {} });
    });

    it("two groups of one name: refused, both ids named", () => {
        const cloud = guideCloud();
        const twin = { ...cloud.groups[0], id: "0a5d6a2e-3333-4c0a-92bb-2a7a9c184ab1" };
        cloud.groups.push(twin);
        const plan = planAdoption(cloud, context({ adopt: true }));
        expect(plan.refusals).toEqual([expect.stringMatching(new RegExp(`^securityGroups.amphora: 2 candidates .*${ID.amphoraGroup}.*${twin.id}`))]);
    });

    it("contradictions are refused: another CIDR, a port bound elsewhere, another project, another stack's object", () => {
        const cidr = guideCloud();
        cidr.subnets[0].cidr = "192.168.11.0/24";
        expect(planAdoption(cidr, context({ adopt: true })).refusals).toEqual([
            `regions[0].mgmt.cidr: subnet "lb-mgmt-subnet1" (${ID.subnet1}) has 192.168.11.0/24, the configuration 192.168.10.0/24`,
        ]);
        const elsewhere = guideCloud();
        elsewhere.ports[0].name = "octavia-health-manager-RegionOne-node1-listen-port";
        elsewhere.ports[0]["binding:host_id"] = "node1.example.org";
        expect(planAdoption(elsewhere, context({ adopt: true })).refusals).toEqual([
            expect.stringMatching(/^regions\[0\].controllers\[0\].hostname: .* is bound to host "node1.example.org", not "node1"$/),
        ]);
        const project = planAdoption(guideCloud(), context({ adopt: true }, { ownerProjectId: "0123456789abcdef0123456789abcdef" }));
        expect(project.refusals).toHaveLength(8);
        expect(project.refusals[0]).toMatch(/belongs to project 5f0e.*, not amphoraProject \(0123/);
        const other = guideCloud();
        other.groups[0].tags = ["tlb-stack:tricircle-lbaas:prod"];
        expect(planAdoption(other, context({ adopt: true })).refusals).toEqual([
            `securityGroups.amphora: security group "lb-mgmt-sec-grp" (${ID.amphoraGroup}) belongs to another stack (tlb-stack:tricircle-lbaas:prod); a plane is one stack's`,
        ]);
    });

    it("the stack's own objects are neither refused nor adopted; those it took over before are taken over again", () => {
        const own = guideCloud();
        for (const o of [...own.groups, ...own.networks, ...own.subnets, ...own.ports]) o.tags = [STACK_TAG];
        const plan = planAdoption(own, context());
        expect(plan.refusals).toEqual([]);
        expect(plan.adopted).toEqual([]);
        const before = guideCloud();
        for (const o of [...before.groups, ...before.networks, ...before.subnets, ...before.ports]) o.tags = [ADOPTED_TAG];
        expect(planAdoption(before, context({ adopt: true })).adopted).toHaveLength(8);
        const elsewhere = guideCloud();
        elsewhere.networks[0].tags = ["tlb-adopted:tricircle-lbaas:prod"];
        expect(planAdoption(elsewhere, context({ adopt: true })).refusals).toEqual([
            `regions[0].mgmt.network: network "lb-mgmt-net1" (${ID.net1}) belongs to another stack (tlb-adopted:tricircle-lbaas:prod); a plane is one stack's; if that stack is destroyed, remove the tag tlb-adopted:tricircle-lbaas:prod from it and run again`,
        ]);
    });
});

describe("the program on a cloud that holds the guide's plane", () => {
    it("without adopt: refused at preview, naming each object, before any cloud object is registered", async () => {
        const run = runStack(guideConfig(), { secretKeys: SECRET_KEYS, cloud: guideCloud() });
        const error = await run.then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ProgramError);
        const { message, resources } = error as ProgramError;
        expect(message).toContain("The cloud already holds objects of the management plane");
        expect(message).toContain(`securityGroups.amphora: security group "lb-mgmt-sec-grp" (${ID.amphoraGroup})`);
        expect(message).toContain("set tricircle-lbaas:adopt to true");
        // Only the regional providers (and their component) exist: no group, rule, network, port, binding or node command.
        expect(resources.map((r) => r.type).filter((t) => !t.startsWith("pulumi:providers:") && !t.startsWith("tricircle-lbaas:"))).toEqual([]);
    });

    it("with adopt: imports each object as found, keeps it on destroy, tags it adopted; creates only the missing rules", async () => {
        const run = await runStack(guideConfig({ adopt: true }), { secretKeys: SECRET_KEYS, cloud: guideCloud() });
        const byName = (name: string) => run.byName(name);
        const imported = run.resources.filter((r) => r.importId !== undefined);
        expect(imported.map((r) => [r.name, r.importId]).sort()).toEqual(
            [
                ["lb-secgroups-amphora", ID.amphoraGroup],
                ["lb-secgroups-health-manager", ID.hmGroup],
                ["region-RegionOne-mgmt-network", ID.net1],
                ["region-RegionOne-mgmt-subnet", ID.subnet1],
                ["region-RegionOne-hm-node1-port", ID.port1],
                ["region-RegionTwo-mgmt-network", ID.net2],
                ["region-RegionTwo-mgmt-subnet", ID.subnet2],
                ["region-RegionTwo-hm-node2-port", ID.port2],
            ].sort(),
        );
        for (const r of imported) expect(r.retainOnDelete, r.name).toBe(true);
        for (const r of imported) expect(plain(r.inputs).tags, r.name).toContain("tlb-adopted:tricircle-lbaas:unit");
        for (const r of imported) expect(plain(r.inputs).tags, r.name).not.toContain("tlb-stack:tricircle-lbaas:unit");
        // What amphorae and o-hm0 depend on stays as found.
        expect(plain(byName("region-RegionOne-mgmt-subnet").inputs)).toMatchObject({ gatewayIp: "192.168.10.1", enableDhcp: true, name: "lb-mgmt-subnet1" });
        expect(plain(byName("region-RegionOne-hm-node1-port").inputs)).toMatchObject({
            name: "octavia-health-manager-region-one-listen-port",
            macAddress: "fa:16:3e:11:22:33",
            fixedIps: [{ subnetId: ID.subnet1, ipAddress: "192.168.10.5" }],
            securityGroupIds: [ID.hmGroup],
        });
        // The binding of an adopted port is kept as found (no call when bound already), and left on destroy.
        const binding = byName("region-RegionOne-hm-node1-binding");
        expect(plain(binding.inputs).adopted).toBe(true);
        expect(binding.retainOnDelete).toBe(true);
        // The configuration's rules (sources: the management CIDRs) are new, in the adopted groups, made by the stack.
        const rules = run.ofType("openstack:networking/secGroupRule:SecGroupRule");
        expect(rules.length).toBeGreaterThan(0);
        for (const r of rules) {
            expect(r.importId).toBeUndefined();
            expect([ID.amphoraGroup, ID.hmGroup]).toContain(plain(r.inputs).securityGroupId);
        }
        // The node reads the adopted port: its address and MAC reach octavia.conf and o-hm0 unchanged.
        const ohm0 = plain(byName("region-RegionOne-node-node1-plane").inputs).create as string;
        expect(ohm0).toContain("TLB_MAC='fa:16:3e:11:22:33'");
        expect(ohm0).toContain("TLB_ADDRESS='192.168.10.5'");
    });

    it("looks up ports by owner and by the stack's names, groups and networks by the configured names", async () => {
        await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        const { fakeCloud } = await import("./fakeCloud");
        expect(fakeCloud.requests).toEqual(
            expect.arrayContaining([
                "/v2.0/security-groups?name=lb-mgmt-sec-grp&name=lb-health-mgr-sec-grp",
                "/v2.0/ports?device_owner=Octavia%3Ahealth-mgr",
                "/v2.0/networks?name=lb-mgmt-net1&name=lb-mgmt-net2",
                "/v2.0/subnets?name=lb-mgmt-subnet1&name=lb-mgmt-subnet2",
            ]),
        );
    });
});
