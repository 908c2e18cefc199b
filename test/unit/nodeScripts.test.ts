// Unit tests of the controller-node scripts (pure functions) and, under Pulumi mocks (no engine,
// no network, no SSH), of how ControllerNode wires them into command.remote.Command resources.
// That the scripts do what they promise on real hosts is the host suite's job (test/host).
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { ControllerNode, ControllerNodeArgs, SSH_DIAL_POLICY } from "../../components/node/controllerNode";
import { controllerNodeArgs, FlatNodeArgs } from "../support/controllerNodeArgs";
import { OCTAVIA_CONF_MERGE_PROGRAM, octaviaConfStdin, octaviaSettings } from "../../components/node/octaviaConf";
import { nodeAsset } from "../../components/node/assets";
import { octaviaConfScripts } from "../../components/node/octaviaConf";
import { certificatesScripts } from "../../components/node/certificates";
import { OHm0Params, dhclientConfText, parseOHm0Report } from "../../components/node/ohm0";
import { persistenceHelperText, persistenceUnitText, unitExecLines } from "../../components/node/persistence";
import { PlaneParams, planeScripts } from "../../components/node/plane";
import { LIMITS, NODE_PATHS, asRoot, scriptOfCommand, shellPiece } from "../../components/node/remote";
import { normalizeMac, shellQuote } from "../../components/node/values";

const PORT_ID = "3f1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3d";
const NET_ID = "8acc6c02-66aa-4c0a-92bb-2a7a9c184ab1";
const SG_ID = "e4282699-43fd-4cb5-a709-cfaf213640f5";
const HEARTBEAT_KEY = "unit-test-heartbeat-key#;=\"'\\$";
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-private-key-material\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl node1";

const staticParams: OHm0Params = { bridge: "br-int", portId: PORT_ID, mac: "fa:16:3e:5a:6b:7c", ip: "192.168.10.6", prefixLength: 24, addressing: "static", hostname: "node1", adopt: false, owner: "tricircle-lbaas/unit" };
const dhcpParams: OHm0Params = { ...staticParams, addressing: "dhcp" };
/** The plane's commands for a node with these o-hm0 values and heartbeat port. */
const plane = (ohm0: OHm0Params, heartbeatPort = 5555) => planeScripts({ ohm0, heartbeatPort } satisfies PlaneParams);

const guideSettings = octaviaSettings({
    ...baseValues(),
    neutron: { endpoint: "http://10.7.20.110:20001", serviceName: "neutron", endpointType: "public" },
    nova: { endpoint: "http://10.7.20.114:8774/v2.1", serviceName: "nova", endpointType: "public" },
    glance: { endpoint: "http://10.7.20.114:9292", serviceName: "glance", endpointType: "public" },
});

/** The bash script asRoot's wrapper writes on the node: its plain and packed runs as one text. */
function innerScript(command: string): string {
    return scriptOfCommand(command);
}

function allScripts(): Record<string, string> {
    const out: Record<string, string> = {};
    const add = (name: string, s: { create: string; delete: string }) => {
        out[`${name} create`] = s.create;
        out[`${name} delete`] = s.delete;
        expect(Object.keys(s).sort()).toEqual(["create", "delete"]);
    };
    add("plane static", plane(staticParams));
    add("plane dhcp", plane(dhcpParams));
    add("octavia.conf", octaviaConfScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "systemctl restart 'devstack@o-*'", settings: guideSettings, adopt: false }));
    add("certificates", certificatesScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "systemctl restart 'devstack@o-*'", certificatesDir: "/etc/octavia/certs" }));
    return out;
}

/**
 * The quoted assignments of a command, the only place its values enter: what a reviewer must see change in a diff,
 * so read from the command's text as it is, packed runs and all.
 */
function renderedVariables(command: string): string[] {
    return command.split("\n").filter((l) => /^TLB_[A-Z0-9_]+=/.test(l));
}

