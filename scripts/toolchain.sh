#!/usr/bin/env bash
# Builds (or reuses) the Pulumi toolchain this project needs, offline, from Go
# modules served by the Go module proxy:
#   pulumi                    3.248.0  github.com/pulumi/pulumi/pkg/v3 (cmd/pulumi)
#   pulumi-resource-openstack 3.15.2   plugins/openstack: the project's bridge of terraform-provider-openstack
#                                      (the official github.com/pulumi/pulumi-openstack/provider is not served)
#   pulumi-resource-command   1.2.1    plugins/command: the project's OFFLINE STAND-IN for the official plugin
#                                      (github.com/pulumi/pulumi-command/provider is not served)
#   pulumi-language-nodejs    3.248.0  optional, tried only: not served; offline runs host the program through the
#                                      Automation API (npm run stack), which needs no language host
# Binaries live in a per-user cache keyed by version and are linked into the
# checkout's ignored .toolchain/bin. Plugins are registered with
# `pulumi plugin install --file`. Idempotent: a second run verifies and skips.
# A pulumi 3.248.x on PATH with the official plugins installed is used instead (a machine with internet).
#
# Environment knobs:
#   TOOLCHAIN_JOBS=2               go build -p (default 2)
#   TOOLCHAIN_ALLOW_INCOMPLETE=1   exit 0 even if a component could not be had
#   TOOLCHAIN_FORCE_BUILD=1        ignore a compatible pulumi already on PATH
# See docs/toolchain.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/tricircle-lbaas/toolchain"
BIN_DIR="$ROOT/.toolchain/bin"
JOBS="${TOOLCHAIN_JOBS:-2}"

# ---- pinned versions (must match package.json) ------------------------------
PULUMI_VERSION=3.248.0
PULUMI_COMMIT=dc7edd58bc13179f81b80983aab4eb7f74a01b41          # tag pkg/v3.248.0
PULUMI_COMMIT_TIME=20260624180030                                # committer time, UTC
OPENSTACK_VERSION=3.15.2
COMMAND_VERSION=1.2.1
# The stand-in is installed under the official version plus build metadata: the engine takes it for the 1.2.1
# that @pulumi/command asks for (semver ignores build metadata), and `pulumi plugin ls` and `pulumi about` show
# what it is.
COMMAND_STANDIN_VERSION="$COMMAND_VERSION+offline.tricircle-lbaas"

MOD_PKG=github.com/pulumi/pulumi/pkg/v3
MOD_SDK=github.com/pulumi/pulumi/sdk/v3
MOD_NODEJS=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3

# Pseudo-versions of the untagged submodules (no tag carries their path, so
# the base is vMAJOR.0.0). `go mod download MOD@<commit>` is tried first; a
# proxy that only serves canonical versions gets the pseudo-version.
NODEJS_PSEUDO="v3.0.0-${PULUMI_COMMIT_TIME}-${PULUMI_COMMIT:0:12}"

PULUMI_LDFLAG_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
# Same tags as Pulumi's release build (.goreleaser.yml).
PULUMI_TAGS=osusergo,grpcnotrace
PULUMI_LDFLAGS="-s -w -X $PULUMI_LDFLAG_VAR=v$PULUMI_VERSION"
# What a cached binary must have been built with (see binary_ok).
PULUMI_RECIPE="$MOD_PKG@v$PULUMI_VERSION ($PULUMI_COMMIT) -trimpath -tags=$PULUMI_TAGS -ldflags=$PULUMI_LDFLAGS"
NODEJS_RECIPE="$MOD_NODEJS@$PULUMI_COMMIT -trimpath -tags=$PULUMI_TAGS -ldflags=$PULUMI_LDFLAGS"

log() { echo "toolchain: $*"; }

FAILED=()   # "component: reason" lines
OPTIONAL=() # the same, for components the project can do without

now() { date +%s; }

need_go() {
  command -v go >/dev/null 2>&1 || { log "go not found on PATH (need Go >= 1.25)"; exit 1; }
}

# json_field FILE FIELD -> prints the top-level string field of a JSON file
json_field() {
  node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=o[process.argv[2]];if(v!==undefined)process.stdout.write(String(v));' "$1" "$2"
}

