// An interrupted or disturbed `up` leaks nothing (issue 15), through the real engine and plugins against the local
// cloud: the whole index.ts on a throw-away stack with the management plane of two regions (no controller nodes:
// what a crash leaks is cloud objects). Three disturbances, each from an empty stack:
// - kill -9 of the engine mid-way, then the documented repair (`npm run doctor -- --orphans --fix`, here its
//   library), then `up`: no duplicate name, every tagged object in the state, and `destroy` leaves no tagged object;
// - SIGINT mid-way: Pulumi's graceful cancel finishes what is in flight and leaves no pending operation;
// - neutron-server restarted during `up` (lab/restart-neutron.sh): `up` succeeds, or fails once and
//   the next converges, with no duplicate and nothing leaked.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { disturbWhen } from "./engineKill";
import { stackTag } from "../../components/cloud/tags";
import { listTagged, openCloud } from "../../tools/doctor/cloudObjects";
import { orphanDoctor } from "../../tools/doctor/orphanRepair";
import { CloudObject, Deployment, pendingOperations } from "../../tools/doctor/orphans";
import { writeStackFile } from "../../tools/lib/localStack";
import { resolveKeystoneAuth } from "../../components/cloud/openstackAuth";
import { CLOUDS_YAML, indexStack, openstack, openstackNoOutput, requireLocalCloud, ROOT } from "./localCloud";

const STACK = "e2e-crash";
const PROJECT = "tricircle-lbaas";
const TAG = stackTag(PROJECT, STACK);
const REGIONS = ["CentralRegion", "RegionOne", "RegionTwo"];
const NAMES = {
    amphora: "e2e-crash-lb-mgmt-sec-grp",
    healthManager: "e2e-crash-lb-health-mgr-sec-grp",
    net: ["e2e-crash-mgmt-net1", "e2e-crash-mgmt-net2"],
    subnet: ["e2e-crash-mgmt-subnet1", "e2e-crash-mgmt-subnet2"],
};

let stack: Stack;
let backend: string;
let workDir: string;

function stackConfig(): Record<string, unknown> {
    return {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:securityGroups": { amphora: NAMES.amphora, healthManager: NAMES.healthManager },
        "tricircle-lbaas:healthManager": { port: 5555 },
        "tricircle-lbaas:regions": ["RegionOne", "RegionTwo"].map((name, i) => ({
            name,
            mgmt: { network: NAMES.net[i], subnet: NAMES.subnet[i], cidr: `192.168.${70 + i}.0/24` },
        })),
    };
}

async function tagged(): Promise<CloudObject[]> {
    const cloud = await openCloud(resolveKeystoneAuth({ cloud: "local" }, { OS_CLIENT_CONFIG_FILE: CLOUDS_YAML }));
    return listTagged(cloud, REGIONS, TAG);
}

/** The state's ids of the tagged types, and its pending operations. */
async function state(): Promise<{ ids: Set<string>; pending: number }> {
    const deployment = (await stack.exportStack()).deployment as Deployment;
    return { ids: new Set((deployment.resources ?? []).flatMap((r) => (r.id ? [r.id] : []))), pending: pendingOperations(deployment).length };
}

/** Names the cloud holds more than once among the suite's own (what a re-created orphan leaves). */
function duplicateNames(): string[] {
    // By id first: the local cloud's regions share one Neutron, which lists each network in both.
    const byId = new Map<string, string>();
    for (const g of openstack("CentralRegion", "security group", "list") as Array<{ ID: string; Name: string }>) byId.set(g.ID, g.Name);
    for (const r of ["RegionOne", "RegionTwo"]) for (const n of openstack(r, "network", "list") as Array<{ ID: string; Name: string }>) byId.set(n.ID, n.Name);
    const names = [...byId.values()].filter((n) => n.startsWith("e2e-crash-"));
    return names.filter((n, i) => names.indexOf(n) !== i);
}

/**
 * `up`, disturbed once the engine has started creating: `signal` goes to the engine `delayMs` after the first
 * network's create began (two regions' networks and subnets still to come). Resolves with how the run ended.
 */
async function disturbedUp(signal: "SIGKILL" | "SIGINT", delayMs: number): Promise<{ error?: string; msToExit: number }> {
    const disturbance = disturbWhen((e) => e.resourcePreEvent?.metadata.type === "openstack:networking/network:Network", { verb: "up", stackName: STACK, delayMs, signal });
    const error = await stack.up({ onEvent: disturbance.onEvent }).then(
        () => undefined,
        (e: Error) => e.message,
    );
    const msToExit = Date.now() - disturbance.sentAt();
    if (signal === "SIGKILL") await disturbance.reapPlugins();
    expect(disturbance.sent(), "the engine was disturbed while creating").toBe(true);
    return { error, msToExit };
}

/** After a run: every tagged object is in the state and no name is doubled. */
async function expectConverged(): Promise<void> {
    const s = await state();
    expect(s.pending).toBe(0);
    const objects = await tagged();
    expect(objects.filter((o) => !s.ids.has(o.id)).map((o) => `${o.kind} ${o.name}`)).toEqual([]);
    // Two security groups, two networks, two subnets: the management plane of two regions.
    expect(objects.filter((o) => ["security-group", "network", "subnet"].includes(o.kind))).toHaveLength(6);
    expect(duplicateNames()).toEqual([]);
}

