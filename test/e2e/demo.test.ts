// The guide's "How to play" through the real engine and plugins on the local cloud with compute (start.sh
// --with-compute): Octavia makes real VIP ports and boots each amphora as a fake Nova server, as user octavia in
// project service. The stack makes its management plane in that project (amphoraProject: service), the local
// Octavia is pointed at it (amphora-plane.sh: the stack's RegionOne management network and amphora group), and the
// demo's amphora must then boot there: the plane is usable by Octavia. The noop amphora agent carries no traffic,
// so round robin through the VIP is not checked here (test/host/verify.test.ts does, against HAProxy).
//
// One throw-away stack lives through the file, its config changed step by step as the guide plays it: scenario 1 (one
// network, the load balancer's region), scenario 2 (the same network in the other region), scenario 3 (a second
// network in the other region), a member removed, destroy. Every cloud object of the suite is named e2e-demo-…; only
// those are looked at.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Stack } from "@pulumi/pulumi/automation";
import { requireEngine, STACK_PLUGINS } from "../../tools/lib/engine";
import { writeStackFile } from "../../tools/lib/localStack";
import { ChangeRun, changeCollector, CLOUDS_YAML, indexStack, openstack, requireLocalCloud, ROOT } from "./localCloud";

const STACK = "e2e-demo";
const P = "e2e-demo-";
const PLANE = path.join(ROOT, "lab", "amphora-plane.sh");
const IMAGE = process.env.LOCAL_CLOUD_IMAGE_NAME ?? "cirros";

let stack: Stack;
let backend: string;
let workDir: string;
let planeBefore: string;
let serviceProjectId: string;
let destroyed = false;
let demo: Record<string, any> | undefined;


function stackConfig(): Record<string, unknown> {
    return {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:amphoraProject": "service",
        "tricircle-lbaas:securityGroups": { amphora: `${P}lb-mgmt-sec-grp`, healthManager: `${P}lb-health-mgr-sec-grp` },
        "tricircle-lbaas:regions": [
            { name: "RegionOne", mgmt: { network: `${P}lb-mgmt-net1`, subnet: `${P}lb-mgmt-subnet1`, cidr: "192.168.210.0/24" } },
            { name: "RegionTwo", mgmt: { network: `${P}lb-mgmt-net2`, subnet: `${P}lb-mgmt-subnet2`, cidr: "192.168.220.0/24" } },
        ],
        ...(demo ? { "tricircle-lbaas:demo": demo } : {}),
    };
}

const backend_ = (n: number, region: string, network: string) => ({ name: `${P}backend${n}`, region, network: `${P}${network}` });

/** The guide's scenario 1: backend1 and backend2 in RegionOne on net1, lb1 in RegionOne over both. */
function scenario1(): Record<string, any> {
    return {
        image: IMAGE,
        flavor: "m1.tiny",
        networks: [{ name: `${P}net1`, cidr: "10.77.10.0/24" }],
        backends: [backend_(1, "RegionOne", "net1"), backend_(2, "RegionOne", "net1")],
        loadBalancers: [
            {
                name: `${P}lb1`,
                region: "RegionOne",
                vipNetwork: `${P}net1`,
                listener: { protocol: "HTTP", port: 80 },
                pool: { protocol: "HTTP", algorithm: "ROUND_ROBIN" },
                members: [`${P}backend1`, `${P}backend2`],
                healthMonitor: { type: "HTTP", delay: 5, timeout: 3, maxRetries: 3 },
            },
        ],
    };
}

async function configure(): Promise<void> {
    writeStackFile(workDir, STACK, stackConfig());
}

async function up(): Promise<ChangeRun> {
    const c = changeCollector();
    const t0 = Date.now();
    const r = await stack.up({ onEvent: c.onEvent });
    return { summary: r.summary.resourceChanges ?? {}, ops: c.ops, ms: Date.now() - t0 };
}

async function outputs(): Promise<Record<string, any>> {
    return Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
}

const plane = (...args: string[]) => execFileSync("bash", [PLANE, ...args], { encoding: "utf8", timeout: 120_000 });

