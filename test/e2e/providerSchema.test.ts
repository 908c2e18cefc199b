// The OpenStack provider the engine runs (the project's bridge, or the official plugin where installed) must take every
// input the stack sets. The program runs under the unit suite's mocks (MOCK: it only records what it would register,
// with the guide's topology, controllers and the whole demo), and each recorded input is looked up in the schema of the
// installed plugin, `pulumi package get-schema openstack@3.15.2`. An input that the SDK has but the built provider
// lacks (Subnet hostRoutes, Instance floatingIp, ...) would otherwise be dropped without a word.
import { execFileSync } from "child_process";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { guideConfig, guideDemo, guideNamespace, SECRET_KEYS } from "../unit/fixtures";
import { runStack, StackRun } from "../unit/pulumiMocks";
import { requireEngine } from "./engine";
import { ROOT } from "./localCloud";

interface PackageSchema {
    name: string;
    version: string;
    resources: Record<string, { inputProperties?: Record<string, unknown> }>;
    functions: Record<string, { inputs?: { properties?: Record<string, unknown> } }>;
    provider: { inputProperties?: Record<string, unknown> };
}

/** The demo with a monitor that sets every optional field, so each reaches the schema check. */
function demoWithMonitor(): Record<string, any> {
    const demo = guideDemo();
    demo.loadBalancers[0].healthMonitor = { type: "HTTP", delay: 5, timeout: 3, maxRetries: 3, urlPath: "/", expectedCodes: "200" };
    return demo;
}

let schema: PackageSchema;
let run: StackRun;
const invoked: Array<{ token: string; inputs: Record<string, unknown> }> = [];

describe("the installed OpenStack provider takes every input the stack sets", () => {
    beforeAll(async () => {
        requireEngine();
        const out = execFileSync(path.join(ROOT, ".toolchain", "bin", "pulumi"), ["package", "get-schema", "openstack@3.15.2"], {
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
            timeout: 120_000,
            env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" },
        });
        schema = JSON.parse(out) as PackageSchema;
        const record = (token: string, result: Record<string, unknown>) => (inputs: Record<string, unknown>) => {
            invoked.push({ token, inputs });
            return result;
        };
        run = await runStack(guideConfig({ ...guideNamespace(), demo: demoWithMonitor() }), {
            secretKeys: SECRET_KEYS,
            calls: {
                "openstack:images/getImage:getImage": record("openstack:images/getImage:getImage", { id: "image-id", name: "cirros" }),
                "openstack:compute/getFlavor:getFlavor": record("openstack:compute/getFlavor:getFlavor", { id: "flavor-id", flavorId: "flavor-id", name: "m1.tiny" }),
            },
        });
    });

    it("is the package the SDK asks for", () => {
        expect([schema.name, schema.version]).toEqual(["openstack", "3.15.2"]);
    });

    it("has every resource type and input the program registers", () => {
        const openstackResources = run.resources.filter((r) => r.type.startsWith("openstack:") || r.type === "pulumi:providers:openstack");
        // The guide's stack with the demo: security groups, networks, ports, servers, the load balancer chain.
        expect(new Set(openstackResources.map((r) => r.type)).size).toBeGreaterThanOrEqual(10);
        const missing: string[] = [];
        for (const r of openstackResources) {
            const known = r.type === "pulumi:providers:openstack" ? schema.provider.inputProperties : schema.resources[r.type]?.inputProperties;
            if (!known) {
                missing.push(`${r.type} (the whole resource)`);
                continue;
            }
            for (const input of Object.keys(r.inputs)) if (!(input in known)) missing.push(`${r.type}.${input}`);
        }
        expect([...new Set(missing)]).toEqual([]);
    });

    it("has every function and argument the program invokes", () => {
        expect(invoked.length).toBeGreaterThanOrEqual(2);
        const missing = invoked.flatMap(({ token, inputs }) => {
            const known = schema.functions[token]?.inputs?.properties;
            if (!known) return [`${token} (the whole function)`];
            return Object.keys(inputs).filter((k) => !(k in known)).map((k) => `${token}.${k}`);
        });
        expect([...new Set(missing)]).toEqual([]);
    });
});
