// The whole stack (index.ts) through the real engine with the real plugins: the project's OpenStack provider and
// its offline stand-in of the command plugin (or the official ones where installed), against the local OpenStack and
// controller nodes in network namespaces (the host harness: real sshd, Open vSwitch, iptables). One throw-away stack
// lives through the whole file, step by step as an operator would run it; names and CIDRs are the suite's own, so
// the `local` stack that setup deployed on the same cloud is never touched.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { STACK_PLUGINS } from "../../tools/lib/engine";
import { writeStackFile } from "../../tools/lib/localStack";
import { BASELINE_NODE_CONF, HostNode, Lab, NodeSnapshot, settledSnapshot, TEST_USER } from "../host/harness";
import * as engine from "../../tools/lib/engine";
import { ChangeRun, changeCollector, CLOUDS_YAML, indexStack, openstack, requireLocalCloud, ROOT } from "./localCloud";

const STACK = "e2e-stack";
const PASSPHRASE = "e2e-local-only";
const KEYSTONE_PASSWORD = "local-only-test-password";
const RESTART_LOG = "octavia-restarts.log";
// The nodes' restart: a second without the health manager's socket (a STAND-IN ear, test/python/health_manager_ear.py).
const RESTART_STAND_IN = path.join(ROOT, "test", "e2e", "octavia-restart-stand-in.sh");
const EAR = path.join(ROOT, "test", "python", "health_manager_ear.py");
/** The files of the ear and of the heartbeats sent to it, in each node's /run: nothing the stack made or undoes. */
const PROBE_FILES = "tlb-hm-";
/** Heartbeats sent to each controller: five a second, so that a second without any is plain to see. */
const SEND_INTERVAL_S = 0.2;

interface RegionPlan {
    name: string;
    cidr: string;
    nodes: HostNode[];
}

let lab: Lab;
let nodes: { r1a: HostNode; r2: HostNode; r1b: HostNode };
let baseline: Map<HostNode, NodeSnapshot>;
let cloudBefore: string[];
let stack: Stack;
let backend: string;
let workDir: string;
const heartbeatKeys = [randomKey(), randomKey(), randomKey()];
let heartbeatKey = heartbeatKeys[0];
let allowedCidrs: string[] = [];
let plan: RegionPlan[];
/** Everything the engine printed, for the secrets check. */
let engineOutput = "";

function randomKey(): string {
    return crypto.randomBytes(24).toString("hex");
}

/** Each node's own host name: the binding host of its health-manager port. */
const hostnames = new Map<HostNode, string>();
const hostname = (n: HostNode) => hostnames.get(n) ?? "unnamed";

function stackConfig(): Record<string, unknown> {
    return {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:securityGroups": { amphora: "e2e-lb-mgmt-sec-grp", healthManager: "e2e-lb-health-mgr-sec-grp", allowedCidrs },
        "tricircle-lbaas:healthManager": { port: 5555 },
        "tricircle-lbaas:ssh": {
            user: TEST_USER,
            hostKeys: Object.fromEntries(plan.flatMap((r) => r.nodes).map((n) => [n.sshHost, n.hostKey])),
        },
        "tricircle-lbaas:regions": plan.map((r, i) => ({
            name: r.name,
            mgmt: { network: `e2e-lb-mgmt-net${i + 1}`, subnet: `e2e-lb-mgmt-subnet${i + 1}`, cidr: r.cidr },
            controllers: r.nodes.map((n) => ({ host: n.sshHost, hostname: hostname(n) })),
            // A restart that takes the health manager away for a second, with its start and end on the node's clock
            // (the host's): a region's restarts must not overlap.
            octavia: { restartCommand: `bash ${RESTART_STAND_IN} ${BASELINE_NODE_CONF.path}` },
        })),
    };
}

async function configure(): Promise<void> {
    writeStackFile(workDir, STACK, stackConfig());
    await stack.setConfig("tricircle-lbaas:healthManager.heartbeatKey", { value: heartbeatKey, secret: true }, true);
    await stack.setConfig("tricircle-lbaas:ssh.privateKey", { value: fs.readFileSync(lab.clientKey, "utf8"), secret: true }, true);
}


