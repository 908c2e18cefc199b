import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { nodeCheckScript, nodeCheckStdin } from "./node/check";
import { Concern, NodeDrift, repairMarker, Repairs } from "./node/nodeDrift";
import { octaviaConfStdin, octaviaSettings } from "./node/octaviaConf";
import * as rules from "./rules";
import { assertValid } from "./rules";
import {
    Addressing,
    firewallScripts,
    normalizeIp,
    ohm0Scripts,
    octaviaConfScripts,
    parseOHm0Report,
    persistenceScripts,
    RemoteScripts,
} from "./node/scripts";

export interface ControllerNodeArgs {
    region: string; // local region, e.g. RegionOne
    centralRegion: string; // e.g. CentralRegion
    host: string;
    hostname: string;
    ovsBridge: string;
    sshUser: string;
    sshPort: number;
    sshPrivateKey: pulumi.Input<string>; // secret
    hostKey?: string; // "ssh-ed25519 AAAA..." pinned, optional
    addressing: Addressing;
    portId: pulumi.Input<string>;
    portMac: pulumi.Input<string>;
    portIp: pulumi.Input<string>;
    prefixLength: number;
    healthManagerPort: number; // UDP, e.g. 5555
    controllerIpPortList: pulumi.Input<string>; // "ip:port,ip:port" of every HM in the region
    heartbeatKey: pulumi.Input<string>; // secret
    mgmtNetworkId: pulumi.Input<string>;
    amphoraSecurityGroupId: pulumi.Input<string>;
    octavia: {
        configFile: string;
        restartCommand: string;
        neutron?: { endpoint?: string; serviceName?: string; endpointType?: string };
        nova?: { endpoint?: string; serviceName?: string; endpointType?: string };
        glance?: { endpoint?: string; serviceName?: string; endpointType?: string };
    };
}

/**
 * How hard the provider tries to reach a node: `dialErrorLimit` attempts of at most
 * `perDialTimeout` seconds each, so an unreachable node fails an update in about half a minute
 * instead of the provider's default of 10 x 15 s.
 */
export const SSH_DIAL_POLICY = { dialErrorLimit: 3, perDialTimeout: 10 } as const;

/**
 * The arguments known when the node is declared, held to the config's rules (rules.ts) before anything is
 * registered. What only Neutron knows (port id, MAC, address) is checked by the generators once it is there.
 */
export function checkControllerNodeArgs(args: ControllerNodeArgs): void {
    assertValid("host", args.host, rules.sshHost);
    assertValid("hostname", args.hostname, rules.bindingHostId);
    assertValid("ovsBridge", args.ovsBridge, rules.interfaceName);
    assertValid("ssh user", args.sshUser, rules.posixUser);
    assertValid("ssh port", args.sshPort, rules.port);
    if (args.hostKey !== undefined) assertValid(`ssh.hostKeys[${args.host}]`, args.hostKey, rules.hostKey);
    assertValid("region", args.region, rules.regionName);
    assertValid("centralRegion", args.centralRegion, rules.regionName);
    assertValid("healthManager.port", args.healthManagerPort, rules.port);
    assertValid("octavia.configFile", args.octavia.configFile, rules.configPath);
    assertValid("octavia.restartCommand", args.octavia.restartCommand, rules.singleLineText);
}

/**
 * One Octavia controller node of a region, configured over SSH (guide steps 3 and 4): o-hm0,
 * the heartbeat firewall rule, their reboot persistence, and octavia.conf. Each concern is a
 * remote Command whose delete undoes its create; `ip` and `mac` are what the host reports.
 */
export class ControllerNode extends pulumi.ComponentResource {
    /** The address o-hm0 actually carries on the host (read back after the create). */
    public readonly ip: pulumi.Output<string>;
    /** The MAC o-hm0 actually has on the host. */
    public readonly mac: pulumi.Output<string>;

