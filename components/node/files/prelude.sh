# shellcheck shell=bash
set -euo pipefail
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022
tlb_fail() { printf 'tricircle-lbaas: error: %s\n' "$*" >&2; exit 1; }
tlb_note() { printf 'tricircle-lbaas: %s\n' "$*" >&2; }
tlb_host() { hostname 2>/dev/null || echo this-host; }
tlb_need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || tlb_fail "$tool is not installed on $(tlb_host)"
  done
}
# tlb_install_file MODE PATH <content: writes only when content or mode differ, so a re-run
# leaves the file (and its mtime) alone; the rename keeps readers from seeing half a file.
tlb_install_file() {
  local mode=$1 path=$2 tmp
  mkdir -p -- "$(dirname -- "$path")"
  tmp=$(mktemp "$path.tlb-tmp.XXXXXX")
  cat >"$tmp"
  if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s -- "$tmp" "$path" && [ "$(stat -c %a -- "$path")" = "$mode" ]; then
    rm -f -- "$tmp"
    return 0
  fi
  chmod "$mode" -- "$tmp"
  mv -f -- "$tmp" "$path"
  tlb_note "wrote $path"
}
tlb_remove_file() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -f -- "$1"
    tlb_note "removed $1"
  fi
}
tlb_rmdir_if_empty() {
  if [ -d "$1" ] && rmdir -- "$1" 2>/dev/null; then tlb_note "removed $1"; fi
  return 0
}
