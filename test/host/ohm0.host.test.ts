// Host scenarios: the remote commands of ControllerNode (the plane, octavia.conf), exactly as the component registers
// them, run over real SSH (as a non-root user through sudo) against namespace "controller nodes"
// with their own Open vSwitch, iptables and dnsmasq. Lifecycle: create, re-create, update,
// delete; reboot through the persistence unit.
import { describe, expect, it } from "vitest";
import { FlatNodeArgs } from "../support/controllerNodeArgs";
import { parseOHm0Report } from "../../components/node/ohm0";
import { persistenceHelperText, persistenceUnitText, unitExecLines } from "../../components/node/persistence";
import { NODE_PATHS } from "../../components/node/remote";
import {
    BASELINE_OCTAVIA_CONF,
    CREATE_ORDER,
    DELETE_ORDER,
    HostNode,
    MGMT,
    NodeSnapshot,
    OCTAVIA_CONF,
    PORT,
    commandsOf,
    expectOk,
    nodeArgs,
    restartCount,
    runPhase,
    freshNodePerTest,
} from "./harness";

const startNode = freshNodePerTest();

async function ovsGet(node: HostNode, column: string): Promise<string> {
    const r = await node.exec(["ovs-vsctl", "--timeout=10", "--if-exists", "get", "Interface", "o-hm0", column]);
    return r.stdout.trim().replace(/^"(.*)"$/, "$1");
}

function globalAddresses(s: NodeSnapshot, ifname: string): string[] {
    return s.addresses.filter((a) => a.startsWith(`${ifname} `) && a.endsWith("scope global")).map((a) => a.split(" ")[2]);
}

function ohm0Link(s: NodeSnapshot): { address: string; mtu: number; flags: string[] } {
    const link = s.links.find((l) => (l as { ifname: string }).ifname === "o-hm0");
    if (!link) throw new Error("o-hm0 is missing");
    return link as { address: string; mtu: number; flags: string[] };
}

function heartbeatRules(saved: string, port: number): string[] {
    return saved.split("\n").filter((l) => l.startsWith(`-A INPUT -i o-hm0 -p udp -m udp --dport ${port} `));
}

/** octavia.conf after the create: the fixture with exactly the guide's keys changed or added. */
const EXPECTED_OCTAVIA_CONF = [
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
    "bind_ip = 192.168.10.6",
    "",
    "# Port number the controller will listen on for heart beats (port value)",
    "#bind_port = 5555",
    "bind_port = 5555",
    "",
    "# List of controller ip and port pairs for the heartbeat receivers. Example",
    "# 127.0.0.1:5555, 192.168.0.1:5555 (list value)",
    "controller_ip_port_list = 192.168.10.6:5555,192.168.10.7:5555",
    // oslo.config strips one pair of outer quotes and reads \$ as a literal $.
    String.raw`heartbeat_key = " k#e;y=v"a'l\u\\$e \$x \${y} \$\$ ""`,
    "",
    "[controller_worker]",
    "amp_image_owner_id = b35450fd79164af4a0df26149228ddf2",
    "amp_boot_network_list = 8acc6c02-66aa-4c0a-92bb-2a7a9c184ab1",
    "amp_secgroup_list = e4282699-43fd-4cb5-a709-cfaf213640f5",
    "amp_flavor_id = 10",
    "loadbalancer_topology = SINGLE",
    "",
    "[neutron]",
    "region_name = CentralRegion",
    "service_name = neutron",
    "endpoint = http://10.7.20.110:20001",
    "endpoint_type = public",
    "",
    "[nova]",
    "region_name = RegionOne",
    "service_name = nova",
    "endpoint = http://10.7.20.114:8774/v2.1",
    "endpoint_type = public",
    "",
    "[certificates]",
    "ca_certificate = /etc/octavia/certs/ca_01.pem",
    "",
    "[glance]",
    "region_name = RegionOne",
    "service_name = glance",
    "endpoint = http://10.7.20.114:9292",
    "endpoint_type = internal",
    "",
].join("\n");

