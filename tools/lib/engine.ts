// The real Pulumi engine (the CLI built by scripts/toolchain.sh) driven through the Automation API. The Node SDK hosts
// the program itself, so no separate language host binary is needed; dynamic providers run through the
// pulumi-resource-pulumi-nodejs launcher the toolchain links. Shared by the stack runner, the doctor, the end-to-end
// suite and the benchmark.
import { InlineProgramArgs, LocalWorkspace, ProjectSettings, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

export function toolchainBin(root: string): string {
    return path.join(root, ".toolchain", "bin");
}

/** What the stack needs from the toolchain: the CLI, the dynamic-provider launcher, and both provider plugins. */
export function requireEngine(root: string, plugins: string[] = []): void {
    for (const bin of ["pulumi", "pulumi-resource-pulumi-nodejs"]) {
        if (!fs.existsSync(path.join(toolchainBin(root), bin))) {
            throw new Error(`${bin} is missing from .toolchain/bin: run bash scripts/toolchain.sh`);
        }
    }
    if (plugins.length === 0) return;
    const home = process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
    const installed = fs.existsSync(path.join(home, "plugins")) ? fs.readdirSync(path.join(home, "plugins")) : [];
    for (const plugin of plugins) {
        // `command-v1.2.1+offline.tricircle-lbaas` (the labelled stand-in) is what the engine takes for 1.2.1.
        if (!installed.some((dir) => dir === `resource-${plugin}` || dir.startsWith(`resource-${plugin}+`))) {
            throw new Error(`the ${plugin} resource plugin is not installed in ${home}/plugins: run bash scripts/toolchain.sh`);
        }
    }
}

/** The plugins (name-vVERSION) the whole stack loads: those the npm SDKs of package.json ask for. */
export const STACK_PLUGINS = ["openstack-v3.15.2", "command-v1.2.1"];

/** The checkout's Pulumi.yaml, so that an engine run sees the project exactly as the CLI would. */
export function projectSettings(root: string, backendUrl: string, name?: string): ProjectSettings {
    const settings = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as ProjectSettings;
    if (name === undefined || name === settings.name) return { ...settings, backend: { url: backendUrl } };
    // Declared keys are namespaced by the project: under another name the CLI refuses them, so they go.
    const { config: _declared, ...rest } = settings;
    return { ...rest, name, backend: { url: backendUrl } };
}

/** The checkout's own file backend (git-ignored), where the lab's stacks live unless PULUMI_BACKEND_URL says otherwise. */
export function checkoutBackendUrl(root: string): string {
    return `file://${path.join(root, ".pulumi-state")}`;
}

/** The passphrase that protects only the lab's throw-away stacks (scripts/env.sh); never a real stack's. */
export const LAB_PASSPHRASE = "tricircle-local-test-only";

/**
 * The CLI's environment. Without `passphrase`, the CLI reads PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE
 * from this process's environment itself (the Automation API passes it on), so no passphrase is copied anywhere.
 */
export function engineEnv(root: string, backendUrl: string, passphrase?: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
        PATH: `${toolchainBin(root)}:${process.env.PATH}`,
        PULUMI_BACKEND_URL: backendUrl,
        ...(passphrase === undefined ? {} : { PULUMI_CONFIG_PASSPHRASE: passphrase }),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        ...extra,
    };
}

export interface WorkspaceStackArgs {
    root: string;
    stackName: string;
    /** The folder holding the workspace's Pulumi.yaml and stack file (never the checkout: it has its own). */
    workDir: string;
    backendUrl: string;
    program: InlineProgramArgs["program"];
    passphrase: string;
    /** Project name; default the checkout's. The program reads its config under `tricircle-lbaas:` either way. */
    projectName?: string;
    envVars?: Record<string, string>;
}

