// Pure tests of components/config/rules.ts, and of the promise it exists for: the config check and the generators take
// exactly the same values (property tests over strings built from the characters that matter).
import { healthManagerPortName } from "../../components/config/names";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkControllerNodeArgs, ControllerNodeArgs } from "../../components/node/controllerNode";
import { controllerNodeArgs, FlatNodeArgs } from "../support/controllerNodeArgs";
import { checkControllers, checkLoadBalancerProtocols, ConfigError, formatPath, parseStackConfig } from "../../components/config/model";
import { octaviaConfStdin, octaviaSettings } from "../../components/node/octaviaConf";
import { octaviaConfScripts } from "../../components/node/octaviaConf";
import { OHm0Params } from "../../components/node/ohm0";
import { planeScripts } from "../../components/node/plane";
import * as rules from "../../components/config/rules";
import { cidr, guideNamespace } from "./fixtures";
import { HOST_KEYS, keyLine } from "./sshKeys";

type Case = [string, unknown];

function expectRule<T>(rule: rules.Rule<T>, accepted: T[], refused: [T, RegExp][]) {
    for (const value of accepted) expect(rule(value), JSON.stringify(value)).toBeUndefined();
    for (const [value, why] of refused) expect(rule(value), JSON.stringify(value)).toMatch(why);
}

