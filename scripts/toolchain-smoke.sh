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
    (cd "$WORK/project" && pulumi destroy --yes --stack smoke >/dev/null 2>&1 || true
     pulumi stack rm --yes --force smoke >/dev/null 2>&1 || true)
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export PULUMI_BACKEND_URL="file://$WORK/state"
mkdir -p "$WORK/state" "$WORK/project"

summary() {
  echo "smoke: $PASS passed, $FAIL failed"
  echo "$PASS passed, $FAIL failed"
  [[ $FAIL -eq 0 ]]
}

if ! command -v pulumi >/dev/null 2>&1; then
  bad "pulumi not on PATH (run scripts/toolchain.sh)"; summary; exit 1
fi
v="$(pulumi version 2>&1 || true)"
if [[ "$v" == v3.248.* ]]; then ok "pulumi version $v ($(command -v pulumi))"; else bad "pulumi version: $v"; fi

plugins="$(pulumi plugin ls 2>&1 || true)"
echo "$plugins" | sed 's/^/smoke:   /'
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
    grep -q "pulumi:providers:openstack" "$WORK/out.log" && ok "preview plans the openstack provider" \
      || bad "preview does not mention pulumi:providers:openstack"
  fi
  pulumi config set withOpenstack false --stack smoke >/dev/null
  run "pulumi destroy" pulumi destroy --yes --non-interactive --stack smoke || true
  run "pulumi stack rm" pulumi stack rm --yes --non-interactive smoke || true
fi

summary
