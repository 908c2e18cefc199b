// Cross-field rules of the contract: what no single key's rule can see. Pure, exported and unit-tested one by one;
// parseStackConfig (config.ts) runs them all on the schema's output and reports every issue at once.
import { CONTROLLER_COMPONENT_KINDS, controllerComponentName, healthManagerPortName, NEUTRON_NAME_MAX } from "./names";
import { cidrsOverlap, ParsedCidr, usableHostCount } from "./cidr";
import { RawStackConfig } from "./schema";
import * as rules from "./rules";
import { checkPkiMaterial } from "../amphora/pki";

export type ConfigPath = (string | number)[];
export interface ConfigIssue {
    path: ConfigPath;
    message: string;
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
    return [
        ...cfg.regions.map((region, i): NamedCidr => ({ path: ["regions", i, "mgmt", "cidr"], cidr: region.mgmt.cidr })),
        ...(cfg.demo?.networks ?? []).map((network, i): NamedCidr => ({ path: ["demo", "networks", i, "cidr"], cidr: network.cidr })),
    ];
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
        const parsed = region.mgmt.cidr;
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
 * host id. Their health-manager ports and nodes get the Pulumi names of names.ts
 * (`region-<region>-hm-<hostname>`, `region-<region>-node-<hostname>`), which two different pairs can spell alike (`a-hm-b` + `c` and `a` + `b-hm-c`): the engine would stop at the second one with a
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
        const clash = CONTROLLER_COMPONENT_KINDS
            .map((kind) => controllerComponentName(entry.region, kind, entry.c.hostname))
            .map((resourceName) => ({ resourceName, first: seen.get(resourceName) }))
            .find(({ first }) => first !== undefined && first.region !== entry.region);
        if (clash) {
            issues.push({
                path: [...entry.path, "hostname"],
                message: `region "${entry.region}" with hostname "${entry.c.hostname}" gives the resource name ${clash.resourceName}, as ${formatPath([...clash.first!.path, "hostname"])} in region "${clash.first!.region}" does; rename one`,
            });
        }
        for (const kind of CONTROLLER_COMPONENT_KINDS) {
            const resourceName = controllerComponentName(entry.region, kind, entry.c.hostname);
            if (!seen.has(resourceName)) seen.set(resourceName, entry);
        }
        const portName = healthManagerPortName(entry.region, entry.c.hostname);
        if (portName.length > NEUTRON_NAME_MAX) {
            issues.push({
                path: [...entry.path, "hostname"],
                message: `the health-manager port name ${portName.slice(0, 40)}... would have ${portName.length} characters; Neutron keeps ${NEUTRON_NAME_MAX} (shorten the hostname or the region name)`,
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
    cfg.securityGroups.allowedCidrs.forEach((source, i) => {
        if (source.family === 6 && !cfg.securityGroups.ipv6) {
            issues.push({
                path: ["securityGroups", "allowedCidrs", i],
                message: `${source.text} is IPv6 but securityGroups.ipv6 is false`,
            });
        }
    });
    issues.push(...duplicateIssues(cfg.securityGroups.amphoraTcpPorts, String, (i) => ["securityGroups", "amphoraTcpPorts", i], "port"));
    issues.push(...duplicateIssues(cfg.securityGroups.allowedCidrs, (c) => c.text, (i) => ["securityGroups", "allowedCidrs", i], "CIDR"));
    if (cfg.securityGroups.amphora === cfg.securityGroups.healthManager) {
        issues.push({ path: ["securityGroups", "healthManager"], message: "must differ from securityGroups.amphora" });
    }
    return issues;
}

/** A pinned key must belong to a controller: the map is keyed by `controllers[].host`, exactly as written there. */
export function checkHostKeys(cfg: Pick<RawStackConfig, "regions" | "ssh">): ConfigIssue[] {
    const hosts = new Set(cfg.regions.flatMap((r) => r.controllers.map((c) => c.host)));
    const stray = Object.keys(cfg.ssh.hostKeys)
        .filter((host) => !hosts.has(host))
        .map((host) => ({ path: ["ssh", "hostKeys", host], message: `no controller has host "${host}"` }));
    // Whoever answers at an unpinned address would be trusted with the heartbeat key and the PKI: by default every
    // controller's key is pinned, and the message says how to get it.
    if (cfg.ssh.hostKeyPolicy === "accept-new") return stray;
    const unpinned = cfg.regions.flatMap((r) =>
        r.controllers
            .filter((c) => cfg.ssh.hostKeys[c.host] === undefined)
            .map((c) => {
                const port = c.port ?? cfg.ssh.port;
                return {
                    path: ["ssh", "hostKeys", c.host],
                    message:
                        `the controller ${c.host} (region ${r.name}) has no pinned host key: set it to the key part of what ` +
                        `\`ssh-keyscan -t ed25519${port === 22 ? "" : ` -p ${port}`} ${c.host}\` prints (check it against the node's ` +
                        `/etc/ssh/ssh_host_ed25519_key.pub), or set ssh.hostKeyPolicy to "accept-new" to pin the first key seen`,
                };
            }),
    );
    return [...stray, ...unpinned];
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

/**
 * An operator's own PKI (`amphora.certificates.provided`) holds together (checkPkiMaterial), and is given for every
 * local region or for none: a region left out would silently get a PKI of the stack's beside the operator's, and a
 * name that is not a local region is a typo.
 */
export function checkProvidedPki(cfg: Pick<RawStackConfig, "regions" | "amphora">): ConfigIssue[] {
    const provided = cfg.amphora?.certificates?.provided;
    if (provided === undefined) return [];
    const path: ConfigPath = ["amphora", "certificates", "provided"];
    const regions = cfg.regions.map((r) => r.name);
    return [
        // Keys that decrypt and match, chains that verify, dates that hold (never a secret value in a message).
        ...Object.entries(provided).flatMap(([name, pki]) => checkPkiMaterial(pki).map((message) => ({ path: [...path, name], message }))),
        ...Object.keys(provided)
            .filter((name) => !regions.includes(name))
            .map((name) => ({ path: [...path, name], message: `"${name}" is not a local region (regions[].name: ${regions.join(", ")})` })),
        ...regions
            .filter((name) => !(name in provided))
            .map((name) => ({ path, message: `no PKI for region "${name}": give one for every local region, or none (the stack then makes them)` })),
    ];
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
    checkProvidedPki,
];
