// What `openstack loadbalancer amphora configure` does to a running amphora's heartbeats, with Octavia's own agent
// and Octavia's own controller code: the push the stack asks for after a heartbeat key rotation or a controller
// change (components/amphora/agentConfigProvider.ts), measured where it matters, at the health managers.
//
// The amphora is a network namespace of its own with a private mount namespace: tmpfs over /etc/octavia,
// /var/lib/octavia and /var/log, so that the agent reads and rewrites its own files exactly where an amphora keeps
// them and nothing of this machine's. (The agent rewrites the first file oslo.config's default search finds for
// project `octavia`, prog `amphora-agent`: on a host with an /etc/octavia/octavia.conf that is that file, which is why
// the agent must never run outside such a namespace.) In it: the agent (`amphora-agent`, gunicorn over mutual TLS on
// 127.0.0.1:9443, its health sender sending one heartbeat a second), and two health managers' ears (127.0.0.1:5555
// and 127.0.0.2:5555) that open each heartbeat with unwrap_envelope, the health manager's own check. The controller's
// side is the lab's Octavia (the distribution's 11.0.0): the amphora's certificate from local_cert_generator and the
// stack's own region PKI, the push rendered by AgentJinjaTemplater and sent by the REST driver, as the worker's
// AmphoraConfigUpdate task does. The PKI and the keys stay in files of a private folder and on standard input.
//
// Two agents, the only difference between the two cases:
// - the distribution's, Octavia 11.0.0: it answers the push, rewrites its file and mutates its API process's
//   options, but its heartbeats come from a separate process that never reloads (Octavia bug 2121691, fixed by
//   commit 69af193d, "Fix Amphora controller IP list update", in 15.1.0, 16.0.1 and 17.0.0): they stay signed with the
//   old key, to the old list, until the agent restarts;
// - Octavia 15.1.0 from PyPI (the first release with that fix; installed without dependencies into a venv over the
//   distribution's libraries, cached per user): the same push reaches its heartbeats within two heartbeat intervals
//   (the sender checks for a reload after each heartbeat, then sleeps one interval).
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateRegionPki } from "../../components/amphora/pki";
import { PKI_FILES } from "../../components/amphora/pkiMaterial";
import { run } from "./harness";
import { waitUntil } from "./heartbeat";
import { requireCommands, removeNamespace, sweepStaleNamespaces } from "./namespaces";

const PY = "/usr/bin/python3"; // the distribution's interpreter, with python3-octavia 11.0.0
const HELPER = path.join(__dirname, "..", "python", "amphora_agent_push.py");
const FIXED_RELEASE = "15.1.0";
const FIXED_VENV = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "tricircle-lbaas", "octavia-agent", FIXED_RELEASE);
const NS_RE = /^tlbap-(\d+)-\d+$/;
const INTERVAL_S = 1;
const OLD = "127.0.0.1:5555";
const ADDED = "127.0.0.2:5555";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The agent of the fixed release, built once per user: a venv over the distribution's libraries, octavia alone in it. */
async function fixedAgentPython(): Promise<string> {
    const python = path.join(FIXED_VENV, "bin", "python");
    if (fs.existsSync(path.join(FIXED_VENV, ".complete"))) return python;
    // Built beside its place and renamed into it: a killed build leaves no venv that looks whole.
    const building = `${FIXED_VENV}.building-${process.pid}`;
    fs.rmSync(building, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(FIXED_VENV), { recursive: true });
    const steps: Array<[string, string[]]> = [
        [PY, ["-m", "venv", "--system-site-packages", building]],
        [path.join(building, "bin", "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", `octavia==${FIXED_RELEASE}`]],
    ];
    for (const [file, args] of steps) {
        const r = await run(file, args, { timeoutMs: 300_000 });
        if (r.code !== 0) throw new Error(`building the Octavia ${FIXED_RELEASE} agent failed (${file} ${args.join(" ")}, exit ${r.code}):\n${r.stderr}`);
    }
    fs.writeFileSync(path.join(building, ".complete"), `octavia==${FIXED_RELEASE}\n`);
    fs.rmSync(FIXED_VENV, { recursive: true, force: true });
    fs.renameSync(building, FIXED_VENV);
    return python;
}

interface Heartbeat {
    t: number;
    to: string;
    key: "old" | "new" | null;
}

