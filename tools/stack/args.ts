// The runner's command line (pure: argv in, a command or a usage error out), the subset of the pulumi CLI's that an
// operator needs to preview and deploy a stack of this project without the Node.js language host.

export const VERBS = ["preview", "up", "refresh", "destroy", "outputs", "import"] as const;
export type Verb = (typeof VERBS)[number];

export interface StackCommand {
    verb: Verb;
    /** `--stack`; the default is the lab's `local` stack. */
    stack: string;
    /** `--config-file`: the stack's settings file instead of `Pulumi.<stack>.yaml` in the work dir. */
    configFile?: string;
    /** `--cwd` / `--work-dir`: the folder with the project's `Pulumi.yaml` and the stack files. */
    workDir?: string;
    diff: boolean;
    expectNoChanges: boolean;
    refresh: boolean;
    yes: boolean;
    targets: string[];
    /** `--file` of `import`: an import file in the format of `pulumi import --file`. */
    importFile?: string;
}

export type ParseResult = { ok: true; command: StackCommand } | { ok: false; error: string };

export const DEFAULT_STACK = "local";

export const USAGE = [
    "usage: npm run stack -- [--stack NAME] [--config-file FILE] [--cwd DIR] <command> [flags]",
    "  commands: preview | up | refresh | destroy | outputs | import --file FILE",
    "  flags:    --diff  --target URN (repeatable)  --expect-no-changes  --refresh  --yes (up, destroy)",
    "  default stack: local (Pulumi.local.yaml with the lab's nodes); another stack reads Pulumi.<stack>.yaml in DIR",
    "  (default: the checkout) or FILE, its backend from PULUMI_BACKEND_URL and its passphrase from",
    "  PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE",
].join("\n");

/** Which verbs take each flag that is not global (as the pulumi CLI's commands do). */
const FLAG_VERBS: Readonly<Record<string, readonly Verb[]>> = {
    "--diff": ["preview", "up", "destroy"],
    "--expect-no-changes": ["preview", "up", "refresh"],
    "--refresh": ["preview", "up", "destroy"],
    "--yes": ["up", "destroy"],
    "--target": ["preview", "up", "refresh", "destroy"],
    "--file": ["import"],
};

/** Flags that take a value, with the CLI's short forms. */
const VALUE_FLAGS: Readonly<Record<string, string>> = {
    "--stack": "--stack",
    "-s": "--stack",
    "--config-file": "--config-file",
    "--cwd": "--cwd",
    "-C": "--cwd",
    "--work-dir": "--cwd",
    "--target": "--target",
    "-t": "--target",
    "--file": "--file",
    "-f": "--file",
};

const SWITCHES: Readonly<Record<string, string>> = {
    "--diff": "--diff",
    "--expect-no-changes": "--expect-no-changes",
    "--refresh": "--refresh",
    "--yes": "--yes",
    "-y": "--yes",
};

/** A stack name as the backends accept it (`[org/][project/]name`, letters, digits, `-`, `_`, `.`). */
const STACK_NAME = /^([A-Za-z0-9][A-Za-z0-9_.-]*\/){0,2}[A-Za-z0-9_.-]+$/;

export function parseStackArgs(argv: readonly string[]): ParseResult {
    const fail = (error: string): ParseResult => ({ ok: false, error });
    let verb: Verb | undefined;
    const seen: string[] = [];
    const values: Record<string, string> = {};
    const targets: string[] = [];
    const switches = new Set<string>();

    for (let i = 0; i < argv.length; i++) {
        const raw = argv[i];
        const eq = raw.startsWith("--") ? raw.indexOf("=") : -1;
        const name = eq > 0 ? raw.slice(0, eq) : raw;
        if (VALUE_FLAGS[name]) {
            const flag = VALUE_FLAGS[name];
            const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
            if (value === undefined || value === "" || (eq < 0 && value.startsWith("-"))) return fail(`${name} needs a value`);
            if (flag === "--target") targets.push(value);
            else if (values[flag] !== undefined) return fail(`${name} given twice`);
            else values[flag] = value;
            seen.push(flag);
        } else if (SWITCHES[name]) {
            if (eq > 0) return fail(`${name} takes no value`);
            switches.add(SWITCHES[name]);
            seen.push(SWITCHES[name]);
        } else if (raw.startsWith("-")) {
            return fail(`unknown flag ${name}`);
        } else if (verb === undefined) {
            if (!(VERBS as readonly string[]).includes(raw)) return fail(`unknown command ${raw}`);
            verb = raw as Verb;
        } else {
            return fail(`unexpected argument ${raw} (one command at a time)`);
        }
    }
    if (verb === undefined) return fail("a command is needed");
    for (const flag of new Set(seen)) {
        const verbs = FLAG_VERBS[flag];
        if (verbs && !verbs.includes(verb)) return fail(`${flag} does not go with ${verb} (only with ${verbs.join(", ")})`);
    }
    const stack = values["--stack"] ?? DEFAULT_STACK;
    if (!STACK_NAME.test(stack)) return fail(`--stack ${stack}: not a stack name`);
    if (verb === "import" && values["--file"] === undefined) return fail("import needs --file FILE (an import file)");
    if (stack === DEFAULT_STACK && (values["--config-file"] !== undefined || values["--cwd"] !== undefined)) {
        // The local stack's settings are generated from Pulumi.local.yaml and the lab's nodes on every run.
        return fail(`${values["--config-file"] !== undefined ? "--config-file" : "--cwd"} is for stacks other than ${DEFAULT_STACK}, whose settings the runner writes itself`);
    }
    return {
        ok: true,
        command: {
            verb,
            stack,
            configFile: values["--config-file"],
            workDir: values["--cwd"],
            diff: switches.has("--diff"),
            expectNoChanges: switches.has("--expect-no-changes"),
            refresh: switches.has("--refresh"),
            yes: switches.has("--yes"),
            targets,
            importFile: values["--file"],
        },
    };
}

/** `up` and `destroy` change the cloud: of any stack but the lab's, only after a yes (or `--yes`). */
export function needsConfirmation(command: StackCommand): boolean {
    return (command.verb === "up" || command.verb === "destroy") && command.stack !== DEFAULT_STACK && !command.yes;
}
