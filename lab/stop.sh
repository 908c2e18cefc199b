#!/usr/bin/env bash
# Stops every process of the local cloud that start.sh started, using only
# the pid files in .local-cloud/run (never a process found by name: other
# engineers run their own services and Open vSwitch instances on this
# machine). Each gets SIGTERM to its process group, a bounded wait
# (LOCAL_CLOUD_STOP_TIMEOUT, default 20 s), then SIGKILL.
#
#   lab/stop.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Processes everything else depends on: stopped last, one after the other.
BACKENDS=(ovs-vswitchd ovsdb-server memcached rabbitmq epmd mysql)

main() {
  local name pf bound="${LOCAL_CLOUD_STOP_TIMEOUT:-20}" pids=()
  "$LC_SCRIPTS/nodes.sh" stop
  LOCAL_NODES_SET=bench "$LC_SCRIPTS/nodes.sh" stop
  LOCAL_NODES_SET=scale "$LC_SCRIPTS/nodes.sh" stop
  [ -d "$LC_RUN" ] || { log "nothing to stop ($LC_RUN does not exist)"; return 0; }
  # The OpenStack services side by side (each may take seconds to drain),
  # including any pid file whose name is not in LC_ORDER.
  for pf in "$LC_RUN"/*.pid; do
    [ -e "$pf" ] || continue
    name="$(basename "$pf" .pid)"
    [[ " ${BACKENDS[*]} " == *" $name "* ]] && continue
    stop_daemon "$name" "$bound" &
    pids+=("$!")
  done
  for pf in "${pids[@]}"; do wait "$pf" || true; done
  for name in "${BACKENDS[@]}"; do stop_daemon "$name" "$bound"; done
  log "all stopped"
}

main "$@"
