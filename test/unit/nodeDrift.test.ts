// Unit tests of the drift resource's provider logic (no SSH: the check itself runs for real in
// test/host/drift.host.test.ts and in the e2e suite) and of how ControllerNode turns a repair into a changed command.
import { describe, expect, it } from "vitest";
import { nodeCheckScript, nodeCheckStdin } from "../../components/node/check";
import { driftReport, nodeDriftProvider, parseNodeCheck, repairMarker } from "../../components/node/nodeDrift";
import { octaviaSettings } from "../../components/node/octaviaConf";

const PORT_ID = "3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d";
const ohm0 = { bridge: "br-int", portId: PORT_ID, mac: "fa:16:3e:5a:6b:7c", ip: "192.168.10.6", prefixLength: 24, addressing: "static" as const, hostname: "node1", adopt: false, owner: "tricircle-lbaas/unit" };
const settings = octaviaSettings({
    region: "RegionOne",
    centralRegion: "CentralRegion",
    bindIp: "192.168.10.6",
    bindPort: 5555,
    controllerIpPortList: "192.168.10.6:5555",
    mgmtNetworkId: "8acc6c02-66aa-4c0a-92bb-2a7a9c184ab1",
    amphoraSecurityGroupId: "e4282699-43fd-4cb5-a709-cfaf213640f5",
});
const base = {
    node: "n1 (10.0.0.1:22)",
    connection: { host: "10.0.0.1", port: 22, user: "stack", privateKey: "k", dialErrorLimit: 3, perDialTimeout: 10 },
    check: "check",
    checkStdin: "{}",
};
const zero = { ohm0: 0, firewall: 0, persistence: 0, certificates: 0, "octavia-conf": 0 };

describe("the drift check's text and input", () => {
    it("holds no secret, carries the key's hash only on stdin, and runs nothing that writes", () => {
        const key = "unit-test-heartbeat-key";
        const script = nodeCheckScript({ ohm0, heartbeatPort: 5555, configFile: "/etc/octavia/octavia.conf", settings });
        expect(script).not.toContain(key);
        expect(script).toContain("tlb_check_all");
        const stdin = JSON.parse(nodeCheckStdin({ heartbeatKey: key }));
        expect(stdin.sha256.heartbeat_key).toMatch(/^[0-9a-f]{64}$/);
        expect(JSON.stringify(stdin)).not.toContain(key);
        // The entry points of the other scripts are defined (shared functions) but never called: the script's own
        // top-level lines (function bodies are indented; one entry point may call another inside its body).
        const entryPoints = "tlb_ohm0_up|tlb_ohm0_remove|tlb_firewall_up|tlb_firewall_down|tlb_firewall_remove|tlb_octavia_conf_apply|tlb_octavia_conf_restore|tlb_persistence_install|tlb_persistence_remove";
        const calls = script.split("\n").filter((l) => new RegExp(`^(${entryPoints})\\s*(;.*)?$`).test(l));
        expect(calls).toEqual([]);
    });

    it("reads the check's report, and refuses an unfinished one", () => {
        expect(parseNodeCheck("DRIFT ohm0 o-hm0 is down\nDRIFT firewall iptables has no rule\nnoise\nCHECK done\n")).toEqual([
            { concern: "ohm0", what: "o-hm0 is down" },
            { concern: "firewall", what: "iptables has no rule" },
        ]);
        expect(() => parseNodeCheck("DRIFT ohm0 x\n")).toThrow(/did not finish/);
        expect(driftReport([])).toBe("ok");
        expect(driftReport([{ concern: "ohm0", what: "o-hm0 is down" }])).toBe("drift: ohm0: o-hm0 is down");
    });
});

describe("NodeDrift's provider", () => {
    it("check: one more repair per drifted concern, drift cleared; nothing drifted, nothing changes", async () => {
        const first = await nodeDriftProvider.check!({}, base);
        expect(first.inputs).toMatchObject({ drift: [], repairs: zero });
        const clean = await nodeDriftProvider.check!(first.inputs, base);
        expect(clean.inputs.repairs).toEqual(zero);
        const drifted = { ...first.inputs, drift: [{ concern: "ohm0", what: "a" }, { concern: "ohm0", what: "b" }, { concern: "firewall", what: "c" }] };
        const next = await nodeDriftProvider.check!(drifted, base);
        expect(next.inputs).toMatchObject({ drift: [], repairs: { ...zero, ohm0: 1, firewall: 1 } });
    });

    it("diff: no change on a clean node with the same inputs; a change for drift or new inputs, never a replacement", async () => {
        const inputs = (await nodeDriftProvider.check!({}, base)).inputs;
        expect((await nodeDriftProvider.diff!("id", inputs, inputs)).changes).toBe(false);
        const refreshed = { ...inputs, drift: [{ concern: "ohm0", what: "a" }] };
        const planned = (await nodeDriftProvider.check!(refreshed, base)).inputs;
        expect(await nodeDriftProvider.diff!("id", refreshed, planned)).toMatchObject({ changes: true, replaces: [] });
        expect((await nodeDriftProvider.diff!("id", inputs, { ...inputs, checkStdin: "{other}" })).changes).toBe(true);
    });

    it("create and update change nothing anywhere: they only record", async () => {
        const inputs = (await nodeDriftProvider.check!({}, base)).inputs;
        expect(await nodeDriftProvider.create(inputs)).toEqual({ id: base.node, outs: inputs });
        expect(await nodeDriftProvider.update!("id", inputs, inputs)).toEqual({ outs: inputs });
    });

    it("a repair marks the concern's command text, and only that concern's", () => {
        expect(repairMarker(undefined, "ohm0")).toBe("");
        expect(repairMarker(zero, "ohm0")).toBe("");
        expect(repairMarker({ ...zero, ohm0: 2 }, "ohm0")).toMatch(/^# tricircle-lbaas: repair 2 of ohm0 .*\n$/);
        expect(repairMarker({ ...zero, ohm0: 2 }, "firewall")).toBe("");
    });
});
