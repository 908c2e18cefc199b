// MOCK harness: Pulumi's mock monitor stands in for the engine and the OpenStack API, which cannot run in the unit
// suite. It records every registered resource so tests can assert on what the program asked for.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as ipaddr from "ipaddr.js";
import * as path from "path";
import { Inventory } from "../../components/adoption/inventory";
import { fakeCloud } from "./fakeCloud";
import { PkiMaterial } from "../../components/amphora/pkiMaterial";
import { testPki } from "../support/testPki";

// Internal to the SDK (no typings): drains the queue of outstanding registrations; the mock monitor.
/* eslint-disable @typescript-eslint/no-require-imports */
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: any } };
/* eslint-enable @typescript-eslint/no-require-imports */

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    provider?: string;
    id: string;
    /** The `import` option: the id of the object the resource takes over. */
    importId?: string;
    /** The `retainOnDelete` option. */
    retainOnDelete?: boolean;
    /** The names of what the SDK told the engine the resource waits for: explicit dependsOn and input dependencies. */
    dependencies: string[];
}

export interface StackRun {
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    /** URNs registered more than once (the mock monitor accepts them; the engine stops there). */
    duplicateUrns: string[];
    ofType(type: string): RecordedResource[];
    byName(name: string): RecordedResource;
}

/** The program failed after it had started registering resources (a throw in an apply, a rejected input, ...). */
export class ProgramError extends Error {
    constructor(
        message: string,
        readonly resources: RecordedResource[],
    ) {
        super(message);
        this.name = "ProgramError";
    }
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export function isSecret(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as any)[SIG_KEY] === SECRET_SIG;
}

/** Removes secret wrappers, for assertions on the values themselves. */
export function plain(value: any): any {
    if (isSecret(value)) return plain(value.value);
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    return value;
}

