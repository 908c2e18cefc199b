// Helpers of the heartbeat host scenario (heartbeat.host.test.ts): a fake amphora on a node's management
// segment, Octavia's own health manager running inside the node, and the amphora rows it needs in the local
// cloud's Octavia database.
//
// Wiring: the fake amphora is a network namespace `tlbhb-<test pid>-<n>` joined to the node's br-int by a veth
// pair; the node end is added to br-int as an ordinary ("system") OVS port, which the userspace (netdev)
// datapath drives through an AF_PACKET socket. The amphora end carries an address of the management subnet.
// Nothing leaves the namespaces: the only other channel is the Unix socket of the local cloud's MariaDB.

import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { HostNode, RunResult, run } from "./harness";
import { removeNamespace, sweepStaleNamespaces } from "./namespaces";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PY = "/usr/bin/python3"; // the distribution's interpreter: Octavia and PyMySQL are Debian packages

export async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>, everyMs = 200): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await probe();
        if (v !== undefined && v !== false) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(everyMs);
    }
}

function check(r: RunResult, what: string): RunResult {
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}${r.timedOut ? " (timed out)" : ""}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
    return r;
}

// ---------------------------------------------------------------------------------------------
// The local cloud's Octavia database (lab/lib.sh and start.sh: the `openstack` user has every
// privilege on the `octavia` database, also as 'openstack'@'localhost', which is how a Unix socket logs in).

const LC_DIR = process.env.LOCAL_CLOUD_DIR ?? path.join(__dirname, "..", "..", ".local-cloud");
export const OCTAVIA_DB = {
    socket: path.join(LC_DIR, "run", "mysql", "mysqld.sock"),
    user: "openstack",
    password: process.env.LOCAL_CLOUD_PASSWORD ?? "local-only-test-password",
    database: "octavia",
};

/** SQLAlchemy URL of the same database for the health manager: a Unix socket crosses network namespaces. */
export function octaviaDbUrl(): string {
    return `mysql+pymysql://${OCTAVIA_DB.user}:${encodeURIComponent(OCTAVIA_DB.password)}@localhost/${OCTAVIA_DB.database}?unix_socket=${OCTAVIA_DB.socket}`;
}

// Runs statements in one autocommitted connection; prints one result per statement (rows, or a row count).
const SQL_RUNNER = `
import json, sys, pymysql, pymysql.cursors
req = json.load(sys.stdin)
conn = pymysql.connect(unix_socket=req["socket"], user=req["user"], password=req["password"], database=req["database"],
                       autocommit=True, connect_timeout=5, read_timeout=10, write_timeout=10)
out = []
with conn.cursor(pymysql.cursors.DictCursor) as c:
    for stmt, params in req["statements"]:
        c.execute(stmt, params)
        out.append(c.fetchall() if c.description else c.rowcount)
print(json.dumps(out, default=str))
`;

export type SqlStatement = [string, Array<string | number | null>];

