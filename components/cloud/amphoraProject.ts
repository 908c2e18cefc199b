import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { fixedRunError } from "../runError";

/** Keystone's own project ids: 32 lower-case hex digits (a UUID without dashes). */
const PROJECT_ID = /^[0-9a-f]{32}$/;

// The id is an input of every resource of the management plane: a refusal with a fixed message (fixedRunError)
// names the key once instead of under 18 serialisation prefixes on the guide's topology.

/**
 * The id of the project that owns the management plane (`amphoraProject`): Octavia boots amphorae in the project of
 * its `[service_auth]`, and Nova resolves their security group and non-shared networks in that project only, so
 * they must be that project's. A 32-hex-digit value is tried as an id first, then as a name; anything else is a
 * name. A project that does not exist fails the program (in `pulumi preview` too: lookups run there) with a message
 * naming the key.
 */
export function amphoraProjectId(project: string, provider: openstack.Provider, parent?: pulumi.Resource): pulumi.Output<string> {
    const opts: pulumi.InvokeOptions = { provider, parent };
    const fail = (why: string) => fixedRunError(`Invalid stack configuration (tricircle-lbaas):\n  - amphoraProject: ${why}`);
    const lookup = async (args: openstack.identity.GetProjectArgs): Promise<string | undefined> => {
        try {
            return (await openstack.identity.getProject(args, opts)).id;
        } catch (err) {
            const text = err instanceof Error ? err.message : String(err);
            // The provider's two ways of saying "no such project": a list without a match, a get answered 404.
            if (/returned no results|not found|404/i.test(text)) return undefined;
            if (/more than one result/i.test(text)) throw fail(`${JSON.stringify(project)} names more than one project (one per domain): give its id`);
            throw fail(`looking up project ${JSON.stringify(project)} failed: ${text}`);
        }
    };
    const resolved = (async () => {
        const id = (PROJECT_ID.test(project) ? await lookup({ projectId: project }) : undefined) ?? (await lookup({ name: project }));
        if (id === undefined) {
            throw fail(
                `no Keystone project ${JSON.stringify(project)} (by name or id) visible to the stack's credentials: ` +
                    `set it to the project of Octavia's [service_auth], or unset it for the credentials' own project`,
            );
        }
        return id;
    })();
    return pulumi.output(resolved);
}
