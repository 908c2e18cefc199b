// The `local` stack: the committed Pulumi.local.yaml (the guide's topology on the local cloud) plus the facts of the
// local cloud's controller nodes (lab/nodes.sh facts: addresses, pinned host keys, the SSH key and
// heartbeat key files). The merged stack file lives in the git-ignored .local-cloud/stack/, so a checkout stays
// clean and each machine keeps its own keys; its state is in the checkout's file backend (.pulumi-state).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

export interface LocalNode {
    hostname: string;
    region: string;
    host: string;
    hostKey: string;
    /** The node's folder on this machine (its overlays, logs, restart log under run/). */
    dir: string;
    namespace: string;
    /** The node's octavia.conf: in its folder, the same path on the node and on this machine. */
    configFile: string;
}

export interface NodeFacts {
    user: string;
    privateKeyFile: string;
    heartbeatKeyFile: string;
    nodes: LocalNode[];
}

export const LOCAL_STACK = "local";

/** The facts of a node set of lab/nodes.sh: `local` (the default) or `bench` (the benchmark's own pair). */
export function nodeFacts(root: string, set: "local" | "bench" | "scale" = "local"): NodeFacts {
    const out = execFileSync("bash", [path.join(root, "lab", "nodes.sh"), "facts"], {
        encoding: "utf8",
        timeout: 30_000,
        env: { ...process.env, LOCAL_NODES_SET: set },
    });
    return JSON.parse(out) as NodeFacts;
}

type Config = Record<string, unknown>;

/** The region whose Octavia the lab runs: its worker boots amphorae in RegionOne's Nova ([nova] region_name). */
export const LAB_OCTAVIA_REGION = "RegionOne";

/**
 * The local nodes run no Octavia and no systemd: their "restart Octavia" is a line in the node's own /run (which the
 * e2e suites count), and, in the lab Octavia's region, a restart of the lab's worker reading the node's merged
 * octavia.conf (lab/node/restart-octavia.sh), so that its amphorae boot on what the stack made.
 */
export function localRestartCommand(root: string, region: string, configFile: string, labWorker: boolean): string {
    const count = "echo restarted >>/run/octavia-restarts.log";
    if (!labWorker || region !== LAB_OCTAVIA_REGION) return count;
    return `${count} && bash ${path.join(root, "lab", "node", "restart-octavia.sh")} ${configFile}`;
}

/**
 * Pulumi.local.yaml's config with every region's controllers and the SSH settings of the local nodes. `labWorker`:
 * the nodes' restart in the lab Octavia's region restarts the lab's worker on the node's octavia.conf (the `local`
 * stack; the bench's nodes leave the worker alone, as the guide's procedure it is compared with does).
 */
export function localStackConfig(root: string, facts: NodeFacts, options: { labWorker?: boolean } = {}): Config {
    const file = yaml.load(fs.readFileSync(path.join(root, "Pulumi.local.yaml"), "utf8")) as { config: Config };
    const config = structuredClone(file.config);
    const regions = config["tricircle-lbaas:regions"] as Array<{ name: string; controllers?: unknown[]; octavia?: Record<string, unknown> }>;
    for (const region of regions) {
        const nodes = facts.nodes.filter((n) => n.region === region.name);
        if (nodes.length === 0) continue;
        region.controllers = nodes.map((n) => ({ host: n.host, hostname: n.hostname }));
        region.octavia = { ...(region.octavia ?? {}), configFile: nodes[0].configFile, restartCommand: localRestartCommand(root, region.name, nodes[0].configFile, options.labWorker ?? false) };
    }
    const amphora = config["tricircle-lbaas:amphora"] as { keypair?: Record<string, unknown> } | undefined;
    if (amphora?.keypair !== undefined) {
        // The amphorae's key: the local nodes' own SSH key, so that whoever runs the lab can log in to them.
        amphora.keypair = { ...amphora.keypair, publicKey: fs.readFileSync(`${facts.privateKeyFile}.pub`, "utf8").trim() };
    }
    config["tricircle-lbaas:ssh"] = {
        ...(config["tricircle-lbaas:ssh"] ?? {}),
        user: facts.user,
        hostKeys: Object.fromEntries(facts.nodes.map((n) => [n.host, n.hostKey])),
    };
    return config;
}

/** The `tricircle-lbaas:` keys of a stack's config, without the namespace (as the program's schema reads them). */
export function rawNamespaceOf(config: Config): Record<string, any> {
    const prefix = "tricircle-lbaas:";
    return Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), structuredClone(v)]));
}

/** The secrets of the local stack, read from the nodes' key files (never written to the stack file in clear). */
export function localStackSecrets(facts: NodeFacts): Record<string, string> {
    return {
        "tricircle-lbaas:ssh.privateKey": fs.readFileSync(facts.privateKeyFile, "utf8"),
        "tricircle-lbaas:healthManager.heartbeatKey": fs.readFileSync(facts.heartbeatKeyFile, "utf8").trim(),
    };
}

/**
 * Writes the non-secret config into the stack file `Pulumi.<stack>.yaml` of `workDir`, keeping what the engine put
 * there (the passphrase salt); the caller then sets the secrets through the engine so they are encrypted.
 */
export function writeStackFile(workDir: string, stackName: string, config: Config): string {
    const file = path.join(workDir, `Pulumi.${stackName}.yaml`);
    const existing = fs.existsSync(file) ? ((yaml.load(fs.readFileSync(file, "utf8")) as Config | undefined) ?? {}) : {};
    const header = "# Written by tools/stack/main.ts from Pulumi.local.yaml and the local nodes (lab/nodes.sh); edit those.\n";
    fs.writeFileSync(file, header + yaml.dump({ ...existing, config }, { lineWidth: 200 }));
    return file;
}
