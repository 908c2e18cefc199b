// Taking over a plane made by hand, through the real engine and plugins against the local cloud: the guide's steps 1
// and 2 run by hand with the openstack CLI (groups with the guide's world-open rules, a network and subnet per
// region with the CLI's defaults, a health-manager port per controller bound to it in its local region), then the
// stack on the same names: refused without `adopt`, taken over with it (imports, no second object of any name, the
// same ids, address and MAC), and left as found by destroy. The controllers (namespaces of the host harness) get the
// guide's steps 3 and 4 by hand too: o-hm0 on the port, the firewall rule, octavia.conf's values; the takeover must
// not flap the link, move the address, double the rule, rewrite the file or restart Octavia. Names carry
// "e2e-adopt", so nothing else on the cloud is the suite's.
import * as crypto from "crypto";
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { STACK_PLUGINS } from "../../tools/lib/engine";
import * as engine from "../../tools/lib/engine";
import { writeStackFile } from "../../tools/lib/localStack";
import { octaviaSettings } from "../../components/node/octaviaConf";
import { GUIDE_FIREWALL_LINE, guideOhm0Lines, Link, ohm0Link } from "../support/guideNode";
import { BASELINE_NODE_CONF, HostNode, Lab, NodeSnapshot, OCTAVIA_CONF, restartCount, restartLog, TEST_USER } from "../host/harness";
import { CLOUDS_YAML, indexStack, openstack, openstackNoOutput, requireLocalCloud, ROOT } from "./localCloud";

const P = "e2e-adopt-";
const NAMES = { amphora: `${P}lb-mgmt-sec-grp`, healthManager: `${P}lb-health-mgr-sec-grp` };
const REGIONS = [
    { name: "RegionOne", cidr: "192.168.130.0/24", network: `${P}lb-mgmt-net1`, subnet: `${P}lb-mgmt-subnet1`, hostname: `${P}ctl-r1` },
    { name: "RegionTwo", cidr: "192.168.140.0/24", network: `${P}lb-mgmt-net2`, subnet: `${P}lb-mgmt-subnet2`, hostname: `${P}ctl-r2` },
];

interface HandMade {
    groups: Record<"amphora" | "healthManager", string>;
    networks: string[];
    subnets: string[];
    ports: { id: string; mac: string; ip: string }[];
}

let lab: Lab;
const nodes: HostNode[] = [];
/** A controller of a region not done by hand yet. */
let freshNode: HostNode;
let made: HandMade;
let before: string[];
const stacks: { stack: Stack; backend: string; workDir: string }[] = [];
let engineOutput = "";
const HEARTBEAT_KEY = crypto.randomBytes(24).toString("hex");
/** Each node as the operator left it, and its o-hm0, before the stack ever ran. */
const handNodes = new Map<HostNode, { snapshot: NodeSnapshot; link: Link; conf: string; rulesV4: string[] }>();

async function conf(node: HostNode): Promise<string> {
    return (await node.exec(["cat", OCTAVIA_CONF], { check: true })).stdout;
}

async function rulesV4(node: HostNode): Promise<string[]> {
    return (await node.exec(["iptables-save"], { check: true })).stdout.split("\n").filter((l) => l.includes("o-hm0"));
}

/** The node once the SSH sessions of the last run have ended (sshd reaps them within a moment). */
async function settled(node: HostNode, want: NodeSnapshot): Promise<NodeSnapshot> {
    let snap = await node.snapshot();
    for (let i = 0; i < 20 && JSON.stringify(snap) !== JSON.stringify(want); i++) {
        await new Promise((r) => setTimeout(r, 500));
        snap = await node.snapshot();
    }
    return snap;
}

/**
 * The guide's steps 3 and 4 on a controller, by hand: o-hm0 with the port's identity and address, the heartbeat
 * rule (no comment), and octavia.conf with the values the guide has the operator write: the same the stack would.
 */
