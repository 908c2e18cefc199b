import * as pulumi from "@pulumi/pulumi";
import { amphoraProjectId } from "./components/cloud/amphoraProject";
import { AmphoraSecurityGroups } from "./components/cloud/amphoraSecurityGroups";
import { loadStackConfig } from "./components/config/model";
import { Demo } from "./components/demo/demo";
import { neutronAccess, openStackSettings, RegionalProviders } from "./components/cloud/providers";
import { ManagementPlane } from "./components/cloud/managementPlane";
import { regionResourceNames } from "./components/config/names";
import { RegionalOctavia } from "./components/regionalOctavia";
import { tagResources } from "./components/cloud/tags";

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

const groups = new AmphoraSecurityGroups("lb-secgroups", {
    provider: providers.central,
    groups: model.securityGroups,
    heartbeatPort: model.healthManager.port,
    tenantId,
}, tagged);

const plane: ManagementPlane = {
    centralRegion: model.centralRegion,
    centralProvider: providers.central,
    groupIds: { amphora: groups.amphoraGroupId, healthManager: groups.healthManagerGroupId },
    heartbeatPort: model.healthManager.port,
    neutronAccess: neutronAccess(settings),
    tenantId,
};

const regional = Object.fromEntries(
    model.regions.map((region) => [region.name, new RegionalOctavia(regionResourceNames(region.name).region, { region, plane }, tagged)]),
);

export const securityGroups = { amphora: groups.amphoraGroupId, healthManager: groups.healthManagerGroupId };
export const regions = pulumi.output(
    Object.fromEntries(
        Object.entries(regional).map(([name, r]) => [
            name,
            { mgmtNetworkId: r.mgmtNetworkId, mgmtSubnetId: r.mgmtSubnetId, healthManagers: r.healthManagers },
        ]),
    ),
);

// Guide step 5 ("How to play"), only when `demo` is configured. The spec's outputs are fixed names: without a demo
// `loadBalancers` is the empty map (no LB), not undefined (which the engine warns about and drops).
export const loadBalancers = model.demo ? new Demo("demo", { demo: model.demo, providers, octaviaReady: regional }, tagged).loadBalancers : {};