async function destroyAndExpectNothingTagged(): Promise<void> {
    await stack.destroy();
    expect(await tagged()).toEqual([]);
}

describe("an interrupted or disturbed up (real engine, local cloud)", () => {
    beforeAll(async () => {
        requireLocalCloud();
        process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;
        expect(await tagged(), `objects tagged ${TAG} before the suite: remove them first`).toEqual([]);
        ({ stack, backend, workDir } = await indexStack(STACK));
        // No controller nodes: neither the heartbeat key nor an SSH key is needed.
        writeStackFile(workDir, STACK, stackConfig());
    });

    afterAll(async () => {
        if (stack) {
            await stack.cancel().catch(() => undefined);
            await stack.refresh({ clearPendingCreates: true }).catch(() => undefined);
            await stack.destroy().catch((e) => console.error(`cleanup destroy failed: ${e}`));
            // Whatever a failed test left orphaned: only objects with the suite's own tag.
            await orphanDoctor(stack, { fix: true, log: () => undefined }).catch((e) => console.error(`cleanup doctor failed: ${e}`));
        }
        for (const dir of [backend, workDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("kill -9 mid-way: the doctor reports pending creates, --fix leaves no duplicate after the next up, destroy leaves nothing tagged", async () => {
        const killed = await disturbedUp("SIGKILL", 150);
        expect(killed.error).toBeDefined();
        const lines: string[] = [];
        const report = await orphanDoctor(stack, { fix: false, log: (l) => lines.push(l) });
        console.log(`kill -9: ${lines.join("\n")}`);
        expect(report.clean).toBe(false);
        expect(report.pending).toBeGreaterThan(0);

        const fixed = await orphanDoctor(stack, { fix: true, log: (l) => lines.push(l) });
        expect(fixed.clean).toBe(true);
        expect(fixed.adopted + fixed.deleted + fixed.dropped).toBeGreaterThan(0);
        const after = await orphanDoctor(stack, { fix: false, log: () => undefined });
        expect(after).toMatchObject({ clean: true, pending: 0, orphans: 0 });

        await stack.up();
        await expectConverged();
        await destroyAndExpectNothingTagged();
    });

    it("SIGINT mid-way: the graceful cancel leaves no pending operation", async () => {
        const interrupted = await disturbedUp("SIGINT", 150);
        console.log(`SIGINT: the engine ended ${interrupted.msToExit} ms after the signal (${interrupted.error ? "with an error" : "ok"})`);
        expect((await state()).pending).toBe(0);
        const s = await state();
        // What the cancelled run made is in the state; nothing tagged is outside it.
        expect((await tagged()).filter((o) => !s.ids.has(o.id))).toEqual([]);
        await stack.up();
        await expectConverged();
        await destroyAndExpectNothingTagged();
    });

    it("neutron-server restarted during up: up succeeds, or the next one converges, with nothing leaked", async () => {
        let restart: Promise<string> | undefined;
        const onEvent = (e: EngineEvent) => {
            if (restart || e.resourcePreEvent?.metadata.type !== "openstack:networking/network:Network") return;
            restart = new Promise((resolve, reject) => {
                const p = spawn("bash", [path.join(ROOT, "lab", "restart-neutron.sh")], { stdio: ["ignore", "pipe", "pipe"] });
                let out = "";
                p.stdout.on("data", (d) => (out += d));
                p.stderr.on("data", (d) => (out += d));
                p.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`restart-neutron.sh: ${code}: ${out}`))));
            });
        };
        const first = await stack.up({ onEvent }).then(
            () => "ok",
            (e: Error) => `failed: ${e.message.split("\n").find((l) => /error/i.test(l)) ?? e.message.slice(0, 200)}`,
        );
        expect(restart, "neutron-server was restarted during up").toBeDefined();
        console.log(`outage: ${await restart!}; first up ${first}`);
        if (first !== "ok") {
            const second = await stack.up().then(
                () => undefined,
                (e: Error) => e.message,
            );
            if (second !== undefined) {
                // Neutron made the object but its answer was lost in the outage: the object has the stack's name and
                // none of its tags, and the next up refuses it as somebody else's (never a silent second one). The
                // refusal names it; the repair it offers is to remove it (or adopt it), then up again.
                const leftovers = [...second.matchAll(/(security group|network|subnet) "[^"]*" \(([0-9a-f-]{36})\) already exists and is not this stack's/g)];
                expect(leftovers.length, `the second up failed for another reason: ${second.slice(0, 2000)}`).toBeGreaterThan(0);
                for (const id of new Set(leftovers.filter((m) => m[1] === "subnet").map((m) => m[2]))) openstackNoOutput("CentralRegion", "subnet", "delete", id);
                for (const [, kind, id] of new Map(leftovers.filter((m) => m[1] !== "subnet").map((m) => [m[2], m])).values()) openstackNoOutput("CentralRegion", ...kind.split(" "), "delete", id);
                console.log(`the outage left ${leftovers.length} untagged object(s), refused by the next up and removed`);
                await stack.up();
            }
        }
        await expectConverged();
        await destroyAndExpectNothingTagged();
    });
});
