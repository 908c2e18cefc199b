// Every name the stack derives from the configuration, in one place: the Pulumi resource names of the per-region
// components (which the config checks must keep unique before anything is registered) and the Neutron names of the
// objects the guide names. Building and checking both read them here, so a rename cannot leave a check behind.

/** The guide's default management network of the region at `index` in `regions` (1-based in the name). */
export function defaultMgmtNetworkName(index: number): string {
    return `lb-mgmt-net${index + 1}`;
}

/** The guide's default management subnet of the region at `index` in `regions`. */
export function defaultMgmtSubnetName(index: number): string {
    return `lb-mgmt-subnet${index + 1}`;
}

/**
 * The Neutron name of a controller's health-manager port: the guide's `octavia-health-manager-<region>-listen-port`
 * with the controller's hostname added, so that a region with several controllers has one port each.
 */
export function healthManagerPortName(region: string, hostname: string): string {
    return `octavia-health-manager-${region}-${hostname}-listen-port`;
}

/**
 * The Nova names of a region's amphora flavor and keypair. Stack and region are in the name because one Nova may
 * serve several regions and stacks (flavor names are unique per Nova, keypair names per user); Octavia is given the
 * flavor's id and the keypair's name.
 */
export function amphoraFlavorName(stack: string, region: string): string {
    return `tlb-amphora-${stack}-${region}`;
}

export function amphoraKeypairName(stack: string, region: string): string {
    return `tlb-amphora-${stack}-${region}`;
}

/** Neutron keeps names to this many characters. */
export const NEUTRON_NAME_MAX = 255;

/** The Pulumi names of one region's components, all derived from the region's name and a controller's hostname. */
export interface RegionResourceNames {
    /** The region's RegionalOctavia. */
    region: string;
    /** Its management network and subnet (ManagementNetwork). */
    mgmt: string;
    /** What Octavia needs to boot amphorae there (AmphoraPrerequisites). */
    amphora: string;
    /** The push of the controllers' agent settings to the region's running amphorae (AmphoraAgentConfig). */
    agentConfig: string;
    /** The look at the region's running amphorae before its controllers change their heartbeat settings (PlaneChangeGuard). */
    planeGuard: string;
    /** A controller's health-manager port and binding (HealthManagerPort). */
    healthManager(hostname: string): string;
    /** The wait for that port to be ACTIVE once o-hm0 carries it (PortActive). */
    portActive(hostname: string): string;
    /** A controller's node component (ControllerNode). */
    node(hostname: string): string;
}

/** The kinds of per-controller component a region has; each must give a distinct name across the whole stack. */
export const CONTROLLER_COMPONENT_KINDS = ["hm", "node"] as const;

export function regionResourceNames(region: string): RegionResourceNames {
    const base = `region-${region}`;
    return {
        region: base,
        mgmt: `${base}-mgmt`,
        amphora: `${base}-amphora`,
        agentConfig: `${base}-amphora-agent-config`,
        planeGuard: `${base}-plane-change-guard`,
        healthManager: (hostname) => `${base}-hm-${hostname}`,
        portActive: (hostname) => `${base}-hm-${hostname}-active`,
        node: (hostname) => `${base}-node-${hostname}`,
    };
}

/** The name one kind of per-controller component gets (the checks compare these across regions). */
export function controllerComponentName(region: string, kind: (typeof CONTROLLER_COMPONENT_KINDS)[number], hostname: string): string {
    const names = regionResourceNames(region);
    return kind === "hm" ? names.healthManager(hostname) : names.node(hostname);
}

/** The interface name Octavia's guide, devstack and kolla all use for the health-manager port on a controller. */
export const OHM0 = "o-hm0";

/** Octavia's device owner of a health-manager port (the guide's `port create --device-owner`). */
export const HEALTH_MANAGER_DEVICE_OWNER = "Octavia:health-mgr";
