import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { RegionAdoption } from "../adoption/plan";
import { adoptedOptions } from "../adoption/options";
import { RegionModel } from "../config/model";

export interface ManagementNetworkArgs {
    /** Central region: the management network is a central (Tricircle) network reaching into the local region. */
    provider: openstack.Provider;
    /** The region's `mgmt` as the model has it: names, CIDR and family, and how the controllers take addresses. */
    mgmt: RegionModel["mgmt"];
    /** Owner project id (`amphoraProject`: Octavia's project); unset: the credentials' project. */
    tenantId?: pulumi.Input<string>;
    /** The network and subnet the cloud already holds and the stack takes over (`adopt`), if any. */
    adoption?: Pick<RegionAdoption, "network" | "subnet">;
}

/**
 * Guide step 2: `lb-mgmt-net<N>` and its subnet. Non-shared and without a gateway (as kolla does): amphorae and
 * health managers talk on-link, and a gateway would hand o-hm0 a default route. DHCP only when the controllers
 * take their address by DHCP.
 */
export class ManagementNetwork extends pulumi.ComponentResource {
    public readonly networkId: pulumi.Output<string>;
    public readonly subnetId: pulumi.Output<string>;

    constructor(name: string, args: ManagementNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:cloud:ManagementNetwork", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };
        const adopted = args.adoption ?? {};
        const network = new openstack.networking.Network(
            `${name}-network`,
            adopted.network === undefined
                ? { name: args.mgmt.network, shared: false, adminStateUp: true, tenantId: args.tenantId }
                : {
                      name: adopted.network.found.name,
                      shared: adopted.network.found.shared,
                      adminStateUp: adopted.network.found.admin_state_up,
                      tenantId: adopted.network.found.project_id,
                  },
            { ...childOpts, ...adoptedOptions(adopted.network) },
        );
        // A subnet taken over keeps what running amphorae and o-hm0 depend on as found: gateway, DHCP, pools.
        const found = adopted.subnet?.found;
        const subnet = new openstack.networking.Subnet(
            `${name}-subnet`,
            found === undefined
                ? {
                      name: args.mgmt.subnet,
                      networkId: network.id,
                      cidr: args.mgmt.cidr,
                      ipVersion: args.mgmt.ipVersion,
                      noGateway: true,
                      enableDhcp: args.mgmt.addressing === "dhcp",
                      tenantId: args.tenantId,
                  }
                : {
                      name: found.name,
                      networkId: network.id,
                      cidr: found.cidr,
                      ipVersion: found.ip_version,
                      ...(found.gateway_ip === null ? { noGateway: true } : { gatewayIp: found.gateway_ip }),
                      enableDhcp: found.enable_dhcp,
                      allocationPools: found.allocation_pools,
                      tenantId: found.project_id,
                  },
            { ...childOpts, ...adoptedOptions(adopted.subnet) },
        );
        this.networkId = network.id;
        this.subnetId = subnet.id;
        this.registerOutputs({ networkId: this.networkId, subnetId: this.subnetId });
    }
}
