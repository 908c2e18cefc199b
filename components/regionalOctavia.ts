import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { RegionModel } from "./config";
import { HealthManagerPort } from "./healthManagerPort";
import { ManagementNetwork } from "./managementNetwork";
import { NeutronAccess } from "./portHostBinding";

export interface RegionalOctaviaArgs {
    region: RegionModel;
    centralProvider: openstack.Provider;
    healthManagerSecurityGroupId: pulumi.Input<string>;
    neutronAccess: pulumi.Input<NeutronAccess>;
}

export interface HealthManagerInfo {
    hostname: string;
    portId: string;
    ip: string;
    mac: string;
}

/** Everything one local region needs from the cloud: its management network and a health-manager port per controller. */
export class RegionalOctavia extends pulumi.ComponentResource {
    public readonly mgmtNetworkId: pulumi.Output<string>;
    public readonly mgmtSubnetId: pulumi.Output<string>;
    public readonly healthManagers: pulumi.Output<HealthManagerInfo[]>;

    constructor(name: string, args: RegionalOctaviaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:region:RegionalOctavia", name, {}, opts);
        const mgmt = new ManagementNetwork(`${name}-mgmt`, { provider: args.centralProvider, mgmt: args.region.mgmt }, { parent: this });
        const ports = args.region.controllers.map(
            (controller) =>
                new HealthManagerPort(
                    `${name}-hm-${controller.hostname}`,
                    {
                        centralProvider: args.centralProvider,
                        region: args.region.name,
                        hostname: controller.hostname,
                        networkId: mgmt.networkId,
                        subnetId: mgmt.subnetId,
                        securityGroupId: args.healthManagerSecurityGroupId,
                        neutronAccess: args.neutronAccess,
                    },
                    { parent: this },
                ),
        );
        this.mgmtNetworkId = mgmt.networkId;
        this.mgmtSubnetId = mgmt.subnetId;
        this.healthManagers = pulumi.all(
            ports.map((port, i) =>
                pulumi.all([port.portId, port.ip, port.macAddress]).apply(([portId, ip, mac]) => ({
                    hostname: args.region.controllers[i].hostname,
                    portId,
                    ip,
                    mac,
                })),
            ),
        );
        this.registerOutputs({ mgmtNetworkId: this.mgmtNetworkId, mgmtSubnetId: this.mgmtSubnetId, healthManagers: this.healthManagers });
    }
}
