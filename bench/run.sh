#!/usr/bin/env bash
# npm run bench: the guide's whole procedure (configuration and "How to play" in its third scenario: the cloud side
# with the openstack CLI, the node side over SSH, the backends booted, lb1 with its four members) against the whole
# stack with the same demo through the real engine (`pulumi preview`, `up` cold, `up` with no change, `preview`,
# `destroy` via the Automation API), side by side on the local cloud with compute (docs/local-cloud.md, start.sh
# --with-compute) and the benchmark's own two controller nodes (LOCAL_NODES_SET=bench of
# lab/nodes.sh), plus the cost of one CLI call. Writes the report to
# docs/bench.md and its summary to README.md's "## Benchmark" section (docs/bench.md explains the method).
#
#   bash bench/run.sh [--runs N] [--out FILE] [--no-write] [--keep DIR]     (npm run bench -- --runs 3)
#   bash bench/run.sh --from DIR [--out FILE] [--no-write]
#   bash bench/run.sh --scale [--sizes 1,2,4,8,16] [--from RECORD.json]   (1 to 16 regions: bench/scale/run.sh)
#
#   --runs N     repeat everything N times (default 1, or BENCH_RUNS); the tables show medians and ranges
#   --out FILE   where the report goes (default docs/bench.md; README.md is updated only with the default)
#   --no-write   print the report's summary only, write no file
#   --keep DIR   also keep the raw results (run-N.tsv, window-N.tsv, steps-N.json, restarts-N.tsv, notes.txt,
#                editor.txt, meta.json)
#   --from DIR   measure nothing: rebuild the report from the raw results kept in DIR
# Other knobs: BENCH_POLL_INTERVAL (guide's waits, default 1 s), BENCH_WAIT_TIMEOUT (default 180 s),
# BENCH_ENGINE_TIMEOUT (each engine operation, default 600 s), BENCH_SIDE_TIMEOUT (each side of a run, default 1500 s).
# Needs: root (the nodes are network namespaces), the local cloud running with compute (lab/start.sh
# --with-compute), the toolchain
# (scripts/toolchain.sh: pulumi, the dynamic-provider launcher, the openstack and command plugins), node_modules.
# Starts the bench nodes if they are not running and leaves them running. Talks to 127.0.0.1 and the bench nodes'
# link-local addresses only. Checks after the guide's undo and after `pulumi destroy` that both nodes are back to
# their state before, and fails if not; a trap removes what a failed run left, on the cloud and on the nodes.
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
    --scale) shift; exec bash "$ROOT/bench/scale/run.sh" "$@" ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs must be a positive number" >&2; exit 2; }
SIDE_TIMEOUT="${BENCH_SIDE_TIMEOUT:-1500}"
PLUGINS="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
export OS_CLIENT_CONFIG_FILE="$ROOT/.local-cloud/clouds.yaml" OS_CLOUD=local

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- preconditions: fail with the command that fixes it -------------------------------------------------------
# The official command 1.2.1, or the offline stand-in, which the toolchain installs as 1.2.1+offline.tricircle-lbaas.
command_plugin() {
  local dir
  for dir in "$PLUGINS/resource-command-v1.2.1" "$PLUGINS"/resource-command-v1.2.1+*; do
    if [ -x "$dir/pulumi-resource-command" ]; then printf '%s\n' "$dir/pulumi-resource-command"; return; fi
  done
}

