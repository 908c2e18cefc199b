// How a node script travels: plain runs and packed runs (components/node/scriptPieces.ts), and the wrapper that
// writes them back into one script on the node (asRoot). The wrapper runs here under the real `sh`, `base64`, `gzip`
// and `bash`; only `id` is replaced (a labelled stand-in reporting root), so the test runs the same as any user.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { asRoot, scriptOfCommand } from "../../components/node/remote";
import { joinPieces, packed, packText, plainText, ScriptPiece, toSegments, unpackText } from "../../components/node/scriptPieces";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-pieces-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A folder for PATH holding the named tools of this machine, and a stand-in `id` that says root. */
function toolDir(name: string, tools: string[]): string {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    for (const tool of tools) {
        const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        expect(found, tool).not.toBe("");
        fs.symlinkSync(found, path.join(dir, tool));
    }
    // STAND-IN for `id`: the wrapper then runs bash itself instead of through sudo.
    fs.writeFileSync(path.join(dir, "id"), "#!/bin/sh\necho 0\n", { mode: 0o755 });
    return dir;
}

const ALL_TOOLS = ["mktemp", "cat", "base64", "gzip", "rm", "timeout"];

function runWrapper(command: string, pathDir: string) {
    return spawnSync("/bin/sh", ["-c", command], { encoding: "utf8", env: { PATH: pathDir, TMPDIR: work }, timeout: 20_000 });
}

const PROGRAM = packed("prog.sh", 'say() { printf "%s\\n" "$X"; }\n# a fixed program: the same whatever the values\n');

describe("script pieces", () => {
    it("merges runs of a kind, keeps blank lines with the run before, and names what a packed run holds", () => {
        const pieces = joinPieces(["X='1'", packed("a.sh", "a"), packed("b.sh", "b"), packed("a.sh", "c"), "run"], "\n\n");
        const runs = toSegments(pieces);
        expect(runs).toEqual([{ text: "X='1'\n\n" }, { packed: "a.sh+b.sh", text: "a\n\nb\n\nc\n\n" }, { text: "run\n" }]);
        expect(plainText(pieces)).toBe("X='1'\n\na\n\nb\n\nc\n\nrun");
    });

    it("refuses a piece that ends inside a line (no here-document could stop there), naming it", () => {
        expect(() => toSegments([packed("a.sh", "a"), "rest"])).toThrow(/packed \(a\.sh\) piece of a script ends inside a line/);
        expect(() => toSegments(["X=1", packed("a.sh", "a\n")])).toThrow(/plain piece/);
    });

    it("packs to gzip in base64 lines that unpack to the text, for any text", () => {
        const texts = ["", "x", "line\n", "é ü – 日本\n", "#!/bin/bash\n".repeat(500), Array.from({ length: 3000 }, (_, i) => `v${i * 7919 % 1000}`).join(" ")];
        for (const text of texts) {
            const b64 = packText(text);
            expect(b64.split("\n").every((l) => l.length <= 76 && /^[A-Za-z0-9+/=]*$/.test(l))).toBe(true);
            expect(unpackText(b64)).toBe(text);
            // This machine's own gzip reads it too.
            const gz = spawnSync("sh", ["-c", "base64 -d | gzip -dc"], { input: b64, encoding: "utf8" });
            expect(gz.status).toBe(0);
            expect(gz.stdout).toBe(text);
        }
    });

    it("packs the same text to the same bytes on every machine: the recorded output of the pinned pako", () => {
        // If this changes (a new pako), every deployed stack would see all its node commands change once.
        expect(packText("tricircle-lbaas packs its node programs\n")).toBe("H4sIAAAAAAACAyspykzOLErOSdXNSUpMLFYoSEzOLlbILClWyMtPSVUoKMpPL0rMLeYCACg6UYEo\nAAAA");
    });
});

describe("asRoot's wrapper on this machine's sh, base64, gzip and bash", () => {
    const pieces: ScriptPiece = joinPieces(["X='a value'", PROGRAM, 'say\ncat "$0"'], "\n\n");

    it("writes the plain and packed runs back into one script, exactly, and runs it", () => {
        const command = asRoot("unit", pieces);
        expect(command).toContain("X='a value'\n");
        expect(command).not.toContain("a fixed program");
        expect(command).toMatch(/^# packed: prog\.sh, sha256 [0-9a-f]{64}$/m);
        const r = runWrapper(command, toolDir("all", ALL_TOOLS));
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        // `say` printed the plain value, then the script printed itself: the plain text with a final newline.
        expect(r.stdout).toBe(`a value\n${plainText(pieces)}\n`);
        expect(scriptOfCommand(command)).toBe(`${plainText(pieces)}\n`);
        expect(fs.readdirSync(work).filter((f) => f.startsWith("tricircle-lbaas."))).toEqual([]);
    });

    it("runs nothing when a packed run cannot be unpacked, says why and leaves no file", () => {
        const marker = path.join(work, "ran");
        const command = asRoot("unit", joinPieces([`touch '${marker}'`, PROGRAM, "say"], "\n\n"));
        const r = runWrapper(command, toolDir("no-gzip", ["mktemp", "cat", "base64", "rm", "timeout", "touch"]));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("tricircle-lbaas unit: could not write or unpack the script (it needs mktemp, base64 and gzip)");
        expect(fs.existsSync(marker)).toBe(false);
        expect(fs.readdirSync(work).filter((f) => f.startsWith("tricircle-lbaas."))).toEqual([]);
    });

    it("refuses a plain run that holds its here-document's delimiter", () => {
        expect(() => asRoot("x", joinPieces(["echo\nTLB_SCRIPT_EOF\necho", PROGRAM, "say"], "\n\n"))).toThrow(/delimiter/);
    });
});
