// npm run stack -- [--stack NAME] [--config-file FILE] [--cwd DIR] <preview|up|refresh|destroy|outputs|import> [flags]
//
// The pulumi CLI's stack commands for machines without the Node.js language host (air-gapped sites, this lab): the
// checkout's index.ts runs in this process through the Automation API, with the real engine, plugins and backend of
// scripts/toolchain.sh. Flags: tools/stack/args.ts (`npm run stack -- --help` prints them).
//
// - Default, `local`: the lab's stack (Pulumi.local.yaml and the lab's controller nodes; tools/stack/workspace.ts),
//   in the checkout's file backend, as scripts/setup.sh deploys it.
// - Any other stack, an operator's: `Pulumi.<stack>.yaml` in the project folder (`--cwd`, default the checkout) or
//   `--config-file`, read by the engine as `pulumi -s <stack>` reads it; its backend PULUMI_BACKEND_URL (default the
//   checkout's file backend), its passphrase PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE, the cloud's
//   credentials the usual OS_* / OS_CLOUD / clouds.yaml. `up` and `destroy` show what they would do and ask first,
//   unless `--yes`; without a terminal to ask on they refuse.
//
// Exit status: 0 done, 1 the engine failed (or the answer was no), 2 bad arguments or set-up.
import * as fs from "fs";
import * as path from "path";
import { OutputMap } from "@pulumi/pulumi/automation";
import { checkoutRoot, operatorPath } from "../lib/checkout";
import { requireEngine, STACK_PLUGINS } from "../lib/engine";
import { DEFAULT_STACK, needsConfirmation, parseStackArgs, StackCommand, USAGE } from "./args";
import { canAsk, confirm } from "./confirm";
import { ImportFile, parseImportFile } from "./importFile";
import { labStack, operatorStack, RunnerStack, SetupError } from "../lib/stacks";

const ROOT = checkoutRoot();

function printableOutputs(outputs: OutputMap): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
}

function readImportFile(file: string): ImportFile {
    const full = operatorPath(file);
    if (!fs.existsSync(full)) throw new SetupError(`--file ${full}: no such file`);
    const parsed = parseImportFile(fs.readFileSync(full, "utf8"));
    if (!parsed.ok) throw new SetupError(`--file ${full}: ${parsed.error}`);
    return parsed.file;
}

async function openStack(cmd: StackCommand): Promise<RunnerStack> {
    // The compiled program beside this runner (node_modules/.cache/tricircle-tools/index.js).
    const program = async () => (await import(path.join(__dirname, "..", "..", "index.js"))) as Record<string, unknown>;
    if (cmd.stack === DEFAULT_STACK) return labStack(ROOT, program);
    return operatorStack({
        root: ROOT,
        stackName: cmd.stack,
        workDir: cmd.workDir,
        configFile: cmd.configFile,
        // What makes sense of a stack that is not there yet, as `pulumi up` offers to create it.
        create: cmd.verb === "preview" || cmd.verb === "up" || cmd.verb === "import",
        program,
    });
}

async function run(cmd: StackCommand, target: RunnerStack): Promise<boolean> {
    const { stack, configFile } = target;
    const onOutput = (out: string) => process.stdout.write(out);
    const targets = cmd.targets.length > 0 ? { target: cmd.targets } : {};
    const ask = needsConfirmation(cmd);
    switch (cmd.verb) {
        case "preview":
            await stack.preview({ onOutput, configFile, ...targets, expectNoChanges: cmd.expectNoChanges, diff: cmd.diff, refresh: cmd.refresh });
            return true;
        case "up":
            if (ask) {
                await stack.preview({ onOutput, configFile, ...targets, diff: cmd.diff, refresh: cmd.refresh });
                if (!(await confirm(`Perform this update of stack ${cmd.stack}?`))) return false;
            }
            await stack.up({ onOutput, configFile, ...targets, expectNoChanges: cmd.expectNoChanges, diff: cmd.diff, refresh: cmd.refresh });
            return true;
        case "refresh":
            await stack.refresh({ onOutput, configFile, ...targets, expectNoChanges: cmd.expectNoChanges });
            return true;
        case "destroy":
            if (ask) {
                await stack.destroy({ onOutput, configFile, ...targets, diff: cmd.diff, refresh: cmd.refresh, previewOnly: true });
                if (!(await confirm(`Destroy every resource of stack ${cmd.stack}?`))) return false;
            }
            await stack.destroy({ onOutput, configFile, ...targets, diff: cmd.diff, refresh: cmd.refresh });
            return true;
        case "import": {
            const file = readImportFile(cmd.importFile!);
            // No code generation: it needs the language host, and the program already declares what it manages.
            await stack.import({ onOutput, configFile, resources: file.resources, nameTable: file.nameTable, generateCode: false });
            return true;
        }
        case "outputs":
            return true;
    }
}

async function main(): Promise<number> {
    const argv = process.argv.slice(2);
    if (argv.includes("--help") || argv.includes("-h")) {
        console.log(USAGE);
        return 0;
    }
    const parsed = parseStackArgs(argv);
    if (!parsed.ok) {
        console.error(`stack: ${parsed.error}\n${USAGE}`);
        return 2;
    }
    const cmd = parsed.command;
    if (needsConfirmation(cmd) && !canAsk()) {
        console.error(`stack: ${cmd.verb} of stack ${cmd.stack} changes its cloud and there is no terminal to ask on: add --yes to go ahead`);
        return 2;
    }
    if (cmd.verb === "import") readImportFile(cmd.importFile!);
    requireEngine(ROOT, STACK_PLUGINS);
    const target = await openStack(cmd);
    if (target.created) console.log(`stack: created stack ${cmd.stack} in ${target.backendUrl}`);

    const started = Date.now();
    if (!(await run(cmd, target))) {
        console.log(`stack: ${cmd.verb} of ${cmd.stack} not confirmed; nothing changed`);
        return 1;
    }
    if (cmd.verb !== "destroy") {
        console.log(`stack ${cmd.stack} outputs:\n${JSON.stringify(printableOutputs(await target.stack.outputs()), null, 2)}`);
    }
    console.log(`stack: ${cmd.verb} of ${cmd.stack} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e: Error) => {
        if (e instanceof SetupError) {
            console.error(`stack: ${e.message}`);
            process.exit(2);
        }
        // The engine's own output (already printed) has the details; its error repeats the whole log.
        const text = String(e.message ?? e);
        const lines = text.split("\n").filter((l) => /^\s*error: /.test(l) && !/update failed|Command failed/.test(l));
        const summary = [...new Set(lines.map((l) => l.trim()))].slice(-8).join("\n");
        console.error(`stack: failed\n${summary || text.slice(-2000)}`);
        if (/the stack is currently locked/.test(text)) {
            // Two runs of one stack at once would interleave their changes: the backend's lock refused this one, and
            // the other goes on untouched. A lock with no run behind it is what a crash leaves.
            console.error(
                "stack: another up, refresh or destroy of this stack is running, and the backend's lock refused this one; nothing was changed. " +
                    "Run it again once the other has ended. If none is running (the engine was killed), `npm run doctor -- --orphans --fix` clears the lock and what the crash left.",
            );
        }
        process.exit(1);
    },
);
