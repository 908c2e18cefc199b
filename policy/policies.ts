// The policies of the pack, adapted from the policy SDK's arguments to the pure predicates of rules.ts.
//
// This module imports nothing from @pulumi/policy at run time (index.ts does, and starts the analyzer server when
// loaded): the types below are the subset of the SDK's argument types that the policies read, so the SDK's own
// types are assignable to them (policy/tsconfig.json type-checks that in index.ts), and the unit suite can call
// the policies with plain objects.
import {
    GraphNode,
    healthManagerPortViolation,
    managementSubnetViolation,
    memberPlacementFindings,
    Plain,
    Props,
    remoteCommandViolations,
    TYPES,
    UNKNOWN,
    WORLD_OPEN_RULES_POLICY,
    worldOpenRuleViolation,
} from "./rules";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export type ReportViolation = (message: string, urn?: string) => void;

/** What the policies read of the SDK's ResourceValidationArgs. */
export interface ResourceArgs {
    type: string;
    props: Record<string, any>;
    urn: string;
    name: string;
    opts: { parent?: string; additionalSecretOutputs: string[] };
    getConfig<T extends object>(): T;
    /**
     * Not in the SDK (which unwraps secrets before policies see them): dotted paths of the inputs registered as
     * secrets, supplied by callers that can see them (the unit suite's recorded registrations).
     */
    secretPaths?: ReadonlySet<string>;
}

/** What the policies read of the SDK's PolicyResource. */
export interface StackResource {
    type: string;
    props: Record<string, any>;
    urn: string;
    name: string;
    propertyDependencies: Record<string, { urn: string }[]>;
}

export interface StackArgs {
    resources: StackResource[];
    getConfig<T extends object>(): T;
}

interface PolicyBase {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    configSchema?: { properties: Record<string, { type: "boolean"; default?: boolean; description?: string }> };
}

export interface ResourcePolicy extends PolicyBase {
    validateResource: (args: ResourceArgs, reportViolation: ReportViolation) => void;
}

export interface StackPolicy extends PolicyBase {
    validateStack: (args: StackArgs, reportViolation: ReportViolation) => void;
}

// Sentinels the engine uses for unknown values (@pulumi/policy's proxy.js); the SDK's proxy throws when a policy
// reads one, and leaves the raw strings in objects obtained around the proxy.
const UNKNOWN_SENTINELS = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

function isUnknownError(err: unknown): boolean {
    return typeof err === "object" && err !== null && ("unknownTypeSentinel" in err || err.constructor?.name === "UnknownValueError");
}

/**
 * A deep plain copy of the SDK's props, with unknown values replaced by UNKNOWN: the SDK's proxy throws on reading
 * an unknown value, and a policy that lets that escape is reported as "can't run during preview" for the whole
 * resource, where most checks only need the known part.
 */
export function toPlain(value: unknown, depth = 0): Plain {
    if (depth > 32 || value === UNKNOWN) return UNKNOWN;
    if (typeof value === "string") return UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
    if (value === null || value === undefined || typeof value === "number" || typeof value === "boolean") return value;
    if (typeof value !== "object") return undefined;
    const read = (key: string | number): Plain => {
        try {
            return toPlain((value as any)[key], depth + 1);
        } catch (err) {
            if (isUnknownError(err)) return UNKNOWN;
            throw err;
        }
    };
    if (Array.isArray(value)) {
        return Array.from({ length: value.length }, (_, i) => read(i));
    }
    const out: Record<string, Plain> = {};
    for (const key of Object.keys(value)) {
        out[key] = read(key);
    }
    return out;
}

function plainProps(props: Record<string, any>): Props {
    const plain = toPlain(props);
    return typeof plain === "object" && plain !== null && !Array.isArray(plain) ? plain : {};
}

export const WORLD_OPEN_RULES = WORLD_OPEN_RULES_POLICY;
export const HEALTH_MANAGER_PORT_OWNER = "health-manager-port-device-owner";
export const MANAGEMENT_SUBNET_NO_GATEWAY = "management-subnet-no-gateway";
export const LB_MEMBER_SUBNET = "lb-member-on-vip-network-or-explicit-subnet";
export const REMOTE_COMMAND_NO_PLAINTEXT_SECRETS = "remote-command-no-plaintext-secrets";

