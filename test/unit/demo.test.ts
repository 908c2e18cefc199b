// MOCK tests: the engine and OpenStack are Pulumi mocks (see pulumiMocks.ts); they check what the demo registers
// for the guide's "How to play": networks, backends, load balancers, the order of the load balancer chain.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../../components/config/model";
import { renderUserData } from "../../components/demo/userData";
import { guideConfig, guideNamespace, SECRET_KEYS } from "./fixtures";
import { plain, RecordedResource, runStack, StackRun , uuidFor } from "./pulumiMocks";

const T = {
    demo: "tricircle-lbaas:demo:Demo",
    backend: "tricircle-lbaas:demo:BackendServer",
    lbComponent: "tricircle-lbaas:demo:LoadBalancer",
    network: "openstack:networking/network:Network",
    subnet: "openstack:networking/subnet:Subnet",
    secGroup: "openstack:networking/secGroup:SecGroup",
    rule: "openstack:networking/secGroupRule:SecGroupRule",
    instance: "openstack:compute/instance:Instance",
    lb: "openstack:loadbalancer/loadBalancer:LoadBalancer",
    listener: "openstack:loadbalancer/listener:Listener",
    pool: "openstack:loadbalancer/pool:Pool",
    members: "openstack:loadbalancer/members:Members",
    monitor: "openstack:loadbalancer/monitor:Monitor",
};
const GET_IMAGE = "openstack:images/getImage:getImage";
const GET_FLAVOR = "openstack:compute/getFlavor:getFlavor";

// MockResourceArgs carries no dependencies or timeouts, so the mock monitor's registerResource is wrapped to see the
// request the SDK sends the engine (explicit dependsOn and input dependencies together, as URNs).
interface Registration {
    /** URNs' names: explicit dependsOn and input dependencies alike. */
    dependencies: string[];
    customTimeouts?: { create: string; update: string; delete: string };
}
const registrations = new Map<string, Registration>();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: any } };
const originalRegister = MockMonitor.prototype.registerResource;
beforeAll(() => {
    MockMonitor.prototype.registerResource = function (req: any, callback: any) {
        const timeouts = req.getCustomtimeouts();
        registrations.set(req.getName(), {
            dependencies: req.getDependenciesList().map((urn: string) => urn.split("::").pop()),
            customTimeouts: timeouts ? { create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() } : undefined,
        });
        return originalRegister.call(this, req, callback);
    };
});
afterAll(() => {
    MockMonitor.prototype.registerResource = originalRegister;
});

/** The provider URN's resource name, e.g. `openstack-RegionOne`. */
function providerName(r: RecordedResource): string {
    return (r.provider ?? "").split("::")[3] ?? "";
}

interface Lookups {
    image: any[];
    flavor: any[];
}

interface DemoRun extends StackRun {
    lookups: Lookups;
    /** What the SDK sent the engine for a resource: its dependencies and custom timeouts. */
    registration(name: string): Registration;
}

async function runDemo(demo: Record<string, unknown>, regions?: unknown[]): Promise<DemoRun> {
    const lookups: Lookups = { image: [], flavor: [] };
    registrations.clear();
    const namespace = { ...guideNamespace(), demo, ...(regions ? { regions } : {}) };
    const run = await runStack(guideConfig(namespace), {
        secretKeys: SECRET_KEYS,
        calls: {
            [GET_IMAGE]: (inputs) => {
                lookups.image.push(inputs);
                return { id: `image-${inputs.region}`, name: inputs.name };
            },
            [GET_FLAVOR]: (inputs) => {
                lookups.flavor.push(inputs);
                return { id: `flavor-${inputs.region}`, flavorId: `flavor-${inputs.region}`, name: inputs.name };
            },
        },
    });
    const recorded = new Map(registrations);
    return Object.assign(run, {
        lookups,
        registration(name: string): Registration {
            const found = recorded.get(name);
            if (!found) throw new Error(`${name} was not registered`);
            return found;
        },
    });
}

