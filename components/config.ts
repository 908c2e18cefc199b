import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { cidrsOverlap, IpFamily, parseCidr, ParsedCidr, usableHostCount } from "./cidr";
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
const cidr = ruled(rules.cidr);

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
        cidr: ruled(rules.managementCidr),
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

const rawConfigSchema = z.strictObject({
    centralRegion: regionName.default("CentralRegion"),
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
        })
        .default({ port: 5555 }),
    ssh: z
        .strictObject({
            user: ruled(rules.posixUser).default("stack"),
            port: port.default(22),
            privateKey: ruled(rules.notBlank).optional(),
            hostKeys: z.record(z.string(), ruled(rules.hostKey)).default({}),
        })
        .default({ user: "stack", port: 22, hostKeys: {} }),
    regions: z.array(regionSchema).min(1, "at least one local region is required"),
    demo: demoSchema.optional(),
});

export type RawStackConfig = z.infer<typeof rawConfigSchema>;
export type ConfigPath = (string | number)[];
export interface ConfigIssue {
    path: ConfigPath;
    message: string;
}

// ---------------------------------------------------------------------------
// Cross-field rules: pure, exported and unit-tested one by one.
// ---------------------------------------------------------------------------

function duplicates<T>(items: T[], key: (item: T) => string): Map<string, number[]> {
    const seen = new Map<string, number[]>();
    items.forEach((item, index) => seen.set(key(item), [...(seen.get(key(item)) ?? []), index]));
    return new Map([...seen].filter(([, indexes]) => indexes.length > 1));
}

function duplicateIssues<T>(items: T[], key: (item: T) => string, path: (index: number) => ConfigPath, what: string): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    for (const [value, indexes] of duplicates(items, key)) {
        for (const index of indexes.slice(1)) {
            issues.push({ path: path(index), message: `duplicate ${what} "${value}" (first at ${formatPath(path(indexes[0]))})` });
        }
    }
    return issues;
}

export function checkRegionNames(cfg: Pick<RawStackConfig, "centralRegion" | "regions">): ConfigIssue[] {
    const issues = duplicateIssues(cfg.regions, (r) => r.name, (i) => ["regions", i, "name"], "region name");
    cfg.regions.forEach((region, i) => {
        if (region.name === cfg.centralRegion) {
            issues.push({
                path: ["regions", i, "name"],
                message: `"${region.name}" is the central region (centralRegion); list only local regions here`,
            });
        }
    });
    return issues;
}

interface NamedCidr {
    path: ConfigPath;
    cidr: ParsedCidr;
}

function collectCidrs(cfg: Pick<RawStackConfig, "regions" | "demo">): NamedCidr[] {
    const all: NamedCidr[] = [];
    cfg.regions.forEach((region, i) => {
        const parsed = parseCidr(region.mgmt.cidr);
        if (typeof parsed !== "string") all.push({ path: ["regions", i, "mgmt", "cidr"], cidr: parsed });
    });
    cfg.demo?.networks.forEach((network, i) => {
        const parsed = parseCidr(network.cidr);
        if (typeof parsed !== "string") all.push({ path: ["demo", "networks", i, "cidr"], cidr: parsed });
    });
    return all;
}

/** Management and demo networks share one central Neutron and one amphora data path: no two may overlap. */
export function checkCidrOverlaps(cfg: Pick<RawStackConfig, "regions" | "demo">): ConfigIssue[] {
    const all = collectCidrs(cfg);
    const issues: ConfigIssue[] = [];
    for (let j = 1; j < all.length; j++) {
        for (let i = 0; i < j; i++) {
            if (cidrsOverlap(all[i].cidr, all[j].cidr)) {
                issues.push({
                    path: all[j].path,
                    message: `${all[j].cidr.text} overlaps ${all[i].cidr.text} at ${formatPath(all[i].path)}`,
                });
            }
        }
    }
    return issues;
}

export function checkManagementAddressing(cfg: Pick<RawStackConfig, "regions">): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    cfg.regions.forEach((region, i) => {
        const parsed = parseCidr(region.mgmt.cidr);
        if (typeof parsed === "string") return;
        if (region.mgmt.addressing === "dhcp" && parsed.family === 6) {
            issues.push({
                path: ["regions", i, "mgmt", "addressing"],
                message: `"dhcp" needs an IPv4 management CIDR (dhclient on o-hm0 is IPv4 only); use "static" for ${parsed.text}`,
            });
        }
        if (region.controllers.length > usableHostCount(parsed)) {
            issues.push({
                path: ["regions", i, "controllers"],
                message: `${region.controllers.length} controllers do not fit in ${parsed.text}`,
            });
        }
    });
    return issues;
}

