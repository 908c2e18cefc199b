// PURE tests: the rules of the round-robin check (tools/verify/roundRobin.ts); no network, no processes.
import { describe, expect, it } from "vitest";
import {
    analyzeRoundRobin,
    defaultCount,
    formatAnalysis,
    LoadBalancerRef,
    namespaceFor,
    Outcome,
    parseArgs,
    parseLoadBalancers,
    selectLoadBalancers,
    shouldStop,
    VerifyInputError,
    vipEndpoint,
    welcomeAddress,
} from "../../tools/verify/roundRobin";

const LB: LoadBalancerRef = {
    name: "lb1",
    vipAddress: "10.0.10.100",
    listenerPort: 80,
    members: [
        { name: "backend1", address: "10.0.10.11", region: "RegionOne" },
        { name: "backend2", address: "10.0.10.12", region: "RegionOne" },
        { name: "backend3", address: "10.0.10.13", region: "RegionTwo" },
    ],
};
const CTX = { vip: "10.0.10.100:80", timeoutSeconds: 5, from: "netns qdhcp-x" };

const welcome = (ip: string): Outcome => ({ kind: "answer", status: 200, body: `Welcome to ${ip}\n` });
const answers = (...lastOctets: number[]) => lastOctets.map((o) => welcome(`10.0.10.${o}`));

describe("analyzeRoundRobin", () => {
    it("accepts a repeating cycle of every member, starting anywhere", () => {
        const a = analyzeRoundRobin(LB, answers(12, 13, 11, 12, 13, 11), CTX);
        expect(a.problems).toEqual([]);
        expect(a.ok).toBe(true);
        expect(a.cycle).toEqual(["backend2", "backend3", "backend1"]);
        expect(a.requests.map((r) => r.member?.name)).toEqual(["backend2", "backend3", "backend1", "backend2", "backend3", "backend1"]);
    });

    it("accepts a partial last cycle", () => {
        expect(analyzeRoundRobin(LB, answers(11, 12, 13, 11), CTX).ok).toBe(true);
    });

    it("names a member that never answered, even when the others alternate perfectly", () => {
        const a = analyzeRoundRobin(LB, answers(11, 13, 11, 13, 11, 13), CTX);
        expect(a.ok).toBe(false);
        expect(a.problems).toEqual(["member backend2 (10.0.10.12, RegionOne) never answered"]);
    });

    it("rejects an order that is not one cycle (weighted or sticky balancing)", () => {
        const weighted = analyzeRoundRobin(LB, answers(11, 12, 11, 13, 11, 12), CTX);
        expect(weighted.ok).toBe(false);
        expect(weighted.problems).toEqual([
            "not round robin: request #3 was answered by backend1, expected a member not yet seen in this cycle (answers: backend1 backend2 backend1 backend3 backend1 backend2)",
        ]);
        const reordered = analyzeRoundRobin(LB, answers(11, 12, 13, 11, 13, 12), CTX);
        expect(reordered.problems).toEqual([
            "not round robin: request #5 was answered by backend3, expected backend2 (answers: backend1 backend2 backend3 backend1 backend3 backend2)",
        ]);
    });

    it("reports a VIP that never answers as such, and nothing else", () => {
        const timeout = analyzeRoundRobin(LB, [{ kind: "timeout", message: "no answer within 5 s" }], CTX);
        expect(timeout.ok).toBe(false);
        expect(timeout.problems).toEqual(["VIP 10.0.10.100:80 did not answer within 5 s, from netns qdhcp-x"]);
        const refused = analyzeRoundRobin(LB, [{ kind: "error", message: "Connection refused" }], CTX);
        expect(refused.problems).toEqual(["VIP 10.0.10.100:80 did not answer (Connection refused), from netns qdhcp-x"]);
    });

    it("reports failed requests, error statuses, strangers and bodies without a welcome", () => {
        const a = analyzeRoundRobin(
            LB,
            [
                welcome("10.0.10.11"),
                { kind: "answer", status: 503, body: "<html>503 Service Unavailable</html>" },
                welcome("10.0.10.99"),
                { kind: "answer", status: 200, body: "It works!" },
                { kind: "timeout", message: "no answer within 5 s" },
                welcome("10.0.10.13"),
            ],
            CTX,
        );
        expect(a.ok).toBe(false);
        expect(a.cycle).toBeUndefined();
        expect(a.problems).toEqual([
            "request #2: HTTP 503",
            "request #3: answered by 10.0.10.99, which is no member of lb1",
            'request #4: HTTP 200 without "Welcome to <address>": "It works!"',
            "request #5: no answer within 5 s",
            "member backend2 (10.0.10.12, RegionOne) never answered",
        ]);
    });

    it("says when the count cannot reach every member", () => {
        const a = analyzeRoundRobin(LB, answers(11, 12), CTX);
        expect(a.problems).toContain("2 requests cannot reach all 3 members (use --count 6)");
        expect(a.problems).toContain("member backend3 (10.0.10.13, RegionTwo) never answered");
    });

    it("skips a load balancer without members instead of failing it", () => {
        const a = analyzeRoundRobin({ ...LB, members: [] }, [], CTX);
        expect(a).toMatchObject({ ok: true, skipped: "no members: nothing to check" });
    });
});