const net1 = { name: "net1", cidr: "10.0.10.0/24" };
const net2 = { name: "net2", cidr: "10.0.20.0/24" };
const b1 = { name: "backend1", region: "RegionOne", network: "net1" };
const b2 = { name: "backend2", region: "RegionOne", network: "net1" };
const b3 = { name: "backend3", region: "RegionTwo", network: "net1" };
const b4 = { name: "backend4", region: "RegionTwo", network: "net2" };
const lb1 = (members: string[], extra: Record<string, unknown> = {}) => ({
    name: "lb1",
    region: "RegionOne",
    vipNetwork: "net1",
    listener: { protocol: "HTTP", port: 80 },
    pool: { protocol: "HTTP", algorithm: "ROUND_ROBIN" },
    members,
    ...extra,
});
const base = { image: "cirros-0.5.2-x86_64-disk", flavor: "m1.tiny" };

/** The guide's three scenarios, exactly as docs/demo.md shows them (checked at the end of this file). */
const SCENARIO = {
    oneNetworkOneRegion: { ...base, networks: [net1], backends: [b1, b2], loadBalancers: [lb1(["backend1", "backend2"])] },
    oneNetworkTwoRegions: { ...base, networks: [net1], backends: [b1, b2, b3], loadBalancers: [lb1(["backend1", "backend2", "backend3"])] },
    twoNetworksTwoRegions: {
        ...base,
        networks: [net1, net2],
        backends: [b1, b2, b3, b4],
        loadBalancers: [lb1(["backend1", "backend2", "backend3", "backend4"], { healthMonitor: { type: "HTTP", delay: 5, timeout: 3, maxRetries: 3 } })],
    },
};

const SUBNET_ID = { net1: "demo-networks-net1-subnet-id", net2: "demo-networks-net2-subnet-id" };
const NETWORK_ID = { net1: uuidFor("demo-networks-net1-network"), net2: uuidFor("demo-networks-net2-network") };

function instances(run: StackRun) {
    return Object.fromEntries(run.ofType(T.instance).map((i) => [plain(i.inputs).name, { ...plain(i.inputs), provider: providerName(i) }]));
}

function memberRows(run: StackRun, lbName: string) {
    return plain(run.byName(`demo-lb-${lbName}-members`).inputs).members.map((m: any) => [m.name, m.subnetId, m.protocolPort]);
}