/**
 * Controllers are told apart by their address, compared in one spelling (`FD00:0::1` is `fd00::1`, `CTL1` is `ctl1`:
 * the same node configured twice would have two o-hm0 fight over one interface), and within a region by their binding
 * host id. Their health-manager ports and nodes are named
 * `region-<region>-hm-<hostname>` and `region-<region>-node-<hostname>` (index.ts and RegionalOctavia), which two
 * different pairs can spell alike (`a-hm-b` + `c` and `a` + `b-hm-c`): the engine would stop at the second one with a
 * duplicate URN, after the first resources exist. And Neutron keeps port names to 255 characters.
 */
export function checkControllers(cfg: Pick<RawStackConfig, "regions">): ConfigIssue[] {
    const flat = cfg.regions.flatMap((region, i) =>
        region.controllers.map((c, j) => ({ c, region: region.name, path: ["regions", i, "controllers", j] as ConfigPath })),
    );
    const issues: ConfigIssue[] = [];
    for (const [host, entries] of duplicates(flat, (e) => rules.hostIdentity(e.c.host))) {
        for (const index of entries.slice(1)) {
            issues.push({
                path: [...flat[index].path, "host"],
                message: `duplicate controller host "${host}" (first at ${formatPath([...flat[entries[0]].path, "host"])})`,
            });
        }
    }
    cfg.regions.forEach((region, i) => {
        issues.push(
            ...duplicateIssues(region.controllers, (c) => c.hostname, (j) => ["regions", i, "controllers", j, "hostname"], "controller hostname in one region"),
        );
    });
    const seen = new Map<string, (typeof flat)[number]>();
    for (const entry of flat) {
        const clash = ["hm", "node"]
            .map((kind) => `region-${entry.region}-${kind}-${entry.c.hostname}`)
            .map((resourceName) => ({ resourceName, first: seen.get(resourceName) }))
            .find(({ first }) => first !== undefined && first.region !== entry.region);
        if (clash) {
            issues.push({
                path: [...entry.path, "hostname"],
                message: `region "${entry.region}" with hostname "${entry.c.hostname}" gives the resource name ${clash.resourceName}, as ${formatPath([...clash.first!.path, "hostname"])} in region "${clash.first!.region}" does; rename one`,
            });
        }
        for (const kind of ["hm", "node"]) {
            const resourceName = `region-${entry.region}-${kind}-${entry.c.hostname}`;
            if (!seen.has(resourceName)) seen.set(resourceName, entry);
        }
        const portName = rules.healthManagerPortName(entry.region, entry.c.hostname);
        if (portName.length > 255) {
            issues.push({
                path: [...entry.path, "hostname"],
                message: `the health-manager port name ${portName.slice(0, 40)}... would have ${portName.length} characters; Neutron keeps 255 (shorten the hostname or the region name)`,
            });
        }
    }
    return issues;
}

export function checkSecretsPresent(cfg: Pick<RawStackConfig, "regions" | "healthManager" | "ssh">): ConfigIssue[] {
    if (!cfg.regions.some((r) => r.controllers.length > 0)) {
        return [];
    }
    const issues: ConfigIssue[] = [];
    if (!cfg.healthManager.heartbeatKey) {
        issues.push({
            path: ["healthManager", "heartbeatKey"],
            message: "required when any region has controllers (pulumi config set --secret --path healthManager.heartbeatKey ...)",
        });
    }
    if (!cfg.ssh.privateKey) {
        issues.push({
            path: ["ssh", "privateKey"],
            message: "required when any region has controllers (cat key | pulumi config set --secret --path ssh.privateKey)",
        });
    } else if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(cfg.ssh.privateKey)) {
        issues.push({ path: ["ssh", "privateKey"], message: "must be PEM text (-----BEGIN ... PRIVATE KEY-----)" });
    }
    return issues;
}

