// Reads a results folder of `npm run bench` (bench/rawResults.ts describes its files) into RawResults. The parsers
// take the files' text, so that they can be tested without a folder.
import * as fs from "fs";
import * as path from "path";
import { Meta, PHASE_COLUMNS, PhaseRow, RawResults, RestartRow, StepsRecord, WINDOW_COLUMNS, WindowRow } from "../rawResults";

/** The rows of a run-N.tsv. Files from before the SSH and Nova/Glance/Placement columns read them as 0. */
export function parsePhaseRows(text: string): PhaseRow[] {
    return text
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => {
            const [section, phase, ...cells] = line.split("\t");
            const row = { section, phase } as PhaseRow;
            PHASE_COLUMNS.forEach((column, i) => {
                const value = Number(cells[i]);
                row[column] = ["ssh", "nova", "glance", "placement"].includes(column) ? value || 0 : value;
            });
            return row;
        });
}

/** A window-N.tsv's one line. Files from before the Nova/Glance/Placement columns read them as 0. */
export function parseWindow(text: string): WindowRow {
    const [, , ...cells] = text.trim().split("\t");
    const row = {} as WindowRow;
    WINDOW_COLUMNS.forEach((column, i) => {
        row[column] = cells[i] === undefined && ["nova", "glance", "placement"].includes(column) ? 0 : Number(cells[i]);
    });
    return row;
}

/** The lines of a restarts-N.tsv. */
export function parseRestarts(text: string): RestartRow[] {
    return text
        .split("\n")
        .filter(Boolean)
        .map((line) => {
            const [section, node, count] = line.split("\t");
            return { section, node, count: Number(count) };
        });
}

/** The notes' lines, each once, in the order of their first occurrence. */
export function parseNotes(text: string): string[] {
    return [...new Set(text.split("\n").filter((line) => line.trim()))];
}

const runNumber = (file: string): number => Number(file.match(/\d+/)?.[0]);

/** The files of DIR matching PATTERN, by their run number. */
function numberedFiles(dir: string, pattern: RegExp): string[] {
    return fs
        .readdirSync(dir)
        .filter((f) => pattern.test(f))
        .sort((a, b) => runNumber(a) - runNumber(b));
}

export function loadResults(dir: string): RawResults {
    const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
    const optional = (file: string) => (fs.existsSync(path.join(dir, file)) ? read(file) : undefined);
    const meta = JSON.parse(read("meta.json")) as Meta;
    const steps = new Map(numberedFiles(dir, /^steps-\d+\.json$/).map((f) => [runNumber(f), JSON.parse(read(f)) as StepsRecord]));
    const runs = numberedFiles(dir, /^run-\d+\.tsv$/).map((f) => ({ id: runNumber(f), rows: parsePhaseRows(read(f)), steps: steps.get(runNumber(f)) }));
    if (runs.length === 0) throw new Error(`no run-N.tsv in ${dir}`);
    const notes = optional("notes.txt");
    return {
        meta,
        runs,
        windows: numberedFiles(dir, /^window-\d+\.tsv$/).map((f) => ({ run: runNumber(f), counts: parseWindow(read(f)) })),
        restarts: numberedFiles(dir, /^restarts-\d+\.tsv$/).flatMap((f) => parseRestarts(read(f))),
        notes: notes === undefined ? [] : parseNotes(notes),
        editor: optional("editor.txt")?.trim() ?? "",
    };
}
