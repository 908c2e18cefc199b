import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { nodeCheckScript, nodeCheckStdin } from "./check";
import { certificatesScripts, certificatesStdin, assertPkiFiles, publicCertificateDigests, publicCertificatesDigest } from "./certificates";
import { Concern, CONCERNS, NodeDrift, repairMarker, Repairs } from "./nodeDrift";
import { AmphoraConfValues, octaviaConfStdin, octaviaSettings } from "./octaviaConf";
import { PkiMaterial } from "../amphora/pkiMaterial";
import { ControllerModel, RegionModel } from "../config/model";
import * as rules from "../config/rules";
import { assertValid } from "../config/rules";
import { octaviaConfScripts } from "./octaviaConf";
import { HostKeyPin } from "./hostKeyPin";
import { parseOHm0Report } from "./ohm0";
import { planeScripts } from "./plane";
import { RemoteScripts } from "./remote";
import { normalizeIp } from "./values";

/** The node's health-manager port as Neutron has it: o-hm0 takes over its identity on the host. */
export interface NodePort {
    /** The port's id: o-hm0's `external-ids:iface-id`, which the OVS agent binds it by. */
    id: pulumi.Input<string>;
    /** The port's MAC, which o-hm0 must carry for Neutron's anti-spoofing rules to let it talk. */
    mac: pulumi.Input<string>;
    /** The port's fixed IP: o-hm0's address (static) or what DHCP must hand out, and Octavia's `bind_ip`. */
    ip: pulumi.Input<string>;
}

export interface ControllerNodeArgs {
    /**
     * The node as configured (`regions[].controllers[]`), with the stack's SSH user, port and pinned key filled in,
     * and its access: the SSH key and the heartbeat key (secrets; the heartbeat key reaches the node only on stdin).
     */
    controller: ControllerModel;
    /** The node's local region: its name, its management network (addressing, prefix) and its Octavia settings. */
    region: { name: string; mgmt: Pick<RegionModel["mgmt"], "addressing" | "prefixLength">; octavia: RegionModel["octavia"] };
    /** The central region's name (`centralRegion`), where octavia.conf points Octavia for Neutron. */
    centralRegion: string;
    /** The node's health-manager port (HealthManagerPort). */
    port: NodePort;
    /** The UDP port the health manager hears heartbeats on (`healthManager.port`): the firewall rule and `bind_port`. */
    heartbeatPort: number;
    /** `ip:port,...` of every health manager of the region: each node's `controller_ip_port_list`. */
    controllerIpPortList: pulumi.Input<string>;
    /** The region's management network: octavia.conf's `amp_boot_network_list`. */
    mgmtNetworkId: pulumi.Input<string>;
    /** The amphora security group: octavia.conf's `amp_secgroup_list`. */
    amphoraSecurityGroupId: pulumi.Input<string>;
    /**
     * Take over a node set up by hand (`tricircle-lbaas:adopt`): an o-hm0 that already carries this port, the guide's
     * firewall rule and octavia.conf values equal to the stack's are used as found, without a link flap, an address
     * change or an Octavia restart, and stay when the stack is destroyed. Without it such a node is refused; a node
     * whose o-hm0 or octavia.conf points at another port, network, group or key is refused either way.
     */
    adopt: boolean;
    /** What Octavia needs to boot amphorae in the node's region (`amphora`), when the stack makes it. */
    amphora?: { conf: pulumi.Input<AmphoraConfValues>; pki?: pulumi.Input<PkiMaterial> };
    /**
     * What must be over before this node's certificates or octavia.conf change (each may restart Octavia): the
     * previous controller of the region's `octaviaConf` (RegionalOctavia chains them). So a region's controllers
     * restart one after the other, each restart finished (bounded by the restart's time limit) before the next
     * begins, and at every moment but a single node's restart one of the region's health managers listens. The
     * engine deletes in the reverse order, so a destroy goes node by node too. Regions stay in parallel.
     */
    restartAfter?: pulumi.Input<pulumi.Resource>[];
    /**
     * The stack the node serves, `<project>/<stack>` (default: this program's project and stack). A node another
     * stack serves is refused by the o-hm0 create and delete before they change anything (OHm0Params.owner).
     */
    owner?: string;
}

