import * as pulumi from "@pulumi/pulumi";
import { neutronBindingProvider } from "./bindingProvider";
import { NeutronAccess } from "./neutronAccess";

export interface PortHostBindingArgs {
    /** The health-manager port to bind (a central port, which Tricircle mirrors into the local region). */
    portId: pulumi.Input<string>;
    /** Neutron's host id of the controller (its `hostname`), i.e. `binding:host_id`. */
    hostId: pulumi.Input<string>;
    /** The local region whose Neutron holds the binding (Tricircle binds in the local region, not the central one). */
    region: pulumi.Input<string>;
    /** Credentials and endpoint options for that Neutron (secret in the state; a change never rebinds). */
    access: pulumi.Input<NeutronAccess>;
    /** The port was taken over (`adopt`): a binding already to `hostId` is kept as found, without a call. */
    adopted?: pulumi.Input<boolean>;
}

/**
 * `openstack --os-region-name <region> port set --host <hostname> <port>` as a resource: create binds, a host
 * change rebinds in place, a credential change is stored in place (the port untouched), delete unbinds, refresh
 * reads the binding back. A binding is done only when a live L2 agent of that host took the port (`binding:vif_type`
 * neither `binding_failed` nor `unbound`); otherwise it is undone and the step fails naming the region's live agents
 * and the host most likely meant, and a refresh that finds it failed makes the next `up` ask again. The provider's own Port resource can
 * only set the binding through the central region's Neutron, which is not where Tricircle needs it.
 */
export class PortHostBinding extends pulumi.dynamic.Resource {
    declare public readonly portId: pulumi.Output<string>;
    declare public readonly hostId: pulumi.Output<string>;
    declare public readonly region: pulumi.Output<string>;
    declare public readonly boundHostId: pulumi.Output<string>;
    /** `binding:vif_type` as last seen: the mechanism that bound the port (`ovs`, `bridge`, ...). */
    declare public readonly vifType: pulumi.Output<string>;

    constructor(name: string, args: PortHostBindingArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            neutronBindingProvider,
            name,
            { ...args, access: pulumi.secret(args.access), boundHostId: undefined, vifType: undefined },
            { ...opts, additionalSecretOutputs: ["access"] },
            "neutron",
            "PortHostBinding",
        );
    }
}
