// How every program reaches a controller node: the paths and time limits all of them share, the quoted assignments
// (the only way a value enters a script), and the wrapper that runs a script as root. The programs themselves are
// files of their own in components/node/files/ (shellcheck'ed by `npm run lint`); one module per concern (ohm0.ts,
// firewall.ts, persistence.ts, octaviaConf.ts, certificates.ts) keeps its values and programs, and plane.ts,
// octaviaConf.ts and certificates.ts assemble the commands from them. Everything here returns strings and touches
// neither Pulumi nor the network, so the host tests run exactly these strings over real SSH.
//
// How a command reaches the node: the provider asks sshd to run the string with the SSH user's login shell
// (`$SHELL -c <string>`), which may be dash, as a user who is usually not root (`ssh.user` defaults to "stack"), so
// `asRoot` wraps every script in a few POSIX lines that hand it to bash, through `sudo -n` unless already root, inside
// an overall `timeout`. Standard input passes through untouched: it is the one channel that carries a secret (the
// heartbeat key, see octaviaConf.ts), because a command's text shows up in `pulumi preview`, in the state file and in
// the provider's error messages.

import { nodeAsset } from "./assets";
import { Packed, ScriptPiece, joinPieces, packed, packText, plainText, toSegments, unpackText } from "./scriptPieces";
import { sha256Hex, shellQuote } from "./values";

/** Where the scripts keep what they write on a node; every path is removed again by a delete. */
export const NODE_PATHS = {
    configDir: "/etc/tricircle-lbaas",
    stateDir: "/var/lib/tricircle-lbaas",
    runDir: "/run/tricircle-lbaas",
    dhclientConf: "/etc/tricircle-lbaas/dhclient-o-hm0.conf",
    dhclientScript: "/etc/tricircle-lbaas/dhclient-o-hm0-script",
    dhclientLease: "/var/lib/tricircle-lbaas/dhclient-o-hm0.leases",
    dhclientPid: "/run/tricircle-lbaas/dhclient-o-hm0.pid",
    dhclientLog: "/run/tricircle-lbaas/dhclient-o-hm0.log",
    /**
     * Who made o-hm0: `made` (the stack added it) or `found` (it was there, carrying the port, and was adopted). The
     * o-hm0 create writes it before changing anything; the o-hm0 delete removes o-hm0 only when it says `made`.
     */
    ohm0Origin: "/var/lib/tricircle-lbaas/o-hm0.origin",
    /**
     * The stack this node serves (`<project>/<stack>`): its o-hm0 and its octavia.conf keys are that stack's. The o-hm0
     * create refuses a node that names another stack before it changes anything and writes it once o-hm0 is there;
     * the o-hm0 delete removes it when it names its own stack.
     */
    owner: "/var/lib/tricircle-lbaas/owner",
    /** The tables (iptables, ip6tables) in which an operator's equivalent heartbeat rule was found and reused. */
    firewallFound: "/var/lib/tricircle-lbaas/firewall.found",
    helper: "/usr/local/sbin/tricircle-lbaas-o-hm0",
    unitName: "tricircle-lbaas-o-hm0.service",
    unitFile: "/etc/systemd/system/tricircle-lbaas-o-hm0.service",
} as const;

/** Upper bounds, in seconds, on everything a script may wait for. */
export const LIMITS = {
    /** The whole script, whatever happens inside it. */
    scriptSeconds: 600,
    /** One ovs-vsctl transaction (waits for ovs-vswitchd to apply it). */
    ovsSeconds: 20,
    /** At boot the helper waits this long for Open vSwitch; a create fails at once instead. */
    bootOvsWaitSeconds: 60,
    /** For the o-hm0 device to appear after the port is added. */
    linkSeconds: 20,
    /** dhclient's own `timeout` for a lease (the process is killed 10 s later regardless). */
    dhcpSeconds: 20,
    /** For o-hm0 to show exactly the port's MAC and address. */
    verifySeconds: 10,
    /** For the xtables lock. */
    iptablesWaitSeconds: 10,
    /** The operator's Octavia restart command. */
    restartSeconds: 300,
} as const;

/** Commands above this size get near Linux's 128 KiB limit on one exec argument. */
const MAX_COMMAND_BYTES = 100_000;

/**
 * A concern's two programs. There is no update program: every create converges (it changes only what differs and
 * restarts only after a change), so an update runs create again, which the command provider does when `update` is
 * unset. A copy of the script under `update` would be kept twice more in the state (inputs and outputs): a quarter of
 * a 16-region stack's state, which the engine writes whole after every step.
 */
export interface RemoteScripts {
    create: string;
    delete: string;
}

// ---------------------------------------------------------------------------------------------
// Script assembly

/**
 * Wraps a bash script so it runs as root under bash whatever the SSH user's login shell, with an overall time
 * limit. The script is written first into a private temporary file (so sudo, which closes extra descriptors, can
 * still read it): its plain runs as quoted here-documents, which `pulumi preview` shows as they are, its packed
 * runs (scriptPieces.ts) unpacked by `base64 -d | gzip -dc` under a comment naming them and their digest. Nothing
 * runs unless the whole script was written. Standard input flows through untouched to the script.
 */
