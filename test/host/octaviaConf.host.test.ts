// Host scenarios, octavia.conf: the file the component's command writes is loaded by Octavia
// itself (Debian's python3-octavia: octavia.common.config registers Octavia's options, oslo.config
// parses the file), secret values round-trip exactly, and the merge leaves everything else alone.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { OCTAVIA_CONF_MERGE_PROGRAM, octaviaConfStdin, octaviaSettings } from "../../components/node/octaviaConf";
import {
    AMPHORA_SG_ID,
    BASELINE_OCTAVIA_CONF,
    HOSTILE_KEY,
    MGMT_NETWORK_ID,
    OCTAVIA_CONF,
    PORT,
    commandsOf,
    expectOk,
    nodeArgs,
    restartCount,
    run,
    freshNodePerTest,
} from "./harness";

const startNode = freshNodePerTest();

// Loads each file as Octavia does and prints the typed values (one JSON document per file).
const OCTAVIA_LOADER = `
import json, sys
from oslo_config import cfg
import octavia.common.config  # registers Octavia's options on cfg.CONF
conf = cfg.CONF
out = []
for path in sys.argv[1:]:
    conf(["--config-file", path], project="octavia", default_config_files=[], default_config_dirs=[])
    hm, cw = conf.health_manager, conf.controller_worker
    section = lambda g: {k: getattr(g, k) for k in ("region_name", "service_name", "endpoint", "endpoint_type")}
    out.append({
        "bind_ip": hm.bind_ip, "bind_port": hm.bind_port, "bind_port_type": type(hm.bind_port).__name__,
        "controller_ip_port_list": hm.controller_ip_port_list, "heartbeat_key": hm.heartbeat_key,
        "amp_boot_network_list": cw.amp_boot_network_list, "amp_secgroup_list": cw.amp_secgroup_list,
        "neutron": section(conf.neutron), "nova": section(conf.nova), "glance": section(conf.glance),
        "untouched": [cw.amp_image_owner_id, cw.amp_flavor_id, cw.loadbalancer_topology, conf.certificates.ca_certificate],
    })
print(json.dumps(out))
`;

