import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { planeChangeGuardProvider } from "./planeChangeGuardProvider";
import { NeutronAccess } from "../cloud/portBinding/neutronAccess";

export interface PlaneChangeGuardArgs {
    /** The local region whose running amphorae the change reaches (its Octavia API is asked). */
    region: pulumi.Input<string>;
    /** Credentials for that region's Octavia (secret in the state). */
    access: pulumi.Input<NeutronAccess>;
    /** The heartbeat key (secret): only its SHA-256 is kept, to tell a rotation. */
    heartbeatKey: pulumi.Input<string>;
    /** The region's `controller_ip_port_list`, comma-separated, as octavia.conf gets it. */
    controllerIpPortList: pulumi.Input<string>;
    /** The region's management subnet: the amphorae with their management address in it are the region's. */
    mgmtCidr: pulumi.Input<string>;
    /** `healthManager.amphoraAgentVersion`: the Octavia release of the running amphorae's agent, if stated. */
    agentVersion?: string;
    /** `healthManager.allowFailover`. */
    allowFailover: boolean;
}

/**
 * The region's running amphorae, asked before its controllers change the settings the amphorae send heartbeats with
 * (a heartbeat key rotation, health managers added or removed): the controllers' commands depend on it, so its diff
 * runs first, in `preview` and in `up`. A change that would fail the fleet over (their agents cannot take it from
 * Octavia's push) is refused there, naming the amphorae and the way out; any other change that reaches running
 * amphorae is said in the engine's output. See planeChangeGuardProvider.ts for why.
 */
export class PlaneChangeGuard extends pulumi.dynamic.Resource {
    constructor(name: string, args: PlaneChangeGuardArgs, opts?: pulumi.CustomResourceOptions) {
        const digest = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");
        super(
            planeChangeGuardProvider,
            name,
            {
                region: args.region,
                access: pulumi.secret(args.access),
                keyDigest: pulumi.secret(pulumi.output(args.heartbeatKey).apply(digest)),
                controllers: pulumi.output(args.controllerIpPortList).apply((list) => list.split(",").filter(Boolean)),
                mgmtCidr: args.mgmtCidr,
                agentVersion: args.agentVersion,
                allowFailover: args.allowFailover,
            },
            { ...opts, additionalSecretOutputs: ["access", "keyDigest"] },
            "amphora",
            "PlaneChangeGuard",
        );
    }
}