# mod_download MODULE VERSION... -> on success prints "VERSION<TAB>DIR"; tries
# each version in turn; the last error goes to $CACHE_ROOT/logs/<name>.download.err
mod_download() {
  local mod=$1; shift
  local tmp errf
  tmp="$(mktemp)"
  errf="$CACHE_ROOT/logs/$(echo "$mod" | tr '/' '_').download.err"
  : >"$errf"
  for v in "$@"; do
    if (cd "$CACHE_ROOT" && go mod download -json "$mod@$v") >"$tmp" 2>>"$errf"; then
      local dir ver
      dir="$(json_field "$tmp" Dir)"; ver="$(json_field "$tmp" Version)"
      if [[ -n "$dir" && -d "$dir" ]]; then
        rm -f "$tmp"; printf '%s\t%s\n' "$ver" "$dir"; return 0
      fi
    fi
    { echo "go mod download -json $mod@$v:"; json_field "$tmp" Error 2>/dev/null || cat "$tmp"; echo; } >>"$errf"
  done
  rm -f "$tmp"
  return 1
}

# copy_mod SRC DST: lay a module directory out for building. Hard links where
# possible (same filesystem as GOMODCACHE); directories are made writable so
# generators can add files, files in the module cache are never modified.
copy_mod() {
  local src=$1 dst=$2
  rm -rf "$dst"; mkdir -p "$(dirname "$dst")"
  cp -al "$src" "$dst" 2>/dev/null || { rm -rf "$dst"; cp -a "$src" "$dst"; chmod -R u+w "$dst"; }
  find "$dst" -type d -exec chmod u+w {} +
}

# Each built binary has a stamp file next to it: line 1 the recipe (module,
# version, ldflags, tags), line 2 the binary's sha256. -trimpath keeps the
# ldflags out of the binary's build info, so the stamp records them.
# binary_ok BIN MAINPATH RECIPE: the binary exists, was built from package
# MAINPATH (go version -m), with this recipe, and is unchanged since.
binary_ok() {
  local bin=$1 main=$2 recipe=$3 info
  [[ -x "$bin" && -f "$bin.stamp" ]] || return 1
  [[ "$(sed -n 1p "$bin.stamp")" == "$recipe" ]] || return 1
  [[ "$(sed -n 2p "$bin.stamp")" == "$(sha256sum "$bin" | cut -d' ' -f1)" ]] || return 1
  info="$(go version -m "$bin" 2>/dev/null)" || return 1
  grep -q "^[[:space:]]*path[[:space:]]\+$main\$" <<<"$info" || return 1
}

write_stamp() { # BIN RECIPE
  printf '%s\n%s\n' "$2" "$(sha256sum "$1" | cut -d' ' -f1)" >"$1.stamp"
}

record_time() { # component seconds
  echo "$2" >"$CACHE_ROOT/$1/build-seconds"
  log "$1: built in $2 s"
}

# One untagged submodule: downloads it by commit (or pseudo-version) into MOD_VER and MOD_DIR;
# a refusal is recorded in FAILED with the proxy's own words.
fetch_component() { # LABEL MODULE COMMIT12 PSEUDO
  local label=$1 mod=$2 commit=$3 pseudo=$4 r
  log "$label: downloading $mod@$commit (or $pseudo)"
  if ! r="$(mod_download "$mod" "$commit" "$pseudo")"; then
    FAILED+=("$label: $(tail -n 2 "$CACHE_ROOT/logs/$(echo "$mod" | tr '/' '_').download.err" | tr '\n' ' ')")
    return 1
  fi
  MOD_VER="${r%%$'\t'*}"; MOD_DIR="${r#*$'\t'}"
  log "$label: $mod@$MOD_VER"
}

