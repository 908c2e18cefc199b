// Drift on the controller nodes through the real engine and plugins: the whole index.ts on a throw-away
// stack (one region, one controller node from the host harness: real sshd, Open vSwitch, iptables), against the local
// cloud. For each kind of drift: `preview --refresh` shows it (the node's NodeDrift and the drifted concern's command
// change) and changes nothing, `npm run doctor`'s check reports it, `up --refresh` repairs it, and the node is then
// equal to its state right after the first `up` (a node never touched since); `preview --refresh
// --expect-no-changes` passes again and the doctor says `ok`. A replayed reboot needs no repair. The node runs the
// cloud's L2 agent, so its health-manager port is ACTIVE while o-hm0 carries it, and a port the agent no longer wires
// is drift too.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { commandOfConcern, NODE_COMMANDS, RETIRED_COMMANDS } from "../../components/node/controllerNode";
import { unitExecLines } from "../../components/node/persistence";
import { NODE_PATHS } from "../../components/node/remote";
import { COMMON_DRIFT_CASES, DriftCase } from "../support/driftCases";
import { doctor, portReports } from "../../tools/doctor/drift";
import * as engine from "../../tools/lib/engine";
import { STACK_PLUGINS } from "../../tools/lib/engine";
import { writeStackFile } from "../../tools/lib/localStack";
import { BASELINE_NODE_CONF, HostNode, Lab, NodeSnapshot, TEST_USER, expectOk, settledSnapshot, withoutOvsRowIds } from "../host/harness";
import { CLOUDS_YAML, indexStack, openstack, requireLocalCloud, ROOT } from "./localCloud";

const STACK = "e2e-drift";
const RESTART_LOG = "octavia-restarts.log";
const HEARTBEAT_KEY = crypto.randomBytes(24).toString("hex");

let lab: Lab;
let node: HostNode;
let stack: Stack;
let backend: string;
let workDir: string;
let untouched: NodeSnapshot;
let engineOutput = "";

function stackConfig(): Record<string, unknown> {
    return {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:securityGroups": { amphora: "e2e-drift-lb-mgmt-sec-grp", healthManager: "e2e-drift-lb-health-mgr-sec-grp" },
        "tricircle-lbaas:healthManager": { port: 5555 },
        // No key in the config: the node's first key is pinned in the state (accept-new), and the commands, the
        // refresh's check and the doctor all connect with it.
        "tricircle-lbaas:ssh": { user: TEST_USER, hostKeyPolicy: "accept-new" },
        "tricircle-lbaas:regions": [
            {
                name: "RegionOne",
                mgmt: { network: "e2e-drift-lb-mgmt-net1", subnet: "e2e-drift-lb-mgmt-subnet1", cidr: "192.168.130.0/24" },
                controllers: [{ host: node.sshHost, hostname: "e2e-drift-ctl" }],
                octavia: { restartCommand: `echo restarted >>/run/${RESTART_LOG}` },
            },
        ],
    };
}

interface Run {
    ops: Map<string, string>;
    ms: number;
}

function collector(): { onOutput: (s: string) => void; onEvent: (e: EngineEvent) => void; ops: Map<string, string> } {
    const ops = new Map<string, string>();
    return {
        onOutput: (s) => (engineOutput += s),
        onEvent: (e) => {
            const md = e.resourcePreEvent?.metadata;
            if (md && !["same", "refresh", "read"].includes(md.op) && !md.type.startsWith("pulumi:providers:")) ops.set(md.urn.split("::").pop() ?? md.urn, md.op);
        },
        ops,
    };
}

async function previewRefresh(opts: { expectNoChanges?: boolean } = {}): Promise<Run> {
    const c = collector();
    const t0 = Date.now();
    await stack.preview({ refresh: true, ...opts, onOutput: c.onOutput, onEvent: c.onEvent });
    return { ops: c.ops, ms: Date.now() - t0 };
}

async function upRefresh(): Promise<Run> {
    const c = collector();
    const t0 = Date.now();
    await stack.up({ refresh: true, onOutput: c.onOutput, onEvent: c.onEvent });
    return { ops: c.ops, ms: Date.now() - t0 };
}

