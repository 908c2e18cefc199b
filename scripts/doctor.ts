// npm run doctor [-- --stack NAME]
//
// A read-only report per controller node of a deployed stack: `<node>: ok` or `<node>: drift: <what differs>`
// (scripts/lib/doctor.ts), for operators who want to look without a Pulumi run. Exit status: 0 when every node is
// ok, 1 when any drifted, 2 when a node could not be checked (unreachable: the message names it). Repair with
// `pulumi up --refresh` (here: `npm run stack -- up` after `npm run stack -- refresh`), see README "Drift".
//
// Defaults to the `local` stack (.pulumi-state, the local cloud's nodes), as `npm run stack` does; another stack:
// --stack NAME with PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE set as for the pulumi CLI.
import * as path from "path";
import { requireEngine, workspaceStack } from "./lib/engine";
import { doctor } from "./lib/doctor";
import { LOCAL_STACK } from "./lib/localStack";

// Compiled to node_modules/.cache/tricircle-doctor/scripts/doctor.js (see package.json): the checkout is four up.
const ROOT = process.env.TRICIRCLE_ROOT ?? path.resolve(__dirname, "..", "..", "..", "..");

async function main(): Promise<number> {
    const args = process.argv.slice(2);
    let stackName = LOCAL_STACK;
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--stack" && args[i + 1]) stackName = args[++i];
        else {
            console.error("usage: npm run doctor [-- --stack NAME]");
            return 2;
        }
    }
    requireEngine(ROOT);
    const stack = await workspaceStack({
        root: ROOT,
        stackName,
        workDir: path.join(ROOT, ".local-cloud", "stack"),
        backendUrl: process.env.PULUMI_BACKEND_URL ?? `file://${path.join(ROOT, ".pulumi-state")}`,
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE ?? "tricircle-local-test-only",
        // Never run: the doctor reads the state only.
        program: async () => ({}),
    });
    const reports = await doctor(stack);
    if (reports.length === 0) console.log(`doctor: stack ${stackName} has no controller nodes in its state`);
    for (const r of reports) console.log(`${r.node}: ${r.report}`);
    if (reports.some((r) => r.error)) return 2;
    return reports.some((r) => r.drift.length > 0) ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (e: Error) => {
        console.error(`doctor: ${e.message}`);
        process.exit(2);
    },
);