export async function sql(statements: SqlStatement[]): Promise<unknown[]> {
    const r = await run(PY, ["-c", SQL_RUNNER], { input: JSON.stringify({ ...OCTAVIA_DB, statements }), timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`SQL on the local cloud's Octavia database failed (exit ${r.code}):\n${r.stderr}`);
    return JSON.parse(r.stdout) as unknown[];
}

/** Fails, naming the command to run, unless the local cloud's MariaDB answers with an Octavia schema. */
export async function requireOctaviaDb(): Promise<void> {
    const hint = "the heartbeat scenario needs the local cloud's MariaDB with the octavia database: run `bash lab/start.sh`";
    if (!fs.existsSync(OCTAVIA_DB.socket)) throw new Error(`${hint} (no socket at ${OCTAVIA_DB.socket})`);
    try {
        await sql([["SELECT COUNT(*) AS n FROM amphora_health", []]]);
    } catch (e) {
        throw new Error(`${hint}\n${(e as Error).message}`);
    }
}

const ROW_NAME = "tlb-host-test-heartbeat";
const rowDescription = (pid: number) => `tricircle-lbaas host test (test/host/heartbeat.host.test.ts), pid ${pid}`;

export interface FakeAmphoraRows {
    amphoraId: string;
    loadBalancerId: string;
}

/**
 * The minimum `UpdateHealthDb._update_health` (octavia/amphorae/drivers/health/heartbeat_udp.py, Zed) needs to
 * record a heartbeat: `get_lb_for_health_update` joins the amphora to its load balancer; with no load balancer
 * the HM would instead try to delete the amphora through the compute driver. So: a load balancer (ACTIVE,
 * enabled, no listeners: a heartbeat with no listeners then matches the expected count; OFFLINE, so the HM
 * sets it ONLINE), its VIP row (so the local cloud's API can still render it, were it listed meanwhile) and an
 * ALLOCATED amphora with the fake amphora's management address. The `amphora_health` row is the HM's to create.
 */
export async function insertAmphoraRows(rows: FakeAmphoraRows, lbNetworkIp: string): Promise<void> {
    const { amphoraId, loadBalancerId } = rows;
    await sql([
        [
            "INSERT INTO load_balancer (project_id, id, name, description, provisioning_status, operating_status, enabled, topology, provider, created_at) " +
                "VALUES (%s, %s, %s, %s, 'ACTIVE', 'OFFLINE', 1, 'SINGLE', 'amphora', UTC_TIMESTAMP())",
            ["tlb-host-test-heartbeat", loadBalancerId, ROW_NAME, rowDescription(process.pid)],
        ],
        ["INSERT INTO vip (load_balancer_id, ip_address, octavia_owned) VALUES (%s, '192.0.2.250', 0)", [loadBalancerId]],
        [
            "INSERT INTO amphora (id, compute_id, status, load_balancer_id, lb_network_ip, role, cert_busy, created_at) " +
                "VALUES (%s, %s, 'ALLOCATED', %s, %s, 'STANDALONE', 0, UTC_TIMESTAMP())",
            [amphoraId, loadBalancerId, loadBalancerId, lbNetworkIp],
        ],
    ]);
}

export async function deleteAmphoraRows(loadBalancerIds: string[]): Promise<void> {
    for (const lb of loadBalancerIds) {
        await sql([
            ["DELETE FROM amphora_health WHERE amphora_id IN (SELECT id FROM amphora WHERE load_balancer_id = %s)", [lb]],
            ["DELETE FROM amphora WHERE load_balancer_id = %s", [lb]],
            ["DELETE FROM vip WHERE load_balancer_id = %s", [lb]],
            ["DELETE FROM load_balancer WHERE id = %s AND name = %s", [lb, ROW_NAME]],
        ]);
    }
}

/** Rows a killed earlier run of this scenario left behind (its pid is gone). */
export async function sweepStaleAmphoraRows(): Promise<void> {
    const [rows] = (await sql([["SELECT id, description FROM load_balancer WHERE name = %s", [ROW_NAME]]])) as [Array<{ id: string; description: string }>];
    const stale = rows.filter((r) => {
        const pid = Number(/pid (\d+)$/.exec(r.description ?? "")?.[1]);
        return pid !== process.pid && !(pid > 0 && fs.existsSync(`/proc/${pid}`));
    });
    await deleteAmphoraRows(stale.map((r) => r.id));
}

export interface AmphoraHealth {
    amphora_id: string;
    last_update: string;
    busy: number;
}

export async function amphoraHealth(amphoraId: string): Promise<AmphoraHealth | undefined> {
    const [rows] = (await sql([["SELECT amphora_id, last_update, busy FROM amphora_health WHERE amphora_id = %s", [amphoraId]]])) as [AmphoraHealth[]];
    return rows[0];
}

export async function loadBalancerStatus(loadBalancerId: string): Promise<{ provisioning_status: string; operating_status: string } | undefined> {
    const [rows] = (await sql([["SELECT provisioning_status, operating_status FROM load_balancer WHERE id = %s", [loadBalancerId]]])) as [
        Array<{ provisioning_status: string; operating_status: string }>,
    ];
    return rows[0];
}

export async function forgetHealth(amphoraId: string): Promise<void> {
    await sql([["DELETE FROM amphora_health WHERE amphora_id = %s", [amphoraId]]]);
}

// ---------------------------------------------------------------------------------------------
// The node's INPUT policy: DROP, as on a hardened controller.

/**
 * The harness's dnsmasq port (tap-dhcp, 192.168.10.2/24) stands in for Neutron's DHCP port on another host, but
 * sits in the node's own kernel, on the same subnet as o-hm0: with Linux's default arp_ignore=0 it answers the
 * amphora's ARP for o-hm0's address with its own MAC, and heartbeats would enter through tap-dhcp. A host of
 * its own answers for its own address only: arp_ignore=1 on that port.
 */
export async function dhcpPortAnswersForItselfOnly(node: HostNode): Promise<void> {
    await node.sh("sysctl -q -w net.ipv4.conf.tap-dhcp.arp_ignore=1");
}

/** Counts what reaches INPUT on o-hm0 for the heartbeat port after everything that accepts: no target, no verdict. */
export const DROPPED_COUNTER = "tlb-test-heartbeats-reaching-policy";

/**
 * Sets INPUT to DROP for both families, keeping what the node needs that is not the heartbeat: replies,
 * loopback, SSH on the harness's veth, IPv6 neighbour discovery; and DHCP to the harness's dnsmasq, which
 * stands in for Neutron's DHCP agent (on another host in a real cloud, so never this host's INPUT).
 * The stack's rule is inserted above all of these, so it alone lets heartbeats in.
 */
export async function hardenInput(node: HostNode, hmPort: number): Promise<void> {
    const lines: string[] = [];
    for (const t of ["iptables", "ip6tables"]) {
        lines.push(
            `${t} -w 10 -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
            `${t} -w 10 -A INPUT -i lo -j ACCEPT`,
            `${t} -w 10 -A INPUT -i ${node.vethNode} -p tcp --dport 22 -j ACCEPT`,
        );
    }
    lines.push(
        "iptables -w 10 -A INPUT -i tap-dhcp -p udp --dport 67 -j ACCEPT",
        "ip6tables -w 10 -A INPUT -p ipv6-icmp --icmpv6-type neighbour-solicitation -j ACCEPT",
        "ip6tables -w 10 -A INPUT -p ipv6-icmp --icmpv6-type neighbour-advertisement -j ACCEPT",
    );
    for (const t of ["iptables", "ip6tables"]) {
        lines.push(`${t} -w 10 -A INPUT -i o-hm0 -p udp --dport ${hmPort} -m comment --comment ${DROPPED_COUNTER}`, `${t} -w 10 -P INPUT DROP`);
    }
    await node.sh(lines.join("\n"));
}

/** Packets the DROP policy took from o-hm0 on the heartbeat port (the counter rule just above it). */
export async function droppedHeartbeats(node: HostNode, family: 4 | 6): Promise<number> {
    const r = check(await node.exec([family === 6 ? "ip6tables" : "iptables", "-w", "10", "-L", "INPUT", "-v", "-x", "-n"]), "iptables -L");
    const line = r.stdout.split("\n").find((l) => l.includes(`/* ${DROPPED_COUNTER} */`));
    if (!line) throw new Error(`counter rule ${DROPPED_COUNTER} is missing:\n${r.stdout}`);
    return Number(line.trim().split(/\s+/)[0]);
}

// ---------------------------------------------------------------------------------------------
// The fake amphora

export interface AmphoraAddress {
    ip: string;
    prefixLength: number;
    mac: string;
}

const AMP_NS_RE = /^tlbhb-(\d+)-\d+$/;
let ampCounter = 0;

export function sweepStaleAmphorae(): void {
    sweepStaleNamespaces(AMP_NS_RE);
}

// Sends heartbeats as an amphora's health sender does (octavia/amphorae/backends/health_daemon, Zed): the
// destinations are resolved by Octavia's own UDPStatusSender from the controller_ip_port_list of the node's
// octavia.conf (which the controller worker renders into the amphora's agent config) and taken round-robin
// (round_robin_addr), each message is Octavia's v3 health message (health_daemon.build_stats_message with no
// load balancer running: no listeners, no pools) wrapped by status_message.wrap_envelope with the given key,
// and sent from the sender's own sockets, as UDPStatusSender._send_msg does. (Only the key does not go through
// oslo.config: an override would run template substitution on the key's "$" characters.)
// Each round sends one message to every address of the list. Prints the destinations once, then one JSON
// line per message.
const SENDER = `
import json, socket, sys, time
from oslo_config import cfg
import octavia.common.config  # registers Octavia's options
from octavia.amphorae.backends.health_daemon import health_sender, status_message
req = json.load(sys.stdin)
CONF = cfg.CONF
CONF(["--config-file", req["octaviaConf"]], project="octavia", default_config_files=[], default_config_dirs=[])
key = req["key"]
sender = health_sender.UDPStatusSender()
print(json.dumps({"list": CONF.health_manager.controller_ip_port_list, "dests": [list(d[4][:2]) for d in sender.dests]}), flush=True)
seq = req["seq"]
for r in range(req["rounds"]):
    for _ in range(len(sender.dests)):
        msg = {"id": req["amphoraId"], "seq": seq, "listeners": {}, "pools": {}, "ver": 3}
        dest = health_sender.round_robin_addr(sender.dests)
        envelope = status_message.wrap_envelope(msg, key)
        line = {"seq": seq, "to": list(dest[4][:2]), "msgHmac": status_message.to_hex(envelope[-status_message.hex_hash_len:])}
        try:
            (sender.v6sock if dest[0] == socket.AF_INET6 else sender.v4sock).sendto(envelope, dest[4])
        except OSError as e:
            line["error"] = str(e)
        if req.get("verifyKey") is not None:
            payload = envelope[:-status_message.hex_hash_len]
            line["hmacWithVerifyKey"] = status_message.to_hex(status_message.get_hmac(payload, req["verifyKey"]))
        print(json.dumps(line), flush=True)
        seq += 1
    time.sleep(req["intervalMs"] / 1000.0)
`;

export interface SentHeartbeat {
    seq: number;
    to: [string, number];
    msgHmac: string;
    hmacWithVerifyKey?: string;
    /** The socket's error, if sendto failed (the amphora's sender ignores those). */
    error?: string;
}

export interface SenderReport {
    list: string[];
    dests: Array<[string, number]>;
    sent: SentHeartbeat[];
    stderr: string;
}

export interface SendOptions {
    amphoraId: string;
    key: string;
    /** Also print the HMAC this key gives each payload (what the HM calculates with its own key). */
    verifyKey?: string;
    rounds?: number;
    intervalMs?: number;
}

// `ethtool -K IFNAME tx off` (SIOCETHTOOL, ETHTOOL_STXCSUM), without needing ethtool. A veth leaves UDP
// checksums to "the hardware" (CHECKSUM_PARTIAL); the userspace datapath reads the frame from an AF_PACKET
// socket as it is, so the node's kernel would count every heartbeat as InCsumErrors and drop it. A real
// amphora's virtio NIC has the hypervisor finish the checksum; here the amphora's kernel does it.
const TX_CHECKSUM_OFF = `
import array, fcntl, socket, struct, sys
SIOCETHTOOL, ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM = 0x8946, 0x16, 0x17
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def ethtool(cmd, data):
    buf = array.array("B", struct.pack("II", cmd, data))
    fcntl.ioctl(s.fileno(), SIOCETHTOOL, struct.pack("16sP", sys.argv[1].encode(), buf.buffer_info()[0]))
    return struct.unpack("II", buf.tobytes())[1]
ethtool(ETHTOOL_STXCSUM, 0)
if ethtool(ETHTOOL_GTXCSUM, 0) != 0:
    sys.exit("tx checksum offload is still on")
`;

export class FakeAmphora {
    private seq = 1;

    private constructor(
        readonly ns: string,
        readonly ifname: string,
        readonly ovsPort: string,
        readonly address: AmphoraAddress,
        readonly dir: string,
        private readonly node: HostNode,
    ) {}

    /** A namespace joined to `node`'s br-int by a veth pair, with `address` on its end. */
    static async attach(node: HostNode, address: AmphoraAddress): Promise<FakeAmphora> {
        const n = ampCounter++ % 100;
        const ns = `tlbhb-${process.pid}-${n}`;
        const amp = new FakeAmphora(ns, `hb${process.pid}a${n}`, `hb${process.pid}o${n}`, address, fs.mkdtempSync(path.join(node.dir, "amphora-")), node);
        const v6 = address.ip.includes(":");
        check(await run("ip", ["netns", "add", ns]), "ip netns add");
        try {
            check(await run("ip", ["link", "add", amp.ifname, "type", "veth", "peer", "name", amp.ovsPort]), "ip link add veth");
            check(await run("ip", ["link", "set", amp.ifname, "netns", ns]), "veth to the amphora");
            check(await run("ip", ["link", "set", amp.ovsPort, "netns", node.ns]), "veth to the node");
            // The node end is only br-int's port. With the userspace datapath the node's kernel still sees every
            // frame on it too (AF_PACKET only listens in), and would answer the amphora's ARP for o-hm0's address
            // with this device's MAC (arp_ignore=0), so heartbeats would enter through it instead of o-hm0. In a
            // kernel datapath the port's device hands nothing to the IP stack; here: no ARP, no IPv6 on it.
            await node.sh(
                [
                    `echo 1 >/proc/sys/net/ipv6/conf/${amp.ovsPort}/disable_ipv6`,
                    `ip link set ${amp.ovsPort} arp off`,
                    `ip link set ${amp.ovsPort} up`,
                    `ovs-vsctl --timeout=20 add-port br-int ${amp.ovsPort}`,
                ].join("\n"),
            );
            const inAmp = (args: string[]) => run("ip", ["netns", "exec", ns, ...args]);
            check(await inAmp(["ip", "link", "set", "lo", "up"]), "amphora lo");
            check(await inAmp(["ip", "link", "set", amp.ifname, "address", address.mac]), "amphora MAC");
            check(
                await inAmp(["ip", ...(v6 ? ["-6"] : []), "addr", "add", `${address.ip}/${address.prefixLength}`, "dev", amp.ifname, ...(v6 ? ["nodad"] : [])]),
                "amphora address",
            );
            check(await inAmp([PY, "-c", TX_CHECKSUM_OFF, amp.ifname]), "amphora tx checksum off");
            check(await inAmp(["ip", "link", "set", amp.ifname, "up"]), "amphora link up");
        } catch (e) {
            removeNamespace(ns);
            throw e;
        }
        return amp;
    }

    /**
     * Sends heartbeats with Octavia's sender to every address of `octaviaConfText`'s controller_ip_port_list
     * until `until` holds (polled every 200 ms) or `timeoutMs` passes; a round every `intervalMs` (default
     * 500). Returns what was sent and whether `until` held.
     */
    async sendUntil(
        octaviaConfText: string,
        opts: SendOptions,
        until: () => Promise<boolean>,
        timeoutMs: number,
    ): Promise<SenderReport & { held: boolean; ms: number }> {
        const confCopy = path.join(this.dir, "octavia.conf");
        fs.writeFileSync(confCopy, octaviaConfText, { mode: 0o600 });
        const started = Date.now();
        const child = spawn("ip", ["netns", "exec", this.ns, PY, "-c", SENDER], { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
        child.stdin.end(
            JSON.stringify({
                octaviaConf: confCopy,
                key: opts.key,
                verifyKey: opts.verifyKey ?? null,
                amphoraId: opts.amphoraId,
                seq: this.seq,
                rounds: opts.rounds ?? 1000,
                intervalMs: opts.intervalMs ?? 500,
            }),
        );
        let held = false;
        try {
            const deadline = started + timeoutMs;
            while (Date.now() < deadline) {
                if (await until()) {
                    held = true;
                    break;
                }
                // A sender that died sends nothing more: waiting on would only make a negative look good.
                if (child.exitCode !== null && child.exitCode !== 0) throw new Error(`the heartbeat sender exited ${child.exitCode}:\n${stderr}`);
                await sleep(200);
            }
        } finally {
            if (child.exitCode === null) child.kill("SIGKILL");
            await exited;
        }
        const lines = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        if (lines.length === 0) throw new Error(`the heartbeat sender printed nothing; stderr:\n${stderr}`);
        const head = lines[0] as { list: string[]; dests: Array<[string, number]> };
        const sent = lines.slice(1) as unknown as SentHeartbeat[];
        if (sent.length > 0) this.seq = sent[sent.length - 1].seq + 1;
        return { list: head.list, dests: head.dests, sent, stderr, held, ms: Date.now() - started };
    }

    async destroy(): Promise<void> {
        removeNamespace(this.ns);
        // The node end went with the namespace; its OVS row (if the node still runs) goes too.
        await this.node.exec(["ovs-vsctl", "--timeout=10", "--if-exists", "del-port", "br-int", this.ovsPort]);
    }
}

// ---------------------------------------------------------------------------------------------
// Octavia's health manager, inside the node

export class HealthManagerProcess {
    private constructor(
        private readonly child: ChildProcess,
        readonly logFile: string,
        readonly consoleFile: string,
    ) {}

    /**
     * Starts /usr/bin/octavia-health-manager in the node's network and mount namespaces with the node's own
     * octavia.conf (as the stack left it) and `extraConf` as a second --config-file (later files win, so
     * `extraConf` must hold only keys the stack does not set). Ready when its UDP socket is bound at
     * `bindIp`:`bindPort` inside the node; bounded by `timeoutMs`.
     */
    static async start(node: HostNode, opts: { octaviaConf: string; extraConf: string; logFile: string; bindIp: string; bindPort: number; timeoutMs: number }) {
        const anchor = fs.readFileSync(path.join(node.dir, "anchor.pid"), "utf8").trim();
        const consoleFile = `${opts.logFile}.console`;
        const out = fs.openSync(consoleFile, "a");
        const child = spawn("nsenter", ["-t", anchor, "-m", "-n", "--", "/usr/bin/octavia-health-manager", "--config-file", opts.octaviaConf, "--config-file", opts.extraConf], {
            detached: true, // its own process group: the listener and its worker processes go with it
            stdio: ["ignore", out, out],
        });
        fs.closeSync(out);
        const hm = new HealthManagerProcess(child, opts.logFile, consoleFile);
        const local = opts.bindIp.includes(":") ? `[${opts.bindIp}]:${opts.bindPort}` : `${opts.bindIp}:${opts.bindPort}`;
        try {
            await waitUntil(`octavia-health-manager to bind ${local} on ${node.ns}`, opts.timeoutMs, async () => {
                if (child.exitCode !== null) throw new Error(`octavia-health-manager exited ${child.exitCode}`);
                const ss = await node.exec(["ss", "-H", "-u", "-l", "-n"]);
                return ss.stdout.split("\n").some((l) => l.trim().split(/\s+/)[3] === local);
            });
        } catch (e) {
            await hm.stop();
            throw new Error(`${(e as Error).message}\nconsole:\n${hm.console()}\nlog:\n${hm.log()}`);
        }
        return hm;
    }

    get running(): boolean {
        return this.child.exitCode === null && this.child.signalCode === null;
    }

    log(): string {
        return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
    }

    console(): string {
        return fs.existsSync(this.consoleFile) ? fs.readFileSync(this.consoleFile, "utf8") : "";
    }

    /** The log from byte `offset` on (take `log().length` before an action, then read what it wrote). */
    logSince(offset: number): string {
        return this.log().slice(offset);
    }

    /** SIGTERM (its own clean shutdown), bounded; then SIGKILL for whatever of its process group is left. */
    async stop(timeoutMs = 15_000): Promise<void> {
        const pid = this.child.pid;
        if (pid === undefined) return;
        if (this.running) {
            const exited = new Promise<void>((resolve) => this.child.once("close", () => resolve()));
            this.child.kill("SIGTERM");
            await Promise.race([exited, sleep(timeoutMs)]);
        }
        try {
            process.kill(-pid, "SIGKILL");
        } catch {
            // the whole group is gone
        }
    }
}
