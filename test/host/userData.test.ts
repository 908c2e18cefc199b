// HOST test (root): the backends' real user-data, run by busybox in a network namespace standing in for a cirros
// VM (eth0, an /etc/rc3.d that its init runs at boot), and requested over HTTP from a second namespace.
// Needs: iproute2, busybox (Debian's package), curl. Everything it starts lives in its own namespaces and is
// killed, and the namespaces deleted, in afterAll whatever happened.
import { execFile, execFileSync, spawnSync } from "child_process";
import { removeNamespace, requireCommands, sweepStaleNamespaces } from "./namespaces";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderUserData } from "../../components/demo/userData";

const PREFIX = "tlb-ud-";
const TAG = `${PREFIX}${process.pid}`;
const SERVER_NS = `${TAG}-srv`;
const CLIENT_NS = `${TAG}-cli`;
const SERVER_IP = "10.0.10.11";
const CLIENT_IP = "10.0.10.2";

let work: string;
let root: string;
let busyboxPath: string;

function run(cmd: string, args: string[], input?: string): string {
    return execFileSync(cmd, args, { encoding: "utf8", input, timeout: 20_000, stdio: ["pipe", "pipe", "pipe"] });
}

function requireTools(...tools: string[]): void {
    requireCommands(tools, "busybox curl iproute2");
}

function sweepStale(): void {
    sweepStaleNamespaces(new RegExp(`^${PREFIX}(\\d+)-`));
}

/** Runs a command in the server namespace the way cirros' init would: busybox applets first on PATH. */
function inServer(args: string[]): string {
    return run("ip", ["netns", "exec", SERVER_NS, "env", `PATH=${busyboxPath}:/usr/sbin:/usr/bin:/sbin:/bin`, `DEMO_ROOT=${root}`, ...args]);
}

interface HttpResult {
    code: number;
    status?: number;
    body: string;
    stderr: string;
}

/** A request from the client namespace; asynchronous, so that several can be in flight at once. */
function curl(url: string, timeoutSeconds = 3): Promise<HttpResult> {
    const args = ["netns", "exec", CLIENT_NS, "curl", "-sS", "--max-time", String(timeoutSeconds), "-w", "\n%{http_code}", url];
    return new Promise((resolve) => {
        execFile("ip", args, { encoding: "utf8", timeout: (timeoutSeconds + 5) * 1000 }, (error, stdout, stderr) => {
            const lines = stdout.split("\n");
            const status = Number(lines.pop());
            const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
            resolve({ code, status: code === 0 ? status : undefined, body: lines.join("\n"), stderr });
        });
    });
}

async function waitForAnswer(url: string, deadlineMs = 10_000): Promise<HttpResult> {
    const end = Date.now() + deadlineMs;
    let last = await curl(url, 1);
    while (last.status !== 200 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        last = await curl(url, 1);
    }
    return last;
}

/** Live (not zombie) processes in the server namespace. */
function liveServerProcesses(): string[] {
    const pids = (spawnSync("ip", ["netns", "pids", SERVER_NS], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean);
    return pids.filter((pid) => {
        try {
            const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
            return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
        } catch {
            return false;
        }
    });
}

beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error("host test needs root (network namespaces)");
    requireTools("ip", "busybox", "curl");
    sweepStale();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-userdata-"));
    root = path.join(work, "root");
    busyboxPath = path.join(work, "busybox-bin");
    // A cirros-like root: busybox init runs /etc/rc3.d/S* at boot, so the script must link itself there.
    fs.mkdirSync(path.join(root, "etc", "rc3.d"), { recursive: true });
    fs.mkdirSync(busyboxPath);
    run("busybox", ["--install", "-s", busyboxPath]);

    const vethServer = `u${process.pid}s`.slice(-15);
    const vethClient = `u${process.pid}c`.slice(-15);
    run("ip", ["netns", "add", SERVER_NS]);
    run("ip", ["netns", "add", CLIENT_NS]);
    run("ip", ["link", "add", vethServer, "type", "veth", "peer", "name", vethClient]);
    run("ip", ["link", "set", vethServer, "netns", SERVER_NS]);
    run("ip", ["link", "set", vethClient, "netns", CLIENT_NS]);
    run("ip", ["-n", SERVER_NS, "link", "set", vethServer, "name", "eth0"]);
    run("ip", ["-n", SERVER_NS, "addr", "add", `${SERVER_IP}/24`, "dev", "eth0"]);
    run("ip", ["-n", SERVER_NS, "link", "set", "eth0", "up"]);
    run("ip", ["-n", SERVER_NS, "link", "set", "lo", "up"]);
    run("ip", ["-n", CLIENT_NS, "addr", "add", `${CLIENT_IP}/24`, "dev", vethClient]);
    run("ip", ["-n", CLIENT_NS, "link", "set", vethClient, "up"]);
});

