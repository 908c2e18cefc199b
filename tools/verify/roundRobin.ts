/**
 * The pure half of `tools/verify/verify.ts` (the guide's "request the VIP 2, 3, then 4 times and see every backend
 * answer in turn"): reading the stack outputs, the command line, and judging a sequence of answers.
 * No I/O here, so every rule is unit-tested; the script only sends the requests.
 */

export interface MemberRef {
    name: string;
    address: string;
    region: string;
}

export interface LoadBalancerRef {
    name: string;
    vipAddress: string;
    /** Absent from outputs of older stacks: then `--port` (default 80) applies. */
    listenerPort?: number;
    /** The VIP's network, whose DHCP namespace (`qdhcp-<id>`) the guide requests the VIP from. */
    vipNetworkId?: string;
    members: MemberRef[];
}

/** One request's fate: an HTTP answer (any status), or no answer at all. */
export type Outcome =
    | { kind: "answer"; status: number; body: string }
    | { kind: "timeout"; message: string }
    | { kind: "error"; message: string };

export class VerifyInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "VerifyInputError";
    }
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Accepts what `pulumi stack output --json` prints (an object with `loadBalancers`), or the `loadBalancers` map
 * alone (`pulumi stack output loadBalancers --json`).
 */
export function parseLoadBalancers(json: unknown): LoadBalancerRef[] {
    if (!isObject(json)) throw new VerifyInputError("stack outputs must be a JSON object");
    const looksLikeMap = Object.values(json).every((v) => isObject(v) && "vipAddress" in v);
    const map = "loadBalancers" in json ? json.loadBalancers : looksLikeMap && Object.keys(json).length > 0 ? json : undefined;
    if (map === undefined) {
        throw new VerifyInputError("the stack has no loadBalancers output (is tricircle-lbaas:demo configured, and has `pulumi up` run?)");
    }
    if (!isObject(map)) throw new VerifyInputError("loadBalancers must be an object (name -> load balancer)");
    return Object.entries(map).map(([name, raw]) => {
        const where = `loadBalancers.${name}`;
        if (!isObject(raw)) throw new VerifyInputError(`${where} must be an object`);
        if (typeof raw.vipAddress !== "string" || raw.vipAddress === "") {
            throw new VerifyInputError(`${where}.vipAddress is missing (the load balancer has no VIP yet?)`);
        }
        if (raw.listenerPort !== undefined && (typeof raw.listenerPort !== "number" || !Number.isInteger(raw.listenerPort))) {
            throw new VerifyInputError(`${where}.listenerPort must be an integer`);
        }
        if (!Array.isArray(raw.members)) throw new VerifyInputError(`${where}.members must be a list`);
        const members = raw.members.map((m, i): MemberRef => {
            if (!isObject(m) || typeof m.name !== "string" || typeof m.address !== "string" || m.address === "") {
                throw new VerifyInputError(`${where}.members[${i}] needs a name and an address`);
            }
            return { name: m.name, address: m.address, region: typeof m.region === "string" ? m.region : "" };
        });
        const vipNetworkId = typeof raw.vipNetworkId === "string" && raw.vipNetworkId !== "" ? raw.vipNetworkId : undefined;
        return { name, vipAddress: raw.vipAddress, listenerPort: raw.listenerPort, vipNetworkId, members };
    });
}

/** The address a demo backend reports: `Welcome to 10.0.10.152`. */
export function welcomeAddress(body: string): string | undefined {
    return /Welcome to ([0-9A-Fa-f.:]+)/.exec(body)?.[1];
}

export function defaultCount(lb: LoadBalancerRef): number {
    return 2 * lb.members.length;
}

/** A VIP that gives no answer at all to the first request is down: the remaining requests would only wait too. */
export function shouldStop(outcomes: Outcome[]): boolean {
    return outcomes.length === 1 && outcomes[0].kind !== "answer";
}

export interface RequestReport {
    index: number;
    member?: MemberRef;
    /** The address the answer named (also when it is no member's). */
    address?: string;
    problem?: string;
}

export interface Analysis {
    ok: boolean;
    requests: RequestReport[];
    /** The members in the order they take turns, when the answers are round robin. */
    cycle?: string[];
    problems: string[];
    /** Set when there was nothing to check (no members). */
    skipped?: string;
}

export interface AnalysisContext {
    /** `10.0.10.100:80`. */
    vip: string;
    timeoutSeconds: number;
    /** `netns qdhcp-...` or `this host`. */
    from: string;
}

function describeMember(m: MemberRef): string {
    return `${m.name} (${m.address}${m.region ? `, ${m.region}` : ""})`;
}

