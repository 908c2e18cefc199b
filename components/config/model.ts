// The stack's configuration, read once: the raw `tricircle-lbaas:*` namespace through the schema (configSchema.ts)
// and the cross-field checks (configChecks.ts) into the typed model the components take.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { IpFamily } from "./cidr";
import { ConfigIssue, ConfigPath, CROSS_FIELD_CHECKS, formatPath } from "./checks";
import { defaultMgmtNetworkName, defaultMgmtSubnetName } from "./names";
import { PROJECT, RawStackConfig, rawConfigSchema, ServiceEndpoint } from "./schema";

export * from "./checks";
export { LB_ALGORITHMS, LISTENER_PROTOCOLS, MONITOR_TYPES, POOL_PROTOCOLS, PROJECT, schemaKeyPaths } from "./schema";
export type { RawStackConfig, ServiceEndpoint } from "./schema";


/**
 * What reaching and configuring a controller node takes besides its address: both secrets, present by the type
 * whenever a controller exists (the config check refuses controllers without them).
 */
export interface NodeAccess {
    /** `healthManager.heartbeatKey`, secret: reaches a node only on a program's standard input. */
    heartbeatKey: pulumi.Output<string>;
    /** `ssh.privateKey`, secret: the SSH connection's key. */
    sshPrivateKey: pulumi.Output<string>;
}

export interface ControllerModel {
    host: string;
    /** Neutron's host id of the node (the L2 agent's `host`): the port's `binding:host_id`. */
    hostname: string;
    ovsBridge: string;
    sshUser: string;
    sshPort: number;
    /** The pinned host key (`ssh.hostKeys[host]`), if any. */
    hostKey?: string;
    access: NodeAccess;
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
    /** Owner of the management plane (Octavia's `[service_auth]` project), a name or id; unset: the credentials'. */
    amphoraProject?: string;
    /** Take over the plane's objects the cloud already holds (`adopt`), instead of refusing them. */
    adopt: boolean;
    securityGroups: {
        amphora: string;
        healthManager: string;
        amphoraTcpPorts: number[];
        /** Resolved sources: the configured ones, or every region's management CIDR. */
        sources: { cidr: string; family: IpFamily }[];
    };
    healthManager: { port: number };
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
    const result = rawConfigSchema.safeParse(raw);
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

/** The node secrets, wrapped as secrets once; undefined only when no region has controllers (checkSecretsPresent). */
function nodeAccess(cfg: RawStackConfig): NodeAccess | undefined {
    const { heartbeatKey } = cfg.healthManager;
    const { privateKey } = cfg.ssh;
    if (heartbeatKey === undefined || privateKey === undefined) return undefined;
    return { heartbeatKey: pulumi.secret(heartbeatKey), sshPrivateKey: pulumi.secret(privateKey) };
}

function toModel(cfg: RawStackConfig): StackModel {
    const access = nodeAccess(cfg);
    const regions: RegionModel[] = cfg.regions.map((region, index) => {
        const parsed = region.mgmt.cidr;
        return {
            name: region.name,
            mgmt: {
                network: region.mgmt.network ?? defaultMgmtNetworkName(index),
                subnet: region.mgmt.subnet ?? defaultMgmtSubnetName(index),
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
                access: access ?? unchecked("a controller without node secrets"),
            })),
            octavia: region.octavia,
        };
    });
    const sourceCidrs = cfg.securityGroups.allowedCidrs.length > 0 ? cfg.securityGroups.allowedCidrs : cfg.regions.map((r) => r.mgmt.cidr);
    const sources = sourceCidrs
        .map((c) => ({ cidr: c.text, family: c.family }))
        .filter((s) => s.family === 4 || cfg.securityGroups.ipv6);
    return {
        centralRegion: cfg.centralRegion,
        amphoraProject: cfg.amphoraProject,
        adopt: cfg.adopt,
        securityGroups: {
            amphora: cfg.securityGroups.amphora,
            healthManager: cfg.securityGroups.healthManager,
            amphoraTcpPorts: cfg.securityGroups.amphoraTcpPorts,
            sources,
        },
        healthManager: { port: cfg.healthManager.port },
        regions,
        demo: cfg.demo,
    };
}

/** A model built from a configuration the checks did not pass: a bug of the checks, never the user's input. */
function unchecked(what: string): never {
    throw new Error(`configuration model: ${what} (the cross-field checks let it through)`);
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

