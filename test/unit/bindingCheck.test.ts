// What makes a host binding real and what the failure says (components/cloud/portBinding/bindingCheck.ts): pure
// functions, so the edges of host names are drawn as properties as well as listed.
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bindingFailureMessage, boundByAgent, liveL2Agents, NeutronAgent, suggestHost } from "../../components/cloud/portBinding/bindingCheck";

const agent = (host: string, agent_type = "Open vSwitch agent", alive = true, admin_state_up = true): NeutronAgent => ({ host, agent_type, alive, admin_state_up });

describe("boundByAgent", () => {
    it("a mechanism's vif type is bound; binding_failed, unbound, empty and missing are not", () => {
        for (const vif of ["ovs", "bridge", "vhostuser", "hw_veb", "macvtap"]) expect(boundByAgent({ "binding:vif_type": vif })).toBe(true);
        for (const vif of ["binding_failed", "unbound", "", undefined]) expect(boundByAgent({ "binding:vif_type": vif })).toBe(false);
    });
});

describe("liveL2Agents", () => {
    it("keeps live, enabled L2 agents of every mechanism, sorted by host; drops DHCP, L3, metadata, dead and disabled", () => {
        const agents = [
            agent("net2", "DHCP agent"),
            agent("ctl-b", "Linux bridge agent"),
            agent("ctl-a"),
            agent("ctl-c", "OVN Controller agent"),
            agent("gw", "OVN Controller Gateway agent"),
            agent("ctl-d", "L3 agent"),
            agent("ctl-e", "Open vSwitch agent", false),
            agent("ctl-f", "Open vSwitch agent", true, false),
            agent("sriov", "NIC Switch agent"),
            agent("mv", "MacVTap agent"),
            agent("net2", "Metadata agent"),
        ];
        expect(liveL2Agents(agents).map((a) => a.host)).toEqual(["ctl-a", "ctl-b", "ctl-c", "gw", "mv", "sriov"]);
    });
});

describe("suggestHost", () => {
    const hosts = ["controller-r1", "controller-r2", "compute1", "net1.example.org"];

    it("the short name for an FQDN, the FQDN for a short name, another case, a near typo", () => {
        expect(suggestHost("controller-r1.example.org", hosts)).toBe("controller-r1");
        expect(suggestHost("net1", hosts)).toBe("net1.example.org");
        expect(suggestHost("Controller-R2", hosts)).toBe("controller-r2");
        expect(suggestHost("controler-r2", hosts)).toBe("controller-r2");
        expect(suggestHost("compute-1", hosts)).toBe("compute1");
    });

    it("nothing when no name is near, and never the very host asked for", () => {
        expect(suggestHost("storage7", hosts)).toBeUndefined();
        expect(suggestHost("controller-r1", ["controller-r1"])).toBeUndefined();
        expect(suggestHost("x", [])).toBeUndefined();
    });

    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/);

    it("property: an agent's short name is found from any FQDN of it, and the reverse", () => {
        fc.assert(
            fc.property(label, fc.array(label, { maxLength: 3 }), fc.array(label, { maxLength: 4 }), (short, domain, others) => {
                const fqdn = [short, ...domain, "example"].join(".");
                const pool = others.filter((o) => o !== short);
                expect(suggestHost(fqdn, [...pool, short])).toBe(short);
                expect(suggestHost(short, [...pool, fqdn])).toBe(fqdn);
            }),
        );
    });

    it("property: a suggestion is always one of the hosts, never the one asked for", () => {
        fc.assert(
            fc.property(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 6 }), (want, pool) => {
                const got = suggestHost(want, pool);
                if (got !== undefined) {
                    expect(pool).toContain(got);
                    expect(got).not.toBe(want);
                }
            }),
        );
    });
});

describe("bindingFailureMessage", () => {
    const base = { portId: "p-1", hostId: "ctl.example.org", region: "RegionOne", vifType: "binding_failed" };

    it("names the port, host, region, vif type, the live L2 agents and the likely host", () => {
        const m = bindingFailureMessage({ ...base, agents: [agent("ctl"), agent("compute1"), agent("ctl", "DHCP agent")] });
        expect(m).toContain('did not bind health-manager port p-1 to host "ctl.example.org" (binding:vif_type binding_failed)');
        expect(m).toContain("Live L2 agents in RegionOne: compute1 (Open vSwitch agent), ctl (Open vSwitch agent).");
        expect(m).toContain('Did you mean "ctl"?');
        expect(m).toContain("The binding was undone.");
    });

    it("says what the host's own agent is when it is dead or disabled", () => {
        const m = bindingFailureMessage({ ...base, hostId: "ctl", agents: [agent("ctl", "Open vSwitch agent", false), agent("ctl2", "Open vSwitch agent", true, true)] });
        expect(m).toContain('The agent of "ctl" is Open vSwitch agent dead.');
        const d = bindingFailureMessage({ ...base, hostId: "ctl", agents: [agent("ctl", "Open vSwitch agent", true, false), agent("ctl2")] });
        expect(d).toContain('The agent of "ctl" is Open vSwitch agent alive, disabled.');
    });

    it("no live agent at all, and agents that could not be listed", () => {
        expect(bindingFailureMessage({ ...base, agents: [] })).toContain("RegionOne has no live L2 agent at all");
        expect(bindingFailureMessage({ ...base, vifType: undefined, agents: { error: "403" } })).toMatch(/binding:vif_type none\).*could not be listed: 403$/);
    });
});
