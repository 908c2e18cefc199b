// Host scenarios, adoption: a controller node set up by hand the guide's way (o-hm0 added with ovs-vsctl carrying the
// health-manager port's iface-id and MAC, its address set statically or by a dhclient the operator started, the
// guide's iptables rule without our comment, octavia.conf already holding the plane's values) taken over by the
// stack's commands with adopt, over real SSH, real Open vSwitch, iptables and dhclient in a namespace node.
//
// Taken over means left as found: the same o-hm0 device (ifindex, no carrier change), MAC, iface-id and address, no
// second firewall rule, octavia.conf byte for byte, no Octavia restart; and after the deletes the node is exactly the
// hand-made node again. Without adopt the same node is refused, naming adopt, with nothing changed; an o-hm0 carrying
// another port and an octavia.conf holding another heartbeat key are refused either way, the key never printed.
//
// Heartbeats during the takeover: a fake amphora on the node's br-int (heartbeat.ts) sends Octavia-built heartbeats
// once a second, from before the first adopting create until after the last one, to a UDP socket bound where the
// health manager listens (o-hm0's address, the heartbeat port) behind an INPUT policy of DROP; every one must arrive.
import { GUIDE_FIREWALL_LINE, guideOhm0Lines, ohm0Link } from "../support/guideNode";
import { randomUUID } from "crypto";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { FlatNodeArgs } from "../support/controllerNodeArgs";
import { driftReport } from "../../components/node/nodeDrift";
import { dhclientConfText, dhclientScriptText, parseOHm0Report } from "../../components/node/ohm0";
import { NODE_PATHS } from "../../components/node/remote";
import { FakeAmphora, hardenInput } from "./heartbeat";
import {
    AMPHORA_SG_ID,
    BASELINE_NODE_CONF,
    CREATE_ORDER,
    NodeCommand,
    DELETE_ORDER,
    HostNode,
    Lab,
    MGMT_NETWORK_ID,
    NodeSnapshot,
    OCTAVIA_CONF,
    PORT,
    RegisteredCommand,
    RunResult,
    checkNode,
    commandsOf,
    expectOk,
    nodeArgs,
    restartCount,
    restartLog,
    runPhase,
} from "./harness";

const GUIDE_KEY = `guide-heartbeat-key-${randomUUID().slice(0, 8)}`;
const OTHER_PORT = { id: "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a", mac: "fa:16:3e:11:22:33" };

/** octavia.conf as the operator left it: the plane's values, written by hand (spacing, a colon), and more of their own. */
function handConf(heartbeatKey: string): string {
    return [
        "[DEFAULT]",
        "debug = True",
        "transport_url = rabbit://stackrabbit:secret@10.7.20.110:5672/",
        "",
        "[health_manager]",
        `bind_ip=${PORT.ip}`,
        "bind_port = 5555",
        `controller_ip_port_list = ${PORT.ip}:5555,192.168.10.7:5555`,
        `heartbeat_key = ${heartbeatKey}`,
        "",
        "[controller_worker]",
        "amp_image_owner_id = b35450fd79164af4a0df26149228ddf2",
        `amp_boot_network_list = ${MGMT_NETWORK_ID}`,
        `amp_secgroup_list: ${AMPHORA_SG_ID}`,
        "amp_flavor_id = 10",
        "",
        "[neutron]",
        "region_name = CentralRegion",
        "",
        "[nova]",
        "region_name = RegionOne",
        "",
        "[glance]",
        "region_name=RegionOne",
        "",
    ].join("\n");
}

/** The stack's inputs for the hand-made plane: the same port, network, group and key (what the cloud side imports). */
function adoptArgs(node: HostNode, adopt: boolean, over: Partial<FlatNodeArgs> = {}) {
    return nodeArgs(node, {
        heartbeatKey: GUIDE_KEY,
        octavia: { configFile: OCTAVIA_CONF, restartCommand: `echo restarted >>${restartLog(node)}` },
        adopt,
        ...over,
    });
}

interface HandMade {
    port?: { id: string; mac: string };
    addressing?: "static" | "dhcp";
    heartbeatKey?: string;
}

let lab: Lab | undefined;
afterEach(async () => {
    await lab?.teardown();
    lab = undefined;
});

