// The import file of `npm run stack -- import --file F` (pure): the JSON of `pulumi import --file`,
// `{ "nameTable": { name: URN }, "resources": [{ "type", "name", "id", "parent"?, "provider"?, ... }] }`, checked before
// the engine sees it so a mistake names the entry.
import { ImportResource } from "@pulumi/pulumi/automation";

export interface ImportFile {
    resources: ImportResource[];
    nameTable?: Record<string, string>;
}

const STRING_FIELDS = ["type", "name", "id", "parent", "provider", "version", "pluginDownloadUrl", "logicalName"] as const;

export function parseImportFile(text: string): { ok: true; file: ImportFile } | { ok: false; error: string } {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        return { ok: false, error: `not JSON: ${(e as Error).message}` };
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return { ok: false, error: "expected an object with resources" };
    const { resources, nameTable } = doc as { resources?: unknown; nameTable?: unknown };
    if (!Array.isArray(resources) || resources.length === 0) return { ok: false, error: "resources: expected a non-empty list" };
    for (const [i, r] of resources.entries()) {
        if (r === null || typeof r !== "object") return { ok: false, error: `resources[${i}]: expected an object` };
        const entry = r as Record<string, unknown>;
        for (const field of STRING_FIELDS) {
            if (entry[field] !== undefined && typeof entry[field] !== "string") return { ok: false, error: `resources[${i}].${field}: expected a string` };
        }
        if (!entry.type || !entry.name) return { ok: false, error: `resources[${i}]: type and name are required` };
        // Only a component (no cloud object behind it) may go without an id.
        if (!entry.id && entry.component !== true) return { ok: false, error: `resources[${i}] (${entry.name as string}): id is required` };
    }
    if (nameTable !== undefined) {
        if (nameTable === null || typeof nameTable !== "object" || Array.isArray(nameTable)) return { ok: false, error: "nameTable: expected an object of name: URN" };
        for (const [name, urn] of Object.entries(nameTable)) {
            if (typeof urn !== "string" || !urn.startsWith("urn:pulumi:")) return { ok: false, error: `nameTable.${name}: expected a URN` };
        }
    }
    return { ok: true, file: { resources: resources as ImportResource[], nameTable: nameTable as Record<string, string> | undefined } };
}
