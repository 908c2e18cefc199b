// The dynamic provider behind PortHostBinding: create binds, a host change rebinds in place, a credential change is
// stored in place, delete unbinds, read reads the binding back, all through the local region's Neutron. A binding
// counts only once a live L2 agent of that host took the port (bindingCheck.ts says why): otherwise the request is
// undone and the step fails, naming the region's live agents.
import * as pulumi from "@pulumi/pulumi";
import { bindingFailureMessage, boundByAgent } from "./bindingCheck";
import { NeutronAccess, sameAccess } from "./neutronAccess";
import { NeutronPortApi, neutronPortApi } from "./neutronPortApi";

export interface BindingInputs {
    portId: string;
    hostId: string;
    region: string;
    access: NeutronAccess;
    /** The port was taken over (`adopt`): a binding already to `hostId` is kept without a call. */
    adopted?: boolean;
}

export interface BindingOutputs extends BindingInputs {
    boundHostId: string;
    /**
     * `binding:vif_type` as last seen (`ovs`, `bridge`, ...; `binding_failed` or `unbound` when no agent took the
     * port). Absent from states written before the stack checked it: the next `up` checks once.
     */
    vifType?: string;
}

// Credentials: the program resolves them (openstack:* settings, clouds.yaml, OS_*) and hands them in as the secret
// input `access`, which the state keeps and which `read` and `delete` use. Rotating them is a change like any other:
// `diff` compares the stored credentials with the program's and reports an in-place update, and `update` stores the
// new ones (after trying them on Keystone) without touching the port again; from then on `refresh` and `destroy`
// authenticate with the new ones. Reading them at run time instead (the dynamic provider's `configure` receives the
// stack's configuration) was not chosen: `refresh` and `destroy` run without the program, so every other resource of
// the stack talks to OpenStack through its explicit provider's credentials as stored in the state, and after a
// rotation those are only renewed by a `pulumi up`; the bindings follow the same rule instead of a second one. It also
// keeps a delete going to the cloud that holds the binding: after a switch of `openstack:cloud`, run-time credentials
// would unbind in the new cloud, where a 404 counts as done, and leave the old port bound.

/**
 * Asks the region's Neutron to bind the port to `hostId` and holds it to a live agent having taken it. When none did,
 * the binding goes back to `previousHost` (no binding for a new one) and the error names the region's live L2 agents.
 */
async function bindToHost(api: NeutronPortApi, inputs: BindingInputs, previousHost: string): Promise<{ boundHostId: string; vifType: string }> {
    // Any update of a port whose binding failed makes ML2 try again, so the same host is simply asked for again.
    const port = await api.call("PUT", inputs.portId, { port: { "binding:host_id": inputs.hostId } });
    if (port === undefined) throw new Error(`Neutron port ${inputs.portId} does not exist in ${inputs.region}`);
    if (boundByAgent(port)) return { boundHostId: port["binding:host_id"] ?? inputs.hostId, vifType: port["binding:vif_type"] };
    const agents = await api.agents().catch((e: Error) => ({ error: e.message }));
    // Never left half-done: a binding no agent took is put back, so the port looks exactly as before this step.
    if (previousHost !== inputs.hostId) await api.call("PUT", inputs.portId, { port: { "binding:host_id": previousHost } });
    throw new Error(bindingFailureMessage({ portId: inputs.portId, hostId: inputs.hostId, region: inputs.region, vifType: port["binding:vif_type"], agents }));
}

// Pulumi serialises this object and the functions it calls into the state and runs them in a separate provider
// process, without this module around them: they require what they need at call time and capture nothing else.
export const neutronBindingProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: BindingInputs, news: BindingInputs) {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        if (!news.hostId) failures.push({ property: "hostId", reason: "the controller's Neutron host id must not be empty" });
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: BindingOutputs, news: BindingInputs) {
        const replaces = ["portId", "region"].filter((k) => (olds as any)[k] !== (news as any)[k]);
        const hostChanged = olds.boundHostId !== news.hostId || olds.hostId !== news.hostId;
        // Compared here, never shown: the engine prints the secret input as [secret].
        const credentialsChanged = !sameAccess(olds.access, news.access);
        // A binding no agent holds (seen by refresh, or never checked) is asked for again.
        const notBound = !boundByAgent({ "binding:vif_type": olds.vifType });
        return {
            changes: replaces.length > 0 || hostChanged || credentialsChanged || notBound,
            replaces,
            deleteBeforeReplace: true,
        };
    },

    async create(inputs: BindingInputs) {
        const api = await neutronPortApi(inputs.access, inputs.region);
        let previousHost = "";
        if (inputs.adopted) {
            // A port taken over is usually bound already (the guide's `port set --host`): then it is left as it is.
            const current = await api.call("GET", inputs.portId);
            if (current !== undefined && current["binding:host_id"] === inputs.hostId && boundByAgent(current)) {
                return { id: inputs.portId, outs: { ...inputs, boundHostId: inputs.hostId, vifType: current["binding:vif_type"] } };
            }
            previousHost = current?.["binding:host_id"] ?? "";
        }
        const bound = await bindToHost(api, inputs, previousHost);
        return { id: inputs.portId, outs: { ...inputs, ...bound } };
    },

    async update(_id: string, olds: BindingOutputs, news: BindingInputs) {
        const api = await neutronPortApi(news.access, news.region);
        if (olds.boundHostId === news.hostId && olds.hostId === news.hostId && boundByAgent({ "binding:vif_type": olds.vifType })) {
            // Only the credentials changed, and they have just worked on Keystone (a wrong one fails this update,
            // not a later destroy). The binding is as wanted: the port is left alone.
            return { outs: { ...news, boundHostId: olds.boundHostId, vifType: olds.vifType } };
        }
        return { outs: { ...news, ...(await bindToHost(api, news, olds.boundHostId)) } };
    },

    async read(id: string, props: BindingOutputs) {
        const api = await neutronPortApi(props.access, props.region);
        const port = await api.call("GET", id);
        if (port === undefined) return { id: "", props: {} };
        return { id, props: { ...props, boundHostId: port["binding:host_id"] ?? "", vifType: port["binding:vif_type"] ?? "" } };
    },

    async delete(id: string, props: BindingOutputs) {
        // Unbinding a port that is already gone is done.
        const api = await neutronPortApi(props.access, props.region);
        await api.call("PUT", id, { port: { "binding:host_id": "" } });
    },
};