describe("scenario 1 of the guide: members on the VIP network, in the VIP's region", () => {
    const demo = SCENARIO.oneNetworkOneRegion;
    let run: DemoRun;
    beforeAll(async () => {
        run = await runDemo(demo);
    });

    it("creates net1 and a gateway-less DHCP subnet in the central region", async () => {
        const networks = run.ofType(T.network).filter((n) => n.name.startsWith("demo-"));
        expect(networks.map((n) => [plain(n.inputs).name, providerName(n)])).toEqual([["net1", "openstack-CentralRegion"]]);
        const subnets = run.ofType(T.subnet).filter((s) => s.name.startsWith("demo-"));
        expect(subnets.map((s) => ({ ...plain(s.inputs), provider: providerName(s) }))).toEqual([
            expect.objectContaining({
                name: "net1-subnet",
                networkId: NETWORK_ID.net1,
                cidr: "10.0.10.0/24",
                ipVersion: 4,
                noGateway: true,
                enableDhcp: true,
                provider: "openstack-CentralRegion",
            }),
        ]);
    });

    it("boots both backends in RegionOne on net1 with the regional image and flavor, after the subnet exists", async () => {
        const servers = instances(run);
        expect(Object.keys(servers).sort()).toEqual(["backend1", "backend2"]);
        for (const name of ["backend1", "backend2"]) {
            expect(servers[name]).toMatchObject({
                provider: "openstack-RegionOne",
                imageId: "image-RegionOne",
                flavorId: "flavor-RegionOne",
                networks: [{ uuid: NETWORK_ID.net1 }],
                securityGroups: ["tricircle-lbaas-unit-demo-backend-http"],
                configDrive: true,
                userData: renderUserData({ ports: [80] }),
            });
            expect(run.registration(`demo-backend-${name}-server`).dependencies).toContain("demo-networks-net1-subnet");
        }
        // One lookup per region, made in that region, however many backends it has.
        expect(run.lookups.image).toEqual([{ name: "cirros-0.5.2-x86_64-disk", mostRecent: true, region: "RegionOne" }]);
        expect(run.lookups.flavor).toEqual([{ name: "m1.tiny", region: "RegionOne" }]);
    });

    it("creates lb1 in RegionOne on net1's subnet with listener, pool and one batch of members", async () => {
        const lb = run.ofType(T.lb);
        expect(lb.map((r) => [plain(r.inputs).name, plain(r.inputs).vipSubnetId, providerName(r)])).toEqual([["lb1", SUBNET_ID.net1, "openstack-RegionOne"]]);
        expect(plain(run.byName("demo-lb-lb1-listener").inputs)).toMatchObject({ loadbalancerId: "demo-lb-lb1-lb-id", protocol: "HTTP", protocolPort: 80 });
        expect(plain(run.byName("demo-lb-lb1-pool").inputs)).toMatchObject({ listenerId: "demo-lb-lb1-listener-id", protocol: "HTTP", lbMethod: "ROUND_ROBIN" });
        expect(run.ofType(T.members)).toHaveLength(1);
        expect(plain(run.byName("demo-lb-lb1-members").inputs).poolId).toBe("demo-lb-lb1-pool-id");
        expect(memberRows(run, "lb1")).toEqual([
            ["backend1", SUBNET_ID.net1, 80],
            ["backend2", SUBNET_ID.net1, 80],
        ]);
        for (const type of [T.listener, T.pool, T.members]) {
            expect(run.ofType(type).map(providerName)).toEqual(["openstack-RegionOne"]);
        }
        expect(run.ofType(T.monitor)).toHaveLength(0);
    });

    it("exports loadBalancers as the contract has it", async () => {
        // The mocks compute no addresses (VIP, fixed IPs), so only the wiring of ids, names and regions shows here.
        expect(run.outputs.loadBalancers).toEqual({
            lb1: {
                id: "demo-lb-lb1-lb-id",
                listenerId: "demo-lb-lb1-listener-id",
                poolId: "demo-lb-lb1-pool-id",
                listenerPort: 80,
                vipNetworkId: NETWORK_ID.net1,
                members: [
                    { name: "backend1", region: "RegionOne" },
                    { name: "backend2", region: "RegionOne" },
                ],
            },
        });
    });
});

describe("scenario 2: the same network reaching into another region", () => {
    it("boots backend3 in RegionTwo on net1 and adds it with net1's subnet to lb1 in RegionOne", async () => {
        const run = await runDemo(SCENARIO.oneNetworkTwoRegions);
        expect(instances(run).backend3).toMatchObject({
            provider: "openstack-RegionTwo",
            imageId: "image-RegionTwo",
            flavorId: "flavor-RegionTwo",
            networks: [{ uuid: NETWORK_ID.net1 }],
        });
        expect(run.lookups.image.map((i) => i.region).sort()).toEqual(["RegionOne", "RegionTwo"]);
        expect(run.lookups.flavor.map((i) => i.region).sort()).toEqual(["RegionOne", "RegionTwo"]);
        expect(memberRows(run, "lb1")).toEqual([
            ["backend1", SUBNET_ID.net1, 80],
            ["backend2", SUBNET_ID.net1, 80],
            ["backend3", SUBNET_ID.net1, 80],
        ]);
        expect(providerName(run.byName("demo-lb-lb1-members"))).toBe("openstack-RegionOne");
        expect((run.outputs.loadBalancers as any).lb1.members.map((m: any) => m.region)).toEqual(["RegionOne", "RegionOne", "RegionTwo"]);
    });
});

