// npm run stack -- <preview|up|refresh|destroy|outputs> [--expect-no-changes] [--diff]
//
// Runs the `local` stack (Pulumi.local.yaml on the local cloud and its controller nodes) through the real engine in
// this process, for machines without the Node.js language host: the same index.ts, plugins, file backend
// (.pulumi-state) and passphrase as `pulumi up -s local` with the CLI. The stack file it writes is
// .local-cloud/stack/Pulumi.local.yaml; with a language host, `pulumi -C .local-cloud/stack ...` does not apply (the
// program is the checkout's), so use `pulumi up -s local --config-file .local-cloud/stack/Pulumi.local.yaml`.
import * as path from "path";
import { OutputMap } from "@pulumi/pulumi/automation";
import { requireEngine, STACK_PLUGINS, workspaceStack } from "../lib/engine";
import { LOCAL_STACK, localStackConfig, localStackSecrets, nodeFacts, writeStackFile } from "../lib/localStack";

// Compiled to node_modules/.cache/tricircle-stack/scripts/stack.js (see package.json): the checkout is four up.
const ROOT = process.env.TRICIRCLE_ROOT ?? path.resolve(__dirname, "..", "..", "..", "..");
const VERBS = ["preview", "up", "refresh", "destroy", "outputs"] as const;
type Verb = (typeof VERBS)[number];

function usage(message: string): never {
    console.error(`stack: ${message}\nusage: npm run stack -- <${VERBS.join("|")}> [--expect-no-changes] [--diff]`);
    process.exit(2);
}

export function printableOutputs(outputs: OutputMap): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
}

async function main(): Promise<void> {
    const [verb, ...flags] = process.argv.slice(2);
    if (!VERBS.includes(verb as Verb)) usage(verb ? `unknown command ${verb}` : "a command is needed");
    for (const f of flags) if (!["--expect-no-changes", "--diff"].includes(f)) usage(`unknown flag ${f}`);
    const expectNoChanges = flags.includes("--expect-no-changes");
    const diff = flags.includes("--diff");

    requireEngine(ROOT, STACK_PLUGINS);
    // The program runs in this process and resolves the local cloud's credentials (the host binding) here too.
    const cloudsYaml = path.join(ROOT, ".local-cloud", "clouds.yaml");
    process.env.OS_CLIENT_CONFIG_FILE ??= cloudsYaml;
    const facts = nodeFacts(ROOT);
    const workDir = path.join(ROOT, ".local-cloud", "stack");
    const stack = await workspaceStack({
        root: ROOT,
        stackName: LOCAL_STACK,
        workDir,
        backendUrl: process.env.PULUMI_BACKEND_URL ?? `file://${path.join(ROOT, ".pulumi-state")}`,
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE ?? "tricircle-local-test-only",
        program: async () => (await import(path.join(__dirname, "..", "index.js"))) as Record<string, unknown>,
        envVars: { OS_CLIENT_CONFIG_FILE: process.env.OS_CLIENT_CONFIG_FILE },
    });
    writeStackFile(workDir, LOCAL_STACK, localStackConfig(ROOT, facts));
    for (const [key, value] of Object.entries(localStackSecrets(facts))) {
        await stack.setConfig(key, { value, secret: true }, true);
    }

    const onOutput = (out: string) => process.stdout.write(out);
    const started = Date.now();
    switch (verb as Verb) {
        case "preview":
            await stack.preview({ onOutput, expectNoChanges, diff });
            break;
        case "up":
            await stack.up({ onOutput, expectNoChanges, diff });
            break;
        case "refresh":
            await stack.refresh({ onOutput, expectNoChanges });
            break;
        case "destroy":
            await stack.destroy({ onOutput });
            break;
        case "outputs":
            break;
    }
    if (verb !== "destroy") {
        console.log(`stack ${LOCAL_STACK} outputs:\n${JSON.stringify(printableOutputs(await stack.outputs()), null, 2)}`);
    }
    console.log(`stack: ${verb} of ${LOCAL_STACK} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e: Error) => {
    // The engine's own output (already printed) has the details; its error repeats the whole log.
    const text = String(e.message ?? e);
    const lines = text.split("\n").filter((l) => /^\s*error: /.test(l) && !/update failed|Command failed/.test(l));
    const summary = [...new Set(lines.map((l) => l.trim()))].slice(-8).join("\n");
    console.error(`stack: failed\n${summary || text.slice(-2000)}`);
    process.exit(1);
});
