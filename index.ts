import * as pulumi from "@pulumi/pulumi";
import { discoverAdoption } from "./components/adoption/adoption";
import { amphoraContext } from "./components/amphora/amphoraContext";
import { amphoraProjectId } from "./components/cloud/amphoraProject";
import { AmphoraSecurityGroups } from "./components/cloud/amphoraSecurityGroups";
import { ManagementPlane } from "./components/cloud/managementPlane";
import { neutronAccess, openStackSettings, RegionalProviders } from "./components/cloud/providers";
import { tagResources } from "./components/cloud/tags";
import { loadStackConfig } from "./components/config/model";
import { regionResourceNames } from "./components/config/names";
import { Demo } from "./components/demo/demo";
import { RegionalOctavia } from "./components/regionalOctavia";

const model = loadStackConfig();
const settings = openStackSettings();

const providers = new RegionalProviders("openstack", {
    centralRegion: model.centralRegion,
    regions: model.regions.map((r) => r.name),
    settings,
});
// Every cloud object below carries the stack's tags (components/cloud/tags.ts).
const tagged = { transformations: [tagResources] };
// The management plane belongs to Octavia's project (amphoraProject), looked up once; unset: the credentials' own.
const tenantId = model.amphoraProject === undefined ? undefined : amphoraProjectId(model.amphoraProject, providers.central);
const access = neutronAccess(settings);

/**
 * The plane and the demo, registered once the cloud has been looked at: what it already holds of the plane and is
 * not this stack's is refused (without `adopt`) before any of it is registered, or taken over as found (with it).
 */
async function deploy() {
    const adoption = await discoverAdoption(model, access, tenantId);
    const amphora = model.amphora && (await amphoraContext(model.amphora, model.regions.map((r) => r.name), providers.central, access, tenantId));

    const groups = new AmphoraSecurityGroups("lb-secgroups", {
        provider: providers.central,
        groups: model.securityGroups,
        heartbeatPort: model.healthManager.port,
        tenantId,
        adoption,
    }, tagged);

    const plane: ManagementPlane = {
        centralRegion: model.centralRegion,
        centralProvider: providers.central,
        groupIds: { amphora: groups.amphoraGroupId, healthManager: groups.healthManagerGroupId },
        heartbeatPort: model.healthManager.port,
        neutronAccess: access,
        tenantId,
        adopt: model.adopt,
        amphoraAgent: { version: model.healthManager.amphoraAgentVersion, allowFailover: model.healthManager.allowFailover },
    };

    const regional = Object.fromEntries(
        model.regions.map((region) => [
            region.name,
            new RegionalOctavia(
                regionResourceNames(region.name).region,
                {
                    region,
                    plane,
                    adoption: adoption.regions[region.name],
                    amphora: amphora && { context: amphora, provider: providers.region(region.name) },
                },
                tagged,
            ),
        ]),
    );

    return {
        securityGroups: { amphora: groups.amphoraGroupId, healthManager: groups.healthManagerGroupId },
        regions: pulumi.output(
            Object.fromEntries(
                Object.entries(regional).map(([name, r]) => [
                    name,
                    { mgmtNetworkId: r.mgmtNetworkId, mgmtSubnetId: r.mgmtSubnetId, healthManagers: r.healthManagers },
                ]),
            ),
        ),
        // Guide step 5 ("How to play"), only when `demo` is configured. The spec's outputs are fixed names: without a
        // demo `loadBalancers` is the empty map (no LB), not undefined (which the engine warns about and drops).
        loadBalancers: model.demo ? new Demo("demo", { demo: model.demo, providers, octaviaReady: regional }, tagged).loadBalancers : {},
    };
}

const deployment = deploy();
export const securityGroups = deployment.then((d) => d.securityGroups);
export const regions = deployment.then((d) => d.regions);
export const loadBalancers = deployment.then((d) => d.loadBalancers);
