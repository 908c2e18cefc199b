#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint.
#
# actionlint is built from its Go module (github.com/rhysd/actionlint, pinned
# below) with `go install` into a per-user cache keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/tricircle-lbaas/actionlint-<version>/actionlint
# A binary already there (and answering -version) is reused: the second run
# builds nothing. Needs Go on PATH for the first build only.
#
# ShellCheck: when `shellcheck` is on PATH (Debian: apt-get install shellcheck)
# actionlint also checks every `run:` script with it; without it those checks
# are skipped (actionlint says nothing). ACTIONLINT_SHELLCHECK=0 turns it off.
#
# Usage: scripts/actionlint.sh [extra actionlint args] [workflow files...]
# Without file arguments every .github/workflows/*.yml and *.yaml is checked.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACTIONLINT_VERSION=v1.7.12
MODULE=github.com/rhysd/actionlint
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/tricircle-lbaas/actionlint-${ACTIONLINT_VERSION}"
BIN="$CACHE_DIR/actionlint"

log() { echo "actionlint.sh: $*" >&2; }

built_ok() {
  [[ -x "$BIN" ]] && "$BIN" -version 2>/dev/null | head -n1 | grep -qF "${ACTIONLINT_VERSION#v}"
}

if ! built_ok; then
  command -v go >/dev/null 2>&1 || { log "go not found on PATH: needed once to build actionlint ${ACTIONLINT_VERSION}"; exit 1; }
  log "building ${MODULE}/cmd/actionlint@${ACTIONLINT_VERSION} into ${CACHE_DIR}"
  mkdir -p "$CACHE_DIR"
  tmp_bin="$(mktemp -d "$CACHE_DIR/.build.XXXXXX")"
  trap 'rm -rf "$tmp_bin"' EXIT
  # GOWORK=off: a go.work of an enclosing folder must not interfere. `go install MOD@VERSION` records the
  # module version in the binary's build info, which is what `actionlint -version` prints.
  (cd "$tmp_bin" && GOBIN="$tmp_bin" GOWORK=off go install -ldflags "-s -w" "${MODULE}/cmd/actionlint@${ACTIONLINT_VERSION}")
  mv -f "$tmp_bin/actionlint" "$BIN"
  rm -rf "$tmp_bin"
  trap - EXIT
  built_ok || { log "built binary does not report version ${ACTIONLINT_VERSION}"; "$BIN" -version >&2 || true; exit 1; }
fi

args=()
files=()
for a in "$@"; do
  case "$a" in
    -*) args+=("$a") ;;
    *) files+=("$a") ;;
  esac
done

if [[ ${#files[@]} -eq 0 ]]; then
  shopt -s nullglob
  files=("$ROOT"/.github/workflows/*.yml "$ROOT"/.github/workflows/*.yaml)
  shopt -u nullglob
  if [[ ${#files[@]} -eq 0 ]]; then
    log "no workflow files under .github/workflows"; exit 1
  fi
fi

if [[ "${ACTIONLINT_SHELLCHECK:-1}" == 0 ]]; then
  args+=(-shellcheck=)
elif command -v shellcheck >/dev/null 2>&1; then
  log "shellcheck $(shellcheck --version | sed -n 's/^version: //p') checks run: scripts"
else
  log "shellcheck not installed: run: scripts are not shellchecked (apt-get install shellcheck to enable)"
fi

cd "$ROOT"
"$BIN" -version | head -n1 >&2
"$BIN" "${args[@]}" "${files[@]}"
echo "actionlint: ${#files[@]} workflow file(s) clean" >&2
