// The policy pack (policy/), without the engine.
//
// ENGINE-LESS tests: each policy's validateResource / validateStack is called directly with a fake args object and
// a collecting reportViolation (@pulumi/policy has no test helpers; its index.ts starts an analyzer server when
// loaded, so the policies live in policy/policies.ts). The pack-level tests feed the policies the resources that a
// MOCK run registers (test/unit/pulumiMocks.ts): the real program with the guide's topology, and deliberately bad
// and good hand-written programs. URNs come from Pulumi's mock monitor, property dependencies are rebuilt from the
// ids the inputs carry, and secretness from the recorded secret wrappers (which the engine-fed SDK hides).
import * as command from "@pulumi/command";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { AmphoraSecurityGroups } from "../../components/cloud/amphoraSecurityGroups";
import {
    EnforcementLevel,
    HEALTH_MANAGER_PORT_OWNER,
    healthManagerPortOwner,
    LB_MEMBER_SUBNET,
    lbMemberSubnet,
    MANAGEMENT_SUBNET_NO_GATEWAY,
    managementSubnetNoGateway,
    policies,
    REMOTE_COMMAND_NO_PLAINTEXT_SECRETS,
    remoteCommandNoPlaintextSecrets,
    ResourceArgs,
    ResourcePolicy,
    resourcePolicies,
    StackResource,
    stackPolicies,
    toPlain,
    WORLD_OPEN_RULES,
    worldOpenRules,
} from "../../policy/policies";
import {
    COMPONENTS,
    isOctaviaSecurityGroupRule,
    isWorldCidr,
    plaintextSecretFindings,
    TYPES,
    UNKNOWN,
    urnTypeChain,
    vipCidrsOfPool,
} from "../../policy/rules";
import { guideConfig, SECRET_KEYS, TEST_HEARTBEAT_KEY, TEST_PRIVATE_KEY } from "./fixtures";
import { isSecret, plain, RecordedResource, runStack } from "./pulumiMocks";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as {
    waitForRPCs: () => Promise<void>;
    getMonitor: () => { getRegisteredResources?: () => Map<string, unknown> } | undefined;
};

// ---------------------------------------------------------------------------------------------------------------
// Engine-less harness
// ---------------------------------------------------------------------------------------------------------------

function urn(type: string, name: string, ancestors: string[] = []): string {
    return `urn:pulumi:test::tricircle-lbaas::${[...ancestors, type].join("$")}::${name}`;
}

function fakeArgs(
    type: string,
    props: Record<string, any>,
    o: { urn?: string; parent?: string; config?: object; secretPaths?: string[]; additionalSecretOutputs?: string[] } = {},
): ResourceArgs {
    return {
        type,
        props,
        urn: o.urn ?? urn(type, "r"),
        name: (o.urn ?? urn(type, "r")).split("::").pop()!,
        opts: { parent: o.parent, additionalSecretOutputs: o.additionalSecretOutputs ?? [] },
        getConfig: <T extends object>() => (o.config ?? {}) as T,
        secretPaths: o.secretPaths ? new Set(o.secretPaths) : undefined,
    };
}

function violations(policy: ResourcePolicy, args: ResourceArgs): string[] {
    const found: string[] = [];
    policy.validateResource(args, (message) => found.push(message));
    return found;
}

const SG = COMPONENTS.securityGroups;
const MGMT = COMPONENTS.managementNetwork;
const octaviaRuleUrn = (name = "lb-secgroups-hm-udp5555") => urn(TYPES.secGroupRule, name, ["tricircle-lbaas:region:Stack", SG]);

// ---------------------------------------------------------------------------------------------------------------
// 1. world-open management / health-manager rules (advisory)
// ---------------------------------------------------------------------------------------------------------------

