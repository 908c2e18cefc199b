import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { StackModel } from "../config/model";
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
        const groups = {
            amphora: new openstack.networking.SecGroup(
                `${name}-amphora`,
                { name: args.groups.amphora, description: "Octavia amphorae (managed by tricircle-lbaas)", tenantId: args.tenantId },
                childOpts,
            ),
            healthManager: new openstack.networking.SecGroup(
                `${name}-health-manager`,
                { name: args.groups.healthManager, description: "Octavia health managers (managed by tricircle-lbaas)", tenantId: args.tenantId },
                childOpts,
            ),
        };
        for (const rule of securityGroupRules({ ...args.groups, heartbeatPort: args.heartbeatPort })) {
            new openstack.networking.SecGroupRule(
                `${name}-${rule.key}`,
                {
                    securityGroupId: groups[rule.group].id,
                    direction: "ingress",
                    ethertype: rule.ethertype,
                    protocol: rule.protocol,
                    portRangeMin: rule.portRangeMin,
                    portRangeMax: rule.portRangeMax,
                    remoteIpPrefix: rule.remoteIpPrefix,
                    // A rule belongs to its group's owner (Neutron would give it the caller's project otherwise).
                    tenantId: args.tenantId,
                },
                childOpts,
            );
        }
        this.amphoraGroupId = groups.amphora.id;
        this.healthManagerGroupId = groups.healthManager.id;
        this.registerOutputs({ amphoraGroupId: this.amphoraGroupId, healthManagerGroupId: this.healthManagerGroupId });
    }
}
