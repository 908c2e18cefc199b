// Real engine, in-process program: an exception inside an `apply` must end the update with that error within seconds
// (under the Automation API the run otherwise waits forever for the resources that depend on the failed value), and
// what was created before it must be in the state, so the next run or `destroy` knows it. Needs no cloud: the
// resources are dynamic resources that only record their inputs.
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Stack } from "@pulumi/pulumi/automation";
import { throwAwayStack } from "../../tools/lib/engine";
import { requireEngine } from "./engine";
import { ROOT } from "./localCloud";

const recorder: pulumi.dynamic.ResourceProvider = {
    async create(inputs: Record<string, unknown>) {
        // Long enough to be in flight when the program fails.
        if (inputs.slow) await new Promise((r) => setTimeout(r, 3_000));
        return { id: `rec-${Math.random().toString(16).slice(2)}`, outs: inputs };
    },
};

class Recorded extends pulumi.dynamic.Resource {
    constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
        super(recorder, name, props, opts);
    }
}

let stack: Stack;
let backend: string;
let workDir: string;

describe("an error inside an apply ends the in-process update", () => {
    beforeAll(async () => {
        requireEngine();
        ({ stack, backend, workDir } = await throwAwayStack({
            root: ROOT,
            projectName: "tricircle-lbaas-failfast",
            stackName: "failfast",
            passphrase: "e2e-local-only",
            program: async () => {
                const first = new Recorded("first", { n: 1 });
                new Recorded("in-flight", { slow: true });
                const refused = first.id.apply((): string => {
                    throw new Error('hostname: "compute_1" is not a host name');
                });
                const consumer = new Recorded("consumer", { hostname: refused });
                // Waits on the failed resource through dependsOn only: the case that hung.
                const after = new Recorded("after", { n: 2 }, { dependsOn: [consumer] });
                return { after: after.id };
            },
        }));
    });

    afterAll(async () => {
        await stack?.destroy().catch(() => undefined);
        for (const dir of [backend, workDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("fails with the program's error within seconds, keeping what was created", async () => {
        const started = Date.now();
        const failure = await stack.up().then(
            () => undefined,
            (e: Error) => e,
        );
        const seconds = (Date.now() - started) / 1000;
        expect(failure, "up must fail").toBeInstanceOf(Error);
        expect(String(failure)).toContain('hostname: \\"compute_1\\" is not a host name'.replace(/\\/g, ""));
        expect(seconds).toBeLessThan(30);

        const state = await stack.exportStack();
        const names = (state.deployment.resources ?? []).map((r: { urn: string }) => r.urn.split("::").pop());
        expect(names).toContain("first");
        expect(names).toContain("in-flight");
        expect(names).not.toContain("consumer");
        expect(names).not.toContain("after");

        // Nothing is left locked or pending: the next run starts, and fails the same way.
        const again = await stack.preview().then(
            () => undefined,
            (e: Error) => e,
        );
        expect(String(again)).toContain("is not a host name");
    });
});