preconditions() {
  [ "$(id -u)" = 0 ] || die "run as root: the bench nodes are network namespaces (sudo npm run bench)"
  [ -s .local-cloud/clouds.yaml ] || die "the local cloud is not set up: bash lab/start.sh"
  bash lab/health.sh || die "the local cloud is not healthy: bash lab/start.sh"
  for bin in pulumi pulumi-resource-pulumi-nodejs; do
    [ -e ".toolchain/bin/$bin" ] || die ".toolchain/bin/$bin is missing: bash scripts/toolchain.sh"
  done
  [ -x "$PLUGINS/resource-openstack-v3.15.2/pulumi-resource-openstack" ] || die "the openstack 3.15.2 plugin is not installed: bash scripts/toolchain.sh"
  [ -n "$(command_plugin)" ] || die "the command 1.2.1 plugin is not installed: bash scripts/toolchain.sh"
  command -v openstack >/dev/null || die "no openstack CLI: bash lab/install.sh"
  # Both sides boot the demo's backends and lb1's amphora: Nova must be there.
  timeout 120 openstack --os-region-name RegionOne flavor show m1.tiny -f value -c id >/dev/null 2>&1 ||
    die "the local cloud has no compute (no flavor m1.tiny in RegionOne): bash lab/start.sh --with-compute"
  for tool in ssh nsenter timeout; do command -v "$tool" >/dev/null || die "$tool is missing: bash scripts/host-deps.sh"; done
  [ -d node_modules/@pulumi/pulumi ] || die "no node_modules: npm ci"
}

# The bench nodes: started if they do not run (left running), their facts exported for the guide's side.
bench_nodes() {
  if ! LOCAL_NODES_SET=bench bash lab/nodes.sh status >/dev/null 2>&1; then
    log "starting the bench nodes (LOCAL_NODES_SET=bench lab/nodes.sh start; they stay up)"
    LOCAL_NODES_SET=bench timeout 300 bash lab/nodes.sh start
  fi
  local facts
  facts="$(LOCAL_NODES_SET=bench bash lab/nodes.sh facts)"
  local key value
  # shellcheck disable=SC2016  # a node program
  while IFS='=' read -r key value; do
    export "$key=$value"
  done < <(node -e '
    const f = JSON.parse(process.argv[1]);
    if (f.nodes.length !== 2) throw new Error(`the bench set has ${f.nodes.length} nodes, expected 2`);
    const out = { BENCH_SSH_USER: f.user, BENCH_SSH_KEY: f.privateKeyFile, BENCH_HEARTBEAT_KEY_FILE: f.heartbeatKeyFile };
    f.nodes.forEach((n, i) => Object.assign(out, { [`BENCH_NODE${i + 1}_HOST`]: n.host, [`BENCH_NODE${i + 1}_HOSTNAME`]: n.hostname, [`BENCH_NODE${i + 1}_REGION`]: n.region }));
    for (const [k, v] of Object.entries(out)) {
      if (String(v).includes("\n")) throw new Error(`${k}: a line break in a node fact`);
      console.log(`${k}=${v}`);
    }
  ' "$facts")
  [ -n "${BENCH_NODE2_HOST:-}" ] || die "no facts of the bench nodes (LOCAL_NODES_SET=bench bash lab/nodes.sh facts)"
  export BENCH_KNOWN_HOSTS="$ROOT/.local-cloud/nodes-bench/known_hosts"
  [ -s "$BENCH_KNOWN_HOSTS" ] || die "no known_hosts for the bench nodes: LOCAL_NODES_SET=bench bash lab/nodes.sh start"
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
  META_OS="$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null || uname -s)" \
  META_LOAD_BEFORE="$1" META_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)" \
  META_OPENSTACK="$(openstack --version 2>&1 | awk '{ print $NF }')" \
  META_PULUMI="$(.toolchain/bin/pulumi version 2>/dev/null)" \
  META_OS_PLUGIN="$(timeout 10 "$PLUGINS/resource-openstack-v3.15.2/pulumi-resource-openstack" -version 2>/dev/null || echo '?')" \
  META_CMD_PLUGIN="$(timeout 10 "$(command_plugin)" --version 2>/dev/null | sed 's/^pulumi-resource-command //' || echo '?')" \
  META_OPENSSH="$(ssh -V 2>&1 | awk -F'[_, ]' '{ print $2 }')" \
  META_POLL="${BENCH_POLL_INTERVAL:-1}" META_TOTAL="$2" \
  node -e '
    const e = process.env;
    process.stdout.write(JSON.stringify({
      date: e.META_DATE, command: e.META_COMMAND, runs: Number(e.META_RUNS), nproc: e.META_NPROC, memory: e.META_MEMORY,
      cpu: e.META_CPU, kernel: e.META_KERNEL, os: e.META_OS, loadBefore: e.META_LOAD_BEFORE, loadAfter: e.META_LOAD_AFTER,
      openstackClient: e.META_OPENSTACK, pulumi: e.META_PULUMI, openstackPlugin: e.META_OS_PLUGIN, commandPlugin: e.META_CMD_PLUGIN,
      openssh: e.META_OPENSSH, node: process.version, pollInterval: e.META_POLL, totalSeconds: e.META_TOTAL,
    }, null, 2));
  ' >"$RESULTS/meta.json"
}