# go build of PACKAGE inside WORKDIR into BIN (via BIN.tmp, so a failed build never leaves a
# half-written binary), then the stamp that later runs verify; a failure is recorded in FAILED.
go_build_component() { # LABEL WORKDIR PACKAGE BIN LDFLAGS TAGS RECIPE
  local label=$1 workdir=$2 pkg=$3 bin=$4 ldflags=$5 tags=$6 recipe=$7
  local build_log="$CACHE_ROOT/logs/$label.build.log"
  mkdir -p "$(dirname "$bin")"
  log "$label: go build $pkg (-p $JOBS; log $build_log)"
  if ! (cd "$workdir" && go build -p "$JOBS" -buildvcs=false -trimpath ${tags:+-tags "$tags"} \
          -ldflags "$ldflags" -o "$bin.tmp" "$pkg") >"$build_log" 2>&1; then
    tail -20 "$build_log" >&2
    FAILED+=("$label: go build failed, see $build_log"); return 1
  fi
  mv -f "$bin.tmp" "$bin"
  write_stamp "$bin" "$recipe"
}

# ---- components ---------------------------------------------------------------
PULUMI_DIR="$CACHE_ROOT/pulumi-$PULUMI_VERSION"
NODEJS_DIR="$CACHE_ROOT/pulumi-language-nodejs-$PULUMI_VERSION"
OPENSTACK_DIR="$CACHE_ROOT/pulumi-resource-openstack-$OPENSTACK_VERSION"
COMMAND_DIR="$CACHE_ROOT/pulumi-resource-command-$COMMAND_VERSION"

# Layout of the pulumi repository modules at one commit, so that the relative
# replaces in their go.mod (../sdk, ../../../../pkg, ../../..) resolve.
layout_pulumi_repo() { # DEST -> needs PKG_DIR, SDK_DIR
  local dest=$1
  rm -rf "$dest"; mkdir -p "$dest"
  copy_mod "$PKG_DIR" "$dest/pkg"
  copy_mod "$SDK_DIR" "$dest/sdk"
}

download_pulumi_core() {
  [[ -n "${PKG_DIR:-}" ]] && return 0
  local r
  log "downloading $MOD_PKG@v$PULUMI_VERSION and $MOD_SDK@v$PULUMI_VERSION"
  r="$(mod_download "$MOD_PKG" "v$PULUMI_VERSION")" || return 1
  PKG_DIR="${r#*$'\t'}"
  r="$(mod_download "$MOD_SDK" "v$PULUMI_VERSION")" || return 1
  SDK_DIR="${r#*$'\t'}"
}

build_pulumi() {
  local main=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  if binary_ok "$PULUMI_DIR/pulumi" "$main" "$PULUMI_RECIPE" \
     && [[ "$("$PULUMI_DIR/pulumi" version 2>/dev/null)" == "v$PULUMI_VERSION" ]]; then
    log "pulumi v$PULUMI_VERSION: cached, verified ($PULUMI_DIR/pulumi)"; return 0
  fi
  local t0; t0=$(now)
  download_pulumi_core || { FAILED+=("pulumi: module download failed, see $CACHE_ROOT/logs/"); return 1; }
  local src="$CACHE_ROOT/build/pulumi-$PULUMI_VERSION"
  log "pulumi: laying out modules in $src"
  layout_pulumi_repo "$src"
  go_build_component pulumi "$src/pkg" ./cmd/pulumi "$PULUMI_DIR/pulumi" "$PULUMI_LDFLAGS" "$PULUMI_TAGS" "$PULUMI_RECIPE" || return 1
  rm -rf "$src"
  record_time "pulumi-$PULUMI_VERSION" $(( $(now) - t0 ))
  log "pulumi: built $("$PULUMI_DIR/pulumi" version)"
}

