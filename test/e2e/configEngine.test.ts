// Real engine, the project's own program: a bad configuration must stop `pulumi preview` with the validation message
// (key path and expectation) and register nothing. Runs the real index.ts through the Automation API.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Stack } from "@pulumi/pulumi/automation";
import { inlineStack, requireEngine } from "./engine";

let stack: Stack;

describe("pulumi preview of the stack with an invalid configuration", () => {
    beforeAll(async () => {
        requireEngine();
        ({ stack } = await inlineStack(async () => {
            vi.resetModules();
            return (await import("../../index")) as Record<string, unknown>;
        }));
        // inlineStack names the project tricircle-lbaas-e2e; the program reads the tricircle-lbaas namespace.
        await stack.setAllConfig({
            "tricircle-lbaas:regions": {
                value: JSON.stringify([
                    { name: "RegionOne", mgmt: { cidr: "192.168.10.0/24" } },
                    { name: "RegionTwo", mgmt: { cidr: "192.168.10.128/25" } },
                ]),
            },
            "tricircle-lbaas:securityGroups": { value: JSON.stringify({ ipv6: false, allowedCidrs: ["::/0"] }) },
        });
    });

    afterAll(async () => {
        await stack?.workspace.removeStack("e2e").catch(() => undefined);
    });

    it("fails with every bad key path and registers nothing", async () => {
        const failure = await stack.preview().then(
            () => undefined,
            (e: Error) => e,
        );
        expect(failure, "preview must fail").toBeInstanceOf(Error);
        const text = String(failure);
        expect(text).toContain("Invalid stack configuration (tricircle-lbaas)");
        expect(text).toContain("regions[1].mgmt.cidr: 192.168.10.128/25 overlaps 192.168.10.0/24 at regions[0].mgmt.cidr");
        expect(text).toContain("securityGroups.allowedCidrs[0]: ::/0 is IPv6 but securityGroups.ipv6 is false");
        const state = await stack.exportStack();
        expect(state.deployment.resources ?? []).toEqual([]);
    });
});
