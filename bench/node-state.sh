#!/usr/bin/env bash
# The benchmark's controller nodes (LOCAL_NODES_SET=bench of lab/nodes.sh) seen from outside: this
# machine enters each node's namespaces (nsenter on the node's anchor process; no SSH, so nothing here is counted
# as a login and a broken sshd cannot hide anything) to record, compare and, after a failure, restore what the
# guide's node steps and the stack change there.
#
#   bench/node-state.sh save DIR           # DIR/nodeN.state (the snapshot) and DIR/nodeN.octavia.conf (bytes)
#   bench/node-state.sh check DIR LABEL    # snapshot again; exit 1 with the differences if any node differs
#   bench/node-state.sh restore DIR        # put back what a failed run left (o-hm0, rules, files, octavia.conf)
#   bench/node-state.sh restarts           # one line per node: how many restarts /run/octavia-restarts.log has
#   bench/node-state.sh ohm0               # one line per node: host name, o-hm0's MAC and IPv4 address
#
# The snapshot: network devices and their addresses, the OVS ports of every bridge, the iptables and ip6tables
# rules (filter table), octavia.conf's sha256, size, mode and owner, the listing of /etc/octavia, and whether each
# path the stack writes exists. Not in it: /run/octavia-restarts.log, which counts restarts and is nothing an undo
# takes back (the `restarts` command reports it).
# BENCH_NODES_DIR: the node set's folder (default .local-cloud/nodes-bench).
set -euo pipefail
export LC_ALL=C
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODES_DIR="${BENCH_NODES_DIR:-$ROOT/.local-cloud/nodes-bench}"
CONF=/etc/octavia/octavia.conf
# What the stack (components/node/remote.ts NODE_PATHS, the octavia.conf backup) and the guide's procedure
# (guide-procedure.sh: its backup) may leave on a node.
LEFTOVERS=(/etc/tricircle-lbaas /var/lib/tricircle-lbaas /run/tricircle-lbaas /usr/local/sbin/tricircle-lbaas-o-hm0
  /etc/systemd/system/tricircle-lbaas-o-hm0.service "$CONF.tricircle-lbaas.orig" "$CONF.bench-guide.orig")

