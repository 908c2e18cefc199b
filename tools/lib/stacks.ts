// The two kinds of stack the runner (tools/stack/) and the doctor (tools/doctor/) open, both through the real
// engine with the checkout's compiled program:
//
// - the lab's `local` stack: Pulumi.local.yaml merged with the facts of the lab's controller nodes, written to the
//   git-ignored .local-cloud/stack/ on every run (so each machine keeps its own keys), secrets set through the engine;
// - any other stack, an operator's: the project folder (`--cwd`, default the checkout) with its Pulumi.yaml and
//   the stack's settings file `Pulumi.<stack>.yaml` or `--config-file`, read by the CLI as `pulumi -s <stack>` reads
//   them. Its secrets stay encrypted in that file; the engine decrypts them in memory with the passphrase from the
//   environment. The runner writes no file of its own there.
import { InlineProgramArgs, LocalWorkspace, PulumiCommand, Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { checkoutBackendUrl, engineEnv, failFast, LAB_PASSPHRASE, toolchainBin, workspaceStack } from "./engine";
import { LOCAL_STACK, localStackConfig, localStackSecrets, nodeFacts, writeStackFile } from "./localStack";
import { operatorPath } from "./checkout";

export interface RunnerStack {
    stack: Stack;
    /** Handed to every engine operation: the settings file when it is not the work dir's `Pulumi.<stack>.yaml`. */
    configFile?: string;
    /** Where the state is, for messages (a file backend's path or a URL). */
    backendUrl: string;
    /** The stack did not exist and was created by this run. */
    created: boolean;
}

/** A problem with the operator's folders or files, reported as a usage error (exit 2). */
export class SetupError extends Error {}

export function backendUrl(root: string): string {
    return process.env.PULUMI_BACKEND_URL || checkoutBackendUrl(root);
}

/** The lab's `local` stack, exactly as `npm run stack` always ran it (scripts/setup.sh deploys it with `up`). */
export async function labStack(root: string, program: InlineProgramArgs["program"]): Promise<RunnerStack> {
    // The program runs in this process and resolves the lab's credentials (the host binding) here too.
    process.env.OS_CLIENT_CONFIG_FILE ??= path.join(root, ".local-cloud", "clouds.yaml");
    const facts = nodeFacts(root);
    const workDir = path.join(root, ".local-cloud", "stack");
    const url = backendUrl(root);
    const stack = await workspaceStack({
        root,
        stackName: LOCAL_STACK,
        workDir,
        backendUrl: url,
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE ?? LAB_PASSPHRASE,
        program,
        envVars: { OS_CLIENT_CONFIG_FILE: process.env.OS_CLIENT_CONFIG_FILE },
    });
    writeStackFile(workDir, LOCAL_STACK, localStackConfig(root, facts, { labWorker: true }));
    for (const [key, value] of Object.entries(localStackSecrets(facts))) {
        await stack.setConfig(key, { value, secret: true }, true);
    }
    return { stack, backendUrl: url, created: false };
}

export interface OperatorStackArgs {
    root: string;
    stackName: string;
    /** `--cwd` as typed; default the checkout. */
    workDir?: string;
    /** `--config-file` as typed. */
    configFile?: string;
    /** Create the stack when the backend has none of that name (as `pulumi stack init` would). */
    create: boolean;
    program: InlineProgramArgs["program"];
}

/** An operator's stack: the project folder's Pulumi.yaml and the stack's own settings file, any backend. */
export async function operatorStack(args: OperatorStackArgs): Promise<RunnerStack> {
    const workDir = args.workDir === undefined ? args.root : operatorPath(args.workDir);
    if (!["Pulumi.yaml", "Pulumi.yml"].some((f) => fs.existsSync(path.join(workDir, f)))) {
        throw new SetupError(`--cwd ${workDir}: no Pulumi.yaml there (the project folder holds Pulumi.yaml and Pulumi.<stack>.yaml)`);
    }
    const configFile = args.configFile === undefined ? undefined : operatorPath(args.configFile);
    if (configFile !== undefined && !fs.existsSync(configFile)) throw new SetupError(`--config-file ${configFile}: no such file`);
    const url = backendUrl(args.root);
    if (url === checkoutBackendUrl(args.root)) fs.mkdirSync(path.join(args.root, ".pulumi-state"), { recursive: true });
    const workspace = await LocalWorkspace.create({
        workDir,
        program: failFast(args.program),
        pulumiCommand: await PulumiCommand.get({ root: path.dirname(toolchainBin(args.root)) }),
        // No passphrase here: the CLI takes PULUMI_CONFIG_PASSPHRASE(_FILE) from the environment it inherits.
        envVars: engineEnv(args.root, url),
    });
    try {
        return { stack: await Stack.select(args.stackName, workspace), configFile, backendUrl: url, created: false };
    } catch (e) {
        if (!(e instanceof StackNotFoundError)) throw e;
        if (!args.create) throw new SetupError(`no stack ${args.stackName} in ${url} (preview or up creates it; check --stack and PULUMI_BACKEND_URL)`);
    }
    // `pulumi stack init` keeps the new stack's secrets settings (the passphrase's salt) in the work dir's
    // Pulumi.<stack>.yaml; with --config-file that file is not the stack's, so the one the init made goes again and
    // the CLI records the settings in the config file on its first run, as `pulumi up --config-file` does.
    const initFile = path.join(workDir, `Pulumi.${path.basename(args.stackName)}.yaml`);
    const hadInitFile = fs.existsSync(initFile);
    const stack = await Stack.create(args.stackName, workspace);
    if (configFile !== undefined && configFile !== initFile && !hadInitFile) fs.rmSync(initFile, { force: true });
    return { stack, configFile, backendUrl: url, created: true };
}
