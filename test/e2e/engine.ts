// The e2e suite's use of the real engine (tools/lib/engine.ts): one throw-away stack per suite.
import { InlineProgramArgs, Stack } from "@pulumi/pulumi/automation";
import * as engine from "../../tools/lib/engine";
import { ROOT } from "./localCloud";

export function requireEngine(): void {
    engine.requireEngine(ROOT);
}

/** A fresh stack in a throw-away file backend; the caller destroys it. */
export async function inlineStack(program: InlineProgramArgs["program"], config: Record<string, { value: string; secret?: boolean }> = {}): Promise<{ stack: Stack; backend: string }> {
    const { stack, backend } = await engine.throwAwayStack({ root: ROOT, projectName: "tricircle-lbaas-e2e", stackName: "e2e", program, passphrase: "e2e-local-only" });
    await stack.setAllConfig(config);
    return { stack, backend };
}