/**
 * The remote command (`<node>-<name>`) that converges each concern of the drift check: a drift of the concern is
 * repaired by running that command's create again. Every concern has one (the type says so).
 */
const COMMAND_OF_CONCERN = {
    ohm0: "plane",
    firewall: "plane",
    persistence: "plane",
    certificates: "certificates",
    "octavia-conf": "octavia-conf",
} as const satisfies Record<Concern, string>;
export type NodeCommand = (typeof COMMAND_OF_CONCERN)[Concern];
/** The node's commands that run something. */
export const NODE_COMMANDS: readonly NodeCommand[] = [...new Set(Object.values(COMMAND_OF_CONCERN))];

/** The command that converges a concern. */
export function commandOfConcern(concern: Concern): NodeCommand {
    return COMMAND_OF_CONCERN[concern];
}

/**
 * Commands of stacks deployed when the plane's concerns each had their own (see ControllerNode): still registered,
 * with nothing to run.
 */
export const RETIRED_COMMANDS = ["firewall", "persistence"] as const;

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
    const { controller, region } = args;
    assertValid("host", controller.host, rules.sshHost);
    assertValid("hostname", controller.hostname, rules.bindingHostId);
    assertValid("ovsBridge", controller.ovsBridge, rules.interfaceName);
    assertValid("ssh user", controller.sshUser, rules.posixUser);
    assertValid("ssh port", controller.sshPort, rules.port);
    if (controller.hostKey !== undefined) assertValid(`ssh.hostKeys[${controller.host}]`, controller.hostKey, rules.hostKey);
    assertValid("region", region.name, rules.regionName);
    assertValid("centralRegion", args.centralRegion, rules.regionName);
    assertValid("healthManager.port", args.heartbeatPort, rules.port);
    assertValid("octavia.configFile", region.octavia.configFile, rules.configPath);
    assertValid("octavia.restartCommand", region.octavia.restartCommand, rules.singleLineText);
}

/**
 * One Octavia controller node of a region, configured over SSH (guide steps 3 and 4): the plane (o-hm0, the heartbeat
 * firewall rule, their reboot persistence), the amphora certificates, and octavia.conf. Each is a remote Command whose
 * delete undoes its create; `ip` and `mac` are what the host reports.
 */
export class ControllerNode extends pulumi.ComponentResource {
    /** The address o-hm0 actually carries on the host (read back after the create). */
    public readonly ip: pulumi.Output<string>;
    /** The MAC o-hm0 actually has on the host. */
    public readonly mac: pulumi.Output<string>;
    /** The command that merges octavia.conf and restarts Octavia: done once this node's restart is over. */
    public readonly octaviaConf: pulumi.Resource;

