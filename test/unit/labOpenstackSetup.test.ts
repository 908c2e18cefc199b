// The lab's set-up program (lab/bin/openstack_setup.py: the catalog, compute hosts, flavors, image and amphora plane
// that lab/start.sh makes) has tests of its own, in Python (test/python/test_lab_openstack_setup.py: what it plans,
// what it waits for and how long, the files it writes, its failures as a process). They run here, with the python3
// that lab/start.sh runs it with (Debian's, carrying openstacksdk), so that `npm test` runs them.
import { spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.join(__dirname, "..", "..");
const PYTHON = "/usr/bin/python3";

describe("lab/bin/openstack_setup.py", () => {
    it("passes its Python unit tests", () => {
        const r = spawnSync(PYTHON, ["-m", "unittest", "discover", "-s", path.join(ROOT, "test", "python"), "-p", "test_lab_*.py", "-v"], {
            encoding: "utf8",
            timeout: 120_000,
        });
        expect(r.error, `could not run ${PYTHON}`).toBeUndefined();
        expect(r.status, r.stderr).toBe(0);
        const ran = /^Ran (\d+) tests? /m.exec(r.stderr);
        expect(Number(ran?.[1] ?? 0)).toBeGreaterThanOrEqual(18);
        expect(r.stderr).toMatch(/^OK$/m);
    });
});
