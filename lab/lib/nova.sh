# shellcheck shell=bash
# Nova with the fake virt driver: API, conductor, scheduler and one
# nova-compute per compute host. Sourced by start.sh.

write_nova_conf() {
  local i authtoken placement neutron service_user
  mkdir -p "$LC_ETC/nova" "$LC_DATA/nova/instances"
  authtoken="$(authtoken_section nova)"
  placement="$(service_creds placement nova RegionOne)"
  neutron="$(service_creds neutron nova RegionOne)"
  service_user="$(service_creds service_user nova RegionOne)"
  render nova/nova.conf LC_RABBIT_URL LC_HOST LC_DATA LC_PORT_NOVA authtoken="$authtoken" \
    placement="$placement" neutron="$neutron" service_user="$service_user" >"$LC_ETC/nova/nova.conf"
  # The databases, for the API, conductor, scheduler and nova-manage only:
  # nova-compute must not have them (it logs "No DB access allowed").
  render nova/nova-db.conf DB_URL_BASE >"$LC_ETC/nova/nova-db.conf"
  # One small file per compute host on top of nova.conf: its host name.
  for i in "${!LC_COMPUTE_HOSTS[@]}"; do
    render nova/nova-host.conf host="${LC_COMPUTE_HOSTS[$i]}" >"$LC_ETC/nova/nova-${LC_COMPUTE_HOSTS[$i]}.conf"
  done
}

nova_manage() {
  nova-manage --config-file "$LC_ETC/nova/nova.conf" \
    --config-file "$LC_ETC/nova/nova-db.conf" "$@"
}

nova_setup() {
  nova_manage api_db sync
  nova_manage cell_v2 map_cell0 --database_connection "$DB_URL_BASE/nova_cell0"
  if ! nova_manage cell_v2 list_cells | grep -q ' cell1 '; then
    nova_manage cell_v2 create_cell --name cell1 \
      --database_connection "$DB_URL_BASE/nova" --transport-url "$LC_RABBIT_URL"
  fi
  nova_manage db sync
}

# API, conductor and scheduler: the services with the databases.
start_nova_controller() {
  local nova_db=(--config-file "$LC_ETC/nova/nova.conf" --config-file "$LC_ETC/nova/nova-db.conf")
  start_daemon nova-api nova-api "${nova_db[@]}"
  start_daemon nova-conductor nova-conductor "${nova_db[@]}"
  start_daemon nova-scheduler nova-scheduler "${nova_db[@]}"
}

# The nova-compute of compute host HOST.
start_nova_compute() {
  start_daemon "nova-compute-$1" nova-compute --config-file "$LC_ETC/nova/nova.conf" \
    --config-file "$LC_ETC/nova/nova-$1.conf"
}