export interface WorldOpenRulesConfig {
    /** The stack's opt-in to management/health-manager rules open to 0.0.0.0/0 or ::/0 (the guide does this). */
    allowWorldOpenSources?: boolean;
}

export const worldOpenRules: ResourcePolicy = {
    name: WORLD_OPEN_RULES,
    description:
        "Octavia management and health-manager security group rules admit only the sources that need them, not 0.0.0.0/0 or ::/0, unless the stack opts in (policy config allowWorldOpenSources).",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            allowWorldOpenSources: {
                type: "boolean",
                default: false,
                description: "Allow rules open to every address (the guide's topology) for this stack.",
            },
        },
    },
    validateResource(args, reportViolation) {
        if (args.type !== TYPES.secGroupRule) return;
        const allow = args.getConfig<WorldOpenRulesConfig>().allowWorldOpenSources === true;
        const message = worldOpenRuleViolation({ urn: args.urn, parentUrn: args.opts.parent, props: plainProps(args.props) }, allow);
        if (message) reportViolation(message);
    },
};

export const healthManagerPortOwner: ResourcePolicy = {
    name: HEALTH_MANAGER_PORT_OWNER,
    description: `Health-manager ports (named octavia-health-manager-*) carry deviceOwner "Octavia:health-mgr".`,
    enforcementLevel: "mandatory",
    validateResource(args, reportViolation) {
        if (args.type !== TYPES.port) return;
        const message = healthManagerPortViolation(plainProps(args.props));
        if (message) reportViolation(message);
    },
};

export const managementSubnetNoGateway: ResourcePolicy = {
    name: MANAGEMENT_SUBNET_NO_GATEWAY,
    description: "Management subnets (lb-mgmt-subnet*, or made by the ManagementNetwork component) have no gateway.",
    enforcementLevel: "mandatory",
    validateResource(args, reportViolation) {
        if (args.type !== TYPES.subnet) return;
        const message = managementSubnetViolation({ urn: args.urn, parentUrn: args.opts.parent, props: plainProps(args.props) });
        if (message) reportViolation(message);
    },
};

export function toGraph(resources: StackResource[]): GraphNode[] {
    return resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        props: plainProps(r.props),
        propertyDependencies: Object.fromEntries(
            Object.entries(r.propertyDependencies ?? {}).map(([prop, deps]) => [prop, deps.map((d) => d.urn)]),
        ),
    }));
}

export const lbMemberSubnet: StackPolicy = {
    name: LB_MEMBER_SUBNET,
    description: "Load balancer members are on the VIP's network or carry an explicit subnetId.",
    enforcementLevel: "mandatory",
    validateStack(args, reportViolation) {
        for (const finding of memberPlacementFindings(toGraph(args.resources))) {
            reportViolation(finding.message, finding.urn);
        }
    },
};

export const remoteCommandNoPlaintextSecrets: ResourcePolicy = {
    name: REMOTE_COMMAND_NO_PLAINTEXT_SECRETS,
    description:
        "command:remote:Command resources carry no secret in create/update/delete (PEM keys, heartbeat_key or password literals), and their connection credentials are secrets.",
    enforcementLevel: "mandatory",
    validateResource(args, reportViolation) {
        if (args.type !== TYPES.remoteCommand) return;
        const violations = remoteCommandViolations({
            props: plainProps(args.props),
            secretPaths: args.secretPaths,
            additionalSecretOutputs: args.opts.additionalSecretOutputs,
        });
        for (const message of violations) reportViolation(message);
    },
};

export const resourcePolicies: ResourcePolicy[] = [worldOpenRules, healthManagerPortOwner, managementSubnetNoGateway, remoteCommandNoPlaintextSecrets];
export const stackPolicies: StackPolicy[] = [lbMemberSubnet];
export const policies: (ResourcePolicy | StackPolicy)[] = [...resourcePolicies, ...stackPolicies];
