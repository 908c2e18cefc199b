// Where the operators' tools find the checkout and the operator's own folder. They run compiled, from
// node_modules/.cache/tricircle-tools/ (scripts/run-tool.sh), and npm starts them in the checkout whatever folder
// the operator typed the command in.
import * as fs from "fs";
import * as path from "path";

/** The checkout: TRICIRCLE_ROOT (set by scripts/run-tool.sh), else the first folder above with package.json and Pulumi.yaml. */
export function checkoutRoot(from: string = __dirname): string {
    if (process.env.TRICIRCLE_ROOT) return process.env.TRICIRCLE_ROOT;
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no checkout (package.json and Pulumi.yaml) above ${from}: set TRICIRCLE_ROOT`);
    }
}

/** A path the operator typed, relative to the folder the command was typed in (npm keeps it in INIT_CWD). */
export function operatorPath(p: string): string {
    return path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}