    constructor(name: string, args: ControllerNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        checkControllerNodeArgs(args);
        super("tricircle-lbaas:node:ControllerNode", name, {}, opts);

        if (args.hostKey?.startsWith("ssh-rsa ")) {
            // The provider then offers only the ssh-rsa (SHA-1) signature, which OpenSSH >= 8.8 refuses.
            void pulumi.log.warn(`${name}: the pinned host key of ${args.host} is ssh-rsa; pin its ed25519 or ECDSA key if the connection fails`, this);
        }

        // The provider verifies the host key natively (ssh.FixedHostKey); no script-level check is needed.
        const connection: command.types.input.remote.ConnectionArgs = {
            host: args.host,
            port: args.sshPort,
            user: args.sshUser,
            privateKey: pulumi.secret(args.sshPrivateKey),
            hostKey: args.hostKey,
            dialErrorLimit: SSH_DIAL_POLICY.dialErrorLimit,
            perDialTimeout: SSH_DIAL_POLICY.perDialTimeout,
        };
        // The connection itself is an update, not a replacement, for the provider; a different
        // host must instead undo everything on the old one first, hence these triggers.
        const nodeIdentity = [args.host, args.sshPort];

        const ohm0Params = pulumi.all([args.portId, args.portMac, args.portIp]).apply(([portId, mac, ip]) => ({
            bridge: args.ovsBridge,
            portId,
            mac,
            ip,
            prefixLength: args.prefixLength,
            addressing: args.addressing,
            hostname: args.hostname,
        }));

        // bind_ip is the port's address, known before o-hm0 exists (so previews show it); the o-hm0 script has verified
        // that the host carries exactly that address by the time octavia.conf is merged.
        const settings = pulumi
            .all([args.portIp, args.controllerIpPortList, args.mgmtNetworkId, args.amphoraSecurityGroupId])
            .apply(([portIp, controllerIpPortList, mgmtNetworkId, amphoraSecurityGroupId]) =>
                octaviaSettings({
                    region: args.region,
                    centralRegion: args.centralRegion,
                    bindIp: normalizeIp("portIp", portIp).address,
                    bindPort: args.healthManagerPort,
                    controllerIpPortList,
                    mgmtNetworkId,
                    amphoraSecurityGroupId,
                    neutron: args.octavia.neutron,
                    nova: args.octavia.nova,
                    glance: args.octavia.glance,
                }),
            );

        // Drift (issue 13): refresh runs a read-only check of the node; a concern that drifted gets one more repair,
        // which changes its command's text (repairMarker), so `up` re-runs that command's converging update.
        const drift = new NodeDrift(
            `${name}-drift`,
            {
                node: `${name} (${args.host}:${args.sshPort})`,
                connection: pulumi.output(args.sshPrivateKey).apply((privateKey) => ({
                    host: args.host,
                    port: args.sshPort,
                    user: args.sshUser,
                    privateKey,
                    ...(args.hostKey !== undefined ? { hostKey: args.hostKey } : {}),
                    ...SSH_DIAL_POLICY,
                })),
                check: pulumi.all([ohm0Params, settings]).apply(([ohm0, s]) =>
                    nodeCheckScript({ ohm0, healthManagerPort: args.healthManagerPort, configFile: args.octavia.configFile, settings: s }),
                ),
                checkStdin: pulumi.output(args.heartbeatKey).apply((heartbeatKey) => nodeCheckStdin({ heartbeatKey })),
            },
            { parent: this },
        );
        const repairs: pulumi.Output<Repairs | undefined> = drift.repairs;

        const remote = (concern: Concern, scripts: pulumi.Output<RemoteScripts>, extra: Partial<command.remote.CommandArgs>, options: pulumi.CustomResourceOptions) => {
            const marked = pulumi.all([scripts, repairs]).apply(([s, r]) => {
                const marker = repairMarker(r, concern);
                return { create: marker + s.create, update: marker + s.update, delete: s.delete };
            });
            return new command.remote.Command(
                `${name}-${concern}`,
                {
                    connection,
                    create: marked.create,
                    update: marked.update,
                    delete: marked.delete,
                    addPreviousOutputInEnv: false,
                    // No script prints a secret: the heartbeat key only ever reaches the merge program's stdin.
                    logging: command.types.enums.remote.Logging.StdoutAndStderr,
                    ...extra,
                },
                { parent: this, deleteBeforeReplace: true, ...options },
            );
        };

        const ohm0 = remote("ohm0", ohm0Params.apply(ohm0Scripts), { triggers: [...nodeIdentity, args.ovsBridge, args.addressing] }, {});
        const firewall = remote(
            "firewall",
            pulumi.output(firewallScripts(args.healthManagerPort)),
            { triggers: nodeIdentity },
            { dependsOn: [ohm0] },
        );
        const persistence = remote(
            "persistence",
            ohm0Params.apply((p) => persistenceScripts({ ohm0: p, healthManagerPort: args.healthManagerPort })),
            { triggers: nodeIdentity },
            { dependsOn: [ohm0] },
        );

        const observed = ohm0.stdout.apply(parseOHm0Report);
        this.ip = observed.ip;
        this.mac = observed.mac;

        const confScripts = settings.apply((s) =>
            octaviaConfScripts({ configFile: args.octavia.configFile, restartCommand: args.octavia.restartCommand, settings: s }),
        );
        remote(
            "octavia-conf",
            confScripts,
            {
                triggers: [...nodeIdentity, args.octavia.configFile],
                stdin: pulumi.secret(pulumi.output(args.heartbeatKey).apply((heartbeatKey) => octaviaConfStdin({ heartbeatKey }))),
            },
            { dependsOn: [ohm0, firewall, persistence], additionalSecretOutputs: ["stdin"] },
        );

        this.registerOutputs({ ip: this.ip, mac: this.mac });
    }
}