describe(`${WORLD_OPEN_RULES} (advisory)`, () => {
    const rule = (props: Record<string, any>) => ({ direction: "ingress", ethertype: "IPv4", protocol: "udp", portRangeMin: 5555, portRangeMax: 5555, ...props });

    it("is advisory and has an opt-in config", () => {
        expect(worldOpenRules.enforcementLevel).toBe("advisory");
        expect(worldOpenRules.configSchema?.properties.allowWorldOpenSources).toMatchObject({ type: "boolean", default: false });
    });

    it("fails: an Octavia rule open to 0.0.0.0/0, ::/0, or with no source at all", () => {
        for (const props of [
            rule({ remoteIpPrefix: "0.0.0.0/0" }),
            rule({ remoteIpPrefix: "::/0", ethertype: "IPv6" }),
            rule({ remoteIpPrefix: "0::/0", ethertype: "IPv6" }),
            rule({}),
            rule({ remoteIpPrefix: "" }),
        ]) {
            const found = violations(worldOpenRules, fakeArgs(TYPES.secGroupRule, props, { urn: octaviaRuleUrn() }));
            expect(found, JSON.stringify(props)).toHaveLength(1);
            expect(found[0]).toMatch(/udp port 5555/);
            expect(found[0]).toMatch(/allowWorldOpenSources/);
        }
    });

    it("fails when only the parent URN names the component (the engine's opts.parent)", () => {
        const args = fakeArgs(TYPES.secGroupRule, rule({ remoteIpPrefix: "0.0.0.0/0" }), {
            urn: urn(TYPES.secGroupRule, "x"),
            parent: urn(SG, "lb-secgroups"),
        });
        expect(violations(worldOpenRules, args)).toHaveLength(1);
    });

    it("passes: restricted sources, remote groups, egress, unknown prefixes", () => {
        for (const props of [
            rule({ remoteIpPrefix: "192.168.10.0/24" }),
            rule({ remoteIpPrefix: "fd00:20::/64", ethertype: "IPv6" }),
            rule({ remoteIpPrefix: "0.0.0.0/1" }),
            rule({ remoteGroupId: "sg-id" }),
            rule({ remoteIpPrefix: "0.0.0.0/0", direction: "egress" }),
            rule({ remoteIpPrefix: UNKNOWN }),
            rule({ remoteGroupId: UNKNOWN }),
        ]) {
            expect(violations(worldOpenRules, fakeArgs(TYPES.secGroupRule, props, { urn: octaviaRuleUrn() })), JSON.stringify(props)).toEqual([]);
        }
    });

    it("passes: the stack opted in through the policy config", () => {
        const args = fakeArgs(TYPES.secGroupRule, rule({ remoteIpPrefix: "0.0.0.0/0" }), { urn: octaviaRuleUrn(), config: { allowWorldOpenSources: true } });
        expect(violations(worldOpenRules, args)).toEqual([]);
    });

    it("passes: rules of other security groups (not made by AmphoraSecurityGroups) and other resource types", () => {
        expect(violations(worldOpenRules, fakeArgs(TYPES.secGroupRule, rule({ remoteIpPrefix: "0.0.0.0/0" }), { urn: urn(TYPES.secGroupRule, "web-http") }))).toEqual([]);
        expect(violations(worldOpenRules, fakeArgs(TYPES.port, { remoteIpPrefix: "0.0.0.0/0" }, { urn: octaviaRuleUrn() }))).toEqual([]);
    });

    it("recognises world CIDRs in their spellings and nothing else", () => {
        expect(["0.0.0.0/0", "::/0", "0::/0", "0.0.0.0/00", " ::/0 "].map(isWorldCidr)).toEqual([true, true, true, true, true]);
        expect(["0.0.0.0/1", "10.0.0.0/8", "::/1", "0.0.0.0", "any", "/0"].map(isWorldCidr)).toEqual([false, false, false, false, false, false]);
        expect(urnTypeChain(octaviaRuleUrn())).toEqual(["tricircle-lbaas:region:Stack", SG, TYPES.secGroupRule]);
    });
});

// ---------------------------------------------------------------------------------------------------------------
// 2. health-manager ports
// ---------------------------------------------------------------------------------------------------------------