async function nodeByHand(node: HostNode, r: (typeof REGIONS)[number], port: { id: string; mac: string; ip: string }, network: string, group: string) {
    await node.sh(
        [
            ...guideOhm0Lines(port),
            `ip addr add ${port.ip}/24 dev o-hm0`,
            GUIDE_FIREWALL_LINE,
        ].join("\n"),
        { check: true },
    );
    const settings = octaviaSettings({
        region: r.name,
        centralRegion: "CentralRegion",
        bindIp: port.ip,
        bindPort: 5555,
        controllerIpPortList: `${port.ip}:5555`,
        mgmtNetworkId: network,
        amphoraSecurityGroupId: group,
    });
    const sections = new Map<string, string[]>();
    for (const s of settings) sections.set(s.section, [...(sections.get(s.section) ?? []), `${s.key} = ${"value" in s ? s.value : HEARTBEAT_KEY}`]);
    const text = ["[DEFAULT]", "debug = True", "", ...[...sections].flatMap(([section, lines]) => [`[${section}]`, ...lines, ""])].join("\n");
    await node.sh(`cat >${OCTAVIA_CONF} <<'EOF'\n${text}EOF`, { check: true });
}

/** The guide's commands, as an operator types them (no --remote-ip: the CLI's default source, the world). */
function guideByHand(): HandMade {
    const id = (o: { id: string }) => o.id;
    const amphora = id(openstack("CentralRegion", "security", "group", "create", NAMES.amphora));
    openstackNoOutput("CentralRegion", "security", "group", "rule", "create", "--protocol", "icmp", amphora);
    for (const port of ["22", "80", "9443"]) openstackNoOutput("CentralRegion", "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", port, amphora);
    const hm = id(openstack("CentralRegion", "security", "group", "create", NAMES.healthManager));
    openstackNoOutput("CentralRegion", "security", "group", "rule", "create", "--protocol", "udp", "--dst-port", "5555", hm);
    const result: HandMade = { groups: { amphora, healthManager: hm }, networks: [], subnets: [], ports: [] };
    for (const r of REGIONS) {
        const network = id(openstack("CentralRegion", "network", "create", r.network));
        const subnet = id(openstack("CentralRegion", "subnet", "create", "--subnet-range", r.cidr, "--network", network, r.subnet));
        const port = openstack(
            "CentralRegion", "port", "create", "--security-group", hm, "--device-owner", "Octavia:health-mgr", "--network", network,
            `octavia-health-manager-${r.name.toLowerCase()}-listen-port-${P}`,
        );
        openstackNoOutput(r.name, "port", "set", "--host", r.hostname, port.id);
        result.networks.push(network);
        result.subnets.push(subnet);
        result.ports.push({ id: port.id, mac: port.mac_address, ip: port.fixed_ips[0].ip_address });
    }
    return result;
}

/** The suite's objects as an operator would compare them: id, name, and what amphorae depend on; rules by content. */
function listing(): string[] {
    const rows: string[] = [];
    for (const g of openstack("CentralRegion", "security", "group", "list") as Array<{ ID: string; Name: string }>) {
        if (!g.Name.startsWith(P)) continue;
        rows.push(`group ${g.ID} ${g.Name}`);
        for (const r of openstack("CentralRegion", "security", "group", "rule", "list", g.ID, "--ingress", "--long") as Array<Record<string, string>>) {
            rows.push(`rule ${g.Name} ${r.ID} ${r["IP Protocol"]} ${r["Port Range"]} ${r["IP Range"]}`);
        }
    }
    for (const kind of ["network", "subnet", "port"]) {
        for (const o of openstack("CentralRegion", kind, "list") as Array<{ ID: string; Name: string }>) {
            if (!o.Name.includes(P)) continue;
            const shown = openstack("CentralRegion", kind, "show", o.ID);
            const detail =
                kind === "subnet"
                    ? `${shown.cidr} gw=${shown.gateway_ip} dhcp=${shown.enable_dhcp}`
                    : kind === "port"
                      ? `${shown.mac_address} ${shown.fixed_ips.map((f: { ip_address: string }) => f.ip_address).join(",")} host=${shown.binding_host_id}`
                      : "";
            rows.push(`${kind} ${o.ID} ${o.Name} ${detail}`.trim());
        }
    }
    return rows.sort();
}

