// MOCK tests (pulumiMocks.ts: the engine and OpenStack are Pulumi mocks; Keystone's project lookup is a mocked
// invoke answering from a small table, as the provider's data source does): `amphoraProject` owns the management plane.
import { describe, expect, it } from "vitest";
import { ConfigError, formatPath, parseStackConfig } from "../../components/config/model";
import { guideConfig, guideNamespace, SECRET_KEYS, TEST_HEARTBEAT_KEY, TEST_PRIVATE_KEY } from "./fixtures";
import { plain, ProgramError, runStack, StackRun } from "./pulumiMocks";

const GET_PROJECT = "openstack:identity/getProject:getProject";
const SERVICE_ID = "5f1d6e8a9b0c4d2e8f3a1b2c3d4e5f60";
const PROJECTS = [
    { id: SERVICE_ID, name: "service" },
    { id: "0123456789abcdef0123456789abcdef", name: "admin" },
    // A project whose *name* looks like an id: by id nothing matches, by name it does.
    { id: "ffffffffffffffffffffffffffffffff", name: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
];

/** Management-plane resources: what `amphoraProject` owns. */
const OWNED = [
    "openstack:networking/secGroup:SecGroup",
    "openstack:networking/secGroupRule:SecGroupRule",
    "openstack:networking/network:Network",
    "openstack:networking/subnet:Subnet",
    "openstack:networking/port:Port",
];

interface Lookup {
    inputs: Record<string, unknown>;
    provider?: string;
}

/** The provider data source's behaviour: a get by id (404 when absent), or a list filtered by name. */
async function run(amphoraProject: unknown): Promise<StackRun & { lookups: Lookup[] }> {
    const lookups: Lookup[] = [];
    const result = await runStack(guideConfig({ amphoraProject }), {
        secretKeys: SECRET_KEYS,
        calls: {
            [GET_PROJECT]: (inputs, provider) => {
                lookups.push({ inputs, provider });
                const found = inputs.projectId !== undefined ? PROJECTS.filter((p) => p.id === inputs.projectId) : PROJECTS.filter((p) => p.name === inputs.name);
                if (found.length === 0) {
                    throw new Error(
                        inputs.projectId !== undefined
                            ? "Unable to query openstack_identity_project_v3: Resource not found"
                            : "Your openstack_identity_project_v3 query returned no results. Please change your search criteria and try again",
                    );
                }
                return { id: found[0].id, projectId: found[0].id, name: found[0].name, enabled: true, isDomain: false };
            },
        },
    });
    return Object.assign(result, { lookups });
}

const owners = (r: StackRun) => r.resources.filter((x) => OWNED.includes(x.type)).map((x) => [x.type.split(":").pop(), plain(x.inputs).tenantId]);

describe("amphoraProject: config", () => {
    const parse = (value: unknown) =>
        parseStackConfig({
            ...guideNamespace(),
            healthManager: { heartbeatKey: TEST_HEARTBEAT_KEY },
            ssh: { ...guideNamespace().ssh, privateKey: TEST_PRIVATE_KEY },
            ...(value === undefined ? {} : { amphoraProject: value }),
        });

    it("is unset by default, and Pulumi.yaml's declared default (the empty string) is unset too", () => {
        expect(parse(undefined).amphoraProject).toBeUndefined();
        expect(parse("").amphoraProject).toBeUndefined();
        expect(parse("service").amphoraProject).toBe("service");
        expect(parse(SERVICE_ID).amphoraProject).toBe(SERVICE_ID);
    });

    it.each([
        [" service", "must not start or end with a blank"],
        ["x".repeat(65), "must be at most 64 characters"],
        ["two\nlines", "must be a single line"],
        [42, "string"],
    ])("refuses %j, naming the key", (value, message) => {
        let error: unknown;
        try {
            parse(value);
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        const issues = (error as ConfigError).issues;
        expect(issues.map((i) => formatPath(i.path))).toEqual(["amphoraProject"]);
        expect(issues[0].message).toContain(message);
    });
});

describe("amphoraProject: the stack under mocks", () => {
    it("unset: no lookup (any invoke would fail the run) and no owner on any resource", async () => {
        const r = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        const o = owners(r);
        expect(o.length).toBeGreaterThan(10);
        expect(o.filter(([, t]) => t !== undefined)).toEqual([]);
    });

    it("by name: one lookup through the central provider; groups, rules, networks, subnets and health-manager ports are the project's", async () => {
        const r = await run("service");
        expect(r.lookups).toHaveLength(1);
        expect(r.lookups[0].inputs).toEqual({ name: "service" });
        expect(r.lookups[0].provider).toContain("::openstack-CentralRegion::");
        const o = owners(r);
        // 2 groups, 10 rules, 2 networks, 2 subnets, 2 ports: all of them.
        expect(o).toHaveLength(18);
        expect(new Set(o.map(([, t]) => t))).toEqual(new Set([SERVICE_ID]));
        expect(new Set(o.map(([type]) => type))).toEqual(new Set(["SecGroup", "SecGroupRule", "Network", "Subnet", "Port"]));
        // The bindings, nodes and outputs are unchanged by the owner.
        expect(r.outputs.securityGroups).toBeDefined();
        expect(Object.keys(r.outputs.regions as object).sort()).toEqual(["RegionOne", "RegionTwo"]);
    });

    it("by id: a 32-hex-digit value is looked up as an id", async () => {
        const r = await run(SERVICE_ID);
        expect(r.lookups.map((l) => l.inputs)).toEqual([{ projectId: SERVICE_ID }]);
        expect(new Set(owners(r).map(([, t]) => t))).toEqual(new Set([SERVICE_ID]));
    });

    it("an id-like value that is no id is tried as a name", async () => {
        const r = await run("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        expect(r.lookups.map((l) => l.inputs)).toEqual([{ projectId: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, { name: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }]);
        expect(new Set(owners(r).map(([, t]) => t))).toEqual(new Set(["ffffffffffffffffffffffffffffffff"]));
    });

    it.each(["no-such-project", "abcdefabcdefabcdefabcdefabcdefab"])("a project that does not exist (%s) fails the program, naming the key, and no management-plane resource is created", async (value) => {
        const failure = await run(value).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(failure).toBeInstanceOf(ProgramError);
        const message = (failure as ProgramError).message;
        expect(message).toContain("amphoraProject: no Keystone project");
        expect(message).toContain(JSON.stringify(value));
        expect((failure as ProgramError).resources.filter((x) => OWNED.includes(x.type))).toEqual([]);
    });

    it("a lookup that fails for another reason says so, naming the key", async () => {
        const failure = await runStack(guideConfig({ amphoraProject: "service" }), {
            secretKeys: SECRET_KEYS,
            calls: {
                [GET_PROJECT]: () => {
                    throw new Error("Error creating OpenStack identity client: connection refused");
                },
            },
        }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(String(failure)).toContain('amphoraProject: looking up project "service" failed: ');
        expect(String(failure)).toContain("connection refused");
    });
});
