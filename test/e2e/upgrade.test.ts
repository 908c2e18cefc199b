// Upgrading a deployed stack, on the real engine: a stack set up by the program as it was when o-hm0, the heartbeat
// firewall rule and the boot unit were three commands of a node (`-ohm0`, `-firewall`, `-persistence`) takes this
// program's `up` without undoing anything on its node. The earlier program is the repository's own, read from git at
// PREVIOUS_LAYOUT and run as it was; the node is a namespace node of the host harness (real sshd, Open vSwitch,
// iptables), the cloud the local one.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { NODE_COMMANDS, RETIRED_COMMANDS } from "../../components/node/controllerNode";
import * as engine from "../../tools/lib/engine";
import { STACK_PLUGINS, throwAwayStack, workspaceStack } from "../../tools/lib/engine";
import { writeStackFile } from "../../tools/lib/localStack";
import { BASELINE_NODE_CONF, HostNode, Lab, NodeSnapshot, settledSnapshot, TEST_USER, withoutOvsRowIds } from "../host/harness";
import { Link, ohm0Link } from "../support/guideNode";
import { changeCollector, CLOUDS_YAML, requireLocalCloud, ROOT } from "./localCloud";

/** The last commit whose nodes had a command per concern: o-hm0, the firewall rule, the boot unit, octavia.conf. */
const PREVIOUS_LAYOUT = "fdc58edaf9941da033d62af946abca406dabc5ea";
const STACK = "e2e-upgrade";
const PASSPHRASE = "e2e-local-only";
const RESTART_LOG = "octavia-restarts.log";
const HEARTBEAT_KEY = crypto.randomBytes(24).toString("hex");

let lab: Lab;
let node: HostNode;
let previousTree: string;
let before: Stack;
let after: Stack;
let backend: string;
let workDir: string;
let baseline: NodeSnapshot;
let deployed: NodeSnapshot;
let deployedLink: Link;
let engineOutput = "";

function stackConfig(): Record<string, unknown> {
    return {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:securityGroups": { amphora: "e2e-upgrade-lb-mgmt-sec-grp", healthManager: "e2e-upgrade-lb-health-mgr-sec-grp" },
        "tricircle-lbaas:healthManager": { port: 5555 },
        "tricircle-lbaas:ssh": { user: TEST_USER, hostKeys: { [node.sshHost]: node.hostKey } },
        "tricircle-lbaas:regions": [
            {
                name: "RegionOne",
                mgmt: { network: "e2e-upgrade-lb-mgmt-net1", subnet: "e2e-upgrade-lb-mgmt-subnet1", cidr: "192.168.132.0/24" },
                controllers: [{ host: node.sshHost, hostname: "e2e-upgrade-ctl" }],
                octavia: { restartCommand: `echo restarted >>/run/${RESTART_LOG}` },
            },
        ],
    };
}

/** The program at `root`: its index.ts, loaded afresh for each run. */
function programAt(root: string): () => Promise<Record<string, unknown>> {
    return async () => {
        vi.resetModules();
        return (await import(path.join(root, "index.ts"))) as Record<string, unknown>;
    };
}

/** What the engine did to each of the node's commands, by their name's last part (`plane`, `firewall`, ...). */
function commandOps(ops: Map<string, string>): Record<string, string> {
    const prefix = "command:remote:Command::region-RegionOne-node-e2e-upgrade-ctl-";
    return Object.fromEntries([...ops].filter(([name]) => name.startsWith(prefix)).map(([name, op]) => [name.slice(prefix.length), op]));
}

/** An engine run's events (the op of every resource not `same`) and its output, kept for the secrets check. */
function collector(): { onOutput: (s: string) => void; onEvent: (e: EngineEvent) => void; ops: Map<string, string> } {
    return { ...changeCollector(), onOutput: (s: string) => (engineOutput += s) };
}

async function nodeState(): Promise<NodeSnapshot> {
    const snap = withoutOvsRowIds(await node.snapshot());
    delete snap.upperFiles[`run/${RESTART_LOG}`];
    return snap;
}

/** The node once the SSH sessions of the last run have ended. */
const settledState = (want: NodeSnapshot) => settledSnapshot(nodeState, want);

async function restarts(): Promise<number> {
    const log = await node.exec(["cat", `/run/${RESTART_LOG}`]);
    return log.code === 0 ? log.stdout.split("\n").filter(Boolean).length : 0;
}

interface StateResource {
    urn: string;
    type: string;
    inputs?: Record<string, unknown>;
}

