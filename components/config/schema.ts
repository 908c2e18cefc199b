// The contract's schema (README "Configuration reference", Pulumi.yaml): every key, its rule and its default. Values
// come out of it parsed (CIDRs as ParsedCidr), so nothing downstream parses or casts them again.
import { z } from "zod";
import { fromCanonical } from "./cidr";
import * as rules from "./rules";

/** The Pulumi project name: every key of the contract lives in this namespace. */
export const PROJECT = "tricircle-lbaas";

// `pulumi config set --path` stores integers as numbers, but hand-written YAML often quotes them.
const numeric = (rule: rules.Rule<number>) =>
    z.preprocess((v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v), z.number().superRefine(refineWith(rule)));
const integer = (min: number, max: number) => numeric(rules.integerIn(min, max));
const port = numeric(rules.port);
const boolean = z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());

/** The schema side of a rule of rules.ts: the generators assert with the same function. */
function refineWith<T>(rule: rules.Rule<T>) {
    return (value: T, ctx: z.RefinementCtx) => {
        const problem = rule(value);
        if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    };
}
const ruled = (rule: rules.Rule) => z.string().superRefine(refineWith(rule));

const name = (maxLength?: number) => ruled(rules.openstackName(maxLength));
const regionName = ruled(rules.regionName);
/** A CIDR in Neutron's spelling, parsed once; `extra` adds a rule of its own (e.g. a prefix o-hm0 can carry). */
const cidrOf = (extra?: rules.Rule) =>
    z.string().transform((text, ctx) => {
        const parsed = rules.parseCanonicalCidr(text);
        const problem = typeof parsed === "string" ? parsed : extra?.(text);
        if (typeof parsed === "string" || problem !== undefined) {
            ctx.addIssue({ code: "custom", message: problem ?? "is not a CIDR" });
            return z.NEVER;
        }
        return fromCanonical(parsed);
    });
const cidr = cidrOf();

/** `octavia.<service>`: where Octavia finds a service of its region (keystoneauth's endpoint options). */

const serviceEndpointSchema = z.strictObject({
    endpoint: ruled(rules.httpUrl).optional(),
    serviceName: name().optional(),
    endpointType: ruled(rules.endpointType).optional(),
});

const controllerSchema = z.strictObject({
    host: ruled(rules.sshHost),
    hostname: ruled(rules.bindingHostId),
    ovsBridge: ruled(rules.interfaceName).default("br-int"),
    user: ruled(rules.posixUser).optional(),
    port: port.optional(),
});

const DEFAULT_OCTAVIA = { configFile: "/etc/octavia/octavia.conf", restartCommand: "systemctl restart 'devstack@o-*'" };

const regionSchema = z.strictObject({
    name: regionName,
    mgmt: z.strictObject({
        network: name().optional(),
        subnet: name().optional(),
        cidr: cidrOf(rules.managementCidr),
        addressing: z.enum(["static", "dhcp"]).default("static"),
    }),
    controllers: z.array(controllerSchema).default([]),
    octavia: z
        .strictObject({
            configFile: ruled(rules.configPath).default(DEFAULT_OCTAVIA.configFile),
            restartCommand: ruled(rules.singleLineText).default(DEFAULT_OCTAVIA.restartCommand),
            neutron: serviceEndpointSchema.optional(),
            nova: serviceEndpointSchema.optional(),
            glance: serviceEndpointSchema.optional(),
        })
        .default(DEFAULT_OCTAVIA),
});

export const LISTENER_PROTOCOLS = ["HTTP", "HTTPS", "TCP", "UDP", "SCTP"] as const;
export const POOL_PROTOCOLS = ["HTTP", "HTTPS", "PROXY", "PROXYV2", "TCP", "UDP", "SCTP"] as const;
export const LB_ALGORITHMS = ["ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT"] as const;
export const MONITOR_TYPES = ["HTTP", "HTTPS", "PING", "TCP", "TLS-HELLO", "UDP-CONNECT", "SCTP"] as const;

