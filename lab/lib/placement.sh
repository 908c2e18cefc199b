# shellcheck shell=bash
# Placement (uwsgi), for Nova. Sourced by start.sh.

write_placement_conf() {
  mkdir -p "$LC_ETC/placement"
  local authtoken
  authtoken="$(authtoken_section placement)"
  render placement/placement.conf DB_URL_BASE authtoken="$authtoken" >"$LC_ETC/placement/placement.conf"
}

placement_setup() {
  placement-manage --config-file "$LC_ETC/placement/placement.conf" db sync
}

start_placement() {
  start_uwsgi placement "$LC_PORT_PLACEMENT" /usr/bin/placement-api "" \
    OS_PLACEMENT_CONFIG_DIR="$LC_ETC/placement"
}
