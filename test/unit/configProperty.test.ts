// MOCK property test: the engine and OpenStack are Pulumi mocks (pulumiMocks.ts). Configurations are generated around
// the edges of every rule (names, hosts, paths, CIDRs, ports, keys, demo references), each one valid, or with one value
// just past an edge. For each, the whole program (index.ts) runs:
// - a configuration the check accepts runs to the end without an error: every apply callback runs, including the
//   script generators with the ports' addresses and MACs, and every configured value reaches its script quoted;
// - a configuration the check refuses stops before anything is registered, with a message naming a key path (the
//   one that was pushed past its edge, when one was) and never a secret.
import { execFileSync } from "child_process";
import * as fc from "fast-check";
import * as ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { shellQuote } from "../../components/node/values";
import { TEST_HEARTBEAT_KEY, TEST_PRIVATE_KEY } from "./fixtures";
import { OPENSTACK_SETTINGS, plain, ProgramError, runStack, StackRun, stackConfig } from "./pulumiMocks";
import { HOST_KEYS } from "./sshKeys";

const SECRET_KEYS = ["tricircle-lbaas:healthManager", "tricircle-lbaas:ssh", "openstack:password"];
const CALLS = {
    "openstack:images/getImage:getImage": (inputs: any) => ({ id: `image-${inputs.region}`, name: inputs.name }),
    "openstack:compute/getFlavor:getFlavor": (inputs: any) => ({ id: `flavor-${inputs.region}`, flavorId: `flavor-${inputs.region}`, name: inputs.name }),
};

type Namespace = Record<string, any>;

/** A generated configuration, and the key path it must be refused at when one value was pushed past its edge. */
interface Case {
    ns: Namespace;
    refusedAt?: string;
}

// ---------------------------------------------------------------------------------------------
// Valid values at the edges of their rules

const REGION_NAMES = ["RegionOne", "Region Two", "r", "a-hm-b", "a", "région_3", "zone:1", "r".repeat(150)];
const HOSTNAME_FORMS = [(k: number) => `node${k}`, (k: number) => `compute_${k}`, (k: number) => `${"n".repeat(60)}${k}`.slice(-63), (k: number) => `10.9.${k}.1`, (k: number) => `Node-${k}.Example`, (k: number) => (k % 2 ? "b-hm-c" : "c")];
const HOST_FORMS = [(k: number) => `10.200.${k}.1`, (k: number) => `fd99::${k.toString(16)}`, (k: number) => `ctl-${k}.example.org`, (k: number) => `${"c".repeat(58)}-${k}`];
const BRIDGES = ["br-int", "br_ex.1", "a23456789012345", "..."];
const USERS = ["stack", "_svc", "machine$", "u".repeat(32)];
const PORTS = [1, 22, 65535];
const CONFIG_PATHS = ["/etc/octavia/octavia.conf", "/etc/octavia/my octavia.conf", "/etc/$(reboot)/'q'.conf", "/etc/ключ.conf", `/${"p".repeat(199)}`];
const RESTARTS = ["systemctl restart 'devstack@o-*'", " echo 'restarted' && true ", "kill -HUP $(cat /run/octavia.pid)"];
const HEARTBEAT_KEYS = [TEST_HEARTBEAT_KEY, `  ${TEST_HEARTBEAT_KEY}  `];
const ENDPOINTS = [undefined, { endpoint: "https://[fd00::1]:9696", serviceName: "network service", endpointType: "internalURL" }, { endpoint: "http://10.7.20.110:9696/" }];

/** Management CIDRs that never overlap across regions (index `i`), at each edge of the prefix. */
function managementCidr(i: number, form: number): string {
    return [`10.${i}.0.0/16`, `10.${i}.0.0/30`, `fd00:${i + 1}::/64`, `fd00:${i + 1}::/126`][form];
}

interface Shape {
    regions: { name: number; cidr: number; dhcp: boolean; controllers: { hostname: number; host: number; bridge: number; user?: number; port?: number; pin: boolean }[]; octavia: { path: number; restart: number; endpoint: number } }[];
    sshUser: number;
    sshPort: number;
    keyPolicy: number;
    hmPort: number;
    heartbeat: number;
    tcpPorts: number[];
    sources: number;
    ipv6: boolean;
    demo?: { networks: number; backends: { region: number; network: number }[]; lb?: { region: number; pair: number; monitor: number } };
}