build_nodejs() {
  local main=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
  if binary_ok "$NODEJS_DIR/pulumi-language-nodejs" "$main" "$NODEJS_RECIPE"; then
    log "pulumi-language-nodejs v$PULUMI_VERSION: cached, verified"; return 0
  fi
  local t0; t0=$(now)
  fetch_component pulumi-language-nodejs "$MOD_NODEJS" "${PULUMI_COMMIT:0:12}" "$NODEJS_PSEUDO" || return 1
  download_pulumi_core || { FAILED+=("pulumi-language-nodejs: pulumi core module download failed"); return 1; }
  local src="$CACHE_ROOT/build/pulumi-language-nodejs-$PULUMI_VERSION"
  layout_pulumi_repo "$src"
  copy_mod "$MOD_DIR" "$src/sdk/nodejs/cmd/pulumi-language-nodejs"
  go_build_component pulumi-language-nodejs "$src/sdk/nodejs/cmd/pulumi-language-nodejs" . \
    "$NODEJS_DIR/pulumi-language-nodejs" "$PULUMI_LDFLAGS" "$PULUMI_TAGS" "$NODEJS_RECIPE" || return 1
  echo "$MOD_NODEJS@$MOD_VER" >"$NODEJS_DIR/module"
  rm -rf "$src"
  record_time "pulumi-language-nodejs-$PULUMI_VERSION" $(( $(now) - t0 ))
}