afterAll(() => {
    removeNamespace(SERVER_NS);
    removeNamespace(CLIENT_NS);
    if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the backends' user-data, run for real", () => {
    it("installs and starts the server, answering 'Welcome to <its IP>' on 80 and on an extra member port", async () => {
        const script = path.join(work, "user-data");
        fs.writeFileSync(script, renderUserData({ ports: [80, 8080] }));
        const started = Date.now();
        // cirros runs user-data with busybox sh; it must return promptly, leaving the server behind.
        inServer(["busybox", "sh", script]);
        expect(Date.now() - started).toBeLessThan(5_000);

        const answer = await waitForAnswer(`http://${SERVER_IP}/`);
        expect(answer).toMatchObject({ status: 200, body: `Welcome to ${SERVER_IP}\n` });
        expect(await curl(`http://${SERVER_IP}:8080/`)).toMatchObject({ status: 200, body: `Welcome to ${SERVER_IP}\n` });
        expect(fs.readlinkSync(path.join(root, "etc", "rc3.d", "S96-demo-httpd"))).toBe("../init.d/demo-httpd");
    });

    it("answers concurrent requests, and reads a slow request to its end before answering", async () => {
        const parallel = Array.from({ length: 8 }, () => curl(`http://${SERVER_IP}/`));
        for (const result of await Promise.all(parallel)) {
            expect(result).toMatchObject({ status: 200, body: `Welcome to ${SERVER_IP}\n` });
        }
        // The request line, a pause, then the blank line: nothing may come back before the request is complete
        // (closing with unread input resets the connection, and a client or proxy may drop the answer with it).
        const probe = `
            const socket = require("net").connect(80, "${SERVER_IP}");
            let complete = false, early = "", answer = "";
            socket.on("data", (d) => { if (complete) answer += d; else early += d; });
            socket.on("error", () => {});
            socket.on("connect", () => {
                socket.write("GET / HTTP/1.0\\r\\nHost: x\\r\\n");
                setTimeout(() => { complete = true; if (!socket.destroyed) socket.write("\\r\\n"); }, 500);
            });
            const guard = setTimeout(() => socket.destroy(), 5000);
            socket.on("close", () => { clearTimeout(guard); console.log(JSON.stringify({ early, answer })); });
        `;
        const { early, answer } = JSON.parse(run("ip", ["netns", "exec", CLIENT_NS, process.execPath, "-e", probe]));
        expect(early).toBe("");
        expect(answer).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
        expect(answer).toContain("Content-Length: 22\r\n");
        expect(answer.endsWith(`\r\n\r\nWelcome to ${SERVER_IP}\n`)).toBe(true);
    });

    it("starts only once, however often start runs", () => {
        const pidfile = path.join(root, "var", "run", "demo-httpd.pid");
        const before = fs.readFileSync(pidfile, "utf8");
        inServer([path.join(root, "etc", "init.d", "demo-httpd"), "start"]);
        expect(fs.readFileSync(pidfile, "utf8")).toBe(before);
        expect(inServer([path.join(root, "etc", "init.d", "demo-httpd"), "status"]).trim()).toBe("running");
    });

    it("comes back after a reboot, answering with the address it has then", async () => {
        // Power off: every process dies at once and /var/run (tmpfs) is empty again.
        for (const pid of liveServerProcesses()) process.kill(Number(pid), "SIGKILL");
        fs.rmSync(path.join(root, "var", "run"), { recursive: true, force: true });
        expect((await curl(`http://${SERVER_IP}/`, 1)).status).toBeUndefined();
        // DHCP may hand out another address after the reboot.
        run("ip", ["-n", SERVER_NS, "addr", "flush", "dev", "eth0"]);
        run("ip", ["-n", SERVER_NS, "addr", "add", "10.0.10.21/24", "dev", "eth0"]);
        // What cirros' rc.sysinit does: every /etc/rc3.d/S* with "start", in order.
        const rc3 = path.join(root, "etc", "rc3.d");
        for (const entry of fs.readdirSync(rc3).filter((e) => e.startsWith("S")).sort()) {
            inServer([path.join(rc3, entry), "start"]);
        }
        expect(await waitForAnswer("http://10.0.10.21/")).toMatchObject({ status: 200, body: "Welcome to 10.0.10.21\n" });
        expect(await waitForAnswer("http://10.0.10.21:8080/")).toMatchObject({ status: 200, body: "Welcome to 10.0.10.21\n" });
    });

    it("stop takes every listener and handler down", async () => {
        inServer([path.join(root, "etc", "init.d", "demo-httpd"), "stop"]);
        const end = Date.now() + 5_000;
        while (liveServerProcesses().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
        expect(liveServerProcesses()).toEqual([]);
        const refused = await curl("http://10.0.10.21/", 1);
        expect(refused.status).toBeUndefined();
        expect(refused.stderr).toMatch(/Couldn't connect|Connection refused/);
    });
});
