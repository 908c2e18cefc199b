#!/usr/bin/env bash
# The Neutron L2 agent of a controller node: neutron-openvswitch-agent with `host` = the node's hostname, driving the
# node's own Open vSwitch (its br-int, and a br-tun for the lab's vxlan networks). With it Neutron binds the node's
# health-manager port (`port set --host`, guide step 2) to a live agent and marks it ACTIVE once o-hm0 carries it, as
# on a real controller, instead of leaving it `binding_failed`.
#
#   lab/node-agent.sh start HOSTNAME NODE_RUN HOST_SIDE   # idempotent; returns once the agent is ready (agent_ready)
#   lab/node-agent.sh stop HOSTNAME                       # ends the agent and removes its record from Neutron
#   lab/node-agent.sh status HOSTNAME                     # exits 0 when the agent's process runs
#
# NODE_RUN: the node's /run as this machine sees it (the folder init.sh binds there), which holds the node's
# openvswitch/db.sock. HOST_SIDE: this machine's end of the node's veth pair.
#
# The agent runs here, beside the node, not inside its namespaces: the cloud's RabbitMQ listens on loopback only, which
# the node cannot reach. It reaches the node's Open vSwitch through its database socket, and the node's ovs-vswitchd
# reaches the agent's OpenFlow controller across the veth (of_listen_address = HOST_SIDE), which is also its tunnel
# endpoint (local_ip must be an address of the agent's own network namespace). Used by nodes.sh and by the e2e
# harness's nodes.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib/config.sh
. "$LC_SCRIPTS/lib/config.sh"

# How long an agent may take to be ready (agent_ready): 5-7 s on two busy cores.
BOUND_ALIVE=60

daemon_of() { printf 'neutron-ovs-agent-node-%s' "$1"; }
conf_of() { printf '%s/neutron/ovs-agent-node-%s.ini' "$LC_ETC" "$1"; }

# COLUMN (ID, Alive) of the Open vSwitch agents Neutron lists for HOSTNAME.
agent_column() { # HOSTNAME COLUMN
  timeout 60 openstack network agent list --host "$1" --agent-type open-vswitch -f value -c "$2"
}

# Ready: Neutron lists the agent alive, and since its last start it has finished a first loop over the node's
# bridges (its state reports begin before it has set up br-int and br-tun, so alive alone is too early for a
# snapshot of the node, or for o-hm0 to be wired at once).
agent_ready() {
  local h="$1" lf alive header
  lf="$(logfile_of "$(daemon_of "$h")")"
  header="$(grep -n "^===== .* start $(daemon_of "$h"):" "$lf" | tail -n 1 | cut -d: -f1)"
  # No grep -q: it would stop reading, and tail's SIGPIPE would fail the pipeline (pipefail).
  tail -n "+${header:-1}" "$lf" | grep "rpc_loop - iteration:0 completed" >/dev/null || return 1
  alive="$(agent_column "$h" Alive)"
  [ "$alive" = True ] || [ "$alive" = ":-)" ]
}

cmd_start() {
  local h="$1" run="$2" side="$3" name
  [[ "$h" =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]] || die "node-agent: '$h' is not a host name"
  [ -S "$run/openvswitch/db.sock" ] || die "node-agent: no Open vSwitch database socket in $run/openvswitch (is node $h up?)"
  name="$(daemon_of "$h")"
  mkdir -p "$LC_ETC/neutron" "$LC_DATA/neutron/agent-$h"
  # One bridge pair per Open vSwitch, and this one is the node's own: the guide's br-int and br-tun names.
  render neutron/ovs-agent.ini host="$h" n=0 int_bridge=br-int tun_bridge=br-tun local_ip="$side" of_port=6633 \
    ovsdb_sock="$run/openvswitch/db.sock" of_address="$side" LC_RABBIT_URL LC_DATA >"$(conf_of "$h")"
  start_daemon "$name" env OVS_RUNDIR="$run/openvswitch" \
    neutron-openvswitch-agent --config-file "$LC_ETC/neutron/neutron.conf" --config-file "$(conf_of "$h")"
  use_admin_cloud
  wait_until "$name" "$BOUND_ALIVE" agent_ready "$h"
  log "L2 agent of node $h: alive, bridges set up"
}

cmd_stop() {
  local h="$1" id
  stop_daemon "$(daemon_of "$h")" 20
  rm -f "$(conf_of "$h")"
  # A stopped agent stays in Neutron's list (dead after agent_down_time); a node that is gone leaves no record.
  if is_running neutron-server; then
    use_admin_cloud
    for id in $(agent_column "$h" ID || true); do
      timeout 60 openstack network agent delete "$id" || log "node-agent: could not delete agent $id of $h"
    done
  fi
}

case "${1:-}" in
  start) [ $# -eq 4 ] || die "usage: node-agent.sh start HOSTNAME NODE_RUN HOST_SIDE"; cmd_start "$2" "$3" "$4" ;;
  stop) [ $# -eq 2 ] || die "usage: node-agent.sh stop HOSTNAME"; cmd_stop "$2" ;;
  status) [ $# -eq 2 ] || die "usage: node-agent.sh status HOSTNAME"; is_running "$(daemon_of "$2")" ;;
  *) sed -n '7,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
