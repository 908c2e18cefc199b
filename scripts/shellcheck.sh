#!/usr/bin/env bash
# Runs shellcheck on every shell file of the project: the node programs (components/**/*.sh, which the stack assembles
# into its remote commands), the project's own scripts (scripts/**/*.sh) the lab's (lab/**/*.sh) and the benchmark's (bench/**/*.sh). Part of
# `npm run lint` (and so of .ci/run). A finding is fixed, not silenced; where a rule is wrong for one line, a
# `# shellcheck disable=SCxxxx` on that line says why.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v shellcheck >/dev/null || { echo "shellcheck: not installed (bash scripts/host-deps.sh, or apt-get install shellcheck)" >&2; exit 1; }
mapfile -t files < <(find components scripts lab bench test -name node_modules -prune -o -type f -name '*.sh' -print | LC_ALL=C sort)
[ "${#files[@]}" -gt 0 ] || { echo "shellcheck: no shell files found" >&2; exit 1; }
shellcheck --external-sources "${files[@]}"
echo "shellcheck: ${#files[@]} files clean"
