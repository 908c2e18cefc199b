// The file backend's checkpoint sidecar after a hard stop. gocloud's fileblob, under Pulumi's file backend, writes a
// checkpoint to a temporary file and renames it (a kill leaves the old one or the new one, whole), but rewrites the
// checkpoint's sidecar `<stack>.json.attrs` (its content type and MD5) in place: truncate, then write. A kill -9 of
// the engine between the two leaves the sidecar empty, and from then on every command on the stack (`pulumi stack
// export`, `up`, the doctor's own reading) fails with "failed to load checkpoint: EOF" although the checkpoint is
// whole. fileblob reads a missing sidecar as its defaults, so removing an unreadable one is the whole repair.
import * as fs from "fs";
import * as path from "path";
import { fileURLToPath } from "url";
import { Stack } from "@pulumi/pulumi/automation";

/** The checkpoint files a stack may have in a file backend: project-scoped or legacy, plain or compressed. */
function checkpointFiles(backendUrl: string, project: string, stack: string): string[] {
    if (!backendUrl.startsWith("file://")) return [];
    const dir = path.join(fileURLToPath(backendUrl.split("?")[0]), ".pulumi", "stacks");
    return [path.join(dir, project), dir].flatMap((d) => ["", ".gz", ".zst"].map((ext) => path.join(d, `${stack}.json${ext}`)));
}

/** The sidecars of the stack's checkpoint that fileblob cannot read (empty or not JSON); none for other backends. */
export function brokenCheckpointSidecars(backendUrl: string, project: string, stack: string): string[] {
    return checkpointFiles(backendUrl, project, stack)
        .map((f) => `${f}.attrs`)
        .filter((attrs) => {
            if (!fs.existsSync(attrs)) return false;
            try {
                JSON.parse(fs.readFileSync(attrs, "utf8"));
                return false;
            } catch {
                return true;
            }
        });
}

/** The unreadable sidecars of a stack's checkpoint, in the backend its workspace uses. */
export async function stackCheckpointSidecars(stack: Stack): Promise<string[]> {
    const backendUrl = (await stack.workspace.whoAmI()).url ?? "";
    return brokenCheckpointSidecars(backendUrl, (await stack.workspace.projectSettings()).name, stack.name);
}