describe("scenario 3: another network in another region", () => {
    const demo = SCENARIO.twoNetworksTwoRegions;
    let run: DemoRun;
    beforeAll(async () => {
        run = await runDemo(demo);
    });

    it("puts backend4 on net2 in RegionTwo and gives its member net2's subnet, not the VIP's", async () => {
        expect(run.ofType(T.subnet).filter((s) => s.name.startsWith("demo-")).map((s) => plain(s.inputs).cidr)).toEqual(["10.0.10.0/24", "10.0.20.0/24"]);
        expect(instances(run).backend4).toMatchObject({ provider: "openstack-RegionTwo", networks: [{ uuid: NETWORK_ID.net2 }] });
        expect(run.registration("demo-backend-backend4-server").dependencies).toContain("demo-networks-net2-subnet");
        expect(memberRows(run, "lb1")).toEqual([
            ["backend1", SUBNET_ID.net1, 80],
            ["backend2", SUBNET_ID.net1, 80],
            ["backend3", SUBNET_ID.net1, 80],
            ["backend4", SUBNET_ID.net2, 80],
        ]);
        expect(plain(run.byName("demo-lb-lb1-lb").inputs).vipSubnetId).toBe(SUBNET_ID.net1);
        expect(plain(run.byName("demo-lb-lb1-monitor").inputs)).toMatchObject({ poolId: "demo-lb-lb1-pool-id", type: "HTTP" });
    });

    it("opens TCP 80 on the backends' group from both demo networks, in the central region", async () => {
        const group = run.byName("demo-backend-http");
        expect(providerName(group)).toBe("openstack-CentralRegion");
        expect(plain(group.inputs).name).toBe("tricircle-lbaas-unit-demo-backend-http");
        const rules = run.ofType(T.rule).filter((r) => plain(r.inputs).securityGroupId === uuidFor("demo-backend-http"));
        expect(rules.map((r) => ({ ...plain(r.inputs), provider: providerName(r) }))).toEqual([
            { securityGroupId: uuidFor("demo-backend-http"), direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 80, portRangeMax: 80, remoteIpPrefix: "10.0.10.0/24", provider: "openstack-CentralRegion" },
            { securityGroupId: uuidFor("demo-backend-http"), direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 80, portRangeMax: 80, remoteIpPrefix: "10.0.20.0/24", provider: "openstack-CentralRegion" },
        ]);
        expect(Object.values(instances(run)).every((i: any) => i.securityGroups[0] === plain(group.inputs).name)).toBe(true);
    });
});

describe("the load balancer chain", () => {
    it("orders lb -> listener -> pool -> members -> monitor explicitly, with generous timeouts", async () => {
        const monitor = { type: "HTTP", delay: 5, timeout: 3, maxRetries: 3, urlPath: "/", expectedCodes: "200" };
        const run = await runDemo({ ...base, networks: [net1], backends: [b1, b2], loadBalancers: [lb1(["backend1", "backend2"], { healthMonitor: monitor })] });
        expect(run.registration("demo-lb-lb1-listener").dependencies).toContain("demo-lb-lb1-lb");
        expect(run.registration("demo-lb-lb1-pool").dependencies).toContain("demo-lb-lb1-listener");
        expect(run.registration("demo-lb-lb1-members").dependencies).toContain("demo-lb-lb1-pool");
        // The monitor needs only the pool id: without the explicit edge it would race the members batch into a 409.
        expect(run.registration("demo-lb-lb1-monitor").dependencies).toContain("demo-lb-lb1-members");
        // Members wait for the servers whose addresses they carry.
        expect(run.registration("demo-lb-lb1-members").dependencies).toEqual(expect.arrayContaining(["demo-backend-backend1-server", "demo-backend-backend2-server"]));
        expect(run.registration("demo-lb-lb1-lb").customTimeouts).toEqual({ create: "30m", update: "30m", delete: "30m" });
        // lb1 waits for RegionOne's Octavia (its port, binding and every node command), not for RegionTwo's.
        const regionOne = run.resources.filter((r) => r.name.startsWith("region-RegionOne-") && !r.type.startsWith("tricircle-lbaas:")).map((r) => r.name);
        expect(regionOne.length).toBeGreaterThanOrEqual(6);
        expect(run.registration("demo-lb-lb1-lb").dependencies).toEqual(expect.arrayContaining(regionOne));
        expect(run.registration("demo-lb-lb1-lb").dependencies.filter((d) => d.startsWith("region-RegionTwo"))).toEqual([]);
        for (const child of ["listener", "pool", "members", "monitor"]) {
            expect(run.registration(`demo-lb-lb1-${child}`).customTimeouts).toEqual({ create: "20m", update: "20m", delete: "20m" });
        }
        expect(plain(run.byName("demo-lb-lb1-monitor").inputs)).toMatchObject({ poolId: "demo-lb-lb1-pool-id", type: "HTTP", delay: 5, timeout: 3, maxRetries: 3, urlPath: "/", expectedCodes: "200" });
        expect(providerName(run.byName("demo-lb-lb1-monitor"))).toBe("openstack-RegionOne");
    });

    it("hangs the monitor on the pool when the pool has no members, and makes no empty batch", async () => {
        const monitor = { type: "TCP", delay: 5, timeout: 3, maxRetries: 3 };
        const run = await runDemo({ ...base, networks: [net1], backends: [], loadBalancers: [lb1([], { healthMonitor: monitor })] });
        expect(run.ofType(T.members)).toHaveLength(0);
        expect(run.registration("demo-lb-lb1-monitor").dependencies).toContain("demo-lb-lb1-pool");
        expect(run.ofType(T.instance)).toHaveLength(0);
        expect(run.lookups.image).toEqual([]);
        expect((run.outputs.loadBalancers as any).lb1.members).toEqual([]);
    });
});