/** The node's state without what counts restarts (nothing the stack undoes) and without OVS row ids. */
async function nodeState(): Promise<NodeSnapshot> {
    const snap = await node.snapshot();
    delete snap.upperFiles[`run/${RESTART_LOG}`];
    return withoutOvsRowIds(snap);
}

/** Once the SSH sessions of the last run are gone. */
const settledState = () => settledSnapshot(nodeState, untouched);

/** The node's health-manager port, from the stack's outputs. */
async function hmPortId(): Promise<string> {
    const regions = (await stack.outputs()).regions.value as Record<string, { healthManagers: Array<{ portId: string }> }>;
    return regions.RegionOne.healthManagers[0].portId;
}

/** Waits (30 s at most) until Neutron shows the port with `status`. */
async function waitForStatus(portId: string, status: string): Promise<void> {
    let seen = "";
    for (let i = 0; i < 60; i++) {
        seen = openstack("RegionOne", "port", "show", portId).status;
        if (seen === status) return;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`port ${portId} is still ${seen}, not ${status}, after 30 s`);
}

/** The node command a resource name (`<node>-<command>`) is, if it is one: the plane, octavia.conf, or a retired one. */
const commandOf = (name: string) => [...NODE_COMMANDS, ...RETIRED_COMMANDS].find((c) => name.endsWith(`-node-e2e-drift-ctl-${c}`));

const CASES: DriftCase[] = [
    ...COMMON_DRIFT_CASES,
    { name: "its address removed", concern: "ohm0", make: "ip addr flush dev o-hm0 scope global", reported: /ohm0: o-hm0 has address\(es\) 'none'/ },
    {
        name: "an octavia.conf value edited",
        concern: "octavia-conf",
        make: `sed -i 's/^bind_port = .*/bind_port = 6666/' ${BASELINE_NODE_CONF.path}`,
        reported: /octavia-conf: \[health_manager\] bind_port is "6666", not "5555"/,
    },
];

