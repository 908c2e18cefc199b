// Host-test harness: "controller nodes" as network namespaces on this machine.
//
// Each node is a network namespace plus a private mount namespace in which /etc, /var/lib and
// /usr/local are overlays (writes land in the node's temp dir, never on this machine's files)
// and /run is a directory of the temp dir. Inside run the node's own Open vSwitch (ovsdb-server
// and ovs-vswitchd, userspace datapath, rundir/db/logs under the temp dir, never the system's
// /var/run/openvswitch), its own iptables/ip6tables tables, an sshd on a link-local address
// (host key and client key generated per lab), and for DHCP tests a dnsmasq on an OVS internal
// port standing in for Neutron's DHCP port. The test process reaches sshd over a veth pair;
// the only addresses used are 169.254.77.0/24 link-local /30s and the namespaces' own.
//
// Teardown kills every process of every namespace, deletes the namespaces and temp dirs, also
// after a failed test; a new lab first sweeps what a killed earlier run of this harness left.

import { execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach } from "vitest";
import { ControllerNode, ControllerNodeArgs, NodeCommand, RETIRED_COMMANDS, SSH_DIAL_POLICY } from "../../components/node/controllerNode";
import { controllerNodeArgs, FlatNodeArgs } from "../support/controllerNodeArgs";
import { Drift, DriftConnection, parseNodeCheck } from "../../components/node/nodeDrift";

export interface RunResult {
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
    ms: number;
    timedOut: boolean;
}

export interface RunOptions {
    input?: string;
    timeoutMs?: number;
    /** Throw unless the command exits 0. */
    check?: boolean;
}

/** Runs a program (no shell), feeding `input` on stdin; bounded by `timeoutMs`. */
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.stdin.on("error", () => undefined); // the program may exit without reading stdin
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, opts.timeoutMs ?? 60_000);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            const result = { code, signal, stdout, stderr, ms: Date.now() - started, timedOut };
            if (opts.check && code !== 0) {
                reject(new Error(`${file} ${args.join(" ")} exited ${code ?? signal}${timedOut ? " (timed out)" : ""}\n${stderr}\n${stdout}`));
            } else {
                resolve(result);
            }
        });
        child.stdin.end(opts.input ?? "");
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(100);
    }
}

// ---------------------------------------------------------------------------------------------
// The scripts under test, taken from the component itself (Pulumi mocks).

/** The node's commands that run something: the plane, the certificates (with a PKI), octavia.conf. */
export type { NodeCommand };