# --- cleanup: what a failed or interrupted run left ------------------------------------------------------------
RUN_SUFFIX=""
IN_SIDE=""
# The demo's backend group is named after the stack (components/demo/demo.ts), not the run: stack-engine.ts's
# stack is always "bench".
ENGINE_GROUP=tricircle-lbaas-bench-demo-backend-http
# The objects of run SUFFIX, by name, both sides' (the stack's names end in -engine-SUFFIX): load balancers, servers,
# networks (with their ports and subnets), groups. The guide's own trap does the same, unless it was killed.
cleanup_run() { bash bench/cleanup.sh "$1" "$ENGINE_GROUP" || true; }

# leftovers SUFFIX: what runs SUFFIX (guide's or stack's) left on the cloud, one "kind name" a line.
leftovers() { bash bench/cleanup.sh --list "$1" "$ENGINE_GROUP"; }

on_exit() {
  local rc=$?
  if [ -n "$IN_SIDE" ]; then
    log "cleaning up after a failure in the $IN_SIDE side of run suffix $RUN_SUFFIX (not timed)"
    [ -z "$RUN_SUFFIX" ] || cleanup_run "$RUN_SUFFIX"
    bash bench/node-state.sh restore "$RESULTS/nodes" || true
    if bash bench/node-state.sh check "$RESULTS/nodes" "the cleanup" 2>/dev/null; then
      log "the bench nodes are back to their state before"
    else
      log "WARNING: the bench nodes still differ from their state before (bash bench/node-state.sh check)"
    fi
    [ "$rc" != 0 ] || rc=1
  fi
  rm -rf "$RESULTS"
  exit "$rc"
}

# restarts_delta SECTION BEFORE_FILE RUN: Octavia restarts per node during SECTION, into restarts-RUN.tsv.
restarts_delta() {
  bash bench/node-state.sh restarts | awk -v s="$1" 'NR == FNR { b[$1] = $2; next } { print s "\t" $1 "\t" ($2 - b[$1]) }' "$2" - >>"$RESULTS/restarts-$3.tsv"
}

