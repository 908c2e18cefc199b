// The node programs are found both from the source tree and from a compiled copy of the program in
// node_modules/.cache/<dir>/ (npm run stack, the bench), where tsc copies no assets (components/node/assets.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { nodeAssetPath, NODE_SCRIPTS_DIR } from "../../components/node/assets";

const ROOT = path.join(__dirname, "..", "..");

describe("node programs as files", () => {
    it("resolves them beside the module in the source tree", () => {
        expect(nodeAssetPath("prelude.sh")).toBe(path.join(ROOT, NODE_SCRIPTS_DIR, "prelude.sh"));
    });

    it("resolves them from a compiled copy under node_modules/.cache/<dir>/ to the checkout's files", () => {
        const checkout = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-assets-"));
        try {
            const compiled = path.join(checkout, "node_modules", ".cache", "tricircle-tools", "components", "node");
            fs.mkdirSync(compiled, { recursive: true });
            fs.mkdirSync(path.join(checkout, NODE_SCRIPTS_DIR), { recursive: true });
            fs.writeFileSync(path.join(checkout, NODE_SCRIPTS_DIR, "prelude.sh"), "# the checkout's\n");
            const js = ts.transpileModule(fs.readFileSync(path.join(ROOT, "components", "node", "assets.ts"), "utf8"), {
                compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            }).outputText;
            fs.writeFileSync(path.join(compiled, "assets.js"), js);
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled copy, loaded as `node` would
            const copy = require(path.join(compiled, "assets.js")) as typeof import("../../components/node/assets");
            expect(copy.nodeAssetPath("prelude.sh")).toBe(path.join(checkout, NODE_SCRIPTS_DIR, "prelude.sh"));
            expect(copy.nodeAsset("prelude.sh")).toBe("# the checkout's\n");
            expect(() => copy.nodeAsset("missing.sh")).toThrow(/node program missing.sh not found/);
        } finally {
            fs.rmSync(checkout, { recursive: true, force: true });
        }
    });

    it("every file there is read by components/node (no stray program)", () => {
        const files = fs.readdirSync(path.join(ROOT, NODE_SCRIPTS_DIR)).sort();
        expect(files).toEqual(expect.arrayContaining(["prelude.sh", "ohm0.sh", "firewall.sh", "persistence.sh", "octavia-conf.sh", "octavia_conf_merge.py", "tricircle-lbaas-o-hm0.service"]));
        const sources = ["remote.ts", "ohm0.ts", "firewall.ts", "persistence.ts", "octaviaConf.ts", "certificates.ts", "check.ts"].map((f) => fs.readFileSync(path.join(ROOT, "components", "node", f), "utf8")).join("\n");
        for (const f of files) expect(sources, `${f} is read by components/node`).toContain(`"${f}"`);
    });
});