describe(`${HEALTH_MANAGER_PORT_OWNER} (mandatory)`, () => {
    const hmName = "octavia-health-manager-RegionOne-node1-listen-port";

    it("fails: a health-manager port without, or with another, device owner", () => {
        const missing = violations(healthManagerPortOwner, fakeArgs(TYPES.port, { name: hmName, networkId: "n" }));
        expect(missing).toHaveLength(1);
        expect(missing[0]).toMatch(/no deviceOwner.*Octavia:health-mgr/);
        const other = violations(healthManagerPortOwner, fakeArgs(TYPES.port, { name: hmName, deviceOwner: "compute:nova" }));
        expect(other[0]).toMatch(/"compute:nova"/);
    });

    it("passes: the right owner, other ports, unknown values", () => {
        expect(violations(healthManagerPortOwner, fakeArgs(TYPES.port, { name: hmName, deviceOwner: "Octavia:health-mgr" }))).toEqual([]);
        expect(violations(healthManagerPortOwner, fakeArgs(TYPES.port, { name: "backend1-port" }))).toEqual([]);
        expect(violations(healthManagerPortOwner, fakeArgs(TYPES.port, { name: UNKNOWN }))).toEqual([]);
        expect(violations(healthManagerPortOwner, fakeArgs(TYPES.port, { name: hmName, deviceOwner: UNKNOWN }))).toEqual([]);
        expect(violations(healthManagerPortOwner, fakeArgs(TYPES.subnet, { name: hmName }))).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------------------------
// 3. management subnets
// ---------------------------------------------------------------------------------------------------------------

describe(`${MANAGEMENT_SUBNET_NO_GATEWAY} (mandatory)`, () => {
    it("fails: lb-mgmt-subnet* with a gateway (noGateway unset or false, or a gatewayIp)", () => {
        for (const props of [
            { name: "lb-mgmt-subnet1", cidr: "192.168.10.0/24" },
            { name: "lb-mgmt-subnet2", noGateway: false },
            { name: "lb-mgmt-subnet3", gatewayIp: "192.168.30.1" },
        ]) {
            const found = violations(managementSubnetNoGateway, fakeArgs(TYPES.subnet, props));
            expect(found, JSON.stringify(props)).toHaveLength(1);
            expect(found[0]).toContain(props.name);
        }
    });

    it("fails: a custom-named subnet made by the ManagementNetwork component", () => {
        const args = fakeArgs(TYPES.subnet, { name: "octavia-mgmt" }, { urn: urn(TYPES.subnet, "region-RegionOne-mgmt-subnet", [MGMT]) });
        expect(violations(managementSubnetNoGateway, args)).toHaveLength(1);
    });

    it("passes: gateway-less management subnets, other subnets, unknown noGateway", () => {
        expect(violations(managementSubnetNoGateway, fakeArgs(TYPES.subnet, { name: "lb-mgmt-subnet1", noGateway: true }))).toEqual([]);
        expect(violations(managementSubnetNoGateway, fakeArgs(TYPES.subnet, { name: "lb-mgmt-subnet1", noGateway: true, gatewayIp: "" }))).toEqual([]);
        expect(violations(managementSubnetNoGateway, fakeArgs(TYPES.subnet, { name: "net1-subnet", gatewayIp: "10.0.10.1" }))).toEqual([]);
        expect(violations(managementSubnetNoGateway, fakeArgs(TYPES.subnet, { name: "lb-mgmt-subnet1", noGateway: UNKNOWN }))).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------------------------
// 4. load balancer members (stack policy)
// ---------------------------------------------------------------------------------------------------------------

function stackViolations(resources: StackResource[]): { message: string; urn?: string }[] {
    const found: { message: string; urn?: string }[] = [];
    lbMemberSubnet.validateStack({ resources, getConfig: <T extends object>() => ({}) as T }, (message, u) => found.push({ message, urn: u }));
    return found;
}

/** The guide's demo graph: net1/subnet1 (VIP) and net2/subnet2; lb1 -> listener -> pool; members on both. */
function demoGraph(o: { members: Record<string, any>[]; vip?: "subnet" | "network"; poolVia?: "listener" | "loadbalancer"; single?: Record<string, any> }) {
    const r = (type: string, name: string, props: Record<string, any>, deps: Record<string, StackResource[]> = {}): StackResource => ({
        type,
        name,
        urn: urn(type, name),
        props,
        propertyDependencies: Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v.map((d) => ({ urn: d.urn }))])),
    });
    const net1 = r(TYPES.network, "net1", { name: "net1" });
    const net2 = r(TYPES.network, "net2", { name: "net2" });
    const subnet1 = r(TYPES.subnet, "subnet1", { cidr: "10.0.10.0/24", networkId: UNKNOWN }, { networkId: [net1] });
    const subnet2 = r(TYPES.subnet, "subnet2", { cidr: "10.0.20.0/24", networkId: UNKNOWN }, { networkId: [net2] });
    const lb =
        (o.vip ?? "subnet") === "subnet"
            ? r(TYPES.loadBalancer, "lb1", { vipSubnetId: UNKNOWN }, { vipSubnetId: [subnet1] })
            : r(TYPES.loadBalancer, "lb1", { vipNetworkId: UNKNOWN }, { vipNetworkId: [net1] });
    const listener = r(TYPES.listener, "lb1-listener", { loadbalancerId: UNKNOWN }, { loadbalancerId: [lb] });
    const pool =
        (o.poolVia ?? "listener") === "listener"
            ? r(TYPES.pool, "lb1-pool", { listenerId: UNKNOWN }, { listenerId: [listener] })
            : r(TYPES.pool, "lb1-pool", { loadbalancerId: UNKNOWN }, { loadbalancerId: [lb] });
    const members = r(TYPES.members, "lb1-members", { poolId: UNKNOWN, members: o.members }, { poolId: [pool] });
    const extra = o.single ? [r(TYPES.member, "lb1-extra", { poolId: UNKNOWN, protocolPort: 80, ...o.single }, { poolId: [pool] })] : [];
    return [net1, net2, subnet1, subnet2, lb, listener, pool, members, ...extra];
}

describe(`${LB_MEMBER_SUBNET} (mandatory, stack)`, () => {
    it("passes: the guide's members, each with its subnet", () => {
        const graph = demoGraph({
            members: [
                { name: "backend1", address: "10.0.10.11", subnetId: "subnet1-id" },
                { name: "backend4", address: "10.0.20.14", subnetId: UNKNOWN },
            ],
        });
        expect(stackViolations(graph)).toEqual([]);
    });

    it("passes: a member without subnetId whose address is on the VIP subnet (traced through vipSubnetId or vipNetworkId, listener or load balancer)", () => {
        for (const vip of ["subnet", "network"] as const) {
            for (const poolVia of ["listener", "loadbalancer"] as const) {
                const graph = demoGraph({ vip, poolVia, members: [{ name: "backend1", address: "10.0.10.11" }], single: { address: "10.0.10.12" } });
                expect(stackViolations(graph), `${vip} ${poolVia}`).toEqual([]);
            }
        }
    });

    it("fails: a member without subnetId off the VIP network, or whose address is unknown", () => {
        const graph = demoGraph({
            members: [
                { name: "backend1", address: "10.0.10.11" },
                { name: "backend4", address: "10.0.20.14" },
                { name: "backend5", address: UNKNOWN },
            ],
            single: { address: "10.0.20.15" },
        });
        const found = stackViolations(graph);
        expect(found.map((f) => f.message)).toEqual([
            expect.stringMatching(/"backend4" has no subnetId and 10\.0\.20\.14 is not on the VIP network \(10\.0\.10\.0\/24\)/),
            expect.stringMatching(/"backend5" has no subnetId and its address is not known yet/),
            expect.stringMatching(/"lb1-extra" has no subnetId and 10\.0\.20\.15 is not on the VIP network/),
        ]);
        expect(found[0].urn).toBe(urn(TYPES.members, "lb1-members"));
        expect(found[2].urn).toBe(urn(TYPES.member, "lb1-extra"));
    });

    it("fails: a member whose pool cannot be traced to a VIP network", () => {
        const lonely: StackResource = {
            type: TYPES.members,
            name: "m",
            urn: urn(TYPES.members, "m"),
            props: { poolId: "some-pool", members: [{ address: "10.0.10.11" }] },
            propertyDependencies: {},
        };
        expect(stackViolations([lonely])[0].message).toMatch(/VIP network of its pool could not be traced/);
    });
});

// ---------------------------------------------------------------------------------------------------------------
// 5. remote commands
// ---------------------------------------------------------------------------------------------------------------

describe(`${REMOTE_COMMAND_NO_PLAINTEXT_SECRETS} (mandatory)`, () => {
    const connection = { host: "10.7.20.110", user: "stack", privateKey: TEST_PRIVATE_KEY };
    const run = (props: Record<string, any>, o: Parameters<typeof fakeArgs>[2] = { secretPaths: ["connection"] }) =>
        violations(remoteCommandNoPlaintextSecrets, fakeArgs(TYPES.remoteCommand, { connection, ...props }, o));

    it("fails: a PEM key, a heartbeat_key literal or a password literal in create/update/delete", () => {
        const cases: [Record<string, any>, RegExp][] = [
            [{ create: `cat > /tmp/k <<EOF\n${TEST_PRIVATE_KEY}EOF` }, /create holds a PEM private key/],
            [{ update: `sed -i 's/^heartbeat_key =.*/heartbeat_key = ${TEST_HEARTBEAT_KEY}/' /etc/octavia/octavia.conf` }, /update holds a literal heartbeat_key value/],
            [{ create: `printf '[health_manager]\\nheartbeat_key="abc123"\\n' >> octavia.conf` }, /create holds a literal heartbeat_key/],
            [{ delete: "OS_PASSWORD=s3cret openstack port unset" }, /delete holds a literal password= value/],
            [{ create: "openstack --os-password s3cret port list" }, /literal --password argument/],
        ];
        for (const [props, pattern] of cases) {
            const found = run(props);
            expect(found.join("\n"), JSON.stringify(Object.keys(props))).toMatch(pattern);
            // The message says what was found, never the secret itself.
            for (const secret of [TEST_HEARTBEAT_KEY, "abc123", "s3cret", TEST_PRIVATE_KEY.split("\n")[1]]) {
                expect(found.join("\n")).not.toContain(secret);
            }
        }
    });

    it("fails: connection credentials that are not secrets", () => {
        expect(run({ create: "true" }, { secretPaths: [] })).toEqual([expect.stringMatching(/connection\.privateKey is not a secret/)]);
        expect(run({ create: "true", connection: { host: "h", password: "pw" } }, { secretPaths: ["connection.privateKey"] })).toEqual([
            expect.stringMatching(/connection\.password is not a secret/),
        ]);
        // As the engine hands it (secrets unwrapped): only the registration option tells.
        expect(run({ create: "true" }, { additionalSecretOutputs: [] })).toEqual([expect.stringMatching(/not registered as a secret/)]);
    });

    it("passes: secrets on stdin or from variables, secret connections, unknown scripts", () => {
        const scripts = [
            { create: "sudo python3 /opt/tricircle/configure-octavia.py", stdin: `heartbeat_key = ${TEST_HEARTBEAT_KEY}` },
            { create: 'read -r KEY; crudini --set /etc/octavia/octavia.conf health_manager heartbeat_key "$KEY"' },
            { create: 'sed -i "s/^heartbeat_key = .*/heartbeat_key = ${KEY}/" /etc/octavia/octavia.conf' },
            { create: "python3 -c 'print(\"heartbeat_key = {key}\".format(key=input()))'" },
            { create: 'export OS_PASSWORD="$(cat)"; openstack --os-password "$OS_PASSWORD" port list' },
            { create: UNKNOWN, update: UNKNOWN },
        ];
        for (const props of scripts) {
            expect(run(props), JSON.stringify(props)).toEqual([]);
        }
        expect(run({ create: "true" }, { secretPaths: ["connection.privateKey"] })).toEqual([]);
        expect(run({ create: "true" }, { additionalSecretOutputs: ["connection"] })).toEqual([]);
        expect(run({ create: "true", connection: { host: "h", privateKey: UNKNOWN } }, { secretPaths: ["connection"] })).toEqual([]);
        expect(plaintextSecretFindings("echo hello")).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------------------------
// Unknown values, as the policy SDK presents them at preview
// ---------------------------------------------------------------------------------------------------------------

describe("unknown values (preview)", () => {
    class UnknownValueError extends Error {
        constructor(readonly unknownTypeSentinel: string) {
            super("unknown");
        }
    }
    /** Like @pulumi/policy's unknownCheckingProxy: reading an unknown value throws. */
    function unknownChecking<T extends object>(target: T, unknownKeys: string[]): T {
        return new Proxy(target, {
            get(obj, key) {
                if (typeof key === "string" && unknownKeys.includes(key)) throw new UnknownValueError("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
                return (obj as any)[key];
            },
        });
    }

    it("toPlain turns unknowns into UNKNOWN, thrown or as sentinels, and keeps the rest", () => {
        const props = unknownChecking({ name: "n", deviceOwner: "x", fixedIps: [{ subnetId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }] }, ["deviceOwner"]);
        expect(toPlain(props)).toEqual({ name: "n", deviceOwner: UNKNOWN, fixedIps: [{ subnetId: UNKNOWN }] });
    });

    it("a policy reading an unknown value does not throw (the SDK would report it as 'can't run during preview')", () => {
        const props = unknownChecking({ name: "octavia-health-manager-R-n-listen-port", deviceOwner: "x", networkId: "n" }, ["deviceOwner"]);
        expect(violations(healthManagerPortOwner, fakeArgs(TYPES.port, props))).toEqual([]);
    });

    it("other errors still surface", () => {
        const props = new Proxy({ name: "x" }, { get: () => { throw new TypeError("boom"); } });
        expect(() => toPlain(props)).toThrow("boom");
    });
});

// ---------------------------------------------------------------------------------------------------------------
// The pack over recorded registrations of whole programs (MOCK runs)
// ---------------------------------------------------------------------------------------------------------------

interface PackResource {
    type: string;
    name: string;
    urn: string;
    props: Record<string, any>;
    secretPaths: string[];
    propertyDependencies: Record<string, string[]>;
}

interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    resource?: string;
}

/** Dotted paths of the secret-wrapped values of recorded inputs. */
function secretPathsOf(value: any, prefix = ""): string[] {
    if (isSecret(value)) return [prefix, ...secretPathsOf(value.value, prefix)];
    if (Array.isArray(value)) return value.flatMap((v, i) => secretPathsOf(v, `${prefix}[${i}]`));
    if (value && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => secretPathsOf(v, prefix ? `${prefix}.${k}` : k));
    }
    return [];
}

function stringsIn(value: any): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(stringsIn);
    if (value && typeof value === "object") return Object.values(value).flatMap(stringsIn);
    return [];
}

/**
 * Recorded registrations -> what the engine would hand the pack: URNs from the mock monitor, property dependencies
 * from the ids that flowed into each input (the mocks' ids are unique `<name>-id` strings).
 */
function toPackResources(recorded: RecordedResource[]): PackResource[] {
    const monitor = settings.getMonitor();
    const urns = [...(monitor?.getRegisteredResources?.().keys() ?? [])];
    const urnOf = (r: RecordedResource) => {
        const found = urns.find((u) => u.endsWith(`::${r.name}`) && urnTypeChain(u).at(-1) === r.type);
        if (!found) throw new Error(`no URN for ${r.type} ${r.name}`);
        return found;
    };
    const withUrns = recorded.map((r) => ({ r, urn: urnOf(r) }));
    const urnById = new Map(withUrns.map(({ r, urn: u }) => [r.id, u]));
    return withUrns.map(({ r, urn: u }) => {
        const props = plain(r.inputs);
        const propertyDependencies: Record<string, string[]> = {};
        for (const [key, value] of Object.entries(props)) {
            const deps = [...new Set(stringsIn(value).flatMap((s) => (urnById.has(s) ? [urnById.get(s)!] : [])))];
            if (deps.length > 0) propertyDependencies[key] = deps;
        }
        return { type: r.type, name: r.name, urn: u, props, secretPaths: secretPathsOf(r.inputs), propertyDependencies };
    });
}

/** The pack's verdict, as `pulumi preview --policy-pack policy` would reach it: every policy over every resource. */
function runPack(resources: PackResource[], config: Record<string, object> = {}): Violation[] {
    const found: Violation[] = [];
    const levelOf = (policy: { name: string; enforcementLevel: EnforcementLevel }) =>
        ((config[policy.name] as { enforcementLevel?: EnforcementLevel } | undefined)?.enforcementLevel ?? policy.enforcementLevel);
    const getConfigFor = (name: string) => <T extends object>() => (config[name] ?? {}) as T;
    for (const policy of resourcePolicies) {
        for (const r of resources) {
            const args: ResourceArgs = {
                type: r.type,
                props: r.props,
                urn: r.urn,
                name: r.name,
                opts: { additionalSecretOutputs: [] },
                getConfig: getConfigFor(policy.name),
                secretPaths: new Set(r.secretPaths),
            };
            policy.validateResource(args, (message) => found.push({ policy: policy.name, level: levelOf(policy), message, resource: r.name }));
        }
    }
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const stackResources: StackResource[] = resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.props,
        propertyDependencies: Object.fromEntries(
            Object.entries(r.propertyDependencies).map(([k, urns]) => [k, urns.filter((u) => byUrn.has(u)).map((u) => ({ urn: u }))]),
        ),
    }));
    for (const policy of stackPolicies) {
        policy.validateStack({ resources: stackResources, getConfig: getConfigFor(policy.name) }, (message, u) =>
            found.push({ policy: policy.name, level: levelOf(policy), message, resource: u ? byUrn.get(u)?.name : undefined }),
        );
    }
    return found;
}

const rejected = (found: Violation[]) => found.some((v) => v.level === "mandatory");

/** Runs a hand-written program under Pulumi mocks and records its registrations (as runStack does for index.ts). */
async function recordProgram(program: () => void): Promise<RecordedResource[]> {
    const resources: RecordedResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const id = `${args.name}-id`;
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, id, dependencies: [] });
                return { id, state: args.inputs };
            },
            call(args) {
                throw new Error(`unexpected invoke ${args.token}`);
            },
        },
        "tricircle-lbaas",
        "policy",
        false,
    );
    program();
    await settings.waitForRPCs();
    return resources;
}

