# shellcheck shell=bash
# Glance with a file store in our folder, for Nova's and Octavia's images.
# Sourced by start.sh.

write_glance_conf() {
  local d="$LC_DATA/glance" authtoken
  mkdir -p "$LC_ETC/glance" "$d/images" "$d/staging" "$d/tasks"
  authtoken="$(authtoken_section glance)"
  render glance/glance-api.conf LC_HOST LC_PORT_GLANCE DB_URL_BASE LC_DATA authtoken="$authtoken" \
    >"$LC_ETC/glance/glance-api.conf"
}

glance_setup() {
  glance-manage --config-file "$LC_ETC/glance/glance-api.conf" db_sync
}

start_glance() {
  start_daemon glance glance-api --config-file "$LC_ETC/glance/glance-api.conf"
}