/**
 * Round robin, as the guide checks it: every member answers, and the answers repeat one cycle in which each
 * answering member appears exactly once (the cycle may start at any member: the load balancer's pointer is
 * wherever earlier traffic left it).
 */
export function analyzeRoundRobin(lb: LoadBalancerRef, outcomes: Outcome[], ctx: AnalysisContext): Analysis {
    if (lb.members.length === 0) {
        return { ok: true, requests: [], problems: [], skipped: "no members: nothing to check" };
    }
    const problems: string[] = [];
    if (outcomes.length > 0 && outcomes[0].kind !== "answer" && outcomes.every((o) => o.kind !== "answer")) {
        const first = outcomes[0];
        const how = first.kind === "timeout" ? `within ${ctx.timeoutSeconds} s` : `(${first.message})`;
        problems.push(`VIP ${ctx.vip} did not answer ${how}, from ${ctx.from}`);
        return { ok: false, requests: [{ index: 1, problem: first.message }], problems };
    }
    const byAddress = new Map(lb.members.map((m) => [m.address, m]));
    const requests: RequestReport[] = outcomes.map((outcome, i): RequestReport => {
        const index = i + 1;
        if (outcome.kind === "timeout") return { index, problem: `no answer within ${ctx.timeoutSeconds} s` };
        if (outcome.kind === "error") return { index, problem: outcome.message };
        const address = welcomeAddress(outcome.body);
        if (outcome.status !== 200) return { index, address, problem: `HTTP ${outcome.status}` };
        if (!address) return { index, problem: `HTTP 200 without "Welcome to <address>": ${JSON.stringify(outcome.body.slice(0, 80))}` };
        const member = byAddress.get(address);
        if (!member) return { index, address, problem: `answered by ${address}, which is no member of ${lb.name}` };
        return { index, member, address };
    });
    for (const r of requests) {
        if (r.problem) problems.push(`request #${r.index}: ${r.problem}`);
    }
    if (outcomes.length < lb.members.length) {
        problems.push(`${outcomes.length} requests cannot reach all ${lb.members.length} members (use --count ${defaultCount(lb)})`);
    }
    const answered = new Set(requests.flatMap((r) => (r.member ? [r.member.name] : [])));
    for (const m of lb.members) {
        if (!answered.has(m.name)) problems.push(`member ${describeMember(m)} never answered`);
    }
    let cycle: string[] | undefined;
    if (requests.every((r) => r.member)) {
        const names = requests.map((r) => r.member!.name);
        const period = answered.size;
        const broken = names.findIndex((name, i) => (i < period ? names.indexOf(name) !== i : name !== names[i - period]));
        if (broken === -1) {
            cycle = names.slice(0, period);
        } else {
            const expected = broken < period ? "a member not yet seen in this cycle" : names[broken - period];
            problems.push(
                `not round robin: request #${broken + 1} was answered by ${names[broken]}, expected ${expected} ` +
                    `(answers: ${names.join(" ")})`,
            );
        }
    }
    return { ok: problems.length === 0, requests, cycle, problems };
}

/** The human report of one load balancer's check. */
export function formatAnalysis(lb: LoadBalancerRef, analysis: Analysis, ctx: AnalysisContext & { count: number }): string {
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    const lines = [`${lb.name}: VIP ${ctx.vip}, ${plural(lb.members.length, "member")}, ${plural(ctx.count, "request")} from ${ctx.from}`];
    if (analysis.skipped) {
        lines.push(`${lb.name}: SKIPPED - ${analysis.skipped}`);
        return lines.join("\n");
    }
    const width = Math.max(4, ...lb.members.map((m) => m.name.length));
    for (const r of analysis.requests) {
        const label = `  #${r.index}`.padEnd(6);
        if (r.member) {
            lines.push(`${label}${r.member.name.padEnd(width)}  ${r.member.address}${r.member.region ? `  ${r.member.region}` : ""}`);
        } else {
            lines.push(`${label}${"-".padEnd(width)}  ${r.problem ?? "?"}`);
        }
    }
    if (analysis.requests.length < ctx.count) {
        lines.push(`  (stopped after ${plural(analysis.requests.length, "request")}: waiting on a VIP that does not answer tells nothing more)`);
    }
    if (analysis.ok) {
        lines.push(`${lb.name}: OK - round robin over ${analysis.cycle!.length} members: ${analysis.cycle!.join(" -> ")}`);
    } else {
        lines.push(`${lb.name}: FAILED`);
        for (const p of analysis.problems) lines.push(`  - ${p}`);
    }
    return lines.join("\n");
}

