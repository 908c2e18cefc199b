// What Octavia needs to boot an amphora, made by the stack, through the real engine and plugins on the local cloud
// with compute (lab/start.sh --with-compute): a throw-away stack with one controller node of the host harness in
// RegionOne whose octavia.conf lives where this machine sees it too; its restart command restarts the lab's Octavia
// worker on that merged file (lab/node/restart-octavia.sh), so the worker boots the demo's amphora on the stack's
// flavor, image, keypair and PKI, as a controller's own Octavia would. The amphora agent is the lab's noop one: the
// PKI's TLS is proven with Octavia's own code by test/host/certificates.host.test.ts; here Octavia signs the amphora's
// certificate with it (`cert_expiration`) and hands the client CA to the boot.
//
// Steps: an image without the tag fails the preview naming the key before anything is made; up; the amphora is on
// the stack's own objects; a client certificate rotation is an in-place update with one restart; a heartbeat key
// rotation is refused while the running amphora's agent release is unstated (nothing changes), and with an agent
// that applies Octavia's push it reaches the amphora that way; destroy leaves no
// flavor, keypair or certificate behind and the node's octavia.conf as it was.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Stack } from "@pulumi/pulumi/automation";
import { PKI_FILES } from "../../components/amphora/pkiMaterial";
import { STACK_PLUGINS, requireEngine } from "../../tools/lib/engine";
import { writeStackFile } from "../../tools/lib/localStack";
import { BASELINE_OCTAVIA_CONF, HostNode, Lab, octaviaGid, TEST_USER } from "../host/harness";
import { ChangeRun, changeCollector, CLOUDS_YAML, indexStack, openstack, openstackNoOutput, requireLocalCloud, ROOT } from "./localCloud";

const STACK = "e2e-amphora";
const P = "e2e-amphora-";
const PLANE = path.join(ROOT, "lab", "amphora-plane.sh");
const IMAGE = "amphora-x64-haproxy";
const HEARTBEAT_KEYS = [crypto.randomBytes(24).toString("hex"), crypto.randomBytes(24).toString("hex")];
let heartbeatKey = HEARTBEAT_KEYS[0];
const WORKER_LOG = path.join(ROOT, ".local-cloud", "log", "octavia-worker.log");
const FLAVOR = `tlb-amphora-${STACK}-RegionOne`;
const KEYPAIR = `tlb-amphora-${STACK}-RegionOne`;

let lab: Lab;
let node: HostNode;
let confDir: string;
let confPath: string;
let stack: Stack;
let backend: string;
let workDir: string;
let rotation = 0;
/** `healthManager.amphoraAgentVersion`: unstated until the rotation has been refused once. */
let agentVersion: string | undefined;
let engineOutput = "";
let destroyed = false;
let planeBefore: { node_conf: string } | undefined;


function stackConfig(): Record<string, unknown> {
    return {
        "pulumi:disable-default-providers": ["openstack"],
        "openstack:cloud": "local",
        "tricircle-lbaas:centralRegion": "CentralRegion",
        "tricircle-lbaas:amphoraProject": "service",
        "tricircle-lbaas:securityGroups": { amphora: `${P}lb-mgmt-sec-grp`, healthManager: `${P}lb-health-mgr-sec-grp` },
        "tricircle-lbaas:healthManager": { port: 5555, ...(agentVersion === undefined ? {} : { amphoraAgentVersion: agentVersion }) },
        "tricircle-lbaas:ssh": { user: TEST_USER, hostKeys: { [node.sshHost]: node.hostKey } },
        "tricircle-lbaas:regions": [
            {
                name: "RegionOne",
                mgmt: { network: `${P}lb-mgmt-net1`, subnet: `${P}lb-mgmt-subnet1`, cidr: "192.168.250.0/24" },
                controllers: [{ host: node.sshHost, hostname: `${P}ctl-r1` }],
                octavia: {
                    configFile: confPath,
                    restartCommand: `echo restarted >>/run/octavia-restarts.log && bash ${path.join(ROOT, "lab", "node", "restart-octavia.sh")} ${confPath}`,
                },
            },
            { name: "RegionTwo", mgmt: { network: `${P}lb-mgmt-net2`, subnet: `${P}lb-mgmt-subnet2`, cidr: "192.168.251.0/24" } },
        ],
        "tricircle-lbaas:amphora": {
            flavor: { vcpus: 1, ramMb: 1024, diskGb: 3 },
            image: { tag: "amphora", owner: "service" },
            keypair: { publicKey: fs.readFileSync(`${lab.clientKey}.pub`, "utf8").trim() },
            certificates: { caValidityDays: 3650, clientValidityDays: 365, rotation },
        },
        "tricircle-lbaas:demo": {
            image: "cirros",
            flavor: "m1.tiny",
            networks: [{ name: `${P}net1`, cidr: "10.77.50.0/24" }],
            loadBalancers: [
                {
                    name: `${P}lb1`,
                    region: "RegionOne",
                    vipNetwork: `${P}net1`,
                    listener: { protocol: "HTTP", port: 80 },
                    pool: { protocol: "HTTP", algorithm: "ROUND_ROBIN" },
                },
            ],
        },
    };
}

