// MOCK tests: the engine and OpenStack are Pulumi mocks (see pulumiMocks.ts). Every resource index.ts registers (the
// guide's topology, its controllers and the whole demo) whose OpenStack SDK class takes `tags` carries the project's,
// the stack's and its own key tag; which classes take tags is read from the installed SDK itself, so a new taggable
// type that components/cloud/tags.ts does not know fails here.
import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { keyTag, MAX_TAG_LENGTH, projectTag, stackTag, TAGGED_TYPES } from "../../components/cloud/tags";
import { guideConfig, guideDemo, SECRET_KEYS } from "./fixtures";
import { plain, runStack, StackRun } from "./pulumiMocks";

const SDK = path.dirname(require.resolve("@pulumi/openstack/package.json"));

/** Whether the SDK class of a type token (`openstack:networking/port:Port`) sends a `tags` input. */
function sdkTakesTags(type: string): boolean {
    const [, module] = type.split(":");
    return fs.readFileSync(path.join(SDK, `${module}.js`), "utf8").includes('resourceInputs["tags"] = args ? args.tags');
}

let run: StackRun;

describe("the stack's tags (components/cloud/tags.ts)", () => {
    beforeAll(async () => {
        run = await runStack(guideConfig({ demo: guideDemo() }), {
            secretKeys: SECRET_KEYS,
            calls: {
                "openstack:images/getImage:getImage": (i) => ({ id: `image-${i.region}`, name: i.name }),
                "openstack:compute/getFlavor:getFlavor": (i) => ({ id: `flavor-${i.region}`, flavorId: `flavor-${i.region}`, name: i.name }),
            },
        });
    });

    it("tags every resource whose SDK class takes tags, with the project's, the stack's and its own key", () => {
        const openstackResources = run.resources.filter((r) => r.type.startsWith("openstack:") && !r.type.startsWith("pulumi:providers:"));
        const taggable = openstackResources.filter((r) => sdkTakesTags(r.type));
        // The guide's topology and demo make every kind the list names: none of them may be missed.
        expect(new Set(taggable.map((r) => r.type))).toEqual(new Set(TAGGED_TYPES));
        for (const r of taggable) {
            expect(plain(r.inputs).tags, `${r.type} ${r.name}`).toEqual(
                expect.arrayContaining([projectTag("tricircle-lbaas"), stackTag("tricircle-lbaas", "unit"), keyTag(r.name)]),
            );
        }
        // ... and the untagged ones are those the SDK has no tags for (rules, members, monitors; pools in SDK 3.15.2).
        const untagged = openstackResources.filter((r) => !sdkTakesTags(r.type));
        const withoutTags = ["openstack:networking/secGroupRule:SecGroupRule", "openstack:loadbalancer/members:Members", "openstack:loadbalancer/monitor:Monitor", "openstack:loadbalancer/pool:Pool"];
        for (const r of untagged) expect(withoutTags, `${r.type} ${r.name}`).toContain(r.type);
        for (const r of untagged) expect(plain(r.inputs).tags, `${r.type} ${r.name}`).toBeUndefined();
    });

    it("gives every resource of the stack a key of its own, within the APIs' tag length and without commas or slashes", () => {
        const keys = run.resources.filter((r) => TAGGED_TYPES.has(r.type)).map((r) => `${r.type} ${keyTag(r.name)}`);
        expect(new Set(keys).size).toBe(keys.length);
        for (const r of run.resources.filter((x) => TAGGED_TYPES.has(x.type))) {
            for (const tag of plain(r.inputs).tags as string[]) {
                expect(tag.length).toBeLessThanOrEqual(MAX_TAG_LENGTH);
                // Nova's tag schema: at most 60 characters, no `,` and no `/`.
                expect(tag).toMatch(/^[^,/]{1,60}$/);
            }
        }
    });

    it("keeps a stable, bounded key for names longer than a tag", () => {
        const long = `region-${"R".repeat(200)}-hm-ctl-port`;
        expect(keyTag(long)).toBe(keyTag(long));
        expect(keyTag(long)).not.toBe(keyTag(`${long}x`));
        expect(keyTag(long).length).toBeLessThanOrEqual(MAX_TAG_LENGTH);
        expect(keyTag(long)).toMatch(/^tlb-key:sha256-[0-9a-f]+$/);
        expect(keyTag("a,b")).toMatch(/^tlb-key:sha256-/);
        expect(keyTag("a/b")).toMatch(/^tlb-key:sha256-/);
        expect(stackTag("tricircle-lbaas", "prod")).toBe("tlb-stack:tricircle-lbaas:prod");
        // Another stack, another tag: the orphan search of one stack never finds another's objects.
        expect(stackTag("p", "a.b")).not.toBe(stackTag("p.a", "b"));
        expect(keyTag("lb-secgroups-amphora")).toBe("tlb-key:lb-secgroups-amphora");
    });
});
