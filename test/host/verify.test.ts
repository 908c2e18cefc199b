// HOST test (root): tools/verify/verify.ts, compiled as `npm run verify` compiles it, run for real against a local
// HAProxy (Debian's package) standing in for the amphora, in front of three backends that run the real user-data,
// each in its own network namespace, all on one bridge; the checks run from a "qdhcp" client namespace as the
// guide does. Needs: iproute2, busybox, curl, haproxy. Everything it starts lives in its own namespaces and is
// killed, and the namespaces deleted, in afterAll whatever happened.
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import { removeNamespace, requireCommands, sweepStaleNamespaces } from "./namespaces";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderUserData } from "../../components/demo/userData";

const PREFIX = "tlb-vf-";
const TAG = `${PREFIX}${process.pid}`;
// The client namespace is named as Neutron names a network's DHCP namespace, for --dhcp-netns.
const VIP_NETWORK_ID = `${TAG}-net1`;
const NS = { lb: `${TAG}-lb`, client: `qdhcp-${VIP_NETWORK_ID}`, backend1: `${TAG}-b1`, backend2: `${TAG}-b2`, backend3: `${TAG}-b3` };
const VIP = "10.0.10.100";
const BACKENDS = [
    { name: "backend1", ns: NS.backend1, address: "10.0.10.11", region: "RegionOne" },
    { name: "backend2", ns: NS.backend2, address: "10.0.10.12", region: "RegionOne" },
    { name: "backend3", ns: NS.backend3, address: "10.0.10.13", region: "RegionTwo" },
];
const ROOT = path.join(__dirname, "..", "..");

let work: string;
let busyboxPath: string;
let verifyJs: string;
const children: ChildProcess[] = [];