    constructor(name: string, args: ControllerNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        checkControllerNodeArgs(args);
        super("tricircle-lbaas:node:ControllerNode", name, {}, opts);
        const { controller, region } = args;
        const octavia = region.octavia;

        if (controller.hostKey?.startsWith("ssh-rsa ")) {
            // The provider then offers only the ssh-rsa (SHA-1) signature, which OpenSSH >= 8.8 refuses.
            void pulumi.log.warn(`${name}: the pinned host key of ${controller.host} is ssh-rsa; pin its ed25519 or ECDSA key if the connection fails`, this);
        }

        // The host key: pinned in the config, or (ssh.hostKeyPolicy accept-new) the first one the node showed.
        const hostKey: pulumi.Input<string> =
            controller.hostKey ?? new HostKeyPin(`${name}-host-key`, { host: controller.host, port: controller.sshPort }, { parent: this }).hostKey;
        // One connection for the commands and the drift check: the provider verifies the pinned host key natively
        // (ssh.FixedHostKey), so no script-level check is needed.
        const connection = pulumi.all([controller.access.sshPrivateKey, hostKey]).apply(([privateKey, key]) => ({
            host: controller.host,
            port: controller.sshPort,
            user: controller.sshUser,
            privateKey,
            hostKey: key,
            ...SSH_DIAL_POLICY,
        }));
        // The connection itself is an update, not a replacement, for the provider; a different
        // host must instead undo everything on the old one first, hence these triggers.
        const nodeIdentity = [controller.host, controller.sshPort];
        const owner = args.owner ?? `${pulumi.getProject()}/${pulumi.getStack()}`;

        const ohm0Params = pulumi.all([args.port.id, args.port.mac, args.port.ip]).apply(([portId, mac, ip]) => ({
            bridge: controller.ovsBridge,
            portId,
            mac,
            ip,
            prefixLength: region.mgmt.prefixLength,
            addressing: region.mgmt.addressing,
            hostname: controller.hostname,
            adopt: args.adopt,
            owner,
        }));

        // bind_ip is the port's address, known before o-hm0 exists (so previews show it); the o-hm0 script has verified
        // that the host carries exactly that address by the time octavia.conf is merged.
        const amphoraConf = pulumi.output(args.amphora?.conf);
        // The PKI is secret as a whole (keys and passphrases); only digests of its public certificates leave it.
        const pki = args.amphora?.pki === undefined ? undefined : pulumi.secret(args.amphora.pki).apply(assertPkiFiles);
        const certificatesDir = amphoraConf.apply((a) => {
            if (pki !== undefined && a?.certificatesDir === undefined) throw new Error(`${name}: amphora.pki is given without amphora.conf.certificatesDir, where it goes`);
            return a?.certificatesDir;
        });
        const settings = pulumi
            .all([args.port.ip, args.controllerIpPortList, args.mgmtNetworkId, args.amphoraSecurityGroupId, amphoraConf])
            .apply(([portIp, controllerIpPortList, mgmtNetworkId, amphoraSecurityGroupId, amphora]) =>
                octaviaSettings({
                    region: region.name,
                    centralRegion: args.centralRegion,
                    bindIp: normalizeIp("portIp", portIp).address,
                    bindPort: args.heartbeatPort,
                    controllerIpPortList,
                    mgmtNetworkId,
                    amphoraSecurityGroupId,
                    neutron: octavia.neutron,
                    nova: octavia.nova,
                    glance: octavia.glance,
                    ...(amphora !== undefined ? { amphora } : {}),
                }),
            );
        // Unsecret on purpose: digests of public certificates, which the check's text and octavia.conf's carry.
        const publicPki =
            pki === undefined
                ? pulumi.output(undefined)
                : pulumi.unsecret(pki.apply((m) => ({ digest: publicCertificatesDigest(m), check: publicCertificateDigests(m) })));

        // Drift: refresh runs a read-only check of the node; a concern that drifted gets one more repair,
        // which changes its command's text (repairMarker), so `up` re-runs that command's converging update.
        const drift = new NodeDrift(
            `${name}-drift`,
            {
                node: `${name} (${controller.host}:${controller.sshPort})`,
                connection,
                check: pulumi.all([ohm0Params, settings, publicPki, certificatesDir]).apply(([ohm0, s, pub, dir]) =>
                    nodeCheckScript({
                        ohm0,
                        heartbeatPort: args.heartbeatPort,
                        configFile: octavia.configFile,
                        settings: s,
                        ...(pub !== undefined && dir !== undefined ? { certificates: { dir, publicDigests: pub.check } } : {}),
                    }),
                ),
                checkStdin: pulumi
                    .all([controller.access.heartbeatKey, pki])
                    .apply(([heartbeatKey, m]) => nodeCheckStdin({ heartbeatKey, ...(m !== undefined ? { pki: m } : {}) })),
            },
            { parent: this },
        );
        const repairs: pulumi.Output<Repairs | undefined> = drift.repairs;

        // Each command's text starts with the markers of the concerns it converges, so a repair of one re-runs it.
        const remote = (
            commandName: NodeCommand,
            scripts: pulumi.Output<RemoteScripts>,
            extra: Partial<command.remote.CommandArgs>,
            options: pulumi.CustomResourceOptions,
        ) => {
            const marked = pulumi.all([scripts, repairs]).apply(([s, r]) => {
                const markers = CONCERNS.filter((c) => COMMAND_OF_CONCERN[c] === commandName)
                    .map((c) => repairMarker(r, c))
                    .join("");
                return { create: markers + s.create, delete: s.delete };
            });
            // No `update`: an update runs `create` again (RemoteScripts says why).
            return new command.remote.Command(
                `${name}-${commandName}`,
                {
                    connection: pulumi.secret(connection),
                    create: marked.create,
                    delete: marked.delete,
                    addPreviousOutputInEnv: false,
                    // No script prints a secret: the heartbeat key, the PKI's keys and passphrases only ever reach stdin.
                    logging: command.types.enums.remote.Logging.StdoutAndStderr,
                    ...extra,
                },
                { parent: this, deleteBeforeReplace: true, ...options },
            );
        };

        // o-hm0, the firewall rule and the boot unit: one login to set up, one to take down (plane.ts). In stacks
        // deployed when each was a command of its own, this one was `-ohm0`: the alias makes that command this one, so
        // an upgrade updates it in place (its create converges) instead of undoing o-hm0.
        const plane = remote(
            "plane",
            ohm0Params.apply((p) => planeScripts({ ohm0: p, heartbeatPort: args.heartbeatPort })),
            { triggers: [...nodeIdentity, controller.ovsBridge, region.mgmt.addressing] },
            { aliases: [{ name: `${name}-ohm0` }] },
        );
        // The firewall and persistence commands of those stacks: kept, with nothing to run, so that an upgrade updates
        // them (their stored deletes are dropped with it) instead of deleting them, which would run those deletes, take
        // the heartbeat rule and the boot unit away after the plane set them up again, and so fail over every amphora
        // of the region. They are updated only once the plane's update is through, so a failed upgrade leaves the old
        // deletes in place for a destroy. Their triggers are as they were: a change would replace them, which runs the
        // stored delete too. Neither makes an SSH login, ever.
        for (const retired of RETIRED_COMMANDS) {
            new command.remote.Command(
                `${name}-${retired}`,
                { connection: pulumi.secret(connection), triggers: nodeIdentity },
                { parent: this, deleteBeforeReplace: true, dependsOn: [plane] },
            );
        }

        const restartAfter = args.restartAfter ?? [];
        const observed = plane.stdout.apply(parseOHm0Report);
        this.ip = observed.ip;
        this.mac = observed.mac;

        // The region's PKI files, after o-hm0 and before octavia.conf, which points at them and restarts Octavia once
        // for both (certificates.ts says how).
        const certificates =
            pki === undefined
                ? undefined
                : remote(
                      "certificates",
                      certificatesDir.apply((dir) =>
                          certificatesScripts({ configFile: octavia.configFile, restartCommand: octavia.restartCommand, certificatesDir: dir as string }),
                      ),
                      { triggers: [...nodeIdentity, octavia.configFile], stdin: pulumi.secret(pki.apply(certificatesStdin)) },
                      { dependsOn: [plane, ...restartAfter], additionalSecretOutputs: ["stdin"] },
                  );

        const confScripts = pulumi.all([settings, publicPki]).apply(([s, pub]) =>
            octaviaConfScripts({
                configFile: octavia.configFile,
                restartCommand: octavia.restartCommand,
                settings: s,
                adopt: args.adopt,
                ...(pub !== undefined ? { certificatesDigest: pub.digest } : {}),
            }),
        );
        this.octaviaConf = remote(
            "octavia-conf",
            confScripts,
            {
                triggers: [...nodeIdentity, octavia.configFile],
                stdin: pulumi.secret(
                    pulumi
                        .all([controller.access.heartbeatKey, pki])
                        .apply(([heartbeatKey, m]) => octaviaConfStdin({ heartbeatKey, ...(m !== undefined ? { pki: m } : {}) })),
                ),
            },
            { dependsOn: [plane, ...(certificates ? [certificates] : []), ...restartAfter], additionalSecretOutputs: ["stdin"] },
        );

        this.registerOutputs({ ip: this.ip, mac: this.mac });
    }
}
