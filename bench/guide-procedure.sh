#!/usr/bin/env bash
# The guide's whole procedure as written (../shared/guide/seed-tricircle-lbaas.md: "Configuration" and "How to play",
# up to its third scenario): the cloud side with the openstack CLI against the local cloud with compute, the node
# side over SSH on the benchmark's two controller nodes (LOCAL_NODES_SET=bench of lab/nodes.sh), then
# its undo.
# Times every phase, counts the API requests the services logged and the SSH logins the nodes' sshd logged
# (bench/api-requests.sh) and the openstack CLI invocations. Writes one tab-separated row per phase to
# $BENCH_OUT (or stdout):
#   section  phase  wall_s  keystone  neutron  octavia  new_tokens  server_s  cli_calls  client_cpu_s  ssh_logins
#   nova  glance  placement
# and, to $BENCH_WINDOW_OUT, the same counts over the whole run (a cross-check of the sum of the phases); to
# $BENCH_EDITOR_OUT, how octavia.conf was edited; to $BENCH_NOTES, what it found running the guide as written.
# The nodes come from run.sh (two) or the scale benchmark (two per region, bench/scale/guide.ts): BENCH_NODE_COUNT
# (default 2), BENCH_NODE<N>_HOST / _HOSTNAME / _REGION (N = 1 .. count, grouped by region), BENCH_SSH_USER,
# BENCH_SSH_KEY, BENCH_KNOWN_HOSTS, BENCH_HEARTBEAT_KEY_FILE, and BENCH_NODE_STATE (the folder where node-state.sh
# saved the nodes before the run; the failure trap restores them from it).
# BENCH_GUIDE_DEMO=0 runs the configuration and its undo only, without "How to play" (the scale benchmark's
# management plane, whose size is what grows with regions).
#
# Differences from the guide, all on purpose:
# - every name gets a suffix (BENCH_SUFFIX, random by default) so that runs never collide;
# - the guide has one controller per region, numbered: with more nodes per region (the scale benchmark), each
#   region's management network is made once, each node gets its port, and a region's
#   controller_ip_port_list is every one of its nodes' addresses, as the guide's multi-node remark asks;
# - `--host $(hostname)` is the node's own host name (bench-controller-r1, bench-controller-r2: the guide's node1 and node2;
#   node2's port binds in RegionTwo), taken from the node facts, where the guide runs the CLI on the node itself;
# - the node steps run from this machine, one `ssh node sudo ...` per command line of the guide;
# - the guide's MGMT_PORT_IP line yields nothing with this openstackclient (see the note it records): the address
#   is taken from the very same `port show` output with a pattern that matches it (no extra call);
# - no DHCP server serves the management networks here (the local cloud has no DHCP agent on the nodes), so
#   `dhclient -v o-hm0 -cf $OCTAVIA_DHCLIENT_CONF` is its static equivalent: `ip addr add <port ip>/<prefix> dev
#   o-hm0` and `ip link set o-hm0 up` (what the stack does with `addressing: static`, its default);
# - "Modify /etc/octavia/octavia.conf": first a backup (`cp -p`, what an operator keeps so the edit can be undone),
#   then one command per key: `crudini --set` if the node has crudini, else an awk one-liner with crudini's
#   semantics (set the key in its section: replace the line, else uncomment the sample line, else add it at the end
#   of the section, adding the section if missing); the keys of guide step 4 the stack sets too: [health_manager]
#   bind_ip, bind_port, controller_ip_port_list, heartbeat_key, [controller_worker] amp_boot_network_list,
#   amp_secgroup_list, [neutron] region_name (the central region), [nova] and [glance] region_name (the node's);
# - the restart: the nodes have no systemd, so it is the command the stack is configured with on them,
#   `echo restarted >>/run/octavia-restarts.log` (tools/lib/localStack.ts);
# - "How to play" is run once in the topology of its third scenario, what the stack's demo (Pulumi.local.yaml)
#   deploys: net1 and net2 (the guide's "create network in RegionTwo" is, in Tricircle, a central network like
#   net1), backend1 and backend2 in RegionOne on net1, backend3 in RegionTwo on net1, backend4 in RegionTwo on net2,
#   lb1 in RegionOne with its VIP on subnet1, listener, pool, the four members, each with its own network's subnet;
#   the guide grows the pool scenario by scenario instead, with the same commands;
# - `nova boot --flavor 1 --image $image_id --nic net-id=$net_id` is its openstackclient form, `server create
#   --image cirros --flavor m1.tiny --nic net-id=...` (flavor 1 and the image by name: no lookup calls); like the
#   guide, with the admin credentials and the project's default security group (the stack makes its own group for
#   the backends, HTTP from the demo networks, and passes its web server as user-data with a config drive);
# - the four boots are not waited for one by one: one `server list` per region, every BENCH_POLL_INTERVAL s, until
#   its backends are ACTIVE with an address (the operator's `nova list`, where $backendN_ip comes from);
# - the web servers are not simulated (the guide's `ssh cirros@...` and `nc -l -p 80` loop): the servers are the
#   fake virt driver's, nothing runs in them, and the amphora agent is noop, so no traffic crosses the VIP and the
#   guide's `curl $VIP` is not run either;
# - lb1's amphora boots where the local cloud's Octavia boots every amphora, its own plane (lc-amp-mgmt-net and
#   lc-amp-sec-grp, project service; lab/amphora-plane.sh is left as it is): the bench nodes'
#   octavia.conf, which the node steps edit, is not the file the local Octavia reads; the same on the stack's side;
# - a health monitor (HTTP, delay 5, timeout 3, 3 retries), which the guide's listing leaves out and the stack's
#   demo has, after the members, waited for like every other load-balancer change;
# - "Waiting the load balancer to be ACTIVE ..." is a poll of `loadbalancer show -c provisioning_status` every
#   BENCH_POLL_INTERVAL seconds (default 1), bounded by BENCH_WAIT_TIMEOUT (default 180);
# - the ids the guide's later commands and octavia.conf need ($subnet1_id, the network and group ids) come from the
#   create commands' output (-f value -c id), where a person would copy them from the table: no extra call;
# - the undo (the guide has none) reverses everything: the load-balancer chain (deletes, waiting for the load
#   balancer between its changes as Octavia requires, until lb1 is gone), the backends (one `server delete` per
#   region, `server list` until they are gone), the networks (their delete retried while a port another service
#   removes asynchronously still holds one), then the nodes (octavia.conf back from the backup, restart,
#   `iptables -D` of the rule, `ovs-vsctl del-port`, which takes o-hm0 with its MAC and address), then the cloud
#   side of the configuration; one delete call per resource type where the CLI accepts several names.
# A trap deletes whatever is left (by name: bench/cleanup.sh) and restores the nodes when anything fails;
# that cleanup is not timed.
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
NET1="net1-$S"; SUBNET1="subnet1-$S"
NET2="net2-$S"; SUBNET2="subnet2-$S"
LB="lb1-$S"; LISTENER="listener1-$S"; POOL="pool1-$S"; HM="hm1-$S"
# The guide's `--image $image_id --flavor 1`: the local cloud's image and flavor 1 by name.
IMAGE="${LOCAL_CLOUD_IMAGE_NAME:-cirros}"
FLAVOR=m1.tiny
CONF=/etc/octavia/octavia.conf
CONF_BACKUP="$CONF.bench-guide.orig"
HM_UDP_PORT=5555
RESTART='echo restarted >>/run/octavia-restarts.log'
DEMO="${BENCH_GUIDE_DEMO:-1}"
NODES="${BENCH_NODE_COUNT:-2}"
[[ "$NODES" =~ ^[1-9][0-9]*$ ]] || die "BENCH_NODE_COUNT: a positive number of nodes, not '$NODES'"
# The regions, in the order of their first node; REGION_OF[n]: node n's region's index (1-based).
REGIONS=()
declare -A REGION_INDEX=()
declare -a REGION_OF=()
for ((n = 1; n <= NODES; n++)); do
  for v in HOST HOSTNAME REGION; do
    var="BENCH_NODE${n}_$v"
    [ -n "${!var:-}" ] || die "$var is not set: run the benchmark with bench/run.sh"
  done
  region="BENCH_NODE${n}_REGION"
  if [ -z "${REGION_INDEX[${!region}]:-}" ]; then REGIONS+=("${!region}"); REGION_INDEX[${!region}]=${#REGIONS[@]}; fi
  REGION_OF[n]=${REGION_INDEX[${!region}]}
done
[ "${#REGIONS[@]}" -le 24 ] || die "the management subnets are 192.168.<10 x region>.0/24: 24 regions at most"
if [ "$DEMO" = 1 ] && [ "${REGIONS[*]:0:2}" != "RegionOne RegionTwo" ]; then die "How to play needs nodes in RegionOne and RegionTwo (BENCH_GUIDE_DEMO=0 leaves it out)"; fi
# Region i's management network and subnet (the guide's lb-mgmt-net1 and lb-mgmt-net2, 192.168.10.0/24 and
# 192.168.20.0/24, and so on), node n's health-manager port.
mgmt_net() { printf 'lb-mgmt-net%s-%s' "$1" "$S"; }
mgmt_subnet() { printf 'lb-mgmt-subnet%s-%s' "$1" "$S"; }
hm_port() { printf 'octavia-health-manager-node%s-listen-port-%s' "$1" "$S"; }
HEARTBEAT_KEY="$(cat "${BENCH_HEARTBEAT_KEY_FILE:?the heartbeat key file of the bench nodes}")"

# crudini's `--set FILE SECTION KEY VALUE` as an awk one-liner (one line: it travels in one SSH command line).
# shellcheck disable=SC2016  # awk's own $0
INI_SET_AWK='BEGIN { S = ENVIRON["INI_SECTION"]; K = ENVIRON["INI_KEY"]; V = ENVIRON["INI_VALUE"] } FNR == 1 { p++; s = "" } function iskey(l) { return index(l, K) == 1 && substr(l, length(K) + 1) ~ /^[ \t]*=/ } p == 1 { if ($0 ~ /^\[.*\][ \t]*$/) { s = $0; sub(/^\[/, "", s); sub(/\][ \t]*$/, "", s); if (s == S) { have = 1; last = FNR } next } if (s != S || $0 ~ /^[ \t]*$/) next; last = FNR; if (!act && iskey($0)) act = FNR; c = $0; if (!com && sub(/^[#;][ \t]*/, "", c) && iskey(c)) com = FNR; next } { t = act ? act : com; if (FNR == t) print K " = " V; else print; if (!t && FNR == last) print K " = " V } END { if (!have) { if (NR > 0) print ""; print "[" S "]"; print K " = " V } }'
# shellcheck disable=SC2016  # expanded on the node
INI_SET_SH='awk "$1" "$2" "$2" >"$2.ini-set" && cat "$2.ini-set" >"$2" && rm -f "$2.ini-set"'

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
  MGMT_SG_ID=$(openstack --os-region-name CentralRegion security group create "$MGMT_SG" -f value -c id)
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

# node1's region, then node2's ("同node1": the same with net2, 192.168.20.0/24), and so on.
declare -a MGMT_NET_ID=()
management_networks() {
  local i
  for ((i = 1; i <= ${#REGIONS[@]}; i++)); do
    MGMT_NET_ID[i]=$(openstack --os-region-name CentralRegion network create "$(mgmt_net "$i")" -f value -c id)
    openstack --os-region-name CentralRegion subnet create --subnet-range "192.168.$((10 * i)).0/24" --network "$(mgmt_net "$i")" "$(mgmt_subnet "$i")" >/dev/null
  done
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
    # The guide's step does not work as written; the node needs the address, so take it from the same output.
    note "The guide's MGMT_PORT_IP line (\`port show -f value -c fixed_ips\` | awk looking for \`ip_address=…\`) yields nothing with this openstackclient, which prints fixed_ips as \`$(sed -E 's/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/<subnet id>/g; s/[0-9]+([.][0-9]+){3}/<address>/g' "$WORK/fixed_ips")\`; the node's o-hm0 would get no address from it. The benchmark takes the address from the same output with \`grep -oE \"'ip_address': '[0-9.]+'\"\` (no extra call)."
    MGMT_PORT_IP=$(grep -oE "'ip_address': '[0-9.]+'" "$WORK/fixed_ips" | head -n1 | cut -d"'" -f4)
  fi
  [ -n "$MGMT_PORT_IP" ] || die "port $name: no IPv4 address in its fixed_ips ($(cat "$WORK/fixed_ips"))"
}

declare -a PORT_ID=() PORT_MAC=() PORT_IP=()
health_manager_ports() {
  local n region
  for ((n = 1; n <= NODES; n++)); do
    region="BENCH_NODE${n}_REGION"
    health_manager_port "${!region}" "$(mgmt_net "${REGION_OF[n]}")" "$(hm_port "$n")"
    PORT_ID[n]=$MGMT_PORT_ID PORT_MAC[n]=$MGMT_PORT_MAC PORT_IP[n]=$MGMT_PORT_IP
  done
}

bind_ports() {
  local n region hostname
  for ((n = 1; n <= NODES; n++)); do
    region="BENCH_NODE${n}_REGION" hostname="BENCH_NODE${n}_HOSTNAME"
    openstack --os-region-name "${!region}" port set --host "${!hostname}" "${PORT_ID[n]}"
  done
}

# --- the guide: the node steps (node1, then node2 "同node1"), one SSH command per line ----------------------

# node_vars N: the values node N's steps use (its port, its region's management network and health managers, its
# region).
node_vars() {
  local region="BENCH_NODE${1}_REGION" m list=""
  N_PORT_ID=${PORT_ID[$1]} N_MAC=${PORT_MAC[$1]} N_IP=${PORT_IP[$1]} N_NET_ID=${MGMT_NET_ID[${REGION_OF[$1]}]} N_PREFIX=24 N_REGION=${!region}
  for ((m = 1; m <= NODES; m++)); do
    [ "${REGION_OF[m]}" = "${REGION_OF[$1]}" ] && list="${list:+$list,}${PORT_IP[m]}:$HM_UDP_PORT"
  done
  N_HM_LIST=$list
}

node_ohm0() {
  local n
  for ((n = 1; n <= NODES; n++)); do
    node_vars "$n"
    on_node "$n" sudo ovs-vsctl -- --may-exist add-port "${OVS_BRIDGE:-br-int}" o-hm0 -- set Interface o-hm0 type=internal -- set Interface o-hm0 external-ids:iface-status=active -- set Interface o-hm0 "external-ids:attached-mac=$N_MAC" -- set Interface o-hm0 "external-ids:iface-id=$N_PORT_ID" -- set Interface o-hm0 external-ids:skip_cleanup=true
    on_node "$n" sudo ip link set dev o-hm0 address "$N_MAC"
    # dhclient's static equivalent (no DHCP server here): the port's address, and the link up.
    on_node "$n" sudo ip addr add "$N_IP/$N_PREFIX" dev o-hm0
    on_node "$n" sudo ip link set o-hm0 up
  done
}

node_firewall() {
  local n
  for ((n = 1; n <= NODES; n++)); do on_node "$n" sudo iptables -I INPUT -i o-hm0 -p udp --dport "$HM_UDP_PORT" -j ACCEPT; done
}

# conf_set N SECTION KEY VALUE: one key of octavia.conf on node N.
conf_set() {
  if [ "${CRUDINI[$1]}" = 1 ]; then
    on_node "$1" sudo crudini --set "$CONF" "$2" "$3" "$4"
  else
    on_node "$1" sudo env "INI_SECTION=$2" "INI_KEY=$3" "INI_VALUE=$4" sh -c "$INI_SET_SH" ini-set "$INI_SET_AWK" "$CONF"
  fi
}

node_octavia_conf() {
  local n
  for ((n = 1; n <= NODES; n++)); do
    node_vars "$n"
    on_node "$n" sudo cp -p "$CONF" "$CONF_BACKUP"
    conf_set "$n" health_manager bind_ip "$N_IP"
    conf_set "$n" health_manager bind_port "$HM_UDP_PORT"
    # The region's health managers: the node's own address where the region has one controller.
    conf_set "$n" health_manager controller_ip_port_list "$N_HM_LIST"
    conf_set "$n" health_manager heartbeat_key "$HEARTBEAT_KEY"
    conf_set "$n" controller_worker amp_boot_network_list "$N_NET_ID"
    conf_set "$n" controller_worker amp_secgroup_list "$MGMT_SG_ID"
    conf_set "$n" neutron region_name CentralRegion
    conf_set "$n" nova region_name "$N_REGION"
    conf_set "$n" glance region_name "$N_REGION"
  done
}

node_restart() {
  local n
  for ((n = 1; n <= NODES; n++)); do on_node "$n" sudo sh -c "$RESTART"; done
}

# --- the guide: How to play, scenario 3 (one network across both regions, a second network in RegionTwo) -----

net1() {
  openstack --os-region-name CentralRegion network create "$NET1" >/dev/null
  subnet1_id=$(openstack --os-region-name CentralRegion subnet create --subnet-range 10.0.10.0/24 --gateway none --network "$NET1" "$SUBNET1" -f value -c id)
}

# "create network in RegionTwo": a Tricircle network is made in the central region, as net1 is.
net2() {
  openstack --os-region-name CentralRegion network create "$NET2" >/dev/null
  subnet2_id=$(openstack --os-region-name CentralRegion subnet create --subnet-range 10.0.20.0/24 --gateway none --network "$NET2" "$SUBNET2" -f value -c id)
}

# backend N: its name, region, network and subnet (scenario 3: 1 and 2 in RegionOne on net1, 3 in RegionTwo on
# net1, 4 in RegionTwo on net2).
backend_vars() {
  B_NAME="backend$1-$S"
  case "$1" in
    1|2) B_REGION=RegionOne B_NET=$NET1 B_SUBNET=$subnet1_id ;;
    3) B_REGION=RegionTwo B_NET=$NET1 B_SUBNET=$subnet1_id ;;
    4) B_REGION=RegionTwo B_NET=$NET2 B_SUBNET=$subnet2_id ;;
  esac
}

# "nova boot --flavor 1 --image $image_id --nic net-id=$net_id backendN", one after the other, none waited for.
boot_backends() {
  local n
  for n in 1 2 3 4; do
    backend_vars "$n"
    openstack --os-region-name "$B_REGION" server create --image "$IMAGE" --flavor "$FLAVOR" --nic "net-id=$B_NET" "$B_NAME" >/dev/null
  done
}

# The backends' addresses, which the members need: `server list` in each region until its backends are ACTIVE with
# an address (the operator's `nova list`), every BENCH_POLL_INTERVAL s, bounded by BENCH_WAIT_TIMEOUT.
wait_backends() {
  local region deadline line name status ip n ready want
  for region in RegionOne RegionTwo; do
    deadline=$((SECONDS + WAIT_TIMEOUT))
    while :; do
      ready=0 want=0
      openstack --os-region-name "$region" server list --name "^backend[0-9]-$S\$" -f value -c Name -c Status -c Networks >"$WORK/servers"
      for n in 1 2 3 4; do
        backend_vars "$n"
        [ "$B_REGION" = "$region" ] || continue
        want=$((want + 1))
        line="$(awk -v b="$B_NAME" '$1 == b' "$WORK/servers")"
        read -r name status _ <<<"$line"
        [ "$status" != ERROR ] || die "server $name went to ERROR"
        ip="$(grep -oE '[0-9]+([.][0-9]+){3}' <<<"$line" | head -n1 || true)"
        if [ "$status" = ACTIVE ] && [ -n "$ip" ]; then ready=$((ready + 1)); printf -v "BACKEND${n}_IP" %s "$ip"; fi
      done
      [ "$ready" -lt "$want" ] || break
      [ "$SECONDS" -lt "$deadline" ] || die "the backends of $region not ACTIVE after ${WAIT_TIMEOUT} s: $(tr '\n' ';' <"$WORK/servers")"
      sleep "$POLL"
    done
  done
  say "backends: $BACKEND1_IP $BACKEND2_IP $BACKEND3_IP $BACKEND4_IP"
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

# "ADD into the pool as members": each backend with its own network's subnet (net2's for backend4).
members() {
  local n ip
  for n in 1 2 3 4; do
    backend_vars "$n"
    ip="BACKEND${n}_IP"
    printf -v "MEMBER${n}_ID" %s "$(openstack --os-region-name RegionOne loadbalancer member create --subnet "$B_SUBNET" --address "${!ip}" --protocol-port 80 "$POOL" -f value -c id)"
    wait_lb_active
  done
}

health_monitor() {
  openstack --os-region-name RegionOne loadbalancer healthmonitor create --delay 5 --timeout 3 --max-retries 3 --type HTTP --name "$HM" "$POOL" >/dev/null
  wait_lb_active
}

# --- undo, in reverse ----------------------------------------------------------------------------------------

undo_lb() {
  local n id
  openstack --os-region-name RegionOne loadbalancer healthmonitor delete "$HM"
  wait_lb_active
  for n in 4 3 2 1; do
    id="MEMBER${n}_ID"
    openstack --os-region-name RegionOne loadbalancer member delete "$POOL" "${!id}"
    wait_lb_active
  done
  openstack --os-region-name RegionOne loadbalancer pool delete "$POOL"
  wait_lb_active
  openstack --os-region-name RegionOne loadbalancer listener delete "$LISTENER"
  wait_lb_active
  openstack --os-region-name RegionOne loadbalancer delete "$LB"
  wait_lb_gone
}

# One `server delete` per region (it takes several names), then `server list` until they are gone: their ports
# must be gone before their networks can go.
undo_backends() {
  local region deadline
  openstack --os-region-name RegionOne server delete "backend1-$S" "backend2-$S"
  openstack --os-region-name RegionTwo server delete "backend3-$S" "backend4-$S"
  for region in RegionOne RegionTwo; do
    deadline=$((SECONDS + WAIT_TIMEOUT))
    while [ -n "$(openstack --os-region-name "$region" server list --name "^backend[0-9]-$S\$" -f value -c ID)" ]; do
      [ "$SECONDS" -lt "$deadline" ] || die "the backends of run $S not gone after ${WAIT_TIMEOUT} s"
      sleep "$POLL"
    done
  done
}

# A network still holding a port another service deletes asynchronously (the load balancer's, a server's) refuses
# to go (409): retried, bounded, as an operator would.
undo_networks() {
  local deadline=$((SECONDS + WAIT_TIMEOUT))
  openstack --os-region-name CentralRegion subnet delete "$SUBNET2" "$SUBNET1"
  until openstack --os-region-name CentralRegion network delete "$NET2" "$NET1"; do
    [ "$SECONDS" -lt "$deadline" ] || die "networks $NET1, $NET2 not deleted after ${WAIT_TIMEOUT} s"
    sleep "$POLL"
  done
}

undo_nodes() {
  local n
  for ((n = NODES; n >= 1; n--)); do
    on_node "$n" sudo mv -f "$CONF_BACKUP" "$CONF"
    on_node "$n" sudo sh -c "$RESTART"
    on_node "$n" sudo iptables -D INPUT -i o-hm0 -p udp --dport "$HM_UDP_PORT" -j ACCEPT
    # The internal port's device goes with it: its MAC, address and link state.
    on_node "$n" sudo ovs-vsctl del-port "${OVS_BRIDGE:-br-int}" o-hm0
  done
}

undo_cloud() {
  # Deleting the ports also ends their bindings.
  local i nets=() subnets=()
  for ((i = ${#REGIONS[@]}; i >= 1; i--)); do nets+=("$(mgmt_net "$i")"); subnets+=("$(mgmt_subnet "$i")"); done
  openstack --os-region-name CentralRegion port delete "${PORT_ID[@]}"
  openstack --os-region-name CentralRegion subnet delete "${subnets[@]}"
  openstack --os-region-name CentralRegion network delete "${nets[@]}"
  # Deleting a group deletes its rules.
  openstack --os-region-name CentralRegion security group delete "$HM_SG" "$MGMT_SG"
  UNDONE=1
}

# --- cleanup on failure --------------------------------------------------------------------------------------

UNDONE=0
cleanup() {
  local rc=$?
  if [ "$UNDONE" = 0 ]; then
    say "cleaning up what is left of run $S (not timed)"
    bash "$ROOT/bench/cleanup.sh" "$S" || rc=1
  fi
  if [ "$UNDONE" = 0 ] && [ -n "${BENCH_NODE_STATE:-}" ]; then
    say "restoring the bench nodes (not timed)"
    bash "$ROOT/bench/node-state.sh" restore "$BENCH_NODE_STATE" || rc=1
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- run -----------------------------------------------------------------------------------------------------

# Which way node N edits octavia.conf (not timed): crudini where the node has it.
declare -a CRUDINI=()
for ((n = 1; n <= NODES; n++)); do
  if on_node "$n" sh -c 'command -v crudini' >/dev/null; then CRUDINI[n]=1; else CRUDINI[n]=0; fi
done
if [[ ! " ${CRUDINI[*]} " =~ " 0 " ]]; then EDITOR_USED="crudini --set"; else EDITOR_USED="an awk one-liner with crudini's --set semantics (no crudini on the nodes)"; fi
say "octavia.conf is edited with $EDITOR_USED"
printf '%s\n' "$EDITOR_USED" >"${BENCH_EDITOR_OUT:-/dev/null}"

say "run $S: the guide's procedure (cloud and nodes), then its undo (poll every ${POLL} s)"
T0="$EPOCHREALTIME"
M0="$WORK/mark0"
"$API_REQUESTS" mark >"$M0"
R=${#REGIONS[@]}
phase "security groups: 2 groups, 10 rules" security_groups
phase "management networks: $R networks, $R subnets" management_networks
phase "health-manager ports: $NODES × (port create, port show)" health_manager_ports
phase "bind them: $NODES × port set --host" bind_ports
phase "nodes: o-hm0 (ovs-vsctl, ip link address, ip addr, link up), $NODES nodes" node_ohm0
phase "nodes: firewall (iptables -I), $NODES nodes" node_firewall
phase "nodes: octavia.conf (backup + 9 keys), $NODES nodes" node_octavia_conf
phase "nodes: restart Octavia, $NODES nodes" node_restart
if [ "$DEMO" = 1 ]; then
  phase "demo: net1 + subnet1" net1
  phase "demo: net2 + subnet2" net2
  phase "demo: 4 backends, server create (2 in RegionOne, 2 in RegionTwo)" boot_backends
  phase "demo: the backends ACTIVE, their addresses (server list, per region)" wait_backends
  phase "demo: lb1, wait ACTIVE" lb1
  phase "demo: listener1, wait ACTIVE" listener1
  phase "demo: pool1, wait ACTIVE" pool1
  phase "demo: 4 members, each + wait ACTIVE" members
  phase "demo: health monitor, wait ACTIVE" health_monitor
  phase "undo: demo, load-balancer chain (monitor, members, pool, listener, lb1)" undo_lb
  phase "undo: demo, backends (server delete, wait gone)" undo_backends
  phase "undo: demo, networks (subnet2, subnet1, net2, net1)" undo_networks
fi
phase "undo: nodes (octavia.conf back, restart, iptables -D, del-port)" undo_nodes
phase "undo: configuration, cloud side (ports, subnets, networks, groups)" undo_cloud
T2="$EPOCHREALTIME"
sleep 0.5
# A cross-check for run.sh: the requests of the whole window (the phases' rows should add up to it unless
# another client used the cloud meanwhile). Wall times exclude the 0.5 s settle pauses between phases.
printf '%s\t%s\t%s\t%s\n' "$SECTION" "window" "$("$API_REQUESTS" since "$M0" | tr ' ' '\t')" "$(calls)" >>"${BENCH_WINDOW_OUT:-/dev/null}"
say "done: procedure + undo in $(awk -v a="$T0" -v b="$T2" 'BEGIN { printf "%.0f", b - a }') s including the pauses between phases, $(calls) CLI calls"