/** A node whose plane an operator made by hand, following the guide. */
async function handMadeNode(h: HandMade = {}): Promise<HostNode> {
    const port = h.port ?? PORT;
    lab = await Lab.create();
    const node = await lab.node({ octaviaConf: { ...BASELINE_NODE_CONF, content: handConf(h.heartbeatKey ?? GUIDE_KEY) } });
    if (h.addressing === "dhcp") await node.startDhcp({ mac: port.mac, ip: PORT.ip });
    const guide = guideOhm0Lines(port);
    if (h.addressing === "dhcp") {
        // The operator's own dhclient, with their own files (the address only: the stack's dhclient files serve).
        fs.writeFileSync(path.join(node.dir, "octavia-dhclient.conf"), dhclientConfText());
        fs.writeFileSync(path.join(node.dir, "octavia-dhclient-script"), dhclientScriptText(), { mode: 0o755 });
        guide.push(
            "mkdir -p /etc/dhcp /var/lib/dhcp",
            `cp ${node.dir}/octavia-dhclient.conf /etc/dhcp/octavia`,
            `install -m 755 ${node.dir}/octavia-dhclient-script /etc/dhcp/octavia-script`,
            "timeout 40 dhclient -1 -v -cf /etc/dhcp/octavia -sf /etc/dhcp/octavia-script -pf /run/dhclient.o-hm0.pid -lf /var/lib/dhcp/dhclient.o-hm0.leases o-hm0 </dev/null >/dev/null 2>&1",
        );
    } else {
        guide.push(`ip addr add ${PORT.ip}/24 dev o-hm0`);
    }
    guide.push(GUIDE_FIREWALL_LINE);
    await node.sh(guide.join("\n"));
    return node;
}

function ruleLines(saved: string): string[] {
    return saved.split("\n").filter((l) => / -i o-hm0 /.test(l) && / --dport 5555 /.test(l) && / -j ACCEPT/.test(l));
}

/** Runs the creates in order and stops at the first that fails, as the engine does with dependent resources. */
async function createUntilFailure(node: HostNode, commands: Record<NodeCommand, RegisteredCommand>): Promise<{ failed?: NodeCommand; result?: RunResult; ran: NodeCommand[] }> {
    const ran: NodeCommand[] = [];
    for (const concern of CREATE_ORDER) {
        const r = await node.ssh(commands[concern].create, { input: commands[concern].stdin });
        ran.push(concern);
        if (r.code !== 0) return { failed: concern, result: r, ran };
    }
    return { ran };
}

function expectSameNode(now: NodeSnapshot, before: NodeSnapshot): void {
    expect(now).toEqual(before);
}