/** `10.0.10.100:80`, `[fd00::5]:80`. */
export function vipEndpoint(address: string, port: number): string {
    return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface VerifyOptions {
    outputsFile?: string;
    stack?: string;
    loadBalancers: string[];
    count?: number;
    netns?: string;
    /** Each load balancer's requests go out of `qdhcp-<its VIP network id>`. */
    dhcpNetns: boolean;
    timeoutSeconds: number;
    port: number;
    help: boolean;
}

export const USAGE = `usage: npm run verify -- [options]

Requests each demo load balancer's VIP and checks that the backends answer in round-robin order.

  --outputs FILE   stack outputs as JSON (pulumi stack output --json); "-" reads standard input.
                   Default: runs \`pulumi stack output --json\` in the current directory.
  --stack NAME     the stack to read (passed to pulumi stack output --stack)
  --lb NAME        check only this load balancer (repeatable; default: all)
  --count N        requests per load balancer (default: 2 x its members)
  --netns NS       send the requests from this network namespace, as the guide does:
                   ip netns exec qdhcp-<vip network id> ... (needs root and curl)
  --dhcp-netns     the same, from each load balancer's qdhcp-<vipNetworkId> namespace
                   (run it where the DHCP agent of the VIP network runs)
  --timeout SEC    how long one request may take (default 5)
  --port PORT      the VIP's port when the outputs do not name it (default 80)
  --help           this text

Exit status: 0 every checked load balancer is round robin, 1 a check failed, 2 bad usage or input.`;

function positiveNumber(flag: string, text: string, integer: boolean): number {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
        throw new VerifyInputError(`${flag} needs a positive ${integer ? "integer" : "number"}, got "${text}"`);
    }
    return value;
}

export function parseArgs(argv: readonly string[]): VerifyOptions {
    const options: VerifyOptions = { loadBalancers: [], dhcpNetns: false, timeoutSeconds: 5, port: 80, help: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") {
            options.help = true;
            continue;
        }
        if (arg === "--dhcp-netns") {
            options.dhcpNetns = true;
            continue;
        }
        const eq = arg.indexOf("=");
        const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
        const takesValue = ["--outputs", "--stack", "--lb", "--count", "--netns", "--timeout", "--port"].includes(flag);
        if (!takesValue) throw new VerifyInputError(`unknown argument "${arg}"`);
        let value: string;
        if (eq > 0 && flag !== arg) {
            value = arg.slice(eq + 1);
        } else {
            if (i + 1 >= argv.length) throw new VerifyInputError(`${flag} needs a value`);
            value = argv[++i];
        }
        switch (flag) {
            case "--outputs":
                options.outputsFile = value;
                break;
            case "--stack":
                options.stack = value;
                break;
            case "--lb":
                options.loadBalancers.push(value);
                break;
            case "--count":
                options.count = positiveNumber(flag, value, true);
                break;
            case "--netns":
                if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new VerifyInputError(`--netns "${value}" is not a namespace name`);
                options.netns = value;
                break;
            case "--timeout":
                options.timeoutSeconds = positiveNumber(flag, value, false);
                break;
            case "--port":
                options.port = positiveNumber(flag, value, true);
                if (options.port > 65535) throw new VerifyInputError(`--port must be 1..65535, got ${value}`);
                break;
        }
    }
    if (options.netns && options.dhcpNetns) throw new VerifyInputError("--netns and --dhcp-netns exclude each other");
    return options;
}

/** Where a load balancer's requests go out from: a namespace, or (undefined) this host's own stack. */
export function namespaceFor(lb: LoadBalancerRef, options: Pick<VerifyOptions, "netns" | "dhcpNetns">): string | undefined {
    if (options.netns) return options.netns;
    if (!options.dhcpNetns) return undefined;
    if (!lb.vipNetworkId) throw new VerifyInputError(`--dhcp-netns: the outputs name no vipNetworkId for ${lb.name}; use --netns qdhcp-<id>`);
    return `qdhcp-${lb.vipNetworkId}`;
}

/** The load balancers to check: all, or the named ones (each must exist). */
export function selectLoadBalancers(all: LoadBalancerRef[], names: string[]): LoadBalancerRef[] {
    if (names.length === 0) return all;
    return names.map((name) => {
        const found = all.find((lb) => lb.name === name);
        if (!found) {
            throw new VerifyInputError(`no load balancer "${name}" in the outputs (have: ${all.map((lb) => lb.name).join(", ") || "none"})`);
        }
        return found;
    });
}
