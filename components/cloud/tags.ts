// The stack's tags on every cloud object it makes: what tells the stack's objects apart from an operator's, and what
// `npm run doctor -- --orphans` (tools/doctor/orphans.ts) finds after an interrupted run. One mechanism for all
// components: a Pulumi resource transformation given to each top-level component in index.ts, which the SDK applies to every resource
// below it. It runs inside the SDK (unlike `transforms`, which needs the engine's callback service and is refused
// under the unit suite's mocks), adds only the `tags` input, and never changes a URN.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * The OpenStack types the stack makes whose resources take `tags` (in the SDK and in the built provider's schema,
 * checked by test/unit/tags.test.ts and test/e2e/providerSchema.test.ts). SecGroupRule, Members and Monitor have no
 * tags in the API; Pool has them in the provider's schema but not in the npm SDK 3.15.2, which drops the input. They
 * live and die with their security group or load balancer, which carry the stack's tags.
 */
export const TAGGED_TYPES: ReadonlySet<string> = new Set([
    "openstack:networking/secGroup:SecGroup",
    "openstack:networking/network:Network",
    "openstack:networking/subnet:Subnet",
    "openstack:networking/port:Port",
    "openstack:loadbalancer/loadBalancer:LoadBalancer",
    "openstack:loadbalancer/listener:Listener",
    "openstack:compute/instance:Instance",
]);

/** Neutron, Octavia and Nova take tags of at most 60 characters (Nova's limit, the smallest of the three). */
export const MAX_TAG_LENGTH = 60;

/** How the tag of a stack's own objects begins (stackTag). */
const STACK_TAG_PREFIX = "tlb-stack:";
/** How the tag of the objects a stack took over begins (adoptedTag). */
export const ADOPTED_TAG_PREFIX = "tlb-adopted:";
/** The tags by which a stack claims an object: made by it, or taken over by it. */
export const OWNER_TAG_PREFIXES: readonly string[] = [STACK_TAG_PREFIX, ADOPTED_TAG_PREFIX];

/** The tag every object of the project carries. */
export function projectTag(project: string = pulumi.getProject()): string {
    return bounded(`tlb-project:${project}`);
}

/**
 * The tag of this stack: `npm run doctor -- --orphans` lists, adopts and deletes only objects with it. Project and
 * stack are joined by `:`, which neither name may contain (so no two stacks share a tag), and not by `/`, which Nova
 * refuses in a tag.
 */
export function stackTag(project: string = pulumi.getProject(), stack: string = pulumi.getStack()): string {
    return bounded(`${STACK_TAG_PREFIX}${project}:${stack}`);
}

/**
 * The tag of an object this stack took over instead of making (`adopt`): it says the object was there before, keeps
 * the object out of `doctor --orphans` (which deletes only what carries the stack's tag) and lets a later run of
 * this stack take it over again.
 */
export function adoptedTag(project: string = pulumi.getProject(), stack: string = pulumi.getStack()): string {
    return bounded(`${ADOPTED_TAG_PREFIX}${project}:${stack}`);
}

/** The stable key of one resource: its Pulumi name (the last part of its URN), unchanged across runs. */
export function keyTag(name: string): string {
    return bounded(`tlb-key:${name}`);
}

/**
 * A tag within the APIs' length, without commas (the `?tags=a,b` filters split on them) and without `/` (Nova's tag
 * schema refuses both, and Neutron's `PUT .../tags/{tag}` could not carry it); a longer tag or one holding either
 * becomes its prefix and a hash, still one stable value per input.
 */
function bounded(tag: string): string {
    if (tag.length <= MAX_TAG_LENGTH && !/[,/]/.test(tag)) return tag;
    const prefix = tag.slice(0, tag.indexOf(":") + 1);
    return `${prefix}sha256-${crypto.createHash("sha256").update(tag).digest("hex").slice(0, MAX_TAG_LENGTH - prefix.length - 7)}`;
}

/** The tags one resource gets: the project's, the stack's (or, for an object taken over, the adopted tag), its key. */
export function stackTags(name: string, adopted = false): string[] {
    return [projectTag(), adopted ? adoptedTag() : stackTag(), keyTag(name)];
}

/**
 * Adds the stack's tags to the `tags` input of every resource of a tagged type, keeping tags the program set itself.
 * Give it as `transformations: [tagResources]` to each top-level component: the SDK applies it to all their children.
 */
export const tagResources: pulumi.ResourceTransformation = (args) => {
    if (!TAGGED_TYPES.has(args.type)) return undefined;
    // An imported object was there before the stack: it says so instead of claiming to be the stack's own.
    const ours = stackTags(args.name, (args.opts as pulumi.CustomResourceOptions).import !== undefined);
    const own = args.props.tags as pulumi.Input<pulumi.Input<string>[]> | undefined;
    // A plain list when the program set none (most resources), so previews show the tags themselves.
    const tags = own === undefined ? ours : pulumi.output(own).apply((list) => [...new Set([...list, ...ours])]);
    return { props: { ...args.props, tags }, opts: args.opts };
};