/** The suite's own cloud objects (names starting with e2e-demo-, the demo's backend group, its LBs' amphorae). */
function leftovers(): string[] {
    const rows: string[] = [];
    for (const kind of ["network", "subnet", "port", "security group"]) {
        for (const o of openstack("CentralRegion", ...kind.split(" "), "list") as Array<{ ID: string; Name: string }>) {
            if (o.Name.startsWith(P) || o.Name.includes(`-${STACK}-demo-`)) rows.push(`${kind} ${o.Name}`);
        }
    }
    for (const region of ["RegionOne", "RegionTwo"]) {
        for (const s of openstack(region, "server", "list", "--all-projects") as Array<{ ID: string; Name: string }>) {
            if (s.Name.startsWith(P)) rows.push(`server ${region} ${s.Name}`);
        }
    }
    const lbs = openstack("RegionOne", "loadbalancer", "list") as Array<{ id: string; name: string }>;
    for (const lb of lbs.filter((l) => l.name.startsWith(P))) rows.push(`loadbalancer ${lb.name}`);
    return [...new Set(rows)].sort();
}

interface Amphora {
    id: string;
    compute_id: string;
    status: string;
}

function amphoraeOf(lbId: string): Amphora[] {
    const list = openstack("RegionOne", "loadbalancer", "amphora", "list", "--loadbalancer", lbId) as Array<{ id: string }>;
    return list.map((a) => openstack("RegionOne", "loadbalancer", "amphora", "show", a.id) as Amphora);
}

/** The amphora's Nova server: its project and the networks of its ports. */
function amphoraServer(lbId: string): { project: string; networks: string[]; serverId: string } {
    const amps = amphoraeOf(lbId);
    expect(amps).toHaveLength(1);
    const server = openstack("RegionOne", "server", "show", amps[0].compute_id);
    const ports = openstack("CentralRegion", "port", "list", "--device-id", amps[0].compute_id, "--long") as Array<{ ID: string }>;
    const networks = ports.map((p) => (openstack("CentralRegion", "port", "show", p.ID) as { network_id: string }).network_id);
    return { project: server.project_id, networks: networks.sort(), serverId: amps[0].compute_id };
}

interface Member {
    id: string;
    name: string;
    address: string;
    protocol_port: number;
    subnet_id: string;
    provisioning_status: string;
}

function members(poolId: string): Member[] {
    const list = openstack("RegionOne", "loadbalancer", "member", "list", poolId) as Array<{ id: string }>;
    return list.map((m) => openstack("RegionOne", "loadbalancer", "member", "show", poolId, m.id) as Member).sort((a, b) => a.name.localeCompare(b.name));
}

/** Subnet id per demo network name. */
function demoSubnets(): Map<string, string> {
    const subnets = openstack("CentralRegion", "subnet", "list") as Array<{ ID: string; Name: string; Network: string }>;
    const networks = openstack("CentralRegion", "network", "list") as Array<{ ID: string; Name: string }>;
    return new Map(networks.filter((n) => n.Name.startsWith(`${P}net`)).map((n) => [n.Name, subnets.find((s) => s.Network === n.ID)?.ID ?? "?"]));
}