/** One amphora: the namespaces, the agent, and the health managers' ears, all inside. */
class NamespaceAmphora {
    readonly ns: string;
    readonly id = crypto.randomUUID();
    readonly heartbeats: Heartbeat[] = [];
    private holder?: ChildProcess;
    private agent?: ChildProcess;
    private listener?: ChildProcess;
    private agentRuns = 0;

    constructor(
        private readonly dir: string,
        n: number,
        private readonly python: string,
    ) {
        this.ns = `tlbap-${process.pid}-${n}`;
    }

    /** The namespaces, held by a sleeping process; the agent's files in them as an amphora's config drive leaves them. */
    async boot(agentConf: string, serverPem: string, clientCa: string): Promise<void> {
        execFileSync("ip", ["netns", "add", this.ns]);
        execFileSync("ip", ["-n", this.ns, "link", "set", "lo", "up"]);
        const files = path.join(this.dir, "boot");
        fs.mkdirSync(files, { mode: 0o700 });
        fs.writeFileSync(path.join(files, "amphora-agent.conf"), agentConf, { mode: 0o600 });
        fs.writeFileSync(path.join(files, "server.pem"), serverPem, { mode: 0o600 });
        fs.writeFileSync(path.join(files, "client_ca.pem"), clientCa);
        // `ip netns exec` gives the command a mount namespace of its own, slave to this machine's: mounts made in it
        // stay in it.
        const script = [
            "set -e",
            "for d in /etc/octavia /var/lib/octavia /var/log; do mount -t tmpfs tlb-amphora \"$d\"; done",
            "mkdir -p /etc/octavia/certs",
            `cp "$1/amphora-agent.conf" /etc/octavia/amphora-agent.conf`,
            `cp "$1/server.pem" "$1/client_ca.pem" /etc/octavia/certs/`,
            "chmod 600 /etc/octavia/amphora-agent.conf /etc/octavia/certs/server.pem",
            "echo ready",
            "exec sleep 3600",
        ].join("\n");
        this.holder = spawn("ip", ["netns", "exec", this.ns, "sh", "-c", script, "sh", files], { stdio: ["ignore", "pipe", "pipe"] });
        await new Promise<void>((resolve, reject) => {
            let err = "";
            this.holder!.stderr!.on("data", (d: Buffer) => (err += d.toString()));
            this.holder!.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
            this.holder!.on("exit", (code) => reject(new Error(`the amphora's namespaces did not come up (exit ${code}): ${err}`)));
        });
    }

    private enter(args: string[], detached = false): ChildProcess {
        return spawn("nsenter", ["-t", String(this.holder!.pid), "-m", "-n", ...args], { stdio: ["pipe", "pipe", "pipe"], detached });
    }

    /** Both health managers' ears, the keys on standard input. */
    async listen(keys: { old: string; new: string }): Promise<void> {
        this.listener = this.enter([PY, HELPER, "listen"]);
        this.listener.stdin!.end(JSON.stringify({ controllers: [OLD, ADDED], keys }));
        await new Promise<void>((resolve, reject) => {
            let buf = "";
            this.listener!.stdout!.on("data", (d: Buffer) => {
                buf += d.toString();
                const lines = buf.split("\n");
                buf = lines.pop() ?? "";
                for (const line of lines.filter(Boolean)) {
                    const msg = JSON.parse(line) as Heartbeat | { listening: true };
                    if ("listening" in msg) resolve();
                    else this.heartbeats.push(msg);
                }
            });
            this.listener!.on("exit", (code) => reject(new Error(`the health managers' ears stopped (exit ${code})`)));
        });
    }

    /** `amphora-agent --config-file /etc/octavia/amphora-agent.conf`, as the amphora's unit starts it. */
    startAgent(): void {
        const log = fs.openSync(path.join(this.dir, `agent-${++this.agentRuns}.log`), "w");
        this.agent = this.enter([this.python, path.join(path.dirname(this.python), "amphora-agent"), "--config-file", "/etc/octavia/amphora-agent.conf"], true);
        this.agent.stdout!.on("data", (d: Buffer) => fs.writeSync(log, d));
        this.agent.stderr!.on("data", (d: Buffer) => fs.writeSync(log, d));
        this.agent.on("exit", () => fs.closeSync(log));
    }

    /** The agent and every process it forked (the health sender, gunicorn's worker): one process group. */
    stopAgent(): void {
        if (this.agent?.pid !== undefined && this.agent.exitCode === null) {
            try {
                process.kill(-this.agent.pid, "SIGKILL");
            } catch {
                // Already gone.
            }
        }
        this.agent = undefined;
    }

