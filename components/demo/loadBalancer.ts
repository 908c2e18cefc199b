import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { DemoModel } from "../config/model";

export type LoadBalancerSpec = DemoModel["loadBalancers"][number];

export interface PoolMember {
    /** The backend's name: the member's name in Octavia and the key of the stack output. */
    name: string;
    address: pulumi.Input<string>;
    /** The subnet of the member's own network, which may differ from the VIP's (scenario 3 of the guide). */
    subnetId: pulumi.Input<string>;
    region: string;
}

export interface DemoLoadBalancerArgs {
    /** The load balancer's region: Octavia is per region, its VIP sits on a central subnet. */
    provider: openstack.Provider;
    /** The load balancer as configured (`demo.loadBalancers[]`): name, listener, pool, members, monitor. */
    spec: LoadBalancerSpec;
    /** The VIP network's subnet, where Octavia allocates the VIP port. */
    vipSubnetId: pulumi.Input<string>;
    /** Only reported: the guide requests the VIP from this network's `qdhcp-<id>` namespace. */
    vipNetworkId: pulumi.Input<string>;
    /** The backends of `spec.members`, resolved to their addresses and subnets. */
    members: PoolMember[];
    /** What the region's Octavia needs first (its management plane, octavia.conf, the restart): see `DemoArgs`. */
    octaviaReady?: pulumi.Input<pulumi.Resource>;
}

export interface LoadBalancerOutput {
    id: string;
    vipAddress: string;
    listenerId: string;
    poolId: string;
    /** Beyond the contract's keys, for the round-robin check: the VIP's port, and the VIP network (`qdhcp-<id>`). */
    listenerPort: number;
    vipNetworkId: string;
    members: { name: string; address: string; region: string }[];
}

// Amphorae boot a VM each; on nested virtualisation that alone takes many minutes.
const LB_TIMEOUTS: pulumi.CustomTimeouts = { create: "30m", update: "30m", delete: "30m" };
// Every change below waits for the load balancer to return to ACTIVE first.
const CHILD_TIMEOUTS: pulumi.CustomTimeouts = { create: "20m", update: "20m", delete: "20m" };

/**
 * The guide's `loadbalancer create`, `listener create`, `pool create` and `member create`. Octavia rejects a change
 * to a load balancer that is still PENDING_UPDATE from the previous one (409 "immutable"), so the chain is explicit
 * (listener -> pool -> members -> monitor, even where an input already implies it), the members go in as one
 * batch (one PUT of the member list, one amphora reconfiguration), and deletion runs the chain backwards.
 */
export class DemoLoadBalancer extends pulumi.ComponentResource {
    public readonly loadBalancerId: pulumi.Output<string>;
    public readonly vipAddress: pulumi.Output<string>;
    public readonly listenerId: pulumi.Output<string>;
    public readonly poolId: pulumi.Output<string>;
    /** The load balancer as the stack's `loadBalancers` output reports it. */
    public readonly summary: pulumi.Output<LoadBalancerOutput>;

    constructor(name: string, args: DemoLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:demo:LoadBalancer", name, {}, opts);
        const spec = args.spec;
        const base = { parent: this, provider: args.provider };
        const lb = new openstack.loadbalancer.LoadBalancer(
            `${name}-lb`,
            { name: spec.name, vipSubnetId: args.vipSubnetId, adminStateUp: true },
            { ...base, customTimeouts: LB_TIMEOUTS, dependsOn: args.octaviaReady ? [args.octaviaReady] : [] },
        );
        const listener = new openstack.loadbalancer.Listener(
            `${name}-listener`,
            {
                name: `${spec.name}-listener`,
                loadbalancerId: lb.id,
                protocol: spec.listener.protocol,
                protocolPort: spec.listener.port,
            },
            { ...base, dependsOn: [lb], customTimeouts: CHILD_TIMEOUTS },
        );
        const pool = new openstack.loadbalancer.Pool(
            `${name}-pool`,
            {
                name: `${spec.name}-pool`,
                listenerId: listener.id,
                protocol: spec.pool.protocol,
                lbMethod: spec.pool.algorithm,
            },
            { ...base, dependsOn: [listener], customTimeouts: CHILD_TIMEOUTS },
        );
        let last: pulumi.Resource = pool;
        if (args.members.length > 0) {
            last = new openstack.loadbalancer.Members(
                `${name}-members`,
                {
                    poolId: pool.id,
                    members: args.members.map((m) => ({
                        name: m.name,
                        address: m.address,
                        subnetId: m.subnetId,
                        protocolPort: spec.pool.memberPort,
                    })),
                },
                { ...base, dependsOn: [pool], customTimeouts: CHILD_TIMEOUTS },
            );
        }
        if (spec.healthMonitor) {
            const hm = spec.healthMonitor;
            new openstack.loadbalancer.Monitor(
                `${name}-monitor`,
                {
                    name: `${spec.name}-monitor`,
                    poolId: pool.id,
                    type: hm.type,
                    delay: hm.delay,
                    timeout: hm.timeout,
                    maxRetries: hm.maxRetries,
                    urlPath: hm.urlPath,
                    expectedCodes: hm.expectedCodes,
                },
                { ...base, dependsOn: [last], customTimeouts: CHILD_TIMEOUTS },
            );
        }
        this.loadBalancerId = lb.id;
        this.vipAddress = lb.vipAddress;
        this.listenerId = listener.id;
        this.poolId = pool.id;
        this.summary = pulumi.output({
            id: this.loadBalancerId,
            vipAddress: this.vipAddress,
            listenerId: this.listenerId,
            poolId: this.poolId,
            listenerPort: spec.listener.port,
            vipNetworkId: args.vipNetworkId,
            members: args.members.map((m) => ({ name: m.name, address: m.address, region: m.region })),
        });
        this.registerOutputs({
            loadBalancerId: this.loadBalancerId,
            vipAddress: this.vipAddress,
            listenerId: this.listenerId,
            poolId: this.poolId,
            summary: this.summary,
        });
    }
}
