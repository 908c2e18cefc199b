// MOCK tests: the engine and OpenStack are Pulumi mocks (see pulumiMocks.ts); they check what the program registers.
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_RETRIES } from "../../components/cloud/providers";
import { regionResourceNames } from "../../components/config/names";
import { guideConfig, guideNamespace, HOST_KEY, SECRET_KEYS, TEST_HEARTBEAT_KEY, TEST_PRIVATE_KEY } from "./fixtures";
import { isSecret, OPENSTACK_SETTINGS, plain, runStack, stackConfig, uuidFor } from "./pulumiMocks";

const T = {
    provider: "pulumi:providers:openstack",
    secGroup: "openstack:networking/secGroup:SecGroup",
    rule: "openstack:networking/secGroupRule:SecGroupRule",
    network: "openstack:networking/network:Network",
    subnet: "openstack:networking/subnet:Subnet",
    port: "openstack:networking/port:Port",
    binding: "pulumi-nodejs:dynamic/neutron:PortHostBinding",
    active: "pulumi-nodejs:dynamic/neutron:PortActive",
};

/** The provider URN's resource name, e.g. `openstack-CentralRegion`. */
function providerName(urnAndId: string | undefined): string {
    return (urnAndId ?? "").split("::")[3]?.split("::")[0] ?? "";
}

function ruleSummary(inputs: Record<string, any>): string {
    const i = plain(inputs);
    const ports = i.portRangeMin === undefined ? "" : `:${i.portRangeMin}-${i.portRangeMax}`;
    return `${i.ethertype} ${i.protocol}${ports} from ${i.remoteIpPrefix}`;
}

