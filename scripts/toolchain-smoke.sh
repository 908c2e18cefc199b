#!/usr/bin/env bash
# Smoke test of the offline Pulumi toolchain (scripts/toolchain.sh):
#   - pulumi version is v3.248.0, plugins openstack 3.15.2 and command 1.2.1 listed;
#   - a throw-away Node.js project (using this checkout's node_modules) with
#     one command:local:Command `echo hi`: stack init, up, destroy;
#   - an openstack:Provider with a dummy endpoint in a preview (delayed auth,
#     nothing is contacted).
# Uses its own temporary file backend; leaves nothing behind.
# Prints "N passed, N failed" at the end; exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

PASS=0; FAIL=0
ok()   { PASS=$((PASS + 1)); echo "smoke: ok   $*"; }
bad()  { FAIL=$((FAIL + 1)); echo "smoke: FAIL $*"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tricircle-toolchain-smoke.XXXXXX")"
cleanup() {
  if [[ -x "$ROOT/.toolchain/bin/pulumi" && -d "$WORK/project" ]]; then
    (cd "$WORK/project" || exit 0
     pulumi destroy --yes --stack smoke >/dev/null 2>&1 || true
     pulumi stack rm --yes --force smoke >/dev/null 2>&1 || true)
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export PULUMI_BACKEND_URL="file://$WORK/state"
mkdir -p "$WORK/state" "$WORK/project"

summary() {
  echo "$PASS passed, $FAIL failed"
  [[ $FAIL -eq 0 ]]
}

if ! command -v pulumi >/dev/null 2>&1; then
  bad "pulumi not on PATH (run scripts/toolchain.sh)"; summary; exit 1
fi
v="$(pulumi version 2>&1 || true)"
if [[ "$v" == v3.248.* ]]; then ok "pulumi version $v ($(command -v pulumi))"; else bad "pulumi version: $v"; fi

plugins="$(pulumi plugin ls 2>&1 || true)"
while IFS= read -r line; do echo "smoke:   $line"; done <<<"$plugins"
for p in "openstack 3.15.2" "command 1.2.1"; do
  read -r name ver <<<"$p"
  if awk -v n="$name" -v v="$ver" '$1==n && $2=="resource" && ($3==v||$3=="v"v){f=1} END{exit !f}' <<<"$plugins"; then
    ok "plugin $name $ver installed"
  else
    bad "plugin $name $ver not installed"
  fi
done
if command -v pulumi-language-nodejs >/dev/null 2>&1; then
  ok "pulumi-language-nodejs on PATH"
else
  bad "pulumi-language-nodejs not on PATH"
fi

# Engine alone: an Automation API inline program (the Node SDK serves the
# language runtime in-process, so neither pulumi-language-nodejs nor any
# provider is involved): up, output, destroy, stack rm.
mkdir -p "$WORK/engine"
ln -s "$ROOT/node_modules" "$WORK/engine/node_modules"
cat >"$WORK/engine/engine.js" <<'EOF'
"use strict";
const pulumi = require("@pulumi/pulumi");
const auto = require("@pulumi/pulumi/automation");
(async () => {
  const program = async () => {
    class Box extends pulumi.ComponentResource {
      constructor(name) { super("smoke:index:Box", name); this.registerOutputs({}); }
    }
    const box = new Box("box");
    return { greeting: pulumi.output("hi"), box: box.urn };
  };
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { projectName: "toolchain-engine-smoke", stackName: "smoke", program },
    { workDir: __dirname, projectSettings: { name: "toolchain-engine-smoke", runtime: "nodejs" } });
  const up = await stack.up();
  if (up.summary.result !== "succeeded" || up.outputs.greeting.value !== "hi") throw new Error("up: " + JSON.stringify(up.summary));
  const down = await stack.destroy();
  if (down.summary.result !== "succeeded") throw new Error("destroy: " + JSON.stringify(down.summary));
  await stack.workspace.removeStack("smoke");
  console.log("engine smoke: up created " + JSON.stringify(up.summary.resourceChanges) + ", destroy " + down.summary.result);
})().catch((e) => { console.error(e); process.exit(1); });
EOF
if (cd "$WORK/engine" && node engine.js) >"$WORK/engine.log" 2>&1; then
  ok "engine: Automation API inline program up/destroy ($(tail -n 1 "$WORK/engine.log"))"
else
  bad "engine: Automation API inline program"; sed 's/^/smoke:   | /' "$WORK/engine.log" | tail -40
fi

cd "$WORK/project"
ln -s "$ROOT/node_modules" node_modules
cat >Pulumi.yaml <<'EOF'
name: toolchain-smoke
runtime: nodejs
description: throw-away project of scripts/toolchain-smoke.sh
EOF
cat >package.json <<'EOF'
{ "name": "toolchain-smoke", "private": true, "main": "index.js" }
EOF
cat >index.js <<'EOF'
"use strict";
const pulumi = require("@pulumi/pulumi");
const command = require("@pulumi/command");
const cfg = new pulumi.Config();
const hi = new command.local.Command("hi", { create: "echo hi" });
exports.stdout = hi.stdout;
if (cfg.getBoolean("withOpenstack")) {
  const openstack = require("@pulumi/openstack");
  // Dummy endpoint on loopback (discard port); delayedAuth so that nothing is
  // contacted while no resource uses the provider.
  const os = new openstack.Provider("dummy", {
    authUrl: "http://127.0.0.1:9/v3",
    region: "RegionOne",
    userName: "smoke",
    password: "smoke",
    tenantName: "smoke",
    userDomainName: "Default",
    projectDomainName: "Default",
    delayedAuth: true,
  });
  exports.openstackProvider = os.urn;
}
EOF

run() { # LABEL CMD...
  local label=$1; shift
  if "$@" >"$WORK/out.log" 2>&1; then ok "$label"; return 0; fi
  bad "$label"; sed 's/^/smoke:   | /' "$WORK/out.log" | tail -40; return 1
}

if run "pulumi stack init smoke" pulumi stack init smoke --non-interactive; then
  if run "pulumi up (command:local:Command echo hi)" pulumi up --yes --skip-preview --non-interactive --stack smoke; then
    out="$(pulumi stack output stdout --stack smoke 2>&1 || true)"
    if [[ "$out" == "hi" ]]; then ok "stack output stdout = hi"; else bad "stack output stdout = '$out'"; fi
  fi
  pulumi config set withOpenstack true --stack smoke >/dev/null
  if run "pulumi preview with openstack:Provider (dummy authUrl)" pulumi preview --non-interactive --stack smoke; then
    if grep -q "pulumi:providers:openstack" "$WORK/out.log"; then
      ok "preview plans the openstack provider"
    else
      bad "preview does not mention pulumi:providers:openstack"
    fi
  fi
  pulumi config set withOpenstack false --stack smoke >/dev/null
  run "pulumi destroy" pulumi destroy --yes --non-interactive --stack smoke || true
  run "pulumi stack rm" pulumi stack rm --yes --non-interactive smoke || true
fi

summary
