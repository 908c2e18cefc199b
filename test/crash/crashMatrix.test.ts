// The crash matrix: kill -9 of the engine at points spread over a whole `up` of the guide's stack (management plane,
// amphora prerequisites, controller nodes over SSH, the demo's servers and load balancer chain) and over a `destroy`,
// each followed by the documented repair (`npm run doctor -- --orphans --fix`, here its library, then `up` or
// `destroy` again). Real engine and plugins, the local cloud, and two controller nodes in namespaces (real sshd, Open
// vSwitch, iptables, each with its Neutron L2 agent).
//
// One cycle per `up` point, each from an empty stack: up killed at the point; once the node's scripts are over (the
// orphaned plugins and the scripts they started finish on their own, as after a lost runner), every node's
// octavia.conf is whole (the file as it was, or exactly what the repaired `up` writes) and o-hm0 is either absent or
// wholly configured; the repair; the repaired `up` converges (no pending operation, every tagged object in the state,
// no name twice, a `preview --refresh` with no change); then `destroy` (in the first cycles killed at a `destroy`
// point and repaired the same way) leaves nothing of the stack's on the cloud and every node as it was.
//
// Long (about 2 min per cycle): its own npm script, `npm run test:crash`, which .ci/run runs.
import * as crypto from "crypto";
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { stackTag } from "../../components/cloud/tags";
import { listTagged, openCloud } from "../../tools/doctor/cloudObjects";
import { orphanDoctor } from "../../tools/doctor/orphanRepair";
import { CloudObject, Deployment, pendingOperations } from "../../tools/doctor/orphans";
import { stackCheckpointSidecars } from "../../tools/doctor/checkpointSidecar";
import { STACK_PLUGINS, requireEngine } from "../../tools/lib/engine";
import { writeStackFile } from "../../tools/lib/localStack";
import { resolveKeystoneAuth } from "../../components/cloud/openstackAuth";
import { BASELINE_NODE_CONF, HostNode, Lab, NodeSnapshot, packagedNodeConf, run, settledSnapshot, TEST_USER, withoutOvsRowIds } from "../host/harness";
import { disturbWhen, EngineVerb } from "../e2e/engineKill";
import { CLOUDS_YAML, indexStack, openstack, requireLocalCloud, ROOT } from "../e2e/localCloud";

const STACK = "e2e-crashmx";
const P = "e2e-crashmx-";
const PROJECT = "tricircle-lbaas";
const TAG = stackTag(PROJECT, STACK);
const REGIONS = ["CentralRegion", "RegionOne", "RegionTwo"];
const RESTART_LOG = "octavia-restarts.log";

/** Where a kill lands: `delayMs` after the engine began the first `op` step of a resource of `type` whose name matches. */
interface KillPoint {
    label: string;
    op: "create" | "delete";
    type: string;
    name: RegExp;
    delayMs: number;
}

const COMMAND = "command:remote:Command";

