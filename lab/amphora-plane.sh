#!/usr/bin/env bash
# What the local Octavia worker reads besides its own octavia.conf (cloud started with --with-compute): the amphorae's
# boot network and security group in .local-cloud/etc/octavia/amphora.conf, and, read last so that it wins, a
# controller node's octavia.conf as a stack merged it (its flavor, image, keypair, PKI and plane), named by the
# pointer file node-conf.path: its [controller_worker], [certificates], [haproxy_amphora] and [health_manager]
# sections only (lib.sh start_octavia_worker). The worker reads them at its start only.
#
#   lab/amphora-plane.sh show               # the two ids and the node conf, as JSON
#   lab/amphora-plane.sh set NET_ID SG_ID   # point the plane at a stack's own (e.g. its outputs); no node conf
#   lab/amphora-plane.sh use-conf PATH      # read a node's merged octavia.conf too (its restart command calls this)
#   lab/amphora-plane.sh forget-conf        # read no node's conf any more
#   lab/amphora-plane.sh reset              # back to what was there before the first set
#
# `set` is the suites' lever: the first keeps what it replaces (amphora.conf.before, node-conf.path.before; a later
# one keeps that first backup) and restarts octavia-worker; `reset` puts the backup back and restarts it. use-conf
# and forget-conf are a node's Octavia restarting on its own file: they keep no backup (a `reset` after a suite's
# node must not take the `local` stack's node away, nor bring a suite's node back), so a suite that makes a node
# restart the worker puts back the node conf it found itself. Idempotent; bounded (the
# worker's stop waits 20 s, then SIGKILL; its start is checked after 3 s). start.sh writes the cloud's own plane at
# every start, so a restart of the cloud also resets the plane. The lab's worker stands in for the controller's own
# Octavia, which on a real node reads the merged file itself (the local nodes run no Octavia).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONF="$LC_ETC/octavia/amphora.conf"
BACKUP="$CONF.before"
POINTER="$LC_ETC/octavia/node-conf.path"
POINTER_BACKUP="$POINTER.before"
# Marks "there was no pointer" in the pointer's backup.
NONE="-"
# The worker reads amphora.conf only when the cloud runs with compute.
COMPUTE=1
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

value_of() { sed -n "s/^$1 = //p" "$CONF"; }

show() {
  [ -s "$CONF" ] || die "$CONF missing: is the cloud running with --with-compute?"
  printf '{"amp_boot_network_list": "%s", "amp_secgroup_list": "%s", "node_conf": "%s"}\n' \
    "$(value_of amp_boot_network_list)" "$(value_of amp_secgroup_list)" "$(node_conf_path)"
}

node_conf_path() { if [ -s "$POINTER" ]; then cat "$POINTER"; fi; }

restart_worker() {
  stop_daemon octavia-worker 20
  start_octavia_worker
  sleep 3
  is_running octavia-worker || { log_tail octavia-worker; die "octavia-worker exited after its restart"; }
}

# Keeps the state before the first change, once.
keep_before() {
  [ -e "$BACKUP" ] || cp -p "$CONF" "$BACKUP"
  [ -e "$POINTER_BACKUP" ] || { if [ -s "$POINTER" ]; then cp -p "$POINTER" "$POINTER_BACKUP"; else echo "$NONE" >"$POINTER_BACKUP"; fi; }
}

set_plane() {
  local net="$1" sg="$2"
  [[ "$net" =~ $UUID_RE ]] || die "network id: not a UUID"
  [[ "$sg" =~ $UUID_RE ]] || die "security group id: not a UUID"
  [ -s "$CONF" ] || die "$CONF missing: is the cloud running with --with-compute?"
  keep_before
  printf '[controller_worker]\namp_boot_network_list = %s\namp_secgroup_list = %s\n' "$net" "$sg" >"$CONF.tmp"
  mv -f "$CONF.tmp" "$CONF"
  # A node's conf would override the plane just set.
  rm -f "$POINTER"
  restart_worker
  log "amphorae boot on network $net with security group $sg"
}

use_conf() {
  local conf="$1"
  [[ "$conf" = /* ]] || die "node conf: an absolute path, not $conf"
  [ -f "$conf" ] || die "node conf: $conf does not exist"
  [ -s "$CONF" ] || die "$CONF missing: is the cloud running with --with-compute?"
  printf '%s\n' "$conf" >"$POINTER.tmp"
  mv -f "$POINTER.tmp" "$POINTER"
  restart_worker
  log "octavia-worker reads the amphora sections of $conf last"
}

forget_conf() {
  if [ -e "$POINTER" ]; then
    rm -f "$POINTER"
    restart_worker
  fi
  log "octavia-worker reads no node's conf"
}

reset_plane() {
  if [ -e "$BACKUP" ] || [ -e "$POINTER_BACKUP" ]; then
    [ -e "$BACKUP" ] && mv -f "$BACKUP" "$CONF"
    if [ -e "$POINTER_BACKUP" ]; then
      if [ "$(cat "$POINTER_BACKUP")" = "$NONE" ]; then rm -f "$POINTER" "$POINTER_BACKUP"; else mv -f "$POINTER_BACKUP" "$POINTER"; fi
    fi
    restart_worker
    log "amphora plane reset to the cloud's own"
  else
    log "amphora plane: nothing to reset"
  fi
}

case "${1:-}" in
  show) show ;;
  set) [ $# -eq 3 ] || die "usage: $0 set NET_ID SG_ID"; set_plane "$2" "$3" ;;
  use-conf) [ $# -eq 2 ] || die "usage: $0 use-conf PATH"; use_conf "$2" ;;
  forget-conf) forget_conf ;;
  reset) reset_plane ;;
  *) die "usage: $0 show | set NET_ID SG_ID | use-conf PATH | forget-conf | reset" ;;
esac