/** The guide's demo, written as the policies expect it: members name their subnets (one on the VIP subnet needs not). */
function demoProgram(provider: openstack.Provider, badMembers: boolean) {
    const opts = { provider };
    const net1 = new openstack.networking.Network("net1", { name: "net1" }, opts);
    const net2 = new openstack.networking.Network("net2", { name: "net2" }, opts);
    const subnet1 = new openstack.networking.Subnet("subnet1", { name: "subnet1", networkId: net1.id, cidr: "10.0.10.0/24", noGateway: true }, opts);
    const subnet2 = new openstack.networking.Subnet("subnet2", { name: "subnet2", networkId: net2.id, cidr: "10.0.20.0/24", noGateway: true }, opts);
    const lb = new openstack.loadbalancer.LoadBalancer("lb1", { name: "lb1", vipSubnetId: subnet1.id }, opts);
    const listener = new openstack.loadbalancer.Listener("lb1-listener", { loadbalancerId: lb.id, protocol: "HTTP", protocolPort: 80 }, opts);
    const pool = new openstack.loadbalancer.Pool("lb1-pool", { listenerId: listener.id, protocol: "HTTP", lbMethod: "ROUND_ROBIN" }, opts);
    new openstack.loadbalancer.Members(
        "lb1-members",
        {
            poolId: pool.id,
            members: [
                { name: "backend1", address: "10.0.10.11", protocolPort: 80, subnetId: subnet1.id },
                { name: "backend3", address: "10.0.10.13", protocolPort: 80 }, // on the VIP subnet: fine without one
                badMembers
                    ? { name: "backend4", address: "10.0.20.14", protocolPort: 80 } // net2 without its subnet: bad
                    : { name: "backend4", address: "10.0.20.14", protocolPort: 80, subnetId: subnet2.id },
            ],
        },
        opts,
    );
}

