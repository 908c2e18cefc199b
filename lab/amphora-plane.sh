#!/usr/bin/env bash
# Where the local Octavia boots its amphorae (cloud started with --with-compute): the boot network and security
# group in .local-cloud/etc/octavia/amphora.conf, which only the worker reads, at its start.
#
#   lab/amphora-plane.sh show               # the two ids, as JSON
#   lab/amphora-plane.sh set NET_ID SG_ID   # point them at a stack's own (e.g. its outputs)
#   lab/amphora-plane.sh reset              # back to what was there before the first `set`
#
# `set` keeps the file it replaces as amphora.conf.before (once: a second `set` keeps the first backup) and
# restarts octavia-worker; `reset` puts the backup back and restarts it. Idempotent; bounded (the worker's stop
# waits 20 s, then SIGKILL; its start is checked after 3 s). start.sh writes the cloud's own plane at every start,
# so a restart of the cloud also resets it. Run it under the cloud lock: a restart drops the worker's work in hand.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONF="$LC_ETC/octavia/amphora.conf"
BACKUP="$CONF.before"
# The worker reads amphora.conf only when the cloud runs with compute.
COMPUTE=1
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

value_of() { sed -n "s/^$1 = //p" "$CONF"; }

show() {
  [ -s "$CONF" ] || die "$CONF missing: is the cloud running with --with-compute?"
  printf '{"amp_boot_network_list": "%s", "amp_secgroup_list": "%s"}\n' "$(value_of amp_boot_network_list)" "$(value_of amp_secgroup_list)"
}

restart_worker() {
  stop_daemon octavia-worker 20
  start_octavia_worker
  sleep 3
  is_running octavia-worker || { log_tail octavia-worker; die "octavia-worker exited after its restart"; }
}

set_plane() {
  local net="$1" sg="$2"
  [[ "$net" =~ $UUID_RE ]] || die "network id: not a UUID"
  [[ "$sg" =~ $UUID_RE ]] || die "security group id: not a UUID"
  [ -s "$CONF" ] || die "$CONF missing: is the cloud running with --with-compute?"
  [ -e "$BACKUP" ] || cp -p "$CONF" "$BACKUP"
  printf '[controller_worker]\namp_boot_network_list = %s\namp_secgroup_list = %s\n' "$net" "$sg" >"$CONF.tmp"
  mv -f "$CONF.tmp" "$CONF"
  restart_worker
  log "amphorae boot on network $net with security group $sg"
}

reset_plane() {
  if [ -e "$BACKUP" ]; then
    mv -f "$BACKUP" "$CONF"
    restart_worker
    log "amphora plane reset to the cloud's own"
  else
    log "amphora plane: nothing to reset"
  fi
}

case "${1:-}" in
  show) show ;;
  set) [ $# -eq 3 ] || die "usage: $0 set NET_ID SG_ID"; set_plane "$2" "$3" ;;
  reset) reset_plane ;;
  *) die "usage: $0 show | set NET_ID SG_ID | reset" ;;
esac
