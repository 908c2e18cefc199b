// Which checkpoint sidecars of a file backend the doctor calls broken: real files in a folder laid out as Pulumi's
// file backend lays them out (project-scoped and legacy stacks, plain and compressed checkpoints).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { brokenCheckpointSidecars } from "../../tools/doctor/checkpointSidecar";

let dir: string;
const stacks = () => path.join(dir, ".pulumi", "stacks");
function write(rel: string, text: string): string {
    const f = path.join(stacks(), rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
    return f;
}
const ATTRS = JSON.stringify({ "user.content_type": "text/plain; charset=utf-8", md5: "VeHB8YzeG1h58c1sjy0ozw==" });

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-sidecar-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("brokenCheckpointSidecars", () => {
    it("names an empty or cut sidecar of the stack's checkpoint, wherever the backend keeps it, and no other", () => {
        write("proj/dev.json", "{}");
        const empty = write("proj/dev.json.attrs", "");
        const cut = write("dev.json.gz.attrs", ATTRS.slice(0, 20));
        write("proj/dev.json.bak.attrs", ""); // a backup's sidecar: not read when the stack is
        write("proj/prod.json.attrs", ""); // another stack's
        expect(brokenCheckpointSidecars(`file://${dir}`, "proj", "dev").sort()).toEqual([cut, empty].sort());
    });

    it("leaves a whole or missing sidecar alone, and other backends", () => {
        write("proj/dev.json.attrs", ATTRS);
        expect(brokenCheckpointSidecars(`file://${dir}`, "proj", "dev")).toEqual([]);
        expect(brokenCheckpointSidecars(`file://${dir}`, "proj", "other")).toEqual([]);
        expect(brokenCheckpointSidecars("https://api.pulumi.com", "proj", "dev")).toEqual([]);
        write("proj/dev.json.attrs", "");
        expect(brokenCheckpointSidecars(`file://${dir}?no_tmp_dir=1`, "proj", "dev")).toHaveLength(1);
    });
});