/** Thirteen points of an `up`, in the order the engine reaches them. */
const UP_POINTS: KillPoint[] = [
    { label: "amphora security group", op: "create", type: "openstack:networking/secGroup:SecGroup", name: /^lb-secgroups-amphora$/, delayMs: 100 },
    { label: "management network", op: "create", type: "openstack:networking/network:Network", name: /-mgmt-network$/, delayMs: 150 },
    { label: "amphora flavor", op: "create", type: "openstack:compute/flavor:Flavor", name: /-amphora-flavor$/, delayMs: 100 },
    // Early enough that Nova may not have answered yet: a keypair it made, but the state never recorded, takes no tag.
    { label: "amphora keypair", op: "create", type: "openstack:compute/keypair:Keypair", name: /-amphora-keypair$/, delayMs: 60 },
    { label: "health-manager port", op: "create", type: "openstack:networking/port:Port", name: /-hm-.*-port$/, delayMs: 100 },
    { label: "port host binding", op: "create", type: "pulumi-nodejs:dynamic/neutron:PortHostBinding", name: /-binding$/, delayMs: 300 },
    // The plane (o-hm0, the firewall rule, the boot unit) early in its create and well into it.
    { label: "plane on a node, 300 ms in", op: "create", type: COMMAND, name: /-plane$/, delayMs: 300 },
    { label: "plane on a node, 1500 ms in", op: "create", type: COMMAND, name: /-plane$/, delayMs: 1500 },
    { label: "amphora certificates on a node", op: "create", type: COMMAND, name: /-certificates$/, delayMs: 500 },
    { label: "octavia.conf and restart", op: "create", type: COMMAND, name: /-octavia-conf$/, delayMs: 1500 },
    { label: "backend server boot", op: "create", type: "openstack:compute/instance:Instance", name: /-server$/, delayMs: 300 },
    { label: "load balancer", op: "create", type: "openstack:loadbalancer/loadBalancer:LoadBalancer", name: /-lb$/, delayMs: 2000 },
    { label: "pool", op: "create", type: "openstack:loadbalancer/pool:Pool", name: /-pool$/, delayMs: 200 },
];

/** Five points of a `destroy`. */
const DESTROY_POINTS: KillPoint[] = [
    { label: "load balancer", op: "delete", type: "openstack:loadbalancer/loadBalancer:LoadBalancer", name: /-lb$/, delayMs: 1000 },
    { label: "backend server", op: "delete", type: "openstack:compute/instance:Instance", name: /-server$/, delayMs: 200 },
    { label: "octavia.conf undo on a node", op: "delete", type: COMMAND, name: /-octavia-conf$/, delayMs: 1500 },
    { label: "plane's undo on a node", op: "delete", type: COMMAND, name: /-plane$/, delayMs: 800 },
    { label: "management network", op: "delete", type: "openstack:networking/network:Network", name: /-mgmt-network$/, delayMs: 100 },
];

let lab: Lab;
const nodes: HostNode[] = [];
const hostnames = new Map<HostNode, string>();
let baseline: Map<HostNode, NodeSnapshot>;
let stack: Stack;
let backend: string;
let workDir: string;
const heartbeatKey = crypto.randomBytes(24).toString("hex");
/** One row per point for the log: what the kill left and what the repair did. */
const table: string[] = [];

function stackConfig(): Record<string, unknown> {
    const [r1, r2] = nodes;
    const controller = (n: HostNode) => ({ host: n.sshHost, hostname: hostnames.get(n)! });
    // A restart long enough for a kill to land in it, logged on the node.
    const octavia = { restartCommand: `echo start >>/run/${RESTART_LOG} && sleep 2 && echo end >>/run/${RESTART_LOG}` };
    return {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:amphoraProject": "service",
        "tricircle-lbaas:securityGroups": { amphora: `${P}lb-mgmt-sec-grp`, healthManager: `${P}lb-health-mgr-sec-grp` },
        "tricircle-lbaas:healthManager": { port: 5555 },
        "tricircle-lbaas:ssh": { user: TEST_USER, hostKeys: Object.fromEntries(nodes.map((n) => [n.sshHost, n.hostKey])) },
        "tricircle-lbaas:regions": [
            { name: "RegionOne", mgmt: { network: `${P}lb-mgmt-net1`, subnet: `${P}lb-mgmt-subnet1`, cidr: "192.168.230.0/24" }, controllers: [controller(r1)], octavia },
            { name: "RegionTwo", mgmt: { network: `${P}lb-mgmt-net2`, subnet: `${P}lb-mgmt-subnet2`, cidr: "192.168.231.0/24" }, controllers: [controller(r2)], octavia },
        ],
        "tricircle-lbaas:amphora": {
            flavor: { vcpus: 1, ramMb: 1024, diskGb: 3 },
            image: { tag: "amphora", owner: "service" },
            keypair: { publicKey: fs.readFileSync(`${lab.clientKey}.pub`, "utf8").trim() },
            certificates: { caValidityDays: 3650, clientValidityDays: 365 },
        },
        "tricircle-lbaas:demo": {
            image: "cirros",
            flavor: "m1.tiny",
            networks: [{ name: `${P}net1`, cidr: "10.77.60.0/24" }],
            backends: [
                { name: `${P}backend1`, region: "RegionOne", network: `${P}net1` },
                { name: `${P}backend2`, region: "RegionTwo", network: `${P}net1` },
            ],
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
        },
    };
}

