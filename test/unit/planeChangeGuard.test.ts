// The look at a region's running amphorae before its controllers change their heartbeat settings
// (components/amphora/planeChangeGuardProvider.ts): what counts as a change for the amphorae, what is refused and
// what is only said, and that a refusal comes from the diff (in `preview` and `up`) with Octavia asked for nothing
// but the list. Octavia here is the FAKE of fakeOctavia.ts; test/e2e/amphora.test.ts meets the real one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GuardInputs, judgePlaneChange, planeChange, planeChangeGuardProvider } from "../../components/amphora/planeChangeGuardProvider";
import { amp, FakeOctavia } from "./fakeOctavia";

const A = "192.168.10.5:5555";
const B = "192.168.10.6:5555";
const C = "192.168.10.7:5555";

describe("planeChange", () => {
    it("is nothing when the key digest and the list stay, whatever their order", () => {
        expect(planeChange({ keyDigest: "k", controllers: [A, B] }, { keyDigest: "k", controllers: [B, A] })).toBeUndefined();
    });

    it("names a rotation, the health managers added and removed, and those that stay", () => {
        expect(planeChange({ keyDigest: "k", controllers: [A, B] }, { keyDigest: "k2", controllers: [B, C] })).toEqual({ keyRotated: true, added: [C], removed: [A], stillHeard: [B] });
        expect(planeChange({ keyDigest: "k", controllers: [A] }, { keyDigest: "k", controllers: [C] })).toEqual({ keyRotated: false, added: [C], removed: [A], stillHeard: [] });
    });
});

describe("judgePlaneChange", () => {
    const fleet = [amp("a1", "192.168.10.11"), amp("a2", "192.168.10.12", { loadbalancer_id: "lb-a1" }), amp("a3", "192.168.10.13")];
    const rotation = { keyRotated: true, added: [], removed: [], stillHeard: [A] };
    const addition = { keyRotated: false, added: [B], removed: [], stillHeard: [A] };
    const replacement = { keyRotated: false, added: [B], removed: [A], stillHeard: [] };
    const settings = (over: Partial<GuardInputs> = {}) => ({ region: "RegionOne", agentVersion: undefined, allowFailover: false, ...over });

    it("refuses a key rotation while amphorae of an unstated or older agent run, naming them and both ways out", () => {
        for (const agentVersion of [undefined, "11.0.0", "16.0.0"]) {
            const { refuse, tell } = judgePlaneChange(rotation, settings({ agentVersion }), fleet);
            expect(tell).toBeUndefined();
            expect(refuse).toContain("region RegionOne: the heartbeat key rotation would fail over 3 running amphorae (load balancers lb-a1, lb-a3)");
            expect(refuse).toContain("every health manager refuses their heartbeats");
            expect(refuse).toContain("Nothing was changed.");
            expect(refuse).toContain("set healthManager.amphoraAgentVersion");
            expect(refuse).toContain("healthManager.allowFailover: true");
            expect(refuse).toContain(agentVersion === undefined ? "an unstated Octavia release" : `an agent of Octavia ${agentVersion}`);
        }
    });

    it("refuses replacing every health manager the amphorae know, but not adding one", () => {
        expect(judgePlaneChange(replacement, settings(), fleet).refuse).toContain(`replacing every health manager the amphorae know (${A}) would fail over 3 running amphorae`);
        const added = judgePlaneChange(addition, settings(), fleet);
        expect(added.refuse).toBeUndefined();
        expect(added.tell).toContain(`keep sending heartbeats to the health managers they started with, still heard at ${A}; ${B} hear them only once they restart`);
    });

    it("lets an agent that applies the push take any change, and says so", () => {
        for (const change of [rotation, replacement]) {
            const { refuse, tell } = judgePlaneChange(change, settings({ agentVersion: "15.1.0" }), fleet);
            expect(refuse).toBeUndefined();
            expect(tell).toBe("region RegionOne: 3 running amphorae (load balancers lb-a1, lb-a3) take the new heartbeat settings from Octavia's push within two heartbeat intervals (agent of Octavia 15.1.0), without a restart or a failover");
        }
    });

    it("with allowFailover, lets the change fail the amphorae over, and says so", () => {
        const { refuse, tell } = judgePlaneChange(rotation, settings({ allowFailover: true }), [fleet[0]]);
        expect(refuse).toBeUndefined();
        expect(tell).toBe("region RegionOne: the heartbeat key rotation fails over 1 running amphora (load balancers lb-a1) once heartbeat_timeout has passed: every health manager refuses their heartbeats (healthManager.allowFailover)");
    });

    it("says nothing when no amphora runs, and refuses blind only what could fail amphorae over", () => {
        expect(judgePlaneChange(rotation, settings(), [])).toEqual({});
        const down = new Error("Octavia answered 503");
        expect(judgePlaneChange(rotation, settings(), down).refuse).toContain("the region's running amphorae could not be listed (Octavia answered 503)");
        expect(judgePlaneChange(rotation, settings({ allowFailover: true }), down)).toEqual({ tell: "region RegionOne: could not count the running amphorae this change reaches (Octavia answered 503)" });
        expect(judgePlaneChange(addition, settings(), down).refuse).toBeUndefined();
        expect(judgePlaneChange(rotation, settings({ agentVersion: "17.0.0" }), down).refuse).toBeUndefined();
    });
});

describe("the guard's diff (FAKE Keystone and Octavia on loopback)", () => {
    const fake = new FakeOctavia();
    const inputs = (over: Partial<GuardInputs> = {}): GuardInputs => ({
        region: "RegionOne",
        access: { authUrl: `${fake.url}/v3`, authBody: "{}", interface: "public", insecure: false },
        keyDigest: "digest-1",
        controllers: [A],
        mgmtCidr: "192.168.10.0/24",
        allowFailover: false,
        ...over,
    });
    beforeAll(() => fake.start());
    afterAll(() => fake.stop());

    it("throws the refusal for a rotation with running amphorae, and pushes nothing", async () => {
        fake.amphorae = [amp("a1", "192.168.10.11"), amp("elsewhere", "192.168.20.11")];
        fake.puts = [];
        await expect(planeChangeGuardProvider.diff!("id", inputs(), inputs({ keyDigest: "digest-2" }))).rejects.toThrow(
            "region RegionOne: the heartbeat key rotation would fail over 1 running amphora (load balancers lb-a1)",
        );
        expect(fake.puts).toEqual([]);
    });

    it("passes a rotation once the agent's release applies the push, or no amphora of the region runs", async () => {
        fake.amphorae = [amp("a1", "192.168.10.11")];
        expect(await planeChangeGuardProvider.diff!("id", inputs(), inputs({ keyDigest: "digest-2", agentVersion: "16.0.1" }))).toEqual({ changes: true, replaces: [] });
        fake.amphorae = [amp("elsewhere", "192.168.20.11")];
        expect(await planeChangeGuardProvider.diff!("id", inputs(), inputs({ keyDigest: "digest-2" }))).toEqual({ changes: true, replaces: [] });
    });

    it("reports no change when nothing the amphorae see or the guard weighs changed", async () => {
        fake.amphorae = [amp("a1", "192.168.10.11")];
        expect(await planeChangeGuardProvider.diff!("id", inputs(), inputs())).toEqual({ changes: false, replaces: [] });
        expect(await planeChangeGuardProvider.diff!("id", inputs(), inputs({ allowFailover: true }))).toEqual({ changes: true, replaces: [] });
    });
});