/** Everything the suite checks of a deployed demo, against the CLI's read-back; returns the load balancer's read-back. */
async function checkDeployed(expected: { backends: Array<{ name: string; region: string; network: string }>; members: string[] }) {
    const out = await outputs();
    const lbOut = out.loadBalancers[`${P}lb1`];
    expect(lbOut, "loadBalancers output").toBeDefined();

    // Backends: ACTIVE, made through their region's provider, with the stack's user-data.
    const state = await stack.exportStack();
    const instances = (state.deployment.resources as Array<{ type: string; outputs: Record<string, any>; provider: string }>).filter(
        (r) => r.type === "openstack:compute/instance:Instance",
    );
    expect(instances.map((i) => i.outputs.name).sort()).toEqual(expected.backends.map((b) => b.name).sort());
    const addresses = new Map<string, string>();
    for (const b of expected.backends) {
        const inst = instances.find((i) => i.outputs.name === b.name)!;
        expect(inst.outputs.region).toBe(b.region);
        expect(inst.provider).toContain(`::openstack-${b.region}::`);
        const server = openstack(b.region, "--os-compute-api-version", "2.3", "server", "show", inst.outputs.id);
        expect(server.status).toBe("ACTIVE");
        const userData = Buffer.from(server["OS-EXT-SRV-ATTR:user_data"] ?? "", "base64").toString("utf8");
        expect(userData).toContain("demo-httpd");
        const ip = Object.values(server.addresses as Record<string, string[]>)[0]?.[0] ?? JSON.stringify(server.addresses);
        addresses.set(b.name, ip);
        expect(Object.keys(server.addresses)).toEqual([b.network]);
    }

    // The load balancer's chain: ACTIVE, each member with its own network's subnet and port 80.
    const lb = openstack("RegionOne", "loadbalancer", "show", lbOut.id);
    expect(lb.name).toBe(`${P}lb1`);
    expect(lb.provisioning_status).toBe("ACTIVE");
    const listener = openstack("RegionOne", "loadbalancer", "listener", "show", lbOut.listenerId);
    expect([listener.provisioning_status, listener.protocol, listener.protocol_port]).toEqual(["ACTIVE", "HTTP", 80]);
    const pool = openstack("RegionOne", "loadbalancer", "pool", "show", lbOut.poolId);
    expect([pool.provisioning_status, pool.lb_algorithm, pool.listeners]).toEqual(["ACTIVE", "ROUND_ROBIN", lbOut.listenerId]);
    const monitor = openstack("RegionOne", "loadbalancer", "healthmonitor", "show", pool.healthmonitor_id);
    expect([monitor.provisioning_status, monitor.type, monitor.delay, monitor.timeout, monitor.max_retries]).toEqual(["ACTIVE", "HTTP", 5, 3, 3]);
    const subnets = demoSubnets();
    const ms = members(lbOut.poolId);
    expect(ms.map((m) => m.name)).toEqual([...expected.members].sort());
    for (const m of ms) {
        const b = expected.backends.find((x) => x.name === m.name)!;
        expect([m.provisioning_status, m.protocol_port, m.subnet_id, m.address]).toEqual(["ACTIVE", 80, subnets.get(b.network), addresses.get(m.name)]);
    }

    // The output is what the cloud says.
    expect(lbOut.vipAddress).toBe(lb.vip_address);
    expect(lb.vip_subnet_id).toBe(subnets.get(`${P}net1`));
    expect(lbOut.members.map((m: any) => [m.name, m.address, m.region]).sort()).toEqual(
        ms.map((m) => [m.name, m.address, expected.backends.find((b) => b.name === m.name)!.region]).sort(),
    );
    // The VIP is a real Neutron port (the provider reads it back after the create).
    expect(openstack("CentralRegion", "port", "show", lb.vip_port_id).fixed_ips[0].ip_address).toBe(lb.vip_address);
    return { out, lb, members: ms };
}

/** Whether state resource `r` is `ancestorUrn` or one of its descendants (through the parent chain). */
function descends(state: Array<{ urn: string; parent?: string }>, r: { urn: string; parent?: string }, ancestorUrn: string): boolean {
    for (let cur: { urn: string; parent?: string } | undefined = r; cur; cur = state.find((x) => x.urn === cur?.parent)) {
        if (cur.urn === ancestorUrn) return true;
    }
    return false;
}