const index = (n: number) => fc.nat(n - 1);
/** `ssh.hostKeyPolicy` as written: absent (pinned), pinned, or accept-new. */
const KEY_POLICIES = [undefined, "pinned", "accept-new"] as const;
const shape: fc.Arbitrary<Shape> = fc.record({
    regions: fc.array(
        fc.record({
            name: index(REGION_NAMES.length),
            cidr: index(4),
            dhcp: fc.boolean(),
            controllers: fc.array(
                fc.record({
                    hostname: index(HOSTNAME_FORMS.length),
                    host: index(HOST_FORMS.length),
                    bridge: index(BRIDGES.length),
                    user: fc.option(index(USERS.length), { nil: undefined }),
                    port: fc.option(index(PORTS.length), { nil: undefined }),
                    pin: fc.boolean(),
                }),
                { maxLength: 2 },
            ),
            octavia: fc.record({ path: index(CONFIG_PATHS.length), restart: index(RESTARTS.length), endpoint: index(ENDPOINTS.length) }),
        }),
        { minLength: 1, maxLength: 3 },
    ),
    sshUser: index(USERS.length),
    sshPort: index(PORTS.length),
    keyPolicy: index(KEY_POLICIES.length),
    hmPort: index(PORTS.length),
    heartbeat: index(HEARTBEAT_KEYS.length),
    tcpPorts: fc.subarray([1, 22, 80, 9443, 65535], { minLength: 1 }),
    sources: index(3),
    ipv6: fc.boolean(),
    demo: fc.option(
        fc.record({
            networks: fc.integer({ min: 1, max: 2 }),
            backends: fc.array(fc.record({ region: index(3), network: index(2) }), { maxLength: 2 }),
            lb: fc.option(fc.record({ region: index(3), pair: index(4), monitor: index(4) }), { nil: undefined }),
        }),
        { nil: undefined, freq: 3 },
    ),
});

const LB_PAIRS = [
    ["HTTP", "HTTP"],
    ["TCP", "PROXYV2"],
    ["UDP", "UDP"],
    ["HTTPS", "TCP"],
];

function build(s: Shape): Namespace {
    let k = 0;
    const regionNames: string[] = [];
    const hostKeys: Record<string, string> = {};
    const regions = s.regions.map((r, i) => {
        const name = REGION_NAMES[r.name] === "r".repeat(150) ? REGION_NAMES[r.name] : `${REGION_NAMES[r.name]}${regionNames.includes(REGION_NAMES[r.name]) ? `-${i}` : ""}`;
        regionNames.push(name);
        const family6 = r.cidr >= 2;
        return {
            name,
            mgmt: { cidr: managementCidr(i, r.cidr), addressing: r.dhcp && !family6 ? "dhcp" : "static" },
            controllers: r.controllers.map((c) => {
                k += 1;
                const host = HOST_FORMS[c.host](k);
                if (c.pin) hostKeys[host] = Object.values(HOST_KEYS)[k % Object.values(HOST_KEYS).length];
                return {
                    host,
                    hostname: HOSTNAME_FORMS[c.hostname](k),
                    ovsBridge: BRIDGES[c.bridge],
                    ...(c.user === undefined ? {} : { user: USERS[c.user] }),
                    ...(c.port === undefined ? {} : { port: PORTS[c.port] }),
                };
            }),
            octavia: {
                configFile: CONFIG_PATHS[r.octavia.path],
                restartCommand: RESTARTS[r.octavia.restart],
                ...(ENDPOINTS[r.octavia.endpoint] ? { neutron: ENDPOINTS[r.octavia.endpoint] } : {}),
            },
        };
    });
    const unpinned = regions.some((r) => r.controllers.some((c) => hostKeys[c.host] === undefined));
    const ns: Namespace = {
        centralRegion: "CentralRegion",
        securityGroups: {
            amphoraTcpPorts: s.tcpPorts,
            ipv6: s.ipv6 || s.sources === 1,
            allowedCidrs: [[], ["0.0.0.0/0", "::/0"], ["10.0.0.0/8"]][s.sources],
        },
        healthManager: { port: PORTS[s.hmPort], heartbeatKey: HEARTBEAT_KEYS[s.heartbeat] },
        ssh: {
            user: USERS[s.sshUser],
            port: PORTS[s.sshPort],
            privateKey: TEST_PRIVATE_KEY,
            hostKeys,
            // A controller left unpinned is valid only with accept-new; with every one pinned, any policy is.
            ...(unpinned ? { hostKeyPolicy: "accept-new" } : KEY_POLICIES[s.keyPolicy] === undefined ? {} : { hostKeyPolicy: KEY_POLICIES[s.keyPolicy] }),
        },
        regions,
    };
    if (s.demo) {
        const networks = Array.from({ length: s.demo.networks }, (_, i) => ({ name: `net ${i + 1}`, cidr: `172.16.${i}.0/24` }));
        const backends = s.demo.backends.map((b, i) => ({ name: `backend${i + 1}`, region: regionNames[b.region % regionNames.length], network: networks[b.network % networks.length].name }));
        const [listener, pool] = LB_PAIRS[s.demo.lb?.pair ?? 0];
        const monitor = [
            undefined,
            { type: "TCP", delay: 5, timeout: 5, maxRetries: 1 },
            listener === "HTTP" ? { type: "HTTP", delay: 86400, timeout: 1, maxRetries: 10, urlPath: "/health?x=1", expectedCodes: "200-204" } : undefined,
            pool === "UDP" ? { type: "UDP-CONNECT", delay: 5, timeout: 3, maxRetries: 3 } : undefined,
        ][s.demo.lb?.monitor ?? 0];
        ns.demo = {
            image: "cirros 0.5.2",
            flavor: "m1.tiny",
            networks,
            backends,
            loadBalancers: s.demo.lb
                ? [
                      {
                          name: "lb-1",
                          region: regionNames[s.demo.lb.region % regionNames.length],
                          vipNetwork: networks[0].name,
                          listener: { protocol: listener, port: 65535 },
                          pool: { protocol: pool, algorithm: "SOURCE_IP_PORT", memberPort: 1 },
                          members: backends.map((b) => b.name),
                          ...(monitor ? { healthMonitor: monitor } : {}),
                      },
                  ]
                : [],
        };
    }
    return ns;
}