async function configure(): Promise<void> {
    writeStackFile(workDir, STACK, stackConfig());
    await stack.setConfig("tricircle-lbaas:healthManager.heartbeatKey", { value: heartbeatKey, secret: true }, true);
    await stack.setConfig("tricircle-lbaas:ssh.privateKey", { value: fs.readFileSync(lab.clientKey, "utf8"), secret: true }, true);
}

async function up(): Promise<ChangeRun> {
    const c = changeCollector();
    const t0 = Date.now();
    const r = await stack.up({ onOutput: (s) => (engineOutput += s), onEvent: c.onEvent });
    return { summary: r.summary.resourceChanges ?? {}, ops: c.ops, ms: Date.now() - t0 };
}

const restarts = () => {
    const p = path.join(node.dir, "run", "octavia-restarts.log");
    return fs.existsSync(p) ? fs.readFileSync(p, "utf8").split("\n").filter(Boolean).length : 0;
};

/** The suite's own objects in Nova, Neutron and Octavia: what a failed step could leave behind. */
function leftovers(): string[] {
    const rows: string[] = [];
    for (const f of openstack("RegionOne", "flavor", "list", "--all") as Array<{ Name: string }>) if (f.Name.includes(STACK)) rows.push(`flavor ${f.Name}`);
    for (const k of openstack("RegionOne", "keypair", "list", "--user", "octavia") as Array<{ Name: string }>) if (k.Name.includes(STACK)) rows.push(`keypair ${k.Name}`);
    for (const kind of ["network", "port", "security group"]) {
        for (const o of openstack("CentralRegion", ...kind.split(" "), "list") as Array<{ Name: string }>) if (o.Name.startsWith(P)) rows.push(`${kind} ${o.Name}`);
    }
    for (const lb of openstack("RegionOne", "loadbalancer", "list") as Array<{ name: string }>) if (lb.name.startsWith(P)) rows.push(`loadbalancer ${lb.name}`);
    return rows.sort();
}

const plane = (...args: string[]) => execFileSync("bash", [PLANE, ...args], { encoding: "utf8", timeout: 120_000 });

const setImageTag = (tagged: boolean) => openstackNoOutput("RegionOne", "image", tagged ? "set" : "unset", "--tag", "amphora", IMAGE);