describe("generated scripts", () => {
    it.each(Object.entries(allScripts()))("%s parses: the wrapper as POSIX sh, the script as bash", (_name, script) => {
        execFileSync("sh", ["-n"], { input: script });
        execFileSync("bash", ["-n"], { input: innerScript(script) });
    });

    it.each(Object.entries(allScripts()))("%s: its rendered variables match their snapshot", (_name, script) => {
        // Only the values: the programs are files of their own (components/node/files/), reviewed as such.
        expect(renderedVariables(script)).toMatchSnapshot();
    });

    it.each(Object.entries(allScripts()))("%s: every assignment is in its plain text, and this machine's base64 and gzip unpack the rest", (_name, command) => {
        const script = innerScript(command);
        expect(renderedVariables(command)).toEqual(script.split("\n").filter((l) => /^TLB_[A-Z0-9_]+=/.test(l)));
        // The wrapper up to its run, then the script it wrote: what the node's own tools made of the packed runs.
        const upToRun = command.slice(0, command.indexOf('\nif [ "$tlb_ok" != 1 ]'));
        const written = spawnSync("sh", ["-c", `${upToRun}\n[ "$tlb_ok" = 1 ] || exit 1\ncat "$tlb_script"; rm -f "$tlb_script"`], { encoding: "utf8" });
        expect(written.status).toBe(0);
        expect(written.stdout).toBe(script);
    });

    it("carries a node's scripts in under 55 % of their length (what each checkpoint of the state writes)", () => {
        const commands = Object.values(allScripts());
        const sum = (texts: string[]) => texts.reduce((n, t) => n + t.length, 0);
        expect(sum(commands)).toBeLessThan(0.55 * sum(commands.map(innerScript)));
    });

    it("packs no value: the packed runs of each command are the same whatever the node, port, stack and settings", () => {
        const packedRuns = (command: string) => command.split("\n# packed: ").slice(1).map((b) => b.slice(0, b.indexOf("\nTLB_PACKED_EOF\n")));
        const other: OHm0Params = { bridge: "br-ex", portId: "0b1c2a9e-5b7d-4e21-9a0c-6d8e7f1b2c3e", mac: "fa:16:3e:00:00:01", ip: "fd00:10::9", prefixLength: 64, addressing: "static", hostname: "other-host", adopt: true, owner: "other/prod" };
        const settings = octaviaSettings({ ...baseValues(), bindIp: "fd00:10::9", bindPort: 6000, region: "RegionNine", centralRegion: "CentralRegion" });
        const pairs: [string, string, string][] = [
            ["plane", plane(staticParams).create, plane(other, 6000).create],
            ["plane delete", plane(dhcpParams).delete, plane(other, 6000).delete],
            [
                "octavia.conf",
                octaviaConfScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "true", settings: guideSettings, adopt: false }).create,
                octaviaConfScripts({ configFile: "/opt/o/octavia.conf", restartCommand: "systemctl restart octavia-*", settings, adopt: true, certificatesDigest: "c".repeat(64) }).create,
            ],
            [
                "certificates",
                certificatesScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "true", certificatesDir: "/etc/octavia/certs" }).delete,
                certificatesScripts({ configFile: "/opt/o/octavia.conf", restartCommand: "reload", certificatesDir: "/opt/o/certs" }).delete,
            ],
        ];
        for (const [name, a, b] of pairs) {
            expect(a, name).not.toBe(b);
            expect(packedRuns(a).length, name).toBeGreaterThan(0);
            expect(packedRuns(a), name).toEqual(packedRuns(b));
        }
    });

    it("assembles the programs from their files, verbatim, without the linter's directives", () => {
        const create = innerScript(plane(dhcpParams).create);
        for (const file of ["prelude.sh", "ohm0.sh", "firewall.sh", "persistence.sh"]) expect(create).toContain(shellPiece(nodeAsset(file)));
        expect(create).not.toContain("# shellcheck shell=bash");
        expect(create).toContain(nodeAsset("tricircle-lbaas-o-hm0.service"));
        const helper = persistenceHelperText({ ohm0: dhcpParams, heartbeatPort: 5555 });
        expect(helper.startsWith("#!/bin/bash\n")).toBe(true);
        expect(helper).toContain(nodeAsset("dhclient-script.sh"));
        expect(helper).toContain(nodeAsset("dhclient-o-hm0.conf"));
        expect(helper.endsWith(`${shellPiece(nodeAsset("o-hm0-helper.sh"))}\n`)).toBe(true);
        const conf = innerScript(octaviaConfScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "true", settings: guideSettings, adopt: false }).create);
        expect(conf).toContain(shellPiece(nodeAsset("octavia-conf.sh")));
        expect(conf).toContain(`3<<'TLB_PY_EOF'\n${OCTAVIA_CONF_MERGE_PROGRAM}TLB_PY_EOF\n`);
        expect(OCTAVIA_CONF_MERGE_PROGRAM).toBe(nodeAsset("octavia_conf_merge.py"));
    });

    it("the helper the unit runs is valid bash and dispatches up and down only", () => {
        const helper = persistenceHelperText({ ohm0: staticParams, heartbeatPort: 5555 });
        execFileSync("bash", ["-n"], { input: helper });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-helper-"));
        try {
            fs.writeFileSync(path.join(dir, "helper"), helper, { mode: 0o755 });
            const r = spawnSync("bash", [path.join(dir, "helper"), "sideways"], { encoding: "utf8" });
            expect(r.status).toBe(2);
            expect(r.stderr).toContain("usage:");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the boot unit runs the helper at start and stop, ordered after Open vSwitch, within the helper's own bounds", () => {
        const unit = persistenceUnitText();
        expect(unitExecLines(unit, "ExecStart")).toEqual([`${NODE_PATHS.helper} up`]);
        expect(unitExecLines(unit, "ExecStop")).toEqual([`${NODE_PATHS.helper} down`]);
        expect(unit).toMatch(/^After=.*openvswitch-switch\.service/m);
        expect(unit).toContain("Type=oneshot\nRemainAfterExit=yes\n");
        // The unit file is literal text: its start timeout must cover the helper's waits (OVS, link, DHCP) plus a minute.
        expect(unit).toContain(`\nTimeoutStartSec=${LIMITS.bootOvsWaitSeconds + LIMITS.linkSeconds + LIMITS.dhcpSeconds + 60}\n`);
    });

    it("dhclient's configuration bounds a lease by LIMITS.dhcpSeconds and asks for no router or DNS", () => {
        const conf = dhclientConfText();
        expect(conf).toContain(`\ntimeout ${LIMITS.dhcpSeconds};\n`);
        expect(conf.split("\n").filter((l) => !l.startsWith("#")).join("\n")).not.toMatch(/routers|domain-name-servers/);
    });

    it("the merge program never prints what it sets secretly", () => {
        expect(OCTAVIA_CONF_MERGE_PROGRAM).toContain('"(secret)" if secret else value');
        expect(OCTAVIA_CONF_MERGE_PROGRAM.split("\n")).not.toContain("TLB_PY_EOF");
    });
});

