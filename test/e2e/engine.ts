// The real Pulumi engine (the CLI built by scripts/toolchain.sh) driven through the Automation API. The Node SDK hosts
// the program itself, so no separate language host binary is needed; dynamic providers run through the
// pulumi-resource-pulumi-nodejs launcher the toolchain links.
import { InlineProgramArgs, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./localCloud";

export const TOOLCHAIN_BIN = path.join(ROOT, ".toolchain", "bin");

export function requireEngine(): void {
    for (const bin of ["pulumi", "pulumi-resource-pulumi-nodejs"]) {
        if (!fs.existsSync(path.join(TOOLCHAIN_BIN, bin))) {
            throw new Error(`${bin} is missing from .toolchain/bin: run bash scripts/toolchain.sh`);
        }
    }
}

/** A fresh stack in a throw-away file backend; the caller destroys it. */
export async function inlineStack(program: InlineProgramArgs["program"], config: Record<string, { value: string; secret?: boolean }> = {}): Promise<{ stack: Stack; backend: string }> {
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "tricircle-e2e-state-"));
    // Its own folder: the workspace writes a Pulumi.yaml there, which must never be the checkout's.
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "tricircle-e2e-work-"));
    const stack = await LocalWorkspace.createStack(
        { projectName: "tricircle-lbaas-e2e", stackName: "e2e", program },
        {
            workDir,
            pulumiCommand: await PulumiCommand.get({ root: path.dirname(TOOLCHAIN_BIN) }),
            projectSettings: { name: "tricircle-lbaas-e2e", runtime: "nodejs", backend: { url: `file://${backend}` } },
            envVars: {
                PATH: `${TOOLCHAIN_BIN}:${process.env.PATH}`,
                PULUMI_BACKEND_URL: `file://${backend}`,
                PULUMI_CONFIG_PASSPHRASE: "e2e-local-only",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            },
        },
    );
    await stack.setAllConfig(config);
    return { stack, backend };
}