    /** The agent's configuration file as it is now, inside the amphora. */
    agentConf(): string {
        return execFileSync("nsenter", ["-t", String(this.holder!.pid), "-m", "cat", "/etc/octavia/amphora-agent.conf"], { encoding: "utf8" });
    }

    /** The worker's AmphoraConfigUpdate: Octavia 11.0.0's templater and REST driver, with the controller's conf. */
    async push(controllerConf: string): Promise<{ sent: number; answered: number }> {
        const child = this.enter([PY, HELPER, "push", controllerConf]);
        child.stdin!.end(JSON.stringify({ amphora_id: this.id, ip: "127.0.0.1" }));
        let out = "";
        let err = "";
        child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
        if (code !== 0) throw new Error(`the push failed (exit ${code}):\n${err}`);
        return JSON.parse(out.trim().split("\n").pop()!) as { sent: number; answered: number };
    }

    /** Waits until `found`; a timeout names the last heartbeats heard. */
    async waitFor(what: string, timeoutMs: number, found: () => boolean): Promise<void> {
        await waitUntil(what, timeoutMs, async () => found(), 100).catch((e: Error) => {
            throw new Error(`${e.message}; heartbeats: ${JSON.stringify(this.heartbeats.slice(-8))}`);
        });
    }

    stop(): void {
        this.stopAgent();
        this.listener?.kill("SIGKILL");
        this.holder?.kill("SIGKILL");
        removeNamespace(this.ns);
    }
}

let work: string;
let serverCa: { cert: string; key: string; passphrase: string };
let clientCaPem: string;
const amphorae: NamespaceAmphora[] = [];

/** A controller's octavia.conf as the push renders from it: the region's PKI, the health managers, the key. */
function controllerConf(name: string, key: string, controllers: string[]): string {
    const file = path.join(work, name);
    const body = [
        "[haproxy_amphora]",
        `client_cert = ${path.join(work, PKI_FILES.clientCertAndKey)}`,
        `server_ca = ${path.join(work, PKI_FILES.serverCaCertificate)}`,
        "bind_host = 127.0.0.1",
        "bind_port = 9443",
        "[health_manager]",
        `controller_ip_port_list = ${controllers.join(", ")}`,
        `heartbeat_interval = ${INTERVAL_S}`,
        `heartbeat_key = ${key}`,
        "[controller_worker]",
        "loadbalancer_topology = SINGLE",
        "",
    ].join("\n");
    fs.writeFileSync(file, body, { mode: 0o600 });
    return file;
}

/** An amphora booted with the old key and only the first health manager, as the amphora-create flow configures it. */
async function bootAmphora(python: string, keys: { old: string; new: string }): Promise<NamespaceAmphora> {
    const dir = fs.mkdtempSync(path.join(work, "amphora-"));
    const amp = new NamespaceAmphora(dir, amphorae.length, python);
    amphorae.push(amp);
    const serverPem = path.join(dir, "server.pem");
    const sign = await run(PY, [HELPER, "sign"], {
        input: JSON.stringify({ amphora_id: amp.id, ca_cert: serverCa.cert, ca_key: serverCa.key, ca_key_pass: serverCa.passphrase, out: serverPem }),
        timeoutMs: 60_000,
    });
    if (sign.code !== 0) throw new Error(`signing the amphora's certificate failed:\n${sign.stderr}`);
    const agentConf = [
        "[DEFAULT]",
        "use_syslog = False",
        "[haproxy_amphora]",
        "bind_host = 127.0.0.1",
        "bind_port = 9443",
        "[health_manager]",
        `controller_ip_port_list = ${OLD}`,
        `heartbeat_interval = ${INTERVAL_S}`,
        `heartbeat_key = ${keys.old}`,
        "[amphora_agent]",
        `amphora_id = ${amp.id}`,
        "[controller_worker]",
        "loadbalancer_topology = SINGLE",
        "",
    ].join("\n");
    await amp.boot(agentConf, fs.readFileSync(serverPem, "utf8"), clientCaPem);
    fs.rmSync(serverPem);
    await amp.listen(keys);
    amp.startAgent();
    // Three heartbeats with the old key at the one health manager it knows: the agent runs as booted.
    await amp.waitFor("the first three heartbeats", 30_000, () => amp.heartbeats.filter((h) => h.to === OLD && h.key === "old").length >= 3);
    return amp;
}

const release = (python: string) => execFileSync(python, ["-c", "import importlib.metadata as m; print(m.version('octavia'))"], { encoding: "utf8" }).trim();
const newKeys = () => ({ old: crypto.randomBytes(24).toString("hex"), new: crypto.randomBytes(24).toString("hex") });

