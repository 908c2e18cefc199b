#!/usr/bin/env bash
# The guide's cloud-side procedure as written (../shared/guide/seed-tricircle-lbaas.md: "Configuration" and
# "How to play / one network, one region"), with the openstack CLI against the local cloud, then its undo.
# Times every phase, counts the API requests the services logged (scripts/bench/api-requests.sh) and the
# openstack CLI invocations. Writes one tab-separated row per phase to $BENCH_OUT (or stdout):
#   section  phase  wall_s  keystone  neutron  octavia  new_tokens  server_s  cli_calls  client_cpu_s   (see lib.sh)
# and, to $BENCH_WINDOW_OUT, the same counts over the whole run (a cross-check of the sum of the phases).
#
# Differences from the guide, all on purpose:
# - every name gets a suffix (BENCH_SUFFIX, random by default) so that runs never collide;
# - `--host $(hostname)` is node1 / node2 (the guide's two controller nodes; node2's port binds in RegionTwo);
# - the node-side commands (ovs-vsctl, ip link, dhclient, iptables, octavia.conf) and the backends
#   (nova boot, the web server) are not run: this is the cloud side only; the members get the fixed addresses
#   10.0.10.10 and 10.0.10.11 on subnet1;
# - "Waiting the load balancer to be ACTIVE ..." is a poll of `loadbalancer show -c provisioning_status` every
#   BENCH_POLL_INTERVAL seconds (default 1), bounded by BENCH_WAIT_TIMEOUT (default 180);
# - the ids the guide's later commands need ($subnet1_id) come from the create commands' output (-f value -c id),
#   where a person would copy them from the table: no extra call;
# - the undo (the guide has none) deletes everything in reverse order, waiting for the load balancer between
#   its changes as Octavia requires; one delete call per resource type where the CLI accepts several names.
# A trap deletes whatever is left (by name) when anything fails; that cleanup is not timed.
set -euo pipefail
SECTION=guide
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
S="${BENCH_SUFFIX:-$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
POLL="${BENCH_POLL_INTERVAL:-1}"
WAIT_TIMEOUT="${BENCH_WAIT_TIMEOUT:-180}"

# Names (the guide's, suffixed).
MGMT_SG="lb-mgmt-sec-grp-$S"
HM_SG="lb-health-mgr-sec-grp-$S"
MGMT_NET1="lb-mgmt-net1-$S"; MGMT_SUBNET1="lb-mgmt-subnet1-$S"
MGMT_NET2="lb-mgmt-net2-$S"; MGMT_SUBNET2="lb-mgmt-subnet2-$S"
HM_PORT1="octavia-health-manager-region-one-listen-port-$S"
HM_PORT2="octavia-health-manager-region-two-listen-port-$S"
NET1="net1-$S"; SUBNET1="subnet1-$S"
LB="lb1-$S"; LISTENER="listener1-$S"; POOL="pool1-$S"

# "Waiting the load balancer to be ACTIVE ...": poll its provisioning status.
wait_lb_active() {
  local deadline=$((SECONDS + WAIT_TIMEOUT)) status
  while :; do
    status="$(openstack --os-region-name RegionOne loadbalancer show "$LB" -c provisioning_status -f value)"
    case "$status" in
      ACTIVE) return 0 ;;
      ERROR) die "load balancer $LB went to ERROR" ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || die "load balancer $LB not ACTIVE after ${WAIT_TIMEOUT} s (status $status)"
    sleep "$POLL"
  done
}

