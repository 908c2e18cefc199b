// The push of the controllers' agent settings to a region's running amphorae (components/amphora/agentConfigProvider.ts):
// which amphorae are the region's, and what a push asks of Octavia. Octavia itself is the e2e suite's
// (test/e2e/amphora.test.ts); here a FAKE Keystone and Octavia on loopback answer the token request, the amphora
// list in pages and the config PUTs, failing the ones a test names.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentConfigProvider, amphoraeInRegion, pushAgentConfig, pushPreview } from "../../components/amphora/agentConfigProvider";
import { amp, FakeOctavia } from "./fakeOctavia";

describe("the amphorae of a region", () => {
    it("are the ALLOCATED ones with a load balancer and a management address in the region's subnet, sorted by id", () => {
        const listed = [
            amp("b", "192.168.10.20"),
            amp("a", "192.168.10.255"),
            amp("other-region", "192.168.20.5"),
            amp("spare", "192.168.10.21", { status: "READY", loadbalancer_id: null }),
            amp("deleted", "192.168.10.22", { status: "DELETED" }),
            amp("booting", "192.168.10.23", { status: "BOOTING" }),
            amp("no-lb", "192.168.10.24", { loadbalancer_id: null }),
            amp("no-address", null),
            amp("garbage", "not-an-ip"),
            amp("edge-below", "192.168.9.255"),
            amp("edge-above", "192.168.11.0"),
        ];
        expect(amphoraeInRegion(listed, "192.168.10.0/24").map((a) => a.id)).toEqual(["a", "b"]);
    });

    it("works for IPv6 management subnets, and never mixes the families", () => {
        const listed = [amp("v6", "fd00:10::6"), amp("v6-out", "fd00:11::6"), amp("v4", "192.168.10.5")];
        expect(amphoraeInRegion(listed, "fd00:10::/64").map((a) => a.id)).toEqual(["v6"]);
        expect(amphoraeInRegion(listed, "192.168.10.0/24").map((a) => a.id)).toEqual(["v4"]);
    });
});

describe("a push (FAKE Keystone and Octavia on loopback)", () => {
    const fake = new FakeOctavia();
    const inputs = () => ({
        region: "RegionOne",
        access: { authUrl: `${fake.url}/v3`, authBody: "{}", interface: "public", insecure: false },
        plane: "digest",
        mgmtCidr: "192.168.10.0/24",
    });
    beforeAll(() => fake.start());
    afterAll(() => fake.stop());

    it("reads every page of the list and asks Octavia to configure each amphora of the region, once", async () => {
        fake.amphorae = [amp("a1", "192.168.10.11"), amp("x", "192.168.20.11"), amp("a2", "192.168.10.12"), amp("a3", "192.168.10.13"), amp("spare", "192.168.10.14", { status: "READY" })];
        fake.puts = [];
        fake.refuse.clear();
        expect(await pushAgentConfig(inputs())).toEqual(["a1", "a2", "a3"]);
        expect(fake.puts.sort()).toEqual(["a1", "a2", "a3"]);
    });

    it("tries every amphora, then fails naming each one that refused, with its load balancer", async () => {
        fake.amphorae = [amp("a1", "192.168.10.11"), amp("a2", "192.168.10.12"), amp("a3", "192.168.10.13")];
        fake.puts = [];
        fake.refuse = new Set(["a1", "a3"]);
        const failure = await pushAgentConfig(inputs()).then(
            () => undefined,
            (e: Error) => e.message,
        );
        expect(fake.puts.sort()).toEqual(["a1", "a2", "a3"]);
        expect(failure).toContain("region RegionOne: 2 of 3 amphorae did not take the new agent configuration");
        expect(failure).toMatch(/amphora a1 \(load balancer lb-a1\): .*409/);
        expect(failure).toMatch(/amphora a3 \(load balancer lb-a3\): .*409/);
        expect(failure).not.toContain("amphora a2");
    });

    it("with no amphora in the region, pushes nothing and succeeds", async () => {
        fake.amphorae = [amp("x", "192.168.20.11")];
        fake.puts = [];
        expect(await pushAgentConfig(inputs())).toEqual([]);
        expect(fake.puts).toEqual([]);
    });

    it("a preview counts the region's running amphorae and names their load balancers, and asks Octavia to change nothing", async () => {
        fake.amphorae = [amp("a1", "192.168.10.11"), amp("a2", "192.168.10.12", { loadbalancer_id: "lb-a1" }), amp("a3", "192.168.10.13"), amp("x", "192.168.20.11")];
        fake.puts = [];
        expect(await pushPreview(inputs())).toBe(
            "region RegionOne: 3 running amphorae are sent the new agent configuration (load balancers lb-a1, lb-a3)",
        );
        fake.amphorae = [amp("a1", "192.168.10.11")];
        expect(await pushPreview(inputs())).toBe("region RegionOne: 1 running amphora is sent the new agent configuration (load balancers lb-a1)");
        fake.amphorae = [amp("x", "192.168.20.11")];
        expect(await pushPreview(inputs())).toBe("region RegionOne: no running amphora to give the new agent configuration to");
        expect(fake.puts).toEqual([]);
    });

    it("a preview that cannot list says so and does not fail", async () => {
        // Keystone answers 404 at this address.
        const unreachable = { ...inputs(), access: { ...inputs().access, authUrl: `${fake.url}/nowhere/v3` } };
        expect(await pushPreview(unreachable)).toMatch(/^region RegionOne: could not count the amphorae the new agent configuration goes to \(.+\); `up` pushes it to every running one$/);
    });

    it("diff counts only when the push would run: a new key or list, not new credentials", async () => {
        fake.amphorae = [amp("a1", "192.168.10.11")];
        const said: string[] = [];
        const { log } = await import("@pulumi/pulumi");
        const info = log.info;
        (log as { info: (m: string) => Promise<void> }).info = async (m: string) => void said.push(m);
        try {
            const olds = { ...inputs(), pushedTo: ["a1"] };
            expect(await agentConfigProvider.diff!("id", olds, { ...inputs(), plane: "new-digest" })).toEqual({ changes: true, replaces: [] });
            expect(await agentConfigProvider.diff!("id", olds, { ...inputs(), access: { ...inputs().access, authBody: '{"new": 1}' } })).toEqual({ changes: true, replaces: [] });
            expect(await agentConfigProvider.diff!("id", olds, inputs())).toEqual({ changes: false, replaces: [] });
        } finally {
            (log as { info: typeof info }).info = info;
        }
        expect(said).toEqual(["region RegionOne: 1 running amphora is sent the new agent configuration (load balancers lb-a1)"]);
    });
});
