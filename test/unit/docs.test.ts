import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parseStackConfig, PROJECT, rawNamespaceConfig, schemaKeyPaths } from "../../components/config/model";
import { TEST_HEARTBEAT_KEY, TEST_PRIVATE_KEY } from "./fixtures";

const root = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");

/** Keys of the README's configuration reference table: the first backticked cell of each row. */
function readmeReferenceKeys(): string[] {
    const section = read("README.md").split("## Configuration reference")[1].split("\n### ")[0];
    return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
}

/** Key paths of the contract's example (docs/configuration.md), in schemaKeyPaths' notation (`regions[].name`). */
function contractKeyPaths(): string[] {
    const block = read("docs/configuration.md").split("```yaml\n")[1].split("```")[0];
    const config = (yaml.load(block) as { config: Record<string, unknown> }).config;
    const paths: string[] = [];
    const walk = (value: unknown, prefix: string) => {
        if (Array.isArray(value)) {
            if (value.some((v) => v !== null && typeof v === "object")) value.forEach((v) => walk(v, `${prefix}[]`));
            return;
        }
        if (value === null || typeof value !== "object") return;
        for (const [key, child] of Object.entries(value)) {
            const at = prefix ? `${prefix}.${key}` : key;
            if (!paths.includes(at)) paths.push(at);
            walk(child, at);
        }
    };
    walk(Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(`${PROJECT}:`, ""), v])), "");
    return paths;
}

/** Keys the contract has and the stack does not build yet: each leaves this list when its schema lands. */
const CONTRACT_KEYS_NOT_BUILT: string[] = [];

describe("documentation and schema agree", () => {
    // Lists of scalars (`amphoraTcpPorts[]`) and map entries have no row of their own.
    const schemaKeys = schemaKeyPaths().filter((k) => !k.endsWith("[]") && !k.endsWith(".<key>"));

    it("the README documents exactly the schema's keys", () => {
        const documented = readmeReferenceKeys();
        expect(documented.length).toBeGreaterThan(30);
        expect([...documented].sort()).toEqual([...schemaKeys].sort());
    });

    it("the contract (docs/configuration.md) has every key of the schema, and only the listed ones are not built yet", () => {
        const contract = contractKeyPaths();
        expect(contract.length).toBeGreaterThan(30);
        // The contract's example leaves out optional keys it explains in prose (amphoraProject, the demo's optional fields).
        const explainedElsewhere = schemaKeys.filter((k) => !contract.includes(k));
        for (const key of explainedElsewhere) expect(read("README.md"), `${key} is in the README's reference`).toContain(`| \`${key}\` |`);
        expect(contract.filter((k) => !schemaKeys.includes(k)).sort()).toEqual([...CONTRACT_KEYS_NOT_BUILT].sort());
    });

    it("Pulumi.yaml describes every top-level key", () => {
        const project = yaml.load(read("Pulumi.yaml")) as { name: string; config: Record<string, unknown> };
        expect(project.name).toBe(PROJECT);
        const declared = Object.keys(project.config).map((k) => k.replace(`${PROJECT}:`, ""));
        expect(declared.sort()).toEqual(schemaKeys.filter((k) => !k.includes(".") && !k.includes("[")).sort());
    });

    it("Pulumi.dev.yaml is the guide's topology, valid, with no secret in it", () => {
        const text = read("Pulumi.dev.yaml");
        expect(text).not.toMatch(/PRIVATE KEY|heartbeatKey:|password:/);
        const stack = yaml.load(text) as { config: Record<string, unknown> };
        expect(stack.config["pulumi:disable-default-providers"]).toEqual(["openstack"]);
        const flat = Object.fromEntries(Object.entries(stack.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
        const raw = rawNamespaceConfig(flat) as any;
        raw.healthManager.heartbeatKey = TEST_HEARTBEAT_KEY;
        raw.ssh.privateKey = TEST_PRIVATE_KEY;
        const model = parseStackConfig(raw);
        expect(model.regions.map((r) => [r.name, r.mgmt.cidr, r.controllers.map((c) => c.hostname)])).toEqual([
            ["RegionOne", "192.168.10.0/24", ["node1"]],
            ["RegionTwo", "192.168.20.0/24", ["node2"]],
        ]);
    });
});