async function stateCommands(stack: Stack): Promise<Map<string, StateResource>> {
    const resources = ((await stack.exportStack()).deployment as { resources: StateResource[] }).resources;
    return new Map(resources.filter((r) => r.type === "command:remote:Command").map((r) => [r.urn.slice(r.urn.lastIndexOf("-ctl-") + 5), r]));
}

describe("upgrading a stack deployed with a command per concern of a node", () => {
    beforeAll(async () => {
        engine.requireEngine(ROOT, STACK_PLUGINS);
        requireLocalCloud();
        process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;
        // The earlier program as the repository held it, with this checkout's packages (its pins are the same).
        previousTree = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-previous-layout-"));
        execFileSync("bash", ["-c", `git -C "${ROOT}" archive ${PREVIOUS_LAYOUT} | tar -x -C "${previousTree}"`], { stdio: "inherit" });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(previousTree, "node_modules"));

        lab = await Lab.create({ neutronAgents: true });
        node = await lab.node({ octaviaConf: BASELINE_NODE_CONF, hostname: "e2e-upgrade-ctl" });
        baseline = await nodeState();
        ({ stack: before, backend, workDir } = await throwAwayStack({ root: ROOT, projectName: "tricircle-lbaas", stackName: STACK, passphrase: PASSPHRASE, program: programAt(previousTree) }));
        writeStackFile(workDir, STACK, stackConfig());
        await before.setConfig("tricircle-lbaas:healthManager.heartbeatKey", { value: HEARTBEAT_KEY, secret: true }, true);
        await before.setConfig("tricircle-lbaas:ssh.privateKey", { value: fs.readFileSync(lab.clientKey, "utf8"), secret: true }, true);
        // The same stack (backend, work folder, config) under this program.
        after = await workspaceStack({ root: ROOT, projectName: "tricircle-lbaas", stackName: STACK, passphrase: PASSPHRASE, program: programAt(ROOT), workDir, backendUrl: `file://${backend}` });
    });

    afterAll(async () => {
        if (after) await after.destroy({ onOutput: (s) => (engineOutput += s) }).catch((e) => console.error(`cleanup destroy failed: ${e}`));
        await lab?.teardown();
        for (const dir of [backend, workDir, previousTree]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the earlier program sets the node up with a command per concern", async () => {
        const c = collector();
        await before.up({ onOutput: c.onOutput, onEvent: c.onEvent });
        expect(commandOps(c.ops)).toEqual({ ohm0: "create", firewall: "create", persistence: "create", "octavia-conf": "create" });
        deployed = await nodeState();
        deployedLink = await ohm0Link(node);
        expect(deployed).not.toEqual(baseline);
        expect(await restarts()).toBe(1);
    });

    it("preview under this program: the o-hm0 command becomes the plane, every node command is updated in place, nothing is deleted or replaced", async () => {
        const c = collector();
        await after.preview({ onOutput: c.onOutput, onEvent: c.onEvent });
        expect(commandOps(c.ops)).toEqual({ plane: "update", firewall: "update", persistence: "update" });
        expect([...c.ops.values()].filter((op) => op !== "update")).toEqual([]);
    });

    it("up: the node is as it was, o-hm0 never flapped, Octavia not restarted; the retired commands keep nothing to run", async () => {
        const c = collector();
        await after.up({ onOutput: c.onOutput, onEvent: c.onEvent });
        expect(await settledState(deployed)).toEqual(deployed);
        expect(await ohm0Link(node)).toEqual(deployedLink);
        expect(await restarts()).toBe(1);
        expect(commandOps(c.ops)).toEqual({ plane: "update", firewall: "update", persistence: "update" });

        const commands = await stateCommands(after);
        expect([...commands.keys()].sort()).toEqual([...NODE_COMMANDS.filter((n) => n !== "certificates"), ...RETIRED_COMMANDS].sort());
        for (const retired of RETIRED_COMMANDS) {
            expect(commands.get(retired)?.inputs?.create, retired).toBeUndefined();
            expect(commands.get(retired)?.inputs?.delete, retired).toBeUndefined();
        }
        expect(String(commands.get("plane")?.inputs?.delete)).toContain("plane delete");
        await after.preview({ expectNoChanges: true, onOutput: (s) => (engineOutput += s) });
    });

    it("destroy under this program: the plane's delete gives the node back as it was before the stack", async () => {
        await after.destroy({ onOutput: (s) => (engineOutput += s) });
        expect(await settledState(baseline)).toEqual(baseline);
        expect(await restarts()).toBe(2);
        expect(engineOutput).not.toContain(HEARTBEAT_KEY);
    });
});
