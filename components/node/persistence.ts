// Reboot persistence of o-hm0 and the firewall rule (which the guide leaves to be lost at reboot): a oneshot
// systemd unit and the helper it runs.
import { nodeAsset } from "./assets";
import { FIREWALL_FUNCTIONS, firewallVars } from "./firewall";
import { checkOHm0Params, OHM0_PROGRAMS, OHm0Params, ohm0Vars } from "./ohm0";
import { assignments, fileFromHeredoc, LIMITS, NODE_PATHS, PRELUDE, shellPiece, shellProgram } from "./remote";
import { joinPieces, packed, plainText, ScriptPiece } from "./scriptPieces";

// Read once, at module load (see assets.ts).
export const PERSISTENCE_FUNCTIONS = shellProgram("persistence.sh");
const HELPER_MAIN = packed("o-hm0-helper.sh", `${shellPiece(nodeAsset("o-hm0-helper.sh"))}\n`);
const UNIT_TEXT = nodeAsset("tricircle-lbaas-o-hm0.service");
const UNIT_PIECE = packed("tricircle-lbaas-o-hm0.service", UNIT_TEXT);

export interface PersistenceParams {
    ohm0: OHm0Params;
    /** The health-manager UDP port (`healthManager.port`) the firewall rule accepts on o-hm0. */
    heartbeatPort: number;
}

/**
 * The program the unit runs: `up` redoes what the o-hm0 and firewall scripts do (after waiting
 * for Open vSwitch), `down` gives the address back and drops the rules.
 */
export function persistenceHelperText(p: PersistenceParams): string {
    return plainText(persistenceHelper(p));
}

/** persistenceHelperText as pieces: the o-hm0 and firewall values plain, the programs packed. */
function persistenceHelper(p: PersistenceParams): ScriptPiece {
    const c = checkOHm0Params(p.ohm0);
    return joinPieces(
        [
            "#!/bin/bash",
            `# Written by tricircle-lbaas; run by ${NODE_PATHS.unitName} at boot ("up") and shutdown ("down").`,
            "# Restores o-hm0 (port, MAC, address) and the heartbeat firewall rules, which do not survive a reboot.",
            ohm0Vars(c, LIMITS.bootOvsWaitSeconds),
            firewallVars(p.heartbeatPort),
            PRELUDE,
            ...OHM0_PROGRAMS,
            FIREWALL_FUNCTIONS,
            HELPER_MAIN,
        ],
        "\n\n",
    );
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

/** Where the boot-time unit and its helper go: the persistence functions' assignments. */
export function persistenceVars(): string {
    return assignments({
        TLB_HELPER: NODE_PATHS.helper,
        TLB_UNIT_FILE: NODE_PATHS.unitFile,
        TLB_UNIT_NAME: NODE_PATHS.unitName,
    });
}

/**
 * `tlb_persistence_write_files`, which writes the unit and its helper (before `tlb_persistence_install` enables the
 * unit). A function, so that the helper's values travel in the plain run with the other values, ahead of the programs.
 */
export function persistenceFilesWriter(p: PersistenceParams): ScriptPiece {
    return joinPieces(
        [
            "tlb_persistence_write_files() {",
            fileFromHeredoc("755", "TLB_HELPER", "TLB_HELPER_EOF", persistenceHelper(p)),
            fileFromHeredoc("644", "TLB_UNIT_FILE", "TLB_UNIT_EOF", UNIT_PIECE),
            packed("tlb_persistence_write_files", "}"),
        ],
        "\n",
    );
}

/** The commands systemd would run for ExecStart= (what the reboot test replays). */
export function unitExecLines(unitText: string, key: "ExecStart" | "ExecStop"): string[] {
    return unitText
        .split("\n")
        .filter((l) => l.startsWith(`${key}=`))
        .map((l) => l.slice(key.length + 1));
}