describe("the request loop's helpers", () => {
    it("defaults to two rounds and stops only when the first request gets no answer", () => {
        expect(defaultCount(LB)).toBe(6);
        expect(shouldStop([{ kind: "timeout", message: "t" }])).toBe(true);
        expect(shouldStop([{ kind: "error", message: "refused" }])).toBe(true);
        expect(shouldStop([{ kind: "answer", status: 503, body: "" }])).toBe(false);
        expect(shouldStop([welcome("10.0.10.11"), { kind: "timeout", message: "t" }])).toBe(false);
    });

    it("reads the backend's address from the guide's page", () => {
        expect(welcomeAddress("Welcome to 10.0.10.152\n")).toBe("10.0.10.152");
        expect(welcomeAddress("Welcome to fd00:10::5")).toBe("fd00:10::5");
        expect(welcomeAddress("Hello")).toBeUndefined();
        expect(vipEndpoint("10.0.10.100", 80)).toBe("10.0.10.100:80");
        expect(vipEndpoint("fd00::64", 8080)).toBe("[fd00::64]:8080");
    });
});

describe("formatAnalysis", () => {
    it("lists who answered each request and the verdict", () => {
        const ctx = { ...CTX, count: 4 };
        const ok = formatAnalysis(LB, analyzeRoundRobin(LB, answers(11, 12, 13, 11), CTX), ctx);
        expect(ok.split("\n")).toEqual([
            "lb1: VIP 10.0.10.100:80, 3 members, 4 requests from netns qdhcp-x",
            "  #1  backend1  10.0.10.11  RegionOne",
            "  #2  backend2  10.0.10.12  RegionOne",
            "  #3  backend3  10.0.10.13  RegionTwo",
            "  #4  backend1  10.0.10.11  RegionOne",
            "lb1: OK - round robin over 3 members: backend1 -> backend2 -> backend3",
        ]);
        const failed = formatAnalysis(LB, analyzeRoundRobin(LB, [{ kind: "timeout", message: "no answer within 5 s" }], CTX), ctx);
        expect(failed).toContain("  #1  -         no answer within 5 s\n  (stopped after 1 request: waiting on a VIP that does not answer tells nothing more)");
        expect(failed).toMatch(/lb1: FAILED\n {2}- VIP 10\.0\.10\.100:80 did not answer within 5 s, from netns qdhcp-x$/);
    });
});

