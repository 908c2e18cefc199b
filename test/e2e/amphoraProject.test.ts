// Real engine, real OpenStack provider, the local cloud's Keystone: `amphoraProject` is looked up at preview. A
// project that does not exist stops `pulumi preview` with its message naming the key (not one per resource), and
// nothing is registered; the cloud's `service` project, by name and by id, previews the management plane with that
// project as owner. Previews only: runs on the local cloud with or without compute.
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { requireEngine, STACK_PLUGINS } from "../../tools/lib/engine";
import { writeStackFile } from "../../tools/lib/localStack";
import { CLOUDS_YAML, indexStack, openstack, requireLocalCloud, ROOT } from "./localCloud";

const STACK = "e2e-amphora-project";
const P = "e2e-amphora-project-";

let stack: Stack;
let backend: string;
let workDir: string;
let serviceProjectId: string;

function configure(amphoraProject: string): void {
    writeStackFile(workDir, STACK, {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:amphoraProject": amphoraProject,
        "tricircle-lbaas:securityGroups": { amphora: `${P}lb-mgmt-sec-grp`, healthManager: `${P}lb-health-mgr-sec-grp` },
        "tricircle-lbaas:regions": [
            { name: "RegionOne", mgmt: { network: `${P}lb-mgmt-net1`, subnet: `${P}lb-mgmt-subnet1`, cidr: "192.168.230.0/24" } },
            { name: "RegionTwo", mgmt: { network: `${P}lb-mgmt-net2`, subnet: `${P}lb-mgmt-subnet2`, cidr: "192.168.240.0/24" } },
        ],
    });
}

/** The preview's planned creates: resource type -> the tenantId inputs planned for it. */
async function plannedOwners(): Promise<Map<string, Set<unknown>>> {
    const owners = new Map<string, Set<unknown>>();
    const onEvent = (e: EngineEvent) => {
        const md = e.resourcePreEvent?.metadata;
        if (!md || md.op !== "create" || !md.type.startsWith("openstack:networking/")) return;
        const type = md.type.split("/").pop()!;
        owners.set(type, (owners.get(type) ?? new Set()).add(md.new?.inputs?.tenantId));
    };
    await stack.preview({ onEvent });
    return owners;
}

describe("amphoraProject through the real engine: looked up in Keystone at preview", () => {
    beforeAll(async () => {
        requireEngine(ROOT, STACK_PLUGINS);
        requireLocalCloud();
        process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;
        serviceProjectId = openstack("CentralRegion", "project", "show", "service").id;
        ({ stack, backend, workDir } = await indexStack(STACK));
    });

    afterAll(() => {
        for (const dir of [backend, workDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a project that does not exist fails preview, naming amphoraProject, and registers nothing", async () => {
        configure(`${P}no-such-project`);
        const failure = await stack.preview().then(
            () => undefined,
            (e: Error) => e,
        );
        expect(failure, "preview must fail").toBeInstanceOf(Error);
        const text = String(failure);
        expect(text).toContain(`amphoraProject: no Keystone project "${P}no-such-project" (by name or id)`);
        expect(text).not.toContain("error serializing property");
        // Every error the engine lists is the key's message (the program's and its stack outputs'), not one per
        // resource that waits for the id: the guide's topology has 18 of those.
        const diagnostics = text.slice(text.indexOf("Diagnostics:"), text.indexOf("Resources:", text.indexOf("Diagnostics:")));
        const errors = diagnostics.split("\n").filter((l) => /^\s*error:/.test(l));
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.length).toBeLessThanOrEqual(2);
        for (const e of errors) expect(e.trim()).toBe("error: Invalid stack configuration (tricircle-lbaas):");
        const state = await stack.exportStack();
        expect(state.deployment.resources ?? []).toEqual([]);
    });

    it.each([
        ["by name", "service"],
        ["by id", "<id>"],
    ])("the service project %s: every group, rule, network, subnet is planned with its id as owner", async (_how, value) => {
        configure(value === "<id>" ? serviceProjectId : value);
        const owners = await plannedOwners();
        expect([...owners.keys()].sort()).toEqual(["network:Network", "secGroup:SecGroup", "secGroupRule:SecGroupRule", "subnet:Subnet"].sort());
        for (const [type, ids] of owners) expect([type, [...ids]]).toEqual([type, [serviceProjectId]]);
    });
});
