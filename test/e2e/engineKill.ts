// Disturbing the real engine the Automation API runs for a suite: a signal to the `pulumi up` or `pulumi destroy`
// process of one stack (a child of this test process) at the moment a given resource's step begins, and what a lost
// runner leaves after a kill -9: the resource plugins, orphaned, finish the requests they had sent with nobody to
// tell, and are then killed too.
import { execFileSync } from "child_process";
import { EngineEvent } from "@pulumi/pulumi/automation";

export type EngineVerb = "up" | "destroy";

/** The `pulumi <verb>` process the Automation API started for `stackName`. */
export function engineProcess(verb: EngineVerb, stackName: string): number {
    const out = execFileSync("ps", ["--ppid", String(process.pid), "-o", "pid=,args="], { encoding: "utf8" });
    const line = out.split("\n").find((l) => new RegExp(` ${verb} `).test(l) && l.includes(`--stack ${stackName}`));
    if (!line) throw new Error(`no pulumi ${verb} of ${stackName} among this process's children:\n${out}`);
    return Number(line.trim().split(/\s+/)[0]);
}

/** Every process below `pid`. */
export function descendantsOf(pid: number): number[] {
    const out = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" });
    const kids = out
        .split("\n")
        .map((l) => l.trim().split(/\s+/).map(Number))
        .filter(([, ppid]) => ppid === pid)
        .map(([p]) => p);
    return kids.flatMap((k) => [k, ...descendantsOf(k)]);
}

/** One planned disturbance and what became of it. */
export interface Disturbance {
    /** For the engine's events: fires once, `delayMs` after the first event `match` accepts. */
    onEvent: (e: EngineEvent) => void;
    /** Whether the signal was sent, and when (ms since the epoch). */
    readonly sent: () => boolean;
    readonly sentAt: () => number;
    /** After a kill -9, once the run has ended: waits `graceMs` for the orphaned plugins, then kills them. */
    reapPlugins: (graceMs?: number) => Promise<void>;
}

export function disturbWhen(match: (e: EngineEvent) => boolean, opts: { verb: EngineVerb; stackName: string; delayMs: number; signal: "SIGKILL" | "SIGINT" }): Disturbance {
    let armed = false;
    let sentAt = 0;
    let plugins: number[] = [];
    return {
        onEvent: (e) => {
            if (armed || !match(e)) return;
            armed = true;
            setTimeout(() => {
                try {
                    const pid = engineProcess(opts.verb, opts.stackName);
                    plugins = descendantsOf(pid);
                    sentAt = Date.now();
                    process.kill(pid, opts.signal);
                } catch {
                    // The run ended before the delay was over: sentAt stays 0 and the caller says so.
                }
            }, opts.delayMs);
        },
        sent: () => sentAt > 0,
        sentAt: () => sentAt,
        reapPlugins: async (graceMs = 5000) => {
            await new Promise((r) => setTimeout(r, graceMs));
            for (const p of plugins) {
                try {
                    process.kill(p, "SIGKILL");
                } catch {
                    // gone already
                }
            }
        },
    };
}
