// The scale report from a recorded run (record.ts): its section of docs/bench.md (the table, the goals; the rest of
// the file is the two-node report's and stays as it is), its chart, and its line in README.md; or, given MARKDOWN
// and SVG, the section and the chart there and README.md left alone.
//   node main.js RECORD.json [MARKDOWN SVG]
import * as fs from "fs";
import * as path from "path";
import { replaceSection } from "../report/docSection";
import { renderScaleChart } from "./chart";
import { ScaleRecord } from "./record";
import { renderScaleReadme, renderScaleSection, SCALE_CHART_FILE, SCALE_HEADING, SCALE_README_HEADING } from "./report";

async function main(): Promise<void> {
    const [recordFile, md = "docs/bench.md", svg = SCALE_CHART_FILE] = process.argv.slice(2);
    if (!recordFile || process.argv.length === 4) throw new Error("usage: node main.js RECORD.json [MARKDOWN SVG]");
    const record = JSON.parse(fs.readFileSync(recordFile, "utf8")) as ScaleRecord;
    fs.mkdirSync(path.dirname(svg), { recursive: true });
    fs.writeFileSync(svg, await renderScaleChart(record));
    // A file of its own (or /dev/stdout) gets the section alone.
    const doc = fs.existsSync(md) && fs.statSync(md).isFile() ? fs.readFileSync(md, "utf8") : "";
    fs.writeFileSync(md, replaceSection(doc, SCALE_HEADING, renderScaleSection(record, path.relative(path.dirname(md), svg))));
    if (process.argv.length === 3) fs.writeFileSync("README.md", replaceSection(fs.readFileSync("README.md", "utf8"), SCALE_README_HEADING, renderScaleReadme(record)));
}

main().catch((e: Error) => {
    process.stderr.write(`scale report: ${e.message}\n`);
    process.exitCode = 1;
});
