// Turns the raw results of `npm run bench` (bench/run.sh) into docs/bench.md: the summary (medians over the runs, the
// ratios), the engine's critical path against its makespan, the numbers the explanation quotes and a per-run table.
// With --readme it prints only README.md's "## Benchmark" section (the summary table and its two paragraphs). With
// --scale RECORD it ends the report with the scale benchmark's section, from its kept record (bench/scale), so that
// a new two-node report does not drop it.
//
//   node main.js RESULTS_DIR [--readme] [--scale RECORD.json] > docs/bench.md
//
// RESULTS_DIR is what `npm run bench -- --keep DIR` keeps (bench/rawResults.ts describes its files).
import * as fs from "fs";
import { ScaleRecord } from "../scale/record";
import { renderScaleSection, SCALE_CHART_LINK, SCALE_HEADING } from "../scale/report";
import { analyze } from "./analyze";
import { replaceSection } from "./docSection";
import { loadResults } from "./load";
import { renderReadmeSection, renderReport } from "./render";

const dir = process.argv[2];
if (!dir) {
    process.stderr.write("usage: node main.js RESULTS_DIR [--readme]\n");
    process.exit(2);
}
const raw = loadResults(dir);
const analysis = analyze(raw);
const scale = process.argv.indexOf("--scale");
if (process.argv.includes("--readme")) process.stdout.write(renderReadmeSection(raw, analysis));
else if (scale < 0) process.stdout.write(renderReport(raw, analysis));
else {
    const record = JSON.parse(fs.readFileSync(process.argv[scale + 1], "utf8")) as ScaleRecord;
    process.stdout.write(replaceSection(renderReport(raw, analysis), SCALE_HEADING, renderScaleSection(record, SCALE_CHART_LINK)));
}