// Names the demo derives others from keep room for the longest suffix (`<network>-subnet`, `<lb>-listener`).
const demoSchema = z.strictObject({
    image: name(),
    flavor: name(),
    networks: z.array(z.strictObject({ name: ruled(rules.urnSafeName(255 - "-subnet".length)), cidr })).min(1),
    backends: z.array(z.strictObject({ name: ruled(rules.urnSafeName()), region: regionName, network: name() })).default([]),
    loadBalancers: z
        .array(
            z.strictObject({
                name: ruled(rules.urnSafeName(255 - "-listener".length)),
                region: regionName,
                vipNetwork: name(),
                listener: z.strictObject({ protocol: z.enum(LISTENER_PROTOCOLS), port }),
                pool: z.strictObject({
                    protocol: z.enum(POOL_PROTOCOLS),
                    algorithm: z.enum(LB_ALGORITHMS),
                    memberPort: port.default(80),
                }),
                members: z.array(name()).default([]),
                healthMonitor: z
                    .strictObject({
                        type: z.enum(MONITOR_TYPES),
                        delay: integer(1, 86400),
                        timeout: integer(1, 86400),
                        maxRetries: integer(1, 10),
                        urlPath: ruled(rules.urlPath).optional(),
                        expectedCodes: ruled(rules.expectedCodes).optional(),
                    })
                    .optional(),
            }),
        )
        .default([]),
});

/** A PEM block of one of the given labels (the deep checks, signatures and keys, are the PKI's: checkPkiMaterial). */
const pem = (...labels: string[]) =>
    z.string().superRefine(
        refineWith((v) =>
            labels.some((label) => v.includes(`-----BEGIN ${label}-----`) && v.includes(`-----END ${label}-----`))
                ? undefined
                : `must be PEM text (-----BEGIN ${labels.join("----- or -----BEGIN ")}-----)`,
        ),
    );

/** An operator's own PKI for one region (the names of PkiMaterial): the stack then only distributes and checks it. */
const providedPkiSchema = z.strictObject({
    serverCaCertificate: pem("CERTIFICATE"),
    serverCaPrivateKey: pem("ENCRYPTED PRIVATE KEY"),
    serverCaPassphrase: ruled(rules.fernetPassphrase),
    clientCaCertificate: pem("CERTIFICATE"),
    clientCertificate: pem("CERTIFICATE"),
    clientPrivateKey: pem("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"),
    serverCertsKeyPassphrase: ruled(rules.fernetPassphrase),
});

/** What Octavia needs to boot amphorae, made (or checked) in every local region; each part optional. */
const DEFAULT_CERTIFICATES = { caValidityDays: 7300, clientValidityDays: 730, rotation: 0 };
const amphoraSchema = z.strictObject({
    // Octavia's own floor is the anchors' 1 vCPU / 1 GB; the bounds only catch a unit slip (MB for GB).
    flavor: z.strictObject({ vcpus: integer(1, 64), ramMb: integer(256, 1048576), diskGb: integer(1, 2048) }).optional(),
    image: z.strictObject({ tag: ruled(rules.imageTag), owner: name(64).optional() }).optional(),
    keypair: z.strictObject({ publicKey: ruled(rules.hostKey), user: name(255).default("octavia") }).optional(),
    certificates: z
        .strictObject({
            caValidityDays: integer(1, 36500).default(DEFAULT_CERTIFICATES.caValidityDays),
            clientValidityDays: integer(1, 36500).default(DEFAULT_CERTIFICATES.clientValidityDays),
            rotation: integer(0, 1_000_000).default(DEFAULT_CERTIFICATES.rotation),
            provided: z.record(z.string(), providedPkiSchema).optional(),
        })
        .optional(),
});

