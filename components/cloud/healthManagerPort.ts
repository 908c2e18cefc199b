import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { NeutronAccess } from "./portBinding/neutronAccess";
import { PortHostBinding } from "./portBinding/portHostBinding";
import { healthManagerPortName } from "../config/names";

export interface HealthManagerPortArgs {
    /** Central region provider: the port lives on the central management network. */
    centralProvider: openstack.Provider;
    /** Local region whose Neutron binds the port to the controller host. */
    region: string;
    /** The controller's binding host id (`controllers[].hostname`): the port's `binding:host_id` and part of its name. */
    hostname: string;
    /** The region's management network (ManagementNetwork). */
    networkId: pulumi.Input<string>;
    /** The management subnet the port takes its fixed IP from. */
    subnetId: pulumi.Input<string>;
    /** The health-manager security group: amphorae reach the port on the heartbeat port only. */
    securityGroupId: pulumi.Input<string>;
    /** Credentials and endpoint options for the local region's Neutron, which the binding calls. */
    neutronAccess: pulumi.Input<NeutronAccess>;
    /** Owner project id (`amphoraProject`: Octavia's project); unset: the credentials' project. */
    tenantId?: pulumi.Input<string>;
}


/** Guide step 2: the health manager's listen port, and its binding to the controller host in the local region. */
export class HealthManagerPort extends pulumi.ComponentResource {
    public readonly portId: pulumi.Output<string>;
    public readonly mac: pulumi.Output<string>;
    public readonly ip: pulumi.Output<string>;
    public readonly boundHostId: pulumi.Output<string>;

    constructor(name: string, args: HealthManagerPortArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:cloud:HealthManagerPort", name, {}, opts);
        const port = new openstack.networking.Port(
            `${name}-port`,
            {
                name: healthManagerPortName(args.region, args.hostname),
                networkId: args.networkId,
                fixedIps: [{ subnetId: args.subnetId }],
                securityGroupIds: [args.securityGroupId],
                deviceOwner: "Octavia:health-mgr",
                adminStateUp: true,
                tenantId: args.tenantId,
            },
            { parent: this, provider: args.centralProvider },
        );
        const binding = new PortHostBinding(
            `${name}-binding`,
            { portId: port.id, hostId: args.hostname, region: args.region, access: args.neutronAccess },
            { parent: this },
        );
        this.portId = port.id;
        this.mac = port.macAddress;
        this.ip = port.allFixedIps.apply((ips) => ips[0]);
        this.boundHostId = binding.boundHostId;
        this.registerOutputs({ portId: this.portId, mac: this.mac, ip: this.ip, boundHostId: this.boundHostId });
    }
}