describe("the pack over whole programs (MOCK runs)", () => {
    it("passes the guide's topology with restricted sources (every region's management CIDR)", async () => {
        const run = await runStack(guideConfig(), { secretKeys: SECRET_KEYS });
        const resources = toPackResources(run.resources);
        // The scoping rules must actually see the program's resources, or a pass would mean nothing.
        const rules = resources.filter((r) => r.type === TYPES.secGroupRule);
        expect(rules).toHaveLength(10);
        expect(rules.every((r) => isOctaviaSecurityGroupRule({ urn: r.urn }))).toBe(true);
        expect(resources.filter((r) => r.type === TYPES.subnet).map((r) => r.props.name)).toEqual(["lb-mgmt-subnet1", "lb-mgmt-subnet2"]);
        expect(resources.filter((r) => r.type === TYPES.port)).toHaveLength(2);
        expect(runPack(resources)).toEqual([]);
    });

    it("passes the guide's topology with its demo (\"How to play\": net1/net2, four backends in two regions, lb1)", async () => {
        const demo = {
            image: "cirros-0.5.2-x86_64-disk",
            flavor: "m1.tiny",
            networks: [
                { name: "net1", cidr: "10.0.10.0/24" },
                { name: "net2", cidr: "10.0.20.0/24" },
            ],
            backends: [
                { name: "backend1", region: "RegionOne", network: "net1" },
                { name: "backend2", region: "RegionOne", network: "net1" },
                { name: "backend3", region: "RegionTwo", network: "net1" },
                { name: "backend4", region: "RegionTwo", network: "net2" },
            ],
            loadBalancers: [
                {
                    name: "lb1",
                    region: "RegionOne",
                    vipNetwork: "net1",
                    listener: { protocol: "HTTP", port: 80 },
                    pool: { protocol: "HTTP", algorithm: "ROUND_ROBIN" },
                    members: ["backend1", "backend2", "backend3", "backend4"],
                    healthMonitor: { type: "HTTP", delay: 5, timeout: 3, maxRetries: 3 },
                },
            ],
        };
        const run = await runStack(guideConfig({ demo }), {
            secretKeys: SECRET_KEYS,
            calls: {
                "openstack:images/getImage:getImage": (inputs) => ({ id: `image-${inputs.region}`, name: inputs.name }),
                "openstack:compute/getFlavor:getFlavor": (inputs) => ({ id: `flavor-${inputs.region}`, flavorId: `flavor-${inputs.region}`, name: inputs.name }),
            },
        });
        const resources = toPackResources(run.resources);
        expect(runPack(resources)).toEqual([]);
        // The member policy traces the real program's pool to its VIP subnet...
        const nodes = resources.map(({ urn: u, type, name, props, propertyDependencies }) => ({ urn: u, type, name, props, propertyDependencies }));
        const pool = resources.find((r) => r.type === TYPES.pool)!;
        expect(vipCidrsOfPool(pool.urn, new Map(nodes.map((n) => [n.urn, n])), nodes)).toEqual(["10.0.10.0/24"]);
        // ...so the same stack with a member stripped of its subnet passes when the member's address (known once
        // its server exists; the mocks compute none) is on net1, and is rejected when it is on net2 or unknown.
        const members = resources.find((r) => r.type === TYPES.members)!;
        const strip = (name: string, address: string | undefined) =>
            runPack(
                resources.map((r) =>
                    r !== members
                        ? r
                        : { ...r, props: { ...r.props, members: r.props.members.map((m: any) => (m.name === name ? { ...m, subnetId: undefined, address } : m)) } },
                ),
            );
        expect(strip("backend3", "10.0.10.13")).toEqual([]);
        expect(strip("backend4", "10.0.20.14")).toEqual([
            expect.objectContaining({ policy: LB_MEMBER_SUBNET, level: "mandatory", message: expect.stringContaining('"backend4" has no subnetId and 10.0.20.14 is not on the VIP network') }),
        ]);
        expect(strip("backend3", undefined)).toEqual([expect.objectContaining({ message: expect.stringContaining("its address is not known yet") })]);
    });

    it("warns (advisory, not rejected) on the guide's world-open sources, and is silent once the stack opts in", async () => {
        const run = await runStack(guideConfig({ securityGroups: { allowedCidrs: ["0.0.0.0/0", "::/0"] } }), { secretKeys: SECRET_KEYS });
        const resources = toPackResources(run.resources);
        const found = runPack(resources);
        expect(found).toHaveLength(10);
        expect(found.every((v) => v.policy === WORLD_OPEN_RULES && v.level === "advisory")).toBe(true);
        expect(rejected(found)).toBe(false);
        expect(runPack(resources, { [WORLD_OPEN_RULES]: { allowWorldOpenSources: true } })).toEqual([]);
        // A stack may also raise the advisory to mandatory in its policy config.
        expect(rejected(runPack(resources, { [WORLD_OPEN_RULES]: { enforcementLevel: "mandatory" } }))).toBe(true);
    });

    it("rejects a deliberately bad stack, with a violation from every policy", async () => {
        const recorded = await recordProgram(() => {
            const provider = new openstack.Provider("openstack-CentralRegion", { region: "CentralRegion", authUrl: "http://keystone.example.test:5000/v3" });
            new AmphoraSecurityGroups("lb-secgroups", {
                provider,
                groups: { amphora: "lb-mgmt-sec-grp", healthManager: "lb-health-mgr-sec-grp", amphoraTcpPorts: [9443], sources: [{ cidr: "0.0.0.0/0", family: 4 }] },
                heartbeatPort: 5555,
            });
            const net = new openstack.networking.Network("mgmt-net", { name: "lb-mgmt-net1" }, { provider });
            const subnet = new openstack.networking.Subnet(
                "mgmt-subnet",
                { name: "lb-mgmt-subnet1", networkId: net.id, cidr: "192.168.10.0/24", gatewayIp: "192.168.10.1" },
                { provider },
            );
            new openstack.networking.Port(
                "hm-port",
                { name: "octavia-health-manager-RegionOne-node1-listen-port", networkId: net.id, fixedIps: [{ subnetId: subnet.id }] },
                { provider },
            );
            demoProgram(provider, true);
            new command.remote.Command("node1-octavia-conf", {
                connection: { host: "10.7.20.110", user: "stack", privateKey: pulumi.secret(TEST_PRIVATE_KEY) },
                create: `sudo crudini --set /etc/octavia/octavia.conf health_manager bind_port 5555 && echo 'heartbeat_key = ${TEST_HEARTBEAT_KEY}' | sudo tee -a /etc/octavia/octavia.conf`,
            });
        });
        const found = runPack(toPackResources(recorded));
        expect(rejected(found)).toBe(true);
        const byPolicy = (name: string) => found.filter((v) => v.policy === name);
        expect(byPolicy(WORLD_OPEN_RULES).map((v) => v.level)).toEqual(["advisory", "advisory", "advisory"]); // icmp, tcp 9443, udp 5555
        expect(byPolicy(HEALTH_MANAGER_PORT_OWNER)).toEqual([expect.objectContaining({ level: "mandatory", resource: "hm-port" })]);
        expect(byPolicy(MANAGEMENT_SUBNET_NO_GATEWAY)).toEqual([expect.objectContaining({ level: "mandatory", resource: "mgmt-subnet" })]);
        expect(byPolicy(LB_MEMBER_SUBNET)).toEqual([
            expect.objectContaining({ level: "mandatory", resource: "lb1-members", message: expect.stringMatching(/"backend4".*10\.0\.20\.14 is not on the VIP network \(10\.0\.10\.0\/24\)/) }),
        ]);
        expect(byPolicy(REMOTE_COMMAND_NO_PLAINTEXT_SECRETS)).toEqual([
            expect.objectContaining({ level: "mandatory", resource: "node1-octavia-conf", message: expect.stringMatching(/create holds a literal heartbeat_key value/) }),
        ]);
        expect(JSON.stringify(found)).not.toContain(TEST_HEARTBEAT_KEY);
        expect(new Set(found.map((v) => v.policy))).toEqual(new Set(policies.map((p) => p.name)));
    });

    it("passes the same shapes written right (demo members with subnets, secrets on stdin, @pulumi/command connection)", async () => {
        const recorded = await recordProgram(() => {
            const provider = new openstack.Provider("openstack-CentralRegion", { region: "CentralRegion" });
            demoProgram(provider, false);
            new command.remote.Command("node1-octavia-conf", {
                connection: { host: "10.7.20.110", user: "stack", privateKey: pulumi.secret(TEST_PRIVATE_KEY) },
                create: 'read -r KEY && sudo crudini --set /etc/octavia/octavia.conf health_manager heartbeat_key "$KEY"',
                stdin: pulumi.secret(TEST_HEARTBEAT_KEY),
            });
        });
        const resources = toPackResources(recorded);
        // @pulumi/command registers the whole connection as a secret.
        expect(resources.find((r) => r.type === TYPES.remoteCommand)?.secretPaths).toContain("connection");
        expect(runPack(resources)).toEqual([]);
    });
});
