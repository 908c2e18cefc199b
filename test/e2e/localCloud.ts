// Helpers for suites that run against the local OpenStack started by lab/start.sh.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { neutronAccessFrom, resolveKeystoneAuth } from "../../components/cloud/openstackAuth";
import { NeutronAccess } from "../../components/cloud/portBinding/neutronAccess";
import { vi } from "vitest";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { ThrowAwayStack, throwAwayStack } from "../../tools/lib/engine";
import { nodeFacts } from "../../tools/lib/localStack";

export const ROOT = path.join(__dirname, "..", "..");
export const CLOUDS_YAML = path.join(ROOT, ".local-cloud", "clouds.yaml");

/** Fails the suite with the command to run when the local cloud is not up: never a silent skip. */
export function requireLocalCloud(): void {
    if (!fs.existsSync(CLOUDS_YAML)) {
        throw new Error(`the local cloud is not set up (${CLOUDS_YAML} missing): run bash lab/start.sh`);
    }
    execFileSync("bash", [path.join(ROOT, "lab", "health.sh")], { stdio: "pipe", timeout: 120_000 });
}

/**
 * Two hosts a port can really be bound to: the lab's controller nodes (lab/nodes.sh), each with a live L2 agent
 * (lab/node-agent.sh). Binding a spare port to them plugs nothing in: only o-hm0 carrying the port would.
 */
export function labAgentHosts(): [string, string] {
    const [a, b] = nodeFacts(ROOT).nodes.map((n) => n.hostname);
    if (a === undefined || b === undefined) throw new Error("the lab has fewer than two controller nodes: run bash lab/nodes.sh start");
    return [a, b];
}

/** The `openstack` CLI as the local admin, parsed from JSON. */
export function openstack(region: string, ...args: string[]): any {
    const out = execFileSync("openstack", ["--os-region-name", region, ...args, "-f", "json"], {
        env: { ...process.env, OS_CLIENT_CONFIG_FILE: CLOUDS_YAML, OS_CLOUD: "local" },
        encoding: "utf8",
        timeout: 60_000,
    });
    return out.trim() ? JSON.parse(out) : undefined;
}

export function openstackNoOutput(region: string, ...args: string[]): void {
    execFileSync("openstack", ["--os-region-name", region, ...args], {
        env: { ...process.env, OS_CLIENT_CONFIG_FILE: CLOUDS_YAML, OS_CLOUD: "local" },
        stdio: "pipe",
        timeout: 60_000,
    });
}

/** The same NeutronAccess the stack builds, from the local clouds.yaml. */
export function localNeutronAccess(): NeutronAccess {
    return neutronAccessFrom(resolveKeystoneAuth({ cloud: "local" }, { OS_CLIENT_CONFIG_FILE: CLOUDS_YAML }));
}

/**
 * A throw-away stack (its own file backend and work folder) whose program is the whole index.ts, loaded afresh for
 * each run so that each reads its own config.
 */
export function indexStack(stackName: string, passphrase = "e2e-local-only"): Promise<ThrowAwayStack> {
    return throwAwayStack({
        root: ROOT,
        projectName: "tricircle-lbaas",
        stackName,
        passphrase,
        program: async () => {
            vi.resetModules();
            return (await import("../../index")) as Record<string, unknown>;
        },
    });
}

/** A run of the engine as the suites see it: its change summary, the op of every changed resource, its wall time. */
export interface ChangeRun {
    summary: Record<string, number>;
    /** op per `type::name` (the URN's last segment), from the engine's events; providers left out. */
    ops: Map<string, string>;
    ms: number;
}

/**
 * The engine's events turned into the op of every resource that is not `same`, per `type::name` (the URN's last
 * segment). Providers are left out: they are no resources of the stack (the dynamic provider's default one is re-read
 * on each run).
 */
export function changeCollector(): { onEvent: (e: EngineEvent) => void; ops: Map<string, string> } {
    const ops = new Map<string, string>();
    return {
        onEvent: (e) => {
            const md = e.resourcePreEvent?.metadata;
            if (md && md.op !== "same" && !md.type.startsWith("pulumi:providers:")) ops.set(`${md.type}::${md.urn.split("::").pop()}`, md.op);
        },
        ops,
    };
}
