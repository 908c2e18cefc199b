import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { NeutronAccess } from "./portBinding/neutronAccess";
import { PortHostBinding } from "./portBinding/portHostBinding";
import { Adopted } from "../adoption/plan";
import { FoundPort } from "../adoption/inventory";
import { adoptedOptions } from "../adoption/options";
import { HEALTH_MANAGER_DEVICE_OWNER, healthManagerPortName } from "../config/names";

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
    /** The port the cloud already holds for this controller and the stack takes over (`adopt`), if any. */
    adopted?: Adopted<FoundPort>;
}


/** Guide step 2: the health manager's listen port, and its binding to the controller host in the local region. */
export class HealthManagerPort extends pulumi.ComponentResource {
    public readonly portId: pulumi.Output<string>;
    public readonly mac: pulumi.Output<string>;
    public readonly ip: pulumi.Output<string>;
    public readonly boundHostId: pulumi.Output<string>;

    constructor(name: string, args: HealthManagerPortArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:cloud:HealthManagerPort", name, {}, opts);
        const found = args.adopted?.found;
        // A port taken over keeps its name, address and MAC as found: amphorae send their heartbeats to that address,
        // and o-hm0 on the controller already carries that MAC.
        const port = new openstack.networking.Port(
            `${name}-port`,
            {
                name: found?.name ?? healthManagerPortName(args.region, args.hostname),
                networkId: args.networkId,
                fixedIps: found?.fixed_ips.map((ip) => ({ subnetId: ip.subnet_id, ipAddress: ip.ip_address })) ?? [{ subnetId: args.subnetId }],
                ...(found !== undefined ? { macAddress: found.mac_address } : {}),
                securityGroupIds: found?.security_groups ?? [args.securityGroupId],
                deviceOwner: HEALTH_MANAGER_DEVICE_OWNER,
                adminStateUp: found?.admin_state_up ?? true,
                tenantId: found?.project_id ?? args.tenantId,
            },
            { parent: this, provider: args.centralProvider, ...adoptedOptions(args.adopted) },
        );
        // A binding taken over with its port is left as found: no call when the port is already bound to the host,
        // and the port stays bound on destroy.
        const binding = new PortHostBinding(
            `${name}-binding`,
            { portId: port.id, hostId: args.hostname, region: args.region, access: args.neutronAccess, adopted: args.adopted !== undefined },
            { parent: this, ...(args.adopted !== undefined ? { retainOnDelete: true } : {}) },
        );
        this.portId = port.id;
        this.mac = port.macAddress;
        this.ip = port.allFixedIps.apply((ips) => ips[0]);
        this.boundHostId = binding.boundHostId;
        this.registerOutputs({ portId: this.portId, mac: this.mac, ip: this.ip, boundHostId: this.boundHostId });
    }
}