function run(cmd: string, args: string[]): string {
    return execFileSync(cmd, args, { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
}

function requireTools(...tools: string[]): void {
    requireCommands(tools, "haproxy busybox curl iproute2");
}

function sweepStale(): void {
    sweepStaleNamespaces(new RegExp(`^(?:qdhcp-)?${PREFIX}(\\d+)-`));
}

function backendCommand(backend: (typeof BACKENDS)[number], args: string[]): string {
    const root = path.join(work, backend.name);
    return run("ip", ["netns", "exec", backend.ns, "env", `PATH=${busyboxPath}:/usr/sbin:/usr/bin:/sbin:/bin`, `DEMO_ROOT=${root}`, ...args]);
}

function initScript(backend: (typeof BACKENDS)[number]): string {
    return path.join(work, backend.name, "etc", "init.d", "demo-httpd");
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, deadlineMs = 15_000): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (!(await predicate())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** HAProxy's view of its servers, from the stats socket (`show stat`): server name -> status. */
function serverStates(socket: string): Promise<Record<string, string>> {
    return new Promise((resolve) => {
        let text = "";
        const conn = net.createConnection(socket);
        conn.on("connect", () => conn.write("show stat\n"));
        conn.on("data", (d) => (text += d.toString("utf8")));
        conn.on("error", () => resolve({}));
        conn.on("close", () => {
            const [header, ...rows] = text.trim().split("\n");
            if (!header?.startsWith("# ")) return resolve({});
            const columns = header.slice(2).split(",");
            const status = columns.indexOf("status");
            const states: Record<string, string> = {};
            for (const row of rows) {
                const cells = row.split(",");
                if (cells[1] !== "FRONTEND" && cells[1] !== "BACKEND") states[cells[1]] = cells[status];
            }
            resolve(states);
        });
    });
}

interface Haproxy {
    port: number;
    socket: string;
    process: ChildProcess;
}

/** An amphora stand-in: HAProxy on the VIP, in front of the three backends. */
async function startHaproxy(port: number, balance: string, serverOptions: (name: string) => string): Promise<Haproxy> {
    const socket = path.join(work, `haproxy-${port}.sock`);
    const config = path.join(work, `haproxy-${port}.cfg`);
    fs.writeFileSync(
        config,
        [
            "global",
            `    stats socket ${socket} mode 600 level admin`,
            "defaults",
            "    mode http",
            "    timeout connect 1s",
            "    timeout client 5s",
            "    timeout server 5s",
            `frontend vip${port}`,
            `    bind ${VIP}:${port}`,
            `    default_backend pool${port}`,
            `backend pool${port}`,
            `    balance ${balance}`,
            ...BACKENDS.map((b) => `    server ${b.name} ${b.address}:80 ${serverOptions(b.name)}`),
            "",
        ].join("\n"),
    );
    const child = spawn("ip", ["netns", "exec", NS.lb, "haproxy", "-db", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    children.push(child);
    await until(`haproxy on port ${port} (${stderr})`, async () => Object.keys(await serverStates(socket)).length === BACKENDS.length);
    return { port, socket, process: child };
}

function stopHaproxy(h: Haproxy): Promise<void> {
    return new Promise((resolve) => {
        if (h.process.exitCode !== null || h.process.signalCode !== null) return resolve();
        h.process.once("exit", () => resolve());
        h.process.kill("SIGTERM");
    });
}

function outputsFile(port: number): string {
    const file = path.join(work, `outputs-${port}.json`);
    // What `pulumi stack output --json` prints for the demo (ids shortened).
    const outputs = {
        securityGroups: { amphora: "sg-a", healthManager: "sg-h" },
        loadBalancers: {
            lb1: {
                id: "lb1-id",
                vipAddress: VIP,
                listenerId: "listener-id",
                poolId: "pool-id",
                listenerPort: port,
                vipNetworkId: VIP_NETWORK_ID,
                members: BACKENDS.map((b) => ({ name: b.name, address: b.address, region: b.region })),
            },
        },
    };
    fs.writeFileSync(file, JSON.stringify(outputs, null, 2));
    return file;
}

interface VerifyRun {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

/** The verify command; `netnsOfProcess` runs the command itself inside a namespace (the "from this host" path). */
function verify(args: string[], options: { netnsOfProcess?: string; input?: string } = {}): VerifyRun {
    const command = options.netnsOfProcess ? ["ip", ["netns", "exec", options.netnsOfProcess, process.execPath, verifyJs, ...args]] : [process.execPath, [verifyJs, ...args]];
    const started = Date.now();
    const r = spawnSync(command[0] as string, command[1] as string[], { encoding: "utf8", input: options.input, timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** The member names in the order the report lists them (`  #1  backend2  10.0.10.12  RegionOne`). */
function answeredBy(stdout: string): string[] {
    return [...stdout.matchAll(/^ {2}#\d+\s+(\S+)/gm)].map((m) => m[1]);
}

beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error("host test needs root (network namespaces)");
    requireTools("ip", "busybox", "curl", "haproxy");
    sweepStale();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-verify-"));
    busyboxPath = path.join(work, "busybox-bin");
    fs.mkdirSync(busyboxPath);
    run("busybox", ["--install", "-s", busyboxPath]);

    // The same compilation as the `verify` npm script (scripts/run-tool.sh), into a scratch directory.
    const build = path.join(work, "build");
    run(path.join(ROOT, "node_modules", ".bin", "tsc"), ["-p", path.join(ROOT, "tsconfig.tools.json"), "--outDir", build, "--tsBuildInfoFile", path.join(build, "tsbuildinfo")]);
    verifyJs = path.join(build, "tools", "verify", "verify.js");

    // One L2 segment (the demo network): a bridge in the load balancer's namespace, whose address is the VIP.
    for (const ns of Object.values(NS)) {
        run("ip", ["netns", "add", ns]);
        run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    }
    run("ip", ["-n", NS.lb, "link", "add", "br0", "type", "bridge"]);
    run("ip", ["-n", NS.lb, "addr", "add", `${VIP}/24`, "dev", "br0"]);
    run("ip", ["-n", NS.lb, "link", "set", "br0", "up"]);
    const hosts = [{ key: "c", ns: NS.client, address: "10.0.10.2" }, ...BACKENDS.map((b, i) => ({ key: `b${i + 1}`, ns: b.ns, address: b.address }))];
    for (const host of hosts) {
        const bridgeSide = `v${process.pid}${host.key}`.slice(-15);
        const hostSide = `w${process.pid}${host.key}`.slice(-15);
        run("ip", ["link", "add", bridgeSide, "type", "veth", "peer", "name", hostSide]);
        run("ip", ["link", "set", bridgeSide, "netns", NS.lb]);
        run("ip", ["link", "set", hostSide, "netns", host.ns]);
        run("ip", ["-n", NS.lb, "link", "set", bridgeSide, "master", "br0", "up"]);
        run("ip", ["-n", host.ns, "link", "set", hostSide, "name", "eth0"]);
        run("ip", ["-n", host.ns, "addr", "add", `${host.address}/24`, "dev", "eth0"]);
        run("ip", ["-n", host.ns, "link", "set", "eth0", "up"]);
    }
    // The backends run the stack's own user-data.
    const script = path.join(work, "user-data");
    fs.writeFileSync(script, renderUserData({ ports: [80] }));
    for (const backend of BACKENDS) {
        fs.mkdirSync(path.join(work, backend.name, "etc", "rc3.d"), { recursive: true });
        backendCommand(backend, ["busybox", "sh", script]);
    }
}, 120_000);

afterAll(async () => {
    for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    for (const ns of Object.values(NS)) removeNamespace(ns);
    if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("npm run verify against HAProxy and real backends", () => {
    it("passes on round robin, from the qdhcp namespace and from a host on the network, reporting each answer", async () => {
        const haproxy = await startHaproxy(80, "roundrobin", () => "check inter 200ms fall 1 rise 1");
        try {
            const viaNetns = verify(["--outputs", outputsFile(80), "--netns", NS.client]);
            // The report that docs/demo.md shows.
            console.log(viaNetns.stdout);
            expect(viaNetns.stderr).toBe("");
            expect(viaNetns.code).toBe(0);
            const order = answeredBy(viaNetns.stdout);
            expect(order).toHaveLength(6);
            expect([...order.slice(0, 3)].sort()).toEqual(["backend1", "backend2", "backend3"]);
            expect(order.slice(3)).toEqual(order.slice(0, 3));
            expect(viaNetns.stdout).toContain(`lb1: VIP ${VIP}:80, 3 members, 6 requests from netns ${NS.client}`);
            expect(viaNetns.stdout).toMatch(/^ {2}#\d+\s+backend3\s+10\.0\.10\.13\s+RegionTwo$/m);
            expect(viaNetns.stdout).toContain(`lb1: OK - round robin over 3 members: ${order.slice(0, 3).join(" -> ")}`);
            expect(viaNetns.stdout.trim().endsWith("verify: OK (lb1)")).toBe(true);

            // The same check run on a machine of the network itself (Node's own HTTP client), outputs on stdin.
            const direct = verify(["--outputs", "-", "--count", "9"], { netnsOfProcess: NS.client, input: fs.readFileSync(outputsFile(80), "utf8") });
            expect(direct.code).toBe(0);
            expect(direct.stdout).toContain("9 requests from this host");
            expect(answeredBy(direct.stdout)).toHaveLength(9);

            // The VIP network's DHCP namespace, found from the outputs.
            const viaDhcp = verify(["--outputs", outputsFile(80), "--dhcp-netns"]);
            expect(viaDhcp.code).toBe(0);
            expect(viaDhcp.stdout).toContain(`6 requests from netns qdhcp-${VIP_NETWORK_ID}`);
        } finally {
            await stopHaproxy(haproxy);
        }
    });

    it("fails when a member never answers, though the others still take turns", async () => {
        const haproxy = await startHaproxy(81, "roundrobin", () => "check inter 200ms fall 1 rise 1");
        const backend2 = BACKENDS[1];
        try {
            backendCommand(backend2, [initScript(backend2), "stop"]);
            // As Octavia does with a health monitor: the dead member is taken out of the rotation.
            await until("haproxy to mark backend2 down", async () => (await serverStates(haproxy.socket)).backend2?.startsWith("DOWN") ?? false);
            const result = verify(["--outputs", outputsFile(81), "--netns", NS.client]);
            console.log(result.stdout);
            expect(result.code).toBe(1);
            expect(answeredBy(result.stdout).filter((name) => name === "backend2")).toEqual([]);
            expect(result.stdout).toContain("member backend2 (10.0.10.12, RegionOne) never answered");
            expect(result.stdout).not.toContain("not round robin");
            expect(result.stdout.trim().endsWith("verify: FAILED (lb1)")).toBe(true);
        } finally {
            backendCommand(backend2, [initScript(backend2), "start"]);
            await stopHaproxy(haproxy);
        }
    });

    it("fails when every member answers but not in turn (weighted balancing)", async () => {
        const haproxy = await startHaproxy(82, "roundrobin", (name) => `weight ${name === "backend1" ? 2 : 1}`);
        try {
            const result = verify(["--outputs", outputsFile(82), "--netns", NS.client, "--count", "8"]);
            console.log(result.stdout);
            expect(result.code).toBe(1);
            expect(new Set(answeredBy(result.stdout))).toEqual(new Set(["backend1", "backend2", "backend3"]));
            expect(result.stdout).toMatch(/not round robin: request #\d+ was answered by backend\d/);
            expect(result.stdout).not.toContain("never answered");
        } finally {
            await stopHaproxy(haproxy);
        }
    });

    it("fails clearly and quickly when the VIP accepts but never answers", async () => {
        // A hung amphora: the port accepts connections and then says nothing.
        const silent = spawn("ip", ["netns", "exec", NS.lb, "busybox", "nc", "-ll", "-p", "83", "-e", "sleep", "30"], { stdio: "ignore" });
        children.push(silent);
        try {
            await until("the silent listener", () => spawnSync("ip", ["netns", "exec", NS.lb, "busybox", "netstat", "-ltn"], { encoding: "utf8" }).stdout.includes(":83 "));
            const result = verify(["--outputs", outputsFile(83), "--netns", NS.client, "--timeout", "1"]);
            console.log(result.stdout);
            expect(result.code).toBe(1);
            expect(result.stdout).toContain(`VIP ${VIP}:83 did not answer within 1 s, from netns ${NS.client}`);
            // One request, not six: a dead VIP is not waited for again and again.
            expect(result.stdout).toMatch(/#1 /);
            expect(result.stdout).not.toMatch(/#2 /);
            expect(result.ms).toBeLessThan(10_000);
            // The same from the network's own stack (Node's HTTP client and its own timer instead of curl's).
            const direct = verify(["--outputs", outputsFile(83), "--timeout", "1"], { netnsOfProcess: NS.client });
            expect(direct.code).toBe(1);
            expect(direct.stdout).toContain(`VIP ${VIP}:83 did not answer within 1 s, from this host`);
        } finally {
            silent.kill("SIGKILL");
        }
    });

    it("fails clearly when the VIP is nowhere on the network", () => {
        const outputs = JSON.parse(fs.readFileSync(outputsFile(80), "utf8"));
        outputs.loadBalancers.lb1.vipAddress = "10.0.10.200";
        const file = path.join(work, "outputs-nowhere.json");
        fs.writeFileSync(file, JSON.stringify(outputs));
        const result = verify(["--outputs", file, "--netns", NS.client, "--timeout", "1"]);
        expect(result.code).toBe(1);
        expect(result.stdout).toContain(`VIP 10.0.10.200:80 did not answer within 1 s, from netns ${NS.client}`);
    });

    it("rejects a namespace that does not exist and a stack without the demo, before any request", () => {
        const missing = verify(["--outputs", outputsFile(80), "--netns", `${TAG}-nope`]);
        expect(missing.code).toBe(2);
        expect(missing.stderr).toContain(`network namespace "${TAG}-nope" does not exist`);
        const noDemo = verify(["--outputs", "-"], { input: JSON.stringify({ securityGroups: {}, regions: {} }) });
        expect(noDemo.code).toBe(2);
        expect(noDemo.stderr).toContain("the stack has no loadBalancers output");
    });
});