/** Turns a contract-shaped object into the flat `project:key` map the engine hands to programs. */
export function stackConfig(namespace: Record<string, unknown>, extra: Record<string, string> = {}): Record<string, string> {
    const flat: Record<string, string> = { ...extra };
    for (const [key, value] of Object.entries(namespace)) {
        flat[`tricircle-lbaas:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return flat;
}

/** Stands for the fake cloud's Keystone (fakeCloud.ts), which runStack starts and puts in its place. */
export const FAKE_KEYSTONE = "http://keystone.example.test:5000/v3";

export const OPENSTACK_SETTINGS = {
    "openstack:authUrl": FAKE_KEYSTONE,
    "openstack:userName": "admin",
    "openstack:password": "s3cret-admin-password",
    "openstack:tenantName": "admin",
    "openstack:userDomainName": "Default",
    "openstack:projectDomainName": "Default",
};

const UUID_TYPES = new Set(["openstack:networking/port:Port", "openstack:networking/network:Network", "openstack:networking/secGroup:SecGroup"]);

/** A stable UUID made from a resource name. */
export function uuidFor(name: string): string {
    const h = createHash("md5").update(name).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function fakeMac(seed: number): string {
    const b = (n: number) => (n & 0xff).toString(16).padStart(2, "0");
    return `fa:16:3e:${b(seed >> 16)}:${b(seed >> 8)}:${b(seed)}`;
}

/** The `n`-th address of a subnet (1 = the first after the network address), as Neutron would allocate it. */
export function nthAddress(cidr: string, n: number): string {
    const [address, prefix] = ipaddr.parseCIDR(cidr);
    const bytes = address.toByteArray();
    let value = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n) + BigInt(n);
    const hostBits = BigInt(bytes.length * 8 - prefix);
    if (hostBits < 64n && BigInt(n) >= 1n << hostBits) throw new Error(`the mock cloud ran out of addresses in ${cidr}`);
    const out: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
        out.unshift(Number(value & 0xffn));
        value >>= 8n;
    }
    return ipaddr.fromByteArray(out).toString();
}

let mockPki: PkiMaterial | undefined;

/** What a mocked OpenStack would compute for a resource (ids, MACs, fixed IPs from the port's own subnet). */
function computedState(args: pulumi.runtime.MockResourceArgs, subnets: Map<string, { cidr: string; used: number }>, counter: number): Record<string, any> {
    const inputs = plain(args.inputs);
    if (args.type === "openstack:networking/port:Port") {
        // Neutron keeps a MAC and an address the request gives (an imported port has both), and allocates the rest.
        const given = inputs.fixedIps?.[0]?.ipAddress as string | undefined;
        const subnet = subnets.get(inputs.fixedIps?.[0]?.subnetId) ?? { cidr: "192.0.2.0/24", used: 0 };
        if (given === undefined) subnet.used += 1;
        return { ...args.inputs, macAddress: inputs.macAddress ?? fakeMac(counter), allFixedIps: [given ?? nthAddress(subnet.cidr, subnet.used)] };
    }
    if (args.type === "command:remote:Command") {
        // A cooperative host: o-hm0 ends up with exactly the address and MAC its script was given.
        const script = String(inputs.create ?? "");
        const pick = (name: string) => {
            const m = new RegExp(`TLB_${name}=(?:'([^']*)'|(\\S+))`).exec(script);
            return m ? (m[1] ?? m[2]) : undefined;
        };
        const stdout = args.name.endsWith("-plane") ? `OHM0 ip=${pick("ADDRESS")} prefix=${pick("PREFIX")} mac=${pick("MAC")}\n` : "";
        return { ...args.inputs, stdout, stderr: "" };
    }
    if (args.type === "pulumi-nodejs:dynamic/neutron:PortHostBinding") {
        return { ...args.inputs, boundHostId: inputs.hostId, vifType: "ovs" };
    }
    if (args.type === "pulumi-nodejs:dynamic/neutron:PortActive") {
        return { ...args.inputs, status: "ACTIVE" };
    }
    if (args.type === "pulumi-nodejs:dynamic/amphora:RegionPki") {
        // A TEST FIXTURE PKI (openssl, RSA 2048, once per worker): the mocks run no dynamic provider. The stack's own
        // generator has its tests (pki.test.ts) and is what the host and e2e suites deliver.
        mockPki ??= testPki({ region: inputs.region }).material;
        return { ...args.inputs, material: { ...mockPki, clientCaPrivateKey: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nmock\n-----END ENCRYPTED PRIVATE KEY-----\n", clientCaPassphrase: "c".repeat(32) } };
    }
    return args.inputs;
}

/**
 * Stack traces cost most of a mocked run under vitest (its source-mapping prepareStackTrace runs for the SDK's
 * debug stack of every promise and the source position of every resource); neither means anything to the mocks.
 */
function withoutStackTraces(): () => void {
    const limit = Error.stackTraceLimit;
    const callsites = (pulumi.Resource as any).callsites;
    Error.stackTraceLimit = 0;
    (pulumi.Resource as any).callsites = () => [];
    return () => {
        Error.stackTraceLimit = limit;
        (pulumi.Resource as any).callsites = callsites;
    };
}

/**
 * A failure inside the program after it has started (an apply callback that throws, a registration that cannot
 * serialise its inputs) reaches nobody but the process's unhandledRejection handlers. They are collected here for the
 * duration of a run, so a run fails with them instead of hanging or reporting them to whatever test runs next.
 */
function collectUnhandledRejections(): { errors: unknown[]; first: Promise<never>; restore(): void } {
    const previous = process.listeners("unhandledRejection");
    const errors: unknown[] = [];
    let fail: (reason: unknown) => void = () => undefined;
    // What is waiting on the program's outputs stops at the first one: they would never resolve.
    const first = new Promise<never>((_, reject) => (fail = reject));
    first.catch(() => undefined);
    const collect = (reason: unknown) => {
        errors.push(reason);
        fail(reason);
    };
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", collect);
    return {
        errors,
        first,
        restore() {
            process.off("unhandledRejection", collect);
            for (const listener of previous) process.on("unhandledRejection", listener);
        },
    };
}

const INDEX = path.join(__dirname, "..", "..", "index.ts");
let programRuns = 0;

/**
 * index.ts, executed afresh as `pulumi up` would: a new query string makes it a module of its own for vitest, while
 * the modules it imports (components, SDKs) stay loaded. Re-evaluating all of them for every run (as resetting
 * vitest's module registry did) cost more than the run itself, and they hold no state of their own.
 */
async function runProgram(): Promise<Record<string, unknown>> {
    programRuns += 1;
    return (await import(/* @vite-ignore */ `${INDEX}?run=${programRuns}`)) as Record<string, unknown>;
}

/** The central and local region names a stack config names (the fake catalog's regions). */
function regionNamesOf(config: Record<string, string>): string[] {
    const names = [config["tricircle-lbaas:centralRegion"] ?? "CentralRegion"];
    try {
        const regions = JSON.parse(config["tricircle-lbaas:regions"] ?? "[]") as { name?: unknown }[];
        if (Array.isArray(regions)) names.push(...regions.map((r) => String(r?.name)));
    } catch {
        // A config the program refuses: no regions to serve.
    }
    return names;
}

/**
 * Runs index.ts under mocks with the given stack config (flat `ns:key` map) and resolves its stack outputs.
 * `calls` answers the invokes the program is allowed to make (given the inputs and the provider reference); any
 * other invoke fails the run.
 */
export async function runStack(
    config: Record<string, string>,
    options: {
        secretKeys?: string[];
        calls?: Record<string, (inputs: any, provider?: string) => Record<string, any>>;
        /** What the fake cloud already holds (fakeCloud.ts); a blank cloud when absent. */
        cloud?: Partial<Inventory>;
    } = {},
): Promise<StackRun> {
    await fakeCloud.start();
    fakeCloud.inventory = { groups: [], networks: [], subnets: [], ports: [], ...options.cloud };
    fakeCloud.requests = [];
    fakeCloud.regions = regionNamesOf(config);
    if (config["openstack:authUrl"] === FAKE_KEYSTONE) config = { ...config, "openstack:authUrl": `${fakeCloud.url}/v3` };
    const resources: RecordedResource[] = [];
    const subnets = new Map<string, { cidr: string; used: number }>();
    const urns = new Set<string>();
    const duplicateUrns: string[] = [];
    let counter = 0;
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                counter += 1;
                // Ids that reach octavia.conf and the node scripts are UUIDs there and are checked as such; the rest
                // stay readable in assertions.
                // An imported object keeps its id; the others get one made from their name.
                const id = args.id || (UUID_TYPES.has(args.type) ? uuidFor(args.name) : `${args.name}-id`);
                if (args.type === "openstack:networking/subnet:Subnet") subnets.set(id, { cidr: plain(args.inputs).cidr, used: 0 });
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, id, dependencies: [], ...registered.get(`${args.type}::${args.name}`) });
                return { id, state: computedState(args, subnets, counter) };
            },
            call(args) {
                // The SDK rebuilds a failed invoke's error from the gRPC status' `details` only, as the engine's
                // answer carries it: a handler's error keeps its message that way.
                const grpcError = (err: unknown) => Object.assign(err instanceof Error ? err : new Error(String(err)), { details: err instanceof Error ? err.message : String(err) });
                const handler = options.calls?.[args.token];
                if (!handler) throw grpcError(new Error(`unexpected invoke ${args.token} (add it to the test's calls)`));
                try {
                    // The provider reference (URN::id) says which region's provider the program used for the invoke.
                    return handler(plain(args.inputs), args.provider);
                } catch (err) {
                    throw grpcError(err);
                }
            },
        },
        "tricircle-lbaas",
        "unit",
        false,
    );
    pulumi.runtime.setAllConfig(config, options.secretKeys ?? []);
    const register = MockMonitor.prototype.registerResource;
    const registered = new Map<string, { importId?: string; retainOnDelete?: boolean; dependencies: string[] }>();
    MockMonitor.prototype.registerResource = function (req: any, callback: any) {
        const urn: string = this.newUrn(req.getParent(), req.getType(), req.getName());
        if (urns.has(urn)) duplicateUrns.push(urn);
        urns.add(urn);
        registered.set(`${req.getType()}::${req.getName()}`, {
            importId: req.getImportid() || undefined,
            retainOnDelete: req.getRetainondelete?.() || undefined,
            dependencies: (req.getDependenciesList() as string[]).map((u) => u.split("::").pop() as string),
        });
        return register.call(this, req, callback);
    };
    const restoreStacks = withoutStackTraces();
    const rejections = collectUnhandledRejections();
    const outputs: Record<string, unknown> = {};
    let failure: unknown;
    try {
        await Promise.race([
            rejections.first,
            (async () => {
                const program = await runProgram();
                // All at once, as the engine awaits them: one failure that every output shares is reported once.
                const entries = Object.entries(program);
                const values = await Promise.all(entries.map(([, value]) => resolve(value)));
                entries.forEach(([key], i) => (outputs[key] = values[i]));
                // Registrations that no output depends on (rules, say) may still be in flight.
                await waitForRPCs();
                // Rejections are reported after the microtask queue drains.
                await new Promise((done) => setImmediate(done));
            })(),
        ]);
    } catch (err) {
        // The failures of one broken input (or of one failed step that several outputs share) arrive together: give
        // the others a moment to be collected by this run, not by the next one.
        const reported = rejections.errors.length > 0;
        await new Promise((done) => setTimeout(done, 20));
        if (!reported) failure = err;
    } finally {
        rejections.restore();
        restoreStacks();
        MockMonitor.prototype.registerResource = register;
    }
    const errors = [...(failure === undefined ? [] : [failure]), ...rejections.errors];
    if (errors.length > 0) {
        // A config error ends the program before it registers anything: that error alone, as the engine shows it.
        if (resources.length === 0 && failure instanceof Error && rejections.errors.length === 0) throw failure;
        const text = errors.map((e) => (e instanceof Error ? e.message : String(e))).join("\n");
        throw new ProgramError(`the program failed after registering ${resources.length} resources:\n${text}`, resources);
    }
    return {
        resources,
        outputs,
        duplicateUrns,
        ofType: (type) => resources.filter((r) => r.type === type),
        byName(name) {
            const found = resources.find((r) => r.name === name);
            if (!found) throw new Error(`no resource named ${name}; have ${resources.map((r) => r.name).join(", ")}`);
            return found;
        },
    };
}

/** Waits for an Output (or a structure holding Outputs) to resolve; rejects when it fails, and after 10 s. */
export function resolve<T>(value: T): Promise<unknown> {
    const output = pulumi.output(value as any) as unknown as { promise(): Promise<unknown> };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("an output did not resolve within 10 s (a failed registration upstream?)")), 10_000);
    });
    return Promise.race([output.promise(), timeout]).finally(() => clearTimeout(timer));
}
