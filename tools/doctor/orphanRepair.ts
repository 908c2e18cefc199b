// `npm run doctor -- --orphans [--fix]` on a stack (tools/doctor/main.ts) and in the crash e2e: the report and the
// repair planned by tools/doctor/orphans.ts, with the stack's own credentials and regions.
import * as fs from "fs";
import { Stack } from "@pulumi/pulumi/automation";
import { ProviderSettings, resolveKeystoneAuth } from "../../components/cloud/openstackAuth";
import { keyTag, projectTag, stackTag } from "../../components/cloud/tags";
import { stackCheckpointSidecars } from "./checkpointSidecar";
import { childQueries, claimChildren } from "./childClaims";
import { deleteObject, listChildren, listTagged, listUntaggedNamed, openCloud, tagObject } from "./cloudObjects";
import { adoptIntoState, AnyKind, CloudObject, Deployment, describeObject, pendingCreates, pendingOperations, planOrphans, TYPE_OF_KIND, urnName } from "./orphans";

export interface OrphanResult {
    /** No pending operation and no orphan (after the fix, when `fix`). */
    clean: boolean;
    pending: number;
    orphans: number;
    adopted: number;
    deleted: number;
    dropped: number;
    /** Unreadable checkpoint sidecars found (removed, when `fix`). */
    sidecars: number;
}

/** The stack's `openstack:*` settings and regions, from its config (secrets in clear, kept in this process). */
async function stackCloud(stack: Stack): Promise<{ settings: ProviderSettings; regions: string[] }> {
    const config = await stack.getAllConfig();
    const settings: ProviderSettings = {};
    for (const [key, { value }] of Object.entries(config)) {
        if (key.startsWith("openstack:")) settings[key.slice("openstack:".length)] = value === "true" ? true : value === "false" ? false : value;
    }
    const project = (await stack.workspace.projectSettings()).name;
    const central = config[`${project}:centralRegion`]?.value ?? config["tricircle-lbaas:centralRegion"]?.value;
    const regionsText = config[`${project}:regions`]?.value ?? config["tricircle-lbaas:regions"]?.value ?? "[]";
    const regions = (JSON.parse(regionsText) as Array<{ name: string }>).map((r) => r.name);
    return { settings, regions: [...(central ? [central] : []), ...regions] };
}

export async function orphanDoctor(stack: Stack, opts: { fix: boolean; log: (line: string) => void }): Promise<OrphanResult> {
    const { log } = opts;
    const project = (await stack.workspace.projectSettings()).name;
    const tag = stackTag(project, stack.name);
    // An unreadable sidecar makes the state itself unreadable: it comes first.
    const sidecars = await stackCheckpointSidecars(stack);
    for (const f of sidecars) log(`broken: ${f} is empty or not JSON (a kill during a checkpoint save): every command on the stack fails with "failed to load checkpoint: EOF"`);
    if (sidecars.length > 0 && !opts.fix) return { clean: false, pending: 0, orphans: 0, adopted: 0, deleted: 0, dropped: 0, sidecars: sidecars.length };
    for (const f of sidecars) {
        fs.rmSync(f, { force: true });
        log(`removed: ${f} (the checkpoint beside it is whole; the backend reads a missing sidecar as its defaults)`);
    }
    const { settings, regions } = await stackCloud(stack);
    const cloud = await openCloud(resolveKeystoneAuth(settings));

    const deployment = (await stack.exportStack()).deployment as Deployment;
    const pending = pendingOperations(deployment);
    for (const p of pending) log(`pending: ${p.operation} ${p.urn}`);
    const wanted = pendingCreates(deployment).flatMap((c) => (c.name ? [{ kind: c.kind, name: c.name }] : []));
    const plan = planOrphans(deployment, await listTagged(cloud, regions, tag), await listUntaggedNamed(cloud, regions, wanted));
    // What the stack makes without tags (rules, flavors, pools, monitors), found by what each pending create asked for.
    const children = claimChildren(await listChildren(cloud, regions, childQueries(deployment)));
    plan.adopt.push(...children.adopt);
    plan.ambiguous.push(...children.ambiguous);
    const why = (o: CloudObject<AnyKind>) => (o.tags.length ? "" : o.kind in TYPE_OF_KIND ? " (untagged: stopped before its tags)" : " (a kind that takes no tags)");
    for (const a of plan.adopt) log(`orphan: ${describeObject(a.object)}${why(a.object)}, claimed by ${a.urn}`);
    for (const o of plan.delete) log(`orphan: ${describeObject(o)}, claimed by nothing`);
    for (const a of plan.ambiguous) log(`ambiguous: ${a.urn} could be any of ${a.candidates.map(describeObject).join(", ")}`);
    const orphans = plan.adopt.length + plan.delete.length;
    log(`doctor: ${pending.length} pending operation(s), ${orphans} orphan(s) of ${tag}`);
    const result: OrphanResult = { clean: pending.length === 0 && orphans === 0, pending: pending.length, orphans, adopted: 0, deleted: 0, dropped: 0, sidecars: sidecars.length };
    if (!opts.fix || result.clean) return result;
    if (plan.ambiguous.length > 0) {
        // Which untagged object the engine made cannot be told apart: nothing is changed, the operator deletes the extra ones.
        throw new Error(`doctor: not fixing: ${plan.ambiguous.length} pending create(s) match several untagged objects (listed above); delete the ones that are not the stack's and run again`);
    }

    // A hard stop leaves the backend's lock behind; nothing else may be running on this stack while this repairs.
    await stack.cancel().catch(() => undefined);
    for (const o of plan.delete) {
        await deleteObject(cloud, o);
        log(`deleted: ${describeObject(o)}`);
        result.deleted++;
    }
    const exported = await stack.exportStack();
    await stack.importStack({ ...exported, deployment: adoptIntoState(exported.deployment as Deployment, plan) });
    for (const a of plan.adopt) log(`adopted: ${describeObject(a.object)} as ${a.urn}`);
    // An untagged object is the stack's now: it gets the tags its create would have set, so that the next `up`,
    // which looks for a plane that is not its own before it plans, knows it.
    for (const a of plan.adopt.filter((x) => x.object.tags.length === 0)) {
        if (await tagObject(cloud, a.object, [projectTag(project), tag, keyTag(urnName(a.urn))])) log(`tagged: ${describeObject(a.object)}`);
    }
    for (const urn of plan.drop) log(`dropped: pending create ${urn} (nothing on the cloud; the next up creates it)`);
    result.adopted = plan.adopt.length;
    result.dropped = plan.drop.length;
    // The adopted resources get their real outputs; a leftover update or delete is settled against the cloud.
    await stack.refresh({ clearPendingCreates: true });
    const after = pendingOperations((await stack.exportStack()).deployment as Deployment);
    result.clean = after.length === 0;
    log(`doctor: fixed: ${result.adopted} adopted, ${result.deleted} deleted, ${result.dropped} pending create(s) dropped; ${after.length} pending left`);
    return result;
}