// ---------------------------------------------------------------------------------------------
// One value just past an edge: [applies to the configuration?, mutation, the key path it must be refused at]

type Mutation = [(ns: Namespace) => boolean, (ns: Namespace) => void, (ns: Namespace) => string];
const firstController = (ns: Namespace) => ns.regions.findIndex((r: any) => r.controllers.length > 0);
const onController = (key: string, values: unknown[]): Mutation[] =>
    values.map((value): Mutation => [
        (ns) => firstController(ns) >= 0,
        (ns) => (ns.regions[firstController(ns)].controllers[0][key] = value),
        (ns) => `regions[${firstController(ns)}].controllers[0].${key}`,
    ]);
const always = (path: string, set: (ns: Namespace) => void): Mutation => [() => true, set, () => path];

const MUTATIONS: Mutation[] = [
    ...onController("hostname", ["compute 1", "-node", "a..b", "n".repeat(64), "node1$(reboot)", "123", "node.", "fd00::1"]),
    ...onController("host", ["10.7.20.110; rm -rf /", "010.1.1.1", "fe80::1%eth0", "ctl_1.example", "-oProxyCommand=x"]),
    ...onController("user", ["stack -oProxyCommand=touch_x", "Stack", "u".repeat(33)]),
    ...onController("ovsBridge", ["o-hm0", "a".repeat(16), "br int", "."]),
    ...onController("port", [0, 65536, 22.5]),
    [
        (ns) => firstController(ns) >= 0,
        (ns) => (ns.ssh.hostKeys = { [ns.regions[firstController(ns)].controllers[0].host]: HOST_KEYS.ed25519.slice(0, 50) }),
        (ns) => `ssh.hostKeys["${ns.regions[firstController(ns)].controllers[0].host}"]`,
    ],
    // A controller without a pinned key under the default policy.
    [
        (ns) => firstController(ns) >= 0,
        (ns) => (delete ns.ssh.hostKeyPolicy, delete ns.ssh.hostKeys[ns.regions[firstController(ns)].controllers[0].host]),
        (ns) => `ssh.hostKeys["${ns.regions[firstController(ns)].controllers[0].host}"]`,
    ],
    always("regions[0].octavia.configFile", (ns) => (ns.regions[0].octavia.configFile = "octavia.conf")),
    always("regions[0].octavia.configFile", (ns) => (ns.regions[0].octavia.configFile = "/etc/../octavia.conf")),
    always("regions[0].octavia.configFile", (ns) => (ns.regions[0].octavia.configFile = `/${"p".repeat(200)}`)),
    always("regions[0].octavia.configFile", (ns) => (ns.regions[0].octavia.configFile = "/etc/octavia/oct\tavia.conf")),
    always("regions[0].octavia.restartCommand", (ns) => (ns.regions[0].octavia.restartCommand = "true\nreboot")),
    always("regions[0].octavia.neutron.endpoint", (ns) => (ns.regions[0].octavia.neutron = { endpoint: "10.7.20.110:9696" })),
    always("regions[0].mgmt.cidr", (ns) => (ns.regions[0].mgmt.cidr = "FD00:77::/64")),
    always("regions[0].mgmt.cidr", (ns) => (ns.regions[0].mgmt.cidr = "10.77.0.5/24")),
    always("regions[0].mgmt.cidr", (ns) => (ns.regions[0].mgmt.cidr = "010.77.0.0/24")),
    always("regions[0].name", (ns) => (ns.regions[0].name = " RegionOne")),
    always("regions[0].name", (ns) => (ns.regions[0].name = "CentralRegion")),
    always("regions[0].name", (ns) => (ns.regions[0].name = "Region::One")),
    always("ssh.user", (ns) => (ns.ssh.user = "stack -oProxyCommand=touch_x")),
    always("ssh.port", (ns) => (ns.ssh.port = 0)),
    always("healthManager.port", (ns) => (ns.healthManager.port = 65536)),
    always("securityGroups.amphoraTcpPorts[1]", (ns) => (ns.securityGroups.amphoraTcpPorts = [22, 22])),
    always("securityGroups.allowedCidrs[0]", (ns) => (ns.securityGroups.allowedCidrs = ["10.0.0.1/8"])),
    [(ns) => firstController(ns) >= 0, (ns) => (ns.healthManager.heartbeatKey = "   "), () => "healthManager.heartbeatKey"],
    [(ns) => firstController(ns) >= 0, (ns) => (ns.healthManager.heartbeatKey = "a\nb"), () => "healthManager.heartbeatKey"],
    [(ns) => !!ns.demo && ns.demo.backends.length > 0, (ns) => (ns.demo.backends[0].region = "Nowhere"), () => "demo.backends[0].region"],
    [(ns) => !!ns.demo && ns.demo.backends.length > 0, (ns) => (ns.demo.backends[0].network = "net 9"), () => "demo.backends[0].network"],
    [(ns) => !!ns.demo && ns.demo.loadBalancers.length > 0, (ns) => (ns.demo.loadBalancers[0].pool.protocol = ns.demo.loadBalancers[0].listener.protocol === "UDP" ? "TCP" : "UDP"), () => "demo.loadBalancers[0].pool.protocol"],
    [(ns) => !!ns.demo && ns.demo.loadBalancers.length > 0, (ns) => ns.demo.loadBalancers[0].members.push("backend9"), (ns) => `demo.loadBalancers[0].members[${ns.demo.loadBalancers[0].members.length - 1}]`],
    [(ns) => !!ns.demo, (ns) => (ns.demo.networks[0].cidr = ns.regions[0].mgmt.cidr.includes(":") ? "172.16.0.5/24" : ns.regions[0].mgmt.cidr), () => "demo.networks[0].cidr"],
];

