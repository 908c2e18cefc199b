import { describe, expect, it } from "vitest";
import {
    checkAllowedCidrs,
    checkCidrOverlaps,
    checkControllers,
    checkDemoReferences,
    checkRegionNames,
    checkSecretsPresent,
    ConfigError,
    formatPath,
    parseStackConfig,
    rawNamespaceConfig,
} from "../../components/config/model";
import { cidr, guideDemo, guideNamespace, HOST_KEY, SECRET_KEYS, TEST_HEARTBEAT_KEY, TEST_PRIVATE_KEY } from "./fixtures";
import { OPENSTACK_SETTINGS, runStack, stackConfig } from "./pulumiMocks";

type Mutation = (ns: Record<string, any>) => void;


/** [what, mutation of the guide's config, key path the message must name, a word of the explanation]. */
const INVALID: [string, Mutation, string, RegExp][] = [
    ["no regions", (ns) => (ns.regions = []), "regions", /at least one/],
    ["regions missing", (ns) => delete ns.regions, "regions", /expected array/],
    ["empty region name", (ns) => (ns.regions[1].name = ""), "regions[1].name", /empty/],
    ["duplicate region name", (ns) => (ns.regions[1].name = "RegionOne"), "regions[1].name", /duplicate region/],
    ["region named like the central region", (ns) => (ns.regions[0].name = "CentralRegion"), "regions[0].name", /central region/],
    ["malformed management CIDR", (ns) => (ns.regions[1].mgmt.cidr = "192.168.300.0/24"), "regions[1].mgmt.cidr", /not a valid/],
    ["management CIDR without prefix", (ns) => (ns.regions[0].mgmt.cidr = "192.168.10.0"), "regions[0].mgmt.cidr", /not a CIDR/],
    ["host bits set", (ns) => (ns.regions[0].mgmt.cidr = "192.168.10.5/24"), "regions[0].mgmt.cidr", /host bits/],
    ["overlapping management CIDRs", (ns) => (ns.regions[1].mgmt.cidr = "192.168.0.0/16"), "regions[1].mgmt.cidr", /overlaps 192\.168\.10\.0\/24/],
    ["management CIDR missing", (ns) => delete ns.regions[0].mgmt.cidr, "regions[0].mgmt.cidr", /expected string/],
    ["bad addressing", (ns) => (ns.regions[0].mgmt.addressing = "slaac"), "regions[0].mgmt.addressing", /"static"\|"dhcp"/],
    ["dhcp on an IPv6 management network", (ns) => Object.assign(ns.regions[0].mgmt, { cidr: "fd00:10::/64", addressing: "dhcp" }), "regions[0].mgmt.addressing", /IPv4/],
    ["duplicate controller host", (ns) => (ns.regions[1].controllers[0].host = "10.7.20.110"), "regions[1].controllers[0].host", /duplicate controller host/],
    ["empty hostname", (ns) => (ns.regions[0].controllers[0].hostname = ""), "regions[0].controllers[0].hostname", /empty/],
    ["hostname with a blank", (ns) => (ns.regions[0].controllers[0].hostname = "compute 1"), "regions[0].controllers[0].hostname", /Neutron agent host/],
    ["SSH host with shell syntax", (ns) => (ns.regions[0].controllers[0].host = "10.7.20.110; rm -rf /"), "regions[0].controllers[0].host", /IPv4 or IPv6 address or a DNS name/],
    ["SSH host in octal", (ns) => (ns.regions[1].controllers[0].host = "010.7.20.114"), "regions[1].controllers[0].host", /dotted decimal/],
    ["SSH user that is an ssh option", (ns) => (ns.ssh.user = "stack -oProxyCommand=touch_x"), "ssh.user", /POSIX user name/],
    ["per-node SSH user that is not a user name", (ns) => (ns.regions[1].controllers[0].user = "-oProxyCommand=x"), "regions[1].controllers[0].user", /POSIX user name/],
    ["the same host spelt twice", (ns) => Object.assign(ns.regions[0].controllers[0], { host: "fd00::10" }) && Object.assign(ns.regions[1].controllers[0], { host: "FD00:0::10" }), "regions[1].controllers[0].host", /duplicate controller host/],
    ["a management CIDR not as Neutron writes it", (ns) => (ns.regions[1].mgmt.cidr = "FD00:20::/64"), "regions[1].mgmt.cidr", /written as fd00:20::\/64/],
    ["a /0 management network", (ns) => (ns.regions.splice(1, 1), (ns.regions[0].mgmt.cidr = "0.0.0.0/0")), "regions[0].mgmt.cidr", /at least \/1/],
    ["a config path with a tab", (ns) => (ns.regions[0].octavia = { configFile: "/etc/octavia/oct\tavia.conf" }), "regions[0].octavia.configFile", /control/],
    ["a config path too long for the state file name", (ns) => (ns.regions[0].octavia = { configFile: `/${"p".repeat(200)}` }), "regions[0].octavia.configFile", /at most 200 bytes/],
    ["a bridge named like the port it gets", (ns) => (ns.regions[0].controllers[0].ovsBridge = "o-hm0"), "regions[0].controllers[0].ovsBridge", /o-hm0/],
    ["an endpoint that is not a URL", (ns) => (ns.regions[0].octavia = { nova: { endpoint: "10.7.20.114:8774" } }), "regions[0].octavia.nova.endpoint", /http/],
    ["a region name with outer blanks", (ns) => (ns.regions[0].name = "RegionOne "), "regions[0].name", /blank/],
    [
        "two regions spelling controller resource names alike",
        (ns) => ((ns.regions[0].name = "a-hm-b"), (ns.regions[0].controllers[0].hostname = "c"), (ns.regions[1].name = "a"), (ns.regions[1].controllers[0].hostname = "b-hm-c")),
        "regions[1].controllers[0].hostname",
        /same|resource name region-a-hm-b-hm-c/,
    ],
    ["controller port out of range", (ns) => (ns.regions[0].controllers[0].port = 70000), "regions[0].controllers[0].port", /65535/],
    ["ssh port zero", (ns) => (ns.ssh.port = 0), "ssh.port", /integer 1\.\.65535/],
    ["health manager port not a number", (ns) => (ns.healthManager.port = "udp5555"), "healthManager.port", /expected number/],
    ["heartbeat key missing with controllers", (ns) => delete ns.healthManager.heartbeatKey, "healthManager.heartbeatKey", /required/],
    ["private key missing with controllers", (ns) => delete ns.ssh.privateKey, "ssh.privateKey", /required/],
    ["private key not PEM", (ns) => (ns.ssh.privateKey = "ssh-ed25519 AAAA"), "ssh.privateKey", /PEM/],
    ["heartbeat key on two lines", (ns) => (ns.healthManager.heartbeatKey = "a\nb"), "healthManager.heartbeatKey", /single line/],
    ["unknown top-level key", (ns) => (ns.centralRegon = "X"), "centralRegon", /unknown key/],
    ["unknown nested key", (ns) => (ns.regions[0].mgmt.cdir = "10.0.0.0/24"), "regions[0].mgmt.cdir", /unknown key/],
    ["unknown controller key", (ns) => (ns.regions[0].controllers[0].hostName = "x"), "regions[0].controllers[0].hostName", /unknown key/],
    ["amphora TCP port out of range", (ns) => (ns.securityGroups = { amphoraTcpPorts: [22, 0] }), "securityGroups.amphoraTcpPorts[1]", /integer 1\.\.65535/],
    ["duplicate amphora TCP port", (ns) => (ns.securityGroups = { amphoraTcpPorts: [22, 22] }), "securityGroups.amphoraTcpPorts[1]", /duplicate port/],
    ["allowed CIDR malformed", (ns) => (ns.securityGroups = { allowedCidrs: ["0.0.0.0/33"] }), "securityGroups.allowedCidrs[0]", /not a valid/],
    ["IPv6 source with ipv6 off", (ns) => (ns.securityGroups = { ipv6: false, allowedCidrs: ["::/0"] }), "securityGroups.allowedCidrs[0]", /ipv6 is false/],
    ["ipv6 not a boolean", (ns) => (ns.securityGroups = { ipv6: "yes" }), "securityGroups.ipv6", /expected boolean/],
    ["same name for both groups", (ns) => (ns.securityGroups = { amphora: "sg", healthManager: "sg" }), "securityGroups.healthManager", /must differ/],
    ["relative octavia.conf path", (ns) => (ns.regions[0].octavia = { configFile: "octavia.conf" }), "regions[0].octavia.configFile", /absolute/],
    ["restart command with a newline", (ns) => (ns.regions[0].octavia = { restartCommand: "a\nrm -rf /" }), "regions[0].octavia.restartCommand", /single line/],
    ["bad endpoint type", (ns) => (ns.regions[0].octavia = { neutron: { endpointType: "external" } }), "regions[0].octavia.neutron.endpointType", /public/],
    ["bad OVS bridge name", (ns) => (ns.regions[0].controllers[0].ovsBridge = "br int; reboot"), "regions[0].controllers[0].ovsBridge", /interface name/],
    ["host key for an unknown host", (ns) => (ns.ssh.hostKeys = { "10.9.9.9": HOST_KEY }), 'ssh.hostKeys["10.9.9.9"]', /no controller/],
    ["malformed host key", (ns) => (ns.ssh.hostKeys = { "10.7.20.110": "not a key" }), 'ssh.hostKeys["10.7.20.110"]', /OpenSSH public key/],
    ["unknown host key policy", (ns) => (ns.ssh.hostKeyPolicy = "accept-all"), "ssh.hostKeyPolicy", /"pinned"\|"accept-new"/],
    [
        "a controller without a pinned key, by default",
        (ns) => (delete ns.ssh.hostKeyPolicy, (ns.ssh.hostKeys = { "10.7.20.110": HOST_KEY })),
        'ssh.hostKeys["10.7.20.114"]',
        /the controller 10\.7\.20\.114 \(region RegionTwo\) has no pinned host key: .*`ssh-keyscan -t ed25519 10\.7\.20\.114`.*"accept-new"/,
    ],
    [
        "a controller on another SSH port without a pinned key",
        (ns) => ((ns.ssh.hostKeyPolicy = "pinned"), (ns.ssh.hostKeys = { "10.7.20.114": HOST_KEY }), (ns.regions[0].controllers[0].port = 2222)),
        'ssh.hostKeys["10.7.20.110"]',
        /`ssh-keyscan -t ed25519 -p 2222 10\.7\.20\.110`/,
    ],
    ["demo backend in an unknown region", (ns) => ((ns.demo = guideDemo()), (ns.demo.backends[0].region = "RegionNine")), "demo.backends[0].region", /unknown region "RegionNine"/],
    ["demo backend on an unknown network", (ns) => ((ns.demo = guideDemo()), (ns.demo.backends[1].network = "net9")), "demo.backends[1].network", /unknown demo network/],
    ["demo load balancer in an unknown region", (ns) => ((ns.demo = guideDemo()), (ns.demo.loadBalancers[0].region = "Nowhere")), "demo.loadBalancers[0].region", /unknown region/],
    ["demo VIP network unknown", (ns) => ((ns.demo = guideDemo()), (ns.demo.loadBalancers[0].vipNetwork = "net3")), "demo.loadBalancers[0].vipNetwork", /unknown demo network/],
    ["demo member unknown", (ns) => ((ns.demo = guideDemo()), ns.demo.loadBalancers[0].members.push("backend9")), "demo.loadBalancers[0].members[2]", /unknown backend/],
    ["demo member twice in one pool", (ns) => ((ns.demo = guideDemo()), ns.demo.loadBalancers[0].members.push("backend1")), "demo.loadBalancers[0].members[2]", /duplicate member/],
    ["demo network overlapping a management network", (ns) => ((ns.demo = guideDemo()), (ns.demo.networks[1].cidr = "192.168.20.0/25")), "demo.networks[1].cidr", /overlaps/],
    ["demo listener protocol unknown", (ns) => ((ns.demo = guideDemo()), (ns.demo.loadBalancers[0].listener.protocol = "FTP")), "demo.loadBalancers[0].listener.protocol", /"HTTP"\|"HTTPS"\|"TCP"/],
    ["demo algorithm unknown", (ns) => ((ns.demo = guideDemo()), (ns.demo.loadBalancers[0].pool.algorithm = "RANDOM")), "demo.loadBalancers[0].pool.algorithm", /ROUND_ROBIN/],
    [
        "demo monitor type unknown",
        (ns) => ((ns.demo = guideDemo()), (ns.demo.loadBalancers[0].healthMonitor = { type: "ICMP", delay: 5, timeout: 3, maxRetries: 3 })),
        "demo.loadBalancers[0].healthMonitor.type",
        /PING/,
    ],
    [
        "demo monitor timeout above delay",
        (ns) => ((ns.demo = guideDemo()), (ns.demo.loadBalancers[0].healthMonitor = { type: "HTTP", delay: 2, timeout: 3, maxRetries: 3 })),
        "demo.loadBalancers[0].healthMonitor.timeout",
        /delay/,
    ],
    ["demo pool protocol a listener cannot take", (ns) => ((ns.demo = guideDemo()), (ns.demo.loadBalancers[0].pool.protocol = "UDP")), "demo.loadBalancers[0].pool.protocol", /HTTP listener takes a pool of HTTP, PROXY, PROXYV2/],
    [
        "demo URL path on a TCP monitor",
        (ns) => ((ns.demo = guideDemo()), (ns.demo.loadBalancers[0].healthMonitor = { type: "TCP", delay: 5, timeout: 3, maxRetries: 3, urlPath: "/" })),
        "demo.loadBalancers[0].healthMonitor.urlPath",
        /HTTP and HTTPS monitors only/,
    ],
    [
        "demo expected codes Octavia cannot read",
        (ns) => ((ns.demo = guideDemo()), (ns.demo.loadBalancers[0].healthMonitor = { type: "HTTP", delay: 5, timeout: 3, maxRetries: 3, expectedCodes: "2xx" })),
        "demo.loadBalancers[0].healthMonitor.expectedCodes",
        /status codes/,
    ],
    ["demo duplicate backend names", (ns) => ((ns.demo = guideDemo()), (ns.demo.backends[1].name = "backend1")), "demo.backends[1].name", /duplicate backend/],
];