describe.each(["static", "dhcp"] as const)("adopting a node set up by hand (%s)", (addressing) => {
    it("adopt: o-hm0, the rule and octavia.conf are used as found (no flap, no restart); the deletes leave the hand-made node", async () => {
        const node = await handMadeNode({ addressing });
        const hand = await node.snapshot();
        const handLink = await ohm0Link(node);
        const handConfText = await node.readFile(OCTAVIA_CONF);
        expect(handLink).toMatchObject({ mac: PORT.mac, ifaceId: PORT.id, addresses: [`${PORT.ip}/24`] });
        const operatorDhclients = hand.processes.filter((p) => p === "dhclient").length;
        expect(operatorDhclients).toBe(addressing === "dhcp" ? 1 : 0);

        const commands = await commandsOf(adoptArgs(node, true, { addressing }));
        const created = await runPhase(node, commands, "create", CREATE_ORDER);
        expect(parseOHm0Report(created.plane.stdout)).toEqual({ ip: PORT.ip, prefixLength: 24, mac: PORT.mac });
        expect(created.plane.stderr).toContain("adopted as found");
        if (addressing === "dhcp") expect(created.plane.stderr).toMatch(/lease is held by a dhclient this stack did not start \(pid \d+\); left running/);
        expect(created.plane.stderr).toContain("iptables: an operator's rule already accepts UDP 5555 on o-hm0; reused as found");
        expect(created["octavia-conf"].stderr).toContain("unchanged; Octavia not restarted");
        for (const r of Object.values(created)) expect(r.stdout + r.stderr).not.toContain(GUIDE_KEY);

        const adopted = await node.snapshot();
        // The same device, never down: ifindex and carrier changes as found; MAC, iface-id and address as found.
        expect(await ohm0Link(node)).toEqual(handLink);
        expect(adopted.ovsInterfaces).toBe(hand.ovsInterfaces);
        expect(adopted.addresses).toEqual(hand.addresses);
        expect(adopted.routes).toEqual(hand.routes);
        expect(adopted.acceptRa).toBe(hand.acceptRa);
        // The operator's dhclient, and no second one.
        expect(adopted.processes).toEqual(hand.processes);
        expect(adopted.files[NODE_PATHS.dhclientPid]).toBeUndefined();
        // No second IPv4 rule: the operator's is the rule. IPv6 had none: the stack's own is added.
        expect(ruleLines(adopted.iptables)).toEqual(ruleLines(hand.iptables));
        expect(ruleLines(adopted.iptables)).toEqual(["-A INPUT -i o-hm0 -p udp -m udp --dport 5555 -j ACCEPT"]);
        expect(ruleLines(adopted.ip6tables)).toHaveLength(1);
        expect(ruleLines(adopted.ip6tables)[0]).toContain("--comment tricircle-lbaas-o-hm0");
        // octavia.conf byte for byte, not rewritten, no backup, Octavia not restarted.
        expect(await node.readFile(OCTAVIA_CONF)).toBe(handConfText);
        expect(adopted.files[OCTAVIA_CONF]).toBe(hand.files[OCTAVIA_CONF]);
        expect(adopted.files[`${OCTAVIA_CONF}.tricircle-lbaas.orig`]).toBeUndefined();
        expect(restartCount(node)).toBe(0);
        // What the node records: found, not made.
        expect(await node.readFile(NODE_PATHS.ohm0Origin)).toBe("found\n");
        expect(await node.readFile(NODE_PATHS.firewallFound)).toBe("iptables\n");
        // The drift check sees the adopted node as clean (the found rule counts, the operator's dhclient holds the lease).
        expect(driftReport(await checkNode(node, commands))).toBe("ok");

        // A re-run (what `up` does on changed inputs) changes nothing either.
        await runPhase(node, commands, "update", CREATE_ORDER);
        expect(await node.snapshot()).toEqual(adopted);
        expect(await ohm0Link(node)).toEqual(handLink);
        expect(restartCount(node)).toBe(0);

        // destroy: what was found stays as found, what the stack added goes.
        const deleted = await runPhase(node, commands, "delete", DELETE_ORDER);
        expect(deleted.plane.stderr).toContain("o-hm0 was found carrying the port, not made by this stack: left as it is");
        expectSameNode(await node.snapshot(), hand);
        expect(await ohm0Link(node)).toEqual(handLink);
        expect(restartCount(node)).toBe(0);
    });

    it("without adopt: the create is refused naming adopt, and the node is unchanged", async () => {
        const node = await handMadeNode({ addressing });
        const hand = await node.snapshot();
        const handLink = await ohm0Link(node);
        const commands = await commandsOf(adoptArgs(node, false, { addressing }));
        const r = await createUntilFailure(node, commands);
        expect(r.failed).toBe("plane");
        expect(r.result!.stderr).toMatch(/o-hm0 on \S+ already carries Neutron port 3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d .* was not made by this stack .*set tricircle-lbaas:adopt: true to take it over/);
        expectSameNode(await node.snapshot(), hand);
        expect(await ohm0Link(node)).toEqual(handLink);
        expect(restartCount(node)).toBe(0);
    });
});

describe("refusals on a node set up by hand", () => {
    it.each([true, false])("an o-hm0 carrying another port is refused (adopt=%s), naming the interface and both iface-ids, nothing changed", async (adopt) => {
        const node = await handMadeNode({ port: OTHER_PORT });
        const hand = await node.snapshot();
        const commands = await commandsOf(adoptArgs(node, adopt));
        const r = await createUntilFailure(node, commands);
        expect(r.failed).toBe("plane");
        const err = r.result!.stderr;
        expect(err).toContain(`external-ids:iface-id '${OTHER_PORT.id}', not Neutron port ${PORT.id}`);
        expect(err).toContain("this node already serves another health-manager port");
        expect(err).toMatch(/o-hm0 on \S+ carries/);
        expectSameNode(await node.snapshot(), hand);
    });

    it("octavia.conf holding another heartbeat key is refused with adopt, the key never printed; o-hm0 and the rule stay the operator's", async () => {
        const theirs = `operators-own-key-${randomUUID().slice(0, 8)}`;
        const node = await handMadeNode({ heartbeatKey: theirs });
        const hand = await node.snapshot();
        const commands = await commandsOf(adoptArgs(node, true));
        const r = await createUntilFailure(node, commands);
        expect(r.failed).toBe("octavia-conf");
        const out = r.result!.stdout + r.result!.stderr;
        expect(out).toContain(`${OCTAVIA_CONF}: [health_manager] heartbeat_key holds another key than the stack's (compared by SHA-256, not shown)`);
        expect(out).toContain("contradict the plane being adopted");
        expect(out).not.toContain(theirs);
        expect(out).not.toContain(GUIDE_KEY);
        expect(await node.readFile(OCTAVIA_CONF)).toBe(handConf(theirs));
        expect(restartCount(node)).toBe(0);
        // The engine records the plane, which succeeded; its delete gives the hand-made node back.
        for (const concern of DELETE_ORDER.filter((c) => c !== "octavia-conf")) {
            expectOk(await node.ssh(commands[concern].delete, { input: commands[concern].stdin }), `${concern} delete`);
        }
        expectSameNode(await node.snapshot(), hand);
    });
});