# --- measure ---------------------------------------------------------------------------------------------------
measure() {
  local run load_before t0=$SECONDS
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  for ((run = 1; run <= RUNS; run++)); do
    RUN_SUFFIX="$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    export BENCH_SUFFIX="$RUN_SUFFIX"
    rm -rf "$RESULTS/nodes" && bash bench/node-state.sh save "$RESULTS/nodes"
    export BENCH_NODE_STATE="$RESULTS/nodes"

    log "run $run of $RUNS (suffix $RUN_SUFFIX): the guide's procedure, cloud and nodes"
    IN_SIDE=guide
    bash bench/node-state.sh restarts >"$RESULTS/restarts.before"
    BENCH_OUT="$RESULTS/run-$run.tsv" BENCH_WINDOW_OUT="$RESULTS/window-$run.tsv" BENCH_NOTES="$RESULTS/notes.txt" BENCH_EDITOR_OUT="$RESULTS/editor.txt" \
      timeout -k 180 "$SIDE_TIMEOUT" bash bench/guide-procedure.sh || die "the guide's side failed (or overran ${SIDE_TIMEOUT} s)"
    bash bench/node-state.sh check "$RESULTS/nodes" "the guide's undo" || die "the guide's undo did not give the bench nodes back as they were"
    restarts_delta guide "$RESULTS/restarts.before" "$run"

    log "run $run of $RUNS: the stack through the real engine (index.ts, Automation API)"
    IN_SIDE=engine
    bash bench/node-state.sh restarts >"$RESULTS/restarts.before"
    BENCH_OUT="$RESULTS/run-$run.tsv" BENCH_STEPS_OUT="$RESULTS/steps-$run.json" BENCH_ROOT="$ROOT" BENCH_CLK_TCK="$(getconf CLK_TCK)" \
      timeout -k 180 "$SIDE_TIMEOUT" node "$CACHE/bench/stack-engine.js" || die "the engine's side failed (or overran ${SIDE_TIMEOUT} s)"
    bash bench/node-state.sh check "$RESULTS/nodes" "pulumi destroy" || die "pulumi destroy did not give the bench nodes back as they were"
    restarts_delta engine "$RESULTS/restarts.before" "$run"
    left="$(leftovers "$RUN_SUFFIX")"
    [ -z "$left" ] || die "objects of run $RUN_SUFFIX are still on the cloud: $(tr '\n' ' ' <<<"$left")"
    IN_SIDE=""

    log "run $run of $RUNS: the cost of one CLI call"
    BENCH_OUT="$RESULTS/run-$run.tsv" timeout -k 30 600 bash bench/cli-baseline.sh
  done
  write_meta "$load_before" "$((SECONDS - t0))"
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp "$RESULTS"/*.tsv "$RESULTS"/*.json "$RESULTS"/*.txt "$KEEP/" && log "raw results kept in $KEEP"; fi
}

# --- compile the TypeScript parts (the program too), as `npm run stack` does ------------------------------------
if [ -z "$FROM" ]; then preconditions; bench_nodes; fi
CACHE=node_modules/.cache/tricircle-bench
log "compiling index.ts and bench/*.ts into $CACHE"
rm -rf "$CACHE"
npx --no-install tsc --outDir "$CACHE" --rootDir . --strict --target ES2022 --module commonjs --moduleResolution node \
  --esModuleInterop --skipLibCheck --types node index.ts bench/stack-engine.ts bench/report/main.ts

RESULTS="$(mktemp -d)"
trap on_exit EXIT
trap 'exit 130' INT TERM
if [ -n "$FROM" ]; then
  [ -s "$FROM/meta.json" ] || die "$FROM has no meta.json (made by --keep)"
  cp "$FROM"/* "$RESULTS/"
else
  measure
fi

# --- the report ------------------------------------------------------------------------------------------------
# The scale benchmark's section (npm run bench -- --scale) stays, drawn again from its kept record.
SCALE_ARGS=()
[ ! -s docs/bench-scale/record.json ] || SCALE_ARGS=(--scale docs/bench-scale/record.json)
node "$CACHE/bench/report/main.js" "$RESULTS" "${SCALE_ARGS[@]}" >"$RESULTS/bench.md"
node "$CACHE/bench/report/main.js" "$RESULTS" --readme >"$RESULTS/readme-section.md"
# The summary on the terminal; the whole report in the file.
awk '/^## Summary/ { on = 1 } /^## Results/ { on = 0 } on' "$RESULTS/bench.md"
if [ "$WRITE" = 1 ]; then
  cp "$RESULTS/bench.md" "$OUT_MD"
  log "wrote $OUT_MD"
  if [ "$OUT_MD" = docs/bench.md ]; then
    # README.md's "## Benchmark" section, up to the next "## " heading, is the report's; the rest of the file is left alone.
    node -e '
      const fs = require("fs");
      const [readme, body] = process.argv.slice(1);
      const lines = fs.readFileSync(readme, "utf8").split("\n");
      const start = lines.findIndex((l) => l === "## Benchmark");
      if (start < 0) throw new Error("README.md has no \"## Benchmark\" section");
      let end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
      if (end < 0) end = lines.length;
      lines.splice(start + 1, end - start - 1, "", ...fs.readFileSync(body, "utf8").trimEnd().split("\n"), "");
      fs.writeFileSync(readme, lines.join("\n"));
    ' README.md "$RESULTS/readme-section.md"
    log "updated README.md's \"## Benchmark\" section"
  fi
fi