describe("the guide's demo on the local cloud, amphorae on the stack's management plane", () => {
    beforeAll(async () => {
        requireEngine(ROOT, STACK_PLUGINS);
        requireLocalCloud();
        process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;
        planeBefore = plane("show");
        expect(leftovers(), "objects of an earlier run of this suite").toEqual([]);
        serviceProjectId = openstack("CentralRegion", "project", "show", "service").id;
        ({ stack, backend, workDir } = await indexStack(STACK));
    });

    afterAll(async () => {
        // Whatever failed, the cloud is left as found: the stack's objects gone, Octavia's plane its own again.
        if (stack && !destroyed) await stack.destroy().catch((e) => console.error(`cleanup destroy failed: ${e}`));
        try {
            plane("reset");
        } finally {
            for (const dir of [backend, workDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
        if (planeBefore !== undefined) expect(plane("show")).toBe(planeBefore);
    });

    it("1. the management plane is made in project service, and the local Octavia is pointed at it", async () => {
        await configure();
        const run = await up();
        console.log(`management plane up: ${(run.ms / 1000).toFixed(1)} s, ${JSON.stringify(run.summary)}`);
        expect(run.summary.create).toBeGreaterThanOrEqual(14);
        const out = await outputs();
        expect(out.loadBalancers).toEqual({});
        const sg = openstack("CentralRegion", "security", "group", "show", out.securityGroups.amphora);
        expect([sg.name, sg.project_id]).toEqual([`${P}lb-mgmt-sec-grp`, serviceProjectId]);
        const rules = openstack("CentralRegion", "security", "group", "rule", "list", out.securityGroups.amphora, "--ingress", "--long") as Array<Record<string, string>>;
        expect(rules.length).toBeGreaterThanOrEqual(5);
        expect(openstack("CentralRegion", "security", "group", "show", out.securityGroups.healthManager).project_id).toBe(serviceProjectId);
        for (const r of ["RegionOne", "RegionTwo"]) {
            expect(openstack("CentralRegion", "network", "show", out.regions[r].mgmtNetworkId).project_id).toBe(serviceProjectId);
            expect(openstack("CentralRegion", "subnet", "show", out.regions[r].mgmtSubnetId).project_id).toBe(serviceProjectId);
        }
        plane("set", out.regions.RegionOne.mgmtNetworkId, out.securityGroups.amphora);
        // `set` also drops any node's octavia.conf the worker read (a `local` stack's): the demo's plane alone counts.
        expect(JSON.parse(plane("show"))).toEqual({
            amp_boot_network_list: out.regions.RegionOne.mgmtNetworkId,
            amp_secgroup_list: out.securityGroups.amphora,
            node_conf: "",
        });
    });

    it("2. scenario 1 (one network, one region) deploys whole; its amphora boots on the stack's plane, after the region's Octavia", async () => {
        demo = scenario1();
        await configure();
        const run = await up();
        console.log(`scenario 1 up: ${(run.ms / 1000).toFixed(1)} s, ${JSON.stringify(run.summary)}`);
        const { out, lb } = await checkDeployed({ backends: demo.backends, members: demo.loadBalancers[0].members });
        const amp = amphoraServer(lb.id);
        // Octavia (user octavia) booted it in its project, on the stack's RegionOne management network and the VIP's.
        expect(amp.project).toBe(serviceProjectId);
        expect(amp.networks).toContain(out.regions.RegionOne.mgmtNetworkId);
        const vipNetwork = openstack("CentralRegion", "subnet", "show", lb.vip_subnet_id).network_id;
        expect(amp.networks).toContain(vipNetwork);
        const mgmtPort = (openstack("CentralRegion", "port", "list", "--device-id", amp.serverId, "--network", out.regions.RegionOne.mgmtNetworkId) as Array<{ ID: string }>)[0];
        expect(openstack("CentralRegion", "port", "show", mgmtPort.ID).security_group_ids).toEqual([out.securityGroups.amphora]);
        // The load balancer waits for its region's Octavia configuration (on a real cloud: octavia.conf and the
        // restart), so its amphora cannot boot on a plane Octavia does not know yet.
        const state = (await stack.exportStack()).deployment.resources as Array<{ urn: string; type: string; parent?: string; dependencies?: string[] }>;
        const lbState = state.find((r) => r.type === "openstack:loadbalancer/loadBalancer:LoadBalancer")!;
        const regionOne = state.find((r) => r.type === "tricircle-lbaas:region:RegionalOctavia" && r.urn.endsWith("::region-RegionOne"));
        expect(regionOne, "RegionalOctavia region-RegionOne in state").toBeDefined();
        const regionOneCustom = state.filter((r) => descends(state, r, regionOne!.urn) && !r.type.startsWith("tricircle-lbaas:"));
        expect(regionOneCustom.length).toBeGreaterThanOrEqual(2);
        expect(lbState.dependencies).toEqual(expect.arrayContaining(regionOneCustom.map((r) => r.urn)));
    });

    it("3. a no-change preview passes", async () => {
        await stack.preview({ expectNoChanges: true });
    });

    it("4. scenario 2 (the same network in the other region): backend3 boots in RegionTwo and joins the pool; nothing else changes", async () => {
        const poolId = (await outputs()).loadBalancers[`${P}lb1`].poolId;
        const before = members(poolId);
        demo!.backends.push(backend_(3, "RegionTwo", "net1"));
        demo!.loadBalancers[0].members.push(`${P}backend3`);
        await configure();
        const run = await up();
        console.log(`scenario 2 up (from scenario 1): ${(run.ms / 1000).toFixed(1)} s, ${JSON.stringify(run.summary)}`);
        expect(run.summary).toEqual({ create: 2, same: expect.any(Number), update: 1 });
        await checkDeployed({ backends: demo!.backends, members: demo!.loadBalancers[0].members });
        const after = members(poolId);
        expect(after.filter((m) => m.name !== `${P}backend3`).map((m) => [m.name, m.id])).toEqual(before.map((m) => [m.name, m.id]));
        await stack.preview({ expectNoChanges: true });
    });

    it("5. scenario 3 (a second network in the other region): backend4's member carries net2's subnet, and the amphora plugs into net2", async () => {
        demo!.networks.push({ name: `${P}net2`, cidr: "10.77.20.0/24" });
        demo!.backends.push(backend_(4, "RegionTwo", "net2"));
        demo!.loadBalancers[0].members.push(`${P}backend4`);
        await configure();
        const run = await up();
        console.log(`scenario 3 up (from scenario 2): ${(run.ms / 1000).toFixed(1)} s, ${JSON.stringify(run.summary)}`);
        const { lb } = await checkDeployed({ backends: demo!.backends, members: demo!.loadBalancers[0].members });
        const net2 = (openstack("CentralRegion", "network", "list", "--name", `${P}net2`) as Array<{ ID: string }>)[0].ID;
        expect(amphoraServer(lb.id).networks).toContain(net2);
        await stack.preview({ expectNoChanges: true });
    });

    it("6. removing a member from the config removes only that member", async () => {
        const poolId = (await outputs()).loadBalancers[`${P}lb1`].poolId;
        const before = members(poolId);
        demo!.loadBalancers[0].members = demo!.loadBalancers[0].members.filter((m: string) => m !== `${P}backend2`);
        await configure();
        const run = await up();
        console.log(`a member removed (backend2): ${(run.ms / 1000).toFixed(1)} s, ${JSON.stringify(run.summary)}`);
        expect([...run.ops]).toEqual([[expect.stringMatching(/^openstack:loadbalancer\/members:Members::.*-members$/), "update"]]);
        // The remaining members are the same Octavia objects; backend2's server stays (it is still a backend).
        const after = members(poolId);
        expect(after.map((m) => [m.name, m.id])).toEqual(before.filter((m) => m.name !== `${P}backend2`).map((m) => [m.name, m.id]));
        await checkDeployed({ backends: demo!.backends, members: demo!.loadBalancers[0].members });
        await stack.preview({ expectNoChanges: true });
    });

    it("7. destroy leaves no server, load balancer, amphora or network of the suite", async () => {
        const lbId = (await outputs()).loadBalancers[`${P}lb1`].id;
        const amphoraServerId = amphoraServer(lbId).serverId;
        const vipPortId = openstack("RegionOne", "loadbalancer", "show", lbId).vip_port_id;
        const t0 = Date.now();
        const run = await stack.destroy();
        destroyed = true;
        console.log(`destroy: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${JSON.stringify(run.summary.resourceChanges)}`);
        expect(leftovers()).toEqual([]);
        const amphorae = openstack("RegionOne", "loadbalancer", "amphora", "list") as Array<{ loadbalancer_id: string }>;
        expect(amphorae.filter((a) => a.loadbalancer_id === lbId)).toEqual([]);
        const servers = openstack("RegionOne", "server", "list", "--all-projects") as Array<{ ID: string }>;
        expect(servers.filter((s) => s.ID === amphoraServerId)).toEqual([]);
        const ports = openstack("CentralRegion", "port", "list") as Array<{ ID: string }>;
        expect(ports.filter((p) => p.ID === vipPortId)).toEqual([]);
    });
});
