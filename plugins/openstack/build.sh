#!/usr/bin/env bash
# Builds the Pulumi resource provider plugin `openstack` (version 3.15.2, for the npm SDK @pulumi/openstack 3.15.2)
# from terraform-provider-openstack through pulumi-terraform-bridge, from Go modules only.
#
#   plugins/openstack/build.sh OUTDIR
#
# Writes OUTDIR/pulumi-resource-openstack (the plugin), OUTDIR/schema.json (its schema, for tests),
# OUTDIR/pulumi-tfgen-openstack (the schema generator) and OUTDIR/build.log. Safe to run again: Go's build cache
# makes a second run take seconds. Modules come from the configured Go module proxy only (never `direct`), and
# go.sum must already list them all (-mod=readonly), so a build is the same everywhere.
# TOOLCHAIN_JOBS sets go build -p (default 2).
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
OUTDIR="$(cd "$1" && pwd)"
LOG="$OUTDIR/build.log"
JOBS="${TOOLCHAIN_JOBS:-2}"
START=$(date +%s)

command -v go >/dev/null || { echo "build.sh: go is not on PATH" >&2; exit 1; }

# The proxy entries of GOPROXY, without `direct` and `off`: no module is ever fetched from its origin.
PROXIES="$(go env GOPROXY | tr ',|' '\n\n' | grep -v -x -e direct -e off -e '' | paste -sd, - || true)"
if [ -z "$PROXIES" ]; then
  echo "build.sh: GOPROXY ($(go env GOPROXY)) names no module proxy" >&2
  exit 1
fi
export GOPROXY="$PROXIES" GOFLAGS="-mod=readonly" CGO_ENABLED="${CGO_ENABLED:-0}"

: >"$LOG"
step() { echo "[$(($(date +%s) - START))s] $*" | tee -a "$LOG"; }
fail() {
  local rc=$?
  echo "build.sh: failed (exit $rc) after $(($(date +%s) - START))s; last lines of $LOG:" >&2
  tail -n 40 "$LOG" >&2
  exit "$rc"
}
trap fail ERR

cd "$HERE"
step "go mod download (GOPROXY=$GOPROXY)"
go mod download >>"$LOG" 2>&1

step "building pulumi-tfgen-openstack (go build -p $JOBS)"
go build -p "$JOBS" -trimpath -ldflags "-s -w" -o "$OUTDIR/pulumi-tfgen-openstack" ./cmd/pulumi-tfgen-openstack >>"$LOG" 2>&1

step "generating schema.json and bridge-metadata.json"
GEN="$HERE/cmd/pulumi-resource-openstack/generated"
"$OUTDIR/pulumi-tfgen-openstack" schema --out "$GEN" --skip-docs --skip-examples >>"$LOG" 2>&1
for f in schema.json bridge-metadata.json; do
  [ -s "$GEN/$f" ] || { echo "tfgen wrote no $f" >>"$LOG"; false; }
done

step "building pulumi-resource-openstack (go build -p $JOBS)"
go build -p "$JOBS" -trimpath -ldflags "-s -w" -o "$OUTDIR/pulumi-resource-openstack.tmp" ./cmd/pulumi-resource-openstack >>"$LOG" 2>&1
mv -f "$OUTDIR/pulumi-resource-openstack.tmp" "$OUTDIR/pulumi-resource-openstack"
cp -f "$GEN/schema.json" "$OUTDIR/schema.json.tmp" && mv -f "$OUTDIR/schema.json.tmp" "$OUTDIR/schema.json"

# The plugin must answer for itself with the version the engine will ask for.
VERSION="$("$OUTDIR/pulumi-resource-openstack" -version 2>>"$LOG")"
[ "$VERSION" = "3.15.2" ] || { echo "the plugin reports version '$VERSION', not 3.15.2" >>"$LOG"; false; }

# Where the SDK is installed, list which of its property names the built schema lacks (a report, never a failure).
if command -v node >/dev/null && [ -f "$HERE/../../node_modules/@pulumi/openstack/package.json" ]; then
  node "$HERE/compare-sdk.mjs" "$OUTDIR/schema.json" >"$OUTDIR/sdk-schema-diff.txt" 2>>"$LOG" || true
fi

trap - ERR
SIZE="$(du -h "$OUTDIR/pulumi-resource-openstack" | cut -f1)"
echo "build.sh: built $OUTDIR/pulumi-resource-openstack (openstack $VERSION, $SIZE) in $(($(date +%s) - START))s"