async function nodesByHand(hand: HandMade): Promise<void> {
    for (const [i, r] of REGIONS.entries()) {
        await nodeByHand(nodes[i], r, hand.ports[i], hand.networks[i], hand.groups.amphora);
        handNodes.set(nodes[i], { snapshot: await nodes[i].snapshot(), link: await ohm0Link(nodes[i]), conf: await conf(nodes[i]), rulesV4: await rulesV4(nodes[i]) });
    }
}

/** The stack's regions: the guide's, or RegionTwo not done by hand yet (its own names, CIDR and a fresh node). */
function regionsConfig(secondNotDone: boolean): unknown[] {
    return REGIONS.map((r, i) => {
        const fresh = secondNotDone && i === 1;
        const node = fresh ? freshNode : nodes[i];
        return {
            name: r.name,
            mgmt: fresh ? { network: `${P}new-net2`, subnet: `${P}new-subnet2`, cidr: "192.168.150.0/24" } : { network: r.network, subnet: r.subnet, cidr: r.cidr },
            controllers: [{ host: node.sshHost, hostname: fresh ? `${P}ctl-r2-new` : r.hostname }],
            octavia: { restartCommand: `echo restarted >>${restartLog(node)}` },
        };
    });
}

function config(adopt: boolean, secondNotDone = false): Record<string, unknown> {
    return {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:adopt": adopt,
        "tricircle-lbaas:securityGroups": NAMES,
        "tricircle-lbaas:healthManager": { port: 5555 },
        "tricircle-lbaas:ssh": { user: TEST_USER, hostKeys: Object.fromEntries((secondNotDone ? [nodes[0], freshNode] : nodes).map((n) => [n.sshHost, n.hostKey])) },
        "tricircle-lbaas:regions": regionsConfig(secondNotDone),
    };
}

/** Writes the stack file and sets the secrets (which live in that file, so after every write). */
async function configure(stack: Stack, workDir: string, cfg: Record<string, unknown>): Promise<void> {
    writeStackFile(workDir, stack.name, cfg);
    await stack.setConfig("tricircle-lbaas:healthManager.heartbeatKey", { value: HEARTBEAT_KEY, secret: true }, true);
    await stack.setConfig("tricircle-lbaas:ssh.privateKey", { value: fs.readFileSync(lab.clientKey, "utf8"), secret: true }, true);
}

async function newStack(name: string, adopt: boolean): Promise<Stack> {
    const made = await indexStack(name);
    stacks.push(made);
    await configure(made.stack, made.workDir, config(adopt));
    return made.stack;
}

/** Every step of every resource, in order: an object taken over is imported, then updated (the stack's tags). */
function collector(): { onOutput: (s: string) => void; onEvent: (e: EngineEvent) => void; steps: Map<string, string[]> } {
    const steps = new Map<string, string[]>();
    return {
        onOutput: (s) => (engineOutput += s),
        onEvent: (e) => {
            const md = e.resourcePreEvent?.metadata;
            if (!md || md.type.startsWith("pulumi:providers:")) return;
            const key = `${md.type}::${md.urn.split("::").pop()}`;
            steps.set(key, [...(steps.get(key) ?? []), md.op]);
        },
        steps,
    };
}

interface StepRun {
    summary: Record<string, number>;
    steps: Map<string, string[]>;
}

async function preview(stack: Stack, opts: { expectNoChanges?: boolean } = {}): Promise<StepRun> {
    const c = collector();
    const r = await stack.preview({ ...opts, onOutput: c.onOutput, onEvent: c.onEvent });
    return { summary: r.changeSummary ?? {}, steps: c.steps };
}

/** The steps of each resource of a type, joined: "import" alone, or "import+update". */
const stepsOf = (run: StepRun, type: string) => [...run.steps].filter(([k]) => k.startsWith(`${type}::`)).map(([, ops]) => ops.join("+"));

