// A Markdown document made of sections written by different tools: docs/bench.md holds the two-node report
// (bench/report) and the scale section (bench/scale); README.md holds the report's summary under "## Benchmark".
// Each tool replaces its own section, from its "## " heading to the next "## " heading, and leaves the rest alone.

/** The lines of DOC's section under HEADING (the heading line included), or undefined if DOC has none. */
export function sectionOf(doc: string, heading: string): string | undefined {
    const lines = doc.split("\n");
    const start = lines.indexOf(heading);
    if (start < 0) return undefined;
    const next = lines.findIndex((l, i) => i > start && l.startsWith("## "));
    return lines.slice(start, next < 0 ? lines.length : next).join("\n").trimEnd() + "\n";
}

/**
 * DOC with its section under HEADING replaced by BODY (which starts with HEADING), or BODY appended after a blank
 * line if DOC has no such section. The result ends with one line break.
 */
export function replaceSection(doc: string, heading: string, body: string): string {
    if (!body.startsWith(`${heading}\n`)) throw new Error(`the section's text must start with its heading "${heading}"`);
    const lines = doc.trimEnd().split("\n");
    const start = lines.indexOf(heading);
    const bodyLines = body.trimEnd().split("\n");
    if (start < 0) return [...lines, "", ...bodyLines, ""].join("\n");
    let end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
    if (end < 0) end = lines.length;
    const after = lines.slice(end);
    return [...lines.slice(0, start), ...bodyLines, ...(after.length ? ["", ...after] : []), ""].join("\n");
}