describe("the guide's topology (two regions, one controller each)", () => {
    it("creates one provider per region, all openstack resources through an explicit provider", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        const providers = run.ofType(T.provider);
        expect(providers.map((p) => plain(p.inputs).region).sort()).toEqual(["CentralRegion", "RegionOne", "RegionTwo"]);
        for (const p of providers) {
            const inputs = plain(p.inputs);
            expect(inputs.authUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v3$/);
            expect(inputs.userName).toBe("admin");
            expect(isSecret(p.inputs.password)).toBe(true);
            // Short API outages: every regional provider resends a request that got no answer (providers.ts).
            // A provider's inputs reach the engine JSON-encoded: the number arrives as its text.
            expect(inputs.maxRetries).toBe(String(DEFAULT_MAX_RETRIES));
        }
        const openstackResources = run.resources.filter((r) => r.type.startsWith("openstack:"));
        expect(openstackResources.length).toBeGreaterThan(0);
        for (const r of openstackResources) {
            expect(providerName(r.provider), `${r.name} must use the central provider`).toBe("openstack-CentralRegion");
        }
    });

    it("keeps an operator's openstack:maxRetries on every regional provider", async () => {
        const run = await runStack({ ...guideConfig(), "openstack:maxRetries": "9" }, { secretKeys: SECRET_KEYS });
        const providers = run.ofType(T.provider);
        expect(providers).toHaveLength(3);
        for (const p of providers) expect(plain(p.inputs).maxRetries).toBe("9");
    });

    it("builds both security groups with the guide's rules, sourced from the management CIDRs", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        const groups = run.ofType(T.secGroup).map((g) => plain(g.inputs).name).sort();
        expect(groups).toEqual(["lb-health-mgr-sec-grp", "lb-mgmt-sec-grp"]);
        const rules = run.ofType(T.rule);
        // Per source (2 IPv4 management CIDRs): ICMP + 3 TCP on the amphora group, UDP 5555 on the health-manager group.
        expect(rules).toHaveLength(2 * 5);
        const amphora = rules.filter((r) => plain(r.inputs).securityGroupId === uuidFor("lb-secgroups-amphora")).map((r) => ruleSummary(r.inputs));
        expect(amphora.sort()).toEqual(
            [
                "IPv4 icmp from 192.168.10.0/24",
                "IPv4 icmp from 192.168.20.0/24",
                "IPv4 tcp:22-22 from 192.168.10.0/24",
                "IPv4 tcp:22-22 from 192.168.20.0/24",
                "IPv4 tcp:80-80 from 192.168.10.0/24",
                "IPv4 tcp:80-80 from 192.168.20.0/24",
                "IPv4 tcp:9443-9443 from 192.168.10.0/24",
                "IPv4 tcp:9443-9443 from 192.168.20.0/24",
            ].sort(),
        );
        const hm = rules.filter((r) => plain(r.inputs).securityGroupId === uuidFor("lb-secgroups-health-manager")).map((r) => ruleSummary(r.inputs));
        expect(hm.sort()).toEqual(["IPv4 udp:5555-5555 from 192.168.10.0/24", "IPv4 udp:5555-5555 from 192.168.20.0/24"]);
        expect(rules.every((r) => plain(r.inputs).direction === "ingress")).toBe(true);
        expect(run.ofType(T.secGroup).every((g) => plain(g.inputs).deleteDefaultRules !== true)).toBe(true);
    });

    it("creates a non-shared, gateway-less management network per region in the central region", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        expect(run.ofType(T.network).map((n) => plain(n.inputs))).toEqual([
            expect.objectContaining({ name: "lb-mgmt-net1", shared: false, adminStateUp: true }),
            expect.objectContaining({ name: "lb-mgmt-net2", shared: false, adminStateUp: true }),
        ]);
        const subnets = run.ofType(T.subnet).map((s) => plain(s.inputs));
        expect(subnets).toEqual([
            expect.objectContaining({ name: "lb-mgmt-subnet1", cidr: "192.168.10.0/24", noGateway: true, enableDhcp: false, ipVersion: 4, networkId: uuidFor("region-RegionOne-mgmt-network") }),
            expect.objectContaining({ name: "lb-mgmt-subnet2", cidr: "192.168.20.0/24", noGateway: true, enableDhcp: false, ipVersion: 4, networkId: uuidFor("region-RegionTwo-mgmt-network") }),
        ]);
    });

    it("creates a health-manager port per controller and binds it in the local region", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        const ports = run.ofType(T.port).map((p) => plain(p.inputs));
        expect(ports).toHaveLength(2);
        expect(ports[0]).toMatchObject({
            name: "octavia-health-manager-RegionOne-node1-listen-port",
            networkId: uuidFor("region-RegionOne-mgmt-network"),
            fixedIps: [{ subnetId: "region-RegionOne-mgmt-subnet-id" }],
            securityGroupIds: [uuidFor("lb-secgroups-health-manager")],
            deviceOwner: "Octavia:health-mgr",
            adminStateUp: true,
        });
        expect(ports[1].name).toBe("octavia-health-manager-RegionTwo-node2-listen-port");
        const bindings = run.ofType(T.binding);
        expect(bindings.map((b) => [plain(b.inputs).portId, plain(b.inputs).region, plain(b.inputs).hostId])).toEqual([
            [uuidFor("region-RegionOne-hm-node1-port"), "RegionOne", "node1"],
            [uuidFor("region-RegionTwo-hm-node2-port"), "RegionTwo", "node2"],
        ]);
    });

    it("waits, per controller, for its port to be ACTIVE once the node's o-hm0 carries it, in the local region", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        const waits = run.ofType(T.active);
        expect(waits.map((w) => [w.name, plain(w.inputs).portId, plain(w.inputs).region, plain(w.inputs).hostId])).toEqual([
            ["region-RegionOne-hm-node1-active", uuidFor("region-RegionOne-hm-node1-port"), "RegionOne", "node1"],
            ["region-RegionTwo-hm-node2-active", uuidFor("region-RegionTwo-hm-node2-port"), "RegionTwo", "node2"],
        ]);
        for (const w of waits) {
            const hostname = plain(w.inputs).hostId;
            const region = plain(w.inputs).region;
            // Checked after o-hm0 exists (its MAC is what the wait is keyed on), with the binding's secret credentials.
            expect(w.dependencies).toContain(`region-${region}-node-${hostname}-plane`);
            expect(plain(w.inputs).wiredAs).toMatch(/^fa:16:3e:/);
            expect(plain(w.inputs).node).toMatch(new RegExp(`^region-${region}-node-${hostname} \\(.+:22\\)$`));
            expect(isSecret(w.inputs.access)).toBe(true);
        }
    });

    it("exports the contract's outputs", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        expect(run.outputs.securityGroups).toEqual({ amphora: uuidFor("lb-secgroups-amphora"), healthManager: uuidFor("lb-secgroups-health-manager") });
        const regions = run.outputs.regions as Record<string, any>;
        expect(Object.keys(regions).sort()).toEqual(["RegionOne", "RegionTwo"]);
        expect(regions.RegionOne).toMatchObject({
            mgmtNetworkId: uuidFor("region-RegionOne-mgmt-network"),
            mgmtSubnetId: "region-RegionOne-mgmt-subnet-id",
            healthManagers: [{ hostname: "node1", portId: uuidFor("region-RegionOne-hm-node1-port"), ip: expect.stringMatching(/^192\.168\.10\.\d+$/), mac: expect.stringMatching(/^fa:16:3e:/) }],
        });
    });

    it("keeps the provider password, the Keystone credentials and the stack secrets secret", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        for (const binding of run.ofType(T.binding)) {
            expect(isSecret(binding.inputs.access)).toBe(true);
            expect(plain(binding.inputs.access).authBody).toContain("s3cret-admin-password");
        }
        const everythingNotSecret = JSON.stringify(
            run.resources.map((r) => Object.fromEntries(Object.entries(r.inputs).filter(([, v]) => !isSecret(v)))),
        );
        for (const secret of ["s3cret-admin-password", TEST_HEARTBEAT_KEY, TEST_PRIVATE_KEY.split("\n")[1]]) {
            expect(everythingNotSecret).not.toContain(secret);
        }
    });
});

