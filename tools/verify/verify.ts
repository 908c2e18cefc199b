// The round-robin check of the guide's "How to play", after `pulumi up`: requests every demo VIP N times and
// reports which backend answered each request. The rules live in roundRobin.ts beside it (unit-tested);
// this file only reads the outputs and sends the requests.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import {
    analyzeRoundRobin,
    defaultCount,
    formatAnalysis,
    LoadBalancerRef,
    namespaceFor,
    Outcome,
    parseArgs,
    parseLoadBalancers,
    selectLoadBalancers,
    shouldStop,
    USAGE,
    VerifyInputError,
    VerifyOptions,
    vipEndpoint,
} from "./roundRobin";

function readOutputs(options: VerifyOptions): unknown {
    let text: string;
    if (options.outputsFile === "-") {
        text = fs.readFileSync(0, "utf8");
    } else if (options.outputsFile) {
        try {
            text = fs.readFileSync(options.outputsFile, "utf8");
        } catch (err) {
            throw new VerifyInputError(`cannot read ${options.outputsFile}: ${(err as Error).message}`);
        }
    } else {
        const args = ["stack", "output", "--json", ...(options.stack ? ["--stack", options.stack] : [])];
        const run = spawnSync("pulumi", args, { encoding: "utf8" });
        if (run.error) {
            throw new VerifyInputError(`cannot run pulumi (${run.error.message}): source scripts/env.sh first, or pass --outputs FILE`);
        }
        if (run.status !== 0) {
            throw new VerifyInputError(`pulumi ${args.join(" ")} failed:\n${run.stderr.trim()}`);
        }
        text = run.stdout;
    }
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new VerifyInputError(`stack outputs are not JSON: ${(err as Error).message}`);
    }
}

/** From this host: a fresh connection per request, so that no keep-alive pins a backend. */
function requestDirect(host: string, port: number, timeoutSeconds: number): Promise<Outcome> {
    return new Promise((resolve) => {
        let settled = false;
        // Covers connecting and answering alike: a VIP whose amphora accepts but never answers is as dead.
        const timer = setTimeout(() => {
            finish({ kind: "timeout", message: `no answer within ${timeoutSeconds} s` });
            req.destroy();
        }, timeoutSeconds * 1000);
        const finish = (outcome: Outcome) => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                resolve(outcome);
            }
        };
        const req = http.get({ host, port, path: "/", agent: false, headers: { Connection: "close" } }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body += chunk));
            res.on("end", () => finish({ kind: "answer", status: res.statusCode ?? 0, body }));
            res.on("error", (err) => finish({ kind: "error", message: err.message }));
        });
        req.on("error", (err: NodeJS.ErrnoException) => finish({ kind: "error", message: err.code ? `${err.code}: ${err.message}` : err.message }));
    });
}

const STATUS_MARK = "\n--verify-http-status:";

/** From a network namespace, as the guide does: `ip netns exec qdhcp-<id> curl <VIP>`. */
function requestInNamespace(netns: string, url: string, timeoutSeconds: number): Promise<Outcome> {
    return new Promise((resolve) => {
        const child = spawn(
            "ip",
            ["netns", "exec", netns, "curl", "-sS", "--max-time", String(timeoutSeconds), "-H", "Connection: close", "-w", `${STATUS_MARK}%{http_code}`, url],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
        child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
        child.on("error", (err) => resolve({ kind: "error", message: `cannot run ip netns exec: ${err.message}` }));
        child.on("close", (code) => {
            // curl's exit 28 is its --max-time.
            if (code === 28) return resolve({ kind: "timeout", message: `no answer within ${timeoutSeconds} s` });
            const mark = stdout.lastIndexOf(STATUS_MARK);
            if (code !== 0 || mark < 0) {
                return resolve({ kind: "error", message: stderr.trim().split("\n").pop() || `curl exited with ${code}` });
            }
            resolve({ kind: "answer", status: Number(stdout.slice(mark + STATUS_MARK.length)), body: stdout.slice(0, mark) });
        });
    });
}

function namespaceExists(netns: string): boolean {
    return fs.existsSync(`/var/run/netns/${netns}`) || fs.existsSync(`/run/netns/${netns}`);
}

async function checkLoadBalancer(lb: LoadBalancerRef, options: VerifyOptions): Promise<boolean> {
    const port = lb.listenerPort ?? options.port;
    const vip = vipEndpoint(lb.vipAddress, port);
    const count = options.count ?? defaultCount(lb);
    const netns = namespaceFor(lb, options);
    const from = netns ? `netns ${netns}` : "this host";
    const ctx = { vip, timeoutSeconds: options.timeoutSeconds, from, count };
    const outcomes: Outcome[] = [];
    if (lb.members.length > 0) {
        for (let i = 0; i < count; i++) {
            outcomes.push(
                netns
                    ? await requestInNamespace(netns, `http://${vip}/`, options.timeoutSeconds)
                    : await requestDirect(lb.vipAddress, port, options.timeoutSeconds),
            );
            if (shouldStop(outcomes)) break;
        }
    }
    const analysis = analyzeRoundRobin(lb, outcomes, ctx);
    console.log(formatAnalysis(lb, analysis, ctx));
    return analysis.ok;
}

async function main(argv: string[]): Promise<number> {
    let options: VerifyOptions;
    let selected: LoadBalancerRef[];
    try {
        options = parseArgs(argv);
        if (options.help) {
            console.log(USAGE);
            return 0;
        }
        selected = selectLoadBalancers(parseLoadBalancers(readOutputs(options)), options.loadBalancers);
        if (selected.length === 0) throw new VerifyInputError("the stack has no load balancers (demo.loadBalancers is empty)");
        for (const lb of selected) {
            const netns = namespaceFor(lb, options);
            if (netns && !namespaceExists(netns)) {
                throw new VerifyInputError(`network namespace "${netns}" does not exist here (see ip netns list)`);
            }
        }
    } catch (err) {
        if (err instanceof VerifyInputError) {
            console.error(`verify: ${err.message}`);
            return 2;
        }
        throw err;
    }
    const failed: string[] = [];
    for (const lb of selected) {
        if (!(await checkLoadBalancer(lb, options))) failed.push(lb.name);
    }
    console.log(failed.length === 0 ? `verify: OK (${selected.map((lb) => lb.name).join(", ")})` : `verify: FAILED (${failed.join(", ")})`);
    return failed.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
        console.error(err);
        process.exit(2);
    },
);
