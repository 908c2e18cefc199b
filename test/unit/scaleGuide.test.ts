// The guide's side of the scale benchmark (bench/scale/guide.ts): how guide-procedure.sh's phase rows become the
// configuration and the undo compared with the stack's up and destroy, and what the script is told of the nodes.
import { describe, expect, it } from "vitest";
import { guideNodeEnv, parseGuideRows, sumGuide } from "../../bench/scale/guide";

// Rows as bench/lib.sh's `phase` writes them: section, phase, wall, keystone, neutron, octavia, new tokens, server s,
// CLI calls, client CPU, SSH logins, nova, glance, placement.
const row = (phase: string, wall: number, keystone: number, neutron: number, cli: number, ssh: number, tokens = 0): string =>
    ["guide", phase, wall, keystone, neutron, 0, tokens, 0.5, cli, 0.1, ssh, 1, 0, 0].join("\t");

const TSV = [
    row("security groups: 2 groups, 10 rules", 20.5, 13, 13, 13, 0, 13),
    row("management networks: 4 networks, 4 subnets", 12.25, 8, 8, 8, 0),
    row("nodes: o-hm0 (ovs-vsctl, ip link address, ip addr, link up), 8 nodes", 3, 0, 0, 0, 32),
    row("undo: nodes (octavia.conf back, restart, iptables -D, del-port)", 4, 0, 0, 0, 32),
    row("undo: configuration, cloud side (ports, subnets, networks, groups)", 6, 4, 4, 4, 0),
    "baseline\tone CLI call\t1.5\t1\t1\t0\t1\t0\t1\t0.2\t0\t0\t0\t0",
    "",
].join("\n");

describe("the guide's rows", () => {
    it("keeps the guide's section and adds every service's requests, new tokens not twice", () => {
        const rows = parseGuideRows(TSV);
        expect(rows.map((r) => r.phase.split(":")[0])).toEqual(["security groups", "management networks", "nodes", "undo", "undo"]);
        // keystone 13 + neutron 13 + octavia 0 + nova 1; the 13 new tokens are keystone requests already counted.
        expect(rows[0]).toEqual({ phase: "security groups: 2 groups, 10 rules", wallS: 20.5, apiRequests: 27, cliCalls: 13, sshLogins: 0 });
    });

    it("sums the configuration and the undo apart", () => {
        const { config, undo } = sumGuide(parseGuideRows(TSV));
        expect(config).toEqual({ wallS: 35.75, apiRequests: 27 + 17 + 1, sshLogins: 32, cliCalls: 21 });
        expect(undo).toEqual({ wallS: 10, apiRequests: 1 + 9, sshLogins: 32, cliCalls: 4 });
    });

    it("refuses rows of How to play, which the stack's side of the scale benchmark does not deploy", () => {
        const demo = TSV + row("demo: lb1, wait ACTIVE", 30, 1, 1, 2, 0);
        expect(() => sumGuide(parseGuideRows(demo))).toThrow(/BENCH_GUIDE_DEMO=0/);
    });

    it("refuses a run without its undo, or without its configuration", () => {
        const rows = parseGuideRows(TSV);
        expect(() => sumGuide(rows.filter((r) => !r.phase.startsWith("undo:")))).toThrow(/lack its configuration or its undo/);
        expect(() => sumGuide(rows.filter((r) => r.phase.startsWith("undo:")))).toThrow(/lack its configuration or its undo/);
    });
});

describe("the nodes told to guide-procedure.sh", () => {
    it("numbers them from 1 in the order given, with their count", () => {
        const node = (host: string, region: string) => ({ host, hostname: `h-${host}`, region, hostKey: "k", configFile: "/etc/octavia/octavia.conf" });
        const env = guideNodeEnv([node("169.254.80.2", "RegionOne"), node("169.254.80.3", "RegionOne"), node("169.254.80.4", "RegionTwo")] as never);
        expect(env).toEqual({
            BENCH_NODE_COUNT: "3",
            BENCH_NODE1_HOST: "169.254.80.2",
            BENCH_NODE1_HOSTNAME: "h-169.254.80.2",
            BENCH_NODE1_REGION: "RegionOne",
            BENCH_NODE2_HOST: "169.254.80.3",
            BENCH_NODE2_HOSTNAME: "h-169.254.80.3",
            BENCH_NODE2_REGION: "RegionOne",
            BENCH_NODE3_HOST: "169.254.80.4",
            BENCH_NODE3_HOSTNAME: "h-169.254.80.4",
            BENCH_NODE3_REGION: "RegionTwo",
        });
    });
});
