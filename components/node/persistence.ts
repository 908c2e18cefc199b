// Reboot persistence of o-hm0 and the firewall rule (which the guide leaves to be lost at reboot): a oneshot
// systemd unit and the helper it runs.
import { nodeAsset } from "./assets";
import { FIREWALL_FUNCTIONS, firewallVars } from "./firewall";
import { checkOHm0Params, ohm0Library, OHm0Params } from "./ohm0";
import { asRoot, assignments, fileFromHeredoc, LIMITS, NODE_PATHS, PRELUDE, RemoteScripts, shellPiece } from "./remote";

// Read once, at module load (see assets.ts).
const PERSISTENCE_FUNCTIONS = shellPiece(nodeAsset("persistence.sh"));
const HELPER_MAIN = shellPiece(nodeAsset("o-hm0-helper.sh"));
const UNIT_TEXT = nodeAsset("tricircle-lbaas-o-hm0.service");

export interface PersistenceParams {
    ohm0: OHm0Params;
    heartbeatPort: number;
}

/**
 * The program the unit runs: `up` redoes what the o-hm0 and firewall scripts do (after waiting
 * for Open vSwitch), `down` gives the address back and drops the rules.
 */
export function persistenceHelperText(p: PersistenceParams): string {
    const c = checkOHm0Params(p.ohm0);
    return [
        "#!/bin/bash",
        `# Written by tricircle-lbaas; run by ${NODE_PATHS.unitName} at boot ("up") and shutdown ("down").`,
        "# Restores o-hm0 (port, MAC, address) and the heartbeat firewall rules, which do not survive a reboot.",
        PRELUDE,
        ohm0Library(c, LIMITS.bootOvsWaitSeconds),
        firewallVars(p.heartbeatPort),
        FIREWALL_FUNCTIONS,
        `${HELPER_MAIN}\n`,
    ].join("\n\n");
}

/**
 * The systemd unit, after kolla's octavia-interface.service. Open vSwitch's unit is
 * openvswitch-switch on Debian/Ubuntu and openvswitch on RHEL, and absent where OVS runs in a
 * container (kolla): Requires= on a missing unit would fail the boot job, so the unit uses
 * Wants= + After= for ordering, PartOf= so an OVS restart re-runs it, and the helper itself
 * waits (bounded) for the OVS database.
 */
export function persistenceUnitText(): string {
    return UNIT_TEXT;
}

/** Writes (create/update) or removes (delete) the boot-time unit and its helper. */
export function persistenceScripts(p: PersistenceParams): RemoteScripts {
    const vars = assignments({
        TLB_HELPER: NODE_PATHS.helper,
        TLB_UNIT_FILE: NODE_PATHS.unitFile,
        TLB_UNIT_NAME: NODE_PATHS.unitName,
    });
    const converge = asRoot(
        "persistence",
        [
            PRELUDE,
            vars,
            fileFromHeredoc("755", "TLB_HELPER", "TLB_HELPER_EOF", persistenceHelperText(p)),
            fileFromHeredoc("644", "TLB_UNIT_FILE", "TLB_UNIT_EOF", persistenceUnitText()),
            PERSISTENCE_FUNCTIONS,
            "tlb_persistence_install",
        ].join("\n\n"),
    );
    const remove = asRoot("persistence delete", [PRELUDE, vars, PERSISTENCE_FUNCTIONS, "tlb_persistence_remove"].join("\n\n"));
    return { create: converge, delete: remove };
}

/** The commands systemd would run for ExecStart= (what the reboot test replays). */
export function unitExecLines(unitText: string, key: "ExecStart" | "ExecStop"): string[] {
    return unitText
        .split("\n")
        .filter((l) => l.startsWith(`${key}=`))
        .map((l) => l.slice(key.length + 1));
}

