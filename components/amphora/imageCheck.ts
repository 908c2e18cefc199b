// The amphora image, checked before anything is planned: Octavia looks its image up only when it boots its first
// amphora (its glance driver lists active images with `amp_image_tag`, and `amp_image_owner_id` when set, newest
// first), so a missing image surfaces as a failed load balancer long after `pulumi up` said all was well. The stack
// asks each local region's Glance the same question in `preview`, and fails naming the key and the region.
import { catalogSession, NeutronSession } from "../cloud/portBinding/neutronPortApi";
import { NeutronAccess } from "../cloud/portBinding/neutronAccess";

/** An image as Glance lists it (the fields the check reads). */
export interface FoundImage {
    id: string;
    name?: string;
    created_at?: string;
}

/** What the check asks every region for: the tag, and the owner project's id when `amphora.image.owner` is set. */
export interface ImageQuery {
    tag: string;
    ownerId?: string;
    /** The owner as configured (name or id), for messages. */
    owner?: string;
}

/**
 * The problem with one region's answer, if any: none is Octavia's `ImageGetException` at the first boot; several are
 * what an upgrade leaves behind, and Octavia would silently take the newest.
 */
export function imageProblem(region: string, q: ImageQuery, images: FoundImage[]): string | undefined {
    const which = `active image tagged ${JSON.stringify(q.tag)}${q.owner === undefined ? "" : ` owned by ${JSON.stringify(q.owner)}`}`;
    if (images.length === 0) {
        return `region ${region}: no ${which} (Octavia would fail every amphora boot with "Failed to retrieve image with ${q.tag} tag")`;
    }
    if (images.length > 1) {
        const ids = images.map((i) => `${i.id}${i.name ? ` (${i.name})` : ""}`).join(", ");
        return `region ${region}: ${images.length} of them carry it: ${ids}; exactly one must (Octavia would boot the newest, ${images[0].id}): untag the others`;
    }
    return undefined;
}

/** The Glance v2 query Octavia's glance driver makes, every page of it. */
export async function listTaggedImages(session: NeutronSession, q: ImageQuery): Promise<FoundImage[]> {
    const params = new URLSearchParams({ tag: q.tag, status: "active", sort: "created_at:desc", limit: "100" });
    if (q.ownerId !== undefined) params.set("owner", q.ownerId);
    const images: FoundImage[] = [];
    let path: string | undefined = `/images?${params.toString()}`;
    while (path !== undefined) {
        const page: { images?: FoundImage[]; next?: string } | undefined = await session.request("GET", path);
        images.push(...(page?.images ?? []));
        // Glance's `next` is a path under the API root, with its own version prefix.
        path = page?.next === undefined ? undefined : page.next.replace(/^\/v2/, "");
    }
    return images;
}

/** Every local region's problem with the image (empty: each has exactly one). */
export async function amphoraImageProblems(access: NeutronAccess, regions: string[], q: ImageQuery): Promise<string[]> {
    const answers = await Promise.all(
        regions.map(async (region) => {
            const session = await catalogSession(access, region, { type: "image", name: "Glance", version: "/v2" });
            return imageProblem(region, q, await listTaggedImages(session, q));
        }),
    );
    return answers.filter((p): p is string => p !== undefined);
}