describe("shellQuote", () => {
    const HOSTILE = ["", "plain", "it's", "'; rm -rf / #", "$(id)", "`id`", '"$HOME"', "back\\slash", "*?[a]", "a\nb", "tab\there", " spaced ", "ключ 🔑", "'''"];

    it.each(HOSTILE)("round-trips %j through a real shell", (value) => {
        expect(execFileSync("sh", ["-c", `printf %s ${shellQuote(value)}`]).toString()).toBe(value);
    });

    it("refuses NUL, which no shell word can carry", () => {
        expect(() => shellQuote("a\0b")).toThrow(/NUL/);
    });

    it("puts hostile free-form values into scripts only as quoted assignments", () => {
        const restart = `echo "$(touch /tmp/pwned)" '; reboot; '`;
        const region = `Region'One $(reboot)`;
        const settings = octaviaSettings({ ...baseValues(), region });
        const script = innerScript(octaviaConfScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: restart, settings, adopt: false }).create);
        const lines = script.split("\n").filter((l) => /^TLB_(RESTART|SETTINGS)=/.test(l));
        const values = execFileSync("bash", ["-c", `${lines.join("\n")}\nprintf '%s\\0%s' "$TLB_RESTART" "$TLB_SETTINGS"`]).toString().split("\0");
        expect(values).toEqual([restart, JSON.stringify(settings)]);
    });
});

function baseValues() {
    return {
        region: "RegionOne",
        centralRegion: "CentralRegion",
        bindIp: "192.168.10.6",
        bindPort: 5555,
        controllerIpPortList: "192.168.10.6:5555",
        mgmtNetworkId: NET_ID,
        amphoraSecurityGroupId: SG_ID,
    };
}

