// A health-manager port that must be ACTIVE once o-hm0 carries it. Neutron marks a bound port ACTIVE only when the L2
// agent of its host has found the port on its bridge (o-hm0's external-ids:iface-id) and wired it; until then the
// amphorae's heartbeats to the port's address go nowhere. The node commands cannot see that from the host, so this
// resource asks Neutron, waits a bounded time, and fails naming the port, the host and the node. Refresh reads the
// status again: a port that stopped being ACTIVE shows up there, and the next `up` waits for it again (after the
// node's drift repair, which it depends on).
import * as pulumi from "@pulumi/pulumi";
import { notActiveMessage } from "./bindingCheck";
import { NeutronAccess, sameAccess } from "./neutronAccess";
import { neutronPortApi } from "./neutronPortApi";

interface PortActiveInputs {
    portId: string;
    hostId: string;
    region: string;
    access: NeutronAccess;
    /** The node, for messages: `<ControllerNode name> (<host>:<port>)`. */
    node: string;
    /** What o-hm0 reported on the node (its MAC): a new o-hm0 is waited for again. */
    wiredAs: string;
    /** How long to wait for ACTIVE, in seconds. */
    withinS: number;
}

interface PortActiveOutputs extends PortActiveInputs {
    /** The port's `status` as last seen. */
    status: string;
}

/** Polls the port once a second until it is ACTIVE or `withinS` has passed; the error says what Neutron shows. */
async function waitActive(inputs: PortActiveInputs): Promise<string> {
    const api = await neutronPortApi(inputs.access, inputs.region);
    const started = Date.now();
    for (;;) {
        const port = await api.call("GET", inputs.portId);
        if (port === undefined) throw new Error(`health-manager port ${inputs.portId} does not exist in ${inputs.region}`);
        if (port.status === "ACTIVE") return port.status;
        const waited = (Date.now() - started) / 1000;
        if (waited >= inputs.withinS) {
            throw new Error(
                notActiveMessage({
                    portId: inputs.portId,
                    hostId: inputs.hostId,
                    region: inputs.region,
                    node: inputs.node,
                    status: port.status,
                    vifType: port["binding:vif_type"],
                    waitedS: Math.round(waited),
                }),
            );
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
}

// Serialised into the state like the binding provider (see there): it captures only what it imports.
export const portActiveProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: PortActiveOutputs, news: PortActiveInputs) {
        const changed = ["portId", "hostId", "region", "wiredAs"].filter((k) => (olds as any)[k] !== (news as any)[k]);
        return { changes: changed.length > 0 || olds.status !== "ACTIVE" || olds.withinS !== news.withinS || !sameAccess(olds.access, news.access), replaces: [] };
    },

    async create(inputs: PortActiveInputs) {
        return { id: inputs.portId, outs: { ...inputs, status: await waitActive(inputs) } };
    },

    async update(_id: string, _olds: PortActiveOutputs, news: PortActiveInputs) {
        return { outs: { ...news, status: await waitActive(news) } };
    },

    async read(id: string, props: PortActiveOutputs) {
        const api = await neutronPortApi(props.access, props.region);
        const port = await api.call("GET", id);
        if (port === undefined) return { id: "", props: {} };
        return { id, props: { ...props, status: String(port.status ?? "") } };
    },

    // Nothing to undo: the port and its binding belong to HealthManagerPort.
    async delete() {},
};

export interface PortActiveArgs {
    /** The health-manager port. */
    portId: pulumi.Input<string>;
    /** Its binding host (`controllers[].hostname`), for messages. */
    hostId: pulumi.Input<string>;
    /** The local region whose Neutron holds the binding. */
    region: pulumi.Input<string>;
    /** Credentials for that Neutron (secret in the state, as the binding's). */
    access: pulumi.Input<NeutronAccess>;
    /** The node that carries the port as o-hm0, for messages. */
    node: pulumi.Input<string>;
    /** What the node reported for o-hm0 (its MAC): set from the o-hm0 command, so a new o-hm0 is checked again. */
    wiredAs: pulumi.Input<string>;
    /**
     * How long the agent may take to wire the port, in seconds (default 120). The lab's agent takes 1-3 s; an agent
     * on a busy controller polls its bridge every 2 s and may queue behind hundreds of ports after a restart.
     */
    withinS?: number;
}

/** The health-manager port is ACTIVE in its local region once o-hm0 carries it (see the top of this file). */
export class PortActive extends pulumi.dynamic.Resource {
    declare public readonly status: pulumi.Output<string>;

    constructor(name: string, args: PortActiveArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            portActiveProvider,
            name,
            { ...args, withinS: args.withinS ?? 120, access: pulumi.secret(args.access), status: undefined },
            { ...opts, additionalSecretOutputs: ["access"] },
            "neutron",
            "PortActive",
        );
    }
}

