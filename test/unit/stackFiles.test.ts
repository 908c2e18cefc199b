// The committed stack files are what a reader copies first: each must pass the stack's own validation, with only
// the secrets (set with `pulumi config set --secret`) and, for `local`, the machine's controller nodes added.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parseStackConfig, PROJECT } from "../../components/config/model";
import { TEST_HEARTBEAT_KEY, TEST_PRIVATE_KEY } from "./fixtures";

const ROOT = path.join(__dirname, "..", "..");

function namespaceOf(file: string): Record<string, any> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, file), "utf8")) as { config: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(doc.config)
            .filter(([k]) => k.startsWith(`${PROJECT}:`))
            .map(([k, v]) => [k.slice(PROJECT.length + 1), v]),
    );
}

describe("committed stack files", () => {
    it("Pulumi.dev.yaml (the guide's topology) validates once its secrets are set", () => {
        const ns = namespaceOf("Pulumi.dev.yaml");
        ns.healthManager = { ...ns.healthManager, heartbeatKey: TEST_HEARTBEAT_KEY };
        ns.ssh = { ...ns.ssh, privateKey: TEST_PRIVATE_KEY };
        const model = parseStackConfig(ns);
        expect(model.regions.map((r) => r.name)).toEqual(["RegionOne", "RegionTwo"]);
    });

    it("Pulumi.local.yaml is the whole guide: the management plane in project service and scenario 3 of the demo", () => {
        const model = parseStackConfig(namespaceOf("Pulumi.local.yaml"));
        expect(model.amphoraProject).toBe("service");
        const demo = model.demo!;
        expect(demo.networks.map((n) => n.name)).toEqual(["net1", "net2"]);
        expect(demo.backends.map((b) => [b.name, b.region, b.network])).toEqual([
            ["backend1", "RegionOne", "net1"],
            ["backend2", "RegionOne", "net1"],
            ["backend3", "RegionTwo", "net1"],
            ["backend4", "RegionTwo", "net2"],
        ]);
        expect(demo.loadBalancers.map((lb) => [lb.name, lb.region, lb.members])).toEqual([["lb1", "RegionOne", ["backend1", "backend2", "backend3", "backend4"]]]);
    });
});
