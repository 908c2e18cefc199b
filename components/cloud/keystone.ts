// Keystone names the configuration may give (`amphoraProject`, `amphora.image.owner`, `amphora.keypair.user`),
// resolved to ids through the central provider's lookups, which run in `pulumi preview` too: a name that does not
// exist fails the program before anything is made, with a message naming the key.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { fixedRunError } from "../runError";

/** Keystone's own ids: 32 lower-case hex digits (a UUID without dashes). */
export const KEYSTONE_ID = /^[0-9a-f]{32}$/;

// An id is an input of many resources: a refusal with a fixed message (fixedRunError) names the key once instead of
// under a serialisation prefix per resource.
function refusal(key: string, why: string): Error {
    return fixedRunError(`Invalid stack configuration (tricircle-lbaas):\n  - ${key}: ${why}`);
}

/** The provider's two ways of saying "no such object": a list without a match, a get answered 404. */
const NOT_FOUND = /returned no results|not found|404/i;

/**
 * The id of a Keystone project given by name or id (`key` names the setting in messages). A 32-hex-digit value is
 * tried as an id first, then as a name; anything else is a name. `hint` ends the message of a project not found.
 */
export function keystoneProjectId(key: string, project: string, provider: openstack.Provider, hint: string, parent?: pulumi.Resource): pulumi.Output<string> {
    const opts: pulumi.InvokeOptions = { provider, parent };
    const lookup = async (args: openstack.identity.GetProjectArgs): Promise<string | undefined> => {
        try {
            return (await openstack.identity.getProject(args, opts)).id;
        } catch (err) {
            const text = err instanceof Error ? err.message : String(err);
            if (NOT_FOUND.test(text)) return undefined;
            if (/more than one result/i.test(text)) throw refusal(key, `${JSON.stringify(project)} names more than one project (one per domain): give its id`);
            throw refusal(key, `looking up project ${JSON.stringify(project)} failed: ${text}`);
        }
    };
    return pulumi.output(
        (async () => {
            const id = (KEYSTONE_ID.test(project) ? await lookup({ projectId: project }) : undefined) ?? (await lookup({ name: project }));
            if (id === undefined) throw refusal(key, `no Keystone project ${JSON.stringify(project)} (by name or id) visible to the stack's credentials: ${hint}`);
            return id;
        })(),
    );
}

/**
 * The id of a Keystone user given by name or id. A 32-hex-digit value is taken as the id (Keystone's user lookup
 * has no id filter; Nova refuses a keypair for a user that does not exist); a name must name exactly one user.
 */
export function keystoneUserId(key: string, user: string, provider: openstack.Provider, hint: string, parent?: pulumi.Resource): pulumi.Output<string> {
    if (KEYSTONE_ID.test(user)) return pulumi.output(user);
    const opts: pulumi.InvokeOptions = { provider, parent };
    return pulumi.output(
        (async () => {
            try {
                return (await openstack.identity.getUser({ name: user }, opts)).id;
            } catch (err) {
                const text = err instanceof Error ? err.message : String(err);
                if (NOT_FOUND.test(text)) throw refusal(key, `no Keystone user ${JSON.stringify(user)} visible to the stack's credentials: ${hint}`);
                if (/more than one result/i.test(text)) throw refusal(key, `${JSON.stringify(user)} names more than one user (one per domain): give its id`);
                throw refusal(key, `looking up user ${JSON.stringify(user)} failed: ${text}`);
            }
        })(),
    );
}
