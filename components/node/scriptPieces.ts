// A node script as a command carries it: the values in plain text, the fixed programs packed.
//
// The engine writes the whole state after every step, and a command keeps its script twice there (inputs and
// outputs). The fixed programs (prelude.sh, ohm0.sh, the merge and certificates programs, the drift check) made
// most of a controller node's half a megabyte of state, the same text on every node, and every checkpoint wrote
// them again. Packed (gzip, then base64), a node's commands and drift check take less than half the room.
//
// What a reviewer must see change in `pulumi preview --diff` stays plain: the quoted assignments (the only place a
// value enters a script), the entry call and the wrapper. A packed piece is announced by a plain comment naming its
// files and the SHA-256 of its text, so a new program shows as a new digest. No value is ever packed: a piece is
// packed only when it is the same text whatever the stack's config (test/unit/nodeScripts.test.ts holds that).
//
// The gzip is pako's (level 9, no file name, time 0), zlib in JavaScript: its output depends only on its own
// version, pinned in package.json. zlib builds do not agree byte for byte (on the same file at the same level, this
// machine's Node and Python give different streams), and a packed text that changed with the machine running
// `pulumi` would show every command as changed. The node unpacks with `base64 -d | gzip -dc` (coreutils and gzip,
// installed on every Linux distribution), before anything runs, so what bash runs is the plain script exactly.

import { gzip, ungzip } from "pako";

/** A fixed text (a program, a function, a file) that travels packed. */
export interface Packed {
    readonly kind: "packed";
    /** What it is, for the plain comment: file names, joined by `+` when pieces were merged. */
    readonly name: string;
    readonly text: string;
}

/**
 * A piece of a script: plain text, a packed text, or a list of pieces concatenated as they are (no separator),
 * which lets a here-document start in a plain piece and end after a packed one.
 */
export type ScriptPiece = string | Packed | readonly ScriptPiece[];

/** One run of the script's text, plain or packed, ending with a newline (so a here-document can carry it). */
export interface Segment {
    readonly packed?: string;
    readonly text: string;
}

/** `text`, named `name`, to travel packed. Only for text that is the same whatever the config: never a value. */
export function packed(name: string, text: string): Packed {
    return { kind: "packed", name, text };
}

function isPacked(p: ScriptPiece): p is Packed {
    return typeof p === "object" && !Array.isArray(p) && (p as Packed).kind === "packed";
}

function push(out: Segment[], s: Segment): void {
    if (s.text === "") return;
    const last = out[out.length - 1];
    // Blank lines between pieces go with the run before them: a packed run then ends at a line's end.
    if (last !== undefined && s.packed === undefined && /^\n+$/.test(s.text)) {
        out[out.length - 1] = { ...last, text: last.text + s.text };
        return;
    }
    if (last !== undefined && (last.packed === undefined) === (s.packed === undefined)) {
        const names = last.packed === undefined ? undefined : [...new Set([...last.packed.split("+"), ...(s.packed ?? "").split("+")])].join("+");
        out[out.length - 1] = { ...(names !== undefined ? { packed: names } : {}), text: last.text + s.text };
    } else {
        out.push(s);
    }
}

function flatten(piece: ScriptPiece, out: Segment[]): void {
    if (typeof piece === "string") push(out, { text: piece });
    else if (isPacked(piece)) push(out, { packed: piece.name, text: piece.text });
    else for (const p of piece) flatten(p, out);
}

/** `pieces` joined by `separator` (as `Array.join` would), as pieces. */
export function joinPieces(pieces: readonly ScriptPiece[], separator: string): ScriptPiece[] {
    return pieces.flatMap((p, i) => (i === 0 ? [p] : [separator, p]));
}

/** The pieces' text as it is, packed or not. */
export function plainText(piece: ScriptPiece): string {
    const out: Segment[] = [];
    flatten(piece, out);
    return out.map((s) => s.text).join("");
}

/**
 * The script's runs of plain and packed text, adjacent ones of a kind merged: what bash runs on the node is their
 * concatenation. Each run but the last must end at a line's end, where a here-document can stop; the last gets a
 * final newline like any script.
 */
export function toSegments(piece: ScriptPiece): Segment[] {
    const out: Segment[] = [];
    flatten(piece, out);
    out.forEach((s, i) => {
        if (i < out.length - 1 && !s.text.endsWith("\n")) {
            throw new Error(`a ${s.packed === undefined ? "plain" : `packed (${s.packed})`} piece of a script ends inside a line: ${JSON.stringify(s.text.slice(-40))}`);
        }
    });
    const last = out[out.length - 1];
    if (last !== undefined && !last.text.endsWith("\n")) out[out.length - 1] = { ...last, text: `${last.text}\n` };
    return out;
}

// Packing the same program for every node of a stack once: the texts are the few fixed programs.
const packCache = new Map<string, string>();

/** gzip (pako, level 9, no name, time 0) of `text`, in base64 lines of 76 characters, as `base64` writes them. */
export function packText(text: string): string {
    const cached = packCache.get(text);
    if (cached !== undefined) return cached;
    const b64 = Buffer.from(gzip(Buffer.from(text, "utf8"), { level: 9 })).toString("base64");
    const lines = b64.match(/.{1,76}/g) ?? [];
    const out = lines.join("\n");
    packCache.set(text, out);
    return out;
}

/** The text of a packed run (packText's inverse). */
export function unpackText(b64: string): string {
    return Buffer.from(ungzip(Buffer.from(b64.replace(/\s+/g, ""), "base64"))).toString("utf8");
}
