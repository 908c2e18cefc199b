import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { NeutronAccess } from "./portBinding/neutronAccess";

/**
 * What every region's part of the plane shares, made once in the central region and handed down whole: the two
 * groups, the heartbeat port, the central provider, the owner project, and the way to reach each local Neutron.
 */
export interface ManagementPlane {
    /** The central region's name (`centralRegion`): octavia.conf points Octavia there for Neutron. */
    centralRegion: string;
    /** The central region's provider: management networks and ports are central (Tricircle) resources. */
    centralProvider: openstack.Provider;
    /** The amphora group (octavia.conf's `amp_secgroup_list`) and the health-manager group (on every HM port). */
    groupIds: { amphora: pulumi.Input<string>; healthManager: pulumi.Input<string> };
    /** The UDP port health managers hear heartbeats on (`healthManager.port`). */
    heartbeatPort: number;
    /** Credentials and endpoint options for the local regions' Neutron (the host bindings); secret. */
    neutronAccess: pulumi.Input<NeutronAccess>;
    /** Owner project id of the plane (`amphoraProject`: Octavia's project); unset: the credentials' project. */
    tenantId?: pulumi.Input<string>;
    /** Take over what the cloud and the controllers already hold of the plane (`adopt`), instead of refusing it. */
    adopt: boolean;
    /**
     * What the running amphorae's agents do with Octavia's push (`healthManager.amphoraAgentVersion`), and whether a
     * change they cannot follow may fail them over (`healthManager.allowFailover`).
     */
    amphoraAgent: { version?: string; allowFailover: boolean };
}
