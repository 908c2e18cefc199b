# shellcheck shell=bash
# Keystone (uwsgi) and the memcached its token cache and every service's
# token validations share. Sourced by start.sh.

write_keystone_conf() {
  mkdir -p "$LC_ETC/keystone"
  render keystone/keystone.conf DB_URL_BASE LC_DATA LC_HOST LC_PORT_MEMCACHED >"$LC_ETC/keystone/keystone.conf"
}

keystone_setup() {
  local c="$LC_ETC/keystone/keystone.conf"
  mkdir -p "$LC_DATA/keystone"
  keystone-manage --config-file "$c" db_sync
  # Keys owned by root: uwsgi runs Keystone as root here (the only user that
  # owns our folder; see docs/local-cloud.md).
  keystone-manage --config-file "$c" fernet_setup --keystone-user root --keystone-group root
  keystone-manage --config-file "$c" credential_setup --keystone-user root --keystone-group root
  keystone-manage --config-file "$c" bootstrap \
    --bootstrap-password "$LC_PASSWORD" \
    --bootstrap-admin-url "$LC_KEYSTONE_URL/" \
    --bootstrap-internal-url "$LC_KEYSTONE_URL/" \
    --bootstrap-public-url "$LC_KEYSTONE_URL/" \
    --bootstrap-region-id CentralRegion
}

start_memcached() {
  start_daemon memcached memcached -u memcache -l "$LC_HOST" -p "$LC_PORT_MEMCACHED" -U 0 -m 64
  wait_until memcached 30 port_open "$LC_HOST" "$LC_PORT_MEMCACHED"
}

start_keystone() {
  start_uwsgi keystone "$LC_PORT_KEYSTONE" /usr/bin/keystone-wsgi-public "" \
    OS_KEYSTONE_CONFIG_FILES="$LC_ETC/keystone/keystone.conf"
}