describe("combinations", () => {
    const regions = [
        ...guideNamespace().regions,
        { name: "RegionThree", mgmt: { cidr: "192.168.30.0/24" } },
    ];
    const demo = {
        ...base,
        networks: [net1, net2],
        backends: [b1, { name: "backend2", region: "RegionTwo", network: "net2" }],
        loadBalancers: [
            lb1(["backend1", "backend2"], { healthMonitor: { type: "HTTP", delay: 5, timeout: 3, maxRetries: 3 } }),
            {
                name: "lb2",
                region: "RegionThree",
                vipNetwork: "net2",
                listener: { protocol: "TCP", port: 8080 },
                pool: { protocol: "TCP", algorithm: "LEAST_CONNECTIONS", memberPort: 8080 },
                members: ["backend2"],
            },
        ],
    };
    let run: DemoRun;
    beforeAll(async () => {
        run = await runDemo(demo, regions);
    });

    it("two load balancers, one of them in a region without backends: each in its region, chains apart", async () => {
        const lbs = run.ofType(T.lb).map((r) => [plain(r.inputs).name, providerName(r), plain(r.inputs).vipSubnetId]);
        expect(lbs.sort((a, b) => a[0].localeCompare(b[0]))).toEqual([
            ["lb1", "openstack-RegionOne", SUBNET_ID.net1],
            ["lb2", "openstack-RegionThree", SUBNET_ID.net2],
        ]);
        // RegionThree has a load balancer but no backend: no image or flavor is looked up there.
        expect(run.lookups.image.map((i) => i.region).sort()).toEqual(["RegionOne", "RegionTwo"]);
        expect(run.ofType(T.instance).map(providerName).sort()).toEqual(["openstack-RegionOne", "openstack-RegionTwo"]);
        expect(plain(run.byName("demo-lb-lb2-listener").inputs)).toMatchObject({ protocol: "TCP", protocolPort: 8080 });
        expect(plain(run.byName("demo-lb-lb2-pool").inputs)).toMatchObject({ protocol: "TCP", lbMethod: "LEAST_CONNECTIONS" });
        expect(memberRows(run, "lb1")).toEqual([
            ["backend1", SUBNET_ID.net1, 80],
            ["backend2", SUBNET_ID.net2, 80],
        ]);
        expect(memberRows(run, "lb2")).toEqual([["backend2", SUBNET_ID.net2, 8080]]);
        expect(run.ofType(T.monitor).map((m) => m.name)).toEqual(["demo-lb-lb1-monitor"]);
        expect(run.registration("demo-lb-lb2-listener").dependencies.filter((d) => d.startsWith("demo-lb-lb1"))).toEqual([]);
        expect(Object.keys(run.outputs.loadBalancers as object).sort()).toEqual(["lb1", "lb2"]);
        expect((run.outputs.loadBalancers as any).lb2).toMatchObject({ listenerPort: 8080, members: [{ name: "backend2", region: "RegionTwo" }] });
    });

    it("backends answer on every member port in use, and the group lets each in from every demo network", async () => {
        const rules = run.ofType(T.rule).filter((r) => plain(r.inputs).securityGroupId === uuidFor("demo-backend-http"));
        expect(rules.map((r) => `${plain(r.inputs).remoteIpPrefix} tcp/${plain(r.inputs).portRangeMin}`).sort()).toEqual([
            "10.0.10.0/24 tcp/80",
            "10.0.10.0/24 tcp/8080",
            "10.0.20.0/24 tcp/80",
            "10.0.20.0/24 tcp/8080",
        ]);
        expect(run.ofType(T.instance).every((i) => plain(i.inputs).userData === renderUserData({ ports: [80, 8080] }))).toBe(true);
    });

    it("names children after backends and load balancers, so reordering the config changes no name", async () => {
        const names = (run: StackRun) => run.resources.filter((r) => r.name.startsWith("demo")).map((r) => `${r.type} ${r.name}`).sort();
        const forward = names(run);
        const reversed = names(
            await runDemo(
                { ...demo, networks: [...demo.networks].reverse(), backends: [...demo.backends].reverse(), loadBalancers: [...demo.loadBalancers].reverse() },
                regions,
            ),
        );
        expect(reversed).toEqual(forward);
        expect(forward).toContain(`${T.backend} demo-backend-backend2`);
        expect(forward).toContain(`${T.lbComponent} demo-lb-lb2`);
    });
});

