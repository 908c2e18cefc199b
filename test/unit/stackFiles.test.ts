// The committed stack files are what a reader copies first: each must pass the stack's own validation, with only
// the secrets (set with `pulumi config set --secret`) and, for `local`, the machine's controller nodes added.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parseStackConfig, PROJECT } from "../../components/config/model";
import { localStackConfig, localStackSecrets, NodeFacts, rawNamespaceOf } from "../../tools/lib/localStack";
import { HOST_KEY, TEST_HEARTBEAT_KEY, TEST_PRIVATE_KEY } from "./fixtures";
import * as os from "os";

const ROOT = path.join(__dirname, "..", "..");

function namespaceOf(file: string): Record<string, any> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, file), "utf8")) as { config: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(doc.config)
            .filter(([k]) => k.startsWith(`${PROJECT}:`))
            .map(([k, v]) => [k.slice(PROJECT.length + 1), v]),
    );
}

/** The facts `lab/nodes.sh facts` prints for the two local nodes, with key files in a temporary folder. */
function localFacts(dir: string): NodeFacts {
    fs.writeFileSync(path.join(dir, "id_ed25519"), TEST_PRIVATE_KEY);
    fs.writeFileSync(path.join(dir, "id_ed25519.pub"), `${HOST_KEY}\n`);
    fs.writeFileSync(path.join(dir, "heartbeat.key"), `${TEST_HEARTBEAT_KEY}\n`);
    const node = (i: number, region: string) => ({
        hostname: `controller-r${i}`,
        region,
        host: `169.254.78.${i * 4 - 2}`,
        hostKey: HOST_KEY,
        dir: path.join(dir, `node${i}`),
        namespace: `tlb-local-${i}`,
        configFile: path.join(dir, `node${i}`, "octavia", "octavia.conf"),
    });
    return {
        user: "stack",
        privateKeyFile: path.join(dir, "id_ed25519"),
        heartbeatKeyFile: path.join(dir, "heartbeat.key"),
        nodes: [node(1, "RegionOne"), node(2, "RegionTwo")],
    };
}

describe("committed stack files", () => {
    it("Pulumi.dev.yaml (the guide's topology) validates once its secrets are set", () => {
        const ns = namespaceOf("Pulumi.dev.yaml");
        ns.healthManager = { ...ns.healthManager, heartbeatKey: TEST_HEARTBEAT_KEY };
        ns.ssh = { ...ns.ssh, privateKey: TEST_PRIVATE_KEY };
        const model = parseStackConfig(ns);
        expect(model.regions.map((r) => r.name)).toEqual(["RegionOne", "RegionTwo"]);
    });

    it("Pulumi.local.yaml is the whole guide: the management plane in project service and scenario 3 of the demo", () => {
        const ns = namespaceOf("Pulumi.local.yaml");
        // `npm run stack` adds the amphorae's public key (the local nodes' SSH key), as the last test shows.
        expect(ns.amphora.keypair).toEqual({});
        ns.amphora.keypair.publicKey = HOST_KEY;
        const model = parseStackConfig(ns);
        expect(model.amphoraProject).toBe("service");
        expect(model.amphora).toMatchObject({ flavor: { vcpus: 1, ramMb: 1024, diskGb: 3 }, image: { tag: "amphora", owner: "service" } });
        const demo = model.demo!;
        expect(demo.networks.map((n) => n.name)).toEqual(["net1", "net2"]);
        expect(demo.backends.map((b) => [b.name, b.region, b.network])).toEqual([
            ["backend1", "RegionOne", "net1"],
            ["backend2", "RegionOne", "net1"],
            ["backend3", "RegionTwo", "net1"],
            ["backend4", "RegionTwo", "net2"],
        ]);
        expect(demo.loadBalancers.map((lb) => [lb.name, lb.region, lb.members])).toEqual([["lb1", "RegionOne", ["backend1", "backend2", "backend3", "backend4"]]]);
    });

    it("the local stack adds the nodes: their octavia.conf, the amphorae's key, and the lab worker's restart in RegionOne only", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-local-facts-"));
        try {
            const facts = localFacts(dir);
            const config = localStackConfig(ROOT, facts, { labWorker: true });
            const ns = rawNamespaceOf(config);
            const secrets = localStackSecrets(facts);
            ns.ssh = { ...ns.ssh, privateKey: secrets["tricircle-lbaas:ssh.privateKey"] };
            ns.healthManager = { ...(ns.healthManager ?? {}), heartbeatKey: secrets["tricircle-lbaas:healthManager.heartbeatKey"] };
            const model = parseStackConfig(ns);
            expect(model.amphora?.keypair).toEqual({ publicKey: HOST_KEY, user: "octavia" });
            const [r1, r2] = model.regions;
            expect(r1.octavia.configFile).toBe(facts.nodes[0].configFile);
            expect(r1.octavia.restartCommand).toBe(
                `echo restarted >>/run/octavia-restarts.log && bash ${path.join(ROOT, "lab", "node", "restart-octavia.sh")} ${facts.nodes[0].configFile}`,
            );
            expect(r2.octavia.restartCommand).toBe("echo restarted >>/run/octavia-restarts.log");
            // The bench's nodes leave the lab's worker alone.
            const bench = rawNamespaceOf(localStackConfig(ROOT, facts));
            expect(bench.regions.map((r: any) => r.octavia.restartCommand)).toEqual(["echo restarted >>/run/octavia-restarts.log", "echo restarted >>/run/octavia-restarts.log"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