describe("amphora prerequisites on the local cloud, booted by Octavia on the stack's merged octavia.conf", () => {
    beforeAll(async () => {
        requireEngine(ROOT, STACK_PLUGINS);
        requireLocalCloud();
        process.env.OS_CLIENT_CONFIG_FILE = CLOUDS_YAML;
        expect(leftovers()).toEqual([]);
        planeBefore = JSON.parse(plane("show")) as { node_conf: string };
        // Outside the node's overlays: the node writes it, and the lab's worker on this machine reads the same file.
        confDir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-e2e-amphora-"));
        confPath = path.join(confDir, "octavia", "octavia.conf");
        lab = await Lab.create({ neutronAgents: true });
        // Octavia's configuration as the packages install it: root:octavia 0640, so the certificates go to user octavia.
        node = await lab.node({ hostname: `${P}ctl-r1`, octaviaConf: { path: confPath, content: BASELINE_OCTAVIA_CONF, mode: 0o640, uid: 0, gid: octaviaGid() } });
        ({ stack, backend, workDir } = await indexStack(STACK));
        await configure();
    });

    afterAll(async () => {
        try {
            if (!destroyed && stack) await stack.destroy({ onOutput: (s) => (engineOutput += s) }).catch((e) => console.error(`cleanup destroy failed: ${e}`));
        } finally {
            setImageTag(true);
            // The worker back on the node conf it read before this suite (the `local` stack's node's, or none): this
            // suite's node restarted it on its own file, as a controller's Octavia restarts, which keeps no backup.
            if (planeBefore) plane(...(planeBefore.node_conf ? ["use-conf", planeBefore.node_conf] : ["forget-conf"]));
            await lab?.teardown();
            for (const dir of [backend, workDir, confDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
        if (planeBefore) expect(JSON.parse(plane("show"))).toEqual(planeBefore);
    });

    it("1. an image without the tag fails the preview, naming amphora.image.tag and the region, before anything is made", async () => {
        setImageTag(false);
        try {
            let output = "";
            const failure = await stack.preview({ onOutput: (s) => (output += s) }).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(failure).toBeDefined();
            expect(output).toMatch(/amphora\.image\.tag: region RegionOne: no active image tagged "amphora" owned by "service"/);
            expect(output).toMatch(/amphora\.image\.tag: region RegionTwo: /);
            expect(leftovers()).toEqual([]);
            expect(fs.readFileSync(confPath, "utf8")).toBe(BASELINE_OCTAVIA_CONF);
        } finally {
            setImageTag(true);
        }
    });

    it("2. up: the demo's amphora boots on the stack's private flavor, its image, Octavia's keypair, and a certificate its PKI signed", async () => {
        const run = await up();
        expect(run.summary.create).toBeGreaterThanOrEqual(25);
        expect(restarts()).toBe(1);
        const out = Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
        const lb = out.loadBalancers[`${P}lb1`];
        expect(openstack("RegionOne", "loadbalancer", "show", lb.id).provisioning_status).toBe("ACTIVE");

        const flavor = openstack("RegionOne", "flavor", "show", FLAVOR);
        const service = openstack("CentralRegion", "project", "show", "service").id;
        expect([flavor["os-flavor-access:is_public"], flavor.vcpus, flavor.ram, flavor.disk, flavor.access_project_ids]).toEqual([false, 1, 1024, 3, [service]]);
        const image = openstack("RegionOne", "image", "show", IMAGE);

        const [{ id: ampId }] = openstack("RegionOne", "loadbalancer", "amphora", "list", "--loadbalancer", lb.id) as Array<{ id: string }>;
        const amphora = openstack("RegionOne", "loadbalancer", "amphora", "show", ampId);
        expect(amphora.compute_flavor).toBe(flavor.id);
        expect(amphora.image_id).toBe(image.id);
        // Octavia signed the amphora's certificate with the server CA (passphrase from the merged conf) and stored it
        // under server_certs_key_passphrase: the expiry is its own validity, 30 days by Octavia's default.
        const days = (Date.parse(`${amphora.cert_expiration}Z`) - Date.now()) / 86_400_000;
        expect(days).toBeGreaterThan(29);
        expect(days).toBeLessThan(31);

        const server = openstack("RegionOne", "server", "show", amphora.compute_id);
        expect([server.key_name, server.project_id]).toEqual([KEYPAIR, service]);
        const keypair = openstack("RegionOne", "keypair", "show", "--user", "octavia", KEYPAIR);
        expect(keypair.user_id).toBe(openstack("CentralRegion", "user", "show", "octavia").id);

        // The files the worker read: the server CA's certificate is the one that signed the amphora's (its issuer).
        const certs = path.join(confDir, "octavia", "certs");
        const st = fs.statSync(path.join(certs, PKI_FILES.serverCaPrivateKey));
        expect([(st.mode & 0o777).toString(8), st.gid]).toEqual(["600", octaviaGid()]);
        const serverCa = new crypto.X509Certificate(fs.readFileSync(path.join(certs, PKI_FILES.serverCaCertificate)));
        expect(serverCa.subject).toContain("RegionOne");
        const pointer = fs.readFileSync(path.join(ROOT, ".local-cloud", "etc", "octavia", "node-conf.path"), "utf8").trim();
        expect(pointer).toBe(confPath);
    });

    it("3. a client certificate rotation is an in-place update: the same CAs, a new client certificate, one restart", async () => {
        const certs = path.join(confDir, "octavia", "certs");
        const read = (f: string) => fs.readFileSync(path.join(certs, f), "utf8");
        const before = { server: read(PKI_FILES.serverCaCertificate), client: read(PKI_FILES.clientCaCertificate), pair: read(PKI_FILES.clientCertAndKey) };
        const restartsBefore = restarts();
        rotation += 1;
        await configure();
        const run = await up();
        expect(run.summary.create ?? 0).toBe(0);
        expect(run.summary.delete ?? 0).toBe(0);
        expect([...run.ops].filter(([, op]) => op !== "update").map(([k]) => k)).toEqual([]);
        expect([...run.ops.keys()].some((k) => k.startsWith("pulumi-nodejs:dynamic/amphora:RegionPki::"))).toBe(true);
        expect([read(PKI_FILES.serverCaCertificate), read(PKI_FILES.clientCaCertificate)]).toEqual([before.server, before.client]);
        expect(read(PKI_FILES.clientCertAndKey)).not.toBe(before.pair);
        const client = new crypto.X509Certificate(read(PKI_FILES.clientCertAndKey));
        expect(client.checkIssued(new crypto.X509Certificate(before.client))).toBe(true);
        expect(restarts()).toBe(restartsBefore + 1);
    });

    it("4. a heartbeat key rotation: refused while the running amphora's agent release is unstated, with nothing changed; with an agent that applies the push, the node restarts with the new key, then Octavia pushes it to the amphora", async () => {
        const out = Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
        const [{ id: ampId }] = openstack("RegionOne", "loadbalancer", "amphora", "list", "--loadbalancer", out.loadBalancers[`${P}lb1`].id) as Array<{ id: string }>;
        const lbId = out.loadBalancers[`${P}lb1`].id as string;
        const restartsBefore = restarts();
        const confBefore = fs.readFileSync(confPath, "utf8");
        heartbeatKey = HEARTBEAT_KEYS[1];
        await configure();
        // The amphora's agent could be one that keeps the key it started with: the rotation would fail it over.
        const refused = await up().then(
            () => "up went through",
            (e: Error) => String(e),
        );
        expect(refused).toContain(`region RegionOne: the heartbeat key rotation would fail over 1 running amphora (load balancers ${lbId})`);
        expect(refused).toContain("set healthManager.amphoraAgentVersion");
        expect(refused).toContain("healthManager.allowFailover: true");
        expect(fs.readFileSync(confPath, "utf8")).toBe(confBefore);
        expect(restarts()).toBe(restartsBefore);
        // Stated: the amphora image's agent applies the push (the lab's amphorae are noop: nothing in them to run).
        agentVersion = "15.1.0";
        await configure();
        const logFrom = fs.statSync(WORKER_LOG).size;
        // The preview says which part of the fleet the change reaches, before anything changes.
        let previewed = "";
        await stack.preview({ onOutput: (s) => (previewed += s) });
        expect(previewed).toContain(
            `region RegionOne: 1 running amphora (load balancers ${lbId}) takes the new heartbeat settings from Octavia's push within two heartbeat intervals (agent of Octavia 15.1.0), without a restart or a failover`,
        );
        expect(previewed).toContain(`region RegionOne: 1 running amphora is sent the new agent configuration (load balancers ${lbId})`);
        const run = await up();
        const push = [...run.ops].filter(([k]) => k.endsWith(`::region-RegionOne-amphora-agent-config`));
        expect(push).toEqual([["pulumi-nodejs:dynamic/amphora:AmphoraAgentConfig::region-RegionOne-amphora-agent-config", "update"]]);
        expect(restarts()).toBe(restartsBefore + 1);
        expect(fs.readFileSync(confPath, "utf8")).toContain(`heartbeat_key = ${heartbeatKey}`);
        // The worker (on the node's merged conf) takes the push for exactly this amphora.
        const started = Date.now();
        let log = "";
        const finished = `Finished amphora agent configuration update, amphora's id was: ${ampId}`;
        while (!log.includes(finished) && Date.now() - started < 60_000) {
            await new Promise((r) => setTimeout(r, 200));
            log = fs.readFileSync(WORKER_LOG, "utf8").slice(logFrom);
        }
        expect(log).toContain(`Start amphora agent configuration update, amphora's id is: ${ampId}`);
        expect(log).toContain(finished);
        console.log(`key rotation: the worker finished the amphora's agent update ${((Date.now() - started) / 1000).toFixed(1)} s after up returned`);
        // RegionTwo has no controller: nothing of it changes.
        expect([...run.ops.keys()].filter((k) => k.includes("RegionTwo"))).toEqual([]);
    });

    it("5. no key or passphrase of the PKI, and no heartbeat key, reaches the state or the engine's output", async () => {
        const certs = path.join(confDir, "octavia", "certs");
        const keyLine = fs.readFileSync(path.join(certs, PKI_FILES.serverCaPrivateKey), "utf8").split("\n")[1];
        const passphrase = /ca_private_key_passphrase = (\S+)/.exec(fs.readFileSync(confPath, "utf8"))![1];
        // The backend's files themselves (the stack, its history and backups): the Automation API's export decrypts
        // secrets (--show-secrets).
        const files = (dir: string): string[] =>
            fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
        const state = files(path.join(backend, ".pulumi")).filter((f) => f.endsWith(".json")).map((f) => fs.readFileSync(f, "utf8")).join("\n");
        expect(state).toContain("dynamic/amphora:RegionPki");
        expect(state).toContain("ciphertext");
        for (const secret of [keyLine, passphrase, ...HEARTBEAT_KEYS]) {
            expect(state).not.toContain(secret);
            expect(engineOutput).not.toContain(secret);
        }
    });

    it("6. destroy: no flavor, keypair or certificate left, the node's octavia.conf as it was", async () => {
        await stack.destroy({ onOutput: (s) => (engineOutput += s) });
        destroyed = true;
        expect(leftovers()).toEqual([]);
        expect(fs.readFileSync(confPath, "utf8")).toBe(BASELINE_OCTAVIA_CONF);
        expect(fs.existsSync(path.join(confDir, "octavia", "certs"))).toBe(false);
    });
});