export function asRoot(label: string, script: ScriptPiece): string {
    const plainDelimiter = "TLB_SCRIPT_EOF";
    const packedDelimiter = "TLB_PACKED_EOF";
    const segments = toSegments(script);
    const lines = [
        `# tricircle-lbaas ${label}: the bash script below runs as root (through sudo -n unless already root).`,
        "# Its values are the plain lines; its fixed programs travel packed (gzip, base64) and are unpacked first.",
        "tlb_script=$(mktemp -t tricircle-lbaas.XXXXXXXX) || exit 1",
        "tlb_ok=1",
    ];
    for (const s of segments) {
        const body = s.text.replace(/\n$/, "");
        if (s.packed === undefined) {
            if (body.split("\n").includes(plainDelimiter)) throw new Error(`${label}: the script contains its own delimiter`);
            lines.push(`cat >>"$tlb_script" <<'${plainDelimiter}' || tlb_ok=0`, body, plainDelimiter);
        } else {
            lines.push(`# packed: ${s.packed}, sha256 ${sha256Hex(s.text)}`, `base64 -d <<'${packedDelimiter}' | gzip -dc >>"$tlb_script" || tlb_ok=0`, packText(s.text), packedDelimiter);
        }
    }
    const run = `timeout -k 10 ${LIMITS.scriptSeconds} /bin/bash "$tlb_script"`;
    const unpackFailed = shellQuote(`tricircle-lbaas ${label}: could not write or unpack the script (it needs mktemp, base64 and gzip)`);
    lines.push(
        `if [ "$tlb_ok" != 1 ]; then echo ${unpackFailed} >&2; rm -f "$tlb_script"; exit 1; fi`,
        `if [ "$(id -u)" -eq 0 ]; then ${run}; else sudo -n ${run}; fi`,
        "tlb_rc=$?",
        'rm -f "$tlb_script"',
        'exit "$tlb_rc"',
        "",
    );
    const command = lines.join("\n");
    const bytes = Buffer.byteLength(command);
    if (bytes > MAX_COMMAND_BYTES) throw new Error(`${label}: command of ${bytes} bytes exceeds ${MAX_COMMAND_BYTES}`);
    return command;
}

/**
 * The bash script a command of `asRoot` writes on the node: its plain and packed runs, in order, as one text. For
 * the tests and for an operator who wants to read what a command in the state runs.
 */
export function scriptOfCommand(command: string): string {
    const out: string[] = [];
    const re = /^cat >>"\$tlb_script" <<'TLB_SCRIPT_EOF' \|\| tlb_ok=0\n([\s\S]*?)\nTLB_SCRIPT_EOF$|^base64 -d <<'TLB_PACKED_EOF' \| gzip -dc >>"\$tlb_script" \|\| tlb_ok=0\n([A-Za-z0-9+/=\n]*?)\nTLB_PACKED_EOF$/gm;
    for (let m = re.exec(command); m !== null; m = re.exec(command)) out.push(m[1] !== undefined ? `${m[1]}\n` : unpackText(m[2]));
    if (out.length === 0) throw new Error("not a command of asRoot: no script in it");
    return out.join("");
}

/** Shell-variable assignments; the only place where values enter a script. */
export function assignments(vars: Record<string, string | number>): string {
    return Object.entries(vars)
        .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
        .join("\n");
}

/**
 * `TLB_ADOPT`: whether the node's plane may have been set up by hand and is to be taken over as found
 * (`tricircle-lbaas:adopt`). One assignment per assembled program, even where several concerns' functions share it.
 */
export function adoptAssignment(adopt: boolean): string {
    if (typeof adopt !== "boolean") throw new Error(`adopt: ${JSON.stringify(adopt)} is not true or false`);
    return assignments({ TLB_ADOPT: adopt ? 1 : 0 });
}

/**
 * A quoted here-document writing `content` through tlb_install_file. Its first and last lines are fixed text: each
 * travels the way the content's run next to it does, so a packed file makes one packed run with them.
 */
export function fileFromHeredoc(mode: string, pathVar: string, delimiter: string, content: ScriptPiece): ScriptPiece {
    const text = plainText(content);
    if (text.split("\n").includes(delimiter)) throw new Error(`here-document delimiter ${delimiter} occurs in its content`);
    const runs = toSegments(content);
    const like = (run: { packed?: string } | undefined, line: string): ScriptPiece => (run?.packed !== undefined ? packed(run.packed, line) : line);
    return [like(runs[0], `tlb_install_file ${mode} "$${pathVar}" <<'${delimiter}'\n`), content, text.endsWith("\n") ? "" : "\n", like(runs[runs.length - 1], delimiter)];
}

/** A shell file of components/node/files/ as a piece of an assembled script: without its linter directives. */
export function shellPiece(text: string): string {
    return text
        .split("\n")
        .filter((line) => !/^\s*# shellcheck /.test(line))
        .join("\n")
        .replace(/\n+$/, "");
}

/**
 * A node script: its values (quoted assignments, and comments carrying a digest), the prelude and the programs, the
 * entry call. Values first, so that they make one plain run, which a diff shows, and the programs one packed run.
 */
export function nodeScript(values: readonly ScriptPiece[], programs: readonly Packed[], entry: string): ScriptPiece {
    return joinPieces([...values, PRELUDE, ...programs, entry], "\n\n");
}

/**
 * A Python program as a bash function, `<fn> ARGS...`, packed: its text on descriptor 3 as a quoted here-document,
 * so standard input stays free for the secrets. It is never installed on the node.
 */
export function pythonFunction(file: string, fn: string, delimiter: string, program: string): Packed {
    if (program.split("\n").includes(delimiter)) throw new Error(`${file} contains its here-document delimiter ${delimiter}`);
    return packed(file, `${fn}() {\n  python3 /dev/fd/3 "$@" 3<<'${delimiter}'\n${program}${delimiter}\n}`);
}

/** A shell file of components/node/files/ as a packed piece of an assembled script (a fixed program). */
export function shellProgram(file: string): Packed {
    return packed(file, shellPiece(nodeAsset(file)));
}

// Read once, at module load (see assets.ts).
export const PRELUDE = shellProgram("prelude.sh");
