#!/usr/bin/env node
// Compares a built schema.json with the npm SDK @pulumi/openstack's TypeScript declarations: for each resource,
// function, object type and the provider, which property names the SDK has that the schema lacks ("sdk-only")
// and the reverse ("schema-only"). Names only, not types.
//
//   node compare-sdk.mjs SCHEMA.json [SDK_DIR] [--json] [--only TOKEN,TOKEN...]
//
// Exits 0 whatever it finds (it reports); 2 on bad arguments or unreadable input.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const asJson = args.includes("--json");
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1].split(",")) : null;
const positional = args.filter((a, i) => !a.startsWith("--") && (onlyAt < 0 || i !== onlyAt + 1));
if (positional.length < 1) {
    console.error("usage: compare-sdk.mjs SCHEMA.json [SDK_DIR] [--json] [--only TOKEN,...]");
    process.exit(2);
}
const schema = JSON.parse(fs.readFileSync(positional[0], "utf8"));
const sdkDir = positional[1] ?? path.resolve(here, "../../node_modules/@pulumi/openstack");

const upperFirst = (s) => s[0].toUpperCase() + s.slice(1);

/** The top-level member names of `export interface NAME {` (or `export declare class NAME`) in a .d.ts text. */
function members(text, header, re) {
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.startsWith(header));
    if (start < 0) return null;
    const out = new Set();
    for (let i = start + 1; i < lines.length && lines[i] !== "}"; i++) {
        const m = re.exec(lines[i]);
        if (m) out.add(m[1]);
    }
    return out;
}
const argRe = /^ {4}(?:readonly )?([A-Za-z_$][\w$]*)\??: /;
const outRe = /^ {4}readonly ([A-Za-z_$][\w$]*)!?: pulumi\.Output</;

/** namespace -> interface -> member names, from types/input.d.ts or types/output.d.ts. */
function typeDecls(file) {
    const decls = new Map();
    if (!fs.existsSync(file)) return decls;
    let ns = null;
    let iface = null;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        let m;
        if ((m = /^export declare namespace (\w+) \{/.exec(line))) {
            ns = m[1];
            if (!decls.has(ns)) decls.set(ns, new Map());
        } else if (ns && (m = /^ {4}interface (\w+) \{/.exec(line))) {
            iface = new Set();
            decls.get(ns).set(m[1], iface);
        } else if (ns && iface && (m = /^ {8}([A-Za-z_$][\w$]*)\??: /.exec(line))) {
            iface.add(m[1]);
        } else if (/^ {4}\}/.test(line)) {
            iface = null;
        }
    }
    return decls;
}

const diffs = [];
function compare(kind, token, sdkNames, schemaNames) {
    if (only && !only.has(token)) return;
    if (!sdkNames) {
        diffs.push({ kind, token, missingInSdk: true });
        return;
    }
    const sdkOnly = [...sdkNames].filter((n) => !schemaNames.has(n)).sort();
    const schemaOnly = [...schemaNames].filter((n) => !sdkNames.has(n)).sort();
    if (sdkOnly.length || schemaOnly.length) diffs.push({ kind, token, sdkOnly, schemaOnly });
}
const keys = (o) => new Set(Object.keys(o ?? {}));

// token -> the .d.ts beside the .js that declares it (`__pulumiType = '...'` or `invoke("...")`): the file name is
// not always the token's module member (loadbalancer/l7PolicyV2 lives in loadbalancer/l7policyV2.js).
const declaredIn = new Map();
(function scan(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            if (e.name !== "node_modules") scan(p);
        } else if (e.name.endsWith(".js")) {
            const src = fs.readFileSync(p, "utf8");
            for (const m of src.matchAll(/__pulumiType\s*=\s*['"]([^'"]+)['"]|\.invoke\(\s*['"]([^'"]+)['"]/g)) {
                declaredIn.set(m[1] ?? m[2], p.replace(/\.js$/, ".d.ts"));
            }
        }
    }
})(sdkDir);
const moduleFile = (token) => declaredIn.get(token) ?? "";
const read = (f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : null);

for (const [token, res] of Object.entries(schema.resources ?? {})) {
    const name = token.split(":")[2];
    const text = read(moduleFile(token));
    compare("resource inputs", token, text && members(text, `export interface ${name}Args {`, argRe), keys(res.inputProperties));
    compare("resource outputs", token, text && members(text, `export declare class ${name} `, outRe), keys(res.properties));
}
for (const [token, fn] of Object.entries(schema.functions ?? {})) {
    const name = token.split(":")[2];
    const text = read(moduleFile(token));
    compare("function inputs", token, text && (members(text, `export interface ${upperFirst(name)}Args {`, argRe) ?? new Set()), keys(fn.inputs?.properties));
    compare("function outputs", token, text && members(text, `export interface ${upperFirst(name)}Result {`, argRe), keys(fn.outputs?.properties));
}
const inputs = typeDecls(path.join(sdkDir, "types/input.d.ts"));
const outputs = typeDecls(path.join(sdkDir, "types/output.d.ts"));
for (const [token, type] of Object.entries(schema.types ?? {})) {
    const [, modFile, name] = token.split(":");
    const mod = modFile.split("/")[0];
    // The SDK capitalises type names (getVolumeV3Attachment -> GetVolumeV3Attachment).
    const sdkIn = inputs.get(mod)?.get(name) ?? inputs.get(mod)?.get(upperFirst(name));
    const sdkOut = outputs.get(mod)?.get(name) ?? outputs.get(mod)?.get(upperFirst(name));
    if (!sdkIn && !sdkOut) {
        compare("type", token, null, keys(type.properties));
        continue;
    }
    const union = new Set([...(sdkIn ?? []), ...(sdkOut ?? [])]);
    compare("type", token, union, keys(type.properties));
}
{
    const text = read(path.join(sdkDir, "provider.d.ts"));
    compare("provider inputs", "pulumi:providers:openstack", text && members(text, "export interface ProviderArgs {", argRe), keys(schema.provider?.inputProperties));
    compare("config", "openstack:config", text && members(text, "export interface ProviderArgs {", argRe), keys(schema.config?.variables));
}

if (asJson) {
    console.log(JSON.stringify({ schemaName: schema.name, schemaVersion: schema.version, diffs }, null, 2));
} else {
    console.log(`schema ${schema.name} ${schema.version}: ${diffs.length} difference(s) with ${sdkDir}`);
    for (const d of diffs) {
        if (d.missingInSdk) console.log(`  ${d.kind} ${d.token}: not in the SDK`);
        else console.log(`  ${d.kind} ${d.token}: sdk-only [${d.sdkOnly.join(", ")}] schema-only [${d.schemaOnly.join(", ")}]`);
    }
}
