// One node's ControllerNodeArgs for the unit and host suites, from flat values: tests vary one field at a time
// (a hostname, a bridge, the addressing), and each suite supplies its own defaults (mock ids or a real namespace).
import * as pulumi from "@pulumi/pulumi";
import { ControllerNodeArgs } from "../../components/node/controllerNode";

export interface FlatNodeArgs {
    region: string;
    centralRegion: string;
    host: string;
    hostname: string;
    ovsBridge: string;
    sshUser: string;
    sshPort: number;
    sshPrivateKey: pulumi.Output<string> | string;
    hostKey?: string;
    addressing: ControllerNodeArgs["region"]["mgmt"]["addressing"];
    prefixLength: number;
    portId: string;
    portMac: string;
    portIp: string;
    heartbeatPort: number;
    controllerIpPortList: string;
    heartbeatKey: pulumi.Output<string> | string;
    mgmtNetworkId: string;
    amphoraSecurityGroupId: string;
    octavia: ControllerNodeArgs["region"]["octavia"];
    adopt: boolean;
    amphora?: ControllerNodeArgs["amphora"];
    /** The stack the node serves; by default the program's own (`<project>/<stack>` of the mocks). */
    owner?: string;
}

export function controllerNodeArgs(defaults: FlatNodeArgs, over: Partial<FlatNodeArgs> = {}): ControllerNodeArgs {
    const v = { ...defaults, ...over };
    return {
        controller: {
            host: v.host,
            hostname: v.hostname,
            ovsBridge: v.ovsBridge,
            sshUser: v.sshUser,
            sshPort: v.sshPort,
            hostKey: v.hostKey,
            access: { heartbeatKey: pulumi.secret(v.heartbeatKey), sshPrivateKey: pulumi.secret(v.sshPrivateKey) },
        },
        region: { name: v.region, mgmt: { addressing: v.addressing, prefixLength: v.prefixLength }, octavia: v.octavia },
        centralRegion: v.centralRegion,
        port: { id: v.portId, mac: v.portMac, ip: v.portIp },
        heartbeatPort: v.heartbeatPort,
        controllerIpPortList: v.controllerIpPortList,
        mgmtNetworkId: v.mgmtNetworkId,
        amphoraSecurityGroupId: v.amphoraSecurityGroupId,
        adopt: v.adopt,
        ...(v.amphora !== undefined ? { amphora: v.amphora } : {}),
        ...(v.owner !== undefined ? { owner: v.owner } : {}),
    };
}