const cases: fc.Arbitrary<Case> = fc.tuple(shape, fc.option(fc.nat(MUTATIONS.length - 1), { nil: undefined, freq: 2 })).map(([s, m]) => {
    const ns = build(s);
    if (m === undefined || !MUTATIONS[m][0](ns)) return { ns };
    MUTATIONS[m][1](ns);
    return { ns, refusedAt: MUTATIONS[m][2](ns) };
});

// ---------------------------------------------------------------------------------------------
// What an accepted configuration must have produced

/** What a real bash makes of the assignment lines of scripts: each [script, variable] read back as a value. */
function shellValues(reads: [string, string][]): string[] {
    const program = reads.map(([script, name]) => {
        const line = script.split("\n").find((l) => l.startsWith(`${name}=`));
        if (line === undefined) throw new Error(`no assignment of ${name}`);
        return `(${line}\nprintf '%s\\0' "$${name}")`;
    });
    return execFileSync("bash", ["-c", program.join("\n")]).toString().split("\0").slice(0, -1);
}

function inCidr(ip: string, cidr: string): boolean {
    const [network, prefix] = ipaddr.parseCIDR(cidr);
    const address = ipaddr.parse(ip);
    return address.kind() === network.kind() && address.match(network, prefix);
}

function expectComplete(ns: Namespace, run: StackRun): void {
    const reads: [string, string][] = [];
    const expected: string[] = [];
    expect(run.duplicateUrns, "duplicate URNs").toEqual([]);
    const outputs = run.outputs.regions as Record<string, { healthManagers: { hostname: string; ip: string; mac: string }[] }>;
    for (const region of ns.regions) {
        const controllers: any[] = region.controllers;
        expect(outputs[region.name].healthManagers.map((h) => h.hostname)).toEqual(controllers.map((c) => c.hostname));
        for (const hm of outputs[region.name].healthManagers) expect(inCidr(hm.ip, region.mgmt.cidr), `${hm.ip} in ${region.mgmt.cidr}`).toBe(true);
        for (const c of controllers) {
            const node = `region-${region.name}-node-${c.hostname}`;
            const binding = plain(run.byName(`region-${region.name}-hm-${c.hostname}-binding`).inputs);
            expect(binding).toMatchObject({ hostId: c.hostname, region: region.name });
            const command = (concern: string) => plain(run.byName(`${node}-${concern}`).inputs);
            for (const concern of ["plane", "octavia-conf"]) {
                expect(command(concern).create).toContain("tricircle-lbaas");
                expect(command(concern).connection).toMatchObject({ host: c.host, user: c.user ?? ns.ssh.user, port: c.port ?? ns.ssh.port });
            }
            const bridge = c.ovsBridge ?? "br-int";
            expect(command("plane").create).toContain(`TLB_HOSTNAME=${shellQuote(c.hostname)}\n`);
            expect(command("plane").create).toContain(`TLB_BRIDGE=${shellQuote(bridge)}\n`);
            expect(command("octavia-conf").create).toContain(`TLB_CONF=${shellQuote(region.octavia.configFile)}\n`);
            expect(command("octavia-conf").create).toContain(`TLB_RESTART=${shellQuote(region.octavia.restartCommand)}\n`);
            reads.push([command("plane").create, "TLB_HOSTNAME"], [command("plane").create, "TLB_BRIDGE"]);
            reads.push([command("octavia-conf").create, "TLB_CONF"], [command("octavia-conf").create, "TLB_RESTART"]);
            expected.push(c.hostname, bridge, region.octavia.configFile, region.octavia.restartCommand);
            // The heartbeat key travels on standard input only.
            expect(command("octavia-conf").create).not.toContain(ns.healthManager.heartbeatKey.trim());
        }
    }
    // Quoted end to end: a real bash reads each configured value back exactly.
    if (reads.length > 0) expect(shellValues(reads)).toEqual(expected);
    if (ns.demo) expect(Object.keys((run.outputs.loadBalancers as object) ?? {})).toEqual(ns.demo.loadBalancers.map((lb: any) => lb.name));
}

