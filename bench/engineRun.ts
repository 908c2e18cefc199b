// What both engine sides of the benchmark (stack-engine.ts: the guide's topology; scale/run.ts: 1 to 16 regions) need
// around an Automation API operation: the logs' marks for the requests and SSH logins it caused
// (bench/api-requests.sh), the engine's steps from its events, a time bound, and the program loaded afresh.
import { EngineEvent } from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Step } from "./rawResults";

/** A mark of every log api-requests.sh reads, in a file of its own (`since` then counts what came after it). */
export function markLogs(root: string, tag: string): string {
    const file = path.join(os.tmpdir(), `tricircle-bench-mark-${tag}-${randomBytes(3).toString("hex")}`);
    fs.writeFileSync(file, execFileSync("bash", [path.join(root, "bench", "api-requests.sh"), "mark"], { encoding: "utf8" }));
    return file;
}

/** keystone neutron octavia tokens server_s ssh nova glance placement, since `mark` (which is removed). */
export function requestsSince(root: string, mark: string): number[] {
    // The services write a request's log line after answering it: let the last lines land.
    execFileSync("sleep", ["0.5"]);
    const out = execFileSync("bash", [path.join(root, "bench", "api-requests.sh"), "since", mark], { encoding: "utf8" });
    fs.rmSync(mark, { force: true });
    return out.trim().split(/\s+/).map(Number);
}

/** Collects the engine's steps from its events: resourcePreEvent starts a step, the first resOutputsEvent ends it. */
export function stepRecorder(): { onEvent: (e: EngineEvent) => void; steps: Step[]; t0: () => void } {
    const steps: Step[] = [];
    const open = new Map<string, Step>();
    let origin = process.hrtime.bigint();
    const now = () => Number(process.hrtime.bigint() - origin) / 1e6;
    return {
        steps,
        t0: () => (origin = process.hrtime.bigint()),
        onEvent: (e: EngineEvent) => {
            const at = now();
            const pre = e.resourcePreEvent?.metadata;
            if (pre) {
                if (pre.op === "same" || pre.op === "read" || pre.op === "refresh") return;
                const step: Step = { urn: pre.urn, type: pre.type, op: pre.op, start: at, engineStart: e.timestamp };
                steps.push(step);
                open.set(`${pre.urn}|${pre.op}`, step);
                return;
            }
            const post = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
            if (post) {
                const step = open.get(`${post.urn}|${post.op}`);
                if (!step) return;
                step.end = at;
                step.engineEnd = e.timestamp;
                if (e.resOpFailedEvent) step.failed = true;
                open.delete(`${post.urn}|${post.op}`);
            }
        },
    };
}

/** Runs an engine operation within `timeoutS`: past it, the Automation API cancels the operation and ends the CLI. */
export async function bounded<T>(what: string, timeoutS: number, say: (msg: string) => void, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const control = new AbortController();
    const timer = setTimeout(() => {
        say(`${what}: still running after ${timeoutS} s (BENCH_ENGINE_TIMEOUT): aborted`);
        control.abort();
    }, timeoutS * 1000);
    try {
        return await run(control.signal);
    } finally {
        clearTimeout(timer);
    }
}

/** The whole program, index.js in `programDir`, loaded afresh for every engine run (its modules read the config when loaded). */
export function freshProgram(programDir: string): () => Promise<Record<string, unknown>> {
    return async () => {
        for (const key of Object.keys(require.cache)) {
            if (key === path.join(programDir, "index.js") || key.startsWith(path.join(programDir, "components") + path.sep)) delete require.cache[key];
        }
        // CommonJS: this import is a require() of the compiled file, so the cache cleared above is the one it uses.
        return (await import(path.join(programDir, "index.js"))) as Record<string, unknown>;
    };
}