describe("rules", () => {
    it("bindingHostId: what oslo.config takes for an agent's host (Nova and Neutron), `_` included", () => {
        expectRule(
            rules.bindingHostId,
            ["node1", "compute_1", "_svc", "Node-1.Example.org", "a".repeat(63), `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`, "10.0.0.7", "x1.a2"],
            [
                ["", /empty/],
                ["-node", /starts or ends with -/],
                ["node-", /starts or ends with -/],
                ["a".repeat(64), /1-63/],
                [`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`, /at most 253/],
                ["node1.", /end with a dot/],
                ["a..b", /empty label/],
                ["node 1", /label/],
                ["node1$(reboot)", /label/],
                ["10.0.0.256", /all-digit/],
                ["123", /all-digit/],
                ["ключ", /label/],
                ["fd00::7", /IPv6/],
            ],
        );
    });

    it("sshHost: an IPv4 or IPv6 address or a DNS name, nothing an ssh command line could take for more", () => {
        expectRule(
            rules.sshHost,
            ["10.7.20.110", "fd00::10", "::1", "ctl-1.example.org", "CTL1", "a".repeat(63)],
            [
                ["10.7.20.110; rm -rf /", /address or a DNS name/],
                ["-oProxyCommand=x", /address or a DNS name/],
                ["ctl_1.example.org", /DNS name/],
                ["010.7.20.110", /dotted decimal/],
                ["10.7.20", /dotted decimal/],
                ["fe80::1%eth0", /without a zone/],
                ["host name", /DNS name/],
                ["a".repeat(64), /DNS name/],
                ["", /empty/],
            ],
        );
        expect(rules.hostIdentity("FD00:0::10")).toBe(rules.hostIdentity("fd00::10"));
        expect(rules.hostIdentity("Ctl1.Example")).toBe("ctl1.example");
    });

    it("posixUser: `^[a-z_][a-z0-9_-]*[$]?$`, at most 32", () => {
        expectRule(rules.posixUser, ["stack", "_svc", "ubuntu", "deploy-2", "machine$", "a".repeat(32)], [
            ["stack -oProxyCommand=touch_x", /POSIX user name/],
            ["Stack", /POSIX/],
            ["1stack", /POSIX/],
            ["-o", /POSIX/],
            ["a$b", /POSIX/],
            ["", /1\.\.32/],
            ["a".repeat(33), /1\.\.32/],
        ]);
    });

    it("configPath: absolute, spaces allowed, no control characters, no . or .., short enough for the state file name", () => {
        expectRule(
            rules.configPath,
            ["/etc/octavia/octavia.conf", "/etc/octavia/my octavia.conf", "/etc/$(reboot)'s.conf", "/etc/ключ.conf", `/${"a".repeat(rules.MAX_CONFIG_PATH_BYTES - 1)}`],
            [
                ["etc/octavia.conf", /absolute/],
                ["/etc/octavia/", /not a directory/],
                ["/etc//octavia.conf", /empty/],
                ["/etc/../tmp/x.conf", /\.\./],
                ["/etc/./x.conf", /\. or \.\./],
                ["/etc/oct\tavia.conf", /control/],
                ["/etc/octavia.conf\n", /control/],
                [`/${"a".repeat(rules.MAX_CONFIG_PATH_BYTES)}`, /at most 200 bytes/],
                [`/${"é".repeat(100)}`, /at most 200 bytes/],
            ],
        );
    });

    it("interfaceName: what the kernel and OVS take for a bridge", () => {
        expectRule(rules.interfaceName, ["br-int", "br_ex.1", "a".repeat(15), "..."], [
            ["a".repeat(16), /1-15/],
            ["br int", /interface name/],
            ["br/int", /interface name/],
            [".", /\. or \.\./],
            ["..", /\. or \.\./],
            ["o-hm0", /o-hm0/],
            ["", /interface name/],
        ]);
    });

    it("hostKey: a whole key of a type sshd presents, decoded", () => {
        expectRule(rules.hostKey, [...Object.values(HOST_KEYS), HOST_KEYS.ed25519.split(" ").slice(0, 2).join(" "), `${HOST_KEYS.ed25519} with spaces`], [
            ["not a key", /OpenSSH public key line.*: the type is not one of/],
            ["SHA256:abcdef", /OpenSSH public key line/],
            [HOST_KEYS.ed25519.slice(0, 40), /not a (whole )?ssh-ed25519 key|base64/],
            [`ssh-rsa ${HOST_KEYS.ed25519.split(" ")[1]}`, /not a ssh-rsa key/],
            [`${HOST_KEYS.ed25519} `, /outer blanks/],
            [`${HOST_KEYS.ed25519}\nssh-rsa AAAA`, /one line/],
            [keyLine("ssh-ed25519", ["ssh-ed25519", Buffer.alloc(31)]), /whole ssh-ed25519/],
            [keyLine("ssh-rsa", ["ssh-rsa", Buffer.from([1, 0, 1]), Buffer.alloc(64, 1)]), /whole ssh-rsa/],
            [keyLine("ecdsa-sha2-nistp256", ["ecdsa-sha2-nistp256", "nistp384", Buffer.alloc(97, 4)]), /whole ecdsa/],
            [keyLine("sk-ssh-ed25519@openssh.com", ["sk-ssh-ed25519@openssh.com", Buffer.alloc(32), "ssh:"]), /the type is not one of/],
        ]);
    });

    it("cidr: canonical, as Neutron writes it back", () => {
        expectRule(rules.cidr, ["192.168.10.0/24", "0.0.0.0/0", "10.0.0.0/30", "fd00:10::/64", "::/0", "2001:db8::/128"], [
            ["192.168.10.0", /not a CIDR/],
            ["010.0.0.0/24", /not a valid/],
            ["10.1/16", /not a valid/],
            ["192.168.10.5/24", /host bits set \(the network is 192\.168\.10\.0\/24\)/],
            ["FD00:10::/64", /written as fd00:10::\/64/],
            ["fd00:10:0::/64", /written as fd00:10::\/64/],
            ["192.168.10.0/024", /not a CIDR/],
            ["0.0.0.0/33", /at most 32/],
            ["fe80::%eth0/64", /not a valid/],
        ]);
        expect(rules.managementCidr("0.0.0.0/0")).toMatch(/at least \/1/);
        expect(rules.managementCidr("10.0.0.0/30")).toBeUndefined();
    });

    it("text, names, URLs and the demo's Octavia rules", () => {
        expectRule(rules.singleLineText, ["  padded  ", "\tsecret", "systemctl restart 'devstack@o-*'"], [
            ["", /empty/],
            ["   ", /empty/],
            ["a\nb", /single line/],
            ["a\0b", /single line/],
        ]);
        expectRule(rules.regionName, ["RegionOne", "Region One", "r".repeat(255)], [
            [" RegionOne", /outer|start or end/],
            ["Region::One", /must not contain ::/],
            ["r".repeat(256), /at most 255/],
            ["Region\u0007", /control/],
        ]);
        expectRule(rules.httpUrl, ["http://10.7.20.110:9696", "https://[fd00::1]:9696/v2.0", "http://neutron"], [
            ["10.7.20.114:8774", /http/],
            ["ftp://x", /http:\/\/ or https/],
            ["http://a b", /without blanks/],
        ]);
        expectRule(rules.endpointType, ["public", "internalURL"], [["external", /public, internal/]]);
        expectRule(rules.urlPath, ["/", "/healthz?x=1"], [["healthz", /starting with \//], ["//evil", /not \/\//], ["/a b", /blanks/]]);
        expectRule(rules.expectedCodes, ["200", "200,202", "200, 202", "200-204"], [["2xx", /status codes/], ["200-", /status codes/]]);
        expectRule(rules.port, [1, 22, 65535], [[0, /1\.\.65535/], [65536, /1\.\.65535/], [2.5, /1\.\.65535/]]);
    });

    it("assertValid names the value, except a secret one", () => {
        expect(() => rules.assertValid("hostname", "a b", rules.bindingHostId)).toThrow(/^hostname: "a b" is not a Neutron agent host/);
        expect(() => rules.assertValid("healthManager.heartbeatKey", "top\nsecret", rules.singleLineText, { secret: true })).toThrow(/the \(secret\) value must be a single line/);
        try {
            rules.assertValid("k", "top\nsecret", rules.singleLineText, { secret: true });
        } catch (e) {
            expect((e as Error).message).not.toContain("secret\n");
            expect((e as Error).message).not.toContain("top");
        }
    });
});

describe("cross-field rules (pure)", () => {
    const region = (name: string, hostnames: string[]) => ({
        name,
        mgmt: { cidr: cidr("10.0.0.0/24"), addressing: "static" as const },
        controllers: hostnames.map((hostname, i) => ({ host: `10.1.${name.length}.${i + 1}`, hostname, ovsBridge: "br-int" })),
        octavia: { configFile: "/etc/octavia/octavia.conf", restartCommand: "true" },
    });

    it("hosts are compared in one spelling", () => {
        const a = region("A", ["n1"]);
        const b = { ...region("B", ["n2"]), controllers: [{ host: "FD00:0::1", hostname: "n2", ovsBridge: "br-int" }] };
        a.controllers[0].host = "fd00::1";
        expect(checkControllers({ regions: [a, b] }).map((i) => formatPath(i.path))).toEqual(["regions[1].controllers[0].host"]);
    });

    it("two regions must not spell their controllers' resource names alike", () => {
        const issues = checkControllers({ regions: [region("a-hm-b", ["c"]), region("a", ["b-hm-c"])] });
        expect(issues.map((i) => [formatPath(i.path), i.message])).toEqual([
            ["regions[1].controllers[0].hostname", expect.stringMatching(/resource name region-a-hm-b-hm-c, as regions\[0\]\.controllers\[0\]\.hostname/)],
        ]);
        expect(checkControllers({ regions: [region("a-node-b", ["c"]), region("a", ["b-node-c"])] })).toHaveLength(1);
        expect(checkControllers({ regions: [region("a", ["b-hm-c"]), region("a-hm", ["b-c"])] })).toEqual([]);
    });

    it("the health-manager port name fits Neutron's 255 characters", () => {
        const longest = "n".repeat(255 - healthManagerPortName("R", "").length);
        expect(checkControllers({ regions: [region("R", [longest])] })).toEqual([]);
        expect(checkControllers({ regions: [region("R", [`${longest}n`])] }).map((i) => i.message)).toEqual([expect.stringMatching(/256 characters; Neutron keeps 255/)]);
    });

    it("listener, pool and monitor protocols as Octavia pairs them", () => {
        const lb = (listener: string, pool: string, monitor?: Record<string, unknown>) =>
            checkLoadBalancerProtocols({
                listener: { protocol: listener as never, port: 80 },
                pool: { protocol: pool as never, algorithm: "ROUND_ROBIN", memberPort: 80 },
                healthMonitor: monitor ? ({ delay: 5, timeout: 3, maxRetries: 3, ...monitor } as never) : undefined,
            }).map((i) => formatPath(i.path));
        expect(lb("HTTP", "HTTP", { type: "HTTP", urlPath: "/", expectedCodes: "200" })).toEqual([]);
        expect(lb("TCP", "PROXYV2", { type: "TCP" })).toEqual([]);
        expect(lb("UDP", "UDP", { type: "UDP-CONNECT" })).toEqual([]);
        expect(lb("HTTP", "TCP")).toEqual(["pool.protocol"]);
        expect(lb("UDP", "TCP")).toEqual(["pool.protocol"]);
        expect(lb("UDP", "UDP", { type: "PING" })).toEqual(["healthMonitor.type"]);
        expect(lb("HTTP", "HTTP", { type: "UDP-CONNECT" })).toEqual(["healthMonitor.type"]);
        expect(lb("TCP", "TCP", { type: "TCP", urlPath: "/" })).toEqual(["healthMonitor.urlPath"]);
        expect(lb("HTTP", "HTTP", { type: "HTTP", delay: 2, timeout: 3 })).toEqual(["healthMonitor.timeout"]);
    });
});

// ---------------------------------------------------------------------------------------------
// Agreement: for each configured value that reaches a generator, the config check accepts it exactly when the
// generator does. The generators are called the way ControllerNode calls them.

const PORT_ID = "3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d";
const NET_ID = "8acc6c02-66aa-4c0a-92bb-2a7a9c184ab1";
const SG_ID = "e4282699-43fd-4cb5-a709-cfaf213640f5";
const OHM0: OHm0Params = { bridge: "br-int", portId: PORT_ID, mac: "fa:16:3e:5a:6b:7c", ip: "192.168.10.6", prefixLength: 24, addressing: "static", hostname: "node1", adopt: false, owner: "tricircle-lbaas/unit" };
/** The plane's commands, which assemble the o-hm0 and firewall values. */
const plane = (over: Partial<OHm0Params>, heartbeatPort = 5555) => planeScripts({ ohm0: { ...OHM0, ...over }, heartbeatPort });
const ohm0 = (over: Partial<OHm0Params>) => plane(over);
const settings = (over: Record<string, unknown>) =>
    octaviaSettings({ region: "RegionOne", centralRegion: "CentralRegion", bindIp: "192.168.10.6", bindPort: 5555, controllerIpPortList: "192.168.10.6:5555", mgmtNetworkId: NET_ID, amphoraSecurityGroupId: SG_ID, ...over });
const conf = (over: Record<string, unknown>) => octaviaConfScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "true", settings: settings({}), adopt: false, ...over });
const nodeArgs = (over: Partial<FlatNodeArgs>): ControllerNodeArgs =>
    controllerNodeArgs({
    region: "RegionOne",
    centralRegion: "CentralRegion",
    host: "10.7.20.110",
    hostname: "node1",
    ovsBridge: "br-int",
    sshUser: "stack",
    sshPort: 22,
    sshPrivateKey: "k",
    addressing: "static",
    portId: PORT_ID,
    portMac: "fa:16:3e:5a:6b:7c",
    portIp: "192.168.10.6",
    prefixLength: 24,
    heartbeatPort: 5555,
    controllerIpPortList: "192.168.10.6:5555",
    heartbeatKey: "k",
    mgmtNetworkId: NET_ID,
    amphoraSecurityGroupId: SG_ID,
    octavia: { configFile: "/etc/octavia/octavia.conf", restartCommand: "true" },
    adopt: false,
    }, over);

interface Field {
    /** Key path of the value in the guide's configuration. */
    path: (string | number)[];
    set(ns: Record<string, any>, value: any): void;
    /** Every generator (or ControllerNode check) the value reaches. */
    generate: ((value: any) => unknown)[];
    values: fc.Arbitrary<unknown>;
}

const chars = (extra: string) => fc.constantFrom(..."abcxyzAZ019_-.".split(""), ...extra.split(""));
const text = (extra: string, maxLength = 20) => fc.string({ unit: chars(extra), maxLength });
const edges = (...values: unknown[]) => fc.constantFrom(...values);

const FIELDS: Field[] = [
    {
        path: ["regions", 0, "controllers", 0, "hostname"],
        set: (ns, v) => (ns.regions[0].controllers[0].hostname = v),
        generate: [(v) => ohm0({ hostname: v }), (v) => checkControllerNodeArgs(nodeArgs({ hostname: v }))],
        values: fc.oneof(text(" $;:'\n\0é"), edges("compute_1", "a".repeat(63), "a".repeat(64), "10.0.0.1", "fd00::1", "fd00:1:2:3:4:5:6:7", "1.2.3.4.5", "x.", "-x")),
    },
    {
        path: ["regions", 0, "controllers", 0, "ovsBridge"],
        set: (ns, v) => (ns.regions[0].controllers[0].ovsBridge = v),
        generate: [(v) => ohm0({ bridge: v }), (v) => checkControllerNodeArgs(nodeArgs({ ovsBridge: v }))],
        values: fc.oneof(text(" /:", 17), edges(".", "..", "o-hm0", "a".repeat(15), "a".repeat(16))),
    },
    {
        path: ["regions", 0, "octavia", "configFile"],
        set: (ns, v) => (ns.regions[0].octavia = { configFile: v }),
        generate: [(v) => conf({ configFile: v }), (v) => checkControllerNodeArgs(nodeArgs({ octavia: { configFile: v, restartCommand: "true" } }))],
        values: fc.oneof(
            text("/ ./\t\n$'é").map((p) => `/${p}`),
            text("/ .").map((p) => p),
            edges("/etc/octavia/my octavia.conf", `/${"a".repeat(199)}`, `/${"a".repeat(200)}`, "/etc/../x", "/etc//x", "/etc/x/"),
        ),
    },
    {
        path: ["regions", 0, "octavia", "restartCommand"],
        set: (ns, v) => (ns.regions[0].octavia = { restartCommand: v }),
        generate: [(v) => conf({ restartCommand: v }), (v) => checkControllerNodeArgs(nodeArgs({ octavia: { configFile: "/etc/o.conf", restartCommand: v } }))],
        values: fc.oneof(text(" \t\n\r\0'\"$;|&"), edges(" ", "\t", "systemctl restart 'devstack@o-*'")),
    },
    {
        path: ["healthManager", "heartbeatKey"],
        set: (ns, v) => (ns.healthManager.heartbeatKey = v),
        generate: [(v) => octaviaConfStdin({ heartbeatKey: v })],
        values: fc.oneof(text(" \t\n\r\0#;=\"'\\$"), edges(" ", "  padded  ")),
    },
    {
        path: ["regions", 1, "name"],
        set: (ns, v) => (ns.regions[1].name = v),
        generate: [(v) => settings({ region: v }), (v) => checkControllerNodeArgs(nodeArgs({ region: v }))],
        // 210 characters still leave room for the health-manager port name (checked across fields).
        values: fc.oneof(text(" \t\n\u0007$:"), edges(" R", "R ", "R::1", "r".repeat(210), "r".repeat(256))),
    },
    {
        path: ["centralRegion"],
        set: (ns, v) => (ns.centralRegion = v),
        generate: [(v) => settings({ centralRegion: v }), (v) => checkControllerNodeArgs(nodeArgs({ centralRegion: v }))],
        values: fc.oneof(text(" \n"), edges("Central Region", "C\u001b")),
    },
    {
        path: ["regions", 0, "octavia", "nova", "endpoint"],
        set: (ns, v) => (ns.regions[0].octavia = { nova: { endpoint: v } }),
        generate: [(v) => settings({ nova: { endpoint: v } })],
        values: fc.oneof(
            text(":/ ?#").map((t) => `http://${t}`),
            fc.webUrl(),
            edges("10.0.0.1:8774", "ftp://x", "http://", "https://[fd00::1]:8774/v2.1", "http://a b"),
        ),
    },
    {
        path: ["regions", 0, "octavia", "glance", "serviceName"],
        set: (ns, v) => (ns.regions[0].octavia = { glance: { serviceName: v } }),
        generate: [(v) => settings({ glance: { serviceName: v } })],
        values: fc.oneof(text(" \n\t"), edges("image service", " glance")),
    },
    {
        path: ["regions", 0, "octavia", "neutron", "endpointType"],
        set: (ns, v) => (ns.regions[0].octavia = { neutron: { endpointType: v } }),
        generate: [(v) => settings({ neutron: { endpointType: v } })],
        values: fc.oneof(text(""), edges(...rules.ENDPOINT_TYPES, "Public", "external")),
    },
    {
        path: ["regions", 0, "controllers", 0, "host"],
        set: (ns, v) => (ns.regions[0].controllers[0].host = v),
        generate: [(v) => checkControllerNodeArgs(nodeArgs({ host: v }))],
        values: fc.oneof(text(" ;:%"), fc.ipV4(), fc.ipV6(), fc.domain(), edges("10.7.20.110; rm -rf /", "010.1.1.1", "fe80::1%eth0")),
    },
    {
        path: ["ssh", "user"],
        set: (ns, v) => (ns.ssh.user = v),
        generate: [(v) => checkControllerNodeArgs(nodeArgs({ sshUser: v }))],
        values: fc.oneof(text(" $=", 34), edges("stack -oProxyCommand=touch_x", "a".repeat(32), "a".repeat(33), "u$")),
    },
    {
        path: ["ssh", "port"],
        set: (ns, v) => (ns.ssh.port = v),
        generate: [(v) => checkControllerNodeArgs(nodeArgs({ sshPort: v }))],
        values: fc.oneof(fc.integer({ min: -2, max: 70000 }), edges(0, 1, 65535, 65536, 1.5)),
    },
    {
        path: ["healthManager", "port"],
        set: (ns, v) => (ns.healthManager.port = v),
        generate: [(v) => plane({}, v), (v) => settings({ bindPort: v }), (v) => checkControllerNodeArgs(nodeArgs({ heartbeatPort: v }))],
        values: fc.oneof(fc.integer({ min: -2, max: 70000 }), edges(0, 1, 65535, 65536, 2.5)),
    },
    {
        path: ["ssh", "hostKeys", "10.7.20.110"],
        set: (ns, v) => (ns.ssh.hostKeys = { "10.7.20.110": v }),
        generate: [(v) => checkControllerNodeArgs(nodeArgs({ hostKey: v }))],
        values: fc.oneof(
            edges(...Object.values(HOST_KEYS), "not a key", `${HOST_KEYS.ed25519} `),
            fc.constantFrom(...Object.values(HOST_KEYS)).chain((k) => fc.nat(k.length).map((n) => k.slice(0, n))),
        ),
    },
];

function configAccepts(field: Field, value: unknown): boolean {
    const ns = guideNamespace();
    field.set(ns, value);
    try {
        parseStackConfig(ns);
        return true;
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        const paths = e.issues.map((i) => formatPath(i.path));
        // The value is refused for itself, not because it clashes with something else of the guide's config.
        const own = formatPath(field.path);
        const foreign = paths.filter((p) => p !== own && !(own.startsWith(p) && p.length > 0));
        if (foreign.length > 0 && !paths.includes(own)) {
            throw new Error(`${own}=${JSON.stringify(value)} is refused at other keys: ${e.message}`);
        }
        return !paths.includes(own) && !paths.some((p) => own.startsWith(p));
    }
}

function generatorsAccept(field: Field, value: unknown): boolean[] {
    return field.generate.map((generate) => {
        try {
            generate(value);
            return true;
        } catch {
            return false;
        }
    });
}

describe("the config check and the generators take the same values", () => {
    it.each(FIELDS.map((f) => [formatPath(f.path), f] as Case))("%s", (_path, field) => {
        const f = field as Field;
        let accepted = 0;
        let refused = 0;
        fc.assert(
            fc.property(f.values, (value) => {
                const config = configAccepts(f, value);
                if (config) accepted++;
                else refused++;
                expect(generatorsAccept(f, value), `config ${config ? "accepts" : "refuses"} ${JSON.stringify(value)}`).toEqual(f.generate.map(() => config));
            }),
            { numRuns: 200 },
        );
        // Both sides of the agreement were exercised.
        expect(accepted).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(0);
    });
});