async function tagged(): Promise<CloudObject[]> {
    const cloud = await openCloud(resolveKeystoneAuth({ cloud: "local" }, { OS_CLIENT_CONFIG_FILE: CLOUDS_YAML }));
    return listTagged(cloud, REGIONS, TAG);
}

/**
 * Every object of the suite the cloud holds, by kind and name (tagged or not): networks, subnets, ports, groups,
 * servers, load balancers and their listeners, pools and monitors, flavors and keypairs. A name listed twice is a
 * create that was made again.
 */
function suiteObjects(): string[] {
    const rows = new Map<string, string>();
    const add = (kind: string, id: string, name: string | undefined) => {
        if (name && name.includes(STACK)) rows.set(`${kind} ${id}`, `${kind} ${name}`);
    };
    for (const kind of ["network", "subnet", "port", "security group"]) {
        for (const o of openstack("CentralRegion", ...kind.split(" "), "list") as Array<{ ID: string; Name: string }>) add(kind, o.ID, o.Name);
    }
    for (const region of ["RegionOne", "RegionTwo"]) {
        for (const s of openstack(region, "server", "list", "--all-projects") as Array<{ ID: string; Name: string }>) add(`server ${region}`, s.ID, s.Name);
        for (const f of openstack(region, "flavor", "list", "--all") as Array<{ ID: string; Name: string }>) add(`flavor ${region}`, f.ID, f.Name);
        for (const k of openstack(region, "keypair", "list", "--user", "octavia") as Array<{ Name: string }>) add(`keypair ${region}`, k.Name, k.Name);
    }
    for (const kind of ["loadbalancer", "loadbalancer listener", "loadbalancer pool", "loadbalancer healthmonitor"]) {
        for (const o of openstack("RegionOne", ...kind.split(" "), "list") as Array<{ id: string; name: string }>) add(kind, o.id, o.name);
    }
    return [...rows.values()].sort();
}

const twice = (rows: string[]) => rows.filter((r, i) => rows.indexOf(r) !== i);

async function deployment(): Promise<Deployment> {
    return (await stack.exportStack()).deployment as Deployment;
}

/** After a completed run: nothing pending, every tagged object in the state, no object of the suite made twice. */
async function expectConverged(): Promise<void> {
    const d = await deployment();
    expect(pendingOperations(d)).toEqual([]);
    const ids = new Set((d.resources ?? []).flatMap((r) => (r.id ? [r.id] : [])));
    expect((await tagged()).filter((o) => !ids.has(o.id)).map((o) => `${o.kind} ${o.name}`)).toEqual([]);
    expect(twice(suiteObjects())).toEqual([]);
}

/** The node's processes that run one of the stack's scripts (each runs from a tricircle-lbaas.XXXXXXXX file). */
async function nodeScripts(n: HostNode): Promise<string[]> {
    const pids = (await run("ip", ["netns", "pids", n.ns])).stdout.split("\n").filter(Boolean);
    const scripts: string[] = [];
    for (const pid of pids) {
        try {
            const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
            if (cmd.includes("tricircle-lbaas.")) scripts.push(`${pid} ${cmd}`);
        } catch {
            // exited meanwhile
        }
    }
    return scripts;
}

