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
}

export interface NodeFacts {
    user: string;
    privateKeyFile: string;
    heartbeatKeyFile: string;
    nodes: LocalNode[];
}

export const LOCAL_STACK = "local";

/** The facts of a node set of lab/nodes.sh: `local` (the default) or `bench` (the benchmark's own pair). */
export function nodeFacts(root: string, set: "local" | "bench" = "local"): NodeFacts {
    const out = execFileSync("bash", [path.join(root, "lab", "nodes.sh"), "facts"], {
        encoding: "utf8",
        timeout: 30_000,
        env: { ...process.env, LOCAL_NODES_SET: set },
    });
    return JSON.parse(out) as NodeFacts;
}

type Config = Record<string, unknown>;

/** Pulumi.local.yaml's config with every region's controllers and the SSH settings of the local nodes. */
export function localStackConfig(root: string, facts: NodeFacts): Config {
    const file = yaml.load(fs.readFileSync(path.join(root, "Pulumi.local.yaml"), "utf8")) as { config: Config };
    const config = structuredClone(file.config);
    const regions = config["tricircle-lbaas:regions"] as Array<{ name: string; controllers?: unknown[]; octavia?: Record<string, unknown> }>;
    for (const region of regions) {
        const nodes = facts.nodes.filter((n) => n.region === region.name);
        if (nodes.length === 0) continue;
        region.controllers = nodes.map((n) => ({ host: n.host, hostname: n.hostname }));
        // The nodes have no systemd; a restart is a line in the node's own /run, which the e2e suite counts.
        region.octavia = { ...(region.octavia ?? {}), restartCommand: "echo restarted >>/run/octavia-restarts.log" };
    }
    config["tricircle-lbaas:ssh"] = {
        ...(config["tricircle-lbaas:ssh"] ?? {}),
        user: facts.user,
        hostKeys: Object.fromEntries(facts.nodes.map((n) => [n.host, n.hostKey])),
    };
    return config;
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
