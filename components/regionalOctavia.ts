import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { RegionModel } from "./config/model";
import { ControllerNode } from "./node/controllerNode";
import { HealthManagerPort } from "./cloud/healthManagerPort";
import { ManagementNetwork } from "./cloud/managementNetwork";
import { NeutronAccess } from "./cloud/portHostBinding";

export interface RegionalOctaviaArgs {
    /** The local region as configured (`regions[]`): management network, controllers, Octavia settings. */
    region: RegionModel;
    /** The central region's name (`centralRegion`). */
    centralRegion: string;
    /** The central region's provider: management networks and ports are central (Tricircle) resources. */
    centralProvider: openstack.Provider;
    /** The amphora security group (AmphoraSecurityGroups), for each node's octavia.conf. */
    amphoraSecurityGroupId: pulumi.Input<string>;
    /** The health-manager security group, on every health-manager port. */
    healthManagerSecurityGroupId: pulumi.Input<string>;
    /** The UDP port health managers hear heartbeats on (`healthManager.port`). */
    heartbeatPort: number;
    /** Credentials and endpoint options for the local region's Neutron (the host bindings). */
    neutronAccess: pulumi.Input<NeutronAccess>;
    /** Secret; required (validated) as soon as the region has controllers. */
    heartbeatKey?: pulumi.Input<string>;
    /** Secret; required (validated) as soon as the region has controllers. */
    sshPrivateKey?: pulumi.Input<string>;
    /** Owner project id of the management network and health-manager ports (`amphoraProject`); unset: the credentials'. */
    tenantId?: pulumi.Input<string>;
}

/** One health manager of the region, as the stack's `regions` output reports it. */
export interface HealthManagerInfo {
    /** The controller's binding host id. */
    hostname: string;
    /** Its health-manager port in Neutron. */
    portId: string;
    /** The address o-hm0 carries on the host. */
    ip: string;
    /** The MAC o-hm0 carries on the host. */
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
        const mgmt = new ManagementNetwork(`${name}-mgmt`, { provider: args.centralProvider, mgmt: region.mgmt, tenantId: args.tenantId }, { parent: this });
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
                        tenantId: args.tenantId,
                    },
                    { parent: this },
                ),
        );
        // Every health manager of the region hears every amphora of the region: each node lists them all.
        const controllerIpPortList = pulumi.all(ports.map((p) => p.ip)).apply((ips) => ips.map((ip) => `${ip}:${args.heartbeatPort}`).join(","));
        const nodes = region.controllers.map((controller, i) => {
            if (args.heartbeatKey === undefined || args.sshPrivateKey === undefined) {
                throw new Error(`region ${region.name} has controllers but no heartbeat key or SSH key (the config check should have caught this)`);
            }
            return new ControllerNode(
                `${name}-node-${controller.hostname}`,
                {
                    controller,
                    region,
                    centralRegion: args.centralRegion,
                    port: { id: ports[i].portId, mac: ports[i].mac, ip: ports[i].ip },
                    heartbeatPort: args.heartbeatPort,
                    sshPrivateKey: args.sshPrivateKey,
                    controllerIpPortList,
                    heartbeatKey: args.heartbeatKey,
                    mgmtNetworkId: mgmt.networkId,
                    amphoraSecurityGroupId: args.amphoraSecurityGroupId,
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
