// Host scenarios, drift: the read-only drift check that NodeDrift runs on refresh, over real SSH against a
// namespace node. A clean node reports nothing; each kind of drift is reported with what differs (the heartbeat key
// never printed), the check itself changes nothing, and the concern's converging update (what `up` re-runs) puts the
// node back to exactly its state after the create. The provider's own SSH path (runNodeCheck) is used too, with the
// pinned host key, and fails within the dial bound, naming the node, when the node is unreachable.
import { describe, expect, it } from "vitest";
import { commandOfConcern, SSH_DIAL_POLICY } from "../../components/node/controllerNode";
import { checkTimeoutSeconds, driftReport, runNodeCheck } from "../../components/node/nodeDrift";
import { NODE_PATHS } from "../../components/node/remote";
import { COMMON_DRIFT_CASES, DriftCase } from "../support/driftCases";
import {
    CREATE_ORDER,
    NodeCommand,
    HOSTILE_KEY,
    HostNode,
    OCTAVIA_CONF,
    PORT,
    RegisteredCommand,
    checkNode,
    commandsOf,
    driftCheckOf,
    expectOk,
    freshNodePerTest,
    nodeArgs,
    runPhase,
    withoutOvsRowIds,
} from "./harness";

const startNode = freshNodePerTest();

const CASES: DriftCase[] = [
    ...COMMON_DRIFT_CASES,
    { name: "its address removed", concern: "ohm0", make: "ip addr flush dev o-hm0 scope global", reported: /ohm0: o-hm0 has address\(es\) 'none', not 192\.168\.10\.6\/24/ },
    { name: "the IPv6 rule removed", concern: "firewall", make: "ip6tables -w -D INPUT -i o-hm0 -p udp --dport 5555 -m comment --comment tricircle-lbaas-o-hm0 -j ACCEPT", reported: /firewall: ip6tables has no rule accepting UDP 5555 on o-hm0/ },
    { name: "an octavia.conf value edited", concern: "octavia-conf", make: `sed -i 's/^bind_ip = .*/bind_ip = 10.9.9.9/' ${OCTAVIA_CONF}`, reported: /octavia-conf: \[health_manager\] bind_ip is "10\.9\.9\.9", not "192\.168\.10\.6"/ },
    { name: "the heartbeat key edited", concern: "octavia-conf", make: `sed -i 's/^heartbeat_key = .*/heartbeat_key = guessed/' ${OCTAVIA_CONF}`, reported: /octavia-conf: \[health_manager\] heartbeat_key differs from the stack's \(secret, not shown\)/ },
    { name: "the helper edited", concern: "persistence", make: `echo '# edited' >>${NODE_PATHS.helper}`, reported: new RegExp(`persistence: ${NODE_PATHS.helper} differs from what the stack wrote`) },
];

async function configured(): Promise<{ node: HostNode; commands: Record<NodeCommand, RegisteredCommand> }> {
    const node = await startNode();
    const commands = await commandsOf(nodeArgs(node));
    await runPhase(node, commands, "create", CREATE_ORDER);
    return { node, commands };
}

describe("drift check on a namespace node", () => {
    it("a clean node reports nothing; each drift is reported, the check changes nothing, and the concern's update repairs it exactly", async () => {
        const { node, commands } = await configured();
        expect(await checkNode(node, commands)).toEqual([]);
        const clean = withoutOvsRowIds(await node.snapshot());
        for (const c of CASES) {
            await node.sh(c.make);
            const drifted = await node.snapshot();
            const found = await checkNode(node, commands);
            expect(found.length, c.name).toBeGreaterThan(0);
            expect(new Set(found.map((d) => d.concern)), c.name).toEqual(new Set([c.concern]));
            expect(driftReport(found), c.name).toMatch(c.reported);
            expect(driftReport(found)).not.toContain("k#e;y");
            // Read-only: the node is exactly as the drift left it.
            expect(await node.snapshot(), `${c.name}: the check changed the node`).toEqual(drifted);
            const repair = commands[commandOfConcern(c.concern)];
            expectOk(await node.ssh(repair.update, { input: repair.stdin }), `${commandOfConcern(c.concern)} update after ${c.name}`);
            expect(await checkNode(node, commands), `${c.name} repaired`).toEqual([]);
            expect(withoutOvsRowIds(await node.snapshot()), `${c.name}: the node after the repair`).toEqual(clean);
        }
    });

    it("the provider's own SSH path: the pinned host key, clean and drifted reports, and an unreachable node named within the bound", async () => {
        const { node, commands } = await configured();
        const check = driftCheckOf(commands);
        const name = `test-node (${node.sshHost}:22)`;
        expect(check.connection.hostKey).toBe(node.hostKey);
        expect(check.stdin).not.toContain(HOSTILE_KEY.trim());
        expect(await runNodeCheck(name, check.connection, check.script, check.stdin)).toEqual([]);
        await node.sh("ip addr flush dev o-hm0 scope global");
        expect(driftReport(await runNodeCheck(name, check.connection, check.script, check.stdin))).toBe(
            `drift: ohm0: o-hm0 has address(es) 'none', not ${PORT.ip}/24`,
        );

        // Another host key than the pinned one: refused before anything runs.
        const other = { ...check.connection, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl other" };
        await expect(runNodeCheck(name, other, check.script, check.stdin)).rejects.toThrow(new RegExp(`controller node ${name.replace(/[()]/g, "\\$&")} is unreachable over SSH.*host key`, "i"));

        await node.sh("iptables -w -I INPUT -p tcp --dport 22 -j DROP");
        const t0 = Date.now();
        const error = await runNodeCheck(name, check.connection, check.script, check.stdin).then(
            () => undefined,
            (e: Error) => e,
        );
        const ms = Date.now() - t0;
        await node.sh("iptables -w -D INPUT -p tcp --dport 22 -j DROP");
        expect(String(error)).toContain(`controller node ${name} is unreachable over SSH`);
        expect(String(error)).not.toContain("PRIVATE KEY");
        expect(ms).toBeLessThan(checkTimeoutSeconds(SSH_DIAL_POLICY) * 1000);
        expect(ms).toBeLessThan(SSH_DIAL_POLICY.dialErrorLimit * (SSH_DIAL_POLICY.perDialTimeout + 1) * 1000 + 5_000);
    });
});