export const rawConfigSchema = z.strictObject({
    centralRegion: regionName.default("CentralRegion"),
    // Octavia's [service_auth] project, a name or id: Keystone's names are at most 64 characters (ids 32 hex
    // digits). `""`, Pulumi.yaml's declared default (as for `demo`), is "not set": the credentials' project.
    amphoraProject: z.preprocess((v) => (v === "" ? undefined : v), name(64).optional()),
    // Take over what the cloud already holds of the plane (made by hand, by another tool) instead of refusing it.
    adopt: boolean.default(false),
    securityGroups: z
        .strictObject({
            amphora: name().default("lb-mgmt-sec-grp"),
            healthManager: name().default("lb-health-mgr-sec-grp"),
            amphoraTcpPorts: z.array(port).default([22, 80, 9443]),
            ipv6: boolean.default(true),
            allowedCidrs: z.array(cidr).default([]),
        })
        .default({
            amphora: "lb-mgmt-sec-grp",
            healthManager: "lb-health-mgr-sec-grp",
            amphoraTcpPorts: [22, 80, 9443],
            ipv6: true,
            allowedCidrs: [],
        }),
    healthManager: z
        .strictObject({
            port: port.default(5555),
            heartbeatKey: ruled(rules.singleLineText).optional(),
            // The Octavia release the running amphorae's agent comes from (their image's): whether they take a
            // pushed heartbeat key and health-manager list (components/amphora/agentRelease.ts).
            amphoraAgentVersion: ruled(rules.octaviaRelease).optional(),
            // A key rotation or controller change that running amphorae cannot follow goes ahead and fails them over.
            allowFailover: z.boolean().default(false),
        })
        .default({ port: 5555, allowFailover: false }),
    ssh: z
        .strictObject({
            user: ruled(rules.posixUser).default("stack"),
            port: port.default(22),
            privateKey: ruled(rules.notBlank).optional(),
            hostKeys: z.record(z.string(), ruled(rules.hostKey)).default({}),
            // "pinned": every controller's key is in hostKeys. "accept-new": a controller without one has the first key
            // it shows recorded in the state and pinned from then on (OpenSSH's StrictHostKeyChecking=accept-new).
            hostKeyPolicy: z.enum(["pinned", "accept-new"]).default("pinned"),
        })
        .default({ user: "stack", port: 22, hostKeys: {}, hostKeyPolicy: "pinned" }),
    regions: z.array(regionSchema).min(1, "at least one local region is required"),
    // `amphora: {}` (Pulumi.yaml's declared default) leaves Octavia's amphora settings alone, as an absent key does.
    amphora: z.preprocess((v) => (isEmptyObject(v) ? undefined : v), amphoraSchema.optional()),
    // `demo: {}` is "no demo": Pulumi.yaml must declare a default for the key (the CLI requires a declared key
    // without one), and an empty object is the only default that means nothing.
    demo: z.preprocess((v) => (isEmptyObject(v) ? undefined : v), demoSchema.optional()),
});

function isEmptyObject(value: unknown): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** The configuration as the schema hands it over: defaults filled in, CIDRs parsed. */
export type RawStackConfig = z.infer<typeof rawConfigSchema>;
export type ServiceEndpoint = z.infer<typeof serviceEndpointSchema>;
export type RawAmphora = z.infer<typeof amphoraSchema>;

type JsonSchemaNode = {
    type?: string;
    properties?: Record<string, JsonSchemaNode>;
    items?: JsonSchemaNode;
    additionalProperties?: JsonSchemaNode | boolean;
    anyOf?: JsonSchemaNode[];
};

function jsonSchemaKeyPaths(node: JsonSchemaNode, prefix: string): string[] {
    // An optional or nullable value is `anyOf` the value and null; only the value has keys.
    const alternatives = node.anyOf?.filter((n) => n.type !== "null");
    if (alternatives?.length === 1) return jsonSchemaKeyPaths(alternatives[0], prefix);
    if (node.type === "array" && node.items) return jsonSchemaKeyPaths(node.items, `${prefix}[]`);
    if (node.type === "object" && node.properties) {
        return Object.entries(node.properties).flatMap(([key, child]) => {
            const path = prefix ? `${prefix}.${key}` : key;
            const nested = jsonSchemaKeyPaths(child, path);
            return nested.length > 0 && nested[0] !== path ? [path, ...nested] : [path];
        });
    }
    if (node.type === "object" && typeof node.additionalProperties === "object") return [`${prefix}.<key>`];
    return [prefix];
}

/**
 * Every key path the schema accepts (`regions[].mgmt.cidr`), read from the schema itself (its JSON Schema, as
 * the user writes the config: input side, preprocessing steps left open) so that the README's reference and
 * Pulumi.yaml can be checked against it and never drift.
 */
export function schemaKeyPaths(schema: z.ZodType = rawConfigSchema): string[] {
    const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;
    return jsonSchemaKeyPaths(json, "");
}

