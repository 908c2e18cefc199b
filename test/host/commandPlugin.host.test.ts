// Host test of the offline stand-in of pulumi-resource-command 1.2.1 (plugins/command): the BUILT plugin binary,
// started as the engine starts it (engine address as its argument, its gRPC port on stdout), driven over gRPC with
// the Pulumi SDK's own protobuf stubs, against the real OpenSSH sshd of a harness node (a network namespace). A
// small Engine service here receives the plugin's log messages, as the engine would.
//
// The binary: $TRICIRCLE_COMMAND_PLUGIN, else .toolchain/plugins/pulumi-resource-command
// (bash plugins/command/build.sh .toolchain/plugins). A missing binary fails the suite; it is never skipped.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostNode, Lab, TEST_USER } from "./harness";

const ROOT = path.join(__dirname, "..", "..");
const PLUGIN = process.env.TRICIRCLE_COMMAND_PLUGIN || path.join(ROOT, ".toolchain", "plugins", "pulumi-resource-command");
const requireFromRoot = createRequire(path.join(ROOT, "package.json"));
const grpc = requireFromRoot("@grpc/grpc-js");
const providerGrpc = requireFromRoot("@pulumi/pulumi/proto/provider_grpc_pb");
const providerPb = requireFromRoot("@pulumi/pulumi/proto/provider_pb");
const engineGrpc = requireFromRoot("@pulumi/pulumi/proto/engine_grpc_pb");
const { LogSeverity } = requireFromRoot("@pulumi/pulumi/proto/engine_pb") as { LogSeverity: Record<"DEBUG" | "INFO" | "WARNING" | "ERROR", number> };
const structpb = requireFromRoot("google-protobuf/google/protobuf/struct_pb");
const emptypb = requireFromRoot("google-protobuf/google/protobuf/empty_pb");

// The property-value encodings of the Pulumi wire protocol (sdk/go/common/resource/plugin/rpc.go).
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const secret = (value: unknown) => ({ [SIG]: SECRET_SIG, value });
const isSecret = (v: any) => v !== null && typeof v === "object" && v[SIG] === SECRET_SIG;
const reveal = (v: any) => (isSecret(v) ? v.value : v);

const TYPE = "command:remote:Command";
const urnOf = (name: string, type = TYPE) => `urn:pulumi:host::tricircle-lbaas::${type}::${name}`;
const ID_RE = (name: string) => new RegExp(`^${name}[0-9a-f]{8}$`);

interface LogEntry {
    severity: number;
    message: string;
    urn: string;
    ephemeral: boolean;
}

/** The plugin process and a gRPC client of it, plus the Engine service it logs to. */
class PluginUnderTest {
    logs: LogEntry[] = [];
    stdout = "";
    stderr = "";
    private child?: ChildProcess;
    private engine?: any;
    private client?: any;