/** Sources must match the families the groups are built for; an IPv6 source with ipv6 off would be silently dropped. */
export function checkAllowedCidrs(cfg: Pick<RawStackConfig, "securityGroups">): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    cfg.securityGroups.allowedCidrs.forEach((text, i) => {
        const parsed = parseCidr(text);
        if (typeof parsed !== "string" && parsed.family === 6 && !cfg.securityGroups.ipv6) {
            issues.push({
                path: ["securityGroups", "allowedCidrs", i],
                message: `${text} is IPv6 but securityGroups.ipv6 is false`,
            });
        }
    });
    issues.push(...duplicateIssues(cfg.securityGroups.amphoraTcpPorts, String, (i) => ["securityGroups", "amphoraTcpPorts", i], "port"));
    issues.push(...duplicateIssues(cfg.securityGroups.allowedCidrs, String, (i) => ["securityGroups", "allowedCidrs", i], "CIDR"));
    if (cfg.securityGroups.amphora === cfg.securityGroups.healthManager) {
        issues.push({ path: ["securityGroups", "healthManager"], message: "must differ from securityGroups.amphora" });
    }
    return issues;
}

/** A pinned key must belong to a controller: the map is keyed by `controllers[].host`, exactly as written there. */
export function checkHostKeys(cfg: Pick<RawStackConfig, "regions" | "ssh">): ConfigIssue[] {
    const hosts = new Set(cfg.regions.flatMap((r) => r.controllers.map((c) => c.host)));
    return Object.keys(cfg.ssh.hostKeys)
        .filter((host) => !hosts.has(host))
        .map((host) => ({ path: ["ssh", "hostKeys", host], message: `no controller has host "${host}"` }));
}

export function checkDemoReferences(cfg: Pick<RawStackConfig, "regions" | "demo">): ConfigIssue[] {
    const demo = cfg.demo;
    if (!demo) return [];
    const regions = new Set(cfg.regions.map((r) => r.name));
    const networks = new Set(demo.networks.map((n) => n.name));
    const backends = new Set(demo.backends.map((b) => b.name));
    const list = (s: Set<string>) => [...s].map((v) => `"${v}"`).join(", ") || "none";
    const issues: ConfigIssue[] = [
        ...duplicateIssues(demo.networks, (n) => n.name, (i) => ["demo", "networks", i, "name"], "network name"),
        ...duplicateIssues(demo.backends, (b) => b.name, (i) => ["demo", "backends", i, "name"], "backend name"),
        ...duplicateIssues(demo.loadBalancers, (l) => l.name, (i) => ["demo", "loadBalancers", i, "name"], "load balancer name"),
    ];
    demo.backends.forEach((b, i) => {
        if (!regions.has(b.region)) issues.push({ path: ["demo", "backends", i, "region"], message: `unknown region "${b.region}" (configured: ${list(regions)})` });
        if (!networks.has(b.network)) issues.push({ path: ["demo", "backends", i, "network"], message: `unknown demo network "${b.network}" (defined: ${list(networks)})` });
    });
    demo.loadBalancers.forEach((lb, i) => {
        if (!regions.has(lb.region)) issues.push({ path: ["demo", "loadBalancers", i, "region"], message: `unknown region "${lb.region}" (configured: ${list(regions)})` });
        if (!networks.has(lb.vipNetwork)) issues.push({ path: ["demo", "loadBalancers", i, "vipNetwork"], message: `unknown demo network "${lb.vipNetwork}" (defined: ${list(networks)})` });
        lb.members.forEach((m, j) => {
            if (!backends.has(m)) issues.push({ path: ["demo", "loadBalancers", i, "members", j], message: `unknown backend "${m}" (defined: ${list(backends)})` });
        });
        issues.push(...duplicateIssues(lb.members, String, (j) => ["demo", "loadBalancers", i, "members", j], "member"));
        issues.push(...checkLoadBalancerProtocols(lb).map((issue) => ({ ...issue, path: ["demo", "loadBalancers", i, ...issue.path] })));
    });
    return issues;
}

type LoadBalancerConfig = NonNullable<RawStackConfig["demo"]>["loadBalancers"][number];

/**
 * Octavia's API rules for one load balancer, paths relative to it: they would otherwise answer 400 only once the
 * load balancer (an amphora VM) is up, minutes into `pulumi up`.
 */
