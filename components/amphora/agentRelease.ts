// Which amphora agents apply a pushed configuration to their heartbeats.
//
// `openstack loadbalancer amphora configure` rewrites the agent's file and mutates the options of its API process,
// but the heartbeats come from a separate process (the health sender). Before Octavia's commit 69af193d ("Fix
// Amphora controller IP list update", Launchpad bug 2121691) nothing told that process to reload, so it went on
// signing with the key, and sending to the health managers, it started with until the agent restarted: a pushed key
// rotation changed nothing the health managers see. The fix reached 15.1.0 (2024.2), 16.0.1 (2025.1) and every
// release from 17.0.0 (2025.2) on; 2024.1 and older never got it. test/host/agentPush.host.test.ts shows both
// behaviours with the agents of 11.0.0 and 15.1.0.
//
// What matters is the agent inside the running amphorae, i.e. the Octavia release their image was built from, which
// the stack cannot read from any API: the operator states it (`healthManager.amphoraAgentVersion`).

/** The first release of each series whose agent applies a pushed configuration to its heartbeats. */
export const AGENT_RELOADS_FROM = { 15: [15, 1, 0], 16: [16, 0, 1], 17: [17, 0, 0] } as const;

/** The shape the config accepts: Octavia's own release numbers. */
export const RELEASE_RE = /^(\d+)\.(\d+)\.(\d+)$/;

export function parseRelease(release: string): [number, number, number] | undefined {
    const m = RELEASE_RE.exec(release);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function atLeast(a: readonly number[], b: readonly number[]): boolean {
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
    return true;
}

/**
 * Whether an agent of this Octavia release takes a pushed heartbeat key and health-manager list into its
 * heartbeats (within two heartbeat intervals) instead of only into its file. Unknown (undefined) is "no": the
 * stack then assumes the amphorae keep what they booted with.
 */
export function agentAppliesPush(release: string | undefined): boolean {
    const v = release === undefined ? undefined : parseRelease(release);
    if (v === undefined) return false;
    const [major] = v;
    if (major >= 17) return true;
    const from = (AGENT_RELOADS_FROM as Record<number, readonly number[]>)[major];
    return from !== undefined && atLeast(v, from);
}

/** The releases that do, for messages: "15.1.0, 16.0.1, 17.0.0 or later". */
export const AGENT_RELOADS_TEXT = "15.1.0 (2024.2), 16.0.1 (2025.1), 17.0.0 (2025.2) or later";
