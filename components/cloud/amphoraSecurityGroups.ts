import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { StackModel } from "../config/model";
import { Adopted, PlaneAdoption } from "../adoption/plan";
import { FoundGroup } from "../adoption/inventory";
import { adoptedOptions } from "../adoption/options";
import { securityGroupRules } from "./securityGroupRules";

export interface AmphoraSecurityGroupsArgs {
    /** The central region's provider: Tricircle keeps security groups in the central Neutron. */
    provider: openstack.Provider;
    /** `securityGroups` as the model has it: both names, the amphora TCP ports, and the resolved sources. */
    groups: StackModel["securityGroups"];
    /** The UDP port health managers hear heartbeats on (`healthManager.port`). */
    heartbeatPort: number;
    /** Owner project id (`amphoraProject`: Octavia's project); unset: the credentials' project. */
    tenantId?: pulumi.Input<string>;
    /** Groups and rules the cloud already holds and the stack takes over (`adopt`): imported as found, kept on destroy. */
    adoption?: Pick<PlaneAdoption, "groups" | "rules">;
}

/**
 * Guide step 1: `lb-mgmt-sec-grp` for amphorae and `lb-health-mgr-sec-grp` for health-manager ports.
 * Neutron's default egress rules are kept: amphorae must reach the health managers (UDP) and their members,
 * and the guide never restricts egress.
 */
export class AmphoraSecurityGroups extends pulumi.ComponentResource {
    public readonly amphoraGroupId: pulumi.Output<string>;
    public readonly healthManagerGroupId: pulumi.Output<string>;

    constructor(name: string, args: AmphoraSecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:cloud:AmphoraSecurityGroups", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };
        const adoption = args.adoption ?? { groups: {}, rules: {} };
        // A group taken over keeps its name, description and owner as found: only the stack's tags are added.
        const group = (suffix: string, configured: string, description: string, adopted?: Adopted<FoundGroup>) =>
            new openstack.networking.SecGroup(
                `${name}-${suffix}`,
                adopted === undefined
                    ? { name: configured, description, tenantId: args.tenantId }
                    : { name: adopted.found.name, description: adopted.found.description, tenantId: adopted.found.project_id },
                { ...childOpts, ...adoptedOptions(adopted) },
            );
        const groups = {
            amphora: group("amphora", args.groups.amphora, "Octavia amphorae (managed by tricircle-lbaas)", adoption.groups.amphora),
            healthManager: group("health-manager", args.groups.healthManager, "Octavia health managers (managed by tricircle-lbaas)", adoption.groups.healthManager),
        };
        for (const rule of securityGroupRules({ ...args.groups, heartbeatPort: args.heartbeatPort })) {
            const adopted = adoption.rules[rule.key];
            const owner = adoption.groups[rule.group];
            new openstack.networking.SecGroupRule(
                `${name}-${rule.key}`,
                {
                    securityGroupId: groups[rule.group].id,
                    direction: "ingress",
                    ethertype: rule.ethertype,
                    protocol: rule.protocol,
                    portRangeMin: rule.portRangeMin,
                    portRangeMax: rule.portRangeMax,
                    // Every field of a rule forces a new rule: one taken over keeps Neutron's "any source" (none) as found.
                    remoteIpPrefix: adopted !== undefined && adopted.found.remote_ip_prefix === null ? undefined : rule.remoteIpPrefix,
                    // A rule belongs to its group's owner (Neutron would give it the caller's project otherwise).
                    tenantId: owner !== undefined ? owner.found.project_id : args.tenantId,
                },
                { ...childOpts, ...adoptedOptions(adopted) },
            );
        }
        this.amphoraGroupId = groups.amphora.id;
        this.healthManagerGroupId = groups.healthManager.id;
        this.registerOutputs({ amphoraGroupId: this.amphoraGroupId, healthManagerGroupId: this.healthManagerGroupId });
    }
}