describe("the stack's own node", () => {
    it("a node the stack set up before it kept the origin record is still its own: re-run without adopt, removed by the delete", async () => {
        lab = await Lab.create();
        const node = await lab.node({ octaviaConf: BASELINE_NODE_CONF });
        const baseline = await node.snapshot();
        const commands = await commandsOf(nodeArgs(node));
        await runPhase(node, commands, "create", CREATE_ORDER);
        expect(await node.readFile(NODE_PATHS.ohm0Origin)).toBe("made\n");
        // What an earlier version of the stack left: everything but the record.
        await node.sh(`rm -f ${NODE_PATHS.ohm0Origin}`);
        const again = await runPhase(node, commands, "update", CREATE_ORDER);
        expect(again.plane.stderr).not.toContain("adopt");
        expect(await node.readFile(NODE_PATHS.ohm0Origin)).toBe("made\n");
        expect(driftReport(await checkNode(node, commands))).toBe("ok");
        await runPhase(node, commands, "delete", DELETE_ORDER);
        expect(await node.snapshot()).toEqual(baseline);
    });
});

describe("heartbeats while a node is adopted", () => {
    it("a fake amphora's heartbeats, one a second through the takeover, its re-run and the deletes, all reach the health manager's address", async () => {
        const node = await handMadeNode();
        // INPUT policy DROP for both families (heartbeat.ts): hardenInput appends, below the operator's inserted rule,
        // so only that rule (and, for IPv6, the stack's) lets heartbeats in.
        await hardenInput(node, 5555);
        const amp = await FakeAmphora.attach(node, { ip: "192.168.10.50", prefixLength: 24, mac: "fa:16:3e:00:00:50" });
        const received = path.join(node.dir, "heartbeats-received.log");
        // Stands in for the health manager's socket (the real one needs the local cloud's database): bound where it
        // listens, one line per datagram.
        const receiver = spawn(
            "nsenter",
            [
                "-t", fs.readFileSync(path.join(node.dir, "anchor.pid"), "utf8").trim(), "-m", "-n", "--", "/usr/bin/python3", "-c",
                [
                    "import socket",
                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                    `s.bind(("${PORT.ip}", 5555))`,
                    `out = open("${received}", "a", buffering=1)`,
                    "print('ready', flush=True)",
                    "while True:",
                    "    data, src = s.recvfrom(65535)",
                    "    out.write('%s %d\\n' % (src[0], len(data)))",
                ].join("\n"),
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        try {
            await new Promise<void>((resolve, reject) => {
                receiver.stdout.once("data", () => resolve());
                receiver.once("exit", (c) => reject(new Error(`the receiver exited ${c}`)));
            });
            const handLink = await ohm0Link(node);
            const commands = await commandsOf(adoptArgs(node, true));
            let doneAt = 0;
            const sending = amp.sendUntil(
                handConf(GUIDE_KEY),
                { amphoraId: randomUUID(), key: GUIDE_KEY, intervalMs: 1000 },
                async () => doneAt > 0 && Date.now() - doneAt > 3000,
                300_000,
            );
            await sleep(3000);
            const started = Date.now();
            await runPhase(node, commands, "create", CREATE_ORDER);
            const createMs = Date.now() - started;
            await runPhase(node, commands, "update", CREATE_ORDER);
            await runPhase(node, commands, "delete", DELETE_ORDER);
            doneAt = Date.now();
            const report = await sending;
            await sleep(500); // the last datagram through the userspace datapath
            const toNode = report.sent.filter((h) => h.to[0] === PORT.ip);
            const got = fs.existsSync(received) ? fs.readFileSync(received, "utf8").split("\n").filter((l) => l.startsWith("192.168.10.50 ")) : [];
            console.log(
                `[adopt heartbeats] ${toNode.length} sent to ${PORT.ip}:5555 over ${report.ms} ms (create ${createMs} ms, then update and delete), ` +
                    `${got.length} received, ${toNode.length - got.length} lost`,
            );
            expect(report.held).toBe(true);
            expect(toNode.filter((h) => h.error)).toEqual([]);
            expect(toNode.length).toBeGreaterThanOrEqual(8);
            expect(got.length).toBe(toNode.length);
            expect(await ohm0Link(node)).toEqual(handLink);
            expect(restartCount(node)).toBe(0);
        } finally {
            receiver.kill("SIGKILL");
            await amp.destroy();
        }
    });
});