/** Waits (bounded) until no script of the stack runs on the node: what the lost run started there has ended. */
async function nodeQuiet(n: HostNode): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (let running = await nodeScripts(n); running.length > 0; running = await nodeScripts(n)) {
        if (Date.now() > deadline) throw new Error(`scripts still running on ${hostnames.get(n)} 120 s after the kill: ${running.join("; ")}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** What a node holds right after a kill: octavia.conf's text and o-hm0's condition. */
interface CrashView {
    conf: string;
    /** `absent`, `configured`, or what makes it neither. */
    ohm0: string;
}

async function crashView(n: HostNode): Promise<CrashView> {
    const conf = await n.readFile(BASELINE_NODE_CONF.path);
    const link = await n.exec(["ip", "-j", "addr", "show", "o-hm0"]);
    if (link.code !== 0) {
        const port = await n.exec(["ovs-vsctl", "--timeout=10", "list-ports", "br-int"]);
        return { conf, ohm0: port.stdout.split("\n").includes("o-hm0") ? "half: an OVS port o-hm0 without its device" : "absent" };
    }
    const dev = JSON.parse(link.stdout)[0] as { address: string; flags: string[]; addr_info: Array<{ family: string }> };
    const ext = async (key: string) => (await n.exec(["ovs-vsctl", "--timeout=10", "get", "Interface", "o-hm0", `external_ids:${key}`])).stdout.trim().replace(/"/g, "");
    const problems: string[] = [];
    if (!dev.flags.includes("UP")) problems.push("down");
    if (!dev.addr_info.some((a) => a.family === "inet")) problems.push("no IPv4 address");
    if ((await ext("attached-mac")) !== dev.address) problems.push(`attached-mac is not the device's ${dev.address}`);
    if (!/^[0-9a-f-]{36}$/.test(await ext("iface-id"))) problems.push("no iface-id");
    return { conf, ohm0: problems.length ? `half: ${problems.join(", ")}` : "configured" };
}

/** The node's state without the restart log, which counts restarts and is nothing the stack undoes. */
async function nodeState(n: HostNode): Promise<NodeSnapshot> {
    const snap = withoutOvsRowIds(await n.snapshot());
    delete snap.upperFiles[`run/${RESTART_LOG}`];
    return snap;
}

/** The node's state once the SSH sessions of the last run have ended. */
const settledState = (n: HostNode) => settledSnapshot(() => nodeState(n), baseline.get(n));

const matches = (p: KillPoint) => (e: EngineEvent) => {
    const md = e.resourcePreEvent?.metadata;
    return md !== undefined && md.op === p.op && md.type === p.type && p.name.test(md.urn.slice(md.urn.lastIndexOf("::") + 2));
};

/** Runs `verb` killed at `point`; the run must have been killed (not ended before), and fail. */
async function killedRun(verb: EngineVerb, point: KillPoint): Promise<void> {
    const d = disturbWhen(matches(point), { verb, stackName: STACK, delayMs: point.delayMs, signal: "SIGKILL" });
    const run = verb === "up" ? stack.up({ onEvent: d.onEvent }) : stack.destroy({ onEvent: d.onEvent });
    const error = await run.then(
        () => undefined,
        (e: Error) => e.message,
    );
    await d.reapPlugins();
    expect(d.sent(), `the ${verb} reached "${point.label}" and was killed there; it ended: ${error ?? "ok"}`).toBe(true);
    expect(error, `the killed ${verb} failed`).toBeDefined();
}

/** The documented repair's first half: the doctor's report, then its fix, after which the stack is clean. */
/**
 * Runs the first program run after a killed `up`, once more if it failed only by the killed run's leftovers. The
 * Automation API runs an inline program inside this test process, where the killed run's program lives on: its late
 * gRPC failures against the dead engine ("14 UNAVAILABLE: No connection established") reach the process-wide
 * handlers that the next run's program installs (tools/lib/engine.ts failFast), which then fails at once, before any
 * step. An operator's next `up` is a new process (`pulumi up`, `npm run stack`), which holds no such leftovers; any
 * other failure, or a second one, fails the cycle.
 */
async function afterKilledProgram<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
        return await run();
    } catch (e) {
        const message = (e as Error).message;
        if (!/14 UNAVAILABLE: No connection established/.test(message) || !/Resources:\s+1 errored/.test(message)) throw e;
        console.log(`${what}: failed before any step by the killed run's leftover gRPC error; running it again`);
        await new Promise((r) => setTimeout(r, 5000));
        return run();
    }
}

