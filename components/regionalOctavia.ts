import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { RegionModel } from "./config";
import { ControllerNode } from "./controllerNode";
import { HealthManagerPort } from "./healthManagerPort";
import { ManagementNetwork } from "./managementNetwork";
import { NeutronAccess } from "./portHostBinding";

export interface RegionalOctaviaArgs {
    region: RegionModel;
    centralRegion: string;
    centralProvider: openstack.Provider;
    amphoraSecurityGroupId: pulumi.Input<string>;
    healthManagerSecurityGroupId: pulumi.Input<string>;
    healthManagerPort: number;
    neutronAccess: pulumi.Input<NeutronAccess>;
    /** Required (validated) as soon as the region has controllers. */
    heartbeatKey?: pulumi.Input<string>;
    sshPrivateKey?: pulumi.Input<string>;
}

export interface HealthManagerInfo {
    hostname: string;
    portId: string;
    ip: string;
    mac: string;
}

/**
 * Everything one local region needs: its management network, a health-manager port per controller bound to that
 * controller, and the controller's own plumbing (o-hm0, firewall, persistence, octavia.conf).
 */
export class RegionalOctavia extends pulumi.ComponentResource {
    public readonly mgmtNetworkId: pulumi.Output<string>;
    public readonly mgmtSubnetId: pulumi.Output<string>;
    public readonly healthManagers: pulumi.Output<HealthManagerInfo[]>;

    constructor(name: string, args: RegionalOctaviaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:region:RegionalOctavia", name, {}, opts);
        const { region } = args;
        const mgmt = new ManagementNetwork(`${name}-mgmt`, { provider: args.centralProvider, mgmt: region.mgmt }, { parent: this });
        const ports = region.controllers.map(
            (controller) =>
                new HealthManagerPort(
                    `${name}-hm-${controller.hostname}`,
                    {
                        centralProvider: args.centralProvider,
                        region: region.name,
                        hostname: controller.hostname,
                        networkId: mgmt.networkId,
                        subnetId: mgmt.subnetId,
                        securityGroupId: args.healthManagerSecurityGroupId,
                        neutronAccess: args.neutronAccess,
                    },
                    { parent: this },
                ),
        );
        // Every health manager of the region hears every amphora of the region: each node lists them all.
        const controllerIpPortList = pulumi.all(ports.map((p) => p.ip)).apply((ips) => ips.map((ip) => `${ip}:${args.healthManagerPort}`).join(","));
        const nodes = region.controllers.map((controller, i) => {
            if (args.heartbeatKey === undefined || args.sshPrivateKey === undefined) {
                throw new Error(`region ${region.name} has controllers but no heartbeat key or SSH key (the config check should have caught this)`);
            }
            return new ControllerNode(
                `${name}-node-${controller.hostname}`,
                {
                    region: region.name,
                    centralRegion: args.centralRegion,
                    host: controller.host,
                    hostname: controller.hostname,
                    ovsBridge: controller.ovsBridge,
                    sshUser: controller.sshUser,
                    sshPort: controller.sshPort,
                    sshPrivateKey: args.sshPrivateKey,
                    hostKey: controller.hostKey,
                    addressing: region.mgmt.addressing,
                    portId: ports[i].portId,
                    portMac: ports[i].macAddress,
                    portIp: ports[i].ip,
                    prefixLength: region.mgmt.prefixLength,
                    healthManagerPort: args.healthManagerPort,
                    controllerIpPortList,
                    heartbeatKey: args.heartbeatKey,
                    mgmtNetworkId: mgmt.networkId,
                    amphoraSecurityGroupId: args.amphoraSecurityGroupId,
                    octavia: region.octavia,
                },
                // o-hm0 takes over the port's identity on the host only once Neutron has it bound there.
                { parent: this, dependsOn: [ports[i]] },
            );
        });
        this.mgmtNetworkId = mgmt.networkId;
        this.mgmtSubnetId = mgmt.subnetId;
        this.healthManagers = pulumi.all(
            ports.map((port, i) =>
                // IP and MAC as the host reports them, so the output shows what amphorae will really talk to.
                pulumi.all([port.portId, nodes[i].ip, nodes[i].mac]).apply(([portId, ip, mac]) => ({
                    hostname: region.controllers[i].hostname,
                    portId,
                    ip,
                    mac,
                })),
            ),
        );
        this.registerOutputs({ mgmtNetworkId: this.mgmtNetworkId, mgmtSubnetId: this.mgmtSubnetId, healthManagers: this.healthManagers });
    }
}
