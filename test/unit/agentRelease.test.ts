// Which amphora agents take Octavia's push into their heartbeats (components/amphora/agentRelease.ts): the releases
// with Octavia's fix (15.1.0, 16.0.1, 17.0.0 and later) and none before, per series, at the edges.
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agentAppliesPush, parseRelease } from "../../components/amphora/agentRelease";
import { octaviaRelease } from "../../components/config/rules";

describe("agentAppliesPush", () => {
    it("is true from the fixed release of each series on, false just before it", () => {
        const cases: Array<[string, boolean]> = [
            ["11.0.0", false],
            ["14.0.2", false],
            ["15.0.1", false],
            ["15.1.0", true],
            ["15.1.9", true],
            ["16.0.0", false],
            ["16.0.1", true],
            ["16.1.0", true],
            ["17.0.0", true],
            ["18.0.1", true],
            ["19.0.0", true],
        ];
        for (const [release, applies] of cases) expect(agentAppliesPush(release), release).toBe(applies);
    });

    it("is false for an unstated or malformed release", () => {
        for (const release of [undefined, "", "15.1", "v15.1.0", "15.1.0.0", "15.1.0rc1", " 15.1.0"]) expect(agentAppliesPush(release), String(release)).toBe(false);
    });

    it("never changes its answer backwards within a series: a later release of it applies the push if an earlier one does", () => {
        // Across series it can: 16.0.0 (2025.1) came out before the fix that 15.1.0 (2024.2) already had.
        const minorPatch = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }));
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 40 }), minorPatch, minorPatch, (major, p, q) => {
                const [lo, hi] = p[0] < q[0] || (p[0] === q[0] && p[1] <= q[1]) ? [p, q] : [q, p];
                if (agentAppliesPush(`${major}.${lo.join(".")}`)) expect(agentAppliesPush(`${major}.${hi.join(".")}`)).toBe(true);
            }),
        );
    });

    it("reads the same numbers the config rule accepts", () => {
        fc.assert(
            fc.property(fc.string(), (v) => {
                expect(parseRelease(v) !== undefined).toBe(octaviaRelease(v) === undefined);
            }),
        );
        expect(octaviaRelease("16.0.1")).toBeUndefined();
        expect(octaviaRelease("16.0")).toBe("must be an Octavia release number such as 15.1.0");
    });
});