/** `2 Network, 1 SecGroupRule`: how many of each, by the last part of a type or the first word of a line. */
function counted(items: string[]): string {
    const counts = new Map<string, number>();
    for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
    return [...counts].map(([k, n]) => `${n} ${k}`).join(", ") || "none";
}

/** What a kill left: the pending operations by type, and the orphans (tagged objects not in the state). */
async function leftByKill(): Promise<string> {
    // A kill during a checkpoint save can leave its sidecar empty: the state cannot be read until the doctor's fix.
    if ((await stackCheckpointSidecars(stack)).length > 0) return `the checkpoint's sidecar empty (every command: "failed to load checkpoint: EOF")`;
    const d = await deployment();
    const ids = new Set((d.resources ?? []).flatMap((r) => (r.id ? [r.id] : [])));
    const pendingTypes = pendingOperations(d).map((p) => `${p.operation.replace(/ing$/, "")} ${p.type.slice(p.type.lastIndexOf(":") + 1)}`);
    const orphans = (await tagged()).filter((o) => !ids.has(o.id)).map((o) => o.kind);
    return `pending: ${counted(pendingTypes)}; tagged orphans: ${counted(orphans)}`;
}

/**
 * The documented repair's first half: the doctor's fix, after which the stack is clean. Returns what it did: the
 * objects it adopted by kind, what it deleted, the pending creates it dropped.
 */
async function doctorFix(): Promise<string> {
    const lines: string[] = [];
    const fixed = await orphanDoctor(stack, { fix: true, log: (l) => lines.push(l) });
    expect(fixed.clean, lines.join("\n")).toBe(true);
    const after = await orphanDoctor(stack, { fix: false, log: () => undefined });
    expect(after).toMatchObject({ clean: true, pending: 0, orphans: 0 });
    const kinds = (verb: string) => lines.filter((l) => l.startsWith(`${verb}: `)).map((l) => l.split(" ")[1]);
    return `${fixed.sidecars ? `removed the empty checkpoint sidecar; ` : ""}adopted ${counted(kinds("adopted"))}; deleted ${counted(kinds("deleted"))}; dropped ${fixed.dropped} create(s) that made nothing`;
}

/**
 * Each cycle starts from an empty stack: what a failed cycle left (its assertion stopped it half-way) is repaired and
 * destroyed first, so that one failure is reported once and not again by every cycle after it.
 */
async function fromEmpty(): Promise<void> {
    for (const f of await stackCheckpointSidecars(stack)) fs.rmSync(f);
    const d = await deployment();
    if ((d.resources ?? []).length === 0 && (d.pending_operations ?? []).length === 0 && (await tagged()).length === 0) return;
    await stack.cancel().catch(() => undefined);
    await orphanDoctor(stack, { fix: true, log: () => undefined }).catch((e) => console.error(`doctor before the cycle failed: ${e}`));
    await stack.destroy();
}

async function expectAllGone(): Promise<void> {
    expect(await tagged()).toEqual([]);
    expect(suiteObjects()).toEqual([]);
    for (const n of nodes) expect(await settledState(n), `${hostnames.get(n)} is as before`).toEqual(baseline.get(n));
}

