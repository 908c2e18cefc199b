// Host scenario, the heartbeat path: a heartbeat signed with the stack's key, sent from the
// management network, reaches Octavia's health manager through o-hm0 and is accepted.
//
// Per addressing (static IPv4, DHCP IPv4 through the harness's dnsmasq, static IPv6), one namespace node:
//   - INPUT policy DROP for both families, as on a hardened controller (heartbeat.ts: hardenInput), so the
//     stack's firewall rule is the only thing that lets heartbeats in;
//   - the stack's node commands (the plane, octavia.conf), created over SSH exactly as the component registers them;
//   - the real /usr/bin/octavia-health-manager (python3-octavia 11.0.0, Zed) inside the node, reading the
//     octavia.conf the stack wrote, unmodified, plus a second --config-file with only what the stack does not
//     own (database, logging, worker counts, heartbeat_timeout);
//   - a fake amphora: a namespace on the node's br-int (veth, the node end an OVS system port) with an address
//     of the management subnet, sending Octavia-built heartbeats (UDPStatusSender, wrap_envelope, v3 message)
//     to every address of the node's controller_ip_port_list.
// Evidence is the health manager's own: the amphora_health row it writes (and the load balancer it sets
// ONLINE) in the local cloud's MariaDB, and its log.
//
// Database: the local cloud's MariaDB through its Unix socket (the node's network namespace cannot reach
// this machine's 127.0.0.1, a socket path can), not a sqlite file: its schema is the one the real migrations
// built (`octavia-db-manage upgrade head` in start.sh; Octavia's migrations do not run on sqlite, a
// `create_all` schema would be one Octavia never runs on) and the HM uses the driver it uses in production.
// The rows are this test's own: unique ids per test, marked with this process's pid, deleted after each
// test, and a later run sweeps those of a killed one. heartbeat_timeout is set far beyond the test's life, so
// this HM's failover loop never starts against the shared database.
//
// IPv6: the stack supports an IPv6 management CIDR with static addressing (components/config/model.ts refuses only
// "dhcp" for IPv6; o-hm0 gets the address with nodad, the firewall concern writes the ip6tables rule), so
// static IPv6 is a case here. DHCP on IPv6 is refused by the config and is not.
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FIREWALL_COMMENT } from "../../components/node/firewall";
import { driftReport } from "../../components/node/nodeDrift";
import { Addressing, parseOHm0Report } from "../../components/node/ohm0";
import { octaviaSettings } from "../../components/node/octaviaConf";
import {
    AmphoraAddress,
    FakeAmphora,
    FakeAmphoraRows,
    HealthManagerProcess,
    SenderReport,
    amphoraHealth,
    deleteAmphoraRows,
    dhcpPortAnswersForItselfOnly,
    droppedHeartbeats,
    forgetHealth,
    hardenInput,
    insertAmphoraRows,
    loadBalancerStatus,
    octaviaDbUrl,
    requireOctaviaDb,
    sweepStaleAmphorae,
    sweepStaleAmphoraRows,
} from "./heartbeat";
import {
    BASELINE_NODE_CONF,
    CREATE_ORDER,
    NodeCommand,
    HOSTILE_KEY,
    HostNode,
    Lab,
    OCTAVIA_CONF,
    PORT,
    RegisteredCommand,
    checkNode,
    commandsOf,
    expectOk,
    nodeArgs,
    runPhase,
} from "./harness";

const HM_PORT = 5555;
/** Bound on every wait for something that should happen (HM start, a heartbeat's effect). */
const ARRIVAL_MS = 20_000;
/**
 * How long a heartbeat that must not arrive is given (a round every 500 ms meanwhile). Accepted ones show up
 * within about a second here (see the `ms` the positive cases print: the sender's start-up included), so
 * this is three times that, and at least 3 heartbeats reach o-hm0's address meanwhile.
 */
const NEGATIVE_WINDOW_MS = 3_000;
const WRONG_KEY = "not-the-stack's-heartbeat-key";