export interface RegisteredCommand {
    create: string;
    update: string;
    delete: string;
    stdin?: string;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const unwrapSecret = (v: unknown): unknown =>
    v && typeof v === "object" && (v as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG ? (v as { value: unknown }).value : v;

/** The drift check (NodeDrift's inputs) of a ControllerNode, as the component registers it. */
export interface RegisteredCheck {
    script: string;
    stdin: string;
    connection: DriftConnection;
}

const driftChecks = new WeakMap<object, RegisteredCheck>();

/** The drift check registered with these commands (by `commandsOf`). */
export function driftCheckOf(commands: Record<NodeCommand, RegisteredCommand>): RegisteredCheck {
    const c = driftChecks.get(commands);
    if (!c) throw new Error("no drift check was registered with these commands");
    return c;
}

/** Runs the drift check over the harness's own ssh client and returns what it found. */
export async function checkNode(node: HostNode, commands: Record<NodeCommand, RegisteredCommand>): Promise<Drift[]> {
    const check = driftCheckOf(commands);
    const r = await node.ssh(check.script, { input: check.stdin, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`drift check exited ${r.code}\n${r.stderr}`);
    return parseNodeCheck(r.stdout);
}

let mocksInstalled = false;
const registrations: Array<{ name: string; type: string; inputs: Record<string, unknown> }> = [];

/**
 * Builds a ControllerNode under Pulumi mocks and returns the remote commands that run something exactly as the
 * component registers them (create/update/delete text and stdin), so host tests run the real thing.
 */
export async function commandsOf(args: ControllerNodeArgs): Promise<Record<NodeCommand, RegisteredCommand>> {
    if (!mocksInstalled) {
        await pulumi.runtime.setMocks(
            {
                newResource: (a) => {
                    registrations.push({ name: a.name, type: a.type, inputs: a.inputs });
                    const stdout = a.name.endsWith("-plane") ? "OHM0 ip=192.0.2.1 prefix=24 mac=fa:16:3e:00:00:01" : "";
                    return { id: `${a.name}-id`, state: { ...a.inputs, stdout, stderr: "" } };
                },
                call: (a) => a.inputs,
            },
            "tricircle-lbaas",
            "host-test",
            false,
        );
        mocksInstalled = true;
    }
    const name = `node${createHash("sha1").update(JSON.stringify(args)).digest("hex").slice(0, 8)}${registrations.length}`;
    const before = registrations.length;
    new ControllerNode(name, args);
    // The certificates command exists only with a PKI; the retired ones always (ControllerNode says why).
    const expected = (args.amphora?.pki !== undefined ? 3 : 2) + RETIRED_COMMANDS.length;
    await waitFor("the component's commands", 10_000, () => registrations.slice(before).filter((r) => r.type === "command:remote:Command").length === expected);
    const out = {} as Record<NodeCommand, RegisteredCommand>;
    const drift = registrations.slice(before).find((x) => x.type === "pulumi-nodejs:dynamic:Resource" && x.name === `${name}-drift`);
    if (drift) {
        driftChecks.set(out, {
            script: String(drift.inputs.check),
            stdin: String(unwrapSecret(drift.inputs.checkStdin)),
            connection: unwrapSecret(drift.inputs.connection) as DriftConnection,
        });
    }
    for (const r of registrations.slice(before).filter((x) => x.type === "command:remote:Command")) {
        const commandName = r.name.slice(name.length + 1);
        if ((RETIRED_COMMANDS as readonly string[]).includes(commandName)) {
            // Nothing for a node to run: the provider makes no login for them.
            if (r.inputs.create !== undefined || r.inputs.delete !== undefined) throw new Error(`${r.name} has a script to run`);
            continue;
        }
        const stdin = unwrapSecret(r.inputs.stdin);
        out[commandName as NodeCommand] = {
            create: String(r.inputs.create),
            // What the provider runs on update: `update`, or `create` again when it is unset.
            update: String(r.inputs.update ?? r.inputs.create),
            delete: String(r.inputs.delete),
            stdin: typeof stdin === "string" ? stdin : undefined,
        };
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Nodes

export const TEST_USER = "tlbstack"; // a non-root SSH user with passwordless sudo, like "stack"
export const MGMT = { subnet: "192.168.10.0/24", prefixLength: 24, dhcpServer: "192.168.10.2", dhcpServerMac: "fa:16:3e:00:00:02", offeredRouter: "192.168.10.1" };

export interface DhcpOptions {
    mac: string;
    ip: string;
}

export interface NodeOptions {
    /**
     * The node's own host name (a UTS namespace); default: this machine's. In a lab made with `neutronAgents` it is
     * also the Neutron host of the node's L2 agent, and required.
     */
    hostname?: string;
    /** octavia.conf as it is before the stack touches it; mode/owner as given. */
    octaviaConf?: { path: string; content: string; mode: number; uid: number; gid: number };
}

const NODE_SCRIPTS = path.join(__dirname, "..", "..", "lab", "node");
const NODE_AGENT = path.join(__dirname, "..", "..", "lab", "node-agent.sh");
/** The bridge and ports a node's L2 agent makes on its own Open vSwitch: br-tun, its patch ports, a tunnel per agent. */
const AGENT_OWNED = /^(br-tun|patch-.*|vxlan-.*)$/;

export class HostNode {
    readonly sshHost: string;
    readonly hostSide: string;
    readonly knownHosts: string;
    hostKey = "";
    private anchorPid = 0;
    /** The Neutron host of the node's L2 agent, when the lab runs one. */
    private agentHost: string | undefined;

    constructor(
        readonly lab: Lab,
        readonly index: number,
        readonly ns: string,
        readonly dir: string,
    ) {
        this.sshHost = `169.254.77.${index * 4 + 2}`;
        this.hostSide = `169.254.77.${index * 4 + 1}`;
        this.knownHosts = path.join(dir, "ssh", "known_hosts");
    }

    get vethHost(): string {
        return `${this.lab.prefix}h${this.index}`;
    }

    get vethNode(): string {
        return `${this.lab.prefix}n${this.index}`;
    }

    /** Runs a program inside the node (its network and mount namespaces) as root. */
    exec(args: string[], opts: RunOptions = {}): Promise<RunResult> {
        return run("nsenter", ["-t", String(this.anchorPid), "-m", "-n", "--", ...args], opts);
    }

    sh(script: string, opts: RunOptions = {}): Promise<RunResult> {
        return this.exec(["bash", "-c", script], { check: true, ...opts });
    }

    /**
     * The real ssh client with the connection policy ControllerNode gives the provider:
     * pinned host key, key auth, SSH_DIAL_POLICY attempts of SSH_DIAL_POLICY timeout seconds.
     */
    ssh(command: string, opts: { input?: string; user?: string; timeoutMs?: number } = {}): Promise<RunResult> {
        return run(
            "ssh",
            [
                "-F", "/dev/null",
                "-i", this.lab.clientKey,
                "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes",
                "-o", `UserKnownHostsFile=${this.knownHosts}`,
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes",
                "-o", "HostKeyAlgorithms=ssh-ed25519",
                "-o", `ConnectTimeout=${SSH_DIAL_POLICY.perDialTimeout}`,
                "-o", `ConnectionAttempts=${SSH_DIAL_POLICY.dialErrorLimit}`,
                "-o", "LogLevel=ERROR",
                "--", `${opts.user ?? TEST_USER}@${this.sshHost}`, command,
            ],
            { input: opts.input, timeoutMs: opts.timeoutMs ?? 700_000 },
        );
    }

    async start(opts: NodeOptions): Promise<void> {
        const d = this.dir;
        // The SSH user (not root) reads authorized_keys by this path; mkdtemp makes 0700 dirs.
        fs.chmodSync(this.lab.dir, 0o755);
        fs.chmodSync(d, 0o755);
        fs.mkdirSync(path.join(d, "ssh"), { recursive: true });
        fs.mkdirSync(path.join(d, "log"), { recursive: true });
        await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${this.ns}-host`, "-f", path.join(d, "ssh", "host_ed25519")], { check: true });
        this.hostKey = fs.readFileSync(path.join(d, "ssh", "host_ed25519.pub"), "utf8").trim();
        fs.writeFileSync(this.knownHosts, `${this.sshHost} ${this.hostKey.split(" ").slice(0, 2).join(" ")}\n`);
        fs.copyFileSync(`${this.lab.clientKey}.pub`, path.join(d, "ssh", "authorized_keys"));
        const conf = opts.octaviaConf;
        if (conf) fs.writeFileSync(path.join(d, "octavia.conf.baseline"), conf.content);
        // The same node the local cloud runs (lab/node/init.sh), on this test's addresses.
        const nodeEnv = [
            `NODE_DIR=${d}`,
            `NODE_ADDR=${this.sshHost}`,
            "NODE_PREFIX=30",
            `NODE_VETH=${this.vethNode}`,
            `NODE_USER=${TEST_USER}`,
            ...(opts.hostname ? [`NODE_HOSTNAME=${opts.hostname}`] : []),
            ...(conf ? [`NODE_OCTAVIA_CONF=${conf.path}`, `NODE_OCTAVIA_CONF_OWNER=${conf.uid}:${conf.gid}`, `NODE_OCTAVIA_CONF_MODE=${conf.mode.toString(8)}`] : []),
        ];
        await run("ip", ["netns", "add", this.ns], { check: true });
        await run("ip", ["link", "add", this.vethHost, "type", "veth", "peer", "name", this.vethNode], { check: true });
        await run("ip", ["link", "set", this.vethNode, "netns", this.ns], { check: true });
        await run("ip", ["addr", "add", `${this.hostSide}/30`, "dev", this.vethHost], { check: true });
        await run("ip", ["link", "set", this.vethHost, "up"], { check: true });
        const log = fs.openSync(path.join(d, "log", "init.log"), "a");
        const init = spawn("ip", ["netns", "exec", this.ns, "env", ...nodeEnv, "bash", path.join(NODE_SCRIPTS, "init.sh")], { detached: true, stdio: ["ignore", log, log] });
        init.unref();
        fs.closeSync(log);
        try {
            await waitFor(`node ${this.ns} to start`, 20_000, () => fs.existsSync(path.join(d, "anchor.pid")) || init.exitCode !== null);
            if (!fs.existsSync(path.join(d, "anchor.pid"))) throw new Error("init exited");
        } catch (e) {
            throw new Error(`node ${this.ns} did not start: ${(e as Error).message}\n${fs.readFileSync(path.join(d, "log", "init.log"), "utf8")}`);
        }
        this.anchorPid = Number(fs.readFileSync(path.join(d, "anchor.pid"), "utf8").trim());
        await this.settle();
        let last: RunResult | undefined;
        try {
            await waitFor(`sshd of ${this.ns}`, 15_000, async () => (last = await this.ssh("true", { timeoutMs: 5_000 })).code === 0);
        } catch (e) {
            const sshdLog = fs.existsSync(path.join(d, "log", "sshd.log")) ? fs.readFileSync(path.join(d, "log", "sshd.log"), "utf8") : "(no sshd log)";
            throw new Error(`${(e as Error).message}\nssh: ${last?.stderr}\nsshd log:\n${sshdLog}\ninit log:\n${fs.readFileSync(path.join(d, "log", "init.log"), "utf8")}`);
        }
        if (this.lab.neutronAgents) {
            if (!opts.hostname) throw new Error("a lab with neutronAgents needs every node's hostname (its Neutron host)");
            this.agentHost = opts.hostname;
            // The local cloud's Neutron then binds the node's health-manager port and marks it ACTIVE, as on a real
            // controller (lab/node-agent.sh says how).
            await run("bash", [NODE_AGENT, "start", opts.hostname, path.join(d, "run"), this.hostSide], { check: true, timeoutMs: 120_000 });
        }
    }

    /** Baselines must not catch IPv6 duplicate address detection half-way. */
    async settle(): Promise<void> {
        await waitFor(`${this.ns} addresses to settle`, 10_000, async () => !(await this.exec(["ip", "-o", "addr", "show", "tentative"])).stdout.trim());
        // sshd's processes of a session that has just ended exit a moment after the client saw it end (later on a
        // loaded machine): give them up to 5 s. A session still open after that shows in the snapshot, as it should.
        const deadline = Date.now() + 5_000;
        while ((await this.processNames()).filter((n) => n === "sshd").length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }

    async startOvs(): Promise<void> {
        await this.exec(["env", `NODE_DIR=${this.dir}`, "bash", path.join(NODE_SCRIPTS, "ovs-start.sh")], { check: true });
    }

    /**
     * Stops ovs-vswitchd, and ovsdb-server too unless `vswitchdOnly`. With `reboot`, the devices
     * of the datapath disappear as they would at a reboot.
     */
    async stopOvs(opts: { vswitchdOnly?: boolean; reboot?: boolean } = {}): Promise<void> {
        const ports = opts.reboot ? (await this.exec(["ovs-vsctl", "--timeout=10", "--bare", "--columns=name", "list", "Interface"], { check: true })).stdout.split("\n").filter(Boolean) : [];
        await this.exec(["ovs-appctl", "--timeout=10", "-t", "ovs-vswitchd", "exit"], { timeoutMs: 15_000 });
        if (!opts.vswitchdOnly) await this.exec(["ovs-appctl", "--timeout=10", "-t", "ovsdb-server", "exit"], { timeoutMs: 15_000 });
        const gone = opts.vswitchdOnly ? ["ovs-vswitchd"] : ["ovs-vswitchd", "ovsdb-server"];
        await waitFor("OVS daemons to exit", 10_000, async () => !(await this.processNames()).some((n) => gone.includes(n)));
        for (const dev of [...ports, "ovs-netdev"]) await this.exec(["ip", "link", "del", dev]);
    }

    async startDhcp(d: DhcpOptions): Promise<void> {
        const dir = this.dir;
        await this.sh(
            [
                // A fixed MAC, as Neutron's DHCP port has, so a "reboot" leaves the node's addresses comparable.
                `ovs-vsctl --timeout=20 --may-exist add-port br-int tap-dhcp -- set Interface tap-dhcp type=internal 'mac="${MGMT.dhcpServerMac}"'`,
                "for i in $(seq 50); do [ -e /sys/class/net/tap-dhcp ] && break; sleep 0.1; done",
                `ip addr replace ${MGMT.dhcpServer}/${MGMT.prefixLength} dev tap-dhcp`,
                "ip link set tap-dhcp up",
                // Router and DNS are forced on every reply, as a careless DHCP server might: the
                // o-hm0 client must still install neither a default route nor resolv.conf.
                [
                    "dnsmasq --conf-file=/dev/null --no-hosts --no-resolv --port=0 --interface=tap-dhcp --bind-interfaces",
                    "--dhcp-authoritative --dhcp-range=192.168.10.0,static,255.255.255.0,12h",
                    `--dhcp-host=${d.mac},${d.ip}`,
                    `--dhcp-option-force=option:router,${MGMT.offeredRouter}`,
                    "--dhcp-option-force=option:dns-server,192.168.10.3",
                    "--dhcp-option=option:mtu,1450",
                    `--dhcp-leasefile=${dir}/dnsmasq.leases --pid-file=/run/dnsmasq.pid`,
                    `--log-facility=${dir}/log/dnsmasq.log --log-dhcp --user=root --group=root`,
                ].join(" "),
            ].join("\n"),
        );
        await this.settle();
    }

    async stopDhcp(): Promise<void> {
        await this.sh("if [ -s /run/dnsmasq.pid ]; then kill $(cat /run/dnsmasq.pid); rm -f /run/dnsmasq.pid; fi");
    }

    async processNames(): Promise<string[]> {
        const pids = (await run("ip", ["netns", "pids", this.ns])).stdout.split("\n").filter(Boolean);
        const names: string[] = [];
        for (const pid of pids) {
            try {
                // Exited daemons linger as zombies until PID 1 reaps them; they run nothing.
                const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
                if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
                names.push(fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim());
            } catch {
                // exited meanwhile
            }
        }
        return names.sort();
    }

    async readFile(p: string): Promise<string> {
        return (await this.exec(["cat", "--", p], { check: true })).stdout;
    }

    /** Everything a create or delete may change on the node, in a form stable across runs. */
    async snapshot(): Promise<NodeSnapshot> {
        await this.settle();
        const json = async (args: string[]) => JSON.parse((await this.exec(args, { check: true })).stdout || "[]");
        const links = (await json(["ip", "-j", "-d", "link", "show"])) as Array<Record<string, unknown>>;
        const addrs = (await json(["ip", "-j", "addr", "show"])) as Array<{
            ifname: string;
            addr_info: Array<{ family: string; local: string; prefixlen: number; scope: string }>;
        }>;
        const routes4 = (await json(["ip", "-j", "-4", "route", "show", "table", "all"])) as Array<Record<string, unknown>>;
        const routes6 = (await json(["ip", "-j", "-6", "route", "show", "table", "all"])) as Array<Record<string, unknown>>;
        const strip = (text: string) =>
            text
                .split("\n")
                .filter((l) => !l.startsWith("#"))
                .map((l) => l.replace(/\s\[\d+:\d+\]$/, ""))
                .join("\n");
        const files = await this.exec(["/usr/bin/python3", "-c", FILE_WALKER, ...SNAPSHOT_PATHS], { check: true });
        return {
            links: links
                .map((l) => ({
                    ifname: l.ifname,
                    address: l.address,
                    mtu: l.mtu,
                    flags: [...((l.flags as string[]) ?? [])].sort(),
                    kind: (l.linkinfo as { info_kind?: string } | undefined)?.info_kind ?? null,
                }))
                .sort((a, b) => String(a.ifname).localeCompare(String(b.ifname))),
            addresses: addrs
                .flatMap((l) => l.addr_info.map((a) => `${l.ifname} ${a.family} ${a.local}/${a.prefixlen} scope ${a.scope}`))
                .sort(),
            routes: [...routes4, ...routes6]
                .map((r) => [r.type ?? "unicast", r.dst, r.gateway ?? "", r.dev ?? "", r.table ?? "main"].join(" "))
                .sort(),
            // Without what the node's L2 agent (a lab with neutronAgents) owns and decides on its own.
            ovsShow: this.withoutAgentsShow((await this.exec(["ovs-vsctl", "--timeout=10", "show"], { check: true })).stdout),
            ovsInterfaces: this.withoutAgentsInterfaces(
                (
                    await this.exec(["ovs-vsctl", "--timeout=10", "--format=json", "--columns=_uuid,name,type,mac,external_ids,options", "list", "Interface"], {
                        check: true,
                    })
                ).stdout,
            ),
            iptables: strip((await this.exec(["iptables-save"], { check: true })).stdout),
            ip6tables: strip((await this.exec(["ip6tables-save"], { check: true })).stdout),
            acceptRa: (await this.exec(["bash", "-c", "cat /proc/sys/net/ipv6/conf/o-hm0/accept_ra 2>/dev/null || echo none"])).stdout.trim(),
            processes: await this.processNames(),
            files: JSON.parse(files.stdout) as Record<string, string>,
            upperFiles: walkUpper(this.dir),
        };
    }

    /**
     * `ovs-vsctl show` without what no script of the stack wrote: whether an OpenFlow controller is connected at this
     * instant, and, where the node runs an L2 agent, the agent's own bridge (br-tun with a tunnel port per other
     * agent of the cloud, added as agents come and go), its patch ports, and the local VLAN it tags a port with (a
     * new one each time o-hm0 is plugged again).
     */
    private withoutAgentsShow(show: string): string {
        const out: string[] = [];
        let skipDepth = -1;
        for (const line of show.split("\n")) {
            const depth = line.length - line.trimStart().length;
            if (skipDepth >= 0 && depth > skipDepth) continue;
            skipDepth = -1;
            if (/^\s*is_connected: /.test(line)) continue;
            if (this.lab.neutronAgents) {
                const block = /^\s*(?:Bridge|Port) (\S+)$/.exec(line);
                if (block && AGENT_OWNED.test(block[1])) {
                    skipDepth = depth;
                    continue;
                }
                if (/^\s*tag: \d+$/.test(line)) continue;
            }
            out.push(line);
        }
        return out.join("\n");
    }

    /** The Interface table without the L2 agent's own interfaces (br-tun, patch and tunnel ports), as above. */
    private withoutAgentsInterfaces(json: string): string {
        if (!this.lab.neutronAgents) return json;
        const table = JSON.parse(json) as { headings: string[]; data: unknown[][] };
        const name = table.headings.indexOf("name");
        return JSON.stringify({ ...table, data: table.data.filter((row) => !AGENT_OWNED.test(String(row[name]))) });
    }

    async destroy(): Promise<void> {
        if (this.agentHost !== undefined) await run("bash", [NODE_AGENT, "stop", this.agentHost], { timeoutMs: 120_000 });
        for (const signal of ["SIGTERM", "SIGKILL"] as const) {
            const pids = (await run("ip", ["netns", "pids", this.ns])).stdout.split("\n").filter(Boolean);
            for (const pid of pids) {
                try {
                    process.kill(Number(pid), signal);
                } catch {
                    // already gone
                }
            }
            const deadline = Date.now() + 3_000;
            while (Date.now() < deadline && (await run("ip", ["netns", "pids", this.ns])).stdout.trim()) await sleep(100);
        }
        await run("ip", ["netns", "del", this.ns]);
        await run("ip", ["link", "del", this.vethHost]);
    }
}

export interface NodeSnapshot {
    links: unknown[];
    addresses: string[];
    routes: string[];
    ovsShow: string;
    ovsInterfaces: string;
    iptables: string;
    ip6tables: string;
    acceptRa: string;
    processes: string[];
    files: Record<string, string>;
    upperFiles: Record<string, string>;
}


/**
 * What `read` gives once it equals `want`, or after 10 s: the node once the SSH sessions of the last run have ended
 * (sshd reaps them within a moment, and a snapshot lists the node's processes).
 */
export async function settledSnapshot(read: () => Promise<NodeSnapshot>, want: NodeSnapshot | undefined): Promise<NodeSnapshot> {
    let snap = await read();
    for (let i = 0; i < 20 && JSON.stringify(snap) !== JSON.stringify(want); i++) {
        await sleep(500);
        snap = await read();
    }
    return snap;
}
/**
 * A snapshot as it compares across a re-created OVS row: the rows of ovsInterfaces without their `_uuid` (a port
 * that was removed and added again has a new one, and comes in another order), the ports of `ovs-vsctl show` in a
 * fixed order, everything else as it is.
 */
export function withoutOvsRowIds(s: NodeSnapshot): NodeSnapshot {
    const table = JSON.parse(s.ovsInterfaces) as { data: unknown[][]; headings: string[] };
    const rows = table.data.map((row) => JSON.stringify(row.slice(1))).sort();
    // `ovs-vsctl show` lists a bridge's ports in row order: each port's block, sorted.
    const out: string[] = [];
    let ports: string[][] = [];
    const flush = () => {
        out.push(...ports.map((b) => b.join("\n")).sort());
        ports = [];
    };
    for (const line of s.ovsShow.split("\n")) {
        if (/^ {8}Port /.test(line)) ports.push([line]);
        else if (ports.length > 0 && /^ {9,}/.test(line)) ports[ports.length - 1].push(line);
        else {
            flush();
            out.push(line);
        }
    }
    flush();
    const ovsShow = out.join("\n");
    return { ...s, ovsShow, ovsInterfaces: JSON.stringify({ headings: table.headings.slice(1), rows }) };
}

/** Paths the scripts write, walked inside the node (type, mode, owner, content hash, link target). */
export const SNAPSHOT_PATHS = ["/etc/octavia", "/etc/tricircle-lbaas", "/etc/systemd/system", "/var/lib/tricircle-lbaas", "/run/tricircle-lbaas", "/usr/local/sbin"];

const FILE_WALKER = `
import hashlib, json, os, stat, sys
out = {}
def record(p):
    st = os.lstat(p)
    kind = "l" if stat.S_ISLNK(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode) else "f" if stat.S_ISREG(st.st_mode) else "o"
    desc = "%s %o %d:%d" % (kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    if kind == "l":
        desc += " -> " + os.readlink(p)
    elif kind == "f":
        desc += " sha256:" + hashlib.sha256(open(p, "rb").read()).hexdigest()
    out[p] = desc
for top in sys.argv[1:]:
    if not os.path.lexists(top):
        continue
    record(top)
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            record(os.path.join(root, n))
print(json.dumps(out, sort_keys=True))
`;

// Runtime litter of the harness itself (sshd, sudo, OVS sockets, the xtables lock), not of the scripts.
const UPPER_NOISE = [/^run\/(sshd|sshd\.pid|sudo|openvswitch|dnsmasq\.pid|xtables\.lock)(\/|$)/, /^varlib\/sudo(\/|$)/];

/** Every non-directory the node wrote outside the snapshot paths too (a catch-all for stray writes). */
function walkUpper(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
        const abs = path.join(dir, rel);
        for (const name of fs.readdirSync(abs)) {
            const r = path.join(rel, name);
            if (UPPER_NOISE.some((re) => re.test(r))) continue;
            const st = fs.lstatSync(path.join(dir, r));
            if (st.isDirectory()) walk(r);
            else if (st.isFile()) out[r] = `f ${(st.mode & 0o7777).toString(8)} ${createHash("sha256").update(fs.readFileSync(path.join(dir, r))).digest("hex")}`;
            else out[r] = st.isSymbolicLink() ? `l -> ${fs.readlinkSync(path.join(dir, r))}` : `o ${st.rdev}`;
        }
    };
    for (const top of ["upper/etc", "upper/usrlocal", "varlib", "run"]) walk(top);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Labs: one per test, holding its nodes.

let labCounter = 0;

export class Lab {
    readonly nodes: HostNode[] = [];
    readonly prefix: string;
    readonly clientKey: string;

    private constructor(
        readonly dir: string,
        /** Every node runs a Neutron L2 agent of the local cloud (lab/node-agent.sh), whose host is its hostname. */
        readonly neutronAgents: boolean,
    ) {
        this.prefix = `tlb${process.pid}`;
        this.clientKey = path.join(dir, "id_ed25519");
    }

    /** `neutronAgents`: for suites against the local cloud, whose stacks bind health-manager ports to the nodes. */
    static async create(opts: { neutronAgents?: boolean } = {}): Promise<Lab> {
        if (process.getuid?.() !== 0) throw new Error("the host suite needs root (network and mount namespaces)");
        await sweepStale();
        const lab = new Lab(fs.mkdtempSync(path.join(os.tmpdir(), `tlb-host-${process.pid}-`)), opts.neutronAgents === true);
        await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "tricircle-lbaas-host-test", "-f", lab.clientKey], { check: true });
        return lab;
    }

    async node(opts: NodeOptions = {}): Promise<HostNode> {
        const index = labCounter++ % 60;
        const node = new HostNode(this, index, `tlb-${process.pid}-${index}`, fs.mkdtempSync(path.join(this.dir, `node${index}-`)));
        this.nodes.push(node);
        await node.start(opts);
        return node;
    }

    async teardown(): Promise<void> {
        for (const node of this.nodes) await node.destroy();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Namespaces and veths a killed earlier run of this harness left behind (its pid is gone). */
async function sweepStale(): Promise<void> {
    const list = (await run("ip", ["netns", "list"])).stdout;
    for (const m of list.matchAll(/^tlb-(\d+)-(\d+)/gm)) {
        const pid = Number(m[1]);
        if (pid === process.pid || fs.existsSync(`/proc/${pid}`)) continue;
        const ns = m[0];
        for (const p of (await run("ip", ["netns", "pids", ns])).stdout.split("\n").filter(Boolean)) {
            try {
                process.kill(Number(p), "SIGKILL");
            } catch {
                // gone
            }
        }
        await run("ip", ["netns", "del", ns]);
        await run("ip", ["link", "del", `tlb${pid}h${m[2]}`]);
    }
}

// ---------------------------------------------------------------------------------------------
// Shared inputs of the host scenarios.

export const PORT = {
    id: "3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d",
    mac: "fa:16:3e:5a:6b:7c",
    ip: "192.168.10.6",
};
export const MGMT_NETWORK_ID = "8acc6c02-66aa-4c0a-92bb-2a7a9c184ab1";
export const AMPHORA_SG_ID = "e4282699-43fd-4cb5-a709-cfaf213640f5";
export const OCTAVIA_CONF = "/etc/octavia/octavia.conf";

/** A heartbeat key with everything an INI writer tends to mangle: # ; = quotes \ $ and outer blanks. */
export const HOSTILE_KEY = ` k#e;y=v"a'l\\u\\$e $x \${y} $$ "`;

/** A trimmed octavia.conf as Debian/devstack ship it: sample comments, old values, a missing [glance]. */
export const BASELINE_OCTAVIA_CONF = [
    "[DEFAULT]",
    "# Print debugging output (set logging level to DEBUG instead of default",
    "# INFO level). (boolean value)",
    "debug = True",
    "transport_url = rabbit://stackrabbit:secret@10.7.20.110:5672/",
    "",
    "[health_manager]",
    "",
    "#",
    "# From octavia",
    "#",
    "",
    "# IP address the controller will listen on for heart beats (IP address value)",
    "#bind_ip = 127.0.0.1",
    "bind_ip = 10.7.20.110",
    "",
    "# Port number the controller will listen on for heart beats (port value)",
    "#bind_port = 5555",
    "",
    "# List of controller ip and port pairs for the heartbeat receivers. Example",
    "# 127.0.0.1:5555, 192.168.0.1:5555 (list value)",
    "controller_ip_port_list = 10.7.20.110:5555",
    "",
    "[controller_worker]",
    "amp_image_owner_id = b35450fd79164af4a0df26149228ddf2",
    "amp_boot_network_list =",
    "amp_secgroup_list =",
    "amp_flavor_id = 10",
    "loadbalancer_topology = SINGLE",
    "",
    "[neutron]",
    "region_name = RegionOne",
    "",
    "[nova]",
    "region_name = RegionOne",
    "",
    "[certificates]",
    "ca_certificate = /etc/octavia/certs/ca_01.pem",
    "",
].join("\n");

export function restartLog(node: HostNode): string {
    return path.join(node.dir, "octavia-restarts.log");
}

export function restartCount(node: HostNode): number {
    const p = restartLog(node);
    return fs.existsSync(p) ? fs.readFileSync(p, "utf8").split("\n").filter(Boolean).length : 0;
}

export function nodeArgs(node: HostNode, over: Partial<FlatNodeArgs> = {}): ControllerNodeArgs {
    return controllerNodeArgs({
        region: "RegionOne",
        centralRegion: "CentralRegion",
        host: node.sshHost,
        hostname: os.hostname(),
        ovsBridge: "br-int",
        sshUser: TEST_USER,
        sshPort: 22,
        sshPrivateKey: fs.readFileSync(node.lab.clientKey, "utf8"),
        hostKey: node.hostKey,
        addressing: "static",
        portId: PORT.id,
        portMac: PORT.mac,
        portIp: PORT.ip,
        prefixLength: 24,
        heartbeatPort: 5555,
        controllerIpPortList: `${PORT.ip}:5555,192.168.10.7:5555`,
        heartbeatKey: HOSTILE_KEY,
        mgmtNetworkId: MGMT_NETWORK_ID,
        amphoraSecurityGroupId: AMPHORA_SG_ID,
        octavia: {
            configFile: OCTAVIA_CONF,
            restartCommand: `echo restarted >>${restartLog(node)}`,
            neutron: { endpoint: "http://10.7.20.110:20001", serviceName: "neutron", endpointType: "public" },
            nova: { endpoint: "http://10.7.20.114:8774/v2.1", serviceName: "nova", endpointType: "public" },
            glance: { endpoint: "http://10.7.20.114:9292", serviceName: "glance", endpointType: "internal" },
        },
        adopt: false,
    }, over);
}

export const CREATE_ORDER: NodeCommand[] = ["plane", "octavia-conf"];
export const DELETE_ORDER: NodeCommand[] = ["octavia-conf", "plane"];

export function expectOk(result: RunResult, what: string): RunResult {
    if (result.code !== 0) {
        throw new Error(`${what} exited ${result.code}${result.timedOut ? " (timed out)" : ""} after ${result.ms} ms\nstderr:\n${result.stderr}\nstdout:\n${result.stdout}`);
    }
    return result;
}

/** Runs one phase of each concern, in order, as the provider would (command text + stdin over SSH). */
export async function runPhase(
    node: HostNode,
    commands: Record<NodeCommand, RegisteredCommand>,
    phase: "create" | "update" | "delete",
    order: NodeCommand[],
): Promise<Record<string, RunResult>> {
    const results: Record<string, RunResult> = {};
    for (const concern of order) {
        results[concern] = expectOk(await node.ssh(commands[concern][phase], { input: commands[concern].stdin }), `${concern} ${phase}`);
    }
    return results;
}

/**
 * A fresh lab per test, torn down after it even when the test fails: `startNode()` gives a node whose octavia.conf
 * is the baseline file (root:nogroup, 0640, as packages install it).
 */
/** octavia.conf as the host tests' nodes start with it (root:nogroup, 0640, as packages install it). */
export const BASELINE_NODE_CONF = { path: OCTAVIA_CONF, content: BASELINE_OCTAVIA_CONF, mode: 0o640, uid: 0, gid: 65534 };

/** The group `octavia` of this machine (the Debian package's), which a node shares. */
export const octaviaGid = () => Number(execFileSync("getent", ["group", "octavia"], { encoding: "utf8" }).split(":")[2]);

/**
 * octavia.conf as the packages install it (root:octavia 0640): Octavia's user is told by the group, so the amphora
 * certificates can be delivered to it.
 */
export const packagedNodeConf = () => ({ ...BASELINE_NODE_CONF, gid: octaviaGid() });

export function freshNodePerTest(): () => Promise<HostNode> {
    let lab: Lab | undefined;
    afterEach(async () => {
        await lab?.teardown();
        lab = undefined;
    });
    return async () => {
        lab = await Lab.create();
        return lab.node({ octaviaConf: BASELINE_NODE_CONF });
    };
}
