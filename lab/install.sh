#!/usr/bin/env bash
# Installs the Debian packages of the local cloud, non-interactively, without
# starting or configuring any service (start.sh does that, by hand).
#
#   lab/install.sh [--with-compute]
#
# --with-compute (or LOCAL_CLOUD_COMPUTE=1) adds Placement, Glance, Nova with
# the fake driver, Open vSwitch and its Neutron agent.
# Idempotent: when every package is already installed it does not touch apt.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE_PACKAGES=(
  mariadb-server rabbitmq-server memcached python3-memcache
  keystone neutron-server octavia-api octavia-worker
  python3-openstackclient python3-octaviaclient
  uwsgi-core uwsgi-plugin-python3
  openssl curl procps
  gettext-base  # envsubst: start.sh renders the configuration templates (lab/etc/) with it
  # The controller nodes' own L2 agents (node-agent.sh), which bind and wire their health-manager ports, and the
  # Open vSwitch they drive.
  neutron-openvswitch-agent openvswitch-switch
)
# nova-compute-ironic is the hypervisor package that satisfies nova-compute
# without pulling in libvirt and qemu (we run the fake driver).
COMPUTE_PACKAGES=(
  placement-api glance-api
  nova-api nova-conductor nova-scheduler nova-compute nova-compute-ironic
)

# debconf answers: never let the packages create databases, admin tenants or
# catalog entries (start.sh owns all of that, in its own folder).
debconf_answers() {
  local p
  for p in keystone neutron octavia nova placement glance; do
    echo "$p $p/configure_db boolean false"
    echo "$p $p/register-endpoint boolean false"
  done
  echo "keystone keystone/create-admin-tenant boolean false"
}

installed() {
  # dpkg-query prints "install ok installed" only for a fully installed one.
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

main() {
  require_root
  local pkgs=("${BASE_PACKAGES[@]}") missing=() p
  if want_compute "$@"; then pkgs+=("${COMPUTE_PACKAGES[@]}"); fi
  for p in "${pkgs[@]}"; do installed "$p" || missing+=("$p"); done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "all ${#pkgs[@]} packages already installed"
    return 0
  fi
  log "installing: ${missing[*]}"

  # policy-rc.d 'exit 101' forbids invoke-rc.d from starting anything while
  # the packages install (there is no systemd; services are started by hand).
  # Put back whatever policy was there before, even on failure.
  local policy=/usr/sbin/policy-rc.d backup=""
  if [ -e "$policy" ]; then
    backup="$(mktemp)"
    cp -p "$policy" "$backup"
  fi
  # shellcheck disable=SC2064  # expand now: the trap must restore these paths
  trap "restore_policy '$policy' '$backup'" EXIT
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"

  debconf_answers | debconf-set-selections

  export DEBIAN_FRONTEND=noninteractive
  # Refresh the lists only when they are missing or a day old (apt-get
  # install on stale lists fails with 404s for superseded versions).
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    apt-get update -q
  fi
  apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"
  log "installed ${#missing[@]} packages"
}

restore_policy() {
  if [ -n "$2" ]; then mv -f "$2" "$1"; else rm -f "$1"; fi
}

main "$@"
