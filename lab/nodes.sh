#!/usr/bin/env bash
# The local cloud's Octavia controller nodes: one network namespace per node (node/init.sh: sshd, Open vSwitch with
# br-int, iptables, a `stack` user with passwordless sudo, /etc/octavia/octavia.conf as packages install it), reached
# from this machine over a veth pair on a link-local /30. The `local` stack configures them over SSH like any node.
#
#   lab/nodes.sh start     # idempotent; makes keys once, starts the nodes that do not run, each with its L2 agent
#   lab/nodes.sh stop      # ends every process of every node, removes namespaces and veths
#   lab/nodes.sh wipe      # stop + remove the nodes' folders (keys, disks): next start is new
#   lab/nodes.sh status    # one line per node; exits 1 when one (or its L2 agent) is down
#   lab/nodes.sh facts     # JSON for the stack: nodes (host, hostname, region, hostKey), key paths
#
# A stopped node keeps its folder: its next start is a reboot (files stay, /run, o-hm0 and the firewall are gone).
# LOCAL_NODES_SET=bench gives a second, independent pair for the benchmark (the `local` stack keeps its own):
#   set     namespaces    addresses           folder                     hostnames
#   local   tlb-local-N   169.254.78.0/24     .local-cloud/nodes/        controller-r1, controller-r2
#   bench   tlb-bench-N   169.254.79.0/24     .local-cloud/nodes-bench/  bench-controller-r1, bench-controller-r2
#   scale   tlb-scale-N   169.254.80.0/24     .local-cloud/nodes-scale/  scale-r<k>a, scale-r<k>b per local region k
# (the host tests use 169.254.77.0/24). Each node's hostname is its Neutron host: the sets differ, so that their L2
# agents (lab/node-agent.sh) never report the same host.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${LOCAL_NODES_SET:-local}" in
  local) NODES_DIR="$LC_DIR/nodes" NS_PREFIX=tlb-local VETH_PREFIX=tlbl NET=169.254.78 CONF_IN_FOLDER=1 HOST_PREFIX= ;;
  bench) NODES_DIR="$LC_DIR/nodes-bench" NS_PREFIX=tlb-bench VETH_PREFIX=tlbb NET=169.254.79 CONF_IN_FOLDER=0 HOST_PREFIX=bench- ;;
  scale) NODES_DIR="$LC_DIR/nodes-scale" NS_PREFIX=tlb-scale VETH_PREFIX=tlbs NET=169.254.80 CONF_IN_FOLDER=0 HOST_PREFIX=scale- ;;
  *) die "LOCAL_NODES_SET: local, bench or scale, not ${LOCAL_NODES_SET}" ;;