# Until `loadbalancer show` no longer finds it (or reports DELETED).
wait_lb_gone() {
  local deadline=$((SECONDS + WAIT_TIMEOUT)) status
  while :; do
    status="$(openstack --os-region-name RegionOne loadbalancer show "$LB" -c provisioning_status -f value 2>/dev/null)" || return 0
    [ "$status" != DELETED ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || die "load balancer $LB not gone after ${WAIT_TIMEOUT} s (status $status)"
    sleep "$POLL"
  done
}

# --- the guide: Configuration -------------------------------------------------------------------------------

security_groups() {
  openstack --os-region-name CentralRegion security group create "$MGMT_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol icmp "$MGMT_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol tcp --dst-port 22 "$MGMT_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol tcp --dst-port 80 "$MGMT_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol tcp --dst-port 9443 "$MGMT_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol icmpv6 --ethertype IPv6 --remote-ip ::/0 "$MGMT_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol tcp --dst-port 22 --ethertype IPv6 --remote-ip ::/0 "$MGMT_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol tcp --dst-port 80 --ethertype IPv6 --remote-ip ::/0 "$MGMT_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol tcp --dst-port 9443 --ethertype IPv6 --remote-ip ::/0 "$MGMT_SG" >/dev/null

  openstack --os-region-name CentralRegion security group create "$HM_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol udp --dst-port 5555 "$HM_SG" >/dev/null
  openstack --os-region-name CentralRegion security group rule create --protocol udp --dst-port 5555 --ethertype IPv6 --remote-ip ::/0 "$HM_SG" >/dev/null
}

management_networks() {
  # node1, then node2 ("同node1": the same with net2, 192.168.20.0/24)
  openstack --os-region-name CentralRegion network create "$MGMT_NET1" >/dev/null
  openstack --os-region-name CentralRegion subnet create --subnet-range 192.168.10.0/24 --network "$MGMT_NET1" "$MGMT_SUBNET1" >/dev/null
  openstack --os-region-name CentralRegion network create "$MGMT_NET2" >/dev/null
  openstack --os-region-name CentralRegion subnet create --subnet-range 192.168.20.0/24 --network "$MGMT_NET2" "$MGMT_SUBNET2" >/dev/null
}

# health_manager_port REGION NET PORTNAME: the guide's port create + the MGMT_PORT_IP line, verbatim but for names.
# Sets MGMT_PORT_ID / MGMT_PORT_MAC / MGMT_PORT_IP (the guide uses the latter two on the node).
health_manager_port() {
  local region="$1" net="$2" name="$3" id_and_mac
  id_and_mac=$(openstack --os-region-name CentralRegion port create --security-group "$HM_SG" --device-owner Octavia:health-mgr --network "$net" "$name" | awk '/ id | mac_address / {print $4}')
  # shellcheck disable=SC2206  # the guide's word splitting
  id_and_mac=($id_and_mac)
  MGMT_PORT_ID=${id_and_mac[0]:-}
  MGMT_PORT_MAC=${id_and_mac[1]:-}
  if [ -z "$MGMT_PORT_ID" ] || [ -z "$MGMT_PORT_MAC" ]; then die "port create $name: no id/mac_address in its table output"; fi
  # shellcheck disable=SC2016,SC1003  # the guide's awk program, as written
  # (tee: keeps what the awk read, for the report; costs nothing measurable)
  MGMT_PORT_IP=$(openstack --os-region-name "$region" port show -f value -c fixed_ips "$MGMT_PORT_ID" | tee "$WORK/fixed_ips" | awk '{FS=",| "; gsub(",",""); gsub("'\''",""); for(i = 1; i <= NF; ++i) {if ($i ~ /^ip_address/) {n=index($i, "="); if (substr($i, n+1) ~ "\\.") print substr($i, n+1)}}}')
  say "port $name: id $MGMT_PORT_ID, mac $MGMT_PORT_MAC, MGMT_PORT_IP '${MGMT_PORT_IP}'"
  if [ -z "$MGMT_PORT_IP" ]; then
    # Not fatal here (the address is used on the node only), but the guide's step does not work as written.
    note "The guide's MGMT_PORT_IP line (\`port show -f value -c fixed_ips\` | awk looking for \`ip_address=…\`) yields nothing with this openstackclient, which prints fixed_ips as \`$(sed -E 's/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/<subnet id>/g; s/[0-9]+([.][0-9]+){3}/<address>/g' "$WORK/fixed_ips")\`; the node's o-hm0 would get no address from it."
  fi
}

health_manager_ports() {
  health_manager_port RegionOne "$MGMT_NET1" "$HM_PORT1"; PORT1_ID=$MGMT_PORT_ID
  health_manager_port RegionTwo "$MGMT_NET2" "$HM_PORT2"; PORT2_ID=$MGMT_PORT_ID
}

bind_ports() {
  openstack --os-region-name RegionOne port set --host node1 "$PORT1_ID"
  openstack --os-region-name RegionTwo port set --host node2 "$PORT2_ID"
}

# --- the guide: How to play, one network, one region ------------------------------------------------------

net1() {
  openstack --os-region-name CentralRegion network create "$NET1" >/dev/null
  subnet1_id=$(openstack --os-region-name CentralRegion subnet create --subnet-range 10.0.10.0/24 --gateway none --network "$NET1" "$SUBNET1" -f value -c id)
}

lb1() {
  openstack --os-region-name RegionOne loadbalancer create --name "$LB" --vip-subnet-id "$subnet1_id" >/dev/null
  wait_lb_active
}

listener1() {
  openstack --os-region-name RegionOne loadbalancer listener create --protocol HTTP --protocol-port 80 --name "$LISTENER" "$LB" >/dev/null
  wait_lb_active
}

pool1() {
  openstack --os-region-name RegionOne loadbalancer pool create --lb-algorithm ROUND_ROBIN --listener "$LISTENER" --protocol HTTP --name "$POOL" >/dev/null
  wait_lb_active
}

members() {
  MEMBER1_ID=$(openstack --os-region-name RegionOne loadbalancer member create --subnet "$subnet1_id" --address 10.0.10.10 --protocol-port 80 "$POOL" -f value -c id)
  wait_lb_active
  MEMBER2_ID=$(openstack --os-region-name RegionOne loadbalancer member create --subnet "$subnet1_id" --address 10.0.10.11 --protocol-port 80 "$POOL" -f value -c id)
  wait_lb_active
}

# --- undo, in reverse ----------------------------------------------------------------------------------------

undo() {
  openstack --os-region-name RegionOne loadbalancer member delete "$POOL" "$MEMBER2_ID"
  wait_lb_active
  openstack --os-region-name RegionOne loadbalancer member delete "$POOL" "$MEMBER1_ID"
  wait_lb_active
  openstack --os-region-name RegionOne loadbalancer pool delete "$POOL"
  wait_lb_active
  openstack --os-region-name RegionOne loadbalancer listener delete "$LISTENER"
  wait_lb_active
  openstack --os-region-name RegionOne loadbalancer delete "$LB"
  wait_lb_gone
  openstack --os-region-name CentralRegion subnet delete "$SUBNET1"
  openstack --os-region-name CentralRegion network delete "$NET1"
  # Deleting the ports also ends their bindings.
  openstack --os-region-name CentralRegion port delete "$PORT2_ID" "$PORT1_ID"
  openstack --os-region-name CentralRegion subnet delete "$MGMT_SUBNET2" "$MGMT_SUBNET1"
  openstack --os-region-name CentralRegion network delete "$MGMT_NET2" "$MGMT_NET1"
  # Deleting a group deletes its rules.
  openstack --os-region-name CentralRegion security group delete "$HM_SG" "$MGMT_SG"
  UNDONE=1
}

# --- cleanup on failure --------------------------------------------------------------------------------------

UNDONE=0
cleanup() {
  local rc=$? deadline id
  if [ "$UNDONE" = 0 ]; then
    say "cleaning up what is left of run $S (not timed)"
    if command openstack --os-region-name RegionOne loadbalancer show "$LB" -f value -c id >/dev/null 2>&1; then
      command openstack --os-region-name RegionOne loadbalancer delete --cascade "$LB" >/dev/null 2>&1 || true
      deadline=$((SECONDS + WAIT_TIMEOUT))
      while [ "$SECONDS" -lt "$deadline" ] && command openstack --os-region-name RegionOne loadbalancer show "$LB" -f value -c provisioning_status 2>/dev/null | grep -qv DELETED; do
        sleep 2
      done
    fi
    for id in $(command openstack --os-region-name CentralRegion port list -f value -c ID -c Name 2>/dev/null | awk -v s="-$S" '$2 ~ s"$" {print $1}'); do
      command openstack --os-region-name CentralRegion port delete "$id" >/dev/null 2>&1 || true
    done
    for id in "$NET1" "$MGMT_NET2" "$MGMT_NET1"; do
      command openstack --os-region-name CentralRegion network delete "$id" >/dev/null 2>&1 || true
    done
    for id in "$HM_SG" "$MGMT_SG"; do
      command openstack --os-region-name CentralRegion security group delete "$id" >/dev/null 2>&1 || true
    done
    if command openstack --os-region-name CentralRegion network list -f value -c Name 2>/dev/null | grep -q -- "-$S\$"; then
      say "WARNING: networks of run $S are still there"
      rc=1
    fi
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- run -----------------------------------------------------------------------------------------------------

say "run $S: the guide's cloud-side procedure, then its undo (poll every ${POLL} s)"
T0="$EPOCHREALTIME"
M0="$WORK/mark0"
"$API_REQUESTS" mark >"$M0"
phase "security groups: 2 groups, 10 rules" security_groups
phase "management networks: 2 networks, 2 subnets" management_networks
phase "health-manager ports: 2 × (port create, port show)" health_manager_ports
phase "bind them: 2 × port set --host" bind_ports
phase "net1 + subnet1" net1
phase "lb1, wait ACTIVE" lb1
phase "listener1, wait ACTIVE" listener1
phase "pool1, wait ACTIVE" pool1
phase "2 members, each + wait ACTIVE" members
phase "undo: everything, in reverse" undo
T2="$EPOCHREALTIME"
sleep 0.5
# A cross-check for bench.sh: the requests of the whole window (the phases' rows should add up to it unless
# another client used the cloud meanwhile). Wall times exclude the 0.5 s settle pauses between phases.
printf '%s\t%s\t%s\t%s\n' "$SECTION" "window" "$("$API_REQUESTS" since "$M0" | tr ' ' '\t')" "$(calls)" >>"${BENCH_WINDOW_OUT:-/dev/null}"
say "done: procedure + undo in $(awk -v a="$T0" -v b="$T2" 'BEGIN { printf "%.0f", b - a }') s including the pauses between phases, $(calls) CLI calls"