describe("crash matrix: kill -9 anywhere in up and destroy, then the documented repair (real engine, local cloud, nodes)", () => {
    beforeAll(async () => {
        requireEngine(ROOT, STACK_PLUGINS);
        requireLocalCloud();
        process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;
        expect(await tagged(), `objects tagged ${TAG} before the suite: remove them first`).toEqual([]);
        expect(suiteObjects(), `objects named for ${STACK} before the suite: remove them first`).toEqual([]);
        lab = await Lab.create({ neutronAgents: true });
        for (const name of [`${P}ctl-r1`, `${P}ctl-r2`]) {
            const n = await lab.node({ octaviaConf: packagedNodeConf(), hostname: name });
            hostnames.set(n, name);
            nodes.push(n);
        }
        baseline = new Map();
        for (const n of nodes) baseline.set(n, await nodeState(n));
        ({ stack, backend, workDir } = await indexStack(STACK));
        writeStackFile(workDir, STACK, stackConfig());
        await stack.setConfig("tricircle-lbaas:healthManager.heartbeatKey", { value: heartbeatKey, secret: true }, true);
        await stack.setConfig("tricircle-lbaas:ssh.privateKey", { value: fs.readFileSync(lab.clientKey, "utf8"), secret: true }, true);
    });

    afterAll(async () => {
        console.log(`crash matrix:\n| up killed during | what the kill left | the repair (doctor --orphans --fix) | destroy | cycle |\n|---|---|---|---|---|\n${table.join("\n")}`);
        if (stack) {
            await stack.cancel().catch(() => undefined);
            await orphanDoctor(stack, { fix: true, log: () => undefined }).catch((e) => console.error(`cleanup doctor failed: ${e}`));
            await stack.destroy().catch((e) => console.error(`cleanup destroy failed: ${e}`));
        }
        await lab?.teardown();
        for (const dir of [backend, workDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const cycles = UP_POINTS.map((point, i) => ({ point, destroyAt: DESTROY_POINTS[i], undo: DESTROY_POINTS[i] ? `killed during the ${DESTROY_POINTS[i].label} and repaired` : "whole" }));
    it.each(cycles)(
        "kill -9 of up during the $point.label, repair, up converges; destroy $undo leaves nothing",
        async ({ point, destroyAt }) => {
            await fromEmpty();
            const t0 = Date.now();
            await killedRun("up", point);
            for (const n of nodes) await nodeQuiet(n);
            const views = new Map<HostNode, CrashView>();
            for (const n of nodes) views.set(n, await crashView(n));
            const left = `${await leftByKill()}; o-hm0 ${[...views.values()].map((v) => v.ohm0).join(" / ")}`;
            const repair = await doctorFix();

            await afterKilledProgram("the repair's up", () => stack.up());
            await expectConverged();
            for (const n of nodes) {
                const view = views.get(n)!;
                const now = await n.readFile(BASELINE_NODE_CONF.path);
                expect([BASELINE_NODE_CONF.content, now], `${hostnames.get(n)}: octavia.conf after the kill is whole: as it was or as the repaired up wrote it`).toContain(view.conf);
                expect(view.ohm0, `${hostnames.get(n)}: o-hm0 after the kill`).toMatch(/^(absent|configured)$/);
                expect((await crashView(n)).ohm0).toBe("configured");
            }
            await stack.preview({ refresh: true, expectNoChanges: true });

            let undo = "whole";
            if (destroyAt) {
                const deployed = new Map<HostNode, string>();
                for (const n of nodes) deployed.set(n, await n.readFile(BASELINE_NODE_CONF.path));
                await killedRun("destroy", destroyAt);
                for (const n of nodes) await nodeQuiet(n);
                for (const n of nodes) {
                    const view = await crashView(n);
                    expect([BASELINE_NODE_CONF.content, deployed.get(n)], `${hostnames.get(n)}: octavia.conf after the kill of destroy is whole`).toContain(view.conf);
                    expect(view.ohm0, `${hostnames.get(n)}: o-hm0 after the kill of destroy`).toMatch(/^(absent|configured)$/);
                }
                undo = `killed during the ${destroyAt.label} (${await leftByKill()}); doctor: ${await doctorFix()}; destroy`;
            }
            await stack.destroy();
            await expectAllGone();
            table.push(`| ${point.label} | ${left} | ${repair}; up | ${undo} | ${Math.round((Date.now() - t0) / 1000)} s |`);
        },
    );
});