describe("invalid configurations stop the program before any resource is registered", () => {
    it.each(INVALID)("%s", async (_what, mutate, path, explanation) => {
        const ns = guideNamespace();
        mutate(ns);
        const resources: string[] = [];
        const run = runStack(stackConfig(ns, OPENSTACK_SETTINGS), { secretKeys: SECRET_KEYS }).then((r) => resources.push(...r.resources.map((x) => x.name)));
        const error = await run.then(
            () => undefined,
            (e: Error) => e,
        );
        expect(error, "the program must fail").toBeInstanceOf(Error);
        const line = error!.message.split("\n").find((l) => l.startsWith(`  - ${path}: `));
        expect(line, `no line for ${path} in:\n${error!.message}`).toBeDefined();
        expect(line).toMatch(explanation);
        expect(resources).toEqual([]);
        // A message about a secret field names the key, never the value.
        expect(error!.message).not.toContain(TEST_PRIVATE_KEY.split("\n")[1]);
        expect(error!.message).not.toContain(TEST_HEARTBEAT_KEY);
    });

    it("reports every problem at once", () => {
        const ns = guideNamespace();
        ns.regions[0].mgmt.cidr = "bad";
        ns.regions[1].controllers[0].port = -1;
        ns.typo = 1;
        expect(() => parseStackConfig(ns)).toThrowError(ConfigError);
        try {
            parseStackConfig(ns);
        } catch (e) {
            expect((e as ConfigError).issues.map((i) => formatPath(i.path)).sort()).toEqual(["regions[0].mgmt.cidr", "regions[1].controllers[0].port", "typo"]);
        }
    });
});

