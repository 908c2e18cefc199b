#!/usr/bin/env bash
# The local nodes' "restart Octavia" (their octavia.restartCommand, set by the `local` stack's runner): the nodes run
# no Octavia of their own, so the node of the region whose Octavia the lab runs restarts the lab's worker instead,
# reading the node's merged octavia.conf last (lab/amphora-plane.sh use-conf). Runs as root on the node: its network
# and mount namespaces are the node's, so it enters those of the lab's Octavia API (same pid namespace) first.
#
#   bash lab/node/restart-octavia.sh CONF
#
# Bounded: amphora-plane.sh's restart is (20 s stop, 3 s start check); idempotent: the same CONF again restarts once.
set -euo pipefail
CONF="${1:?usage: restart-octavia.sh CONF}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PIDFILE="${LOCAL_CLOUD_DIR:-$HERE/../.local-cloud}/run/octavia-api.pid"
pid="$(cat "$PIDFILE" 2>/dev/null)" || { echo "restart-octavia: no $PIDFILE: is the local cloud running?" >&2; exit 1; }
if ! [[ "$pid" =~ ^[0-9]+$ ]] || [ ! -e "/proc/$pid/ns/net" ]; then
  echo "restart-octavia: the lab's Octavia API (pid $pid) is not running" >&2
  exit 1
fi
exec nsenter -t "$pid" -m -n -u -- bash "$HERE/amphora-plane.sh" use-conf "$CONF"
