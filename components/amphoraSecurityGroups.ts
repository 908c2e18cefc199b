import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { IpFamily } from "./cidr";
import { securityGroupRules } from "./securityGroupRules";

export interface AmphoraSecurityGroupsArgs {
    /** The central region's provider: Tricircle keeps security groups in the central Neutron. */
    provider: openstack.Provider;
    amphoraGroupName: string;
    healthManagerGroupName: string;
    amphoraTcpPorts: number[];
    healthManagerPort: number;
    sources: { cidr: string; family: IpFamily }[];
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
                { name: args.amphoraGroupName, description: "Octavia amphorae (managed by tricircle-lbaas)" },
                childOpts,
            ),
            healthManager: new openstack.networking.SecGroup(
                `${name}-health-manager`,
                { name: args.healthManagerGroupName, description: "Octavia health managers (managed by tricircle-lbaas)" },
                childOpts,
            ),
        };
        for (const rule of securityGroupRules(args)) {
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
                },
                childOpts,
            );
        }
        this.amphoraGroupId = groups.amphora.id;
        this.healthManagerGroupId = groups.healthManager.id;
        this.registerOutputs({ amphoraGroupId: this.amphoraGroupId, healthManagerGroupId: this.healthManagerGroupId });
    }
}
