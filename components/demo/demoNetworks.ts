import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { DemoModel } from "../config/model";

export interface DemoNetworksArgs {
    /** Central region: tenant networks are Tricircle (central) networks that reach into every local region. */
    provider: openstack.Provider;
    /** `demo.networks`: each a network and one subnet, named `<name>` and `<name>-subnet`. */
    networks: DemoModel["networks"];
}

export interface DemoNetwork {
    /** The network's name, as `demo.networks[].name` and the backends refer to it. */
    name: string;
    /** Its subnet's CIDR, in Neutron's spelling. */
    cidr: string;
    network: openstack.networking.Network;
    /** Backends must wait for it: a server booted on a network without a subnet gets no address. */
    subnet: openstack.networking.Subnet;
}

/**
 * The guide's `net1`/`net2` and their subnets. Without a gateway: the central router's gateway is not the local
 * regions' real one, so Neutron must not hand it out. DHCP on: the backends (cirros) take their address by DHCP,
 * and the `qdhcp-<network id>` namespace is where the guide requests the VIP from.
 */
export class DemoNetworks extends pulumi.ComponentResource {
    public readonly byName: Record<string, DemoNetwork>;

    constructor(name: string, args: DemoNetworksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:demo:DemoNetworks", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };
        this.byName = {};
        for (const spec of args.networks) {
            const { cidr } = spec;
            const network = new openstack.networking.Network(
                `${name}-${spec.name}-network`,
                { name: spec.name, adminStateUp: true },
                childOpts,
            );
            const subnet = new openstack.networking.Subnet(
                `${name}-${spec.name}-subnet`,
                {
                    name: `${spec.name}-subnet`,
                    networkId: network.id,
                    cidr: cidr.text,
                    ipVersion: cidr.family,
                    noGateway: true,
                    enableDhcp: true,
                    // Stateful DHCPv6: there is no router to send RAs for SLAAC.
                    ...(cidr.family === 6 ? { ipv6AddressMode: "dhcpv6-stateful" } : {}),
                },
                childOpts,
            );
            this.byName[spec.name] = { name: spec.name, cidr: cidr.text, network, subnet };
        }
        this.registerOutputs(
            Object.fromEntries(
                Object.values(this.byName).map((n) => [n.name, { networkId: n.network.id, subnetId: n.subnet.id }]),
            ),
        );
    }

    public get(network: string): DemoNetwork {
        const found = this.byName[network];
        if (!found) {
            throw new Error(`unknown demo network "${network}" (defined: ${Object.keys(this.byName).join(", ")})`);
        }
        return found;
    }
}
