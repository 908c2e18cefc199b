import * as pulumi from "@pulumi/pulumi";

/**
 * An Output's value once known (config-derived values and lookups are known in `preview` too), or its failure: a
 * project that does not exist must end the program with its own message, not leave it waiting. `apply` never runs
 * on a failed Output, so the SDK's own promise of the value is awaited (the same the engine awaits for outputs).
 */
export function known<T>(value: pulumi.Output<T>): Promise<T> {
    return (value as unknown as { promise(): Promise<T> }).promise();
}
