import { createHash } from "crypto";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { AmphoraAgentConfig } from "./amphora/amphoraAgentConfig";
import { AmphoraContext, AmphoraPrerequisites } from "./amphora/amphoraPrerequisites";
import { PlaneChangeGuard } from "./amphora/planeChangeGuard";
import { RegionModel } from "./config/model";
import { ControllerNode } from "./node/controllerNode";
import { HealthManagerPort } from "./cloud/healthManagerPort";
import { PortActive } from "./cloud/portBinding/portActive";
import { ManagementNetwork } from "./cloud/managementNetwork";
import { RegionAdoption } from "./adoption/plan";
import { ManagementPlane } from "./cloud/managementPlane";
import { regionResourceNames } from "./config/names";

export interface RegionalOctaviaArgs {
    /** The local region as configured (`regions[]`): management network, controllers, Octavia settings. */
    region: RegionModel;
    /** What the region shares with the others (groups, heartbeat port, central provider, owner, Neutron access). */
    plane: ManagementPlane;
    /** What of the region's plane the cloud already holds and the stack takes over (`adopt`); none when absent. */
    adoption?: RegionAdoption;
    /** What Octavia needs to boot amphorae (`amphora`), with the region's own provider (Nova is per region). */
    amphora?: { context: AmphoraContext; provider: openstack.Provider };
}

/** One health manager of the region, as the stack's `regions` output reports it. */
export interface HealthManagerInfo {
    /** The controller's binding host id. */
    hostname: string;
    /** Its health-manager port in Neutron. */
    portId: string;
    /** The address o-hm0 carries on the host. */
    ip: string;
    /** The MAC o-hm0 carries on the host. */
    mac: string;
}

/**
 * Everything one local region needs: its management network, a health-manager port per controller bound to that
 * controller, and the controller's own plumbing (o-hm0, firewall, persistence, octavia.conf).
 */
export class RegionalOctavia extends pulumi.ComponentResource {
    public readonly mgmtNetworkId: pulumi.Output<string>;
    public readonly mgmtSubnetId: pulumi.Output<string>;
    public readonly healthManagers: pulumi.Output<HealthManagerInfo[]>;

    constructor(name: string, args: RegionalOctaviaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:region:RegionalOctavia", name, {}, opts);
        const { region, plane } = args;
        const names = regionResourceNames(region.name);
        const adoption: RegionAdoption = args.adoption ?? { ports: {} };
        const mgmt = new ManagementNetwork(
            names.mgmt,
            { provider: plane.centralProvider, mgmt: region.mgmt, tenantId: plane.tenantId, adoption },
            { parent: this },
        );
        const prerequisites =
            args.amphora &&
            new AmphoraPrerequisites(
                names.amphora,
                { region: region.name, provider: args.amphora.provider, context: args.amphora.context, configFile: region.octavia.configFile },
                { parent: this },
            );
        // Each controller with its own port: the port is bound to the controller's host, and o-hm0 takes it over there.
        const managers = region.controllers.map((controller) => ({
            controller,
            port: new HealthManagerPort(
                names.healthManager(controller.hostname),
                {
                    centralProvider: plane.centralProvider,
                    region: region.name,
                    hostname: controller.hostname,
                    networkId: mgmt.networkId,
                    subnetId: mgmt.subnetId,
                    securityGroupId: plane.groupIds.healthManager,
                    neutronAccess: plane.neutronAccess,
                    tenantId: plane.tenantId,
                    adopted: adoption.ports[controller.hostname],
                },
                { parent: this },
            ),
        }));
        // Every health manager of the region hears every amphora of the region: each node lists them all.
        const controllerIpPortList = pulumi
            .all(managers.map((m) => m.port.ip))
            .apply((ips) => ips.map((ip) => `${ip}:${plane.heartbeatPort}`).join(","));
        // Before any controller gets a new key or list, the region's running amphorae are looked at: a change that
        // would fail them over is refused there, with nothing changed (PlaneChangeGuard says why).
        const first = region.controllers[0];
        const guard =
            first &&
            new PlaneChangeGuard(
                names.planeGuard,
                {
                    region: region.name,
                    access: plane.neutronAccess,
                    heartbeatKey: first.access.heartbeatKey,
                    controllerIpPortList,
                    mgmtCidr: region.mgmt.cidr,
                    agentVersion: plane.amphoraAgent.version,
                    allowFailover: plane.amphoraAgent.allowFailover,
                },
                { parent: this },
            );
        // One controller at a time: each node's Octavia restart waits for the previous node's (see restartAfter).
        let previous: ControllerNode | undefined;
        const nodes = managers.map(({ controller, port }) => {
            const node = new ControllerNode(
                names.node(controller.hostname),
                {
                    controller,
                    region,
                    centralRegion: plane.centralRegion,
                    port: { id: port.portId, mac: port.mac, ip: port.ip },
                    heartbeatPort: plane.heartbeatPort,
                    controllerIpPortList,
                    mgmtNetworkId: mgmt.networkId,
                    amphoraSecurityGroupId: plane.groupIds.amphora,
                    adopt: plane.adopt,
                    amphora: prerequisites && { conf: prerequisites.conf, pki: prerequisites.pki },
                    restartAfter: previous ? [previous.octaviaConf] : [],
                },
                // o-hm0 takes over the port's identity on the host only once Neutron has it bound there.
                { parent: this, dependsOn: guard ? [port, guard] : [port] },
            );
            previous = node;
            // Neutron's word that the controller's L2 agent wired o-hm0: without it no heartbeat reaches this node.
            new PortActive(
                names.portActive(controller.hostname),
                {
                    portId: port.portId,
                    hostId: controller.hostname,
                    region: region.name,
                    access: plane.neutronAccess,
                    node: `${names.node(controller.hostname)} (${controller.host}:${controller.sshPort})`,
                    wiredAs: node.mac,
                },
                { parent: this },
            );
            return { controller, port, node };
        });
        // Running amphorae keep the agent settings they booted with: once every controller of the region has the new
        // key or list and has restarted, the region's Octavia tells them (AmphoraAgentConfig says why).
        if (first !== undefined) {
            const digest = pulumi
                .all([first.access.heartbeatKey, controllerIpPortList])
                .apply(([key, list]) => createHash("sha256").update(JSON.stringify([key, list]), "utf8").digest("hex"));
            new AmphoraAgentConfig(
                names.agentConfig,
                { region: region.name, access: plane.neutronAccess, plane: digest, mgmtCidr: region.mgmt.cidr },
                { parent: this, dependsOn: nodes.map(({ node }) => node.octaviaConf) },
            );
        }
        this.mgmtNetworkId = mgmt.networkId;
        this.mgmtSubnetId = mgmt.subnetId;
        this.healthManagers = pulumi.all(
            nodes.map(({ controller, port, node }) =>
                // IP and MAC as the host reports them, so the output shows what amphorae will really talk to.
                pulumi.all([port.portId, node.ip, node.mac]).apply(([portId, ip, mac]) => ({ hostname: controller.hostname, portId, ip, mac })),
            ),
        );
        this.registerOutputs({ mgmtNetworkId: this.mgmtNetworkId, mgmtSubnetId: this.mgmtSubnetId, healthManagers: this.healthManagers });
    }
}