interface Scenario {
    name: string;
    addressing: Addressing;
    family: 4 | 6;
    portIp: string;
    prefixLength: number;
    /** The region's other health manager: in the list, but nobody there. */
    otherController: string;
    amphora: AmphoraAddress;
    /** Where case 3 moves o-hm0's address. */
    movedIp: string;
}

const SCENARIOS: Scenario[] = [
    {
        name: "static IPv4",
        addressing: "static",
        family: 4,
        portIp: PORT.ip,
        prefixLength: 24,
        otherController: "192.168.10.7",
        amphora: { ip: "192.168.10.50", prefixLength: 24, mac: "fa:16:3e:00:00:50" },
        movedIp: "192.168.10.9",
    },
    {
        name: "DHCP IPv4",
        addressing: "dhcp",
        family: 4,
        portIp: PORT.ip,
        prefixLength: 24,
        otherController: "192.168.10.7",
        amphora: { ip: "192.168.10.50", prefixLength: 24, mac: "fa:16:3e:00:00:50" },
        movedIp: "192.168.10.9",
    },
    {
        name: "static IPv6",
        addressing: "static",
        family: 6,
        portIp: "fd00:10::6",
        prefixLength: 64,
        otherController: "fd00:10::7",
        amphora: { ip: "fd00:10::50", prefixLength: 64, mac: "fa:16:3e:00:00:50" },
        movedIp: "fd00:10::9",
    },
];

/** oslo_log's rendering of a UDP source address, as in "Received packet from ('192.168.10.50', 40000)". */
function srcAddrRe(ip: string): string {
    const esc = ip.replace(/[.]/g, "\\.");
    return ip.includes(":") ? `\\('${esc}', \\d+, 0, 0\\)` : `\\('${esc}', \\d+\\)`;
}

/** "2026-12-03 08:42:49" (UTC, as Octavia writes datetime.utcnow()) to epoch ms. */
const utcMs = (mysqlDatetime: string) => Date.parse(`${mysqlDatetime.replace(" ", "T")}Z`);

