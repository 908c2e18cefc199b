// `npm run doctor` (tools/doctor/main.ts) and the e2e suite: a read-only report per controller node, `ok` or
// `drift: <what differs>`, without a Pulumi run. It reads the stack's state (`pulumi stack export --show-secrets`,
// through the Automation API) and, for each node, runs the very drift check that NodeDrift runs on refresh, with
// the same connection (host key pinned) and the same expected values: those the last `up` applied, which is what a
// refresh compares with too (the outputs and config may already be ahead of the nodes). Nothing is changed, on the
// nodes or in the state; no secret is printed (the heartbeat key is compared by its hash, on the node).
import { Stack } from "@pulumi/pulumi/automation";
import { NeutronAccess } from "../../components/cloud/portBinding/neutronAccess";
import { neutronPortApi } from "../../components/cloud/portBinding/neutronPortApi";
import { CertificateExpiry, certificateExpiryLevel, Drift, DriftConnection, driftReport, runNodeCheckReport } from "../../components/node/nodeDrift";

export interface NodeReport {
    /** `<ControllerNode name> (<host>:<port>)`. */
    node: string;
    /** `ok`, `drift: ...`, or `error: ...` (the node could not be checked). */
    report: string;
    drift: Drift[];
    /** Every certificate file the check found on the node, with its days left. */
    certificates: CertificateExpiry[];
    error?: string;
}

/** One line per certificate: `<path>: <n> days left`, marked by the same thresholds as refresh's warnings. */
export function certificateLines(certificates: CertificateExpiry[]): string[] {
    return certificates.map((c) => {
        const level = certificateExpiryLevel(c.daysLeft);
        const days = c.daysLeft === null ? "days left unknown" : c.daysLeft < 0 ? `expired ${-c.daysLeft} day(s) ago` : `${c.daysLeft} day(s) left`;
        const mark = level === "urgent" ? " URGENT: reissue now" : level === "warn" ? " WARNING: reissue soon" : "";
        return `${c.path}: ${days}${mark}`;
    });
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** A value of `stack export --show-secrets`: secrets come as `{<sig>: ..., plaintext: "<JSON>"}`. */
function reveal(value: unknown): unknown {
    if (value && typeof value === "object" && SECRET_SIG_KEY in value) {
        const plaintext = (value as { plaintext?: string }).plaintext;
        return plaintext === undefined ? undefined : JSON.parse(plaintext);
    }
    return value;
}

interface DriftState {
    node: string;
    connection: DriftConnection;
    check: string;
    checkStdin: string;
}

type StateResource = { urn: string; type: string; outputs?: Record<string, unknown> };

async function stateResources(stack: Stack): Promise<StateResource[]> {
    return ((await stack.exportStack()).deployment as { resources?: StateResource[] }).resources ?? [];
}

/** The NodeDrift resources of a stack's state, with what their check needs. */
export async function driftChecks(stack: Stack): Promise<DriftState[]> {
    const out: DriftState[] = [];
    for (const r of await stateResources(stack)) {
        if (r.type !== "pulumi-nodejs:dynamic:Resource" || !r.urn.endsWith("-drift")) continue;
        const o = r.outputs ?? {};
        const check = reveal(o.check);
        if (typeof check !== "string") continue;
        out.push({ node: String(reveal(o.node)), connection: reveal(o.connection) as DriftConnection, check, checkStdin: String(reveal(o.checkStdin)) });
    }
    return out.sort((a, b) => a.node.localeCompare(b.node));
}

/** Checks every node of the stack, one after the other (each bounded by its SSH policy). */
export async function doctor(stack: Stack): Promise<NodeReport[]> {
    const reports: NodeReport[] = [];
    for (const d of await driftChecks(stack)) {
        try {
            const { drift, certificates } = await runNodeCheckReport(d.node, d.connection, d.check, d.checkStdin);
            reports.push({ node: d.node, report: driftReport(drift), drift, certificates });
        } catch (e) {
            const error = (e as Error).message;
            reports.push({ node: d.node, report: `error: ${error}`, drift: [], certificates: [], error });
        }
    }
    return reports;
}

/** A controller's health-manager port as its local region's Neutron shows it now (PortActive's check, read-only). */
export interface PortReport {
    /** The node that carries the port as o-hm0: `<ControllerNode name> (<host>:<port>)`. */
    node: string;
    portId: string;
    /** `port <id>: ACTIVE`, `drift: port <id> is <status>, not ACTIVE (...)` or `error: ...`. */
    report: string;
    active: boolean;
    error?: string;
}

/**
 * Asks each region's Neutron for the status of every health-manager port the stack waited on (its PortActive
 * resources), with the credentials the state holds for them: a port that is no longer ACTIVE hears no heartbeat.
 */
export async function portReports(stack: Stack): Promise<PortReport[]> {
    const reports: PortReport[] = [];
    for (const r of await stateResources(stack)) {
        if (r.type !== "pulumi-nodejs:dynamic/neutron:PortActive") continue;
        const o = r.outputs ?? {};
        const node = String(reveal(o.node));
        const portId = String(reveal(o.portId));
        const region = String(reveal(o.region));
        try {
            // One attempt with a short pause on an outage: a report, not a deployment.
            const api = await neutronPortApi(reveal(o.access) as NeutronAccess, region, { budgetMs: 10_000, firstDelayMs: 500, maxDelayMs: 2_000 });
            const port = await api.call("GET", portId);
            if (port === undefined) throw new Error(`port ${portId} does not exist in ${region}`);
            const active = port.status === "ACTIVE";
            const report = active
                ? `port ${portId}: ACTIVE`
                : `drift: port ${portId} is ${port.status || "without a status"}, not ACTIVE (binding:host_id "${port["binding:host_id"] ?? ""}", binding:vif_type ${port["binding:vif_type"] || "none"})`;
            reports.push({ node, portId, report, active });
        } catch (e) {
            const error = (e as Error).message;
            reports.push({ node, portId, report: `error: ${error}`, active: false, error });
        }
    }
    return reports.sort((a, b) => a.node.localeCompare(b.node));
}