describe("defaults and the typed model", () => {
    it("fills the contract's defaults", () => {
        const model = parseStackConfig({ regions: [{ name: "RegionOne", mgmt: { cidr: "192.168.10.0/24" } }, { name: "RegionTwo", mgmt: { cidr: "192.168.20.0/24" } }] });
        expect(model.centralRegion).toBe("CentralRegion");
        expect(model.securityGroups).toEqual({
            amphora: "lb-mgmt-sec-grp",
            healthManager: "lb-health-mgr-sec-grp",
            amphoraTcpPorts: [22, 80, 9443],
            sources: [
                { cidr: "192.168.10.0/24", family: 4 },
                { cidr: "192.168.20.0/24", family: 4 },
            ],
        });
        expect(model.healthManager.port).toBe(5555);
        expect(model.regions.map((r) => [r.mgmt.network, r.mgmt.subnet, r.mgmt.addressing])).toEqual([
            ["lb-mgmt-net1", "lb-mgmt-subnet1", "static"],
            ["lb-mgmt-net2", "lb-mgmt-subnet2", "static"],
        ]);
        expect(model.regions[0].octavia).toEqual({ configFile: "/etc/octavia/octavia.conf", restartCommand: "systemctl restart 'devstack@o-*'" });
    });

    it("takes Pulumi.yaml's empty defaults as absent sections", () => {
        const model = parseStackConfig({ regions: [{ name: "RegionOne", mgmt: { cidr: "192.168.10.0/24" } }], demo: {}, ssh: {}, healthManager: {}, securityGroups: {} });
        expect(model.demo).toBeUndefined();
        expect(model.healthManager.port).toBe(5555);
        expect(model.securityGroups.amphora).toBe("lb-mgmt-sec-grp");
    });

    it("applies per-node SSH overrides over the stack-wide ones and pins host keys by host", () => {
        const ns = guideNamespace();
        ns.ssh = { ...ns.ssh, user: "ubuntu", port: 2222, hostKeys: { "10.7.20.114": HOST_KEY } };
        ns.regions[0].controllers[0] = { ...ns.regions[0].controllers[0], user: "root", port: "22" };
        const model = parseStackConfig(ns);
        expect(model.regions[0].controllers[0]).toMatchObject({ sshUser: "root", sshPort: 22, ovsBridge: "br-int", hostKey: undefined });
        expect(model.regions[1].controllers[0]).toMatchObject({ sshUser: "ubuntu", sshPort: 2222, hostKey: HOST_KEY });
    });

    it("pins by default: every controller keyed passes without a policy, and accept-new lets a key be absent", () => {
        const ns = guideNamespace();
        delete ns.ssh.hostKeyPolicy;
        ns.ssh.hostKeys = { "10.7.20.110": HOST_KEY, "10.7.20.114": HOST_KEY };
        expect(parseStackConfig(ns).regions.map((r) => r.controllers[0].hostKey)).toEqual([HOST_KEY, HOST_KEY]);
        ns.ssh = { ...ns.ssh, hostKeyPolicy: "accept-new", hostKeys: { "10.7.20.114": HOST_KEY } };
        expect(parseStackConfig(ns).regions.map((r) => r.controllers[0].hostKey)).toEqual([undefined, HOST_KEY]);
    });

    it("decodes the engine's flat namespace, JSON for structures and text for strings", () => {
        expect(rawNamespaceConfig({ "tricircle-lbaas:centralRegion": "Central", "tricircle-lbaas:regions": '[{"name":"R"}]', "openstack:cloud": "x" })).toEqual({
            centralRegion: "Central",
            regions: [{ name: "R" }],
        });
    });

    it("formats paths the way `pulumi config set --path` takes them", () => {
        expect(formatPath(["regions", 1, "mgmt", "cidr"])).toBe("regions[1].mgmt.cidr");
        expect(formatPath(["ssh", "hostKeys", "10.0.0.1"])).toBe('ssh.hostKeys["10.0.0.1"]');
    });
});

