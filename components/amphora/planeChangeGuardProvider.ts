// The dynamic provider behind PlaneChangeGuard: before a region's controllers get a new heartbeat key or a new
// health-manager list, it looks at what that does to the region's running amphorae, and refuses a change that would
// fail them over unless the operator said so.
//
// Why: an amphora's heartbeats carry the key, and go to the health managers, its agent started with. Octavia's push
// (AmphoraAgentConfig) changes that only for agents of 15.1.0, 16.0.1, 17.0.0 or later (agentRelease.ts). For the
// others, a key rotation makes every health manager refuse their heartbeats, and replacing every health manager
// they know leaves their heartbeats unheard; either way Octavia fails the region's whole fleet over once
// `[health_manager] heartbeat_timeout` has passed. Adding a health manager, or removing some while one they know
// stays, loses nothing: they keep being heard where they were.
import * as pulumi from "@pulumi/pulumi";
import { agentAppliesPush, AGENT_RELOADS_TEXT } from "./agentRelease";
import { ListedAmphora, loadBalancersOf, regionAmphorae, tell } from "./agentConfigProvider";
import { NeutronAccess, sameAccess } from "../cloud/portBinding/neutronAccess";

export interface GuardInputs {
    /** The local region, whose Octavia API lists the running amphorae. */
    region: string;
    /** Credentials (secret): the ones the host bindings use. */
    access: NeutronAccess;
    /** SHA-256 of the heartbeat key (secret): a change of it is a key rotation. */
    keyDigest: string;
    /** The region's `controller_ip_port_list`, one `ip:port` per health manager. */
    controllers: string[];
    /** The region's management subnet: the amphorae with their management address in it are the region's. */
    mgmtCidr: string;
    /** `healthManager.amphoraAgentVersion`: the Octavia release of the running amphorae's agent, if stated. */
    agentVersion?: string;
    /** `healthManager.allowFailover`: a change the amphorae cannot follow goes ahead, and they are failed over. */
    allowFailover: boolean;
}

/** What changes for the amphorae between the settings the controllers have and the ones they are about to get. */
export interface PlaneChange {
    keyRotated: boolean;
    added: string[];
    removed: string[];
    /** The health managers of the old list that stay: amphorae that keep their old list are still heard there. */
    stillHeard: string[];
}

/** The change, or undefined when the amphorae's side of the settings stays as it is. */
export function planeChange(olds: Pick<GuardInputs, "keyDigest" | "controllers">, news: Pick<GuardInputs, "keyDigest" | "controllers">): PlaneChange | undefined {
    const keyRotated = olds.keyDigest !== news.keyDigest;
    const added = news.controllers.filter((c) => !olds.controllers.includes(c));
    const removed = olds.controllers.filter((c) => !news.controllers.includes(c));
    if (!keyRotated && added.length === 0 && removed.length === 0) return undefined;
    return { keyRotated, added, removed, stillHeard: olds.controllers.filter((c) => news.controllers.includes(c)) };
}

/** What the guard does about a change: refuse it (with why), or say what it does to the fleet (or nothing). */
export interface Verdict {
    refuse?: string;
    tell?: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The decision, from the change, the settings and the region's running amphorae (or the error that listing them
 * gave). Pure: the provider lists, this judges.
 */