describe("o-hm0, firewall, persistence and octavia.conf on a namespace node", () => {
    it("static: create configures o-hm0, the rule, the boot unit and octavia.conf, a second create and an update change nothing, delete restores the baseline exactly", async () => {
        const node = await startNode();
        const baseline = await node.snapshot();
        const args = nodeArgs(node);
        const commands = await commandsOf(args);

        const created = await runPhase(node, commands, "create", CREATE_ORDER);
        expect(parseOHm0Report(created.plane.stdout)).toEqual({ ip: PORT.ip, prefixLength: 24, mac: PORT.mac });

        // o-hm0: the guide's port, with the Neutron port's identity, MAC and exactly its address.
        expect((await node.exec(["ovs-vsctl", "--timeout=10", "port-to-br", "o-hm0"])).stdout.trim()).toBe("br-int");
        expect(await ovsGet(node, "type")).toBe("internal");
        expect(await ovsGet(node, "external_ids:iface-status")).toBe("active");
        expect(await ovsGet(node, "external_ids:attached-mac")).toBe(PORT.mac);
        expect(await ovsGet(node, "external_ids:iface-id")).toBe(PORT.id);
        expect(await ovsGet(node, "external_ids:skip_cleanup")).toBe("true");
        const after = await node.snapshot();
        expect(ohm0Link(after).address).toBe(PORT.mac);
        expect(ohm0Link(after).flags).toContain("UP");
        expect(globalAddresses(after, "o-hm0")).toEqual([`${PORT.ip}/24`]);
        expect(after.routes.filter((r) => r.includes(" default "))).toEqual([]);
        expect(after.acceptRa).toBe("0");

        // One heartbeat rule per family.
        expect(heartbeatRules(after.iptables, 5555)).toHaveLength(1);
        expect(heartbeatRules(after.ip6tables, 5555)).toHaveLength(1);

        // The boot unit, its helper and the enablement symlink.
        expect(await node.readFile(NODE_PATHS.unitFile)).toBe(persistenceUnitText());
        const ohm0Params = { bridge: "br-int", portId: PORT.id, mac: PORT.mac, ip: PORT.ip, prefixLength: 24, addressing: "static" as const, hostname: args.controller.hostname, adopt: false, owner: "tricircle-lbaas/host-test" };
        expect(await node.readFile(NODE_PATHS.helper)).toBe(persistenceHelperText({ ohm0: ohm0Params, heartbeatPort: 5555 }));
        expect(after.files[NODE_PATHS.helper]).toMatch(/^f 755 0:0 /);
        expect(after.files[`/etc/systemd/system/multi-user.target.wants/${NODE_PATHS.unitName}`]).toBe(`l 777 0:0 -> ${NODE_PATHS.unitFile}`);

        // octavia.conf: the guide's keys, everything else byte for byte, mode and owner kept, a backup.
        expect(await node.readFile(OCTAVIA_CONF)).toBe(EXPECTED_OCTAVIA_CONF);
        expect(after.files[OCTAVIA_CONF]).toMatch(/^f 640 0:65534 /);
        expect(await node.readFile(`${OCTAVIA_CONF}.tricircle-lbaas.orig`)).toBe(BASELINE_OCTAVIA_CONF);
        expect(after.files[`${OCTAVIA_CONF}.tricircle-lbaas.orig`]).toMatch(/^f 640 0:65534 /);
        expect(restartCount(node)).toBe(1);

        // The heartbeat key never shows in what the commands print (or in their text, see the unit tests).
        for (const r of Object.values(created)) expect(r.stdout + r.stderr).not.toContain("k#e;y=v");

        // Idempotency: a second create, and an update (what `pulumi up` runs on changed inputs), change nothing.
        const again = await runPhase(node, commands, "create", CREATE_ORDER);
        expect(again["octavia-conf"].stderr).toContain("unchanged; Octavia not restarted");
        expect(await node.snapshot()).toEqual(after);
        await runPhase(node, commands, "update", CREATE_ORDER);
        expect(await node.snapshot()).toEqual(after);
        expect(restartCount(node)).toBe(1);

        // Undo: back to the baseline, exactly; a second delete is harmless.
        await runPhase(node, commands, "delete", DELETE_ORDER);
        expect(await node.snapshot()).toEqual(baseline);
        expect(restartCount(node)).toBe(2);
        await runPhase(node, commands, "delete", DELETE_ORDER);
        expect(await node.snapshot()).toEqual(baseline);
    });

    it("a node serves one stack: another stack's plane create and delete are refused before they change anything, until the owner's delete releases the node", async () => {
        const node = await startNode();
        const baseline = await node.snapshot();
        const ours = await commandsOf(nodeArgs(node));
        // A second stack naming the same host, with its own health-manager port.
        const other = "tricircle-lbaas/other-stack";
        const theirs = await commandsOf(nodeArgs(node, { owner: other, portId: "5b0c7e1d-2a3f-4b6c-8d9e-0f1a2b3c4d5e", portMac: "fa:16:3e:5a:6b:7d", portIp: "192.168.10.8" }));

        await runPhase(node, ours, "create", CREATE_ORDER);
        expect(await node.readFile(NODE_PATHS.owner)).toBe("tricircle-lbaas/host-test\n");
        const served = await node.snapshot();
        for (const phase of ["create", "update", "delete"] as const) {
            const r = await node.ssh(theirs.plane[phase], { input: theirs.plane.stdin });
            expect(r.code, `the other stack's plane ${phase}`).not.toBe(0);
            expect(r.stderr).toContain(`serves the stack tricircle-lbaas/host-test`);
            expect(r.stderr).toContain(`the stack ${other} changes nothing here`);
            expect(await node.snapshot(), `after the other stack's plane ${phase}`).toEqual(served);
        }
        expect(globalAddresses(served, "o-hm0")).toEqual([`${PORT.ip}/24`]);

        // The owner's delete releases the node; then the other stack may serve it, and its delete leaves it as it was.
        await runPhase(node, ours, "delete", DELETE_ORDER);
        expect(await node.snapshot()).toEqual(baseline);
        await runPhase(node, theirs, "create", CREATE_ORDER);
        expect(await node.readFile(NODE_PATHS.owner)).toBe(`${other}\n`);
        expect(globalAddresses(await node.snapshot(), "o-hm0")).toEqual(["192.168.10.8/24"]);
        const refused = await node.ssh(ours.plane.create, { input: ours.plane.stdin });
        expect(refused.stderr).toContain(`serves the stack ${other}`);
        await runPhase(node, theirs, "delete", DELETE_ORDER);
        expect(await node.snapshot()).toEqual(baseline);
    });

    it("dhcp: o-hm0 leases the port's address and MTU, ignores the offered router and DNS, keeps one dhclient, and delete releases it", async () => {
        const node = await startNode();
        await node.startDhcp({ mac: PORT.mac, ip: PORT.ip });
        const baseline = await node.snapshot();
        const commands = await commandsOf(nodeArgs(node, { addressing: "dhcp" }));

        const created = await runPhase(node, commands, "create", CREATE_ORDER);
        expect(parseOHm0Report(created.plane.stdout)).toEqual({ ip: PORT.ip, prefixLength: 24, mac: PORT.mac });
        const after = await node.snapshot();
        expect(globalAddresses(after, "o-hm0")).toEqual([`${PORT.ip}/24`]);
        expect(ohm0Link(after).mtu).toBe(1450);
        // dnsmasq forces a router and a DNS server into every reply; neither may land.
        expect(after.routes.filter((r) => r.includes("default") || r.includes(MGMT.offeredRouter))).toEqual([]);
        expect(Object.keys(after.upperFiles).filter((f) => f.includes("resolv"))).toEqual([]);
        expect(after.processes.filter((p) => p === "dhclient")).toHaveLength(1);
        expect(after.files[NODE_PATHS.dhclientConf]).toMatch(/^f 644 0:0 /);
        expect(after.files[NODE_PATHS.dhclientScript]).toMatch(/^f 755 0:0 /);
        const leases = await node.readFile(NODE_PATHS.dhclientLease);
        expect(leases).toContain(`fixed-address ${PORT.ip};`);

        await runPhase(node, commands, "create", CREATE_ORDER);
        expect(await node.snapshot()).toEqual(after);

        await runPhase(node, commands, "delete", DELETE_ORDER);
        expect(await node.snapshot()).toEqual(baseline);
        expect(await node.readFile(`${node.dir}/log/dnsmasq.log`)).toContain(`DHCPRELEASE(tap-dhcp) ${PORT.ip} ${PORT.mac}`);
    });

    it("update: a new port address, MAC and heartbeat port replace the old ones in place; delete still restores the original", async () => {
        const node = await startNode();
        const baseline = await node.snapshot();
        const first = await commandsOf(nodeArgs(node));
        await runPhase(node, first, "create", CREATE_ORDER);

        const moved: Partial<FlatNodeArgs> = {
            portIp: "192.168.10.9",
            portMac: "fa:16:3e:00:00:99",
            heartbeatPort: 5556,
            controllerIpPortList: "192.168.10.9:5556",
        };
        const base = nodeArgs(node);
        const second = await commandsOf(nodeArgs(node, { ...moved, octavia: { ...base.region.octavia, glance: undefined } }));
        const updated = await runPhase(node, second, "update", CREATE_ORDER);
        expect(parseOHm0Report(updated.plane.stdout)).toEqual({ ip: "192.168.10.9", prefixLength: 24, mac: "fa:16:3e:00:00:99" });
        const after = await node.snapshot();
        expect(globalAddresses(after, "o-hm0")).toEqual(["192.168.10.9/24"]);
        expect(heartbeatRules(after.iptables, 5555)).toEqual([]);
        expect(heartbeatRules(after.iptables, 5556)).toHaveLength(1);
        expect(heartbeatRules(after.ip6tables, 5556)).toHaveLength(1);
        const conf = await node.readFile(OCTAVIA_CONF);
        expect(conf).toContain("bind_ip = 192.168.10.9\n");
        expect(conf).toContain("bind_port = 5556\n");
        // [glance] endpoint settings are no longer configured: the keys the stack added are gone again.
        expect(conf).toContain("[glance]\nregion_name = RegionOne\n");
        expect(conf).not.toContain("endpoint = http://10.7.20.114:9292");

        // The delete of the newer state still knows the values from before the first create.
        await runPhase(node, second, "delete", DELETE_ORDER);
        expect(await node.snapshot()).toEqual(baseline);
    });

    it.each(["static", "dhcp"] as const)("reboot (%s): with links and rules gone, the unit's ExecStart brings o-hm0 back with the same MAC and address", async (addressing) => {
        const node = await startNode();
        if (addressing === "dhcp") await node.startDhcp({ mac: PORT.mac, ip: PORT.ip });
        const commands = await commandsOf(nodeArgs(node, { addressing }));
        await runPhase(node, commands, "create", CREATE_ORDER);
        const before = await node.snapshot();

        // What a reboot takes: kernel devices (OVS recreates them from its database, without an
        // address), firewall rules, processes and /run. Without the "mac" column (as the guide's
        // manual ovs-vsctl line leaves the row) the device also comes back with a random MAC.
        await node.sh("ovs-vsctl --timeout=10 clear Interface o-hm0 mac");
        await node.stopOvs({ reboot: true });
        await node.sh("pkill -x dhclient || true; rm -rf /run/tricircle-lbaas; iptables -F INPUT; ip6tables -F INPUT");
        await node.startOvs();
        if (addressing === "dhcp") {
            // The DHCP server's own port went with the datapath; it serves again, as Neutron's would.
            await node.stopDhcp();
            await node.startDhcp({ mac: PORT.mac, ip: PORT.ip });
        }
        await node.sh("for i in $(seq 100); do [ -e /sys/class/net/o-hm0 ] && break; sleep 0.1; done; ip link set o-hm0 down");
        const down = await node.snapshot();
        expect(globalAddresses(down, "o-hm0")).toEqual([]);
        expect(ohm0Link(down).address).not.toBe(PORT.mac);
        expect(ohm0Link(down).flags).not.toContain("UP");
        expect(heartbeatRules(down.iptables, 5555)).toEqual([]);

        // systemd at boot: ExecStart= of the unit that the persistence command wrote, run as root.
        const unit = await node.readFile(NODE_PATHS.unitFile);
        const starts = unitExecLines(unit, "ExecStart");
        expect(starts).toEqual([`${NODE_PATHS.helper} up`]);
        for (const line of starts) expectOk(await node.ssh(line, { user: "root" }), `ExecStart=${line}`);

        const restored = await node.snapshot();
        expect(ohm0Link(restored).address).toBe(PORT.mac);
        expect(globalAddresses(restored, "o-hm0")).toEqual([`${PORT.ip}/24`]);
        expect(heartbeatRules(restored.iptables, 5555)).toHaveLength(1);
        expect(heartbeatRules(restored.ip6tables, 5555)).toHaveLength(1);
        expect(restored.addresses).toEqual(before.addresses);
        expect(restored.routes).toEqual(before.routes);
        expect(restored.ovsInterfaces).toEqual(before.ovsInterfaces);
        // Same files; only what dhclient keeps at run time (pid, log, lease times) has new content.
        const settled = (files: Record<string, string>) =>
            Object.fromEntries(Object.entries(files).map(([p, d]) => [p, /^\/run\/|\.leases$/.test(p) ? d.replace(/ sha256:.*/, "") : d]));
        expect(settled(restored.files)).toEqual(settled(before.files));
        expect(restored.processes).toEqual(before.processes);

        // ExecStop gives the address back and drops the rules; the next boot brings them again.
        for (const line of unitExecLines(unit, "ExecStop")) expectOk(await node.ssh(line, { user: "root" }), `ExecStop=${line}`);
        const stopped = await node.snapshot();
        expect(globalAddresses(stopped, "o-hm0")).toEqual([]);
        expect(heartbeatRules(stopped.iptables, 5555)).toEqual([]);
        for (const line of starts) expectOk(await node.ssh(line, { user: "root" }), `ExecStart=${line}`);
        expect(globalAddresses(await node.snapshot(), "o-hm0")).toEqual([`${PORT.ip}/24`]);
    });
});

