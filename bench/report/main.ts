// Turns the raw results of `npm run bench` (bench/run.sh) into docs/bench.md: the summary (medians over the runs, the
// ratios), the engine's critical path against its makespan, the numbers the explanation quotes and a per-run table.
// With --readme it prints only README.md's "## Benchmark" section (the summary table and its two paragraphs).
//
//   node main.js RESULTS_DIR [--readme] > docs/bench.md
//
// RESULTS_DIR is what `npm run bench -- --keep DIR` keeps (bench/rawResults.ts describes its files).
import { analyze } from "./analyze";
import { loadResults } from "./load";
import { renderReadmeSection, renderReport } from "./render";

const dir = process.argv[2];
if (!dir) {
    process.stderr.write("usage: node main.js RESULTS_DIR [--readme]\n");
    process.exit(2);
}
const raw = loadResults(dir);
const analysis = analyze(raw);
process.stdout.write(process.argv.includes("--readme") ? renderReadmeSection(raw, analysis) : renderReport(raw, analysis));