async function loadWithOctavia(files: string[]): Promise<Array<Record<string, unknown>>> {
    const r = expectOk(await run("/usr/bin/python3", ["-c", OCTAVIA_LOADER, ...files], { timeoutMs: 60_000 }), "Octavia's config loader");
    return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

/** Values an INI writer tends to mangle; each must come back from Octavia exactly. */
const SECRETS = [
    HOSTILE_KEY,
    "#looks-like-a-comment",
    ";looks-like-a-comment-too",
    "a=b=c:d",
    '"fully double-quoted"',
    "'fully single-quoted'",
    '"',
    "'",
    "back\\slash\\",
    "\\$HOME, $HOME, $$ and ${HOME}",
    "  padded on both sides  ",
    "\ttab first",
    "ключ-🔑",
    "=",
];

const UNTOUCHED = ["b35450fd79164af4a0df26149228ddf2", "10", "SINGLE", "/etc/octavia/certs/ca_01.pem"];

describe("octavia.conf", () => {
    it("loads with Octavia's own option definitions: typed values as configured, secrets round-trip, delete restores the file", async () => {
        const node = await startNode();
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-octavia-conf-"));
        try {
            const files: string[] = [];
            let commandText: string | undefined;
            for (const [i, secret] of SECRETS.entries()) {
                const cmd = (await commandsOf(nodeArgs(node, { heartbeatKey: secret })))["octavia-conf"];
                // The same command text whatever the secret: it travels on stdin only.
                commandText ??= cmd.create;
                expect(cmd.create).toBe(commandText);
                const r = expectOk(await node.ssh(i === 0 ? cmd.create : cmd.update, { input: cmd.stdin }), `octavia-conf with secret #${i}`);
                if (secret.trim().length >= 6) expect(r.stdout + r.stderr + cmd.create + cmd.delete).not.toContain(secret.trim());
                const copy = path.join(out, `octavia-${i}.conf`);
                fs.writeFileSync(copy, await node.readFile(OCTAVIA_CONF));
                files.push(copy);
            }
            const loaded = await loadWithOctavia(files);
            expect(loaded.map((l) => l.heartbeat_key)).toEqual(SECRETS);
            const endpoint = (region: string, e: { endpoint: string; serviceName: string; endpointType: string }) => ({
                region_name: region,
                service_name: e.serviceName,
                endpoint: e.endpoint,
                endpoint_type: e.endpointType,
            });
            const octavia = nodeArgs(node).region.octavia;
            expect({ ...loaded[0], heartbeat_key: undefined }).toEqual({
                bind_ip: PORT.ip,
                bind_port: 5555,
                bind_port_type: "int",
                controller_ip_port_list: [`${PORT.ip}:5555`, "192.168.10.7:5555"],
                heartbeat_key: undefined,
                amp_boot_network_list: [MGMT_NETWORK_ID],
                amp_secgroup_list: [AMPHORA_SG_ID],
                neutron: endpoint("CentralRegion", octavia.neutron as never),
                nova: endpoint("RegionOne", octavia.nova as never),
                glance: endpoint("RegionOne", octavia.glance as never),
                untouched: UNTOUCHED,
            });
            // Only the heartbeat key differs between the runs; the restart ran once per change.
            for (const l of loaded) expect({ ...l, heartbeat_key: undefined }).toEqual({ ...loaded[0], heartbeat_key: undefined });
            expect(restartCount(node)).toBe(SECRETS.length);

            const cmd = (await commandsOf(nodeArgs(node)))["octavia-conf"];
            expectOk(await node.ssh(cmd.delete), "octavia-conf delete");
            expect(await node.readFile(OCTAVIA_CONF)).toBe(BASELINE_OCTAVIA_CONF);
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });

    it("a re-run keeps the record of the original values; delete restores them and keeps an operator's other edits", async () => {
        const node = await startNode();
        const cmd = (await commandsOf(nodeArgs(node)))["octavia-conf"];
        expectOk(await node.ssh(cmd.create, { input: cmd.stdin }), "create");

        // Drift: someone sets bind_ip by hand and adds a key of their own.
        await node.sh(`sed -i 's/^bind_ip = .*/bind_ip = 10.9.9.9/; s/^amp_flavor_id = 10$/amp_flavor_id = 10\\namp_ssh_key_name = operator-key/' ${OCTAVIA_CONF}`);
        const rerun = expectOk(await node.ssh(cmd.create, { input: cmd.stdin }), "re-run");
        expect(rerun.stderr).toContain("set [health_manager] bind_ip = 192.168.10.6");
        expect(await node.readFile(OCTAVIA_CONF)).toContain("amp_ssh_key_name = operator-key\n");

        const removed = expectOk(await node.ssh(cmd.delete), "delete");
        const restored = await node.readFile(OCTAVIA_CONF);
        expect(restored).toBe(BASELINE_OCTAVIA_CONF.replace("amp_flavor_id = 10\n", "amp_flavor_id = 10\namp_ssh_key_name = operator-key\n"));
        // The file differs from the pre-stack copy (the operator's line), so that copy is kept.
        expect(removed.stderr).toContain(`${OCTAVIA_CONF}.tricircle-lbaas.orig is kept for comparison`);
        expect(await node.readFile(`${OCTAVIA_CONF}.tricircle-lbaas.orig`)).toBe(BASELINE_OCTAVIA_CONF);
    });

    it("a config path with a space and a binding host with `_` reach the node exactly, quoted end to end", async () => {
        const node = await startNode();
        const spaced = "/etc/octavia/my octavia.conf";
        await node.exec(["cp", "-p", "--", OCTAVIA_CONF, spaced], { check: true });
        const base = nodeArgs(node);
        const commands = await commandsOf(nodeArgs(node, { hostname: "compute_1", octavia: { ...base.region.octavia, configFile: spaced } }));

        const ohm0 = expectOk(await node.ssh(commands.plane.create), "plane create");
        expect(ohm0.stderr).toContain("the port is bound to host 'compute_1'");
        const created = expectOk(await node.ssh(commands["octavia-conf"].create, { input: commands["octavia-conf"].stdin }), "octavia-conf create");
        expect(created.stderr).toContain(`updated ${spaced}`);
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-octavia-conf-"));
        try {
            fs.writeFileSync(path.join(out, "spaced.conf"), await node.readFile(spaced));
            const [loaded] = await loadWithOctavia([path.join(out, "spaced.conf")]);
            expect(loaded).toMatchObject({ bind_ip: PORT.ip, amp_boot_network_list: [MGMT_NETWORK_ID], untouched: UNTOUCHED });
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
        // The other file of the same directory is not touched; the state file is named after the spaced path.
        expect(await node.readFile(OCTAVIA_CONF)).toBe(BASELINE_OCTAVIA_CONF);
        expect((await node.snapshot()).files).toHaveProperty(["/var/lib/tricircle-lbaas/octavia-conf_etc_octavia_my octavia.conf.json"]);

        expectOk(await node.ssh(commands["octavia-conf"].delete), "octavia-conf delete");
        expectOk(await node.ssh(commands.plane.delete), "plane delete");
        expect(await node.readFile(spaced)).toBe(BASELINE_OCTAVIA_CONF);
        expect((await node.snapshot()).files).not.toHaveProperty([`${spaced}.tricircle-lbaas.orig`]);
    });

    it("a missing config file fails the create with a clear message and leaves no record", async () => {
        const node = await startNode();
        const base = nodeArgs(node);
        const cmd = (await commandsOf(nodeArgs(node, { octavia: { ...base.region.octavia, configFile: "/etc/octavia/absent.conf" } })))["octavia-conf"];
        const r = await node.ssh(cmd.create, { input: cmd.stdin });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain("/etc/octavia/absent.conf does not exist on");
        expect((await node.snapshot()).files).not.toHaveProperty("/var/lib/tricircle-lbaas/octavia-conf_etc_octavia_absent.conf.json");
        expect(restartCount(node)).toBe(0);
    });
});

// The merge program is exactly the text the octavia-conf command embeds; these awkward files are
// cheaper to run through it directly than over SSH.
describe("octavia.conf merge on awkward files", () => {
    const settings = octaviaSettings({
        region: "RegionOne",
        centralRegion: "CentralRegion",
        bindIp: PORT.ip,
        bindPort: 5555,
        controllerIpPortList: `${PORT.ip}:5555`,
        mgmtNetworkId: MGMT_NETWORK_ID,
        amphoraSecurityGroupId: AMPHORA_SG_ID,
        neutron: { endpoint: "http://10.7.20.110:20001", serviceName: "neutron", endpointType: "public" },
    });

    const CASES: Record<string, string> = {
        "CRLF line endings": "[health_manager]\r\nbind_ip = 10.0.0.1\r\n\r\n[nova]\r\nregion_name = RegionOne\r\n",
        "no newline at the end": "[health_manager]\nbind_ip = 10.0.0.1",
        "empty file": "",
        "only comments": "# octavia.conf\n; nothing set yet\n",
        "duplicate sections and keys (oslo.config takes the last)":
            "[health_manager]\nbind_ip = 10.0.0.1\n\n[controller_worker]\namp_flavor_id = 1\n\n[health_manager]\nbind_ip = 10.0.0.2\nbind_port = 6000\n",
        "continuation lines": "[health_manager]\ncontroller_ip_port_list = 10.0.0.1:5555,\n  10.0.0.2:5555\nbind_port = 5555\n",
        // (A heartbeat key set by hand to another value is refused, not merged: adopt.host.test.ts.)
        "colon separators and odd spacing": "[health_manager]\nbind_ip:10.0.0.1\n   \nbind_port   =   6000   \n",
        "upper-case section names": "[Health_Manager]\nbind_ip = 10.0.0.1\n[NEUTRON]\nregion_name = RegionOne\n",
        "keys only as commented samples": "[health_manager]\n#bind_ip = 127.0.0.1\n# bind_port = 5555\n\n[neutron]\n#endpoint = <None>\n",
    };

    it.each(Object.entries(CASES))("%s: apply reads back through Octavia, a re-apply writes nothing, restore is byte-identical", async (_name, original) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-merge-"));
        try {
            const program = path.join(dir, "merge.py");
            fs.writeFileSync(program, OCTAVIA_CONF_MERGE_PROGRAM);
            const conf = path.join(dir, "octavia.conf");
            fs.writeFileSync(conf, original, { mode: 0o640 });
            const files = [conf, `${dir}/state.json`, `${conf}.tricircle-lbaas.orig`, `${dir}/restart-pending`];
            const merge = (action: string) =>
                run("/usr/bin/python3", [program, action, ...files, JSON.stringify(settings)], { input: octaviaConfStdin({ heartbeatKey: HOSTILE_KEY }), check: true });

            await merge("apply");
            const applied = fs.readFileSync(conf);
            const stat = fs.statSync(conf);
            expect(stat.mode & 0o777).toBe(0o640);
            const [loaded] = await loadWithOctavia([conf]);
            expect(loaded).toMatchObject({
                bind_ip: PORT.ip,
                bind_port: 5555,
                heartbeat_key: HOSTILE_KEY,
                controller_ip_port_list: [`${PORT.ip}:5555`],
                amp_boot_network_list: [MGMT_NETWORK_ID],
                amp_secgroup_list: [AMPHORA_SG_ID],
                neutron: { region_name: "CentralRegion", endpoint: "http://10.7.20.110:20001" },
                nova: { region_name: "RegionOne" },
                glance: { region_name: "RegionOne" },
            });
            if (original.includes("\r\n")) expect(applied.toString().replace(/\r\n/g, "")).not.toContain("\n");

            fs.rmSync(files[3]);
            await merge("apply");
            expect(fs.readFileSync(conf)).toEqual(applied);
            expect(fs.statSync(conf).ino).toBe(stat.ino);
            expect(fs.existsSync(files[3])).toBe(false);

            await merge("restore");
            expect(fs.readFileSync(conf, "utf8")).toBe(original);
            expect(fs.existsSync(files[1])).toBe(false);
            expect(fs.existsSync(files[2])).toBe(false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