describe("drift on a controller node, with the real engine", () => {
    beforeAll(async () => {
        engine.requireEngine(ROOT, STACK_PLUGINS);
        requireLocalCloud();
        process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;
        lab = await Lab.create({ neutronAgents: true });
        node = await lab.node({ octaviaConf: BASELINE_NODE_CONF, hostname: "e2e-drift-ctl" });
        ({ stack, backend, workDir } = await indexStack(STACK));
        writeStackFile(workDir, STACK, stackConfig());
        await stack.setConfig("tricircle-lbaas:healthManager.heartbeatKey", { value: HEARTBEAT_KEY, secret: true }, true);
        await stack.setConfig("tricircle-lbaas:ssh.privateKey", { value: fs.readFileSync(lab.clientKey, "utf8"), secret: true }, true);
        await stack.up({ onOutput: (s) => (engineOutput += s) });
        untouched = await settledState();
    });

    afterAll(async () => {
        if (stack) await stack.destroy({ onOutput: (s) => (engineOutput += s) }).catch((e) => console.error(`cleanup destroy failed: ${e}`));
        await lab?.teardown();
        for (const dir of [backend, workDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a clean node: preview --refresh --expect-no-changes passes, and the doctor says ok", async () => {
        await previewRefresh({ expectNoChanges: true });
        const reports = await doctor(stack);
        expect(reports.map((r) => r.report)).toEqual(["ok"]);
        expect((await portReports(stack)).map((p) => p.report)).toEqual([`port ${await hmPortId()}: ACTIVE`]);
        expect(reports[0].node).toContain(node.sshHost);
        // The key the stack pinned is the node's own.
        const resources = ((await stack.exportStack()).deployment as { resources: Array<{ type: string; outputs?: Record<string, unknown> }> }).resources;
        const pins = resources.filter((r) => r.type === "pulumi-nodejs:dynamic/node:HostKeyPin");
        expect(pins.map((p) => p.outputs?.hostKey)).toEqual([node.hostKey.split(" ").slice(0, 2).join(" ")]);
    });

    it.each(CASES)("$name: shown by preview --refresh, reported by the doctor, repaired by up --refresh", async (c) => {
        await node.sh(c.make);
        const drifted = await nodeState();

        const preview = await previewRefresh();
        const changed = [...preview.ops].filter(([, op]) => op !== "same");
        // The node's drift resource and exactly the command of the drifted concern, both updated in place.
        expect(changed.filter(([name]) => name.endsWith("-drift")).map(([, op]) => op)).toEqual(["update"]);
        expect(changed.filter(([name]) => commandOf(name) !== undefined).map(([name, op]) => `${commandOf(name)} ${op}`)).toEqual([`${commandOfConcern(c.concern)} update`]);
        expect(changed.filter(([, op]) => op !== "update")).toEqual([]);
        await expect(previewRefresh({ expectNoChanges: true })).rejects.toThrow();
        // Neither preview changed the node.
        expect(await nodeState()).toEqual(drifted);

        const [report] = await doctor(stack);
        expect(report.report).toMatch(/^drift: /);
        expect(report.report).toMatch(c.reported);

        const up = await upRefresh();
        expect([...up.ops].filter(([name]) => commandOf(name) !== undefined).map(([name, op]) => `${commandOf(name)} ${op}`)).toEqual([`${commandOfConcern(c.concern)} update`]);
        expect(await settledState()).toEqual(untouched);
        expect((await doctor(stack)).map((r) => r.report)).toEqual(["ok"]);
        await previewRefresh({ expectNoChanges: true });
    });

    it("a port the agent no longer wires: refresh shows it, the doctor reports it, up --refresh waits until it is ACTIVE again", async () => {
        const portId = await hmPortId();
        // Without o-hm0 on br-int the node's agent reports the device gone and Neutron marks the port DOWN.
        await node.sh("ovs-vsctl --timeout=10 del-port br-int o-hm0");
        await waitForStatus(portId, "DOWN");
        const preview = await previewRefresh();
        expect([...preview.ops].filter(([name]) => name.endsWith("-hm-e2e-drift-ctl-active")).map(([, op]) => op)).toEqual(["update"]);
        const [port] = await portReports(stack);
        expect(port.report).toMatch(new RegExp(`^drift: port ${portId} is DOWN, not ACTIVE \\(binding:host_id "e2e-drift-ctl", binding:vif_type ovs\\)$`));
        expect(port.node).toContain(node.sshHost);

        const up = await upRefresh();
        expect([...up.ops].filter(([name]) => name.endsWith("-active")).map(([, op]) => op)).toEqual(["update"]);
        // up returned only once Neutron said ACTIVE again.
        expect(openstack("RegionOne", "port", "show", portId).status).toBe("ACTIVE");
        expect((await portReports(stack)).map((p) => p.report)).toEqual([`port ${portId}: ACTIVE`]);
        expect(await settledState()).toEqual(untouched);
        await previewRefresh({ expectNoChanges: true });
    });

    it("a replayed reboot needs no repair: the unit restores the node and preview --refresh stays clean", async () => {
        await node.stopOvs({ reboot: true });
        await node.sh("iptables -F INPUT; ip6tables -F INPUT; rm -rf /run/tricircle-lbaas");
        await node.startOvs();
        await node.sh("for i in $(seq 100); do [ -e /sys/class/net/o-hm0 ] && break; sleep 0.1; done; ip link set o-hm0 down");
        // Before the unit runs, the doctor sees the reboot's losses.
        expect((await doctor(stack))[0].report).toMatch(/^drift: /);
        const unit = await node.readFile(NODE_PATHS.unitFile);
        for (const line of unitExecLines(unit, "ExecStart")) expectOk(await node.ssh(line, { user: "root" }), `ExecStart=${line}`);
        expect((await doctor(stack)).map((r) => r.report)).toEqual(["ok"]);
        await previewRefresh({ expectNoChanges: true });
    });

    it("no secret reaches the state file or the engine's output", () => {
        const state = fs.readFileSync(path.join(backend, ".pulumi", "stacks", "tricircle-lbaas", `${STACK}.json`), "utf8");
        const keyHash = crypto.createHash("sha256").update(HEARTBEAT_KEY).digest("hex");
        const privateKeyBody = fs.readFileSync(lab.clientKey, "utf8").split("\n")[2];
        for (const [what, secret] of [["heartbeat key", HEARTBEAT_KEY], ["its hash", keyHash], ["private key", privateKeyBody]]) {
            expect(state.includes(secret), `${what} in the state file`).toBe(false);
            expect(engineOutput.includes(secret), `${what} in the engine output`).toBe(false);
        }
    });
});
