// E2E (real engine, local cloud): `npm run stack` on a stack other than `local`, as an operator without a language
// host runs it: its own backend (PULUMI_BACKEND_URL), its passphrase in a file (PULUMI_CONFIG_PASSPHRASE_FILE), the
// cloud's credentials from clouds.yaml (OS_CLIENT_CONFIG_FILE), its project folder (--cwd) and its settings file
// (--config-file) with a secret set by the CLI. The topology is the guide's (Pulumi.local.yaml) without controllers
// and without the demo, so it is quick and touches no node, under names of its own so it cannot meet the `local`
// stack's objects.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireEngine, STACK_PLUGINS, toolchainBin } from "../../tools/lib/engine";
import { CLOUDS_YAML, openstack, requireLocalCloud, ROOT } from "./localCloud";

const STACK = "e2e-runner";
const NAMES = {
    amphora: "e2e-runner-amp-sec-grp",
    healthManager: "e2e-runner-hm-sec-grp",
    nets: ["e2e-runner-mgmt-net1", "e2e-runner-mgmt-net2"],
    subnets: ["e2e-runner-mgmt-subnet1", "e2e-runner-mgmt-subnet2"],
};
// Only this test's; checked never to appear in the runner's output nor in a file in clear.
const HEARTBEAT_KEY = `e2e-runner-heartbeat-${process.pid}-${Date.now()}`;

let work: string;
let projectDir: string;
let configFile: string;
let backend: string;

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const e: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE_FILE: path.join(work, "passphrase"),
        OS_CLIENT_CONFIG_FILE: CLOUDS_YAML,
        ...extra,
    };
    // The passphrase comes from the file only, as at a site that keeps it out of the environment.
    if (!("PULUMI_CONFIG_PASSPHRASE" in extra)) delete e.PULUMI_CONFIG_PASSPHRASE;
    delete e.OS_CLOUD;
    return e;
}

