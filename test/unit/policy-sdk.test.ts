// The policies through @pulumi/policy's own analyzer functions (ENGINE-LESS: the requests the engine would send
// are built here as protobuf messages; no engine, no gRPC server). Checks what the plain-object tests cannot: that
// the SDK's argument objects (its unknown-checking proxy, its option and dependency objects, its violation
// reporting) fit the policies. Uses the policy pack's own node_modules (npm ci --prefix policy); this file runs in
// its own worker process, so the pack's copy of @pulumi/pulumi never meets the program's.
import { ChildProcess, spawn } from "child_process";
import { createRequire } from "module";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    HEALTH_MANAGER_PORT_OWNER,
    LB_MEMBER_SUBNET,
    MANAGEMENT_SUBNET_NO_GATEWAY,
    policies,
    REMOTE_COMMAND_NO_PLAINTEXT_SECRETS,
    WORLD_OPEN_RULES,
} from "../../policy/policies";
import { COMPONENTS, TYPES } from "../../policy/rules";

const PACK_DIR = path.join(__dirname, "..", "..", "policy");
const packRequireRaw = createRequire(path.join(PACK_DIR, "package.json"));
function packRequire(id: string): any {
    try {
        return packRequireRaw(id);
    } catch (err) {
        throw new Error(`${id} is not installed in policy/node_modules: run \`npm ci --prefix policy\` (${(err as Error).message})`);
    }
}
packRequire.resolve = (id: string) => packRequireRaw.resolve(id);
const server = packRequire("@pulumi/policy/server") as {
    makeAnalyzeRpcFun: (name: string, version: string, level: string, policies: unknown[]) => (call: unknown, cb: (err: Error | null, resp: any) => void) => void;
    makeAnalyzeStackRpcFun: (name: string, version: string, level: string, policies: unknown[]) => (call: unknown, cb: (err: Error | null, resp: any) => void) => void;
};
const analyzerpb = packRequire("@pulumi/pulumi/proto/analyzer_pb");
const structpb = packRequire("google-protobuf/google/protobuf/struct_pb");
const UNKNOWN_STRING = (packRequire("@pulumi/policy/proxy") as { unknownStringValue: string }).unknownStringValue;

interface Diagnostic {
    policy: string;
    level: "advisory" | "mandatory";
    message: string;
    urn: string;
}

function diagnostics(resp: any): Diagnostic[] {
    return resp.getDiagnosticsList().map((d: any) => ({
        policy: d.getPolicyname(),
        level: d.getEnforcementlevel() === analyzerpb.EnforcementLevel.MANDATORY ? "mandatory" : "advisory",
        message: d.getMessage(),
        urn: d.getUrn(),
    }));
}

const urn = (type: string, name: string, ancestors: string[] = []) => `urn:pulumi:dev::tricircle-lbaas::${[...ancestors, type].join("$")}::${name}`;

function options(o: { parent?: string; additionalSecretOutputs?: string[] } = {}) {
    const opts = new analyzerpb.AnalyzerResourceOptions();
    if (o.parent) opts.setParent(o.parent);
    opts.setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? []);
    return opts;
}

function analyze(type: string, name: string, props: Record<string, unknown>, o: { ancestors?: string[]; parent?: string; additionalSecretOutputs?: string[] } = {}): Promise<Diagnostic[]> {
    const req = new analyzerpb.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(urn(type, name, o.ancestors));
    req.setProperties(structpb.Struct.fromJavaScript(props));
    req.setOptions(options(o));
    const fn = server.makeAnalyzeRpcFun("tricircle-lbaas", "0.1.0", "mandatory", policies);
    return new Promise((resolve, reject) => fn({ request: req }, (err, resp) => (err ? reject(err) : resolve(diagnostics(resp)))));
}

interface StackEntry {
    type: string;
    name: string;
    props: Record<string, unknown>;
    deps?: Record<string, string[]>; // property -> names of resources in the same request
}