describe("cross-field rules (pure)", () => {
    const region = (name: string, mgmtCidr: string, hosts: string[] = []) => ({
        name,
        mgmt: { cidr: cidr(mgmtCidr), addressing: "static" as const },
        controllers: hosts.map((host, i) => ({ host, hostname: `${name}-${i}`, ovsBridge: "br-int" })),
        octavia: { configFile: "/etc/octavia/octavia.conf", restartCommand: "true" },
    });

    it("region names", () => {
        expect(checkRegionNames({ centralRegion: "C", regions: [region("A", "10.0.0.0/24"), region("B", "10.0.1.0/24")] })).toEqual([]);
        expect(checkRegionNames({ centralRegion: "C", regions: [region("A", "10.0.0.0/24"), region("A", "10.0.1.0/24")] }).map((i) => formatPath(i.path))).toEqual(["regions[1].name"]);
    });

    it("overlaps across families and management/demo networks", () => {
        expect(checkCidrOverlaps({ regions: [region("A", "10.0.0.0/24"), region("B", "fd00::/64")] })).toEqual([]);
        expect(checkCidrOverlaps({ regions: [region("A", "fd00::/48"), region("B", "fd00:0:0:1::/64")] }).map((i) => formatPath(i.path))).toEqual(["regions[1].mgmt.cidr"]);
        expect(checkCidrOverlaps({ regions: [region("A", "10.0.0.0/24"), region("B", "10.0.1.0/24")] })).toEqual([]);
        expect(checkCidrOverlaps({ regions: [region("A", "10.0.0.0/23"), region("B", "10.0.1.0/24")] })).toHaveLength(1);
    });

    it("controllers", () => {
        expect(checkControllers({ regions: [region("A", "10.0.0.0/24", ["h1"]), region("B", "10.0.1.0/24", ["h2"])] })).toEqual([]);
        expect(checkControllers({ regions: [region("A", "10.0.0.0/24", ["h1"]), region("B", "10.0.1.0/24", ["h1"])] })).toHaveLength(1);
    });

    it("secrets only when controllers exist", () => {
        const hm = { port: 5555, allowFailover: false };
        const ssh = { user: "stack", port: 22, hostKeys: {}, hostKeyPolicy: "pinned" as const };
        expect(checkSecretsPresent({ regions: [region("A", "10.0.0.0/24")], healthManager: hm, ssh })).toEqual([]);
        expect(checkSecretsPresent({ regions: [region("A", "10.0.0.0/24", ["h"])], healthManager: hm, ssh }).map((i) => formatPath(i.path))).toEqual([
            "healthManager.heartbeatKey",
            "ssh.privateKey",
        ]);
    });

    it("allowed sources match the families in use", () => {
        const sg = (allowedCidrs: string[], ipv6: boolean) => ({ securityGroups: { amphora: "a", healthManager: "h", amphoraTcpPorts: [22], ipv6, allowedCidrs: allowedCidrs.map(cidr) } });
        expect(checkAllowedCidrs(sg(["0.0.0.0/0", "::/0"], true))).toEqual([]);
        expect(checkAllowedCidrs(sg(["::/0"], false))).toHaveLength(1);
    });

    it("demo references", () => {
        expect(checkDemoReferences({ regions: [region("RegionOne", "10.1.0.0/24"), region("RegionTwo", "10.2.0.0/24")], demo: guideDemo() as any })).toEqual([]);
        expect(checkDemoReferences({ regions: [region("RegionOne", "10.1.0.0/24")], demo: guideDemo() as any }).map((i) => formatPath(i.path))).toEqual([
            "demo.backends[1].region",
        ]);
    });
});
