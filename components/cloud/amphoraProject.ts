import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { keystoneProjectId } from "./keystone";

/**
 * The id of the project that owns the management plane (`amphoraProject`): Octavia boots amphorae in the project of
 * its `[service_auth]`, and Nova resolves their security group and non-shared networks in that project only, so
 * they must be that project's. A 32-hex-digit value is tried as an id first, then as a name; anything else is a
 * name. A project that does not exist fails the program (in `pulumi preview` too: lookups run there) with a message
 * naming the key.
 */
export function amphoraProjectId(project: string, provider: openstack.Provider, parent?: pulumi.Resource): pulumi.Output<string> {
    return keystoneProjectId(
        "amphoraProject",
        project,
        provider,
        "set it to the project of Octavia's [service_auth], or unset it for the credentials' own project",
        parent,
    );
}