describe("Octavia's agent-config push, at the health managers", () => {
    beforeAll(async () => {
        requireCommands(["ip", "nsenter", PY], "iproute2 util-linux python3-octavia");
        sweepStaleNamespaces(NS_RE);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-agent-push-"));
        fs.chmodSync(work, 0o700);
        const pki = await generateRegionPki({ region: "RegionOne", caValidityDays: 2, clientValidityDays: 2 });
        const write = (name: string, text: string) => fs.writeFileSync(path.join(work, name), text, { mode: 0o600 });
        write(PKI_FILES.serverCaCertificate, pki.serverCaCertificate);
        write(PKI_FILES.serverCaPrivateKey, pki.serverCaPrivateKey);
        write(PKI_FILES.clientCertAndKey, pki.clientCertificate + pki.clientPrivateKey);
        serverCa = { cert: path.join(work, PKI_FILES.serverCaCertificate), key: path.join(work, PKI_FILES.serverCaPrivateKey), passphrase: pki.serverCaPassphrase };
        clientCaPem = pki.clientCaCertificate;
    }, 600_000);

    afterAll(() => {
        for (const amp of amphorae) amp.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("an agent of Octavia 11.0.0 takes the push into its file but keeps signing heartbeats with the old key, to the old list, until it restarts", async () => {
        expect(release(PY)).toBe("11.0.0");
        const keys = newKeys();
        const amp = await bootAmphora(PY, keys);
        const pushed = await amp.push(controllerConf("controller-11.conf", keys.new, [OLD, ADDED]));
        // The push landed: the agent's file has the new key and both health managers.
        const conf = amp.agentConf();
        expect(conf).toContain(`heartbeat_key = ${keys.new}`);
        expect(conf).toContain(`controller_ip_port_list = ${OLD}, ${ADDED}`);
        // Eight heartbeat intervals later every heartbeat is still the old key's, all to the first health manager.
        await sleep(8_000);
        const after = amp.heartbeats.filter((h) => h.t > pushed.answered);
        expect(after.length).toBeGreaterThanOrEqual(6);
        expect(after.every((h) => h.key === "old" && h.to === OLD)).toBe(true);
        // What takes the file is a restart of the agent (a reboot or a failover of the amphora).
        amp.stopAgent();
        const restarted = amp.heartbeats.length;
        amp.startAgent();
        await amp.waitFor("heartbeats with the new key at both health managers", 30_000, () =>
            [OLD, ADDED].every((to) => amp.heartbeats.slice(restarted).some((h) => h.to === to && h.key === "new")),
        );
        console.log(`Octavia 11.0.0: push answered in ${((pushed.answered - pushed.sent) * 1000).toFixed(0)} ms; ${after.length} heartbeats in the next 8 s, all with the old key to ${OLD}; after a restart of the agent, the new key to both`);
    });

    it(`an agent of Octavia ${FIXED_RELEASE} applies the push to its heartbeats within two heartbeat intervals`, async () => {
        const python = await fixedAgentPython();
        expect(release(python)).toBe(FIXED_RELEASE);
        const keys = newKeys();
        const amp = await bootAmphora(python, keys);
        const pushed = await amp.push(controllerConf("controller-fixed.conf", keys.new, [OLD, ADDED]));
        await amp.waitFor("a heartbeat with the new key", 10_000, () => amp.heartbeats.some((h) => h.t > pushed.answered && h.key === "new"));
        const first = amp.heartbeats.find((h) => h.t > pushed.answered && h.key === "new")!;
        const window = first.t - pushed.answered;
        expect(window).toBeLessThanOrEqual(2 * INTERVAL_S + 0.5);
        // From then on only the new key, and the added health manager hears its share (one heartbeat each, in turn).
        await amp.waitFor("a heartbeat at the added health manager", 10_000, () => amp.heartbeats.some((h) => h.t >= first.t && h.to === ADDED));
        const since = amp.heartbeats.filter((h) => h.t >= first.t);
        expect(since.every((h) => h.key === "new")).toBe(true);
        expect(new Set(since.map((h) => h.to))).toEqual(new Set([OLD, ADDED]));
        console.log(`Octavia ${FIXED_RELEASE}: push answered in ${((pushed.answered - pushed.sent) * 1000).toFixed(0)} ms; first heartbeat with the new key ${window.toFixed(2)} s after (interval ${INTERVAL_S} s)`);
    });
});
