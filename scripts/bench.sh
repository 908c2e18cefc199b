#!/usr/bin/env bash
# npm run bench: the guide's cloud-side procedure with the openstack CLI, the part of the stack the real engine
# can run here (PortHostBinding through the Automation API), and the cost of one CLI call, on the local cloud
# (docs/local-cloud.md); writes the results to docs/bench.md (docs/bench.md explains what is and is not measured).
#
#   bash scripts/bench.sh [--runs N] [--out FILE] [--no-write] [--keep DIR]     (npm run bench -- --runs 3)
#   bash scripts/bench.sh --from DIR [--out FILE]
#
#   --runs N     repeat everything N times (default 1, or BENCH_RUNS); the table shows medians and ranges
#   --out FILE   where the report goes (default docs/bench.md)
#   --no-write   print the report only
#   --keep DIR   also keep the raw rows (run-N.tsv, window-N.tsv, notes.txt, meta.json) in DIR
#   --from DIR   measure nothing: rebuild the report from the raw rows kept in DIR
# Other knobs: BENCH_POLL_INTERVAL (guide's waits, default 1 s), BENCH_WAIT_TIMEOUT (default 180 s).
# Needs: the local cloud running (scripts/local-cloud/start.sh), the toolchain (scripts/toolchain.sh: pulumi and
# the dynamic-provider launcher in .toolchain/bin), node_modules. Talks to 127.0.0.1 only.
set -euo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${BENCH_RUNS:-1}"
OUT_MD="docs/bench.md"
WRITE=1
KEEP=""
FROM=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --runs=*) RUNS="${1#--runs=}"; shift ;;
    --out) OUT_MD="${2:?--out needs a file}"; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    --keep) KEEP="${2:?--keep needs a folder}"; shift 2 ;;
    --from) FROM="${2:?--from needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs must be a positive number" >&2; exit 2; }

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- preconditions: fail with the command that fixes it -------------------------------------------------------
preconditions() {
  [ -s .local-cloud/clouds.yaml ] || die "the local cloud is not set up: bash scripts/local-cloud/start.sh"
  bash scripts/local-cloud/health.sh || die "the local cloud is not healthy: bash scripts/local-cloud/start.sh"
  for bin in pulumi pulumi-resource-pulumi-nodejs; do
    [ -e ".toolchain/bin/$bin" ] || die ".toolchain/bin/$bin is missing: bash scripts/toolchain.sh"
  done
  command -v openstack >/dev/null || die "no openstack CLI: bash scripts/local-cloud/install.sh"
  [ -d node_modules/@pulumi/pulumi ] || die "no node_modules: npm ci"
}

# write_meta LOAD_BEFORE SECONDS: the machine and the command, for the report.
write_meta() {
  local cmd
  # The command that reproduces the numbers (--keep/--out do not change them).
  cmd="npm run bench"
  [ "$RUNS" = 1 ] || cmd="$cmd -- --runs $RUNS"
  META_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" META_COMMAND="$cmd" META_RUNS="$RUNS" \
  META_NPROC="$(nproc)" \
  META_MEMORY="$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" \
  META_CPU="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
  META_KERNEL="$(uname -r)" \
  META_OS="$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || uname -s)" \
  META_LOAD_BEFORE="$1" META_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)" \
  META_OPENSTACK="$(openstack --version 2>&1 | awk '{ print $NF }')" \
  META_PULUMI="$(.toolchain/bin/pulumi version 2>/dev/null)" \
  META_POLL="${BENCH_POLL_INTERVAL:-1}" META_TOTAL="$2" \
  node -e '
    const e = process.env;
    process.stdout.write(JSON.stringify({
      date: e.META_DATE, command: e.META_COMMAND, runs: Number(e.META_RUNS), nproc: e.META_NPROC, memory: e.META_MEMORY,
      cpu: e.META_CPU, kernel: e.META_KERNEL, os: e.META_OS, loadBefore: e.META_LOAD_BEFORE, loadAfter: e.META_LOAD_AFTER,
      openstackClient: e.META_OPENSTACK, pulumi: e.META_PULUMI, node: process.version, pollInterval: e.META_POLL,
      totalSeconds: e.META_TOTAL,
    }, null, 2));
  ' >"$RESULTS/meta.json"
}

# --- measure ---------------------------------------------------------------------------------------------------
measure() {
  local run load_before t0=$SECONDS
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  for ((run = 1; run <= RUNS; run++)); do
    log "run $run of $RUNS: the guide's procedure"
    BENCH_OUT="$RESULTS/run-$run.tsv" BENCH_WINDOW_OUT="$RESULTS/window-$run.tsv" BENCH_NOTES="$RESULTS/notes.txt" \
      bash scripts/bench/guide-procedure.sh
    log "run $run of $RUNS: the engine (PortHostBinding)"
    BENCH_OUT="$RESULTS/run-$run.tsv" BENCH_ROOT="$ROOT" BENCH_CLK_TCK="$(getconf CLK_TCK)" \
      node "$CACHE/scripts/bench/binding-engine.js"
    log "run $run of $RUNS: the cost of one CLI call"
    BENCH_OUT="$RESULTS/run-$run.tsv" bash scripts/bench/cli-baseline.sh
  done
  write_meta "$load_before" "$((SECONDS - t0))"
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp "$RESULTS"/* "$KEEP/" && log "raw rows kept in $KEEP"; fi
}

# --- compile the TypeScript parts, as `npm run verify` compiles scripts/verify.ts ------------------------------
[ -n "$FROM" ] || preconditions
CACHE=node_modules/.cache/tricircle-bench
log "compiling scripts/bench/*.ts into $CACHE"
npx --no-install tsc --outDir "$CACHE" --rootDir . --strict --target ES2022 --module commonjs --moduleResolution node \
  --esModuleInterop --skipLibCheck --types node scripts/bench/binding-engine.ts scripts/bench/report.ts

RESULTS="$(mktemp -d)"
trap 'rm -rf "$RESULTS"' EXIT
if [ -n "$FROM" ]; then
  [ -s "$FROM/meta.json" ] || die "$FROM has no meta.json (made by --keep)"
  cp "$FROM"/* "$RESULTS/"
else
  measure
fi

# --- the report ------------------------------------------------------------------------------------------------
node "$CACHE/scripts/bench/report.js" "$RESULTS" >"$RESULTS/bench.md"
# The results section on the terminal; the whole report in the file.
awk '/^## Results/ { on = 1 } /^## What the numbers show/ { on = 0 } on' "$RESULTS/bench.md"
if [ "$WRITE" = 1 ]; then
  cp "$RESULTS/bench.md" "$OUT_MD"
  log "wrote $OUT_MD"
fi
