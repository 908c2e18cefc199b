// Network namespaces the host tests make for themselves, named `<prefix><test pid>-...` so that a later run can tell
// the leftovers of a killed run (its pid is gone) from a run still in progress.
import { spawnSync } from "child_process";

/** Kills whatever runs in a namespace of ours, then deletes it. */
export function removeNamespace(ns: string): void {
    const pids = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "";
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
            process.kill(Number(pid), "SIGKILL");
        } catch {
            // Already gone.
        }
    }
    spawnSync("ip", ["netns", "del", ns]);
}

/** Deletes namespaces matching `pattern` (its first group is the owning test process's pid) whose owner is gone. */
export function sweepStaleNamespaces(pattern: RegExp): void {
    const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
    for (const ns of list.split("\n").map((l) => l.split(" ")[0])) {
        const m = pattern.exec(ns);
        if (!m) continue;
        try {
            process.kill(Number(m[1]), 0);
        } catch {
            removeNamespace(ns);
        }
    }
}

/** Fails the suite up front, naming what to install, when a program the test drives is missing. */
export function requireCommands(tools: string[], packages: string): void {
    const missing = tools.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
    if (missing.length > 0) {
        throw new Error(`host test needs ${missing.join(", ")} (apt-get install -y ${packages}, or bash scripts/host-deps.sh)`);
    }
}