esac
NODE_USER=stack
# hostname:region, one per node; the index (1-based) gives namespace, veth and addresses. The scale set has two
# controllers in each of the cloud's local regions (LOCAL_CLOUD_REGIONS, lib.sh): scale-r<k>a and scale-r<k>b.
if [ "${LOCAL_NODES_SET:-local}" = scale ]; then
  LC_NODES=()
  for ((k = 1; k < ${#LC_REGIONS[@]}; k++)); do
    LC_NODES+=("scale-r${k}a:${LC_REGIONS[$k]}" "scale-r${k}b:${LC_REGIONS[$k]}")
  done
else
  LC_NODES=("${HOST_PREFIX}controller-r1:RegionOne" "${HOST_PREFIX}controller-r2:RegionTwo")
fi

ns_of() { printf '%s-%s' "$NS_PREFIX" "$1"; }
veth_host() { printf '%sch%s' "$VETH_PREFIX" "$1"; }
veth_node() { printf '%scn%s' "$VETH_PREFIX" "$1"; }
addr_of() { printf '%s.%s' "$NET" $(( $1 * 4 - 2 )); }
host_side_of() { printf '%s.%s' "$NET" $(( $1 * 4 - 3 )); }
dir_of() { printf '%s/node%s' "$NODES_DIR" "$1"; }
node_name() { local entry="${LC_NODES[$(($1 - 1))]}"; printf '%s' "${entry%%:*}"; }
# The node's octavia.conf (its certs/ beside it). The `local` nodes keep it in the node's folder, outside the node's
# overlays, so that this machine sees the same file at the same path and the lab's Octavia worker can read it as the
# stack merged it (lab/amphora-plane.sh use-conf); the bench's nodes keep the guide's path, which its procedure edits.
conf_of() {
  if [ "$CONF_IN_FOLDER" = 1 ]; then printf '%s/octavia/octavia.conf' "$(dir_of "$1")"; else printf '/etc/octavia/octavia.conf'; fi
}

# A devstack-like octavia.conf before the stack touches it.
baseline_conf() {
  cat <<'CONF'
[DEFAULT]
debug = True

[health_manager]
# IP address the controller will listen on for heart beats (IP address value)
#bind_ip = 127.0.0.1
#bind_port = 5555
#controller_ip_port_list =

[controller_worker]
amp_flavor_id = 10
loadbalancer_topology = SINGLE

[certificates]
ca_certificate = /etc/octavia/certs/ca_01.pem
CONF
}

node_alive() { # INDEX
  local d pid
  d="$(dir_of "$1")"
  [ -s "$d/anchor.pid" ] || return 1
  pid="$(cat "$d/anchor.pid")"
  pid_alive "$pid" && ip netns list | grep -qx "$(ns_of "$1")\( (id: [0-9]*)\)\?"
}

start_node() { # INDEX HOSTNAME
  local i=$1 name=$2 d ns vh vn
  d="$(dir_of "$i")"; ns="$(ns_of "$i")"; vh="$(veth_host "$i")"; vn="$(veth_node "$i")"
  if node_alive "$i"; then
    log "node $name ($ns, $(addr_of "$i")): running"
    start_agent "$i" "$name"
    return 0
  fi
  stop_node "$i" "$name" # leftovers of a node that died
  mkdir -p "$d/ssh" "$d/log"
  chmod 0755 "$NODES_DIR" "$d" # the SSH user reads authorized_keys by this path
  [ -f "$d/ssh/host_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C "$name-host" -f "$d/ssh/host_ed25519"
  cp "$NODES_DIR/id_ed25519.pub" "$d/ssh/authorized_keys"
  baseline_conf >"$d/octavia.conf.baseline"
  printf '%s\n' "$name" >"$d/hostname"
  rm -f "$d/anchor.pid"
  ip netns add "$ns"
  ip link add "$vh" type veth peer name "$vn"
  ip link set "$vn" netns "$ns"
  ip addr add "$(host_side_of "$i")/30" dev "$vh"
  ip link set "$vh" up
  setsid ip netns exec "$ns" env NODE_DIR="$d" NODE_ADDR="$(addr_of "$i")" NODE_PREFIX=30 NODE_VETH="$vn" \
    NODE_USER="$NODE_USER" NODE_HOSTNAME="$name" NODE_OCTAVIA_USER=octavia NODE_OCTAVIA_CONF="$(conf_of "$i")" \
    NODE_OCTAVIA_CONF_OWNER=root:octavia NODE_OCTAVIA_CONF_MODE=640 \
    bash "$LC_SCRIPTS/node/init.sh" </dev/null >>"$d/log/init.log" 2>&1 &
  local waited=0
  until [ -s "$d/anchor.pid" ]; do
    sleep 0.2; waited=$((waited + 1))
    if [ "$waited" -gt 100 ]; then tail -n 30 "$d/log/init.log" >&2; die "node $name did not start (log $d/log/init.log)"; fi
  done
  waited=0
  until node_ssh "$i" true 2>/dev/null; do
    sleep 0.2; waited=$((waited + 1))
    if [ "$waited" -gt 75 ]; then tail -n 20 "$d/log/sshd.log" >&2; die "sshd of node $name does not answer"; fi
  done
  log "node $name ($ns): started, ssh $NODE_USER@$(addr_of "$i")"
  start_agent "$i" "$name"
}

# The node's Neutron L2 agent (host = its hostname), which binds and wires its health-manager port.
start_agent() { # INDEX HOSTNAME
  "$LC_SCRIPTS/node-agent.sh" start "$2" "$(dir_of "$1")/run" "$(host_side_of "$1")"
}

node_ssh() { # INDEX COMMAND...
  local i=$1; shift
  ssh -F /dev/null -i "$NODES_DIR/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$NODES_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
    -o ConnectTimeout=5 -o LogLevel=ERROR "$NODE_USER@$(addr_of "$i")" "$@"
}

stop_node() { # INDEX HOSTNAME
  local i=$1 ns pids sig
  ns="$(ns_of "$i")"
  "$LC_SCRIPTS/node-agent.sh" stop "$2"
  if ip netns list | grep -q "^$ns\b"; then
    for sig in TERM KILL; do
      pids="$(ip netns pids "$ns" || true)"
      [ -n "$pids" ] || break
      # shellcheck disable=SC2086 # one pid per word
      kill -s "$sig" $pids 2>/dev/null || true
      for _ in $(seq 30); do [ -z "$(ip netns pids "$ns" || true)" ] && break; sleep 0.1; done
    done
    ip netns del "$ns"
  fi
  ip link del "$(veth_host "$i")" 2>/dev/null || true
  rm -f "$(dir_of "$i")/anchor.pid"
}

cmd_start() {
  require_root
  mkdir -p "$NODES_DIR"
  [ -f "$NODES_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C tricircle-lbaas-local -f "$NODES_DIR/id_ed25519"
  # The heartbeat key of the local stack: made once, read by the stack runner as a secret.
  [ -f "$NODES_DIR/heartbeat.key" ] || (umask 077 && openssl rand -hex 32 >"$NODES_DIR/heartbeat.key")
  local i d
  : >"$NODES_DIR/known_hosts.new"
  for i in $(seq 1 "${#LC_NODES[@]}"); do
    d="$(dir_of "$i")"
    mkdir -p "$d/ssh"
    [ -f "$d/ssh/host_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C "$(node_name "$i")-host" -f "$d/ssh/host_ed25519"
    printf '%s %s\n' "$(addr_of "$i")" "$(cut -d' ' -f1-2 "$d/ssh/host_ed25519.pub")" >>"$NODES_DIR/known_hosts.new"
  done
  mv "$NODES_DIR/known_hosts.new" "$NODES_DIR/known_hosts"
  for i in $(seq 1 "${#LC_NODES[@]}"); do
    start_node "$i" "$(node_name "$i")"
  done
}

cmd_stop() {
  local i name
  # Every node this set started, also those beyond today's LC_NODES (the scale set started with more regions): a
  # node's folder says its name.
  for i in $(seq 1 64); do
    [ "$i" -le "${#LC_NODES[@]}" ] || [ -d "$(dir_of "$i")" ] || break
    name="$(cat "$(dir_of "$i")/hostname" 2>/dev/null || true)"
    [ -n "$name" ] || [ "$i" -gt "${#LC_NODES[@]}" ] || name="$(node_name "$i")"
    [ -n "$name" ] && stop_node "$i" "$name"
  done
  log "nodes stopped"
}

cmd_wipe() {
  cmd_stop
  rm -rf -- "$NODES_DIR"
  log "nodes wiped ($NODES_DIR)"
}

cmd_status() {
  local i entry rc=0
  for i in $(seq 1 "${#LC_NODES[@]}"); do
    entry="${LC_NODES[$((i - 1))]}"
    if node_alive "$i" && node_ssh "$i" true && "$LC_SCRIPTS/node-agent.sh" status "${entry%%:*}"; then
      echo "${entry%%:*} ${entry#*:} $(addr_of "$i") up"
    else
      echo "${entry%%:*} ${entry#*:} $(addr_of "$i") down"; rc=1
    fi
  done
  return "$rc"
}

cmd_facts() {
  [ -f "$NODES_DIR/id_ed25519" ] || die "no nodes yet: run lab/nodes.sh start"
  local i entry first=1
  printf '{"user":"%s","privateKeyFile":"%s","heartbeatKeyFile":"%s","nodes":[' "$NODE_USER" "$NODES_DIR/id_ed25519" "$NODES_DIR/heartbeat.key"
  for i in $(seq 1 "${#LC_NODES[@]}"); do
    entry="${LC_NODES[$((i - 1))]}"
    [ "$first" = 1 ] || printf ','
    first=0
    printf '{"hostname":"%s","region":"%s","host":"%s","hostKey":"%s","dir":"%s","namespace":"%s","configFile":"%s"}' \
      "${entry%%:*}" "${entry#*:}" "$(addr_of "$i")" "$(cut -d' ' -f1-2 "$(dir_of "$i")/ssh/host_ed25519.pub")" \
      "$(dir_of "$i")" "$(ns_of "$i")" "$(conf_of "$i")"
  done
  printf ']}\n'
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  wipe) cmd_wipe ;;
  status) cmd_status ;;
  facts) cmd_facts ;;
  *) sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
