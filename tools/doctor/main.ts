// npm run doctor [-- --stack NAME [--cwd DIR]] [--orphans [--fix]]
//
// A read-only report per controller node of a deployed stack: `<node>: ok` or `<node>: drift: <what differs>`
// (tools/doctor/drift.ts), for operators who want to look without a Pulumi run, and below it the days left of each
// certificate file on the node (marked at refresh's thresholds, CERTIFICATE_EXPIRY_DAYS), then each node's health-manager
// port as its region's Neutron shows it (`port <id>: ACTIVE`, or drift when it is not). Exit status: 0 when every node
// and port is ok, 1 when any drifted, 2 when a node or Neutron could not be asked (the message names it). Repair with
// `pulumi up --refresh` (here: `npm run stack -- up` after `npm run stack -- refresh`), see README "Drift".
//
// --orphans: after an interrupted `up` (README "After an interrupted deployment"): the state's pending operations and
// the cloud objects that carry this stack's tag but are not in its state (tools/doctor/orphans.ts); exit status 0
// when there are none, 1 when there are. --fix also adopts each orphan a pending create claims, deletes the others
// and drops the pending creates that found nothing, so that the next `up` makes no duplicate.
//
// Defaults to the `local` stack (.pulumi-state, the local cloud's nodes), as `npm run stack` does; another stack:
// --stack NAME [--cwd DIR] with PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE(_FILE) set as for the pulumi CLI.
import * as path from "path";
import { checkoutRoot } from "../lib/checkout";
import { LAB_PASSPHRASE, requireEngine, STACK_PLUGINS, workspaceStack } from "../lib/engine";
import { LOCAL_STACK } from "../lib/localStack";
import { backendUrl, operatorStack } from "../lib/stacks";
import { certificateLines, doctor, portReports } from "./drift";
import { orphanDoctor } from "./orphanRepair";

const ROOT = checkoutRoot();
const USAGE = "usage: npm run doctor [-- --stack NAME [--cwd DIR]] [--orphans [--fix]]";

async function main(): Promise<number> {
    const args = process.argv.slice(2);
    let stackName = LOCAL_STACK;
    let workDir: string | undefined;
    let orphans = false;
    let fix = false;
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--stack" && args[i + 1]) stackName = args[++i];
        else if ((args[i] === "--cwd" || args[i] === "--work-dir") && args[i + 1]) workDir = args[++i];
        else if (args[i] === "--orphans") orphans = true;
        else if (args[i] === "--fix") fix = true;
        else {
            console.error(`doctor: unknown or incomplete argument ${args[i]}\n${USAGE}`);
            return 2;
        }
    }
    if (fix && !orphans) {
        console.error("doctor: --fix goes with --orphans");
        return 2;
    }
    requireEngine(ROOT, orphans ? STACK_PLUGINS : []);
    // Never run: the doctor reads the state (and, for --orphans, the stack's config) only.
    const program = async () => ({});
    let stack;
    if (stackName === LOCAL_STACK) {
        // The lab's credentials (openstack:cloud: local), as the runner gives them to the program.
        process.env.OS_CLIENT_CONFIG_FILE ??= path.join(ROOT, ".local-cloud", "clouds.yaml");
        stack = await workspaceStack({
            root: ROOT,
            stackName,
            workDir: path.join(ROOT, ".local-cloud", "stack"),
            backendUrl: backendUrl(ROOT),
            passphrase: process.env.PULUMI_CONFIG_PASSPHRASE ?? LAB_PASSPHRASE,
            program,
        });
    } else {
        // An operator's stack, found as the runner finds it (its Pulumi.<stack>.yaml in --cwd, default the checkout).
        stack = (await operatorStack({ root: ROOT, stackName, workDir, create: false, program })).stack;
    }
    if (orphans) {
        const result = await orphanDoctor(stack, { fix, log: (line) => console.log(line) });
        return result.clean ? 0 : 1;
    }
    const reports = await doctor(stack);
    const ports = await portReports(stack);
    if (reports.length === 0) console.log(`doctor: stack ${stackName} has no controller nodes in its state`);
    for (const r of reports) {
        console.log(`${r.node}: ${r.report}`);
        for (const line of certificateLines(r.certificates)) console.log(`  certificate ${line}`);
    }
    for (const p of ports) console.log(`${p.node}: ${p.report}`);
    if (reports.some((r) => r.error) || ports.some((p) => p.error)) return 2;
    return reports.some((r) => r.drift.length > 0) || ports.some((p) => !p.active) ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (e: Error) => {
        console.error(`doctor: ${e.message}`);
        process.exit(2);
    },
);