describe("every configuration either runs the whole program or is refused before anything is registered", () => {
    it("holds for configurations around every rule's edges", async () => {
        const seen = { accepted: 0, refused: 0, controllers: 0, demo: 0 };
        const started = Date.now();
        await fc.assert(
            fc.asyncProperty(cases, async ({ ns, refusedAt }) => {
                let run: StackRun | undefined;
                let error: unknown;
                try {
                    run = await runStack(stackConfig(structuredClone(ns), OPENSTACK_SETTINGS), { secretKeys: SECRET_KEYS, calls: CALLS });
                } catch (e) {
                    error = e;
                }
                if (run) {
                    expect(refusedAt, `accepted although ${refusedAt} is past its edge`).toBeUndefined();
                    seen.accepted++;
                    if (ns.regions.some((r: any) => r.controllers.length > 0)) seen.controllers++;
                    if (ns.demo?.loadBalancers.length) seen.demo++;
                    expectComplete(ns, run);
                    return;
                }
                // A failure once resources exist is exactly what the config check is there to prevent.
                expect(error, error instanceof ProgramError ? error.message : "").not.toBeInstanceOf(ProgramError);
                seen.refused++;
                const message = (error as Error).message;
                expect(message).toMatch(/^Invalid stack configuration \(tricircle-lbaas\):\n/);
                const paths = message
                    .split("\n")
                    .slice(1)
                    .map((line) => /^ {2}- (.+?): /.exec(line)?.[1]);
                expect(paths.length).toBeGreaterThan(0);
                for (const path of paths) expect(path, message).toMatch(/^[A-Za-z]/);
                if (refusedAt) expect(paths, message).toContain(refusedAt);
                expect(message).not.toContain(TEST_PRIVATE_KEY.split("\n")[1]);
                expect(message).not.toContain(OPENSTACK_SETTINGS["openstack:password"]);
            }),
            { numRuns: 150 },
        );
        console.log(`property: ${JSON.stringify(seen)} in ${Date.now() - started} ms`);
        // The generators really reach both outcomes, with controllers and with the demo.
        expect(seen.accepted).toBeGreaterThan(30);
        expect(seen.refused).toBeGreaterThan(30);
        expect(seen.controllers).toBeGreaterThan(15);
        expect(seen.demo).toBeGreaterThan(5);
    }, 120_000);
});