export function checkLoadBalancerProtocols(lb: Pick<LoadBalancerConfig, "listener" | "pool" | "healthMonitor">): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const allowedPools = rules.LISTENER_POOL_PROTOCOLS[lb.listener.protocol] ?? [];
    if (!allowedPools.includes(lb.pool.protocol)) {
        issues.push({ path: ["pool", "protocol"], message: `a ${lb.listener.protocol} listener takes a pool of ${allowedPools.join(", ")} (Octavia), not ${lb.pool.protocol}` });
    }
    const hm = lb.healthMonitor;
    if (!hm) return issues;
    if (hm.timeout > hm.delay) {
        issues.push({ path: ["healthMonitor", "timeout"], message: "must not exceed delay (Octavia rejects it)" });
    }
    const udpLike = lb.pool.protocol === "UDP" || lb.pool.protocol === "SCTP";
    if (udpLike && !(rules.UDP_SCTP_MONITOR_TYPES as readonly string[]).includes(hm.type)) {
        issues.push({ path: ["healthMonitor", "type"], message: `a ${lb.pool.protocol} pool takes a monitor of ${rules.UDP_SCTP_MONITOR_TYPES.join(", ")} (Octavia), not ${hm.type}` });
    }
    if (!udpLike && (hm.type === "UDP-CONNECT" || hm.type === "SCTP")) {
        issues.push({ path: ["healthMonitor", "type"], message: `${hm.type} monitors are for UDP and SCTP pools only (Octavia)` });
    }
    if (hm.type !== "HTTP" && hm.type !== "HTTPS") {
        for (const key of ["urlPath", "expectedCodes"] as const) {
            if (hm[key] !== undefined) issues.push({ path: ["healthMonitor", key], message: `is for HTTP and HTTPS monitors only; Octavia refuses it on a ${hm.type} monitor` });
        }
    }
    return issues;
}

export const CROSS_FIELD_CHECKS = [
    checkRegionNames,
    checkCidrOverlaps,
    checkManagementAddressing,
    checkControllers,
    checkSecretsPresent,
    checkAllowedCidrs,
    checkHostKeys,
    checkDemoReferences,
];

// ---------------------------------------------------------------------------
// The typed model the components consume.
// ---------------------------------------------------------------------------

export interface ServiceEndpoint {
    endpoint?: string;
    serviceName?: string;
    endpointType?: string;
}

export interface ControllerModel {
    host: string;
    hostname: string;
    ovsBridge: string;
    sshUser: string;
    sshPort: number;
    hostKey?: string;
}

export interface RegionModel {
    name: string;
    mgmt: {
        network: string;
        subnet: string;
        cidr: string;
        ipVersion: IpFamily;
        prefixLength: number;
        addressing: "static" | "dhcp";
    };
    controllers: ControllerModel[];
    octavia: {
        configFile: string;
        restartCommand: string;
        neutron?: ServiceEndpoint;
        nova?: ServiceEndpoint;
        glance?: ServiceEndpoint;
    };
}

export type DemoModel = NonNullable<RawStackConfig["demo"]>;

export interface StackModel {
    centralRegion: string;
    securityGroups: {
        amphora: string;
        healthManager: string;
        amphoraTcpPorts: number[];
        /** Resolved sources: the configured ones, or every region's management CIDR. */
        sources: { cidr: string; family: IpFamily }[];
    };
    healthManager: { port: number; heartbeatKey?: pulumi.Output<string> };
    ssh: { privateKey?: pulumi.Output<string> };
    regions: RegionModel[];
    demo?: DemoModel;
}