describe("taking over the guide's plane made by hand", () => {
    let adopting: Stack;

    beforeAll(async () => {
        engine.requireEngine(ROOT, STACK_PLUGINS);
        requireLocalCloud();
        process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;
        lab = await Lab.create({ neutronAgents: true });
        for (const r of REGIONS) nodes.push(await lab.node({ octaviaConf: BASELINE_NODE_CONF, hostname: r.hostname }));
        freshNode = await lab.node({ octaviaConf: BASELINE_NODE_CONF, hostname: `${P}ctl-r2-new` });
        made = guideByHand();
        await nodesByHand(made);
        before = listing();
    }, 240_000);

    afterAll(async () => {
        for (const { stack } of stacks) await stack.destroy({ onOutput: (s) => (engineOutput += s) }).catch((e) => console.error(`cleanup destroy failed: ${e}`));
        // What the suite made by hand goes too, ports before their networks.
        for (const p of made?.ports ?? []) openstackNoOutput("CentralRegion", "port", "delete", p.id);
        for (const n of made?.networks ?? []) openstackNoOutput("CentralRegion", "network", "delete", n);
        for (const g of Object.values(made?.groups ?? {})) openstackNoOutput("CentralRegion", "security", "group", "delete", g);
        await lab?.teardown();
        for (const { backend, workDir } of stacks) for (const dir of [backend, workDir]) fs.rmSync(dir, { recursive: true, force: true });
    }, 300_000);

    it("without adopt: the preview is refused, naming every object and the key, and nothing is registered", async () => {
        const stack = await newStack(`${P}refused`, false);
        const failure = await stack.preview({ onOutput: (s) => (engineOutput += s) }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(failure, "the preview must fail").toBeDefined();
        const text = String(failure?.message);
        expect(text).toContain("The cloud already holds objects of the management plane");
        for (const id of [made.groups.amphora, made.groups.healthManager, ...made.networks, ...made.subnets, ...made.ports.map((p) => p.id)]) {
            expect(text).toContain(id);
        }
        expect(text).toContain("set tricircle-lbaas:adopt to true");
        const state = (await stack.exportStack()).deployment as { resources?: unknown[] };
        expect(state.resources ?? []).toEqual([]);
        expect(listing()).toEqual(before);
        for (const [n, hand] of handNodes) expect(await settled(n, hand.snapshot)).toEqual(hand.snapshot);
    }, 240_000);

    it("with adopt: preview imports the guide's objects and creates none of them", async () => {
        adopting = await newStack(`${P}stack`, true);
        const run = await preview(adopting);
        for (const type of ["secGroup:SecGroup", "network:Network", "subnet:Subnet", "port:Port"]) {
            const steps = stepsOf(run, `openstack:networking/${type}`);
            expect(steps, type).toHaveLength(2);
            // Imported, then at most updated in place (the stack's tags): never created, never replaced.
            for (const s of steps) expect(s, type).toMatch(/^import(\+update)?$/);
        }
        // The configuration's own rules (sources: the management CIDRs) are new; the guide's are kept and listed.
        expect(new Set(stepsOf(run, "openstack:networking/secGroupRule:SecGroupRule"))).toEqual(new Set(["create"]));
        expect(engineOutput).toMatch(/adopt: kept as found \(the configuration would not make it\): e2e-adopt-lb-mgmt-sec-grp: ingress IPv4 tcp 22 from 0\.0\.0\.0\/0/);
        expect(listing()).toEqual(before);
    }, 240_000);

    it("up takes the plane over: one object per name, the guide's ids, the port's address and MAC on o-hm0", async () => {
        const c = collector();
        await adopting.up({ onOutput: c.onOutput, onEvent: c.onEvent });
        const out = Object.fromEntries(Object.entries(await adopting.outputs()).map(([k, v]) => [k, v.value])) as Record<string, any>;
        expect(out.securityGroups).toEqual(made.groups);
        for (const [i, r] of REGIONS.entries()) {
            expect(out.regions[r.name].mgmtNetworkId).toBe(made.networks[i]);
            expect(out.regions[r.name].mgmtSubnetId).toBe(made.subnets[i]);
            expect(out.regions[r.name].healthManagers).toEqual([{ hostname: r.hostname, portId: made.ports[i].id, ip: made.ports[i].ip, mac: made.ports[i].mac }]);
        }
        for (const kind of ["security group", "network", "subnet", "port"]) {
            const names = (openstack("CentralRegion", ...kind.split(" "), "list") as Array<{ Name: string }>).map((o) => o.Name).filter((n) => n.includes(P));
            expect(names.length, kind).toBe(new Set(names).size);
            expect(names.length, kind).toBe(2);
        }
        // The adopted objects say so; the rows an operator compares are the same, plus the stack's own rules.
        expect(openstack("CentralRegion", "security", "group", "show", made.groups.amphora).tags).toEqual(expect.arrayContaining([`tlb-adopted:tricircle-lbaas:${P}stack`]));
        const after = listing();
        expect(after.filter((row) => !before.includes(row)).every((row) => row.startsWith("rule "))).toBe(true);
        expect(before.filter((row) => !after.includes(row))).toEqual([]);
        // The controllers: no flap, no address change, no second rule, octavia.conf as written, no restart.
        for (const [n, hand] of handNodes) {
            expect(await ohm0Link(n)).toEqual(hand.link);
            expect(await conf(n)).toBe(hand.conf);
            expect(await rulesV4(n)).toEqual(hand.rulesV4);
            expect(restartCount(n)).toBe(0);
        }
    }, 300_000);

    it("a no-change preview finds nothing to do", async () => {
        await preview(adopting, { expectNoChanges: true });
    }, 240_000);

    it("destroy leaves the plane made by hand as it was found", async () => {
        await adopting.destroy({ onOutput: (s) => (engineOutput += s) });
        expect(listing()).toEqual(before);
        for (const [n, hand] of handNodes) {
            expect(await settled(n, hand.snapshot)).toEqual(hand.snapshot);
            expect(restartCount(n)).toBe(0);
        }
    }, 300_000);

    it("one region done by hand and one not yet, in one stack: the first taken over again, the second created", async () => {
        await configure(adopting, stacks.find((s) => s.stack === adopting)?.workDir ?? "", config(true, true));
        const run = await preview(adopting);
        const steps = (type: string, name: string) => run.steps.get(`openstack:networking/${type}::${name}`)?.join("+");
        expect(steps("network:Network", "region-RegionOne-mgmt-network")).toMatch(/^import(\+update)?$/);
        expect(steps("network:Network", "region-RegionTwo-mgmt-network")).toBe("create");
        expect(steps("port:Port", `region-RegionOne-hm-${REGIONS[0].hostname}-port`)).toMatch(/^import(\+update)?$/);
        expect(steps("port:Port", `region-RegionTwo-hm-${P}ctl-r2-new-port`)).toBe("create");
        await adopting.up({ onOutput: (s) => (engineOutput += s) });
        const out = Object.fromEntries(Object.entries(await adopting.outputs()).map(([k, v]) => [k, v.value])) as Record<string, any>;
        expect(out.regions.RegionOne.mgmtNetworkId).toBe(made.networks[0]);
        expect(out.regions.RegionTwo.mgmtNetworkId).not.toBe(made.networks[1]);
        expect(openstack("CentralRegion", "network", "show", out.regions.RegionTwo.mgmtNetworkId).name).toBe(`${P}new-net2`);
        await adopting.destroy({ onOutput: (s) => (engineOutput += s) });
        // What the stack made (RegionTwo's network, subnet, port, its rules) is gone; what it took over is as found.
        expect(listing()).toEqual(before);
    }, 600_000);

    it("two groups of one name: refused, both ids named", async () => {
        const twin = openstack("CentralRegion", "security", "group", "create", NAMES.amphora).id as string;
        try {
            const failure = await preview(adopting).then(
                () => undefined,
                (e: Error) => e,
            );
            expect(String(failure?.message)).toMatch(new RegExp(`securityGroups\\.amphora: 2 candidates for one security group: .*(${made.groups.amphora}.*${twin}|${twin}.*${made.groups.amphora})`));
        } finally {
            openstackNoOutput("CentralRegion", "security", "group", "delete", twin);
        }
    }, 240_000);
});
