# shellcheck shell=bash
# Neutron: the server (ML2) and, with compute, one Open vSwitch agent per
# compute host. Sourced by start.sh.

write_neutron_conf() {
  mkdir -p "$LC_ETC/neutron" "$LC_DATA/neutron"
  # Nova hears of port changes only when there is a Nova.
  local notify=false
  [ "$COMPUTE" = 1 ] && notify=true
  # Sections rendered first, on lines of their own: a failure in a $(...)
  # inside render's arguments would not stop the script.
  local authtoken nova
  authtoken="$(authtoken_section neutron)"
  nova="$(service_creds nova neutron RegionOne)"
  render neutron/neutron.conf LC_HOST LC_PORT_NEUTRON LC_RABBIT_URL LC_DATA DB_URL_BASE notify="$notify" \
    authtoken="$authtoken" nova="$nova" >"$LC_ETC/neutron/neutron.conf"
  # flat and vlan allowed for provider networks on any physnet; tenant
  # networks are vxlan.
  render neutron/ml2_conf.ini >"$LC_ETC/neutron/ml2_conf.ini"
}

write_ovs_agent_conf() {
  local i h n
  mkdir -p "$LC_ETC/neutron"
  for i in "${!LC_COMPUTE_HOSTS[@]}"; do
    h="${LC_COMPUTE_HOSTS[$i]}"
    n=$((i + 1))
    # Each compute host's agent gets its own bridges on our one Open vSwitch
    # (two agents on one br-int would delete each other's flows) and its own
    # OpenFlow controller port. host = Nova's host, so ports bound to that
    # host are bound by this agent. root_helper = env: we are root, and env
    # (unlike sudo) keeps OVS_RUNDIR for the ovs-* commands it runs.
    render neutron/ovs-agent.ini host="$h" n="$n" int_bridge="$(ovs_int_bridge "$n")" \
      tun_bridge="$(ovs_tun_bridge "$n")" local_ip="${LC_COMPUTE_IPS[$i]}" of_port="$((6632 + n))" \
      ovsdb_sock="$LC_RUN/ovs/db.sock" of_address="$LC_HOST" LC_RABBIT_URL LC_DATA >"$LC_ETC/neutron/ovs-agent-$h.ini"
  done
}

neutron_setup() {
  neutron-db-manage --config-file "$LC_ETC/neutron/neutron.conf" \
    --config-file "$LC_ETC/neutron/ml2_conf.ini" upgrade head
}

start_neutron_server() {
  start_daemon neutron-server neutron-server \
    --config-file "$LC_ETC/neutron/neutron.conf" --config-file "$LC_ETC/neutron/ml2_conf.ini"
}

# The agent of compute host HOST (needs our Open vSwitch: start_ovs).
start_ovs_agent() {
  local h="$1"
  mkdir -p "$LC_DATA/neutron/agent-$h"
  start_daemon "neutron-ovs-agent-$h" env OVS_RUNDIR="$LC_RUN/ovs" \
    neutron-openvswitch-agent --config-file "$LC_ETC/neutron/neutron.conf" \
    --config-file "$LC_ETC/neutron/ovs-agent-$h.ini"
}