describe("controller nodes in the guide's topology", () => {
    it("configures each controller over SSH: the plane and octavia.conf, beside the retired firewall and persistence commands", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        expect(run.ofType("tricircle-lbaas:node:ControllerNode").map((n) => n.name)).toEqual(["region-RegionOne-node-node1", "region-RegionTwo-node-node2"]);
        const commands = run.ofType("command:remote:Command");
        expect(commands.map((c) => c.name).sort()).toEqual(
            ["node1", "node2"].flatMap((h) => ["firewall", "octavia-conf", "persistence", "plane"].map((c) => `region-Region${h === "node1" ? "One" : "Two"}-node-${h}-${c}`)).sort(),
        );
        const conn = plain(run.byName("region-RegionOne-node-node1-plane").inputs.connection);
        expect(conn).toMatchObject({ host: "10.7.20.110", port: 22, user: "stack" });
        expect(isSecret(run.byName("region-RegionOne-node-node1-plane").inputs.connection) || isSecret(run.byName("region-RegionOne-node-node1-plane").inputs.connection.privateKey)).toBe(true);
        const planeCreate = String(plain(run.byName("region-RegionOne-node-node1-plane").inputs.create));
        expect(planeCreate).toContain(uuidFor("region-RegionOne-hm-node1-port"));
        const conf = String(plain(run.byName("region-RegionTwo-node-node2-octavia-conf").inputs.create));
        // node2's health manager list is its own region's: RegionTwo's port on 192.168.20.0/24.
        expect(conf).toMatch(/192\.168\.20\.\d+:5555/);
        expect(conf).not.toMatch(/192\.168\.10\.\d+:5555/);
        expect(conf).toContain(uuidFor("region-RegionTwo-mgmt-network"));
        expect(conf).toContain(uuidFor("lb-secgroups-amphora"));
        expect(conf).not.toContain(TEST_HEARTBEAT_KEY);
        expect(isSecret(run.byName("region-RegionTwo-node-node2-octavia-conf").inputs.stdin)).toBe(true);
        expect(JSON.stringify(plain(run.byName("region-RegionTwo-node-node2-octavia-conf").inputs.stdin))).toContain("hb-key");
    });

    it("reports the address and MAC the host ended up with", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        const hm = (run.outputs.regions as any).RegionTwo.healthManagers[0];
        const port = run.byName("region-RegionTwo-hm-node2-port");
        expect(hm.portId).toBe(port.id);
        expect(hm.ip).toMatch(/^192\.168\.20\.\d+$/);
        expect(hm.mac).toMatch(/^fa:16:3e:[0-9a-f:]+$/);
    });
});

