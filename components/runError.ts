import * as pulumi from "@pulumi/pulumi";

/**
 * A RunError (the engine prints its message alone) whose message stays as written. A rejection that several inputs
 * or outputs share is serialised once per use, and the SDK prefixes each (`error serializing property "tenantId": `);
 * a fixed message keeps the key's name in front, where the operator reads it.
 */
export function fixedRunError(text: string): pulumi.RunError {
    const error = new pulumi.RunError(text);
    Object.defineProperty(error, "message", { get: () => text, set: () => undefined, enumerable: false, configurable: false });
    return error;
}
