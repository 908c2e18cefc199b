// The tricircle-lbaas policy pack: `pulumi preview --policy-pack policy` (see docs/contributing.md).
// Loading this module starts the analyzer server the engine talks to: tests import ./policies instead.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("tricircle-lbaas", {
    description: "Guard rails of the tricircle-lbaas stack: Octavia management network, health managers, load balancers, controller commands.",
    enforcementLevel: "mandatory",
    policies,
});
