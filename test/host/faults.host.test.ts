// Host scenarios, faults: what the component's commands do when the node is not as expected.
// Each fault must end in a clear message within a bound, leave nothing half-made where the
// check comes first, and a later run (after the fault is gone) must converge.
import * as fs from "fs";
import { describe, expect, it } from "vitest";
import { SSH_DIAL_POLICY } from "../../components/node/controllerNode";
import { parseOHm0Report } from "../../components/node/ohm0";
import { LIMITS } from "../../components/node/remote";
import {
    BASELINE_OCTAVIA_CONF,
    CREATE_ORDER,
    DELETE_ORDER,
    NodeSnapshot,
    OCTAVIA_CONF,
    PORT,
    commandsOf,
    expectOk,
    nodeArgs,
    restartCount,
    run,
    runPhase,
    freshNodePerTest,
} from "./harness";

const startNode = freshNodePerTest();

/** OVS restarts give the datapath's own devices new random MACs; everything else must match. */
function withoutDatapathLinks(s: NodeSnapshot): NodeSnapshot {
    return { ...s, links: s.links.filter((l) => !["br-int", "ovs-netdev"].includes((l as { ifname: string }).ifname)) };
}

describe("faults", () => {
    it("no DHCP server: the plane's create fails with a clear message within its bound; once DHCP answers, a full create converges and deletes cleanly", async () => {
        const node = await startNode();
        // The management subnet's DHCP port exists, but nothing answers on it.
        await node.startDhcp({ mac: PORT.mac, ip: PORT.ip });
        await node.stopDhcp();
        const baseline = await node.snapshot();
        const commands = await commandsOf(nodeArgs(node, { addressing: "dhcp" }));

        const failed = await node.ssh(commands.plane.create);
        expect(failed.code).not.toBe(0);
        expect(failed.stderr).toContain(`o-hm0 got no DHCP lease within ${LIMITS.dhcpSeconds}s (MAC ${PORT.mac})`);
        expect(failed.stderr).toContain(`is port ${PORT.id} bound to`);
        expect(failed.ms).toBeLessThan((LIMITS.dhcpSeconds + 15) * 1000);
        expect(await node.processNames()).not.toContain("dhclient");

        await node.startDhcp({ mac: PORT.mac, ip: PORT.ip });
        const created = await runPhase(node, commands, "create", CREATE_ORDER);
        expect(parseOHm0Report(created.plane.stdout)).toEqual({ ip: PORT.ip, prefixLength: 24, mac: PORT.mac });
        // The half-made o-hm0 of the failed run is taken down with the rest.
        await runPhase(node, commands, "delete", DELETE_ORDER);
        expect(await node.snapshot()).toEqual({ ...baseline, processes: [...baseline.processes, "dnsmasq"].sort() });
    });

    it("Open vSwitch not running: the plane's create fails at once, changes nothing, and converges once OVS is back", async () => {
        const node = await startNode();
        const baseline = withoutDatapathLinks(await node.snapshot());
        const commands = await commandsOf(nodeArgs(node));

        await node.stopOvs();
        const noDb = await node.ssh(commands.plane.create);
        expect(noDb.code).not.toBe(0);
        expect(noDb.stderr).toMatch(/Open vSwitch is not running on .*: ovsdb-server does not answer/);
        expect(noDb.ms).toBeLessThan(10_000);

        await node.startOvs();
        await node.stopOvs({ vswitchdOnly: true });
        const noSwitch = await node.ssh(commands.plane.create);
        expect(noSwitch.code).not.toBe(0);
        expect(noSwitch.stderr).toMatch(/Open vSwitch is not running on .*: ovs-vswitchd does not answer/);
        expect(noSwitch.ms).toBeLessThan(10_000);

        await node.startOvs();
        expect(withoutDatapathLinks(await node.snapshot())).toEqual(baseline);
        const noBridge = await node.ssh((await commandsOf(nodeArgs(node, { ovsBridge: "br-missing" }))).plane.create);
        expect(noBridge.code).not.toBe(0);
        expect(noBridge.stderr).toContain("Open vSwitch bridge br-missing does not exist on");

        const converged = expectOk(await node.ssh(commands.plane.create), "plane create after OVS came back");
        expect(parseOHm0Report(converged.stdout)).toEqual({ ip: PORT.ip, prefixLength: 24, mac: PORT.mac });
        await runPhase(node, commands, "delete", ["plane"]);
        expect(withoutDatapathLinks(await node.snapshot())).toEqual(baseline);
    });

    it("MAC already used by another port: the plane's create refuses before changing anything", async () => {
        const node = await startNode();
        const commands = await commandsOf(nodeArgs(node));

        // A device on the bridge that already carries the Neutron port's MAC.
        await node.sh(`ovs-vsctl --timeout=10 add-port br-int stale0 -- set Interface stale0 type=internal 'mac="${PORT.mac}"'`);
        await node.sh("for i in $(seq 50); do [ -e /sys/class/net/stale0 ] && break; sleep 0.1; done");
        const withStale = await node.snapshot();
        const onLink = await node.ssh(commands.plane.create);
        expect(onLink.code).not.toBe(0);
        expect(onLink.stderr).toContain(`MAC ${PORT.mac} of Neutron port ${PORT.id} is already used by interface stale0`);
        expect(await node.snapshot()).toEqual(withStale);
        await node.sh("ovs-vsctl --timeout=10 del-port br-int stale0");

        // An OVS port that Neutron wired for the same MAC (no local device needed to collide).
        await node.sh(`ovs-vsctl --timeout=10 add-port br-int vm-port -- set Interface vm-port type=internal 'external_ids:attached-mac="${PORT.mac}"'`);
        const withVm = await node.snapshot();
        const inOvs = await node.ssh(commands.plane.create);
        expect(inOvs.code).not.toBe(0);
        expect(inOvs.stderr).toContain(`MAC ${PORT.mac} of Neutron port ${PORT.id} is already claimed by Open vSwitch interface vm-port`);
        expect(await node.snapshot()).toEqual(withVm);
        await node.sh("ovs-vsctl --timeout=10 del-port br-int vm-port");

        const converged = expectOk(await node.ssh(commands.plane.create), "plane create without the conflict");
        expect(parseOHm0Report(converged.stdout).mac).toBe(PORT.mac);
    });

    it("SSH unreachable: refused and silently dropped connections both fail within the dial policy's bound", async () => {
        const node = await startNode();
        const commands = await commandsOf(nodeArgs(node));
        const bound = SSH_DIAL_POLICY.dialErrorLimit * (SSH_DIAL_POLICY.perDialTimeout + 1) * 1000 + 5_000;

        await node.sh("iptables -w -I INPUT -p tcp --dport 22 -j DROP");
        const dropped = await node.ssh(commands.plane.create);
        expect(dropped.code).toBe(255);
        expect(dropped.stderr).toMatch(/timed out/i);
        expect(dropped.ms).toBeGreaterThanOrEqual(SSH_DIAL_POLICY.dialErrorLimit * SSH_DIAL_POLICY.perDialTimeout * 1000 - 1_000);
        expect(dropped.ms).toBeLessThan(bound);
        await node.sh("iptables -w -D INPUT -p tcp --dport 22 -j DROP");

        await node.sh("kill $(cat /run/sshd.pid)");
        const refused = await node.ssh(commands.plane.create);
        expect(refused.code).toBe(255);
        expect(refused.stderr).toMatch(/refused/i);
        expect(refused.ms).toBeLessThan(bound);

        // Nothing reached the node.
        expect((await node.exec(["ip", "link", "show", "o-hm0"])).code).not.toBe(0);
    });

    it("host key not the pinned one: the connection is refused before anything runs", async () => {
        const node = await startNode();
        const commands = await commandsOf(nodeArgs(node));
        // A man in the middle would present some other key than the pinned one.
        const other = `${node.dir}/other-host-key`;
        expectOk(await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]), "ssh-keygen");
        const otherKey = fs.readFileSync(`${other}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
        fs.writeFileSync(node.knownHosts, `${node.sshHost} ${otherKey}\n`);
        const wrongKey = await node.ssh(commands.plane.create);
        expect(wrongKey.code).toBe(255);
        expect(wrongKey.stderr).toMatch(/host key verification failed/i);
        expect((await node.exec(["ip", "link", "show", "o-hm0"])).code).not.toBe(0);
    });

    it("Octavia restart command failing: create and delete fail clearly, keep the file updated, and converge on the next run", async () => {
        const node = await startNode();
        const baseline = await node.snapshot();
        const allowed = `${node.dir}/restart-allowed`;
        const base = nodeArgs(node);
        const commands = await commandsOf(nodeArgs(node, {
            octavia: { ...base.region.octavia, restartCommand: `test -e ${allowed} && echo restarted >>${node.dir}/octavia-restarts.log` },
        }));

        const failed = await node.ssh(commands["octavia-conf"].create, { input: commands["octavia-conf"].stdin });
        expect(failed.code).not.toBe(0);
        expect(failed.stderr).toContain("the Octavia restart command failed (exit 1)");
        expect(failed.stderr).toContain("the restart is retried on the next run");
        expect(await node.readFile(OCTAVIA_CONF)).toContain("bind_ip = 192.168.10.6\n");
        expect(restartCount(node)).toBe(0);

        fs.writeFileSync(allowed, "");
        expectOk(await node.ssh(commands["octavia-conf"].create, { input: commands["octavia-conf"].stdin }), "second create");
        expect(restartCount(node)).toBe(1);
        expectOk(await node.ssh(commands["octavia-conf"].create, { input: commands["octavia-conf"].stdin }), "third create");
        expect(restartCount(node)).toBe(1);

        fs.rmSync(allowed);
        const failedDelete = await node.ssh(commands["octavia-conf"].delete);
        expect(failedDelete.code).not.toBe(0);
        expect(failedDelete.stderr).toContain("the Octavia restart command failed (exit 1)");
        expect(await node.readFile(OCTAVIA_CONF)).toBe(BASELINE_OCTAVIA_CONF);

        fs.writeFileSync(allowed, "");
        expectOk(await node.ssh(commands["octavia-conf"].delete), "second delete");
        expect(restartCount(node)).toBe(2);
        expect(await node.snapshot()).toEqual(baseline);
    });
});
