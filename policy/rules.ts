// The policy pack's predicates, as pure functions over plain data: no @pulumi/* import, so they run (and are unit
// tested) without the engine. policies.ts adapts the policy SDK's arguments to these inputs; index.ts serves them.
//
// Messages never quote the value of anything that may be a secret (scripts, keys): they say what was found and
// where, not what it was.
import * as net from "net";

/** A value the engine does not know yet (a preview of a resource whose inputs depend on unknown outputs). */
export const UNKNOWN: unique symbol = Symbol.for("tricircle-lbaas.policy.unknown");
export type Unknown = typeof UNKNOWN;

export type Plain = string | number | boolean | null | undefined | Unknown | Plain[] | { [key: string]: Plain };
export type Props = Record<string, Plain>;

export const TYPES = {
    secGroupRule: "openstack:networking/secGroupRule:SecGroupRule",
    subnet: "openstack:networking/subnet:Subnet",
    network: "openstack:networking/network:Network",
    port: "openstack:networking/port:Port",
    loadBalancer: "openstack:loadbalancer/loadBalancer:LoadBalancer",
    listener: "openstack:loadbalancer/listener:Listener",
    pool: "openstack:loadbalancer/pool:Pool",
    member: "openstack:loadbalancer/member:Member",
    members: "openstack:loadbalancer/members:Members",
    remoteCommand: "command:remote:Command",
} as const;

/** Component types of this program (components/*.ts) that the scoping rules below recognise in URNs. */
export const COMPONENTS = {
    securityGroups: "tricircle-lbaas:cloud:AmphoraSecurityGroups",
    managementNetwork: "tricircle-lbaas:cloud:ManagementNetwork",
} as const;

/** The name of policy 1, which its message quotes for the opt-in (policies.ts names the policy with it). */
export const WORLD_OPEN_RULES_POLICY = "octavia-sg-rules-not-world-open";

export const HEALTH_MANAGER_PORT_PREFIX = "octavia-health-manager-";
export const HEALTH_MANAGER_DEVICE_OWNER = "Octavia:health-mgr";
export const MANAGEMENT_SUBNET_PATTERN = /^lb-mgmt-subnet/;

export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

function knownString(value: Plain): string | undefined {
    return typeof value === "string" ? value : undefined;
}

