#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Configures and starts the local multi-region OpenStack on 127.0.0.1:
# MariaDB, RabbitMQ, Keystone (regions CentralRegion, RegionOne, RegionTwo),
# Neutron (ML2), Octavia API + worker (noop amphora/compute/network/image
# drivers) and, with --with-compute or LOCAL_CLOUD_COMPUTE=1, Placement,
# Glance, Nova (fake driver, one compute host per local region) and Open
# vSwitch with the Neutron OVS agent (userspace datapath) so ports bind.
#
#   lab/start.sh [--with-compute]
#
# No systemd here: every process is started by hand, pid files in
# .local-cloud/run, logs in .local-cloud/log, configuration generated into
# .local-cloud/etc at every start, data in .local-cloud/data.
# Idempotent: what already runs is left alone; database migrations and the
# one-time set-up steps run only when their stamp is missing or the package
# version changed. Every wait is bounded; a service that does not come up
# fails the script with the tail of its log.
#
# This file is the list of steps. Each service's configuration template is in
# lab/etc/, its steps (write its configuration, migrate, start) in lab/lib/,
# the catalog and compute set-up in lab/bin/openstack_setup.py.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib/config.sh
. "$LC_SCRIPTS/lib/config.sh"
# shellcheck source=lib/mariadb.sh
. "$LC_SCRIPTS/lib/mariadb.sh"
# shellcheck source=lib/rabbitmq.sh
. "$LC_SCRIPTS/lib/rabbitmq.sh"
# shellcheck source=lib/uwsgi.sh
. "$LC_SCRIPTS/lib/uwsgi.sh"
# shellcheck source=lib/migrations.sh
. "$LC_SCRIPTS/lib/migrations.sh"
# shellcheck source=lib/keystone.sh
. "$LC_SCRIPTS/lib/keystone.sh"
# shellcheck source=lib/neutron.sh
. "$LC_SCRIPTS/lib/neutron.sh"
# shellcheck source=lib/octavia.sh
. "$LC_SCRIPTS/lib/octavia.sh"
# shellcheck source=lib/placement.sh
. "$LC_SCRIPTS/lib/placement.sh"
# shellcheck source=lib/glance.sh
. "$LC_SCRIPTS/lib/glance.sh"
# shellcheck source=lib/nova.sh
. "$LC_SCRIPTS/lib/nova.sh"
# shellcheck source=lib/ovs.sh
. "$LC_SCRIPTS/lib/ovs.sh"
# shellcheck source=lib/catalog.sh
. "$LC_SCRIPTS/lib/catalog.sh"

# The distribution's interpreter: OpenStack's libraries are Debian packages
# (python3 on PATH may be another one, e.g. pyenv's).
PY=/usr/bin/python3
DB_URL_BASE="mysql+pymysql://openstack:$LC_PASSWORD@$LC_HOST:$LC_PORT_MYSQL"
# How long each service may take to answer (2 cores: Python services
# importing their whole tree in parallel take a while).
BOUND_DB=60
BOUND_RABBIT=90
BOUND_API=120
COMPUTE=0

write_configs() {
  write_keystone_conf
  write_neutron_conf
  write_octavia_conf
  write_clouds_yaml
  if [ "$COMPUTE" = 1 ]; then
    write_placement_conf
    write_glance_conf
    write_nova_conf
    write_ovs_agent_conf
  fi
}

start_services() {
  local h
  start_neutron_server
  start_octavia_api
  # With compute the worker waits for amphora.conf (start_octavia_worker).
  [ "$COMPUTE" = 1 ] || start_octavia_worker
  if [ "$COMPUTE" = 1 ]; then
    start_placement
    start_glance
    start_nova_controller
    start_ovs
    for h in "${LC_COMPUTE_HOSTS[@]}"; do
      start_ovs_agent "$h"
      start_nova_compute "$h"
    done
  fi
}

# Waits for the compute services, then the compute set-up (hosts, flavors,
# image, amphora plane) and only then the Octavia worker, which reads the
# amphora plane's ids.
finish_compute() {
  local h
  wait_for_url placement "http://$LC_HOST:$LC_PORT_PLACEMENT/" "$BOUND_API"
  wait_for_url glance "http://$LC_HOST:$LC_PORT_GLANCE/" "$BOUND_API"
  wait_for_url nova-api "http://$LC_HOST:$LC_PORT_NOVA/" "$BOUND_API"
  for h in nova-conductor nova-scheduler "${LC_COMPUTE_HOSTS[@]/#/nova-compute-}" \
    "${LC_COMPUTE_HOSTS[@]/#/neutron-ovs-agent-}"; do
    is_running "$h" || { log_tail "$h"; die "$h exited"; }
  done
  openstack_setup compute || {
    for h in nova-conductor nova-scheduler "${LC_COMPUTE_HOSTS[@]/#/nova-compute-}"; do
      log_tail "$h" 15
    done
    die "compute set-up failed"
  }
  start_octavia_worker
  sleep 2
  is_running octavia-worker || { log_tail octavia-worker; die "octavia-worker exited"; }
}

main() {
  require_root
  local t0=$SECONDS
  want_compute "$@" && COMPUTE=1
  # OS_* variables of a sourced openrc must not leak into our set-up calls.
  use_admin_cloud
  lc_mkdirs
  if [ "$COMPUTE" = 1 ] && ! command -v nova-compute >/dev/null; then
    die "compute packages missing: run lab/install.sh --with-compute"
  fi
  command -v keystone-manage >/dev/null || die "packages missing: run lab/install.sh"
  command -v mariadbd >/dev/null || die "packages missing: run lab/install.sh"
  command -v envsubst >/dev/null || die "packages missing (envsubst): run lab/install.sh"

  write_configs

  # MariaDB and RabbitMQ boot side by side; RabbitMQ (~15 s) is only needed
  # once the OpenStack services start, after the migrations.
  start_mysql
  start_rabbit
  wait_until mysql "$BOUND_DB" mysql_ready
  create_databases
  make_octavia_certs
  run_migrations

  start_memcached
  start_keystone
  wait_until rabbitmq "$BOUND_RABBIT" port_open "$LC_HOST" "$LC_PORT_RABBIT"
  wait_for_url keystone "$LC_KEYSTONE_URL" "$BOUND_API"
  openstack_setup catalog || die "catalog set-up failed"

  start_services
  wait_for_url neutron-server "http://$LC_HOST:$LC_PORT_NEUTRON/" "$BOUND_API"
  wait_for_url octavia-api "http://$LC_HOST:$LC_PORT_OCTAVIA/" "$BOUND_API"
  [ "$COMPUTE" = 1 ] || is_running octavia-worker || { log_tail octavia-worker; die "octavia-worker exited"; }
  if [ "$COMPUTE" = 1 ]; then finish_compute; fi

  local rss pss
  rss="$(total_rss_kib)"
  pss="$(total_pss_kib)"
  log "local cloud up in $((SECONDS - t0)) s$([ "$COMPUTE" = 1 ] && echo ' (with compute)'); memory: total RSS $((rss / 1024)) MiB, PSS $((pss / 1024)) MiB"
  log "credentials: OS_CLIENT_CONFIG_FILE=$LC_DIR/clouds.yaml OS_CLOUD=local (or: . $LC_DIR/openrc)"
  # The Octavia controller nodes the `local` stack configures over SSH (nodes.sh).
  "$LC_SCRIPTS/nodes.sh" start
}

main "$@"
