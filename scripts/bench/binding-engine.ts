// Benchmark of the part of the stack the real engine can run on this machine (docs/toolchain.md): the dynamic
// resource PortHostBinding, N of them, through the Automation API against the local cloud. Times `pulumi up` cold,
// `up` with no change, `preview` and `destroy`, and counts the API requests each caused (scripts/bench/api-requests.sh).
// The ports themselves are made and deleted with the openstack CLI around it (timed and counted too, apart).
//
// Compiled and run by scripts/bench.sh (tsc, like `npm run verify`); writes one tab-separated row per phase to
// $BENCH_OUT: section, phase, wall seconds, keystone, neutron, octavia, new tokens, server seconds (the services'
// own request times, summed), openstack CLI calls, client CPU
// seconds (this process, which also runs the program's language runtime, plus its waited-for children: the pulumi
// CLI and, through it, the dynamic-provider process; or the openstack CLI calls).
import { Stack } from "@pulumi/pulumi/automation";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { neutronAccessFrom, resolveKeystoneAuth } from "../../components/openstackAuth";
import { NeutronAccess, PortHostBinding } from "../../components/portHostBinding";
import { requireEngine, throwAwayStack } from "../lib/engine";

// Compiled into node_modules/.cache, so the checkout comes from bench.sh, not from __dirname.
const ROOT = process.env.BENCH_ROOT ?? process.cwd();
const CLOUDS_YAML = path.join(ROOT, ".local-cloud", "clouds.yaml");
const OUT = process.env.BENCH_OUT ?? "";
const SUFFIX = process.env.BENCH_SUFFIX ?? randomBytes(3).toString("hex");
const SECTION = "engine";
// The guide's two controller nodes: node1 binds in RegionOne, node2 in RegionTwo.
const NODES = [
    { host: "node1", region: "RegionOne" },
    { host: "node2", region: "RegionTwo" },
];
const N = Number(process.env.BENCH_BINDINGS ?? NODES.length);

const osEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: CLOUDS_YAML, OS_CLOUD: "local" };
let cliCalls = 0;