function analyzeStack(entries: StackEntry[]): Promise<Diagnostic[]> {
    const req = new analyzerpb.AnalyzeStackRequest();
    const urnOf = new Map(entries.map((e) => [e.name, urn(e.type, e.name)]));
    req.setResourcesList(
        entries.map((e) => {
            const r = new analyzerpb.AnalyzerResource();
            r.setType(e.type);
            r.setName(e.name);
            r.setUrn(urnOf.get(e.name));
            r.setProperties(structpb.Struct.fromJavaScript(e.props));
            r.setOptions(options());
            const map = r.getPropertydependenciesMap();
            for (const [prop, names] of Object.entries(e.deps ?? {})) {
                const d = new analyzerpb.AnalyzerPropertyDependencies();
                d.setUrnsList(names.map((n) => urnOf.get(n)));
                map.set(prop, d);
            }
            return r;
        }),
    );
    const fn = server.makeAnalyzeStackRpcFun("tricircle-lbaas", "0.1.0", "mandatory", policies);
    return new Promise((resolve, reject) => fn({ request: req }, (err, resp) => (err ? reject(err) : resolve(diagnostics(resp)))));
}

describe("the policies inside @pulumi/policy's analyzer (engine-less)", () => {
    it("reports a world-open Octavia rule as advisory, named by the URN's component", async () => {
        const found = await analyze(
            TYPES.secGroupRule,
            "lb-secgroups-hm-udp5555-0.0.0.0_0",
            { direction: "ingress", ethertype: "IPv4", protocol: "udp", portRangeMin: 5555, portRangeMax: 5555, remoteIpPrefix: "0.0.0.0/0", securityGroupId: UNKNOWN_STRING },
            { ancestors: ["pulumi:pulumi:Stack", COMPONENTS.securityGroups] },
        );
        expect(found).toEqual([expect.objectContaining({ policy: WORLD_OPEN_RULES, level: "advisory", message: expect.stringContaining("from 0.0.0.0/0") })]);
    });

    it("reports a health-manager port without its owner as mandatory; an unknown owner at preview is no violation and no error", async () => {
        const name = "octavia-health-manager-RegionOne-node1-listen-port";
        expect(await analyze(TYPES.port, "p", { name, networkId: UNKNOWN_STRING })).toEqual([
            expect.objectContaining({ policy: HEALTH_MANAGER_PORT_OWNER, level: "mandatory" }),
        ]);
        expect(await analyze(TYPES.port, "p", { name, deviceOwner: UNKNOWN_STRING, networkId: UNKNOWN_STRING })).toEqual([]);
        expect(await analyze(TYPES.port, "p", { name, deviceOwner: "Octavia:health-mgr", networkId: UNKNOWN_STRING })).toEqual([]);
    });

    it("reports a management subnet with a gateway, found through opts.parent", async () => {
        const found = await analyze(TYPES.subnet, "s", { name: "octavia-mgmt", cidr: "192.168.10.0/24", networkId: UNKNOWN_STRING }, { parent: urn(COMPONENTS.managementNetwork, "region-RegionOne-mgmt") });
        expect(found).toEqual([expect.objectContaining({ policy: MANAGEMENT_SUBNET_NO_GATEWAY, level: "mandatory" })]);
    });

    it("checks remote commands against the registration's additionalSecretOutputs (the SDK unwraps secrets)", async () => {
        const props = { connection: { host: "10.7.20.110", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n" }, create: "heartbeat_key = abcdef" };
        const found = await analyze(TYPES.remoteCommand, "c", props, { additionalSecretOutputs: ["connection"] });
        expect(found).toEqual([expect.objectContaining({ policy: REMOTE_COMMAND_NO_PLAINTEXT_SECRETS, message: expect.stringContaining("create holds a literal heartbeat_key value") })]);
        const unmarked = await analyze(TYPES.remoteCommand, "c", { ...props, create: "true" });
        expect(unmarked).toEqual([expect.objectContaining({ message: expect.stringContaining("connection.privateKey is not registered as a secret") })]);
    });

    it("follows property dependencies in a stack analysis (ids unknown, as at the first preview)", async () => {
        const entries: StackEntry[] = [
            { type: TYPES.network, name: "net1", props: { name: "net1" } },
            { type: TYPES.subnet, name: "subnet1", props: { cidr: "10.0.10.0/24", networkId: UNKNOWN_STRING }, deps: { networkId: ["net1"] } },
            { type: TYPES.loadBalancer, name: "lb1", props: { vipNetworkId: UNKNOWN_STRING }, deps: { vipNetworkId: ["net1"] } },
            { type: TYPES.pool, name: "pool", props: { loadbalancerId: UNKNOWN_STRING, protocol: "HTTP", lbMethod: "ROUND_ROBIN" }, deps: { loadbalancerId: ["lb1"] } },
            {
                type: TYPES.members,
                name: "members",
                props: {
                    poolId: UNKNOWN_STRING,
                    members: [
                        { name: "on-vip", address: "10.0.10.11", protocolPort: 80 },
                        { name: "with-subnet", address: "10.0.20.14", protocolPort: 80, subnetId: UNKNOWN_STRING },
                        { name: "stray", address: "10.0.20.15", protocolPort: 80 },
                    ],
                },
                deps: { poolId: ["pool"] },
            },
        ];
        const found = await analyzeStack(entries);
        expect(found).toEqual([
            { policy: LB_MEMBER_SUBNET, level: "mandatory", urn: urn(TYPES.members, "members"), message: expect.stringContaining('"stray" has no subnetId and 10.0.20.15 is not on the VIP network (10.0.10.0/24)') },
        ]);
    });
});

// The pack as the engine runs it: the Node.js language host starts `run-policy-pack <engine> <dir>` in the pack's
// folder (ts-node compiles index.ts), the pack prints its gRPC port, and the engine calls it. Here a gRPC client
// stands in for the engine.
describe("the pack process, started as the engine starts it (run-policy-pack, gRPC)", () => {
    const grpc = packRequire("@grpc/grpc-js");
    const services = packRequire("@pulumi/pulumi/proto/analyzer_grpc_pb");
    const emptypb = packRequire("google-protobuf/google/protobuf/empty_pb");
    let child: ChildProcess | undefined;
    let client: any;

    beforeAll(async () => {
        const launcher = packRequire.resolve("@pulumi/pulumi/cmd/run-policy-pack");
        child = spawn(process.execPath, [launcher, "127.0.0.1:1", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            let err = "";
            const timer = setTimeout(() => reject(new Error(`no port from the pack within 60 s; stderr: ${err}`)), 60_000);
            child!.stdout!.on("data", (d: Buffer) => {
                out += String(d);
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(m[1]);
                }
            });
            child!.stderr!.on("data", (d: Buffer) => (err += String(d)));
            child!.on("exit", (code) => reject(new Error(`pack exited with ${String(code)}: ${err}`)));
        });
        client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    }, 70_000);

    afterAll(() => {
        client?.close();
        child?.kill();
    });

    const call = <T>(method: string, req: unknown): Promise<T> =>
        new Promise((resolve, reject) => client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));

    it("describes its policies and their enforcement levels", async () => {
        const info = await call<any>("getAnalyzerInfo", new emptypb.Empty());
        expect(info.getName()).toBe("tricircle-lbaas");
        const levels = Object.fromEntries(info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel() === analyzerpb.EnforcementLevel.MANDATORY ? "mandatory" : "advisory"]));
        expect(levels).toEqual(Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel])));
    });

    it("reports a world-open rule until the stack opts in through the policy config", async () => {
        const req = new analyzerpb.AnalyzeRequest();
        req.setType(TYPES.secGroupRule);
        req.setName("r");
        req.setUrn(urn(TYPES.secGroupRule, "r", [COMPONENTS.securityGroups]));
        req.setProperties(structpb.Struct.fromJavaScript({ direction: "ingress", ethertype: "IPv6", protocol: "udp", portRangeMin: 5555, portRangeMax: 5555, remoteIpPrefix: "::/0" }));
        req.setOptions(options());
        expect(diagnostics(await call("analyze", req))).toEqual([expect.objectContaining({ policy: WORLD_OPEN_RULES, level: "advisory" })]);

        const configure = (allow: boolean) => {
            const creq = new analyzerpb.ConfigureAnalyzerRequest();
            const pc = new analyzerpb.PolicyConfig();
            pc.setEnforcementlevel(analyzerpb.EnforcementLevel.ADVISORY);
            pc.setProperties(structpb.Struct.fromJavaScript({ allowWorldOpenSources: allow }));
            creq.getPolicyconfigMap().set(WORLD_OPEN_RULES, pc);
            return call("configure", creq);
        };
        await configure(true);
        expect(diagnostics(await call("analyze", req))).toEqual([]);
        await configure(false);
        expect(diagnostics(await call("analyze", req))).toHaveLength(1);
    });
});