export class ConfigError extends Error {
    constructor(readonly issues: ConfigIssue[]) {
        super(
            `Invalid stack configuration (${PROJECT}):\n` +
                issues.map((i) => `  - ${formatPath(i.path) || "(root)"}: ${i.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** `["regions", 1, "mgmt", "cidr"]` -> `regions[1].mgmt.cidr`, the form `pulumi config set --path` takes. */
export function formatPath(path: readonly PropertyKey[]): string {
    return path.reduce<string>((text, part) => {
        if (typeof part === "number") return `${text}[${part}]`;
        const key = String(part);
        const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
        if (!plain) return `${text}["${key}"]`;
        return text ? `${text}.${key}` : key;
    }, "");
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
    return error.issues.flatMap((issue): ConfigIssue[] => {
        const path = issue.path as ConfigPath;
        if (issue.code === "unrecognized_keys") {
            return issue.keys.map((key) => ({ path: [...path, key], message: "unknown key (check the spelling against the contract)" }));
        }
        return [{ path, message: issue.message }];
    });
}

/**
 * Validates the raw namespace values (as Pulumi hands them to the program) into the typed model.
 * Pure apart from wrapping secret leaves with `pulumi.secret`; throws ConfigError naming every bad key path.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackModel {
    // Pulumi.yaml declares `demo: {}` as its default (a declared key without one is required by the CLI).
    const { demo, ...rest } = raw;
    const withoutEmptyDemo = isEmptyObject(demo) ? rest : raw;
    const result = rawConfigSchema.safeParse(withoutEmptyDemo);
    if (!result.success) {
        throw new ConfigError(zodIssues(result.error));
    }
    const cfg = result.data;
    const issues = CROSS_FIELD_CHECKS.flatMap((check) => check(cfg));
    if (issues.length > 0) {
        throw new ConfigError(issues);
    }
    return toModel(cfg);
}

function toModel(cfg: RawStackConfig): StackModel {
    const regions: RegionModel[] = cfg.regions.map((region, index) => {
        const parsed = parseCidr(region.mgmt.cidr) as ParsedCidr;
        return {
            name: region.name,
            mgmt: {
                network: region.mgmt.network ?? `lb-mgmt-net${index + 1}`,
                subnet: region.mgmt.subnet ?? `lb-mgmt-subnet${index + 1}`,
                cidr: parsed.text,
                ipVersion: parsed.family,
                prefixLength: parsed.prefixLength,
                addressing: region.mgmt.addressing,
            },
            controllers: region.controllers.map((c) => ({
                host: c.host,
                hostname: c.hostname,
                ovsBridge: c.ovsBridge,
                sshUser: c.user ?? cfg.ssh.user,
                sshPort: c.port ?? cfg.ssh.port,
                hostKey: cfg.ssh.hostKeys[c.host],
            })),
            octavia: region.octavia,
        };
    });
    const sourceTexts = cfg.securityGroups.allowedCidrs.length > 0 ? cfg.securityGroups.allowedCidrs : regions.map((r) => r.mgmt.cidr);
    const sources = sourceTexts
        .map((text) => ({ cidr: text, family: (parseCidr(text) as ParsedCidr).family }))
        .filter((s) => s.family === 4 || cfg.securityGroups.ipv6);
    return {
        centralRegion: cfg.centralRegion,
        securityGroups: {
            amphora: cfg.securityGroups.amphora,
            healthManager: cfg.securityGroups.healthManager,
            amphoraTcpPorts: cfg.securityGroups.amphoraTcpPorts,
            sources,
        },
        healthManager: {
            port: cfg.healthManager.port,
            heartbeatKey: cfg.healthManager.heartbeatKey === undefined ? undefined : pulumi.secret(cfg.healthManager.heartbeatKey),
        },
        ssh: { privateKey: cfg.ssh.privateKey === undefined ? undefined : pulumi.secret(cfg.ssh.privateKey) },
        regions,
        demo: cfg.demo,
    };
}

function isEmptyObject(value: unknown): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** Top-level keys hold JSON for structured values and plain text for strings. */
function decodeValue(text: string): unknown {
    const trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
        try {
            return JSON.parse(trimmed);
        } catch {
            return text;
        }
    }
    return text;
}

/** Every `tricircle-lbaas:*` key of the stack, decoded, so that a misspelt top-level key is caught too. */
export function rawNamespaceConfig(all: Record<string, string>, namespace = PROJECT): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(all)) {
        if (fullKey.startsWith(`${namespace}:`)) {
            raw[fullKey.slice(namespace.length + 1)] = decodeValue(value);
        }
    }
    return raw;
}

/**
 * Reads and validates the stack's configuration once.
 * Validation has to see secret values synchronously (to fail before any resource is registered), and the SDK only
 * offers secrets as Outputs; so the raw namespace is read once here, the secret leaves are wrapped with
 * `pulumi.secret` before they leave this module, and no message ever quotes a value of a secret field.
 */
export function loadStackConfig(): StackModel {
    try {
        return parseStackConfig(rawNamespaceConfig(pulumi.runtime.allConfig()));
    } catch (err) {
        if (err instanceof ConfigError) {
            // RunError ends the program with the message alone, without a stack trace around it.
            throw new pulumi.RunError(err.message);
        }
        throw err;
    }
}

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
