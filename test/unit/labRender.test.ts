// The lab's configuration renderer (render in lab/lib/config.sh: lab/etc/ templates to the files lab/start.sh writes),
// run for real in bash with envsubst, on templates of the test's own and on the lab's shared sections.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";

const LAB = path.join(__dirname, "..", "..", "lab");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-render-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs SCRIPT in bash after sourcing lab/lib.sh and lab/lib/config.sh; templates come from ETC when given. */
function bash(script: string, etc?: Record<string, string>) {
    let prelude = `set -euo pipefail; . "${LAB}/lib.sh"; . "${LAB}/lib/config.sh"; `;
    if (etc) {
        const dir = fs.mkdtempSync(path.join(tmp, "scripts-"));
        for (const [name, text] of Object.entries(etc)) {
            fs.mkdirSync(path.dirname(path.join(dir, "etc", name)), { recursive: true });
            fs.writeFileSync(path.join(dir, "etc", name), text);
        }
        prelude += `LC_SCRIPTS="${dir}"; `;
    }
    // --norc and no stdin: node's stdio pipes are sockets, which bash takes for a remote shell and reads ~/.bashrc.
    return spawnSync("bash", ["--norc", "--noprofile", "-c", prelude + script], {
        encoding: "utf8",
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? "" },
        stdio: ["ignore", "pipe", "pipe"],
    });
}

describe("lab render", () => {
    it("replaces the named placeholders with values as they are, and nothing else", () => {
        const r = bash(`host=10.0.0.1; render t.conf host 'pw=a$b&c\\d \${x}' block="$(printf 'l1\\nl2')"`, {
            "t.conf": "[s]\nhost = ${host}\npassword = ${pw}\n${block}\nliteral = $HOME and $$\n",
        });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout).toBe("[s]\nhost = 10.0.0.1\npassword = a$b&c\\d ${x}\nl1\nl2\nliteral = $HOME and $$\n");
    });

    it("refuses a placeholder nobody named", () => {
        const r = bash("render t.conf a=1", { "t.conf": "a = ${a}\nb = ${b}\n" });
        expect(r.status).not.toBe(0);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain("render t.conf: the template's placeholders are {a b}, the arguments name {a}");
    });

    it("refuses a name the template does not have", () => {
        const r = bash("render t.conf a=1 b=2", { "t.conf": "a = ${a}\n" });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("the arguments name {a b}");
    });

    it("refuses an unset variable and a missing template", () => {
        const unset = bash("render t.conf nowhere", { "t.conf": "x = ${nowhere}\n" });
        expect(unset.status).not.toBe(0);
        expect(unset.stderr).toContain("render t.conf: $nowhere is not set");
        const missing = bash("render none.conf", { "t.conf": "" });
        expect(missing.status).not.toBe(0);
        expect(missing.stderr).toContain("render: no template");
    });

    it("renders the lab's shared sections with the lab's settings", () => {
        const r = bash("authtoken_section neutron; service_creds nova neutron; service_creds service_auth octavia CentralRegion");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout).toBe(
            [
                "[keystone_authtoken]",
                "www_authenticate_uri = http://127.0.0.1:5000",
                "auth_url = http://127.0.0.1:5000",
                "auth_type = password",
                "project_domain_name = Default",
                "user_domain_name = Default",
                "project_name = service",
                "username = neutron",
                "password = local-only-test-password",
                "# Token validations shared by every service process (each validation costs",
                "# Keystone a few hundred SQL queries without its cache).",
                "memcached_servers = 127.0.0.1:11211",
                "[nova]",
                "auth_url = http://127.0.0.1:5000",
                "auth_type = password",
                "project_domain_name = Default",
                "user_domain_name = Default",
                "project_name = service",
                "username = neutron",
                "password = local-only-test-password",
                "region_name = RegionOne",
                "[service_auth]",
                "auth_url = http://127.0.0.1:5000",
                "auth_type = password",
                "project_domain_name = Default",
                "user_domain_name = Default",
                "project_name = service",
                "username = octavia",
                "password = local-only-test-password",
                "region_name = CentralRegion",
                "",
            ].join("\n"),
        );
    });
});