function isObject(value: Plain): value is { [key: string]: Plain } {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------------
// URNs
// ---------------------------------------------------------------------------------------------------------------

/**
 * The type chain of a URN, outermost parent first: `urn:pulumi:dev::proj::a:b:C$d:e:F::name` -> [a:b:C, d:e:F].
 * The engine writes every ancestor's type into a child's URN; Pulumi's mock monitor writes only the parent's.
 */
export function urnTypeChain(urn: string | undefined): string[] {
    if (!urn) return [];
    const parts = urn.split("::");
    return parts.length >= 4 ? parts[2].split("$") : [];
}

/** True when the resource (its URN or its parent's) sits below a component of the given type. */
export function hasAncestorType(resource: { urn?: string; parentUrn?: string }, componentType: string): boolean {
    const own = urnTypeChain(resource.urn).slice(0, -1); // the last element is the resource's own type
    return own.includes(componentType) || urnTypeChain(resource.parentUrn).includes(componentType);
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Management / health-manager security group rules open to the world (advisory; opt-in per stack)
// ---------------------------------------------------------------------------------------------------------------

/** `0.0.0.0/0`, `::/0` and spellings of them (`0::/0`, `0.0.0.0/00`): every address of a family. */
export function isWorldCidr(text: string): boolean {
    const m = /^\s*([^/\s]+)\/0+\s*$/.exec(text);
    return m !== null && net.isIP(m[1]) !== 0;
}

export interface SecurityGroupRuleInput {
    urn?: string;
    parentUrn?: string;
    props: Props;
}

/**
 * Management and health-manager rules are the rules of the two groups the AmphoraSecurityGroups component makes:
 * recognised by that component in the rule's URN (their ids are unknown at the first preview, their names are
 * configurable). Other rules of the stack are not this policy's business.
 */
export function isOctaviaSecurityGroupRule(rule: { urn?: string; parentUrn?: string }): boolean {
    return hasAncestorType(rule, COMPONENTS.securityGroups);
}

/** Where an ingress rule lets traffic in from anywhere, in words; undefined when it does not (or cannot be told). */
export function worldOpenSource(props: Props): string | undefined {
    const direction = props.direction;
    if (typeof direction === "string" && direction !== "ingress") return undefined;
    const prefix = props.remoteIpPrefix;
    if (isUnknown(prefix)) return undefined;
    if (typeof prefix === "string" && prefix.trim() !== "") {
        return isWorldCidr(prefix) ? prefix.trim() : undefined;
    }
    const group = props.remoteGroupId;
    if (isUnknown(group) || (typeof group === "string" && group !== "")) return undefined;
    const ethertype = typeof props.ethertype === "string" ? props.ethertype : "IPv4";
    return `any ${ethertype} source (neither remoteIpPrefix nor remoteGroupId is set)`;
}

export function worldOpenRuleViolation(rule: SecurityGroupRuleInput, allowWorldOpenSources: boolean): string | undefined {
    if (allowWorldOpenSources || !isOctaviaSecurityGroupRule(rule)) return undefined;
    const source = worldOpenSource(rule.props);
    if (source === undefined) return undefined;
    const proto = typeof rule.props.protocol === "string" ? rule.props.protocol : "any protocol";
    const min = rule.props.portRangeMin;
    const max = rule.props.portRangeMax;
    const ports = typeof min === "number" ? ` port ${min}${typeof max === "number" && max !== min ? `-${max}` : ""}` : "";
    return (
        `Octavia management/health-manager rule admits ${proto}${ports} from ${source}. ` +
        `Set tricircle-lbaas:securityGroups.allowedCidrs to the sources that need it (empty = every region's ` +
        `management CIDR), or opt this stack in: policy/config/<stack>.json with ` +
        `{"${WORLD_OPEN_RULES_POLICY}": {"allowWorldOpenSources": true}}.`
    );
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Health-manager ports carry Octavia's device owner
// ---------------------------------------------------------------------------------------------------------------

export function healthManagerPortViolation(props: Props): string | undefined {
    const name = knownString(props.name);
    if (name === undefined || !name.startsWith(HEALTH_MANAGER_PORT_PREFIX)) return undefined;
    const owner = props.deviceOwner;
    if (isUnknown(owner) || owner === HEALTH_MANAGER_DEVICE_OWNER) return undefined;
    const found = typeof owner === "string" && owner !== "" ? `"${owner}"` : "no deviceOwner";
    return (
        `health-manager port "${name}" has ${found}; it must be "${HEALTH_MANAGER_DEVICE_OWNER}" ` +
        `(Octavia and Neutron treat the port as the health manager's by it).`
    );
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Management subnets have no gateway
// ---------------------------------------------------------------------------------------------------------------

/**
 * A management subnet is one named `lb-mgmt-subnet*` (the guide's and the default names) or one made by the
 * ManagementNetwork component (which covers configured names). Subnets of the networks that health-manager ports use
 * would need a cross-resource policy whose links (network ids) are unknown at the first preview; every such network
 * is made by ManagementNetwork in this program, so the component rule covers them.
 */
export function isManagementSubnet(subnet: { urn?: string; parentUrn?: string; props: Props }): boolean {
    const name = knownString(subnet.props.name);
    return (name !== undefined && MANAGEMENT_SUBNET_PATTERN.test(name)) || hasAncestorType(subnet, COMPONENTS.managementNetwork);
}

export function managementSubnetViolation(subnet: { urn?: string; parentUrn?: string; props: Props }): string | undefined {
    if (!isManagementSubnet(subnet)) return undefined;
    const label = knownString(subnet.props.name) ?? "(name unknown)";
    const gatewayIp = knownString(subnet.props.gatewayIp);
    if (gatewayIp !== undefined && gatewayIp !== "") {
        return `management subnet "${label}" sets gatewayIp ${gatewayIp}; it must have no gateway (noGateway: true), or o-hm0 gets a default route into the management network.`;
    }
    const noGateway = subnet.props.noGateway;
    if (isUnknown(noGateway) || noGateway === true) return undefined;
    return `management subnet "${label}" has a gateway (noGateway is not true); set noGateway: true, or o-hm0 gets a default route into the management network.`;
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Load balancer members sit on the VIP's network, or name their subnet
// ---------------------------------------------------------------------------------------------------------------

/** One resource of the stack graph, as a stack policy sees it: property -> URNs of the resources it depends on. */
export interface GraphNode {
    urn: string;
    type: string;
    name: string;
    props: Props;
    propertyDependencies: Record<string, string[]>;
}

export interface Finding {
    urn: string;
    message: string;
}

function cidrContains(cidr: string, address: string): boolean {
    const m = /^([^/]+)\/(\d+)$/.exec(cidr.trim());
    if (!m) return false;
    const family = net.isIP(m[1]);
    if (family === 0 || net.isIP(address) !== family) return false;
    const list = new net.BlockList();
    const type = family === 4 ? "ipv4" : "ipv6";
    try {
        list.addSubnet(m[1], Number(m[2]), type);
    } catch {
        return false;
    }
    return list.check(address, type);
}

/**
 * The CIDRs of the VIP network of the load balancer behind a pool: pool -> (listener ->) load balancer ->
 * vipSubnetId's subnet, or every subnet on vipNetworkId's network (or vipPortId's port's network). Links are the
 * engine's property dependencies, which exist at preview when ids do not.
 */
export function vipCidrsOfPool(poolUrn: string, byUrn: Map<string, GraphNode>, all: GraphNode[]): string[] {
    const deps = (node: GraphNode | undefined, prop: string, type: string): GraphNode[] =>
        (node?.propertyDependencies[prop] ?? []).map((u) => byUrn.get(u)).filter((n): n is GraphNode => n?.type === type);
    const pool = byUrn.get(poolUrn);
    const lbs = [
        ...deps(pool, "loadbalancerId", TYPES.loadBalancer),
        ...deps(pool, "listenerId", TYPES.listener).flatMap((l) => deps(l, "loadbalancerId", TYPES.loadBalancer)),
    ];
    const cidrs = new Set<string>();
    const subnetsOfNetwork = (networkUrn: string) =>
        all.filter((n) => n.type === TYPES.subnet && (n.propertyDependencies.networkId ?? []).includes(networkUrn));
    for (const lb of lbs) {
        const subnets = [
            ...deps(lb, "vipSubnetId", TYPES.subnet),
            ...deps(lb, "vipNetworkId", TYPES.network).flatMap((net) => subnetsOfNetwork(net.urn)),
            ...deps(lb, "vipPortId", TYPES.port).flatMap((port) => deps(port, "networkId", TYPES.network).flatMap((n) => subnetsOfNetwork(n.urn))),
        ];
        for (const subnet of subnets) {
            const cidr = knownString(subnet.props.cidr);
            if (cidr) cidrs.add(cidr);
        }
    }
    return [...cidrs];
}

interface MemberEntry {
    label: string;
    address: Plain;
    subnetId: Plain;
}

function memberEntries(node: GraphNode): MemberEntry[] {
    if (node.type === TYPES.member) {
        return [{ label: knownString(node.props.name) ?? node.name, address: node.props.address, subnetId: node.props.subnetId }];
    }
    const list = node.props.members;
    if (!Array.isArray(list)) return [];
    return list.filter(isObject).map((m, i) => ({
        label: knownString(m.name) ?? `${node.name}.members[${i}]`,
        address: m.address,
        subnetId: m.subnetId,
    }));
}

/**
 * Octavia plugs a member without subnet_id in on the VIP's subnet. In Tricircle the backends of one load balancer
 * sit on several networks (the guide's net1 and net2), so a member must name its subnet unless its address is
 * provably on the VIP network. "Provably" needs the address and the VIP subnets' CIDRs known: an unknown address
 * without subnetId is reported too (give it its subnet, as the guide's `member create --subnet` does).
 */
export function memberPlacementFindings(nodes: GraphNode[]): Finding[] {
    const byUrn = new Map(nodes.map((n) => [n.urn, n]));
    const findings: Finding[] = [];
    for (const node of nodes) {
        if (node.type !== TYPES.member && node.type !== TYPES.members) continue;
        const cidrs = (node.propertyDependencies.poolId ?? []).flatMap((pool) => vipCidrsOfPool(pool, byUrn, nodes));
        for (const entry of memberEntries(node)) {
            if (isUnknown(entry.subnetId) || (typeof entry.subnetId === "string" && entry.subnetId !== "")) continue;
            const address = knownString(entry.address);
            if (address !== undefined && cidrs.some((c) => cidrContains(c, address))) continue;
            const where =
                address === undefined
                    ? "its address is not known yet"
                    : cidrs.length === 0
                      ? `the VIP network of its pool could not be traced (address ${address})`
                      : `${address} is not on the VIP network (${cidrs.join(", ")})`;
            findings.push({
                urn: node.urn,
                message: `load balancer member "${entry.label}" has no subnetId and ${where}; set subnetId to the member's subnet.`,
            });
        }
    }
    return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Remote commands carry no secret in plain text
// ---------------------------------------------------------------------------------------------------------------

const LITERAL_START = `["']?[A-Za-z0-9+]`; // a value that starts like a literal, not `$VAR`, `$(...)`, `{fmt}`, `%s`, `.*`
const PLAINTEXT_PATTERNS: { what: string; pattern: RegExp }[] = [
    { what: "a PEM private key", pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
    { what: "a literal heartbeat_key value", pattern: new RegExp(`heartbeat_key\\s*=\\s*${LITERAL_START}`) },
    { what: "a literal password= value", pattern: new RegExp(`password\\s*=\\s*${LITERAL_START}`, "i") },
    { what: "a literal --password argument", pattern: new RegExp(`--(?:os-)?password(?:\\s+|=)${LITERAL_START}`, "i") },
];

/** What plain-text secrets a script holds, in words (never the secret itself). */
export function plaintextSecretFindings(script: string): string[] {
    return PLAINTEXT_PATTERNS.filter(({ pattern }) => pattern.test(script)).map(({ what }) => what);
}

export interface RemoteCommandInput {
    props: Props;
    /**
     * Dotted input paths registered as secrets ("connection", "connection.privateKey"), when the caller can see them
     * (the recorded registrations of a mock run can); undefined when it cannot: the policy SDK hands policies their
     * inputs with secrets already unwrapped.
     */
    secretPaths?: ReadonlySet<string>;
    /** The resource's additionalSecretOutputs option (@pulumi/command sets ["connection"] on every Command). */
    additionalSecretOutputs?: string[];
}

export function remoteCommandViolations(command: RemoteCommandInput): string[] {
    const violations: string[] = [];
    for (const field of ["create", "update", "delete"] as const) {
        const script = knownString(command.props[field]);
        if (script === undefined) continue;
        for (const what of plaintextSecretFindings(script)) {
            violations.push(`${field} holds ${what}; pass secrets on stdin (or as a secret environment value), never in the command text.`);
        }
    }
    const connection = command.props.connection;
    if (!isObject(connection)) return violations;
    for (const key of ["privateKey", "password"] as const) {
        const value = connection[key];
        if (!(isUnknown(value) || (typeof value === "string" && value !== ""))) continue;
        const secret = command.secretPaths;
        if (secret !== undefined) {
            if (!secret.has("connection") && !secret.has(`connection.${key}`)) {
                violations.push(`connection.${key} is not a secret; wrap it with pulumi.secret (or read it with config.requireSecret).`);
            }
        } else if (!(command.additionalSecretOutputs ?? []).includes("connection")) {
            violations.push(
                `connection.${key} is not registered as a secret (connection is not in additionalSecretOutputs); ` +
                    `create the command with @pulumi/command, which keeps connection secret.`,
            );
        }
    }
    return violations;
}