die() { printf '[bench %s] node-state: ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

nodes() { local d; for d in "$NODES_DIR"/node[0-9]*; do [ -s "$d/anchor.pid" ] && basename "$d"; done; return 0; }

# in_node NODE COMMAND...: COMMAND inside the node (its network, mount and UTS namespaces), bounded in time.
in_node() {
  local pid
  pid="$(cat "$NODES_DIR/$1/anchor.pid")"
  [ -d "/proc/$pid" ] || die "node $1 is not running (LOCAL_NODES_SET=bench bash lab/nodes.sh start)"
  shift
  timeout -k 5 60 nsenter -t "$pid" -m -n -u -- "$@"
}

# The snapshot, as one text (the same script runs inside the node).
# shellcheck disable=SC2016  # expanded inside the node
SNAPSHOT='
set -u
echo "## links and addresses"
ip -br addr show | awk "{ \$2 = \"\"; print }" | sort
echo "## ovs ports"
for b in $(ovs-vsctl --timeout=10 list-br | sort); do echo "$b: $(ovs-vsctl --timeout=10 list-ports "$b" | sort | tr "\n" " ")"; done
echo "## iptables"
iptables -w 10 -S
echo "## ip6tables"
ip6tables -w 10 -S
echo "## octavia.conf"
sha256sum "$1" | cut -d" " -f1
stat -c "%s bytes, mode %a, owner %u:%g" "$1"
echo "## /etc/octavia"
ls -1A /etc/octavia
echo "## paths of the stack and of the guide procedure"
shift
for p in "$@"; do if [ -e "$p" ] || [ -L "$p" ]; then echo "present $p"; else echo "absent $p"; fi; done
'

snapshot() { in_node "$1" bash -c "$SNAPSHOT" snapshot "$CONF" "${LEFTOVERS[@]}"; }

cmd_save() {
  local dir="$1" n
  mkdir -p "$dir"
  [ -n "$(nodes)" ] || die "no running bench node in $NODES_DIR"
  for n in $(nodes); do
    snapshot "$n" >"$dir/$n.state"
    in_node "$n" cat "$CONF" >"$dir/$n.octavia.conf"
    in_node "$n" stat -c '%a %u %g' "$CONF" >"$dir/$n.octavia.conf.stat"
  done
}

cmd_check() {
  local dir="$1" label="$2" n bad=0 i
  for n in $(nodes); do
    [ -f "$dir/$n.state" ] || die "no saved state of $n in $dir"
    # The link state of o-hm0's removal can take a moment to settle; a few tries, bounded.
    for i in 1 2 3 4 5; do
      snapshot "$n" >"$dir/$n.state.now"
      cmp -s "$dir/$n.state" "$dir/$n.state.now" && break
      [ "$i" = 5 ] || sleep 0.5
    done
    if ! cmp -s "$dir/$n.state" "$dir/$n.state.now"; then
      printf '[bench %s] node-state: NODE %s IS NOT BACK TO ITS STATE BEFORE, after %s:\n' "$(date +%H:%M:%S)" "$n" "$label" >&2
      diff -u --label "before" --label "after $label" "$dir/$n.state" "$dir/$n.state.now" >&2 || true
      if ! in_node "$n" cat "$CONF" | cmp -s - "$dir/$n.octavia.conf"; then
        in_node "$n" cat "$CONF" | diff -u --label "octavia.conf before" --label "octavia.conf after $label" "$dir/$n.octavia.conf" - >&2 || true
      fi
      bad=1
    fi
    rm -f "$dir/$n.state.now"
  done
  [ "$bad" = 0 ] || exit 1
  printf '[bench %s] node-state: %s: every bench node is back to its state before (no o-hm0, no o-hm0 rule, octavia.conf byte for byte)\n' "$(date +%H:%M:%S)" "$label" >&2
}

# What a failed run may have left, undone without asking the stack or the guide: the last resort of the traps.
# shellcheck disable=SC2016  # expanded inside the node
RESTORE='
set -u
ovs-vsctl --timeout=10 --if-exists del-port o-hm0 || true
for t in iptables ip6tables; do
  $t -w 10 -S INPUT | grep -- " -i o-hm0 " | while read -r rule; do
    # shellcheck disable=SC2086
    $t -w 10 -D ${rule#-A } || true
  done
done
conf="$1"; saved="$2"; mode="$3"; owner="$4"; shift 4
if ! cmp -s "$saved" "$conf"; then cat "$saved" >"$conf"; echo "restored $conf"; fi
chmod "$mode" "$conf"; chown "$owner" "$conf"
for p in "$@"; do if [ -e "$p" ] || [ -L "$p" ]; then rm -rf -- "$p"; echo "removed $p"; fi; done
'

cmd_restore() {
  local dir="$1" n mode uid gid
  for n in $(nodes); do
    [ -f "$dir/$n.octavia.conf" ] || { echo "node-state: no saved octavia.conf of $n; skipped" >&2; continue; }
    read -r mode uid gid <"$dir/$n.octavia.conf.stat"
    # The node sees this machine's file systems but /etc, /usr/local, /var/lib and /run: DIR is readable there.
    in_node "$n" bash -c "$RESTORE" restore "$CONF" "$(realpath "$dir/$n.octavia.conf")" "$mode" "$uid:$gid" "${LEFTOVERS[@]}" \
      | sed "s/^/node-state: $n: /" >&2 || true
  done
}

cmd_restarts() {
  local n
  for n in $(nodes); do
    printf '%s %s\n' "$n" "$(in_node "$n" sh -c 'if [ -f /run/octavia-restarts.log ]; then wc -l </run/octavia-restarts.log; else echo 0; fi')"
  done
}

cmd_ohm0() {
  local n
  for n in $(nodes); do
    # shellcheck disable=SC2016  # expanded inside the node
    in_node "$n" sh -c 'printf "%s %s %s\n" "$(hostname)" "$(cat /sys/class/net/o-hm0/address 2>/dev/null || echo none)" "$(ip -4 -o addr show dev o-hm0 2>/dev/null | awk "{ sub(/\/.*/, \"\", \$4); print \$4 }")"'
  done
}

case "${1:-}" in
  save) cmd_save "${2:?save DIR}" ;;
  check) cmd_check "${2:?check DIR LABEL}" "${3:?check DIR LABEL}" ;;
  restore) cmd_restore "${2:?restore DIR}" ;;
  restarts) cmd_restarts ;;
  ohm0) cmd_ohm0 ;;
  *) sed -n '7,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
