// The programs that run on a controller node are files of their own in components/node/files/ (shell, Python,
// the systemd unit), so shellcheck and the merge program's tests see them as they are. This module finds them.
//
// The stack runs from the source tree (vitest, the in-process e2e program) and compiled into
// node_modules/.cache/<dir>/ (`npm run stack`, the bench), where tsc copies no assets. So a file is looked for
// beside this module first, then in components/node/files/ of each folder above it: from
// node_modules/.cache/<dir>/components/node/ that walk reaches the checkout. Files are read once, when the module
// that needs them loads; a dynamic provider gets their text as a value, never a path to read at run time.

import * as fs from "fs";
import * as path from "path";

/** The folder of the node programs, relative to the checkout. */
export const NODE_SCRIPTS_DIR = path.join("components", "node", "files");

/** Where `name` (a file of components/node/files/) is, from the source tree or from a compiled copy. */
export function nodeAssetPath(name: string): string {
    const beside = path.join(__dirname, "files", name);
    if (fs.existsSync(beside)) return beside;
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, NODE_SCRIPTS_DIR, name);
        if (fs.existsSync(candidate)) return candidate;
        if (path.dirname(dir) === dir) break;
    }
    throw new Error(`node program ${name} not found beside ${__dirname} nor in ${NODE_SCRIPTS_DIR} of a folder above it`);
}

/** The text of a node program; call at module load only. */
export function nodeAsset(name: string): string {
    return fs.readFileSync(nodeAssetPath(name), "utf8");
}