function say(msg: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] engine: ${msg}\n`);
}

/** The openstack CLI (one process per call, as a user runs it), value output. */
function openstack(region: string, ...args: string[]): string {
    cliCalls++;
    return openstackUncounted(region, ...args);
}

/** The same, for the read-backs that check the result outside the timed phases. */
function openstackUncounted(region: string, ...args: string[]): string {
    return execFileSync("openstack", ["--os-region-name", region, ...args], { env: osEnv, encoding: "utf8", timeout: 120_000 }).trim();
}

function markLogs(): string {
    const file = path.join(os.tmpdir(), `tricircle-bench-mark-${SUFFIX}-${randomBytes(3).toString("hex")}`);
    fs.writeFileSync(file, execFileSync("bash", [path.join(ROOT, "scripts", "bench", "api-requests.sh"), "mark"], { encoding: "utf8" }));
    return file;
}

function requestsSince(mark: string): number[] {
    // The services write a request's log line after answering it: let the last lines land.
    execFileSync("sleep", ["0.5"]);
    const out = execFileSync("bash", [path.join(ROOT, "scripts", "bench", "api-requests.sh"), "since", mark], { encoding: "utf8" });
    fs.rmSync(mark, { force: true });
    return out.trim().split(/\s+/).map(Number);
}

/** User + system CPU seconds of this process and of its children that were waited for (Linux /proc). */
function cpuSeconds(): number {
    const self = process.cpuUsage();
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ": state is field 3, cutime field 16 and cstime field 17 (1-based, man 5 proc).
    const ticks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
    const hz = Number(process.env.BENCH_CLK_TCK ?? 100);
    return (self.user + self.system) / 1e6 + ticks / hz;
}

/** Runs one phase: wall time, API requests from the logs, openstack CLI invocations; appends the row to $BENCH_OUT. */
async function phase<T>(name: string, body: () => Promise<T> | T): Promise<T> {
    const mark = markLogs();
    const calls0 = cliCalls;
    const cpu0 = cpuSeconds();
    const t0 = process.hrtime.bigint();
    const result = await body();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds() - cpu0;
    const [keystone, neutron, octavia, tokens, server] = requestsSince(mark);
    const row = [SECTION, name, wall.toFixed(2), keystone, neutron, octavia, tokens, server.toFixed(2), cliCalls - calls0, cpu.toFixed(2)].join("\t");
    if (OUT) fs.appendFileSync(OUT, row + "\n");
    say(`${name}: ${wall.toFixed(2)} s, requests keystone ${keystone} (new tokens ${tokens}), neutron ${neutron}, octavia ${octavia}, server ${server.toFixed(2)} s, CPU ${cpu.toFixed(2)} s`);
    return result;
}

function localNeutronAccess(): NeutronAccess {
    return neutronAccessFrom(resolveKeystoneAuth({ cloud: "local" }, { OS_CLIENT_CONFIG_FILE: CLOUDS_YAML }));
}

const program = async () => {
    const config = new pulumi.Config();
    const access = localNeutronAccess();
    const bound: Record<string, pulumi.Output<string>> = {};
    for (let i = 0; i < N; i++) {
        const node = NODES[i % NODES.length];
        const binding = new PortHostBinding(`hm-binding-${i + 1}`, { portId: config.require(`port${i + 1}`), hostId: node.host, region: node.region, access });
        bound[`boundHostId${i + 1}`] = binding.boundHostId;
    }
    return bound;
};

function boundHost(region: string, portId: string): string {
    return openstackUncounted(region, "port", "show", portId, "-f", "value", "-c", "binding_host_id");
}

async function main(): Promise<void> {
    requireEngine(ROOT);
    const netName = `bench-engine-net-${SUFFIX}`;
    const ports: string[] = [];
    let networkId = "";
    let stack: Stack | undefined;
    let backend = "";
    let workDir = "";
    let destroyed = false;
    try {
        await phase(`setup: network, subnet, ${N} health-manager ports (openstack CLI)`, () => {
            networkId = openstack("CentralRegion", "network", "create", netName, "-f", "value", "-c", "id");
            openstack("CentralRegion", "subnet", "create", "--network", networkId, "--subnet-range", "192.168.30.0/24", `${netName}-subnet`, "-f", "value", "-c", "id");
            for (let i = 0; i < N; i++) {
                ports.push(
                    openstack("CentralRegion", "port", "create", "--network", networkId, "--device-owner", "Octavia:health-mgr", `bench-engine-hm-${i + 1}-${SUFFIX}`, "-f", "value", "-c", "id"),
                );
            }
        });

        stack = await phase("create the stack (stack init, config)", async () => {
            const made = await throwAwayStack({ root: ROOT, projectName: "tricircle-lbaas-bench", stackName: "bench", program, passphrase: "bench-local-only" });
            ({ backend, workDir } = made);
            const s = made.stack;
            await s.setAllConfig(Object.fromEntries(ports.map((p, i) => [`tricircle-lbaas-bench:port${i + 1}`, { value: p }])));
            return s;
        });
        const st = stack;

        const up = await phase(`pulumi up, cold (${N} bindings)`, () => st.up());
        if ((up.summary.resourceChanges?.create ?? 0) !== N + 1) throw new Error(`up created ${JSON.stringify(up.summary.resourceChanges)}, expected ${N + 1}`);
        const again = await phase("pulumi up, no change", () => st.up());
        if ((again.summary.resourceChanges?.same ?? 0) !== N + 1) throw new Error(`second up: ${JSON.stringify(again.summary.resourceChanges)}`);
        const preview = await phase("pulumi preview", () => st.preview());
        if ((preview.changeSummary.same ?? 0) !== N + 1) throw new Error(`preview: ${JSON.stringify(preview.changeSummary)}`);

        // Read back outside the timed phases: the bindings really are there.
        const hosts = ports.map((p, i) => boundHost(NODES[i % NODES.length].region, p));
        const want = ports.map((_, i) => NODES[i % NODES.length].host);
        if (hosts.join() !== want.join()) throw new Error(`binding_host_id after up: ${hosts.join()} (expected ${want.join()})`);

        await phase("pulumi destroy", () => st.destroy());
        destroyed = true;
        const after = ports.map((p, i) => boundHost(NODES[i % NODES.length].region, p));
        if (after.some((h) => h !== "")) throw new Error(`binding_host_id after destroy: ${after.join()}`);
        say(`verified: bound to ${hosts.join(", ")} after up, unbound after destroy`);
    } finally {
        if (stack && !destroyed) await stack.destroy().catch((e: Error) => say(`cleanup destroy failed: ${e.message}`));
        const teardown = async () => {
            if (ports.length) openstack("CentralRegion", "port", "delete", ...ports);
            if (networkId) openstack("CentralRegion", "network", "delete", networkId);
        };
        try {
            if (destroyed) await phase("teardown: ports, network (openstack CLI)", teardown);
            else await teardown();
        } catch (e) {
            say(`cleanup failed: ${(e as Error).message}`);
            process.exitCode = 1;
        }
        if (backend) fs.rmSync(backend, { recursive: true, force: true });
        if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    }
}

main().catch((e: Error) => {
    say(`FAILED: ${e.stack ?? e.message}`);
    process.exitCode = 1;
});