describe("validation", () => {
    const BAD_OHM0: [string, Partial<OHm0Params>, RegExp][] = [
        ["a MAC with a non-hex octet", { mac: "fa:16:3e:zz:00:01" }, /MAC address: "fa:16:3e:zz:00:01" is not six colon-separated hex octets/],
        ["a multicast MAC", { mac: "01:00:5e:00:00:01" }, /is not a unicast address/],
        ["a port id that is not a UUID", { portId: "port-1; reboot" }, /o-hm0 Neutron port id: .* is not a UUID/],
        ["a bridge name with a space", { bridge: "br int" }, /ovsBridge: "br int" must be an interface name/],
        ["a bridge name with shell syntax", { bridge: "br;reboot" }, /ovsBridge/],
        ["a bridge name over 15 characters", { bridge: "br-integration-01" }, /ovsBridge/],
        ["an IP that is not one", { ip: "192.168.10.256" }, /o-hm0 port IP: "192.168.10.256" is not an IPv4 or IPv6 address/],
        ["a prefix too long for IPv4", { prefixLength: 33 }, /prefix length: 33 must be a prefix length 1..32/],
        ["dhcp on IPv6", { ip: "fd00:10::6", prefixLength: 64, addressing: "dhcp" }, /IPv4 management subnets only/],
        ["an unknown addressing mode", { addressing: "slaac" as never }, /addressing: "slaac"/],
        ["a hostname with shell syntax", { hostname: "node1$(reboot)" }, /hostname/],
    ];

    it.each(BAD_OHM0)("o-hm0 rejects %s", (_what, change, message) => {
        expect(() => plane({ ...staticParams, ...change })).toThrow(message);
    });

    it("normalizes what Neutron may report in another form", () => {
        expect(normalizeMac("FA:16:3E:5A:6B:7C")).toBe("fa:16:3e:5a:6b:7c");
        expect(plane({ ...staticParams, ip: "FD00:10:0:0::6", prefixLength: 64 }).create).toContain("TLB_ADDRESS='fd00:10::6'");
    });

    it.each([0, 65536, 1.5])("firewall rejects port %s", (port) => {
        expect(() => plane(staticParams, port)).toThrow(/healthManager.port/);
    });

    const BAD_CONF: [string, () => unknown, RegExp][] = [
        ["a relative config path", () => octaviaConfScripts({ configFile: "octavia.conf", restartCommand: "true", settings: guideSettings, adopt: false }), /octavia.configFile/],
        ["a config path with ..", () => octaviaConfScripts({ configFile: "/etc/../tmp/x.conf", restartCommand: "true", settings: guideSettings, adopt: false }), /octavia.configFile/],
        ["a two-line restart command", () => octaviaConfScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "true\nreboot", settings: guideSettings, adopt: false }), /single line/],
        ["an empty restart command", () => octaviaConfScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: " ", settings: guideSettings, adopt: false }), /must not be empty/],
        ["a setting given twice", () => octaviaConfScripts({ configFile: "/a.conf", restartCommand: "true", settings: [...guideSettings, guideSettings[0]], adopt: false }), /given twice/],
        ["a newline in a region name", () => octaviaSettings({ ...baseValues(), region: "Region\nOne" }), /single line/],
        ["a malformed controller_ip_port_list", () => octaviaSettings({ ...baseValues(), controllerIpPortList: "192.168.10.6:5555, 192.168.10.7:5555" }), /controller_ip_port_list/],
        ["a network id that is not a UUID", () => octaviaSettings({ ...baseValues(), mgmtNetworkId: "lb-mgmt-net1" }), /amp_boot_network_list/],
        ["an endpoint that is not a URL", () => octaviaSettings({ ...baseValues(), nova: { endpoint: "10.7.20.114:8774" } }), /nova.endpoint/],
        ["a newline in the heartbeat key", () => octaviaConfStdin({ heartbeatKey: "a\nb" }), /single line/],
        ["an empty heartbeat key", () => octaviaConfStdin({ heartbeatKey: "" }), /must not be empty/],
    ];

    it.each(BAD_CONF)("octavia.conf rejects %s", (_what, make, message) => {
        expect(make).toThrow(message);
    });
});

