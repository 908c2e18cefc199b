// MOCK harness: Pulumi's mock monitor stands in for the engine and the OpenStack API, which cannot run in the unit
// suite. It records every registered resource so tests can assert on what the program asked for.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { vi } from "vitest";

// Internal to the SDK (no typings): drains the queue of outstanding registrations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    provider?: string;
    id: string;
}

export interface StackRun {
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    ofType(type: string): RecordedResource[];
    byName(name: string): RecordedResource;
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

export const OPENSTACK_SETTINGS = {
    "openstack:authUrl": "http://keystone.example.test:5000/v3",
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

/** What a mocked OpenStack would compute for a resource (ids, MACs, fixed IPs). */
function computedState(args: pulumi.runtime.MockResourceArgs, subnets: Map<string, string>, counter: number): Record<string, any> {
    const inputs = plain(args.inputs);
    if (args.type === "openstack:networking/port:Port") {
        const subnetId = inputs.fixedIps?.[0]?.subnetId;
        const cidr = subnets.get(subnetId) ?? "192.0.2.0/24";
        const base = cidr.split("/")[0];
        const ip = base.includes(":") ? `${base}${(10 + counter).toString(16)}` : base.replace(/\.0$/, `.${10 + counter}`);
        return { ...args.inputs, macAddress: fakeMac(counter), allFixedIps: [ip] };
    }
    if (args.type === "command:remote:Command") {
        // A cooperative host: o-hm0 ends up with exactly the address and MAC its script was given.
        const script = String(inputs.create ?? "");
        const pick = (name: string) => {
            const m = new RegExp(`TLB_${name}=(?:'([^']*)'|(\\S+))`).exec(script);
            return m ? (m[1] ?? m[2]) : undefined;
        };
        const stdout = args.name.endsWith("-ohm0") ? `OHM0 ip=${pick("ADDRESS")} prefix=${pick("PREFIX")} mac=${pick("MAC")}\n` : "";
        return { ...args.inputs, stdout, stderr: "" };
    }
    if (args.type === "pulumi-nodejs:dynamic/neutron:PortHostBinding") {
        return { ...args.inputs, boundHostId: inputs.hostId };
    }
    return args.inputs;
}

/**
 * Runs index.ts under mocks with the given stack config (flat `ns:key` map) and resolves its stack outputs.
 * `calls` answers the invokes the program is allowed to make; any other invoke fails the run.
 */
export async function runStack(
    config: Record<string, string>,
    options: { secretKeys?: string[]; calls?: Record<string, (inputs: any) => Record<string, any>> } = {},
): Promise<StackRun> {
    const resources: RecordedResource[] = [];
    const subnets = new Map<string, string>();
    let counter = 0;
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                counter += 1;
                // Ids that reach octavia.conf and the node scripts are UUIDs there and are checked as such; the rest
                // stay readable in assertions.
                const id = UUID_TYPES.has(args.type) ? uuidFor(args.name) : `${args.name}-id`;
                if (args.type === "openstack:networking/subnet:Subnet") subnets.set(id, plain(args.inputs).cidr);
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, id });
                return { id, state: computedState(args, subnets, counter) };
            },
            call(args) {
                const handler = options.calls?.[args.token];
                if (!handler) throw new Error(`unexpected invoke ${args.token} (add it to the test's calls)`);
                return handler(plain(args.inputs));
            },
        },
        "tricircle-lbaas",
        "unit",
        false,
    );
    pulumi.runtime.setAllConfig(config, options.secretKeys ?? []);
    vi.resetModules();
    const program = (await import("../../index")) as Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) {
        outputs[key] = await resolve(value);
    }
    // Registrations that no output depends on (rules, say) may still be in flight.
    await waitForRPCs();
    return {
        resources,
        outputs,
        ofType: (type) => resources.filter((r) => r.type === type),
        byName(name) {
            const found = resources.find((r) => r.name === name);
            if (!found) throw new Error(`no resource named ${name}; have ${resources.map((r) => r.name).join(", ")}`);
            return found;
        },
    };
}

/** Waits for an Output (or a structure holding Outputs) to resolve. */
export function resolve<T>(value: T): Promise<unknown> {
    return new Promise((done) => pulumi.output(value as any).apply((v) => done(v)));
}