export function judgePlaneChange(change: PlaneChange, news: Pick<GuardInputs, "region" | "agentVersion" | "allowFailover">, fleet: ListedAmphora[] | Error): Verdict {
    const { region, agentVersion, allowFailover } = news;
    const follows = agentAppliesPush(agentVersion);
    const unheard = change.stillHeard.length === 0 && change.removed.length > 0;
    const fatal = !follows && (change.keyRotated || unheard);
    const what = [
        ...(change.keyRotated ? ["the heartbeat key rotation"] : []),
        ...(unheard ? [`replacing every health manager the amphorae know (${change.removed.join(", ")})`] : []),
    ].join(" and ");
    if (fleet instanceof Error) {
        if (!fatal || allowFailover) return { tell: `region ${region}: could not count the running amphorae this change reaches (${fleet.message})` };
        return {
            refuse:
                `region ${region}: ${what} is refused: the region's running amphorae could not be listed (${fleet.message}), and ` +
                `any of them would be failed over (see healthManager.amphoraAgentVersion). Nothing was changed. Retry once the region's ` +
                `Octavia answers, or set healthManager.allowFailover: true to go ahead regardless.`,
        };
    }
    if (fleet.length === 0) return {};
    const amphorae = `${plural(fleet.length, "running amphora", "running amphorae")} (load balancers ${loadBalancersOf(fleet)})`;
    const verb = (one: string, many: string) => (fleet.length === 1 ? one : many);
    if (follows) {
        return { tell: `region ${region}: ${amphorae} ${verb("takes", "take")} the new heartbeat settings from Octavia's push within two heartbeat intervals (agent of Octavia ${agentVersion}), without a restart or a failover` };
    }
    const agent = agentVersion === undefined ? "an agent of an unstated Octavia release (healthManager.amphoraAgentVersion)" : `an agent of Octavia ${agentVersion}`;
    if (!fatal) {
        return {
            tell:
                `region ${region}: ${amphorae} ${verb("keeps", "keep")} sending heartbeats to the health managers they started with, still heard at ` +
                `${change.stillHeard.join(", ")}${change.added.length > 0 ? `; ${change.added.join(", ")} hear them only once they restart` : ""} (${agent} ` +
                `applies Octavia's push to its heartbeats from ${AGENT_RELOADS_TEXT} only)`,
        };
    }
    const fate = change.keyRotated ? "every health manager refuses their heartbeats" : "no health manager hears their heartbeats";
    if (allowFailover) return { tell: `region ${region}: ${what} fails over ${amphorae} once heartbeat_timeout has passed: ${fate} (healthManager.allowFailover)` };
    return {
        refuse:
            `region ${region}: ${what} would fail over ${amphorae}: ${agent} keeps signing its heartbeats with the key, and sending ` +
            `them to the health managers, it started with, whatever Octavia pushes (Octavia bug 2121691), so ${fate} and Octavia ` +
            `fails them over once heartbeat_timeout has passed. Nothing was changed. If their image's agent is Octavia ` +
            `${AGENT_RELOADS_TEXT}, set healthManager.amphoraAgentVersion to that release; to go ahead and let them fail over, set ` +
            `healthManager.allowFailover: true.`,
    };
}

/** Lists the region's running amphorae and judges the change: throws a refusal, tells the rest. */
export async function guardPlaneChange(change: PlaneChange, news: GuardInputs): Promise<void> {
    const fleet = await regionAmphorae(news).then(
        ({ targets }) => targets,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    const verdict = judgePlaneChange(change, news, fleet);
    if (verdict.refuse !== undefined) throw new Error(verdict.refuse);
    if (verdict.tell !== undefined) tell(verdict.tell);
}

// Pulumi serialises this object and the functions it calls into the state and runs them in a separate provider
// process, without this module around them: they require what they need at call time and capture nothing else.
export const planeChangeGuardProvider: pulumi.dynamic.ResourceProvider = {
    // The check runs in the diff, which the engine makes in `preview` and in `up` alike, before the controllers that
    // depend on this resource are touched: a refusal leaves the whole region as it was.
    async diff(_id: string, olds: GuardInputs, news: GuardInputs) {
        const change = planeChange(olds, news);
        if (change !== undefined) await guardPlaneChange(change, news);
        const same =
            change === undefined &&
            olds.region === news.region &&
            olds.mgmtCidr === news.mgmtCidr &&
            olds.agentVersion === news.agentVersion &&
            olds.allowFailover === news.allowFailover &&
            sameAccess(olds.access, news.access);
        return { changes: !same, replaces: [] };
    },

    // A first deployment has no settings of the stack's to compare with: a plane taken over keeps its key and list
    // (the octavia.conf adoption refuses a different one).
    async create(inputs: GuardInputs) {
        return { id: `${inputs.region}-plane-change-guard`, outs: { ...inputs } };
    },

    async update(_id: string, _olds: GuardInputs, news: GuardInputs) {
        return { outs: { ...news } };
    },

    async delete() {},
};