/** A stack (created if missing) of the checkout's project in `workDir`, run in this process by the real engine. */
export async function workspaceStack(args: WorkspaceStackArgs): Promise<Stack> {
    fs.mkdirSync(args.workDir, { recursive: true });
    const settings = projectSettings(args.root, args.backendUrl, args.projectName);
    return LocalWorkspace.createOrSelectStack(
        { projectName: settings.name, stackName: args.stackName, program: failFast(args.program) },
        {
            workDir: args.workDir,
            pulumiCommand: await PulumiCommand.get({ root: path.dirname(toolchainBin(args.root)) }),
            projectSettings: settings,
            envVars: engineEnv(args.root, args.backendUrl, args.passphrase, args.envVars),
        },
    );
}

export interface ThrowAwayStack {
    stack: Stack;
    /** The file backend's folder (the state file is under .pulumi/stacks/<project>/). */
    backend: string;
    workDir: string;
}

/** A fresh stack in its own file backend and work folder, both temporary; the caller destroys and removes them. */
export async function throwAwayStack(args: {
    root: string;
    projectName: string;
    stackName: string;
    program: InlineProgramArgs["program"];
    /** Protects only this throw-away state. */
    passphrase: string;
}): Promise<ThrowAwayStack> {
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), `${args.projectName}-state-`));
    // Its own folder: the workspace writes a Pulumi.yaml there, which must never be the checkout's.
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `${args.projectName}-work-`));
    const stack = await workspaceStack({ ...args, workDir, backendUrl: `file://${backend}` });
    return { stack, backend, workDir };
}

/**
 * The in-process program ends the update on its first error, as a program under the Node.js language host does.
 * There, an exception thrown inside an `apply` is logged and the process exits once its event loop is empty: the
 * resources that waited on the failed output (an input, a `dependsOn`) are dropped with it. The Automation API's
 * language server lives on in this process, and before it answers the engine it waits for every pending resource
 * registration, including those that can never complete, so the run would hang forever. Here the first error
 * rejects the program and releases that wait; the engine still finishes the steps already in flight and records
 * them in the state, then ends the update with the error.
 */
export function failFast(program: InlineProgramArgs["program"]): InlineProgramArgs["program"] {
    return async () => {
        const run = runStore();
        let fail: (e: unknown) => void = () => undefined;
        const failed = new Promise<never>((_, reject) => (fail = reject));
        const onError = (e: unknown) => {
            // The registrations that wait on the failed value never settle: stop waiting for them (see above).
            if (run) run.settings.rpcDone = Promise.resolve();
            fail(e);
        };
        process.on("unhandledRejection", onError);
        process.on("uncaughtException", onError);
        try {
            const outputs = await Promise.race([program(), failed]);
            // Outputs resolve only when every resource they depend on registered: wait for them here, so that an
            // error in an apply the outputs depend on still ends the program.
            await Promise.race([Promise.all(outputPromises(outputs)), failed]);
            return outputs;
        } finally {
            process.off("unhandledRejection", onError);
            process.off("uncaughtException", onError);
        }
    };
}

/** The SDK's state of the current run (its AsyncLocalStorage store), whose `rpcDone` the server awaits. */
function runStore(): { settings: { rpcDone: Promise<unknown> } } | undefined {
    const g = globalThis as unknown as { asyncLocalStorage?: { getStore(): unknown }; globalStore?: unknown };
    const store = (g.asyncLocalStorage?.getStore() ?? g.globalStore) as { settings?: { rpcDone?: Promise<unknown> } } | undefined;
    return store?.settings?.rpcDone ? (store as { settings: { rpcDone: Promise<unknown> } }) : undefined;
}

/** The promises of every Output in the program's exports (plain objects are walked, as the engine would). */
function outputPromises(value: unknown, depth = 0): Promise<unknown>[] {
    if (value === null || typeof value !== "object" || depth > 4) return [];
    const maybeOutput = value as { promise?: unknown; isKnown?: unknown };
    if (typeof maybeOutput.promise === "function" && maybeOutput.isKnown !== undefined) {
        return [(maybeOutput.promise as () => Promise<unknown>)()];
    }
    return Object.values(value).flatMap((v) => outputPromises(v, depth + 1));
}
