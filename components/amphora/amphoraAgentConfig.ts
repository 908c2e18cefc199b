import * as pulumi from "@pulumi/pulumi";
import { agentConfigProvider } from "./agentConfigProvider";
import { NeutronAccess } from "../cloud/portBinding/neutronAccess";

export interface AmphoraAgentConfigArgs {
    /** The local region whose running amphorae learn the plane's change (its Octavia API is asked). */
    region: pulumi.Input<string>;
    /** Credentials for that region's Octavia (secret in the state; a change alone pushes nothing). */
    access: pulumi.Input<NeutronAccess>;
    /** A digest of the agent settings the controllers now have (heartbeat key, health managers): a change pushes. */
    plane: pulumi.Input<string>;
    /** The region's management subnet: the amphorae with their management address in it are the region's. */
    mgmtCidr: pulumi.Input<string>;
}

/**
 * `openstack loadbalancer amphora configure` for every running amphora of a region, as a resource: whenever the
 * agent settings of the region's controllers change (a heartbeat key rotation, a controller added or removed), once
 * every controller has them and has restarted (the caller's dependsOn), the region's Octavia pushes them to its
 * amphorae, so that their heartbeats are heard again within two heartbeat intervals instead of the fleet being failed
 * over (for agents that apply the push: see agentRelease.ts; PlaneChangeGuard refuses what the others cannot follow). Create
 * pushes too (a plane taken over may already run amphorae); delete changes nothing. `pushedTo` lists the amphorae
 * the last push reached.
 */
export class AmphoraAgentConfig extends pulumi.dynamic.Resource {
    declare public readonly pushedTo: pulumi.Output<string[]>;

    constructor(name: string, args: AmphoraAgentConfigArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            agentConfigProvider,
            name,
            { ...args, access: pulumi.secret(args.access), plane: pulumi.secret(args.plane), pushedTo: undefined },
            { ...opts, additionalSecretOutputs: ["access", "plane"] },
            "amphora",
            "AmphoraAgentConfig",
        );
    }
}