describe("parseOHm0Report", () => {
    it("reads the last report line", () => {
        expect(parseOHm0Report("noise\nOHM0 ip=10.0.0.1 prefix=24 mac=fa:16:3e:00:00:01\nOHM0 ip=192.168.10.6 prefix=24 mac=FA:16:3E:5A:6B:7C\n")).toEqual({
            ip: "192.168.10.6",
            prefixLength: 24,
            mac: "fa:16:3e:5a:6b:7c",
        });
    });

    it("fails clearly without one", () => {
        expect(() => parseOHm0Report("done\n")).toThrow(/printed no "OHM0 ip=/);
    });
});

// ---------------------------------------------------------------------------------------------
// Mock tests: ControllerNode under pulumi.runtime.setMocks.

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const isSecret = (v: unknown) => typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_KEY] === SECRET_SIG;
const reveal = (v: unknown): unknown => (isSecret(v) ? (v as { value: unknown }).value : v);

const registered: Registered[] = [];

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}

function nodeArgs(over: Partial<FlatNodeArgs> = {}): ControllerNodeArgs {
    return controllerNodeArgs({
        region: "RegionOne",
        centralRegion: "CentralRegion",
        host: "10.7.20.110",
        hostname: "node1",
        ovsBridge: "br-int",
        sshUser: "stack",
        sshPort: 22,
        sshPrivateKey: pulumi.secret(PRIVATE_KEY),
        hostKey: HOST_KEY,
        addressing: "static",
        portId: PORT_ID,
        portMac: "fa:16:3e:5a:6b:7c",
        portIp: "192.168.10.6",
        prefixLength: 24,
        heartbeatPort: 5555,
        controllerIpPortList: "192.168.10.6:5555,192.168.20.6:5555",
        heartbeatKey: pulumi.secret(HEARTBEAT_KEY),
        mgmtNetworkId: NET_ID,
        amphoraSecurityGroupId: SG_ID,
        octavia: { configFile: "/etc/octavia/octavia.conf", restartCommand: "systemctl restart 'devstack@o-*'" },
        adopt: false,
    }, over);
}

