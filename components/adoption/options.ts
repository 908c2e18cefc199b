import * as pulumi from "@pulumi/pulumi";

/**
 * The options of a resource for an object the stack takes over: imported by its id in the same deployment (the
 * engine then updates it in place and refuses to replace it), and left on the cloud by destroy, as it was found.
 */
export function adoptedOptions(adopted: { id: string } | undefined): pulumi.CustomResourceOptions {
    return adopted === undefined ? {} : { import: adopted.id, retainOnDelete: true };
}