# The project's own plugins (plugins/<name>/build.sh OUTDIR). The recipe is the hash of every file of the plugin's
# folder that git tracks or would track, so an edit rebuilds and an unchanged checkout reuses the cached binary.
plugin_recipe() { # NAME
  local dir="$ROOT/plugins/$1"
  (cd "$dir" && git ls-files --cached --others --exclude-standard . | LC_ALL=C sort | while read -r f; do
     [[ -f "$f" ]] && printf '%s %s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$f"; done) | sha256sum | cut -d' ' -f1
}

build_project_plugin() { # NAME VERSION DIR
  local name=$1 ver=$2 dir=$3 bin recipe t0
  bin="$dir/pulumi-resource-$name"
  recipe="plugins/$name $(plugin_recipe "$name") version $ver"
  if [[ -x "$bin" && -f "$bin.stamp" && "$(sed -n 1p "$bin.stamp")" == "$recipe" \
        && "$(sed -n 2p "$bin.stamp")" == "$(sha256sum "$bin" | cut -d' ' -f1)" ]]; then
    log "pulumi-resource-$name $ver (plugins/$name): cached, verified"; return 0
  fi
  t0=$(now)
  log "pulumi-resource-$name $ver: bash plugins/$name/build.sh (log $CACHE_ROOT/logs/pulumi-resource-$name.build.log)"
  if ! TOOLCHAIN_JOBS="$JOBS" bash "$ROOT/plugins/$name/build.sh" "$dir" >"$CACHE_ROOT/logs/pulumi-resource-$name.build.log" 2>&1; then
    tail -20 "$CACHE_ROOT/logs/pulumi-resource-$name.build.log" >&2
    FAILED+=("pulumi-resource-$name: plugins/$name/build.sh failed, see $CACHE_ROOT/logs/pulumi-resource-$name.build.log"); return 1
  fi
  write_stamp "$bin" "$recipe"
  record_time "pulumi-resource-$name-$ver" $(( $(now) - t0 ))
}

# What the engine will see: the name and version the npm SDKs ask for, and the stand-in's label.
verify_openstack() {
  local got
  got="$(json_field "$OPENSTACK_DIR/schema.json" name) $(json_field "$OPENSTACK_DIR/schema.json" version)"
  [[ "$got" == "openstack $OPENSTACK_VERSION" ]] || { FAILED+=("pulumi-resource-openstack: schema says '$got', not 'openstack $OPENSTACK_VERSION'"); return 1; }
}
verify_command() {
  local label
  label="$("$COMMAND_DIR/pulumi-resource-command" --version 2>&1)" || true
  [[ "$label" == *"$COMMAND_VERSION"*"offline stand-in"* ]] || { FAILED+=("pulumi-resource-command: --version says '$label'"); return 1; }
  log "pulumi-resource-command: $label"
}

build_openstack() { build_project_plugin openstack "$OPENSTACK_VERSION" "$OPENSTACK_DIR" && verify_openstack; }
build_command() { build_project_plugin command "$COMMAND_VERSION" "$COMMAND_DIR" && verify_command; }

# ---- links, plugins -------------------------------------------------------------
link() { # TARGET NAME
  if [[ -x "$1" ]]; then
    if [[ "$(readlink "$BIN_DIR/$2" 2>/dev/null)" != "$1" ]]; then
      ln -sfn "$1" "$BIN_DIR/$2"; log "linked .toolchain/bin/$2 -> $1"
    fi
  fi
}

plugin_installed() { # NAME VERSION
  "$BIN_DIR/pulumi" plugin ls 2>/dev/null \
    | awk -v n="$1" -v v="$2" '$1==n && $2=="resource" && ($3==v || $3=="v"v) {f=1} END {exit !f}'
}

# install_plugin NAME VERSION BINARY: `pulumi plugin install --file`, unless
# the installed plugin is listed and is the same binary.
install_plugin() {
  local name=$1 ver=$2 bin=$3
  local installed="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-$name-v$ver/pulumi-resource-$name"
  if [[ ! -x "$bin" ]]; then
    log "plugin resource $name $ver: no binary, not installed"; return 1
  fi
  local reinstall=()
  if plugin_installed "$name" "$ver"; then
    if [[ -f "$installed" ]] && cmp -s "$installed" "$bin"; then
      log "plugin resource $name $ver: installed, same binary"; return 0
    fi
    reinstall=(--reinstall)
  fi
  log "plugin resource $name $ver: pulumi plugin install resource $name $ver --file $bin ${reinstall[*]:-}"
  "$BIN_DIR/pulumi" plugin install resource "$name" "$ver" --file "$bin" "${reinstall[@]}"
}

is_standin() { # BINARY
  [[ -x "$1" ]] && [[ "$(timeout 10 "$1" --version 2>&1)" == *"offline stand-in"* ]]
}

# Not `pulumi plugin rm`: it matches versions by semver, which ignores build metadata, so removing
# 1.2.1+offline.tricircle-lbaas would take an official 1.2.1 with it (and the other way round).
remove_plugin_dir() { # DIR
  rm -rf -- "$1" "$1.lock" "$1.partial"
}

# The stand-in goes in as COMMAND_STANDIN_VERSION, never over an official plugin: with the official 1.2.1
# installed the engine would see two plugins of one version, so the stand-in stays out (and is taken out).
# A stand-in left under the bare version by an older toolchain is removed.
install_command_standin() {
  local plugins="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
  local bare="$plugins/resource-command-v$COMMAND_VERSION/pulumi-resource-command"
  if [[ -x "$bare" ]] && is_standin "$bare"; then
    log "plugin resource command $COMMAND_VERSION: the stand-in under the official version, removed (reinstalled as $COMMAND_STANDIN_VERSION)"
    remove_plugin_dir "$plugins/resource-command-v$COMMAND_VERSION"
  fi
  if [[ -x "$bare" ]]; then
    log "plugin resource command $COMMAND_VERSION: the official plugin is installed and is used; the offline stand-in is not installed"
    remove_plugin_dir "$plugins/resource-command-v$COMMAND_STANDIN_VERSION"
    return 0
  fi
  install_plugin command "$COMMAND_STANDIN_VERSION" "$COMMAND_DIR/pulumi-resource-command"
}

# A pulumi on PATH (outside this checkout) at 3.248.x with both plugins
# installed is used as is: a machine with internet needs no build.
use_ambient_pulumi() {
  [[ -n "${TOOLCHAIN_FORCE_BUILD:-}" ]] && return 1
  local p dir v
  p="$(PATH="$(tr ':' '\n' <<<"$PATH" | grep -v -x -F "$BIN_DIR" | paste -sd:)" command -v pulumi 2>/dev/null)" || return 1
  case "$(readlink -f "$p")" in "$ROOT"/*|"$CACHE_ROOT"/*) return 1 ;; esac
  v="$("$p" version 2>/dev/null)" || return 1
  [[ "$v" == v3.248.* ]] || { log "pulumi on PATH ($p) is $v, not 3.248.x: building"; return 1; }
  dir="$(dirname "$(readlink -f "$p")")"
  local lang; lang="$(command -v pulumi-language-nodejs 2>/dev/null || true)"
  [[ -x "$dir/pulumi-language-nodejs" ]] && lang="$dir/pulumi-language-nodejs"
  [[ -n "$lang" ]] || { log "pulumi on PATH has no pulumi-language-nodejs: building"; return 1; }
  local ls; ls="$("$p" plugin ls 2>/dev/null)" || return 1
  awk -v v="$OPENSTACK_VERSION" '$1=="openstack" && $2=="resource" && ($3==v||$3=="v"v){f=1} END{exit !f}' <<<"$ls" || { log "pulumi on PATH: plugin openstack $OPENSTACK_VERSION missing: building"; return 1; }
  awk -v v="$COMMAND_VERSION" '$1=="command" && $2=="resource" && ($3==v||$3=="v"v){f=1} END{exit !f}' <<<"$ls" || { log "pulumi on PATH: plugin command $COMMAND_VERSION missing: building"; return 1; }
  mkdir -p "$BIN_DIR"
  ln -sfn "$(readlink -f "$p")" "$BIN_DIR/pulumi"
  ln -sfn "$(readlink -f "$lang")" "$BIN_DIR/pulumi-language-nodejs"
  log "using pulumi $v from PATH ($p) with its language host and installed plugins; nothing built"
  return 0
}

main() {
  local t_start; t_start=$(now)
  mkdir -p "$CACHE_ROOT/logs" "$BIN_DIR" "$ROOT/.pulumi-state"
  # shellcheck source=scripts/env.sh
  source "$ROOT/scripts/env.sh"

  if use_ambient_pulumi; then
    :
  else
    need_go
    log "go: $(go version); cache: $CACHE_ROOT; GOMODCACHE: $(go env GOMODCACHE)"
    build_pulumi || true
    local required=${#FAILED[@]}
    if ! build_nodejs; then
      OPTIONAL+=("${FAILED[@]:required}"); FAILED=("${FAILED[@]:0:required}")
    fi
    build_openstack || true
    build_command || true
    link "$PULUMI_DIR/pulumi" pulumi
    link "$NODEJS_DIR/pulumi-language-nodejs" pulumi-language-nodejs
    # pulumi looks for language hosts next to its (resolved) executable first
    # and warns about one found on PATH only: put it there too.
    if [[ -x "$NODEJS_DIR/pulumi-language-nodejs" && -d "$PULUMI_DIR" ]]; then
      ln -sfn "$NODEJS_DIR/pulumi-language-nodejs" "$PULUMI_DIR/pulumi-language-nodejs"
    fi
    if [[ -x "$BIN_DIR/pulumi" ]]; then
      install_plugin openstack "$OPENSTACK_VERSION" "$OPENSTACK_DIR/pulumi-resource-openstack" || true
      install_command_standin || true
    fi
  fi

  link "$ROOT/scripts/shims/pulumi-resource-pulumi-nodejs" pulumi-resource-pulumi-nodejs
  # The project's plugin binaries (and the OpenStack schema they were built with), for the tests that drive them
  # directly: .toolchain/plugins/.
  mkdir -p "$ROOT/.toolchain/plugins"
  local f
  for f in "$COMMAND_DIR/pulumi-resource-command" "$OPENSTACK_DIR/pulumi-resource-openstack" "$OPENSTACK_DIR/schema.json"; do
    if [[ -f "$f" ]]; then ln -sfn "$f" "$ROOT/.toolchain/plugins/$(basename "$f")"; fi
  done

  if [[ -x "$BIN_DIR/pulumi" ]]; then
    log "pulumi version: $("$BIN_DIR/pulumi" version)"
    log "backend: $PULUMI_BACKEND_URL"
    "$BIN_DIR/pulumi" plugin ls | sed 's/^/toolchain:   /'
  fi
  log "done in $(( $(now) - t_start )) s"
  if ((${#OPTIONAL[@]})); then
    log "optional, not available (offline runs use the Automation API: npm run stack):"
    local o; for o in "${OPTIONAL[@]}"; do log "  - $o"; done
  fi
  if ((${#FAILED[@]})); then
    log "INCOMPLETE: ${#FAILED[@]} component(s) could not be had:"
    local f; for f in "${FAILED[@]}"; do log "  - $f"; done
    [[ -n "${TOOLCHAIN_ALLOW_INCOMPLETE:-}" ]] && return 0
    return 2
  fi
}

main "$@"
