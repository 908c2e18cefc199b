#!/usr/bin/env bash
# Builds the offline stand-in of pulumi-resource-command 1.2.1 into OUTDIR/pulumi-resource-command.
#   bash plugins/command/build.sh OUTDIR
# Offline as far as the Go module cache allows (the Go module proxy is the only source: go.sum
# pins every module). Idempotent: go's build cache makes a rebuild of unchanged sources quick, and
# the binary is replaced only when the build succeeded. Knobs: TOOLCHAIN_JOBS (go build -p, default 2).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
mkdir -p "$1"
OUTDIR="$(cd "$1" && pwd)"
OUT="$OUTDIR/pulumi-resource-command"
JOBS="${TOOLCHAIN_JOBS:-2}"
LOG="$(mktemp "${TMPDIR:-/tmp}/pulumi-resource-command-build.XXXXXX")"
trap 'rm -f "$LOG" "$OUT.tmp.$$"' EXIT

command -v go >/dev/null 2>&1 || { echo "build.sh: go not found on PATH" >&2; exit 1; }

start=$(date +%s)
if ! (cd "$HERE" && GOFLAGS=-mod=readonly go build -p "$JOBS" -trimpath -ldflags "-s -w" \
        -o "$OUT.tmp.$$" .) >"$LOG" 2>&1; then
  echo "build.sh: go build failed after $(( $(date +%s) - start )) s; last lines:" >&2
  tail -n 40 "$LOG" >&2
  exit 1
fi
if ! label="$("$OUT.tmp.$$" --version)"; then
  echo "build.sh: the built binary does not run" >&2
  exit 1
fi
mv -f "$OUT.tmp.$$" "$OUT"
echo "build.sh: built $OUT ($label) in $(( $(date +%s) - start )) s"
