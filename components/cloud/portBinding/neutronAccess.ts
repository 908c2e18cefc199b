// How the program reaches a local region's Neutron outside the OpenStack provider (the host bindings): the
// credentials resolved by the providers' own rules, in the form the binding provider sends to Keystone.

/**
 * How the binding provider reaches a region's Neutron: Keystone's URL, the ready-made v3 auth request body
 * (built in the program from the stack's credentials), and TLS settings. Always passed as a secret.
 */
export interface NeutronAccess {
    authUrl: string;
    /** Keystone v3 `POST /auth/tokens` body, as JSON text. */
    authBody: string;
    interface: string;
    insecure: boolean;
    cacertFile?: string;
}

/**
 * Whether two credential sets are the same, whatever the key order of the auth body. An unknown (preview) or missing
 * value counts as different: an update then stores what the program resolved.
 */
export function sameAccess(a: NeutronAccess | undefined, b: NeutronAccess | undefined): boolean {
    function canonical(value: unknown): unknown {
        if (Array.isArray(value)) return value.map(canonical);
        if (value && typeof value === "object") {
            return Object.fromEntries(
                Object.keys(value)
                    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
                    .sort()
                    .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
            );
        }
        return value;
    }
    function form(access: NeutronAccess | undefined): string | undefined {
        if (!access || typeof access !== "object") return undefined;
        let body: unknown = access.authBody;
        try {
            body = JSON.parse(access.authBody);
        } catch {
            // Compared as text.
        }
        return JSON.stringify(canonical({ ...access, authBody: body }));
    }
    const fa = form(a);
    return fa !== undefined && fa === form(b);
}

