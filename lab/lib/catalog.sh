# shellcheck shell=bash
# The cloud's client credentials (clouds.yaml, openrc) and its contents: the
# catalog, users, compute hosts, flavors, image and amphora plane, made by
# lab/bin/openstack_setup.py. Sourced by start.sh.

write_clouds_yaml() {
  # Cloud "local" for the openstack CLI and the Pulumi openstack provider
  # (openstack:cloud = local, OS_CLIENT_CONFIG_FILE = this file).
  # LOCAL-ONLY test password (see lib.sh).
  local regions
  regions="$(printf '      - %s\n' "${LC_REGIONS[@]}")"
  render clouds.yaml LC_KEYSTONE_URL LC_PASSWORD regions="$regions" >"$LC_DIR/clouds.yaml"
  chmod 600 "$LC_DIR/clouds.yaml"
  admin_env >"$LC_DIR/openrc"
}

# openstack_setup STAGE: one Python process (openstacksdk, Debian's) makes
# sure what STAGE needs exists in a few seconds, where the same through the
# openstack CLI (1 s+ per call, ~60 calls) takes minutes. The stages are
# described in the program's docstring.
openstack_setup() {
  OS_CLIENT_CONFIG_FILE="$LC_DIR/clouds.yaml" \
  COMPUTE="$COMPUTE" LC_PASSWORD="$LC_PASSWORD" LC_HOST="$LC_HOST" \
  LC_REGIONS="${LC_REGIONS[*]}" LC_COMPUTE_HOSTS="${LC_COMPUTE_HOSTS[*]}" \
  LC_COMPUTE_AZS="${LC_COMPUTE_AZS[*]}" LC_DATA="$LC_DATA" LC_ETC="$LC_ETC" \
  IMAGE_NAME="${LOCAL_CLOUD_IMAGE_NAME:-cirros}" \
  PORTS="$LC_PORT_KEYSTONE $LC_PORT_NEUTRON $LC_PORT_OCTAVIA $LC_PORT_NOVA $LC_PORT_PLACEMENT $LC_PORT_GLANCE" \
  "$PY" "$LC_SCRIPTS/bin/openstack_setup.py" "$1"
}