/** `npm run stack -- --stack e2e-runner --config-file F --cwd D <args>`, as an operator types it. */
function runner(args: string[], extraEnv: Record<string, string> = {}): Run {
    const r = spawnSync("npm", ["run", "--silent", "stack", "--", "--stack", STACK, "--config-file", configFile, "--cwd", projectDir, ...args], {
        cwd: ROOT,
        env: env(extraEnv),
        encoding: "utf8",
        timeout: 600_000,
        stdio: ["ignore", "pipe", "pipe"],
    });
    const run = { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    expect(run.stdout + run.stderr, "the runner prints no secret").not.toContain(HEARTBEAT_KEY);
    return run;
}

/** The same runner without waiting: it runs alongside the test's next steps. */
function runnerAsync(args: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn("npm", ["run", "--silent", "stack", "--", "--stack", STACK, "--config-file", configFile, "--cwd", projectDir, ...args], {
            cwd: ROOT,
            env: env(),
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
        child.on("error", reject);
        child.on("close", (status) => {
            clearTimeout(timer);
            expect(stdout + stderr, "the runner prints no secret").not.toContain(HEARTBEAT_KEY);
            resolve({ status, stdout, stderr });
        });
    });
}

function pulumiCli(args: string[], input?: string): Run {
    const r = spawnSync(path.join(toolchainBin(ROOT), "pulumi"), [...args, "--non-interactive"], {
        cwd: projectDir,
        env: { ...env(), PULUMI_SKIP_UPDATE_CHECK: "true" },
        encoding: "utf8",
        input,
        timeout: 120_000,
    });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** The JSON the runner prints after `stack e2e-runner outputs:`. */
function printedOutputs(stdout: string): any {
    const start = stdout.indexOf(`stack ${STACK} outputs:\n`);
    expect(start, stdout.slice(-2000)).toBeGreaterThanOrEqual(0);
    const text = stdout.slice(start).split("\n").slice(1).join("\n");
    return JSON.parse(text.slice(0, text.lastIndexOf("}") + 1));
}

/** The central region's networks or security groups of that exact name (the admin sees every project's). */
function objectsNamed(kind: "network" | "security group", name: string): Array<{ ID: string; Name: string }> {
    const all = (openstack("CentralRegion", kind, "list") as Array<{ ID: string; Name: string }> | undefined) ?? [];
    return all.filter((o) => o.Name === name);
}

function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
}

beforeAll(() => {
    requireLocalCloud();
    requireEngine(ROOT, STACK_PLUGINS);
    for (const name of [NAMES.amphora, NAMES.healthManager]) expect(objectsNamed("security group", name), `a leftover ${name}`).toEqual([]);
    for (const name of NAMES.nets) expect(objectsNamed("network", name), `a leftover ${name}`).toEqual([]);

    work = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-e2e-runner-"));
    backend = path.join(work, "state");
    projectDir = path.join(work, "project");
    fs.mkdirSync(backend);
    fs.mkdirSync(projectDir);
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(projectDir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(work, "passphrase"), `e2e-runner-passphrase-${process.pid}\n`, { mode: 0o600 });

    // The guide's topology of Pulumi.local.yaml, without controllers and demo, under this stack's own names. The
    // amphora prerequisites go too: local's keypair takes its key from the local nodes (npm run stack adds it), and
    // test/e2e/amphora.test.ts covers them.
    const local = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8")) as { config: Record<string, unknown> };
    const config: Record<string, unknown> = { ...local.config };
    delete config["tricircle-lbaas:demo"];
    delete config["tricircle-lbaas:amphora"];
    const regions = config["tricircle-lbaas:regions"] as Array<{ name: string; mgmt: Record<string, string>; controllers?: unknown }>;
    expect(regions.map((r) => r.name)).toEqual(["RegionOne", "RegionTwo"]);
    config["tricircle-lbaas:regions"] = regions.map((r, i) => ({
        name: r.name,
        mgmt: { ...r.mgmt, network: NAMES.nets[i], subnet: NAMES.subnets[i], cidr: `192.168.${110 + 10 * i}.0/24` },
    }));
    config["tricircle-lbaas:securityGroups"] = { amphora: NAMES.amphora, healthManager: NAMES.healthManager };
    // Outside the project folder: the runner must read the settings from where --config-file says.
    configFile = path.join(work, "settings", `${STACK}.yaml`);
    fs.mkdirSync(path.dirname(configFile));
    fs.writeFileSync(configFile, yaml.dump({ config }));
});

afterAll(() => {
    if (!work) return;
    // Whatever failed above: nothing of this stack stays on the cloud, and the stack goes from its backend.
    if (objectsNamed("network", NAMES.nets[0]).length > 0 || objectsNamed("security group", NAMES.amphora).length > 0) {
        runner(["destroy", "--yes"]);
    }
    pulumiCli(["stack", "rm", "--yes", "--force", "--stack", STACK]);
    fs.rmSync(work, { recursive: true, force: true });
});

describe("npm run stack on a stack other than local", () => {
    it("refuses a bad flag with the usage and exit 2, naming the flag", () => {
        const r = runner(["preview", "--yes"]);
        expect(r.status).toBe(2);
        expect(r.stderr).toContain("--yes does not go with preview");
        expect(r.stderr).toContain("usage: npm run stack --");
    });

    it("preview creates the stack in the given backend and shows the whole management plane to create", () => {
        const r = runner(["preview"]);
        expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
        expect(r.stdout).toContain(`stack: created stack ${STACK} in file://${backend}`);
        const creates = Number(/\+ (\d+) to create/.exec(r.stdout)?.[1]);
        expect(creates).toBeGreaterThanOrEqual(10);
        expect(fs.existsSync(path.join(backend, ".pulumi", "stacks", "tricircle-lbaas", `${STACK}.json`))).toBe(true);
        // Nothing of it exists yet.
        expect(objectsNamed("network", NAMES.nets[0])).toEqual([]);
        // The settings file the runner did not write stays the only one: no stray Pulumi.<stack>.yaml in the project.
        expect(fs.readdirSync(projectDir).sort()).toEqual(["Pulumi.yaml"]);
    });

    it("a secret set by the CLI stays encrypted in the settings file and reaches the program through the engine", () => {
        const set = pulumiCli(["config", "set", "--secret", "--path", "healthManager.heartbeatKey", "--stack", STACK, "--config-file", configFile], HEARTBEAT_KEY);
        expect(set.status, set.stderr).toBe(0);
        const text = fs.readFileSync(configFile, "utf8");
        expect(text).toMatch(/heartbeatKey:\s*\n\s*secure: /);
        expect(text).not.toContain(HEARTBEAT_KEY);

        // With another passphrase the engine cannot read the stack's secrets: the runner fails, the cloud untouched.
        const wrong = runner(["preview"], { PULUMI_CONFIG_PASSPHRASE: "not-the-passphrase", PULUMI_CONFIG_PASSPHRASE_FILE: "" });
        expect(wrong.status).toBe(1);
        expect(wrong.stdout + wrong.stderr).toMatch(/passphrase/i);
    });

    it("up without --yes and without a terminal refuses before touching anything", () => {
        const r = runner(["up"]);
        expect(r.status).toBe(2);
        expect(r.stderr).toContain(`up of stack ${STACK} changes its cloud and there is no terminal to ask on: add --yes`);
        expect(objectsNamed("network", NAMES.nets[0])).toEqual([]);
    });

    let upOutputs: any;

    it("up --yes deploys it: the outputs name the cloud's objects; of two ups started at once, the backend's lock refuses one", async () => {
        // Started together: whichever reaches the backend's lock second is refused while the other runs (a run
        // holds the lock for the whole update, several seconds here, far more than the two starts differ by).
        const both = await Promise.all([runnerAsync(["up", "--yes"]), runnerAsync(["up", "--yes"])]);
        expect(both.map((b) => b.status).sort(), both.map((b) => b.stderr).join("\n")).toEqual([0, 1]);
        const r = both.find((b) => b.status === 0)!;
        const second = both.find((b) => b.status === 1)!;
        expect(second.stdout + second.stderr).toContain("the stack is currently locked");
        expect(second.stderr).toContain("another up, refresh or destroy of this stack is running, and the backend's lock refused this one; nothing was changed");
        expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
        // The refused run made nothing: exactly one of each object.
        expect(objectsNamed("network", NAMES.nets[0])).toHaveLength(1);
        upOutputs = printedOutputs(r.stdout);

        const amphora = objectsNamed("security group", NAMES.amphora);
        expect(amphora).toHaveLength(1);
        expect(upOutputs.securityGroups.amphora).toBe(amphora[0].ID);
        expect(upOutputs.securityGroups.healthManager).toBe(objectsNamed("security group", NAMES.healthManager)[0].ID);
        for (const [i, region] of ["RegionOne", "RegionTwo"].entries()) {
            const net = openstack("CentralRegion", "network", "show", upOutputs.regions[region].mgmtNetworkId);
            expect(net.name).toBe(NAMES.nets[i]);
            const subnet = openstack("CentralRegion", "subnet", "show", upOutputs.regions[region].mgmtSubnetId);
            expect(subnet).toMatchObject({ name: NAMES.subnets[i], cidr: `192.168.${110 + 10 * i}.0/24`, network_id: net.id });
            expect(upOutputs.regions[region].healthManagers).toEqual([]);
        }
        expect(upOutputs.loadBalancers ?? {}).toEqual({});
    });

    it("then preview --expect-no-changes passes and outputs prints the same outputs", () => {
        const p = runner(["preview", "--expect-no-changes"]);
        expect(p.status, p.stdout.slice(-3000) + p.stderr).toBe(0);
        const o = runner(["outputs"]);
        expect(o.status, o.stderr).toBe(0);
        expect(printedOutputs(o.stdout)).toEqual(upOutputs);
        // No file under the test's folders holds the secret in clear (settings file, state, backups).
        for (const f of filesUnder(work)) expect(fs.readFileSync(f, "utf8"), f).not.toContain(HEARTBEAT_KEY);
    });

    it("destroy --yes removes everything it made", () => {
        const r = runner(["destroy", "--yes"]);
        expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
        expect(r.stdout).toMatch(/\d+ deleted/);
        for (const name of NAMES.nets) expect(objectsNamed("network", name)).toEqual([]);
        for (const name of [NAMES.amphora, NAMES.healthManager]) expect(objectsNamed("security group", name)).toEqual([]);
        const gone = runner(["outputs"]);
        expect(gone.status).toBe(0);
        expect(printedOutputs(gone.stdout)).toEqual({});
    });
});