describe("without demo", () => {
    it("registers no demo resource, looks nothing up, and exports loadBalancers as the empty map (the spec's fixed output names)", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        expect(run.resources.filter((r) => r.type.startsWith("tricircle-lbaas:demo:") || r.name.startsWith("demo"))).toEqual([]);
        expect(run.outputs.loadBalancers).toEqual({});
        expect("loadBalancers" in run.outputs).toBe(true);
    });
});

describe("backend user-data", () => {
    // Reviewed as a shell script in the snapshot file; test/host/userData.test.ts runs it for real.
    it("matches the reviewed script", async () => {
        await expect(renderUserData({ ports: [80] })).toMatchFileSnapshot("./__snapshots__/backend-user-data.sh");
    });

    it("listens on 80 and every other member port, once each", () => {
        expect(renderUserData({ ports: [8080, 80, 8080] })).toContain("for port in 80 8080; do");
        expect(() => renderUserData({ ports: [0] })).toThrow("invalid web server port 0");
    });
});

describe("docs/demo.md", () => {
    /** The `demo` value of each "### Scenario N" section's YAML snippet. */
    function documentedScenarios(): unknown[] {
        const text = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "demo.md"), "utf8");
        return text
            .split("\n### Scenario ")
            .slice(1)
            .map((section) => {
                const block = /```yaml\n([\s\S]*?)```/.exec(section);
                if (!block) throw new Error(`no yaml block in scenario ${section.slice(0, 20)}`);
                return (yaml.load(block[1]) as Record<string, unknown>)["tricircle-lbaas:demo"];
            });
    }

    it("shows the three scenarios that the mock tests run, and each is valid config", () => {
        const scenarios = documentedScenarios();
        expect(scenarios).toHaveLength(3);
        const tested = [SCENARIO.oneNetworkOneRegion, SCENARIO.oneNetworkTwoRegions, SCENARIO.twoNetworksTwoRegions];
        scenarios.forEach((demo, i) => {
            expect(demo).toEqual(tested[i]);
            const model = parseStackConfig({ ...guideNamespace(), demo });
            expect(model.demo!.loadBalancers[0].members).toHaveLength(i + 2);
        });
    });
});