describe("other topologies", () => {
    it("three regions with two controllers in one of them", async () => {
        const ns = guideNamespace();
        ns.regions.push({
            name: "RegionThree",
            mgmt: { cidr: "192.168.30.0/24", addressing: "dhcp" },
            controllers: [
                { host: "10.7.20.120", hostname: "node3a" },
                { host: "10.7.20.121", hostname: "node3b" },
            ],
        });
        const run = await runStack(stackConfig(ns, OPENSTACK_SETTINGS), { secretKeys: SECRET_KEYS });
        expect(run.ofType(T.provider)).toHaveLength(4);
        expect(run.ofType(T.network)).toHaveLength(3);
        expect(run.ofType(T.port)).toHaveLength(4);
        expect(run.ofType(T.rule)).toHaveLength(3 * 5);
        const subnet3 = plain(run.byName("region-RegionThree-mgmt-subnet").inputs);
        expect(subnet3).toMatchObject({ name: "lb-mgmt-subnet3", enableDhcp: true, noGateway: true });
        const hosts = run.ofType(T.binding).filter((b) => plain(b.inputs).region === "RegionThree").map((b) => plain(b.inputs).hostId);
        expect(hosts).toEqual(["node3a", "node3b"]);
        const regions = run.outputs.regions as Record<string, any>;
        expect(regions.RegionThree.healthManagers.map((h: any) => h.hostname)).toEqual(["node3a", "node3b"]);
    });

    it("a region's controllers restart one after the other, in their order; other regions do not wait", async () => {
        const ns = guideNamespace();
        const three = ["node3a", "node3b", "node3c"];
        ns.regions.push({ name: "RegionThree", mgmt: { cidr: "192.168.30.0/24" }, controllers: three.map((h, i) => ({ host: `10.7.20.${120 + i}`, hostname: h })) });
        const run = await runStack(stackConfig(ns, OPENSTACK_SETTINGS), { secretKeys: SECRET_KEYS });
        const deps = (name: string) => run.byName(name).dependencies;
        const conf = (h: string) => `${regionResourceNames("RegionThree").node(h)}-octavia-conf`;
        // The next node's restart (octavia.conf) waits for the previous node's; the first waits for no other node.
        expect(deps(conf("node3b"))).toContain(conf("node3a"));
        expect(deps(conf("node3c"))).toContain(conf("node3b"));
        expect(deps(conf("node3c"))).not.toContain(conf("node3a"));
        const otherNodes = (name: string) => deps(name).filter((d) => d.endsWith("-octavia-conf"));
        expect(otherNodes(conf("node3a"))).toEqual([]);
        // The guide's regions, one controller each, and RegionThree's first node start at once.
        for (const r of guideNamespace().regions) {
            for (const c of r.controllers ?? []) expect(otherNodes(`${regionResourceNames(r.name).node(c.hostname)}-octavia-conf`)).toEqual([]);
        }
        // The push to the region's running amphorae waits for every node of the region, and for none of another.
        const push = run.byName(regionResourceNames("RegionThree").agentConfig);
        expect(push.dependencies.filter((d) => d.endsWith("-octavia-conf")).sort()).toEqual(three.map(conf));
        expect(isSecret(push.inputs.plane)).toBe(true);
        expect(isSecret(push.inputs.access)).toBe(true);
        expect(plain(push.inputs)).toMatchObject({ region: "RegionThree", mgmtCidr: "192.168.30.0/24" });
    });

    it("accept-new: a controller without a pinned key gets a HostKeyPin of its address, and its commands connect with the pin's key", async () => {
        const ns = guideNamespace();
        ns.ssh.hostKeys = { "10.7.20.114": HOST_KEY };
        const run = await runStack(stackConfig(ns, OPENSTACK_SETTINGS), { secretKeys: SECRET_KEYS });
        const pins = run.ofType("pulumi-nodejs:dynamic/node:HostKeyPin");
        expect(pins.map((p) => [p.name, plain(p.inputs).host, plain(p.inputs).port])).toEqual([[`${regionResourceNames("RegionOne").node("node1")}-host-key`, "10.7.20.110", 22]]);
        const ohm0 = run.byName(`${regionResourceNames("RegionOne").node("node1")}-plane`);
        expect(ohm0.dependencies).toContain(pins[0].name);
        expect(plain(run.byName(`${regionResourceNames("RegionTwo").node("node2")}-plane`).inputs).connection.hostKey).toBe(HOST_KEY);
    });

    it("the push of the agent settings: one per region with controllers, its digest moves with the heartbeat key and the controllers, never shows the key", async () => {
        const digest = async (ns: ReturnType<typeof guideNamespace>) => {
            const run = await runStack(stackConfig(ns, OPENSTACK_SETTINGS), { secretKeys: SECRET_KEYS });
            const pushes = run.ofType("pulumi-nodejs:dynamic/amphora:AmphoraAgentConfig");
            expect(JSON.stringify(pushes.map((p) => plain(p.inputs)))).not.toContain(ns.healthManager.heartbeatKey);
            return Object.fromEntries(pushes.map((p) => [plain(p.inputs).region, plain(p.inputs).plane as string]));
        };
        const base = await digest(guideNamespace());
        expect(Object.keys(base).sort()).toEqual(["RegionOne", "RegionTwo"]);
        expect(base.RegionOne).toMatch(/^[0-9a-f]{64}$/);
        // Another key: both regions push.
        const rotatedNs = guideNamespace();
        rotatedNs.healthManager.heartbeatKey = `${TEST_HEARTBEAT_KEY}-2`;
        const rotated = await digest(rotatedNs);
        expect(rotated.RegionOne).not.toBe(base.RegionOne);
        expect(rotated.RegionTwo).not.toBe(base.RegionTwo);
        // A controller added to RegionOne: its list changes, RegionTwo's does not.
        const added = guideNamespace();
        added.regions[0].controllers = [...(added.regions[0].controllers ?? []), { host: "10.7.20.130", hostname: "node1b" }];
        const grown = await digest(added);
        expect(grown.RegionOne).not.toBe(base.RegionOne);
        expect(grown.RegionTwo).toBe(base.RegionTwo);
        // A region without controllers has nothing to push.
        const ns = guideNamespace();
        ns.regions[1].controllers = [];
        expect(Object.keys(await digest(ns))).toEqual(["RegionOne"]);
    });

    it("allowedCidrs open to the world, as the guide does, with IPv6 rules", async () => {
        const run = await runStack(guideConfig({ securityGroups: { allowedCidrs: ["0.0.0.0/0", "::/0"] } }), { secretKeys: SECRET_KEYS });
        const rules = run.ofType(T.rule).map((r) => ruleSummary(r.inputs)).sort();
        expect(rules).toEqual(
            [
                "IPv4 icmp from 0.0.0.0/0",
                "IPv4 tcp:22-22 from 0.0.0.0/0",
                "IPv4 tcp:80-80 from 0.0.0.0/0",
                "IPv4 tcp:9443-9443 from 0.0.0.0/0",
                "IPv4 udp:5555-5555 from 0.0.0.0/0",
                "IPv6 ipv6-icmp from ::/0",
                "IPv6 tcp:22-22 from ::/0",
                "IPv6 tcp:80-80 from ::/0",
                "IPv6 tcp:9443-9443 from ::/0",
                "IPv6 udp:5555-5555 from ::/0",
            ].sort(),
        );
        // `::` would break the URN: rule names carry a sanitised source.
        expect(run.ofType(T.rule).every((r) => !r.name.includes("::"))).toBe(true);
    });

    it("ipv6: false drops IPv6 sources from the management CIDRs", async () => {
        const ns = guideNamespace();
        ns.regions[1].mgmt.cidr = "fd00:20::/64";
        ns.securityGroups = { ipv6: false };
        const run = await runStack(stackConfig(ns, OPENSTACK_SETTINGS), { secretKeys: SECRET_KEYS });
        const rules = run.ofType(T.rule).map((r) => plain(r.inputs));
        expect(rules).toHaveLength(5);
        expect(rules.every((r) => r.ethertype === "IPv4")).toBe(true);
        expect(plain(run.byName("region-RegionTwo-mgmt-subnet").inputs)).toMatchObject({ cidr: "fd00:20::/64", ipVersion: 6 });
    });

    it("custom ports and group names flow into the rules", async () => {
        const run = await runStack(
            guideConfig({
                securityGroups: { amphora: "amp-sg", healthManager: "hm-sg", amphoraTcpPorts: [9443], allowedCidrs: ["10.0.0.0/8"] },
                healthManager: { port: 5556, heartbeatKey: "k" },
            }),
            { secretKeys: SECRET_KEYS },
        );
        expect(run.ofType(T.secGroup).map((g) => plain(g.inputs).name).sort()).toEqual(["amp-sg", "hm-sg"]);
        expect(run.ofType(T.rule).map((r) => ruleSummary(r.inputs)).sort()).toEqual([
            "IPv4 icmp from 10.0.0.0/8",
            "IPv4 tcp:9443-9443 from 10.0.0.0/8",
            "IPv4 udp:5556-5556 from 10.0.0.0/8",
        ]);
    });

    it("a non-RFC agent host (compute_1) and a config path with a space run to the end, carried quoted", async () => {
        const ns = guideNamespace();
        ns.regions[0].controllers[0].hostname = "compute_1";
        ns.regions[0].octavia = { configFile: "/etc/octavia/my octavia.conf" };
        const run = await runStack(stackConfig(ns, OPENSTACK_SETTINGS), { secretKeys: SECRET_KEYS });
        expect(plain(run.byName("region-RegionOne-hm-compute_1-binding").inputs).hostId).toBe("compute_1");
        expect(plain(run.byName("region-RegionOne-hm-compute_1-port").inputs).name).toBe("octavia-health-manager-RegionOne-compute_1-listen-port");
        const ohm0 = String(plain(run.byName("region-RegionOne-node-compute_1-plane").inputs.create));
        expect(ohm0).toContain("TLB_HOSTNAME='compute_1'\n");
        const conf = String(plain(run.byName("region-RegionOne-node-compute_1-octavia-conf").inputs.create));
        expect(conf).toContain("TLB_CONF='/etc/octavia/my octavia.conf'\n");
        expect(conf).toContain("TLB_BACKUP='/etc/octavia/my octavia.conf.tricircle-lbaas.orig'\n");
        expect((run.outputs.regions as any).RegionOne.healthManagers[0].hostname).toBe("compute_1");
    });

    it("a region without controllers gets its network but no ports, and needs no secrets", async () => {
        const ns = guideNamespace();
        delete ns.healthManager;
        delete ns.ssh;
        ns.regions.forEach((r: any) => (r.controllers = []));
        const run = await runStack(stackConfig(ns, OPENSTACK_SETTINGS));
        expect(run.ofType(T.network)).toHaveLength(2);
        expect(run.ofType(T.port)).toHaveLength(0);
        expect(run.ofType(T.binding)).toHaveLength(0);
        expect((run.outputs.regions as any).RegionOne.healthManagers).toEqual([]);
    });
});