function collector(): { onOutput: (s: string) => void; onEvent: (e: EngineEvent) => void; ops: Map<string, string> } {
    return { onOutput: (s) => (engineOutput += s), ...changeCollector() };
}

async function up(): Promise<ChangeRun> {
    const c = collector();
    const t0 = Date.now();
    const r = await stack.up({ onOutput: c.onOutput, onEvent: c.onEvent });
    return { summary: r.summary.resourceChanges ?? {}, ops: c.ops, ms: Date.now() - t0 };
}

async function preview(opts: { expectNoChanges?: boolean } = {}): Promise<ChangeRun> {
    const c = collector();
    const t0 = Date.now();
    const r = await stack.preview({ ...opts, onOutput: c.onOutput, onEvent: c.onEvent });
    return { summary: r.changeSummary ?? {}, ops: c.ops, ms: Date.now() - t0 };
}

const byType = (run: ChangeRun, type: string) => [...run.ops].filter(([k]) => k.startsWith(`${type}::`));

/**
 * Every Neutron object of the suite (its names all carry "e2e") and every rule of its groups, by id: what a create
 * could leave behind. Other work on the same cloud (the `local` stack) is not the suite's to compare.
 */
function cloudListing(): string[] {
    const rows: string[] = [];
    const groups = new Set<string>();
    for (const kind of ["security group", "network", "subnet", "port"]) {
        for (const o of openstack("CentralRegion", ...kind.split(" "), "list") as Array<{ ID: string; Name: string }>) {
            if (!o.Name.includes("e2e")) continue;
            rows.push(`${kind} ${o.ID} ${o.Name}`);
            if (kind === "security group") groups.add(o.ID);
        }
    }
    for (const o of openstack("CentralRegion", "security", "group", "rule", "list", "--long") as Array<{ ID: string; "Security Group": string }>) {
        if (groups.has(o["Security Group"])) rows.push(`rule ${o.ID}`);
    }
    return rows.sort();
}

