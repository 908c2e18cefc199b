// The Keystone ids `amphora` names and the image every region must hold, looked up and checked once, before any
// region's prerequisites are planned: in `preview` as in `up`, so that a missing image or user fails the preview.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { keystoneProjectId, keystoneUserId } from "../cloud/keystone";
import { NeutronAccess } from "../cloud/portBinding/neutronAccess";
import { AmphoraModel } from "../config/model";
import { known } from "../known";
import { fixedRunError } from "../runError";
import { AmphoraContext } from "./amphoraPrerequisites";
import { amphoraImageProblems } from "./imageCheck";

/**
 * Resolves `amphora.image.owner` and `amphora.keypair.user`, then asks every local region's Glance for the image
 * (imageCheck.ts); any problem ends the program naming `amphora.image.tag` and the region.
 */
export async function amphoraContext(
    amphora: AmphoraModel,
    regions: string[],
    central: openstack.Provider,
    access: pulumi.Output<NeutronAccess>,
    ownerProjectId?: pulumi.Output<string>,
): Promise<AmphoraContext> {
    const imageOwnerId =
        amphora.image?.owner === undefined
            ? undefined
            : keystoneProjectId("amphora.image.owner", amphora.image.owner, central, "give the project that owns the amphora image (Glance's owner field), or leave it out");
    const keypairUserId =
        amphora.keypair === undefined
            ? undefined
            : keystoneUserId("amphora.keypair.user", amphora.keypair.user, central, "give Octavia's [service_auth] user (username in octavia.conf)");
    if (amphora.image !== undefined) {
        const query = { tag: amphora.image.tag, owner: amphora.image.owner, ownerId: imageOwnerId === undefined ? undefined : await known(imageOwnerId) };
        let problems: string[];
        try {
            problems = await amphoraImageProblems(await known(access), regions, query);
        } catch (err) {
            throw fixedRunError(`looking for the amphora image (amphora.image.tag) failed: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (problems.length > 0) {
            throw fixedRunError(`Invalid stack configuration (tricircle-lbaas):\n${problems.map((p) => `  - amphora.image.tag: ${p}`).join("\n")}`);
        }
    }
    return { amphora, ownerProjectId, imageOwnerId, keypairUserId };
}
