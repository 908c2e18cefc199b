// The real Pulumi engine (the CLI built by scripts/toolchain.sh) driven through the Automation API. The Node SDK hosts
// the program itself, so no separate language host binary is needed; dynamic providers run through the
// pulumi-resource-pulumi-nodejs launcher the toolchain links. Shared by the end-to-end suite and the benchmark.
import { InlineProgramArgs, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export function toolchainBin(root: string): string {
    return path.join(root, ".toolchain", "bin");
}

export function requireEngine(root: string): void {
    for (const bin of ["pulumi", "pulumi-resource-pulumi-nodejs"]) {
        if (!fs.existsSync(path.join(toolchainBin(root), bin))) {
            throw new Error(`${bin} is missing from .toolchain/bin: run bash scripts/toolchain.sh`);
        }
    }
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
    const bin = toolchainBin(args.root);
    const stack = await LocalWorkspace.createStack(
        { projectName: args.projectName, stackName: args.stackName, program: args.program },
        {
            workDir,
            pulumiCommand: await PulumiCommand.get({ root: path.dirname(bin) }),
            projectSettings: { name: args.projectName, runtime: "nodejs", backend: { url: `file://${backend}` } },
            envVars: {
                PATH: `${bin}:${process.env.PATH}`,
                PULUMI_BACKEND_URL: `file://${backend}`,
                PULUMI_CONFIG_PASSPHRASE: args.passphrase,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            },
        },
    );
    return { stack, backend, workDir };
}
