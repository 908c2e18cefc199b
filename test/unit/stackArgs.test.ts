// PURE tests: the runner's command line (tools/stack/args.ts) and its import file (tools/stack/importFile.ts).
import { describe, expect, it } from "vitest";
import { needsConfirmation, parseStackArgs, StackCommand, VERBS } from "../../tools/stack/args";
import { parseImportFile } from "../../tools/stack/importFile";

function parsed(argv: string[]): StackCommand {
    const r = parseStackArgs(argv);
    if (!r.ok) throw new Error(`expected ${argv.join(" ")} to parse: ${r.error}`);
    return r.command;
}

function error(argv: string[]): string {
    const r = parseStackArgs(argv);
    if (r.ok) throw new Error(`expected ${argv.join(" ")} to be refused`);
    return r.error;
}

describe("the runner's arguments", () => {
    it("defaults to the lab's local stack with no flags (scripts/setup.sh: stack -- up)", () => {
        expect(parsed(["up"])).toEqual({
            verb: "up",
            stack: "local",
            configFile: undefined,
            workDir: undefined,
            diff: false,
            expectNoChanges: false,
            refresh: false,
            yes: false,
            targets: [],
            importFile: undefined,
        });
    });

    it("takes every command", () => {
        for (const verb of VERBS.filter((v) => v !== "import")) expect(parsed([verb]).verb).toBe(verb);
        expect(parsed(["import", "--file", "f.json"]).importFile).toBe("f.json");
    });

    it("takes the stack, config file and work dir before or after the command, and --flag=value", () => {
        const c = parsed(["--stack", "prod", "preview", "--config-file=conf/prod.yaml", "--cwd", "/srv/lbaas"]);
        expect(c).toMatchObject({ verb: "preview", stack: "prod", configFile: "conf/prod.yaml", workDir: "/srv/lbaas" });
        expect(parsed(["-s", "org/tricircle-lbaas/prod", "preview", "--work-dir", "d"])).toMatchObject({ stack: "org/tricircle-lbaas/prod", workDir: "d" });
        expect(parsed(["preview", "-C", "d", "-s", "prod"]).workDir).toBe("d");
    });

    it("takes the CLI's switches where the CLI takes them, and repeated targets", () => {
        const c = parsed(["up", "--stack", "prod", "--diff", "--expect-no-changes", "--yes", "--refresh", "--target", "urn:a", "-t", "urn:b"]);
        expect(c).toMatchObject({ diff: true, expectNoChanges: true, yes: true, refresh: true, targets: ["urn:a", "urn:b"] });
        expect(parsed(["destroy", "-y", "--stack", "prod"]).yes).toBe(true);
        expect(parsed(["refresh", "--expect-no-changes"]).expectNoChanges).toBe(true);
    });

    it("refuses what it does not know, naming it", () => {
        expect(error([])).toBe("a command is needed");
        expect(error(["deploy"])).toBe("unknown command deploy");
        expect(error(["preview", "--bogus"])).toBe("unknown flag --bogus");
        expect(error(["preview", "--bogus=1"])).toBe("unknown flag --bogus");
        expect(error(["preview", "up"])).toMatch(/unexpected argument up/);
    });

    it("refuses a flag without its value, or given twice", () => {
        expect(error(["preview", "--stack"])).toBe("--stack needs a value");
        expect(error(["preview", "--stack", "--diff"])).toBe("--stack needs a value");
        expect(error(["preview", "--config-file="])).toBe("--config-file needs a value");
        expect(error(["preview", "--target"])).toBe("--target needs a value");
        expect(error(["preview", "-s", "a", "--stack", "b"])).toBe("--stack given twice");
        expect(error(["preview", "--diff=yes"])).toBe("--diff takes no value");
    });

    it("refuses a flag its command does not take, naming both", () => {
        expect(error(["preview", "--yes"])).toBe("--yes does not go with preview (only with up, destroy)");
        expect(error(["outputs", "--diff"])).toMatch(/^--diff does not go with outputs/);
        expect(error(["refresh", "--refresh"])).toMatch(/^--refresh does not go with refresh/);
        expect(error(["destroy", "--expect-no-changes"])).toMatch(/^--expect-no-changes does not go with destroy/);
        expect(error(["up", "--file", "x.json"])).toMatch(/^--file does not go with up/);
        expect(error(["import"])).toBe("import needs --file FILE (an import file)");
    });

    it("refuses a stack name no backend takes", () => {
        expect(error(["preview", "--stack", "a b"])).toBe("--stack a b: not a stack name");
        expect(error(["preview", "--stack", "a/b/c/d"])).toMatch(/not a stack name/);
    });

    it("keeps --config-file and --cwd for stacks other than local (its settings are written by the runner)", () => {
        expect(error(["preview", "--config-file", "x.yaml"])).toMatch(/^--config-file is for stacks other than local/);
        expect(error(["preview", "--stack", "local", "--cwd", "d"])).toMatch(/^--cwd is for stacks other than local/);
    });

    it("asks before up and destroy of a stack other than local, unless --yes", () => {
        expect(needsConfirmation(parsed(["up", "--stack", "prod"]))).toBe(true);
        expect(needsConfirmation(parsed(["destroy", "--stack", "prod"]))).toBe(true);
        expect(needsConfirmation(parsed(["up", "--stack", "prod", "--yes"]))).toBe(false);
        expect(needsConfirmation(parsed(["up"]))).toBe(false);
        expect(needsConfirmation(parsed(["destroy"]))).toBe(false);
        for (const verb of ["preview", "refresh", "outputs"]) expect(needsConfirmation(parsed([verb, "--stack", "prod"]))).toBe(false);
        expect(needsConfirmation(parsed(["import", "--stack", "prod", "--file", "f"]))).toBe(false);
    });
});