async function build(name: string, args: ControllerNodeArgs) {
    const opts = new Map<string, pulumi.CustomResourceOptions>();
    const resources = new Map<pulumi.Resource, string>();
    const node = new ControllerNode(name, args, {
        transformations: [
            (a) => {
                opts.set(a.name, a.opts);
                resources.set(a.resource, a.name);
                return undefined;
            },
        ],
    });
    const [ip, mac] = await Promise.all([promiseOf(node.ip), promiseOf(node.mac)]);
    const deadline = Date.now() + 10_000;
    const mine = () => registered.filter((r) => r.type === "command:remote:Command" && r.name.startsWith(`${name}-`));
    while (mine().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const commands = Object.fromEntries(mine().map((r) => [r.name.slice(name.length + 1), r.inputs]));
    const dependsOn = (child: string) => ((opts.get(`${name}-${child}`)?.dependsOn as pulumi.Resource[] | undefined) ?? []).map((r) => resources.get(r));
    return { ip, mac, commands, opts, dependsOn };
}

describe("ControllerNode (Pulumi mocks)", () => {
    beforeAll(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (a) => {
                    registered.push({ type: a.type, name: a.name, inputs: a.inputs });
                    // The host reports what it has; here, a stand-in for the o-hm0 command's output.
                    const stdout = a.name.endsWith("-plane") ? "tricircle-lbaas: ok\nOHM0 ip=192.168.10.6 prefix=24 mac=fa:16:3e:5a:6b:7c" : "";
                    return { id: `${a.name}-id`, state: { ...a.inputs, stdout, stderr: "" } };
                },
                call: (a) => a.inputs,
            },
            "tricircle-lbaas",
            "unit",
            false,
        );
    });

    it("registers the plane first and octavia.conf after it, and the retired firewall and persistence commands with nothing to run", async () => {
        const { commands, dependsOn, opts } = await build("n1", nodeArgs());
        expect(Object.keys(commands).sort()).toEqual(["firewall", "octavia-conf", "persistence", "plane"]);
        expect(registered.filter((r) => r.type === "tricircle-lbaas:node:ControllerNode" && r.name === "n1")).toHaveLength(1);
        expect(dependsOn("plane")).toEqual([]);
        expect(dependsOn("octavia-conf")).toEqual(["n1-plane"]);
        for (const name of Object.keys(commands)) {
            expect(opts.get(`n1-${name}`)?.deleteBeforeReplace).toBe(true);
            expect(opts.get(`n1-${name}`)?.parent).toBeInstanceOf(ControllerNode);
        }
        expect(opts.get("n1-octavia-conf")?.additionalSecretOutputs).toContain("stdin");
        // A deployed stack's o-hm0 command becomes the plane: updated in place, never deleted.
        expect(opts.get("n1-plane")?.aliases).toEqual([{ name: "n1-ohm0" }]);
        expect(commands.plane.triggers).toEqual(["10.7.20.110", 22, "br-int", "static"]);
        for (const retired of ["firewall", "persistence"]) {
            // Nothing to run, so no login; updated only after the plane, with the triggers they were deployed with.
            expect(commands[retired].create, retired).toBeUndefined();
            expect(commands[retired].delete, retired).toBeUndefined();
            expect(commands[retired].update, retired).toBeUndefined();
            expect(commands[retired].triggers, retired).toEqual(["10.7.20.110", 22]);
            expect(dependsOn(retired), retired).toEqual(["n1-plane"]);
            expect(isSecret(commands[retired].connection), retired).toBe(true);
        }
    });

    it("hands the provider exactly the pure functions' scripts", async () => {
        const { commands } = await build("n2", nodeArgs());
        expect(commands.plane.create).toBe(plane(staticParams).create);
        expect(commands.plane.delete).toBe(plane(staticParams).delete);
        const settings = octaviaSettings({ ...baseValues(), controllerIpPortList: "192.168.10.6:5555,192.168.20.6:5555" });
        expect(commands["octavia-conf"].create).toBe(
            octaviaConfScripts({ configFile: "/etc/octavia/octavia.conf", restartCommand: "systemctl restart 'devstack@o-*'", settings, adopt: false }).create,
        );
        for (const c of [commands.plane, commands["octavia-conf"]]) {
            // No copy of the script for `update`: the provider runs `create` again (a smaller state, see RemoteScripts).
            expect(c.update).toBeUndefined();
            expect(c.addPreviousOutputInEnv).toBe(false);
            expect(c.logging).toBe("stdoutAndStderr");
        }
    });

    it.each([false, true])("hands adopt=%s to every program that acts on it, once, as TLB_ADOPT", async (adopt) => {
        const { commands } = await build(`n-adopt-${adopt}`, nodeArgs({ adopt }));
        const want = `TLB_ADOPT='${adopt ? 1 : 0}'`;
        const assigned = (text: string) => renderedVariables(text).filter((l) => l.startsWith("TLB_ADOPT="));
        for (const name of ["plane", "octavia-conf"]) expect(assigned(String(commands[name].delete)), name).toEqual([want]);
        expect(assigned(String(commands["octavia-conf"].create))).toEqual([want]);
        // The plane's create: its own, and the boot helper's (the file it writes), which redoes o-hm0 and the
        // firewall at boot and must adopt as the create did.
        expect(assigned(String(commands.plane.create))).toEqual([want, want]);
        const helper = persistenceHelperText({ ohm0: { ...staticParams, adopt }, heartbeatPort: 5555 });
        expect(helper.split("\n").filter((l) => l.startsWith("TLB_ADOPT="))).toEqual([want]);
        expect(innerScript(String(commands.plane.create))).toContain(helper);
        expect(commands.plane.create).toBe(plane({ ...staticParams, adopt }).create);
        // The merge program gets it as its last argument.
        expect(innerScript(String(commands["octavia-conf"].create))).toContain('"$TLB_SETTINGS" "$TLB_ADOPT"');
    });

    it("marks the settings that tie octavia.conf to one management plane, and only those", () => {
        const guarded = guideSettings.filter((s) => s.guarded).map((s) => `${s.section}.${s.key}`);
        expect(guarded).toEqual(["health_manager.heartbeat_key", "controller_worker.amp_boot_network_list", "controller_worker.amp_secgroup_list"]);
    });

    it("refuses an adopt that is not a boolean", () => {
        expect(() => plane({ ...staticParams, adopt: "yes" as unknown as boolean })).toThrow(/adopt/);
    });

    it("names the stack that serves the node in the o-hm0 scripts, and refuses an owner that is not <project>/<stack>", () => {
        expect(plane(staticParams).create).toContain("TLB_OWNER='tricircle-lbaas/unit'");
        for (const bad of ["", "local", "a/b/c", "p/s p", "p/s'", `p/${"s".repeat(101)}`]) {
            expect(() => plane({ ...staticParams, owner: bad }), JSON.stringify(bad)).toThrow(/owner \(the stack\)/);
        }
        expect(plane({ ...staticParams, owner: "my-project_1/prod.eu-2" }).delete).toContain("TLB_OWNER='my-project_1/prod.eu-2'");
    });

    it("keeps the heartbeat key and the private key secret, and out of every command text", async () => {
        const { commands } = await build("n3", nodeArgs());
        const stdin = commands["octavia-conf"].stdin;
        expect(isSecret(stdin)).toBe(true);
        expect(reveal(stdin)).toBe(octaviaConfStdin({ heartbeatKey: HEARTBEAT_KEY }));
        for (const [concern, c] of Object.entries(commands)) {
            expect(isSecret(c.connection)).toBe(true);
            const connection = reveal(c.connection) as Record<string, unknown>;
            expect(connection).toMatchObject({ host: "10.7.20.110", port: 22, user: "stack", hostKey: HOST_KEY, ...SSH_DIAL_POLICY });
            expect(connection.privateKey).toBe(PRIVATE_KEY);
            // The text as it is and the script it unpacks to on the node (the retired commands have none).
            const texts = [c.create, c.delete].filter((t) => t !== undefined).map(String);
            expect(c.update, concern).toBeUndefined();
            for (const text of [...texts, ...texts.map(innerScript)]) {
                expect(text, concern).not.toContain("unit-test-heartbeat-key");
                expect(text, concern).not.toContain("unit-test-private-key-material");
            }
            if (concern !== "octavia-conf") expect(c.stdin).toBeUndefined();
        }
    });

    it("reads ip and mac from what the host reported, and replaces (undo first) when the node changes", async () => {
        const { ip, mac, commands } = await build("n4", nodeArgs());
        expect({ ip, mac }).toEqual({ ip: "192.168.10.6", mac: "fa:16:3e:5a:6b:7c" });
        expect(commands.plane.triggers).toEqual(["10.7.20.110", 22, "br-int", "static"]);
        expect(commands["octavia-conf"].triggers).toEqual(["10.7.20.110", 22, "/etc/octavia/octavia.conf"]);
    });

    it("holds its arguments to the config's rules before it registers anything", async () => {
        for (const [over, message] of [
            [{ host: "10.7.20.110; rm -rf /" }, /^host: .* must be an IPv4 or IPv6 address or a DNS name/],
            [{ sshUser: "stack -oProxyCommand=touch_x" }, /^ssh user: .* must be a POSIX user name/],
            [{ hostname: "compute 1" }, /^hostname: /],
            [{ octavia: { configFile: "octavia.conf", restartCommand: "true" } }, /^octavia.configFile: /],
        ] as [Partial<FlatNodeArgs>, RegExp][]) {
            expect(() => new ControllerNode("n6", nodeArgs(over))).toThrow(message);
        }
        await new Promise((r) => setTimeout(r, 50));
        expect(registered.filter((r) => r.name.startsWith("n6"))).toEqual([]);
        const { commands } = await build("n7", nodeArgs({ hostname: "compute_1", octavia: { configFile: "/etc/octavia/my octavia.conf", restartCommand: "true" } }));
        expect(commands.plane.create).toContain("TLB_HOSTNAME='compute_1'\n");
        expect(commands["octavia-conf"].create).toContain("TLB_CONF='/etc/octavia/my octavia.conf'\n");
    });

    it("refuses a pinned host key that is not an OpenSSH public key line", () => {
        expect(() => new ControllerNode("n5", nodeArgs({ hostKey: "SHA256:abcdef" }))).toThrow(/ssh.hostKeys\[10.7.20.110\]: "SHA256:abcdef" must be an OpenSSH public key line/);
    });
});

describe("asRoot", () => {
    it("refuses a script that contains its own here-document delimiter", () => {
        expect(() => asRoot("x", "echo\nTLB_SCRIPT_EOF\necho")).toThrow(/delimiter/);
    });
});