async function nodeOhm0(n: HostNode): Promise<{ ip: string; mac: string; ifaceId: string }> {
    const addr = JSON.parse((await n.exec(["ip", "-j", "addr", "show", "o-hm0"], { check: true })).stdout)[0];
    const ifaceId = (await n.exec(["ovs-vsctl", "--timeout=10", "get", "Interface", "o-hm0", "external_ids:iface-id"], { check: true })).stdout.trim().replace(/"/g, "");
    const v4 = (addr.addr_info as Array<{ family: string; local: string }>).find((a) => a.family === "inet");
    return { ip: v4?.local ?? "", mac: addr.address, ifaceId };
}

async function octaviaConf(n: HostNode): Promise<Record<string, string>> {
    const py = "import configparser,json,sys\nc=configparser.RawConfigParser(strict=False)\nc.read(sys.argv[1])\nprint(json.dumps({f'{s}.{k}':v for s in c.sections() for k,v in c.items(s)}))";
    return JSON.parse((await n.exec(["python3", "-c", py, BASELINE_NODE_CONF.path], { check: true })).stdout);
}

/** The node's Octavia restarts, as [start, end] in seconds, oldest first. */
function restartWindows(n: HostNode): Array<[number, number]> {
    const p = path.join(n.dir, "run", RESTART_LOG);
    const lines = fs.existsSync(p) ? fs.readFileSync(p, "utf8").split("\n").filter(Boolean) : [];
    const windows: Array<[number, number]> = [];
    for (const line of lines) {
        const [what, at] = line.split(" ");
        if (what === "start") windows.push([Number(at), NaN]);
        else windows[windows.length - 1][1] = Number(at);
    }
    return windows;
}

const restarts = (n: HostNode) => restartWindows(n).filter(([, end]) => !Number.isNaN(end)).length;

/**
 * The restarts of a region's nodes since `before` (restart counts per node): each over before the next began, so at
 * every moment but a single node's restart one of the region's health managers listens. Returns the shortest pause
 * between two of them, in seconds.
 */
function expectOneAtATime(region: HostNode[], before: Map<HostNode, number>): number {
    const windows = region.flatMap((n) => restartWindows(n).slice(before.get(n) ?? 0)).sort((a, b) => a[0] - b[0]);
    expect(windows.length, "restarts in the region").toBeGreaterThanOrEqual(2);
    let shortest = Infinity;
    for (let i = 1; i < windows.length; i++) {
        expect(windows[i - 1][1], `restart ${i} ended`).not.toBeNaN();
        expect(windows[i][0], `restart ${i + 1} began before restart ${i} ended`).toBeGreaterThanOrEqual(windows[i - 1][1]);
        shortest = Math.min(shortest, windows[i][0] - windows[i - 1][1]);
    }
    return shortest;
}

const restartCounts = (ns: HostNode[]) => new Map(ns.map((n) => [n, restartWindows(n).length]));

/**
 * Heartbeats to the node's health manager from now on, `SEND_INTERVAL_S` apart, signed with `key` (its file is the
 * node's, root's only): an amphora's share for this controller, sent to the address octavia.conf names at each moment.
 */
async function sendHeartbeats(n: HostNode, key: string): Promise<void> {
    fs.writeFileSync(path.join(n.dir, "run", `${PROBE_FILES}sender.key`), key, { mode: 0o600 });
    await n.sh(`setsid /usr/bin/python3 ${EAR} send ${BASELINE_NODE_CONF.path} /run/${PROBE_FILES}sender.key ${SEND_INTERVAL_S} </dev/null >/dev/null 2>&1 & echo $! >/run/${PROBE_FILES}sender.pid`);
}

/** Stops the heartbeats and the ear of a node. */
async function stopProbes(n: HostNode): Promise<void> {
    await n.sh(`for f in /run/${PROBE_FILES}sender.pid /run/${PROBE_FILES}ear.pid; do if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; fi; done; true`);
}

/** When the node's health manager received a heartbeat, and whether its key check opened it. */
function received(n: HostNode): Array<{ t: number; opened: boolean }> {
    const p = path.join(n.dir, "run", `${PROBE_FILES}ear.log`);
    const lines = fs.existsSync(p) ? fs.readFileSync(p, "utf8").split("\n").filter(Boolean) : [];
    return lines.map((l) => JSON.parse(l) as { t?: number; opened?: boolean }).filter((r) => r.t !== undefined) as Array<{ t: number; opened: boolean }>;
}

/** The longest time in [from, to] without a heartbeat among `times`, in seconds. */
function longestSilence(times: number[], from: number, to: number): number {
    const inside = [from, ...times.filter((t) => t > from && t < to).sort((a, b) => a - b), to];
    return Math.max(...inside.slice(1).map((t, i) => t - inside[i]));
}

/**
 * What a region's health managers heard around its restarts since `before`: from a second before the first began
 * to a second after the last ended, each node's longest silence and the region's (any node hearing counts).
 */
function heardAround(region: HostNode[], before: Map<HostNode, number>) {
    const windows = region.flatMap((n) => restartWindows(n).slice(before.get(n) ?? 0));
    const from = Math.min(...windows.map(([start]) => start)) - 1;
    const to = Math.max(...windows.map(([, end]) => end)) + 1;
    const per = region.map((n) => received(n).filter((r) => r.t > from && r.t < to));
    return {
        seconds: to - from,
        region: longestSilence(per.flat().map((r) => r.t), from, to),
        nodes: per.map((rs) => longestSilence(rs.map((r) => r.t), from, to)),
        heard: per.flat().length,
        opened: per.flat().filter((r) => r.opened).length,
    };
}

/** The node's snapshot without the restart log and the probes' files, nothing the stack made or undoes. */
async function nodeState(n: HostNode): Promise<NodeSnapshot> {
    const snap = await n.snapshot();
    delete snap.upperFiles[`run/${RESTART_LOG}`];
    for (const f of Object.keys(snap.upperFiles)) if (f.startsWith(`run/${PROBE_FILES}`)) delete snap.upperFiles[f];
    return snap;
}

/** The node's state once the SSH sessions of the last run have ended. */
const settledState = (n: HostNode) => settledSnapshot(() => nodeState(n), baseline.get(n));

async function outputs(): Promise<Record<string, any>> {
    return Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
}

describe("the whole stack on the local cloud, with the real engine and plugins", () => {
    beforeAll(async () => {
        engine.requireEngine(ROOT, STACK_PLUGINS);
        requireLocalCloud();
        process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;
        lab = await Lab.create({ neutronAgents: true });
        const node = async (name: string) => {
            const n = await lab.node({ octaviaConf: BASELINE_NODE_CONF, hostname: name });
            hostnames.set(n, name);
            return n;
        };
        nodes = { r1a: await node("e2e-ctl-r1a"), r2: await node("e2e-ctl-r2"), r1b: await node("e2e-ctl-r1b") };
        baseline = new Map();
        for (const n of Object.values(nodes)) baseline.set(n, await nodeState(n));
        cloudBefore = cloudListing();
        plan = [
            { name: "RegionOne", cidr: "192.168.110.0/24", nodes: [nodes.r1a] },
            { name: "RegionTwo", cidr: "192.168.120.0/24", nodes: [nodes.r2] },
        ];
        ({ stack, backend, workDir } = await indexStack(STACK, PASSPHRASE));
        await configure();
    });

    afterAll(async () => {
        for (const n of Object.values(nodes ?? {})) await stopProbes(n).catch(() => undefined);
        // A failed step must not leave the cloud or the nodes changed.
        if (stack) await stack.destroy({ onOutput: (s) => (engineOutput += s) }).catch((e) => console.error(`cleanup destroy failed: ${e}`));
        await lab?.teardown();
        for (const dir of [backend, workDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("1. preview plans every create and changes nothing", async () => {
        const run = await preview();
        expect(run.summary.create).toBeGreaterThanOrEqual(30);
        expect(byType(run, "command:remote:Command")).toHaveLength(8);
        expect(byType(run, "openstack:networking/port:Port")).toHaveLength(2);
        expect(cloudListing()).toEqual(cloudBefore);
        for (const n of [nodes.r1a, nodes.r2]) expect(await settledState(n)).toEqual(baseline.get(n));
    });

    it("2. up creates the cloud side and configures both nodes", async () => {
        const run = await up();
        expect(run.summary.create).toBeGreaterThanOrEqual(30);
        const out = await outputs();
        // Security groups: the amphora group takes ICMP and TCP 22/80/9443, the health-manager group UDP 5555.
        const amphora = openstack("CentralRegion", "security", "group", "show", out.securityGroups.amphora);
        expect(amphora.name).toBe("e2e-lb-mgmt-sec-grp");
        const rules = openstack("CentralRegion", "security", "group", "rule", "list", out.securityGroups.amphora, "--ingress", "--long") as Array<Record<string, string>>;
        const tcpPorts = rules.filter((r) => r["IP Protocol"] === "tcp").map((r) => r["Port Range"]);
        expect(new Set(tcpPorts)).toEqual(new Set(["22:22", "80:80", "9443:9443"]));
        expect(rules.some((r) => r["IP Protocol"] === "icmp")).toBe(true);
        const hmRules = openstack("CentralRegion", "security", "group", "rule", "list", out.securityGroups.healthManager, "--ingress", "--long") as Array<Record<string, string>>;
        expect(hmRules.map((r) => `${r["IP Protocol"]} ${r["Port Range"]}`)).toContain("udp 5555:5555");

        for (const [i, r] of plan.entries()) {
            const region = out.regions[r.name];
            const network = openstack("CentralRegion", "network", "show", region.mgmtNetworkId);
            expect(network.name).toBe(`e2e-lb-mgmt-net${i + 1}`);
            expect(network.shared).toBe(false);
            const subnet = openstack("CentralRegion", "subnet", "show", region.mgmtSubnetId);
            expect(subnet.cidr).toBe(r.cidr);
            expect(subnet.gateway_ip).toBeNull();
            expect(region.healthManagers).toHaveLength(1);
            const hm = region.healthManagers[0];
            const n = r.nodes[0];
            // The binding is made in the local region, with the node's host name.
            const port = openstack(r.name, "port", "show", hm.portId);
            expect(port.device_owner).toBe("Octavia:health-mgr");
            expect(port.binding_host_id).toBe(hostname(n));
            // Bound by the node's own L2 agent, and wired by it once o-hm0 carries the port: `up` waited for ACTIVE.
            expect(port.binding_vif_type).toBe("ovs");
            expect(port.status).toBe("ACTIVE");
            const ohm0 = await nodeOhm0(n);
            expect(ohm0).toEqual({ ip: port.fixed_ips[0].ip_address, mac: port.mac_address, ifaceId: hm.portId });
            expect(hm).toMatchObject({ hostname: hostname(n), ip: ohm0.ip, mac: ohm0.mac });
            expect((await n.exec(["iptables-save"], { check: true })).stdout).toMatch(/-A INPUT -i o-hm0 -p udp -m udp --dport 5555 -m comment --comment \S+ -j ACCEPT/);
            const conf = await octaviaConf(n);
            expect(conf["health_manager.bind_ip"]).toBe(ohm0.ip);
            expect(conf["health_manager.controller_ip_port_list"]).toBe(`${ohm0.ip}:5555`);
            expect(conf["health_manager.heartbeat_key"]).toBe(heartbeatKey);
            expect(conf["controller_worker.amp_boot_network_list"]).toBe(region.mgmtNetworkId);
            expect(conf["controller_worker.amp_secgroup_list"]).toBe(out.securityGroups.amphora);
            expect(restarts(n)).toBe(1);
        }
    });

    it("3. a no-change preview passes, and refresh finds no drift", async () => {
        await preview({ expectNoChanges: true });
        const refreshed = await stack.refresh({ onOutput: (s) => (engineOutput += s) });
        const changes = refreshed.summary.resourceChanges ?? {};
        expect(Object.keys(changes).filter((k) => k !== "same")).toEqual([]);
        await preview({ expectNoChanges: true });
    });

    it("4. rotating the heartbeat key updates only the octavia.conf commands (and the drift checks' key hash), in place, one restart per node", async () => {
        const before = [nodes.r1a, nodes.r2].map(restarts);
        heartbeatKey = heartbeatKeys[1];
        await configure();
        const run = await up();
        // Per node: its octavia.conf command, and its NodeDrift, which records the new key's hash (nothing on the node);
        // per region, the look at its running amphorae before (none here, so nothing to refuse) and the push of the
        // new key to them after.
        expect(run.summary).toMatchObject({ update: 8 });
        expect([...run.ops].sort()).toEqual(
            [...run.ops]
                .filter(
                    ([k, op]) =>
                        (/command:remote:Command::.*-octavia-conf$/.test(k) || /dynamic:Resource::.*-drift$/.test(k) || /AmphoraAgentConfig::.*-amphora-agent-config$/.test(k) || /PlaneChangeGuard::.*-plane-change-guard$/.test(k)) &&
                        op === "update",
                )
                .sort(),
        );
        expect([...run.ops].filter(([k]) => k.endsWith("-amphora-agent-config"))).toHaveLength(2);
        expect([...run.ops].filter(([k]) => k.endsWith("-plane-change-guard"))).toHaveLength(2);
        expect([...run.ops].filter(([k]) => k.endsWith("-octavia-conf"))).toHaveLength(2);
        for (const [i, n] of [nodes.r1a, nodes.r2].entries()) {
            expect(restarts(n)).toBe(before[i] + 1);
            expect((await octaviaConf(n))["health_manager.heartbeat_key"]).toBe(heartbeatKey);
        }
    });

    it("5. a controller added to a region gets its port, binding and node, and its peer's list is updated, one restart after the other", async () => {
        plan[0].nodes.push(nodes.r1b);
        await configure();
        // Heartbeats to both from now on (r1b's wait for its octavia.conf to name an address).
        for (const n of [nodes.r1a, nodes.r1b]) await sendHeartbeats(n, heartbeatKey);
        const before = restartCounts([nodes.r1a, nodes.r1b]);
        const run = await up();
        // r1a restarts for the new list, r1b for its first octavia.conf: one after the other.
        const pause = expectOneAtATime([nodes.r1a, nodes.r1b], before);
        // The region had one health manager: its restart is a silence no order avoids (the amphorae know only it),
        // and it is the only one: r1b's first start never overlaps it.
        const heard = heardAround([nodes.r1a, nodes.r1b], before);
        expect(heard.nodes[0], "r1a's own restart is seen").toBeGreaterThanOrEqual(1);
        expect(heard.region, "one restart's silence, never two").toBeLessThan(2);
        console.log(
            `controller added: RegionOne's two restarts one after the other, ${pause.toFixed(2)} s apart; over ${heard.seconds.toFixed(1)} s ` +
                `the region's longest silence was ${heard.region.toFixed(2)} s (r1a's restart, the region's only health manager until then), ${heard.heard} heartbeats heard`,
        );
        expect(byType(run, "openstack:networking/port:Port")).toEqual([[expect.stringContaining(hostname(nodes.r1b)), "create"]]);
        expect(byType(run, "command:remote:Command").filter(([, op]) => op === "create")).toHaveLength(4);
        expect(byType(run, "command:remote:Command").filter(([k, op]) => op === "update" && k.endsWith("-octavia-conf"))).toHaveLength(1);
        const out = await outputs();
        const hms = out.regions.RegionOne.healthManagers as Array<{ ip: string }>;
        const list = hms.map((h) => `${h.ip}:5555`);
        for (const n of [nodes.r1a, nodes.r1b]) {
            expect((await octaviaConf(n))["health_manager.controller_ip_port_list"].split(",").sort()).toEqual(list.sort());
        }
        await preview({ expectNoChanges: true });
    });

    it("6. changing allowedCidrs replaces just the rules of the changed source; a region comes and goes", async () => {
        allowedCidrs = ["192.168.110.0/24", "10.99.0.0/16"];
        await configure();
        const run = await up();
        const rules = byType(run, "openstack:networking/secGroupRule:SecGroupRule");
        // The RegionOne source stays (same rules); RegionTwo's rules go, 10.99.0.0/16's come: 5 rules each.
        expect(rules.filter(([, op]) => op === "create")).toHaveLength(5);
        expect(rules.filter(([, op]) => op === "delete")).toHaveLength(5);
        expect(rules.filter(([k]) => k.includes("192.168.110.0"))).toEqual([]);
        expect(rules.filter(([k, op]) => op === "create" && !k.includes("10.99.0.0"))).toEqual([]);
        expect(Object.keys(run.summary).filter((k) => !["same", "create", "delete"].includes(k))).toEqual([]);

        // RegionTwo leaves: its network, port, binding and node plumbing go, and the node is as it was.
        const leaving = plan.splice(1, 1);
        await configure();
        const removed = await up();
        expect(byType(removed, "command:remote:Command").filter(([, op]) => op === "delete")).toHaveLength(4);
        expect(await settledState(nodes.r2)).toEqual(baseline.get(nodes.r2));
        plan.push(...leaving);
        await configure();
        const added = await up();
        expect(byType(added, "command:remote:Command").filter(([, op]) => op === "create")).toHaveLength(4);
        expect((await octaviaConf(nodes.r2))["health_manager.heartbeat_key"]).toBe(heartbeatKey);
        await preview({ expectNoChanges: true });
    });

    it("7. an unreachable controller fails up within the SSH bound, while the other region rotates its key node by node; the next up after the fix converges", async () => {
        // The node drops SSH silently, as a firewall or a dead host does: every dial waits for its timeout.
        await nodes.r2.sh("iptables -w -I INPUT -p tcp --dport 22 -j DROP");
        heartbeatKey = heartbeatKeys[2];
        await configure();
        const before = restartCounts([nodes.r1a, nodes.r1b]);
        const t0 = Date.now();
        const failure = await up().then(
            () => undefined,
            (e: Error) => e,
        );
        const seconds = (Date.now() - t0) / 1000;
        await nodes.r2.sh("iptables -w -D INPUT -p tcp --dport 22 -j DROP");
        expect(failure, "up must fail while the node is unreachable").toBeInstanceOf(Error);
        expect(String(failure)).toMatch(/failed attempts|i\/o timeout|dial/);
        expect(String(failure)).toContain(nodes.r2.sshHost);
        // SSH_DIAL_POLICY: 3 dials of 10 s, plus backoff; the other region's node is updated meanwhile.
        expect(seconds).toBeLessThan(90);
        expect((await octaviaConf(nodes.r1a))["health_manager.heartbeat_key"]).toBe(heartbeatKey);
        // RegionOne's two controllers took the new key one after the other.
        expect((await octaviaConf(nodes.r1b))["health_manager.heartbeat_key"]).toBe(heartbeatKey);
        const pause = expectOneAtATime([nodes.r1a, nodes.r1b], before);
        // With two health managers restarting one at a time, the region never stops hearing: each is silent for its
        // own restart (at least the second it takes), the region for less than a second at any point.
        const heard = heardAround([nodes.r1a, nodes.r1b], before);
        expect(Math.min(...heard.nodes), "each node's own restart is seen").toBeGreaterThanOrEqual(1);
        expect(heard.region, "a second in which neither health manager heard a heartbeat").toBeLessThan(1);
        console.log(
            `key rotation: RegionOne's two restarts one after the other, ${pause.toFixed(2)} s apart; over ${heard.seconds.toFixed(1)} s each node was ` +
                `silent for up to ${heard.nodes.map((s) => s.toFixed(2)).join(" and ")} s, the region for at most ${heard.region.toFixed(2)} s; ` +
                `${heard.heard} heartbeats heard, ${heard.opened} of them opened with the key they were signed with (the old one, until each restart)`,
        );

        const fixed = await up();
        // The node's octavia.conf, then its region's push, which waited for it.
        expect([...fixed.ops].filter(([, op]) => op !== "same").map(([k]) => k.split("::")[1]).sort()).toEqual([
            `region-RegionTwo-amphora-agent-config`,
            `region-RegionTwo-node-${hostname(nodes.r2)}-octavia-conf`,
        ]);
        expect((await octaviaConf(nodes.r2))["health_manager.heartbeat_key"]).toBe(heartbeatKey);
        await preview({ expectNoChanges: true });
    });

    it("8. no secret reaches the state file or the engine's output", async () => {
        const stateFile = path.join(backend, ".pulumi", "stacks", "tricircle-lbaas", `${STACK}.json`);
        const state = fs.readFileSync(stateFile, "utf8");
        expect(state.length).toBeGreaterThan(10_000);
        const privateKeyBody = fs.readFileSync(lab.clientKey, "utf8").split("\n")[2];
        for (const [what, secret] of [
            ...heartbeatKeys.map((k, i) => [`heartbeat key ${i}`, k]),
            ["private key", privateKeyBody],
            ["Keystone password", KEYSTONE_PASSWORD],
        ]) {
            expect(state.includes(secret), `${what} in the state file`).toBe(false);
            expect(engineOutput.includes(secret), `${what} in the engine output`).toBe(false);
        }
        // What must be there is there, encrypted.
        expect(state).toContain("4dabf18193072939515e22adb298388d");
    });

    it("9. destroy leaves the cloud and every node as they were", async () => {
        for (const n of [nodes.r1a, nodes.r1b]) await stopProbes(n);
        const run = await stack.destroy({ onOutput: (s) => (engineOutput += s) });
        expect(run.summary.resourceChanges?.delete).toBeGreaterThanOrEqual(30);
        expect(cloudListing()).toEqual(cloudBefore);
        for (const n of Object.values(nodes)) expect(await settledState(n)).toEqual(baseline.get(n));
    });
});
