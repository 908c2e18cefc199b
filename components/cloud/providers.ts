import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { neutronAccessFrom, ProviderSettings, resolveKeystoneAuth } from "./openstackAuth";
import { NeutronAccess } from "./portBinding/neutronAccess";

/** Settings of the OpenStack provider's own namespace that the regional providers copy. */
const STRING_SETTINGS = [
    "authUrl",
    "cloud",
    "userName",
    "userId",
    "tenantName",
    "tenantId",
    "userDomainName",
    "userDomainId",
    "projectDomainName",
    "projectDomainId",
    "domainName",
    "domainId",
    "defaultDomain",
    "applicationCredentialId",
    "applicationCredentialName",
    "cacertFile",
    "cert",
    "endpointType",
] as const;
const SECRET_SETTINGS = ["password", "token", "applicationCredentialSecret", "key"] as const;
const BOOLEAN_SETTINGS = ["insecure", "allowReauth", "delayedAuth", "disableNoCacheHeader", "swauth", "systemScope", "enableLogging"] as const;

/**
 * The `openstack:*` stack settings, as provider arguments. Explicit providers do not read that namespace by
 * themselves (only the default provider would, and it is disabled), so the stack copies it; whatever is unset
 * falls through to the provider's own clouds.yaml / OS_* environment handling.
 */
export function openStackSettings(config: pulumi.Config = new pulumi.Config("openstack")): openstack.ProviderArgs {
    const args: Record<string, unknown> = {};
    for (const key of STRING_SETTINGS) {
        const value = config.get(key);
        if (value !== undefined) args[key] = value;
    }
    for (const key of SECRET_SETTINGS) {
        const value = config.getSecret(key);
        // getSecret always returns an Output; only pass the ones that are set so unset keys stay unset.
        if (config.get(key) !== undefined) args[key] = value;
    }
    for (const key of BOOLEAN_SETTINGS) {
        const value = config.getBoolean(key);
        if (value !== undefined) args[key] = value;
    }
    const maxRetries = config.getNumber("maxRetries");
    if (maxRetries !== undefined) args.maxRetries = maxRetries;
    const endpointOverrides = config.getObject<Record<string, string>>("endpointOverrides");
    if (endpointOverrides !== undefined) args.endpointOverrides = endpointOverrides;
    return args;
}

/**
 * `maxRetries` of every regional provider unless `openstack:maxRetries` says otherwise. The provider (gophercloud
 * utils' RoundTripper) resends a request that got no HTTP answer at all (refused, reset, closed) up to this many
 * times, at once and without a pause, and with any value above 0 also waits out a 429 with `Retry-After` as often.
 * Without it (the provider's default, 0) the first request on a keep-alive connection that a restarted API server
 * closed fails the resource ("OpenStack connection error, retries exhausted"). Retries without a pause cannot ride
 * out an API that is down for seconds (a neutron-server restart here: 8 s, README "Short API outages"); such an
 * outage fails the creates in flight once, and the next `up` converges. Five covers the idle connections of a
 * client's pool (two per host in Go's transport) with room to spare, and bounds a 429 storm to five waits.
 */
export const DEFAULT_MAX_RETRIES = 5;

/** One explicit provider per region, identical but for the region, so every resource states where it lives. */
export class RegionalProviders extends pulumi.ComponentResource {
    public readonly central: openstack.Provider;
    private readonly byRegion: Map<string, openstack.Provider>;

    constructor(
        name: string,
        args: { centralRegion: string; regions: string[]; settings: openstack.ProviderArgs },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("tricircle-lbaas:cloud:RegionalProviders", name, {}, opts);
        const make = (region: string) =>
            new openstack.Provider(`${name}-${region}`, { maxRetries: DEFAULT_MAX_RETRIES, ...args.settings, region }, { parent: this });
        this.central = make(args.centralRegion);
        this.byRegion = new Map(args.regions.map((region) => [region, make(region)]));
        this.registerOutputs({});
    }

    /** The provider of a local region; throws on a region the stack was not configured with. */
    public region(region: string): openstack.Provider {
        const provider = this.byRegion.get(region);
        if (!provider) {
            throw new Error(`no OpenStack provider for region "${region}" (configured: ${[...this.byRegion.keys()].join(", ")})`);
        }
        return provider;
    }
}

/**
 * The binding provider's way into Neutron, resolved from the same settings the regional providers get (and the
 * clouds.yaml / OS_* fallbacks they use), as one secret.
 */
export function neutronAccess(settings: openstack.ProviderArgs): pulumi.Output<NeutronAccess> {
    return pulumi.secret<NeutronAccess>(
        pulumi.output(settings).apply((plain): NeutronAccess => neutronAccessFrom(resolveKeystoneAuth(plain as ProviderSettings))),
    );
}