describe.each(SCENARIOS)("heartbeat path, $name", (sc) => {
    let lab: Lab | undefined;
    let node: HostNode;
    let commands: Record<NodeCommand, RegisteredCommand>;
    let hm: HealthManagerProcess | undefined;
    let amp: FakeAmphora | undefined;
    let confText = "";
    let extraConf = "";
    let rows: FakeAmphoraRows;
    const controllerIpPortList = `${sc.portIp}:${HM_PORT},${sc.otherController}:${HM_PORT}`;

    beforeAll(async () => {
        await requireOctaviaDb();
        await sweepStaleAmphoraRows();
        sweepStaleAmphorae();
        lab = await Lab.create();
        node = await lab.node({ octaviaConf: BASELINE_NODE_CONF });
        if (sc.addressing === "dhcp") {
            await node.startDhcp({ mac: PORT.mac, ip: sc.portIp });
            await dhcpPortAnswersForItselfOnly(node);
        }
        await hardenInput(node, HM_PORT);
        commands = await commandsOf(
            nodeArgs(node, { addressing: sc.addressing, portIp: sc.portIp, prefixLength: sc.prefixLength, heartbeatPort: HM_PORT, controllerIpPortList }),
        );
        const created = await runPhase(node, commands, "create", CREATE_ORDER);
        expect(parseOHm0Report(created.plane.stdout)).toEqual({ ip: sc.portIp, prefixLength: sc.prefixLength, mac: PORT.mac });
        confText = await node.readFile(OCTAVIA_CONF);

        // Only what the HM needs here that the stack does not own; the stack's keys stay the stack's file's.
        extraConf = path.join(node.dir, "health-manager-test.conf");
        fs.writeFileSync(
            extraConf,
            [
                "# Written by heartbeat.host.test.ts: what octavia-health-manager needs that the stack does not own.",
                "[DEFAULT]",
                "debug = True",
                `log_file = ${path.join(node.dir, "log", "octavia-health-manager.log")}`,
                "use_stderr = False",
                "[database]",
                `connection = ${octaviaDbUrl()}`,
                "[health_manager]",
                "# One worker process each (the defaults are one per CPU).",
                "health_update_threads = 1",
                "stats_update_threads = 1",
                "# The failover loop starts only after this many seconds: never, within this test, on a shared database.",
                "heartbeat_timeout = 3600",
                "",
            ].join("\n"),
            { mode: 0o600 },
        );
        hm = await HealthManagerProcess.start(node, {
            octaviaConf: OCTAVIA_CONF,
            extraConf,
            logFile: path.join(node.dir, "log", "octavia-health-manager.log"),
            bindIp: sc.portIp,
            bindPort: HM_PORT,
            timeoutMs: ARRIVAL_MS,
        });
        amp = await FakeAmphora.attach(node, sc.amphora);
    });

    afterAll(async () => {
        await hm?.stop();
        await amp?.destroy();
        await lab?.teardown();
        lab = undefined;
    });

    beforeEach(async () => {
        rows = { amphoraId: randomUUID(), loadBalancerId: randomUUID() };
        await insertAmphoraRows(rows, sc.amphora.ip);
    });

    afterEach(async () => {
        await deleteAmphoraRows([rows.loadBalancerId]);
    });

    interface Probe {
        report: SenderReport & { held: boolean; ms: number };
        log: string;
        health: Awaited<ReturnType<typeof amphoraHealth>>;
        /** Heartbeats the INPUT policy dropped on o-hm0 meanwhile. */
        dropped: number;
        startedMs: number;
    }

    /**
     * Heartbeats from the fake amphora until the HM records this test's amphora, or `windowMs` passes. The
     * amphora_health row is removed first, so a row afterwards is this probe's doing.
     */
    async function probe(key: string, windowMs: number, verifyKey?: string): Promise<Probe> {
        if (!hm?.running) throw new Error(`octavia-health-manager is not running:\n${hm?.console()}\n${hm?.log().slice(-4000)}`);
        await forgetHealth(rows.amphoraId);
        const offset = hm.log().length;
        const dropped0 = await droppedHeartbeats(node, sc.family);
        const startedMs = Date.now();
        const report = await amp!.sendUntil(confText, { amphoraId: rows.amphoraId, key, verifyKey }, async () => (await amphoraHealth(rows.amphoraId)) !== undefined, windowMs);
        // The last datagram may still be on its way through the userspace datapath.
        await new Promise((r) => setTimeout(r, 300));
        return { report, log: hm.logSince(offset), health: await amphoraHealth(rows.amphoraId), dropped: (await droppedHeartbeats(node, sc.family)) - dropped0, startedMs };
    }

    const received = new RegExp(`Received packet from ${srcAddrRe(sc.amphora.ip)}`);
    const sentToNode = (p: Probe) => p.report.sent.filter((s) => s.to[0] === sc.portIp);

    function expectAccepted(p: Probe, what: string): void {
        const context = `${what}: ${p.report.sent.length} heartbeats sent in ${p.report.ms} ms\nHM log:\n${p.log.slice(-4000)}`;
        expect(p.report.held, context).toBe(true);
        expect(sentToNode(p).filter((s) => s.error), context).toEqual([]);
        expect(p.health, context).toBeDefined();
        // Written by this HM, now (UTC, second resolution).
        expect(utcMs(p.health!.last_update)).toBeGreaterThanOrEqual(Math.floor(p.startedMs / 1000) * 1000 - 1000);
        expect(utcMs(p.health!.last_update)).toBeLessThanOrEqual(Date.now() + 1000);
        expect(p.health!.busy).toBe(0);
        expect(p.log, context).toMatch(received);
        expect(p.log, context).toContain("Health Update finished in");
        expect(p.log, context).not.toMatch(/hmac|Ignoring this packet|encountered error/i);
        // Accepted by the stack's rule, above everything else: none reached the DROP policy.
        expect(p.dropped, context).toBe(0);
        console.log(`[heartbeat ${sc.name}] ${what}: accepted after ${p.report.ms} ms (${p.report.sent.length} sent)`);
    }

    function expectNotArrived(p: Probe, what: string): void {
        const context = `${what}: ${p.report.sent.length} heartbeats sent in ${p.report.ms} ms\nHM log:\n${p.log.slice(-4000)}`;
        expect(p.report.held, context).toBe(false);
        expect(sentToNode(p).length, context).toBeGreaterThanOrEqual(3);
        expect(sentToNode(p).filter((s) => s.error), context).toEqual([]);
        expect(p.health, context).toBeUndefined();
        expect(p.log, context).not.toMatch(received);
        expect(hm!.running, "the HM is still up: not arriving is not its doing").toBe(true);
    }

    it("a heartbeat signed with the stack's key reaches the health manager through o-hm0 and updates amphora_health", async () => {
        // The HM runs on the stack's file exactly as merged: bind_ip, bind_port, heartbeat_key untouched.
        const stackKeys = new Set(
            octaviaSettings({
                region: "RegionOne",
                centralRegion: "CentralRegion",
                bindIp: sc.portIp,
                bindPort: HM_PORT,
                controllerIpPortList,
                mgmtNetworkId: "8acc6c02-66aa-4c0a-92bb-2a7a9c184ab1",
                amphoraSecurityGroupId: "e4282699-43fd-4cb5-a709-cfaf213640f5",
            }).map((s) => `${s.section}.${s.key}`),
        );
        let section = "";
        for (const line of fs.readFileSync(extraConf, "utf8").split("\n")) {
            const m = /^\[(.+)\]$/.exec(line);
            if (m) section = m[1];
            else if (/^\w+\s*=/.test(line)) expect(stackKeys.has(`${section}.${line.split("=")[0].trim()}`), line).toBe(false);
        }
        expect(confText).toContain(`\nbind_ip = ${sc.portIp}\n`);
        expect(confText).toContain(`\nbind_port = ${HM_PORT}\n`);
        expect(confText).toContain(`\ncontroller_ip_port_list = ${controllerIpPortList}\n`);
        expect(hm!.log()).toContain(`attempting to listen on ${sc.portIp} port ${HM_PORT}`);

        expect(await loadBalancerStatus(rows.loadBalancerId)).toEqual({ provisioning_status: "ACTIVE", operating_status: "OFFLINE" });
        const p = await probe(HOSTILE_KEY, ARRIVAL_MS);
        // The amphora sends to every controller of the node's octavia.conf, as its agent config lists them.
        expect(p.report.list).toEqual(controllerIpPortList.split(","));
        expect(p.report.dests).toEqual([
            [sc.portIp, HM_PORT],
            [sc.otherController, HM_PORT],
        ]);
        expect(new Set(p.report.sent.map((s) => s.to[0]))).toEqual(new Set([sc.portIp, sc.otherController]));
        expectAccepted(p, "stack's key");
        // The rest of update_health ran too: a heartbeat from its amphora puts the load balancer ONLINE.
        expect(await loadBalancerStatus(rows.loadBalancerId)).toEqual({ provisioning_status: "ACTIVE", operating_status: "ONLINE" });
        // The health manager changed nothing in the stack's file.
        expect(await node.readFile(OCTAVIA_CONF)).toBe(confText);
    });

    it("without the stack's firewall rule the heartbeat is dropped by the INPUT policy; after the plane's update it arrives again", async () => {
        try {
            // The stack's rule of the heartbeats' family (the other family's does not matter to them).
            const table = sc.family === 6 ? "ip6tables" : "iptables";
            await node.sh(`${table} -w -D INPUT -i o-hm0 -p udp --dport ${HM_PORT} -m comment --comment ${FIREWALL_COMMENT} -j ACCEPT`);
            const blocked = await probe(HOSTILE_KEY, NEGATIVE_WINDOW_MS);
            expectNotArrived(blocked, "firewall rule deleted");
            // Each heartbeat to o-hm0's address got as far as the node's INPUT chain, and the policy took it.
            expect(blocked.dropped).toBe(sentToNode(blocked).length);
            expect(await loadBalancerStatus(rows.loadBalancerId)).toMatchObject({ operating_status: "OFFLINE" });
        } finally {
            expectOk(await node.ssh(commands.plane.update), "plane update");
        }
        expectAccepted(await probe(HOSTILE_KEY, ARRIVAL_MS), "rule restored by the plane's update");
        expect(await loadBalancerStatus(rows.loadBalancerId)).toMatchObject({ operating_status: "ONLINE" });
    });

    it("a heartbeat signed with another key is received but rejected, and the log says the HMAC does not match", async () => {
        const p = await probe(WRONG_KEY, NEGATIVE_WINDOW_MS, HOSTILE_KEY);
        const context = `HM log:\n${p.log.slice(-4000)}`;
        expect(p.report.held, context).toBe(false);
        expect(p.health, context).toBeUndefined();
        expect(p.log, context).toMatch(received);
        // octavia/amphorae/backends/health_daemon/status_message.py get_payload and heartbeat_udp.py dorecv (Zed):
        // for every heartbeat that reached it, the HMAC the HM calculated with its key (exactly what the stack's
        // key gives that payload) is not the one the message carries (the other key's), and the packet is dropped.
        const toNode = sentToNode(p);
        expect(toNode.length).toBeGreaterThanOrEqual(3);
        for (const s of toNode) {
            expect(s.hmacWithVerifyKey).not.toBe(s.msgHmac);
            expect(p.log, context).toContain(`calculated hmac(hex=True): ${s.hmacWithVerifyKey} not equal to msg hmac: ${s.msgHmac} dropping packet`);
        }
        expect(p.log).toMatch(
            new RegExp(
                `WARNING octavia\\.amphorae\\.drivers\\.health\\.heartbeat_udp \\[-\\] Health Manager experienced an exception processing a heartbeat message from ${srcAddrRe(sc.amphora.ip)}\\. Ignoring this packet\\. Exception: calculated hmac: [0-9a-f]+ not equal to msg hmac: [0-9a-f]+ dropping packet`,
            ),
        );
        expect(p.log).not.toContain("Health Update finished in");
        expect(p.dropped).toBe(0); // the firewall let them in: it is the key that failed
        expect(await loadBalancerStatus(rows.loadBalancerId)).toMatchObject({ operating_status: "OFFLINE" });
        // The same amphora with the stack's key, right after: accepted.
        expectAccepted(await probe(HOSTILE_KEY, ARRIVAL_MS), "stack's key after the wrong one");
    });

    it("with o-hm0's address changed the heartbeat does not arrive; after the plane's create it arrives again", async () => {
        const ip = sc.family === 6 ? "ip -6" : "ip -4";
        try {
            await node.sh(
                `${ip} addr flush dev o-hm0 scope global\n${ip} addr add ${sc.movedIp}/${sc.prefixLength} dev o-hm0${sc.family === 6 ? " nodad" : ""}`,
            );
            const moved = (await node.exec(["ip", "-o", `-${sc.family}`, "addr", "show", "dev", "o-hm0", "scope", "global"])).stdout;
            expect(moved).toContain(`${sc.movedIp}/${sc.prefixLength}`);
            expect(moved).not.toContain(`${sc.portIp}/`);
            expectNotArrived(await probe(HOSTILE_KEY, NEGATIVE_WINDOW_MS), "o-hm0 address changed");
            // The drift check (what refresh and `npm run doctor` run) reports exactly that drift.
            expect(driftReport(await checkNode(node, commands))).toBe(
                `drift: ohm0: o-hm0 has address(es) '${sc.movedIp}/${sc.prefixLength}', not ${sc.portIp}/${sc.prefixLength}`,
            );
            expect(await loadBalancerStatus(rows.loadBalancerId)).toMatchObject({ operating_status: "OFFLINE" });
        } finally {
            // The plane's create alone puts it right, with either addressing: it takes the foreign address off.
            const r = expectOk(await node.ssh(commands.plane.create), "plane create");
            expect(r.stderr).toContain(`removed ${sc.movedIp}/${sc.prefixLength} from o-hm0`);
            expect(parseOHm0Report(r.stdout)).toEqual({ ip: sc.portIp, prefixLength: sc.prefixLength, mac: PORT.mac });
        }
        expectAccepted(await probe(HOSTILE_KEY, ARRIVAL_MS), "o-hm0 restored");
        expect(await loadBalancerStatus(rows.loadBalancerId)).toMatchObject({ operating_status: "ONLINE" });
    });
});
