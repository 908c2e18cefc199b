#!/usr/bin/env bash
# scripts/run-tool.sh tools/<tool>/<entry>.ts [args...]: compiles the operators' tools (tsconfig.tools.json: index.ts
# and tools/) into node_modules/.cache/tricircle-tools/ and runs one entry with node. The npm scripts `stack`,
# `doctor` and `verify` are this, so the compiler's flags live in one file. scripts/env.sh is not sourced: a tool
# takes the operator's PULUMI_BACKEND_URL and passphrase as they are, and picks the lab's defaults only for the
# lab's stack.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
entry="${1:-}"
if [[ "$entry" != tools/*.ts || ! -f "$ROOT/$entry" ]]; then
  echo "usage: scripts/run-tool.sh tools/<tool>/<entry>.ts [args...] (got '${entry}')" >&2
  exit 2
fi
shift
# Two tools started at once (two operators, or a second `up` that the backend's lock will refuse) compile one after
# the other: two compilers writing the same files would leave a half-written one for a node to load. The compile
# is incremental, so the second finds nothing to do.
mkdir -p "$ROOT/node_modules/.cache"
(
  flock -w 300 9 || { echo "run-tool: another compile still holds $ROOT/node_modules/.cache/tricircle-tools.lock after 300 s" >&2; exit 1; }
  "$ROOT/node_modules/.bin/tsc" -p "$ROOT/tsconfig.tools.json"
) 9>"$ROOT/node_modules/.cache/tricircle-tools.lock"
export TRICIRCLE_ROOT="$ROOT"
exec node "$ROOT/node_modules/.cache/tricircle-tools/${entry%.ts}.js" "$@"