describe("the import file", () => {
    const sg = { type: "openstack:networking/secGroup:SecGroup", name: "amphora", id: "5b7f" };

    it("takes Pulumi's import-file JSON, name table and all", () => {
        const text = JSON.stringify({ nameTable: { central: "urn:pulumi:prod::tricircle-lbaas::pulumi:providers:openstack::central" }, resources: [{ ...sg, provider: "central" }] });
        const r = parseImportFile(text);
        expect(r).toEqual({ ok: true, file: { resources: [{ ...sg, provider: "central" }], nameTable: { central: "urn:pulumi:prod::tricircle-lbaas::pulumi:providers:openstack::central" } } });
    });

    it("names what is wrong", () => {
        expect(parseImportFile("{")).toMatchObject({ ok: false, error: expect.stringMatching(/^not JSON/) });
        expect(parseImportFile("[]")).toEqual({ ok: false, error: "expected an object with resources" });
        expect(parseImportFile("{}")).toEqual({ ok: false, error: "resources: expected a non-empty list" });
        expect(parseImportFile(JSON.stringify({ resources: [{ type: sg.type, id: "x" }] }))).toEqual({ ok: false, error: "resources[0]: type and name are required" });
        expect(parseImportFile(JSON.stringify({ resources: [{ type: sg.type, name: "a" }] }))).toEqual({ ok: false, error: "resources[0] (a): id is required" });
        expect(parseImportFile(JSON.stringify({ resources: [{ ...sg, id: 7 }] }))).toEqual({ ok: false, error: "resources[0].id: expected a string" });
        expect(parseImportFile(JSON.stringify({ resources: [sg], nameTable: { p: "central" } }))).toEqual({ ok: false, error: "nameTable.p: expected a URN" });
    });

    it("lets a component go without an id", () => {
        expect(parseImportFile(JSON.stringify({ resources: [{ type: "my:index:Group", name: "g", component: true }] })).ok).toBe(true);
    });
});
