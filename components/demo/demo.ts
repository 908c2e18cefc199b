import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { DemoModel } from "../config/model";
import { BackendServer } from "./backendServer";
import { DemoNetworks } from "./demoNetworks";
import { DemoLoadBalancer, LoadBalancerOutput } from "./loadBalancer";
import { renderUserData, webServerPorts } from "./userData";

/** What the demo needs of `RegionalProviders`. */
export interface DemoProviders {
    /** Tricircle's central region: networks, subnets and security groups. */
    central: openstack.Provider;
    /** A local region's provider: servers and load balancers. */
    region(name: string): openstack.Provider;
}

export interface DemoArgs {
    /** The demo as configured (`demo`): image, flavor, networks, backends and load balancers. */
    demo: DemoModel;
    /** One provider per region; the demo makes every resource through the provider of the region it belongs to. */
    providers: DemoProviders;
    /**
     * Per region, what its Octavia must have before a load balancer is made there: the region's management plane and
     * its controllers' octavia.conf and restart (`RegionalOctavia`). The guide plays only after step 4; an amphora
     * booted earlier lands on the plane Octavia knew before, or reports to no health manager.
     */
    octaviaReady?: Record<string, pulumi.Resource>;
}

/**
 * The guide's "How to play": tenant networks, backend VMs answering `Welcome to <IP>`, and load balancers over
 * them. Any of the guide's three scenarios (members on the VIP network in the VIP's region, the same network in
 * another region, another network in another region) follows from the config alone: a member's subnet is always
 * its own network's, and every resource is made through the provider of the region it belongs to.
 */
export class Demo extends pulumi.ComponentResource {
    /** The contract's `loadBalancers` output: name -> { id, vipAddress, listenerId, poolId, members }. */
    public readonly loadBalancers: pulumi.Output<Record<string, LoadBalancerOutput>>;

    constructor(name: string, args: DemoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:demo:Demo", name, {}, opts);
        const { demo, providers } = args;
        const central = { parent: this, provider: providers.central };

        const networks = new DemoNetworks(`${name}-networks`, { provider: providers.central, networks: demo.networks }, { parent: this });

        // Every backend listens on every member port in use (80 at least), so one group and one user-data fit all.
        const ports = webServerPorts(demo.loadBalancers.map((lb) => lb.pool.memberPort));
        const userData = renderUserData({ ports });
        // Central region: the backends' ports live on central networks, and so do the groups applied to them.
        // Named after the stack: Nova resolves names, and two stacks in one project must not share one.
        const group = new openstack.networking.SecGroup(
            `${name}-backend-http`,
            {
                name: `${pulumi.getProject()}-${pulumi.getStack()}-demo-backend-http`,
                description: "Demo backends: HTTP from the demo networks (amphorae and the qdhcp namespaces) (managed by tricircle-lbaas)",
            },
            central,
        );
        for (const network of demo.networks) {
            const cidr = network.cidr;
            for (const port of ports) {
                // Amphorae reach members from an address on the member's (or the VIP's) demo network.
                new openstack.networking.SecGroupRule(
                    `${name}-backend-http-${network.name}-tcp${port}`,
                    {
                        securityGroupId: group.id,
                        direction: "ingress",
                        ethertype: cidr.family === 4 ? "IPv4" : "IPv6",
                        protocol: "tcp",
                        portRangeMin: port,
                        portRangeMax: port,
                        remoteIpPrefix: cidr.text,
                    },
                    central,
                );
            }
        }

        // One lookup per region that has backends: images and flavors are per region and may differ in id.
        const lookups = new Map<string, { imageId: pulumi.Output<string>; flavorId: pulumi.Output<string> }>();
        for (const region of new Set(demo.backends.map((b) => b.region))) {
            const invokeOpts = { parent: this, provider: providers.region(region) };
            const image = openstack.images.getImageOutput({ name: demo.image, mostRecent: true, region }, invokeOpts);
            const flavor = openstack.compute.getFlavorOutput({ name: demo.flavor, region }, invokeOpts);
            lookups.set(region, { imageId: image.id, flavorId: flavor.id });
        }

        const backends = new Map<string, { server: BackendServer; region: string; network: string }>();
        for (const spec of demo.backends) {
            const network = networks.get(spec.network);
            const lookup = lookups.get(spec.region)!;
            const server = new BackendServer(
                `${name}-backend-${spec.name}`,
                {
                    provider: providers.region(spec.region),
                    serverName: spec.name,
                    networkId: network.network.id,
                    subnet: network.subnet,
                    imageId: lookup.imageId,
                    flavorId: lookup.flavorId,
                    securityGroupNames: [group.name],
                    userData,
                },
                { parent: this },
            );
            backends.set(spec.name, { server, region: spec.region, network: spec.network });
        }

        const loadBalancers: Record<string, pulumi.Output<LoadBalancerOutput>> = {};
        for (const spec of demo.loadBalancers) {
            const lb = new DemoLoadBalancer(
                `${name}-lb-${spec.name}`,
                {
                    provider: providers.region(spec.region),
                    spec,
                    vipSubnetId: networks.get(spec.vipNetwork).subnet.id,
                    vipNetworkId: networks.get(spec.vipNetwork).network.id,
                    octaviaReady: args.octaviaReady?.[spec.region],
                    members: spec.members.map((member) => {
                        const backend = backends.get(member)!;
                        return {
                            name: member,
                            address: backend.server.address,
                            subnetId: networks.get(backend.network).subnet.id,
                            region: backend.region,
                        };
                    }),
                },
                { parent: this },
            );
            loadBalancers[spec.name] = lb.summary;
        }
        this.loadBalancers = pulumi.output(loadBalancers);
        this.registerOutputs({ loadBalancers: this.loadBalancers });
    }
}
