// The octavia.conf merge program (components/node/files/octavia_conf_merge.py) has tests of its own, in Python
// (test/python/test_octavia_conf_merge.py: against oslo.config's iniparser and loader, byte-exact restore, no secret
// in its output). They run here, with the python3 that carries oslo.config (Debian's python3-octavia), so that
// `npm test` runs them; the host suite runs the same program inside the real remote command.
import { spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.join(__dirname, "..", "..");
const PYTHON = "/usr/bin/python3";

describe("octavia_conf_merge.py", () => {
    it("passes its Python unit tests", () => {
        const r = spawnSync(PYTHON, ["-m", "unittest", "discover", "-s", path.join(ROOT, "test", "python"), "-p", "test_octavia_conf_merge.py", "-v"], { encoding: "utf8", timeout: 120_000 });
        expect(r.error, `could not run ${PYTHON} (python3-octavia brings it with oslo.config)`).toBeUndefined();
        expect(r.status, r.stderr).toBe(0);
        const ran = /^Ran (\d+) tests? /m.exec(r.stderr);
        expect(Number(ran?.[1] ?? 0)).toBeGreaterThanOrEqual(9);
        expect(r.stderr).toMatch(/^OK$/m);
    });
});
