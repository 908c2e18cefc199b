import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";

export interface BackendServerArgs {
    /** The backend's local region: Nova runs there, the network it plugs into is central. */
    provider: openstack.Provider;
    /** The server's name in Nova (`demo.backends[].name`). */
    serverName: string;
    /** The backend's (central) demo network: Nova plugs the server's one port into it. */
    networkId: pulumi.Input<string>;
    /** Nova must not boot before the subnet exists: a port on a network without one gets no address. */
    subnet: pulumi.Resource;
    /** Looked up by name in the backend's own region: Glance and Nova are per region. */
    imageId: pulumi.Input<string>;
    /** Looked up by name in the backend's own region, as the image is. */
    flavorId: pulumi.Input<string>;
    /** Names, as Nova takes them; the provider reads names back, so ids would show a diff on every refresh. */
    securityGroupNames: pulumi.Input<string>[];
    /** The cloud-config that starts the web server (userData.ts); the same for every backend. */
    userData: string;
}

/** One of the guide's backend VMs: boots on its demo network and serves `Welcome to <its IP>` on port 80. */
export class BackendServer extends pulumi.ComponentResource {
    public readonly instanceId: pulumi.Output<string>;
    /** The fixed IPv4 address on the demo network: the pool member's address. */
    public readonly address: pulumi.Output<string>;

    constructor(name: string, args: BackendServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:demo:BackendServer", name, {}, opts);
        const instance = new openstack.compute.Instance(
            `${name}-server`,
            {
                name: args.serverName,
                imageId: args.imageId,
                flavorId: args.flavorId,
                networks: [{ uuid: args.networkId }],
                securityGroups: args.securityGroupNames,
                userData: args.userData,
                // The demo networks have no router, so the metadata service is only reachable through the DHCP
                // agent's isolated-metadata proxy, which is off by default; a config drive does not need it.
                configDrive: true,
            },
            { parent: this, provider: args.provider, dependsOn: [args.subnet], customTimeouts: { create: "20m", delete: "20m" } },
        );
        this.instanceId = instance.id;
        this.address = pulumi
            .all([instance.networks, instance.accessIpV4])
            .apply(([networks, accessIp]) => networks?.[0]?.fixedIpV4 || accessIp);
        this.registerOutputs({ instanceId: this.instanceId, address: this.address });
    }
}