describe("parseLoadBalancers", () => {
    const map = {
        lb1: {
            id: "lb-id",
            vipAddress: "10.0.10.100",
            listenerId: "l",
            poolId: "p",
            listenerPort: 8080,
            vipNetworkId: "net1-id",
            members: [{ name: "backend1", address: "10.0.10.11", region: "RegionOne" }],
        },
    };

    it("takes the whole `pulumi stack output --json` or the map alone", () => {
        const expected = [{ name: "lb1", vipAddress: "10.0.10.100", listenerPort: 8080, vipNetworkId: "net1-id", members: [{ name: "backend1", address: "10.0.10.11", region: "RegionOne" }] }];
        expect(parseLoadBalancers({ securityGroups: {}, loadBalancers: map })).toEqual(expected);
        expect(parseLoadBalancers(map)).toEqual(expected);
    });

    it("explains a stack without the demo, and malformed entries", () => {
        expect(() => parseLoadBalancers({ securityGroups: {}, regions: {} })).toThrow(/no loadBalancers output \(is tricircle-lbaas:demo configured/);
        expect(() => parseLoadBalancers({ loadBalancers: { lb1: { members: [] } } })).toThrow("loadBalancers.lb1.vipAddress is missing");
        expect(() => parseLoadBalancers({ loadBalancers: { lb1: { vipAddress: "10.0.10.100", members: [{ name: "b" }] } } })).toThrow(
            "loadBalancers.lb1.members[0] needs a name and an address",
        );
        expect(() => parseLoadBalancers([])).toThrow(VerifyInputError);
    });

    it("selects load balancers by name and names the unknown one", () => {
        const all = parseLoadBalancers(map);
        expect(selectLoadBalancers(all, [])).toEqual(all);
        expect(selectLoadBalancers(all, ["lb1"])).toEqual(all);
        expect(() => selectLoadBalancers(all, ["lb9"])).toThrow('no load balancer "lb9" in the outputs (have: lb1)');
    });
});

describe("parseArgs", () => {
    it("reads every option, with a separate or an attached value", () => {
        expect(parseArgs(["--outputs", "-", "--count=6", "--netns", "qdhcp-1234", "--timeout", "1.5", "--lb", "lb1", "--lb=lb2", "--port", "8080", "--stack", "dev"])).toEqual({
            outputsFile: "-",
            count: 6,
            netns: "qdhcp-1234",
            timeoutSeconds: 1.5,
            loadBalancers: ["lb1", "lb2"],
            port: 8080,
            stack: "dev",
            dhcpNetns: false,
            help: false,
        });
        expect(parseArgs([])).toEqual({ loadBalancers: [], dhcpNetns: false, timeoutSeconds: 5, port: 80, help: false });
        expect(parseArgs(["--dhcp-netns"]).dhcpNetns).toBe(true);
        expect(parseArgs(["--help"]).help).toBe(true);
    });

    it("rejects bad values with the flag's name", () => {
        expect(() => parseArgs(["--count", "0"])).toThrow('--count needs a positive integer, got "0"');
        expect(() => parseArgs(["--count", "2.5"])).toThrow("--count needs a positive integer");
        expect(() => parseArgs(["--timeout", "soon"])).toThrow('--timeout needs a positive number, got "soon"');
        expect(() => parseArgs(["--port", "70000"])).toThrow("--port must be 1..65535");
        expect(() => parseArgs(["--netns", "a b"])).toThrow("is not a namespace name");
        expect(() => parseArgs(["--netns"])).toThrow("--netns needs a value");
        expect(() => parseArgs(["--verbose"])).toThrow('unknown argument "--verbose"');
        expect(() => parseArgs(["--netns", "x", "--dhcp-netns"])).toThrow("--netns and --dhcp-netns exclude each other");
    });
});

describe("namespaceFor", () => {
    it("sends requests from the given namespace, the VIP network's qdhcp namespace, or this host", () => {
        const lb = { ...LB, vipNetworkId: "6b1c0d2e" };
        expect(namespaceFor(lb, { netns: "ns1", dhcpNetns: false })).toBe("ns1");
        expect(namespaceFor(lb, { dhcpNetns: true })).toBe("qdhcp-6b1c0d2e");
        expect(namespaceFor(lb, { dhcpNetns: false })).toBeUndefined();
        expect(() => namespaceFor(LB, { dhcpNetns: true })).toThrow("--dhcp-netns: the outputs name no vipNetworkId for lb1");
    });
});
