#!/usr/bin/env bash
# npm run bench -- --scale [--sizes 1,2,4,8,16] [--parallel N] [--no-guide] [--record FILE] [--from RECORD.json]:
# the stack's cost from 1 to 16 regions with two controllers each, next to the guide's procedure by hand for the same
# nodes (bench/scale/run.ts says what is measured), then the report: its section of docs/bench.md, its chart
# docs/bench-scale/chart.svg and its record docs/bench-scale/record.json.
#   --parallel N   the engine's --parallel (default: the engine's own)
#   --no-guide     the stack's side only (to compare engine settings)
#   --record FILE  keep the record in FILE and print the table, leaving docs/ alone (an experiment)
#   --from FILE    measure nothing, draw the report again from a kept record
# Needs the local cloud with compute and root; grows the cloud to 16 regions (LOCAL_CLOUD_REGIONS=16 lab/start.sh:
# catalog entries only) and starts the scale node set (32 namespaces, each with its L2 agent, ~6 GiB), which stays up.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SIZES="1,2,4,8,16"
FROM=""
PARALLEL=""
GUIDE=1
RECORD=docs/bench-scale/record.json
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) SIZES="${2:?--sizes needs a list}"; shift 2 ;;
    --from) FROM="${2:?--from needs a record}"; shift 2 ;;
    --parallel) PARALLEL="${2:?--parallel needs a number}"; shift 2 ;;
    --no-guide) GUIDE=0; shift ;;
    --record) RECORD="${2:?--record needs a file}"; shift 2 ;;
    *) echo "bench --scale: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$SIZES" =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "bench --scale: --sizes is a comma-separated list of region counts" >&2; exit 2; }
[[ "$PARALLEL" =~ ^([1-9][0-9]*)?$ ]] || { echo "bench --scale: --parallel is a positive number" >&2; exit 2; }
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
CACHE="$ROOT/node_modules/.cache/tricircle-bench-scale"
npx --no-install tsc --outDir "$CACHE" --rootDir . --strict --target ES2022 --module commonjs --moduleResolution node \
  --esModuleInterop --skipLibCheck --types node index.ts bench/scale/run.ts bench/scale/main.ts
if [ -z "$FROM" ]; then
  [ "$(id -u)" = 0 ] || { echo "bench --scale: run as root (the nodes are network namespaces)" >&2; exit 1; }
  max="$(tr ',' '\n' <<<"$SIZES" | sort -n | tail -n 1)"
  regions=$(( max < 2 ? 2 : max ))
  log "the cloud's catalog with $regions local regions, and the scale nodes (2 per region)"
  LOCAL_CLOUD_REGIONS="$regions" bash lab/start.sh --with-compute >&2
  LOCAL_CLOUD_REGIONS="$regions" LOCAL_NODES_SET=scale bash lab/nodes.sh start >&2
  FROM="$(mktemp --suffix=.json)"
  # The nodes as they are before the run: the guide's undo and every destroy must give them back like this, and the
  # guide's trap restores them from it after a failure.
  export BENCH_NODES_DIR="$ROOT/.local-cloud/nodes-scale"
  STATE="$(mktemp -d)"
  trap 'rm -rf "$STATE"' EXIT
  bash bench/node-state.sh save "$STATE/nodes"
  LOCAL_CLOUD_REGIONS="$regions" BENCH_ROOT="$ROOT" BENCH_SCALE_OUT="$FROM" BENCH_SCALE_SIZES="$SIZES" \
    BENCH_SCALE_PARALLEL="$PARALLEL" BENCH_SCALE_GUIDE="$GUIDE" BENCH_NODE_STATE="$STATE/nodes" \
    BENCH_SSHD_LOGS="$BENCH_NODES_DIR" OS_CLIENT_CONFIG_FILE="$ROOT/.local-cloud/clouds.yaml" \
    node "$CACHE/bench/scale/run.js"
  mkdir -p "$(dirname "$RECORD")"
  cp "$FROM" "$RECORD"
  log "the record is in $RECORD"
fi
if [ "$RECORD" = docs/bench-scale/record.json ]; then
  node "$CACHE/bench/scale/main.js" "$FROM"
  log "wrote docs/bench.md's scale section and docs/bench-scale/chart.svg"
else
  node "$CACHE/bench/scale/main.js" "$FROM" /dev/stdout /dev/null
fi
