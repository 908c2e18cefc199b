// The program's look at the cloud before it plans the plane: the inventory (what exists), the plan (what to adopt,
// what to refuse), and the program's answer: a refusal ends it before anything of the plane is registered; what is
// taken over, and the rules kept as found, are listed in its output.
import * as pulumi from "@pulumi/pulumi";
import { known } from "../known";
import { fixedRunError } from "../runError";
import { NeutronAccess } from "../cloud/portBinding/neutronAccess";
import { adoptedTag, stackTag } from "../cloud/tags";
import { StackModel } from "../config/model";
import { healthManagerPortName } from "../config/names";
import { FoundRule, readInventory } from "./inventory";
import { planAdoption, PlaneAdoption } from "./plan";

function ruleText(group: string, r: FoundRule): string {
    const ports = r.port_range_min === null ? "" : ` ${r.port_range_min}${r.port_range_max !== r.port_range_min ? `-${r.port_range_max}` : ""}`;
    const source = r.remote_group_id !== null ? `group ${r.remote_group_id}` : (r.remote_ip_prefix ?? "any");
    return `${group}: ingress ${r.ethertype} ${r.protocol ?? "any"}${ports} from ${source} (${r.id})`;
}

/**
 * Looks on the cloud for what the stack would create and is not its own, and decides: without `adopt` any of it is
 * refused, with it each object is taken over (or refused where it contradicts the configuration).
 */
export async function discoverAdoption(model: StackModel, access: pulumi.Output<NeutronAccess>, ownerProjectId?: pulumi.Output<string>): Promise<PlaneAdoption> {
    const query = {
        centralRegion: model.centralRegion,
        localRegions: model.regions.map((r) => r.name),
        groupNames: [model.securityGroups.amphora, model.securityGroups.healthManager],
        networkNames: model.regions.map((r) => r.mgmt.network),
        subnetNames: model.regions.map((r) => r.mgmt.subnet),
        portNames: model.regions.flatMap((r) => r.controllers.map((c) => healthManagerPortName(r.name, c.hostname))),
    };
    let inventory;
    try {
        inventory = await readInventory(await known(access), query);
    } catch (err) {
        throw fixedRunError(`looking on the cloud for an existing management plane failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const plan = planAdoption(inventory, {
        model,
        stackTag: stackTag(),
        adoptedTag: adoptedTag(),
        ownerProjectId: ownerProjectId === undefined ? undefined : await known(ownerProjectId),
    });
    if (plan.refusals.length > 0) {
        throw fixedRunError(`The cloud already holds objects of the management plane (tricircle-lbaas):\n${plan.refusals.map((r) => `  - ${r}`).join("\n")}`);
    }
    for (const line of plan.adopted) void pulumi.log.info(`adopt: taking over ${line}`);
    for (const { group, rule } of plan.plane.keptRules) {
        void pulumi.log.info(`adopt: kept as found (the configuration would not make it): ${ruleText(group, rule)}`);
    }
    return plan.plane;
}