    async start(): Promise<void> {
        this.engine = new grpc.Server();
        this.engine.addService(engineGrpc.EngineService, {
            log: (call: any, cb: (err: null, resp: unknown) => void) => {
                const r = call.request;
                this.logs.push({ severity: r.getSeverity(), message: r.getMessage(), urn: r.getUrn(), ephemeral: r.getEphemeral() });
                cb(null, new emptypb.Empty());
            },
        });
        const enginePort = await new Promise<number>((resolve, reject) =>
            this.engine.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, port: number) => (err ? reject(err) : resolve(port))),
        );
        const child = spawn(PLUGIN, [`127.0.0.1:${enginePort}`], { stdio: ["ignore", "pipe", "pipe"] });
        this.child = child;
        const port = await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no port from ${PLUGIN} within 20 s; stderr: ${this.stderr}`)), 20_000);
            child.stdout.on("data", (d: Buffer) => {
                this.stdout += String(d);
                const m = /^(\d+)\n/.exec(this.stdout);
                if (m) {
                    clearTimeout(timer);
                    resolve(m[1]);
                }
            });
            child.stderr.on("data", (d: Buffer) => (this.stderr += String(d)));
            child.on("error", (e) => reject(e));
            child.on("exit", (code) => reject(new Error(`${PLUGIN} exited with ${String(code)}: ${this.stderr}`)));
        });
        this.client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    }

    call<T = any>(method: string, req: unknown): Promise<T> {
        return new Promise((resolve, reject) => this.client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));
    }

    async stop(): Promise<number | null> {
        this.client?.close();
        const child = this.child;
        let code: number | null = null;
        if (child && child.exitCode === null) {
            const exited = new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
            child.kill("SIGINT");
            const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
            code = await exited;
            clearTimeout(timer);
        }
        // A graceful shutdown waits for every open call of the plugin's connection; one left open (seen once in CI:
        // the afterAll hook timed out at 180 s) must not hang the suite, so it is forced after 5 s.
        const engine = this.engine;
        if (engine) {
            await new Promise<void>((resolve) => {
                const force = setTimeout(() => {
                    console.warn("the test's Engine service did not shut down within 5 s: forced");
                    engine.forceShutdown();
                    resolve();
                }, 5_000);
                engine.tryShutdown(() => {
                    clearTimeout(force);
                    resolve();
                });
            });
        }
        return code;
    }

    statusLines(urn: string): string[] {
        return this.logs.filter((l) => l.ephemeral && l.urn === urn && l.severity === LogSeverity.INFO).map((l) => l.message);
    }
}

const toStruct = (o: Record<string, unknown>) => structpb.Struct.fromJavaScript(o);
const fromStruct = (s: any): Record<string, any> => s.toJavaScript();

describe("pulumi-resource-command offline stand-in (built binary, real sshd)", () => {
    let lab: Lab | undefined;
    let node: HostNode;
    let plugin: PluginUnderTest;
    let privateKey: string;
    let hostname: string;

    // A setup failure (above all: no binary) fails every test with its message; none is reported as skipped.
    let setupError: Error | undefined;
    const ready = () => {
        if (setupError) throw setupError;
    };

    beforeAll(async () => {
        try {
            await setUp();
        } catch (e) {
            setupError = e as Error;
        }
    });

    async function setUp(): Promise<void> {
        if (!fs.existsSync(PLUGIN)) {
            throw new Error(
                `the command plugin binary is missing at ${PLUGIN}: build it with \`bash plugins/command/build.sh .toolchain/plugins\` ` +
                    `(or bash scripts/toolchain.sh), or point TRICIRCLE_COMMAND_PLUGIN at one`,
            );
        }
        lab = await Lab.create();
        node = await lab.node();
        privateKey = fs.readFileSync(lab.clientKey, "utf8");
        hostname = (await node.exec(["hostname"], { check: true })).stdout.trim();
        plugin = new PluginUnderTest();
        await plugin.start();
        const conf = new providerPb.ConfigureRequest();
        conf.setAcceptsecrets(true);
        conf.setAcceptresources(true);
        conf.setSendsOldInputs(true);
        conf.setSendsOldInputsToDelete(true);
        const resp = await plugin.call("configure", conf);
        expect(resp.getAcceptsecrets()).toBe(true);
        expect(resp.getSupportspreview()).toBe(true);
    }

    afterAll(async () => {
        const code = await plugin?.stop();
        await lab?.teardown();
        if (plugin && !setupError) {
            // Nothing but the port may ever reach stdout (the engine reads it as the handshake); SIGINT ends it cleanly.
            expect(plugin.stdout).toMatch(/^\d+\n$/);
            expect(code).toBe(0);
        }
    });

    const connection = (over: Record<string, unknown> = {}) => ({
        host: node.sshHost,
        user: TEST_USER,
        privateKey,
        hostKey: node.hostKey,
        dialErrorLimit: 1,
        perDialTimeout: 5,
        ...over,
    });

    async function check(name: string, news: Record<string, unknown>): Promise<Record<string, any>> {
        const req = new providerPb.CheckRequest();
        req.setUrn(urnOf(name));
        req.setName(name);
        req.setType(TYPE);
        req.setNews(toStruct(news));
        const resp = await plugin.call("check", req);
        expect(resp.getFailuresList().map((f: any) => `${f.getProperty()}: ${f.getReason()}`)).toEqual([]);
        return fromStruct(resp.getInputs());
    }

    async function create(name: string, props: Record<string, unknown>, preview = false): Promise<{ id: string; state: Record<string, any> }> {
        const req = new providerPb.CreateRequest();
        req.setUrn(urnOf(name));
        req.setName(name);
        req.setType(TYPE);
        req.setProperties(toStruct(props));
        req.setPreview(preview);
        const resp = await plugin.call("create", req);
        return { id: resp.getId(), state: fromStruct(resp.getProperties()) };
    }

    async function update(name: string, id: string, olds: Record<string, any>, news: Record<string, unknown>, preview = false): Promise<Record<string, any>> {
        const req = new providerPb.UpdateRequest();
        req.setId(id);
        req.setUrn(urnOf(name));
        req.setName(name);
        req.setType(TYPE);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        req.setPreview(preview);
        return fromStruct((await plugin.call("update", req)).getProperties());
    }

    async function del(name: string, id: string, state: Record<string, any>): Promise<void> {
        const req = new providerPb.DeleteRequest();
        req.setId(id);
        req.setUrn(urnOf(name));
        req.setName(name);
        req.setType(TYPE);
        req.setProperties(toStruct(state));
        await plugin.call("delete", req);
    }

    async function diff(name: string, olds: Record<string, any>, news: Record<string, unknown>): Promise<any> {
        const req = new providerPb.DiffRequest();
        req.setId(`${name}00000000`);
        req.setUrn(urnOf(name));
        req.setName(name);
        req.setType(TYPE);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const { stdout, stderr, ...inputs } = olds;
        void stdout;
        void stderr;
        req.setOldInputs(toStruct(inputs));
        return plugin.call("diff", req);
    }

    /** sshd's own count of the connections it accepted (LogLevel VERBOSE logs each). */
    const sshdConnections = () => (fs.readFileSync(path.join(node.dir, "log", "sshd.log"), "utf8").match(/Connection from /g) ?? []).length;

    it("labels itself as the offline stand-in while answering as version 1.2.1", async () => {
        ready();
        const info = await plugin.call("getPluginInfo", new emptypb.Empty());
        expect(info.getVersion()).toMatch(/^1\.2\.1(\+[0-9A-Za-z.-]+)?$/);
        const about = spawnSync(PLUGIN, ["--version"], { encoding: "utf8" });
        expect(about.status).toBe(0);
        expect(about.stdout).toBe("pulumi-resource-command 1.2.1 (offline stand-in of the official plugin, tricircle-lbaas)\n");
        const schema = JSON.parse((await plugin.call("getSchema", new providerPb.GetSchemaRequest())).getSchema());
        expect(schema).toMatchObject({ name: "command", version: "1.2.1" });
        expect(schema.description).toContain("offline stand-in");
        expect(Object.keys(schema.resources)).toEqual([TYPE]);
    });

    it("check applies the official connection defaults and makes the connection secret", async () => {
        ready();
        const inputs = await check("defaults", { connection: { host: node.sshHost, privateKey }, create: "true" });
        expect(isSecret(inputs.connection)).toBe(true);
        expect(reveal(inputs.connection)).toMatchObject({ host: node.sshHost, user: "root", port: 22, dialErrorLimit: 10, perDialTimeout: 15 });
        expect(isSecret(reveal(inputs.connection).privateKey)).toBe(true);
    });

    it("preview runs nothing; create runs `hostname; id -un` over the pinned host key; update; delete with the stored inputs", async () => {
        ready();
        const name = "lifecycle";
        const home = `/var/lib/${TEST_USER}`;
        const inputs = await check(name, {
            connection: connection(),
            create: "hostname; id -un",
            update: `cat > "$HOME/stdin.txt"; echo "updated, previous=[$PULUMI_COMMAND_STDOUT]"`,
            delete: `rm -f "$HOME/stdin.txt"; printf 'deleted by %s\\n' "$(id -un)" > "$HOME/deleted.txt"`,
            triggers: ["node-a"],
        });

        const before = sshdConnections();
        const preview = await create(name, inputs, true);
        expect(preview.state.stdout).toBe(UNKNOWN);
        expect(preview.state.stderr).toBe(UNKNOWN);
        expect(sshdConnections()).toBe(before);

        const created = await create(name, inputs);
        expect(created.id).toMatch(ID_RE(name));
        expect(created.state.stdout).toBe(`${hostname}\n${TEST_USER}`);
        expect(created.state.stderr).toBe("");
        expect(isSecret(created.state.connection)).toBe(true);
        expect(sshdConnections()).toBe(before + 1);
        expect(plugin.statusLines(urnOf(name))).toEqual([hostname, TEST_USER]);

        // An stdin change is an update in place; a triggers change a replacement.
        const withStdin = { ...inputs, stdin: secret("payload\nline 2\n") };
        const d = await diff(name, created.state, withStdin);
        expect(d.getChanges()).toBe(providerPb.DiffResponse.DiffChanges.DIFF_SOME);
        expect(d.getDiffsList()).toEqual(["stdin"]);
        expect(d.getReplacesList()).toEqual([]);
        const r = await diff(name, created.state, { ...inputs, triggers: ["node-b"] });
        expect(r.getReplacesList()).toEqual(["triggers"]);
        expect((await diff(name, created.state, inputs)).getChanges()).toBe(providerPb.DiffResponse.DiffChanges.DIFF_NONE);

        // This sshd accepts no environment (no AcceptEnv): PULUMI_COMMAND_STDOUT is refused, which is only a warning.
        plugin.logs = [];
        const updated = await update(name, created.id, created.state, withStdin);
        expect(updated.stdout).toBe("updated, previous=[]");
        expect(isSecret(updated.stdin)).toBe(true);
        expect(isSecret(updated.stdout)).toBe(false);
        expect(await node.readFile(`${home}/stdin.txt`)).toBe("payload\nline 2\n");
        const warnings = plugin.logs.filter((l) => l.severity === LogSeverity.WARNING && !l.ephemeral).map((l) => l.message);
        expect(warnings).toEqual([expect.stringMatching(/^Unable to set 'PULUMI_COMMAND_STDOUT'\. This only works if your SSH server is configured to accept/)]);

        await del(name, created.id, updated);
        expect(await node.readFile(`${home}/deleted.txt`)).toBe(`deleted by ${TEST_USER}\n`);
        expect((await node.exec(["test", "-e", `${home}/stdin.txt`])).code).not.toBe(0);
    });

    it("a wrong host key is refused on every attempt (dialErrorLimit 1: two dials) and nothing runs", async () => {
        ready();
        const other = fs.readFileSync(path.join(lab!.dir, "id_ed25519.pub"), "utf8").trim(); // a key that is not the host's
        const inputs = await check("wrongkey", { connection: connection({ hostKey: other }), create: `touch /var/lib/${TEST_USER}/must-not-exist` });
        const before = sshdConnections();
        plugin.logs = [];
        const err = await create("wrongkey", inputs).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err?.message).toMatch(/after 1 failed attempts: ssh: handshake failed: ssh: host key mismatch/);
        expect(plugin.statusLines(urnOf("wrongkey"))).toEqual(["Dial 1/1 failed: retrying"]);
        expect(sshdConnections()).toBe(before + 2);
        expect((await node.exec(["test", "-e", `/var/lib/${TEST_USER}/must-not-exist`])).code).not.toBe(0);
    });

    it("an `environment` variable sshd refuses fails the run with the official message", async () => {
        ready();
        const inputs = await check("env", { connection: connection(), create: "echo must-not-run", environment: { TLB_VAR: "x" } });
        plugin.logs = [];
        await expect(create("env", inputs)).rejects.toThrow('could not set environment variable "TLB_VAR": ssh: setenv failed');
        expect(plugin.logs.filter((l) => l.severity === LogSeverity.ERROR).map((l) => l.message)).toEqual([expect.stringMatching(/^Unable to set 'TLB_VAR'\./)]);
    });

    it("a failing command reports its exit status, the command and its output, and returns no state", async () => {
        ready();
        const cmd = "echo partial; echo oops >&2; exit 3";
        const inputs = await check("fails", { connection: connection(), create: cmd, logging: "none" });
        plugin.logs = [];
        const err: any = await create("fails", inputs).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(err?.details).toMatch(/^Process exited with status 3: running "echo partial; echo oops >&2; exit 3":\n/);
        expect(err?.details).toContain("partial\n");
        expect(err?.details).toContain("oops\n");
        expect(plugin.statusLines(urnOf("fails"))).toEqual([]); // logging: none
    });

    it("refuses the official plugin's other tokens with an install hint", async () => {
        ready();
        const req = new providerPb.CheckRequest();
        req.setUrn(urnOf("cp", "command:remote:CopyToRemote"));
        req.setType("command:remote:CopyToRemote");
        req.setNews(toStruct({}));
        await expect(plugin.call("check", req)).rejects.toThrow(
            "command:remote:CopyToRemote is not implemented by the offline stand-in of pulumi-resource-command; install the official plugin: pulumi plugin install resource command 1.2.1",
        );
    });
});
