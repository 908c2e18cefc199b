#!/usr/bin/env bash
# Restarts the local cloud's neutron-server (only it: the agents, Keystone and the rest keep running), as an
# operator's `systemctl restart neutron-server` would, and prints how long the API was away. Used by the outage
# end-to-end test (test/e2e/crash.test.ts); run it under the cloud's lock like every other script here.
#
#   lab/restart-neutron.sh [DOWN_SECONDS]
#
# DOWN_SECONDS (default 0): extra seconds to stay stopped before starting again (a slow restart). Prints one line,
# `neutron-server restarted: stopped S s, API answering after A s (total T s)`. Leaves neutron-server running, with
# the very command line start.sh gives it, and fails (non-zero) if its API does not answer within 120 s.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

down="${1:-0}"
[[ "$down" =~ ^[0-9]+$ ]] || die "DOWN_SECONDS must be a whole number of seconds"
is_running neutron-server || die "neutron-server is not running: start the cloud first (lab/start.sh)"

t0=$(date +%s%3N)
stop_daemon neutron-server 30
t1=$(date +%s%3N)
sleep "$down"
start_daemon neutron-server neutron-server \
  --config-file "$LC_ETC/neutron/neutron.conf" --config-file "$LC_ETC/neutron/ml2_conf.ini"
t2=$(date +%s%3N)
wait_for_url neutron-server "http://$LC_HOST:$LC_PORT_NEUTRON/" 120
t3=$(date +%s%3N)
secs() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }
echo "neutron-server restarted: stopped $(secs $((t1 - t0))) s, API answering after $(secs $((t3 - t2))) s (total $(secs $((t3 - t0))) s)"
