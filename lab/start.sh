#!/usr/bin/env bash
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
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

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

# ---------------------------------------------------------------- stamps
# A stamp records that a one-time step (db sync, bootstrap) was done for a
# given package version; a package upgrade re-runs the migration.
stamp_dir() { printf '%s/stamps' "$LC_DATA"; }
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }
stamp_ok() { [ "$(cat "$(stamp_dir)/$1" 2>/dev/null || true)" = "$2" ]; }
stamp_set() { mkdir -p "$(stamp_dir)"; printf '%s' "$2" >"$(stamp_dir)/$1"; }

# ---------------------------------------------------------------- config
# [keystone_authtoken] for a service user.
authtoken_section() {
  cat <<EOF
[keystone_authtoken]
www_authenticate_uri = http://$LC_HOST:$LC_PORT_KEYSTONE
auth_url = http://$LC_HOST:$LC_PORT_KEYSTONE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $LC_PASSWORD
# Token validations shared by every service process (each validation costs
# Keystone a few hundred SQL queries without its cache).
memcached_servers = $LC_HOST:$LC_PORT_MEMCACHED
EOF
}

# Credentials section NAME for service user USER (how a service calls
# another one), with the region to pick endpoints from.
service_creds() {
  cat <<EOF
[$1]
auth_url = http://$LC_HOST:$LC_PORT_KEYSTONE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $LC_PASSWORD
region_name = ${3:-RegionOne}
EOF
}

write_mysql_conf() {
  mkdir -p "$LC_ETC/mysql"
  # The datadir and socket live in our folder, not /var/lib/mysql: wipe.sh
  # can then start from scratch, and a distribution MariaDB is untouched.
  # The flush settings trade durability for speed: this is a throw-away
  # test database and the migrations run thousands of DDL statements.
  cat >"$LC_ETC/mysql/my.cnf" <<EOF
[mysqld]
# root: the checkout may sit under a folder the mysql user cannot enter
# (a clone in /root, say); this database lives and dies with the checkout.
user = root
datadir = $LC_DATA/mysql
socket = $LC_MYSQL_SOCK
pid-file = $LC_RUN/mysql/mysqld.pid
bind-address = $LC_HOST
port = $LC_PORT_MYSQL
skip-name-resolve
max_connections = 1000
innodb_buffer_pool_size = 128M
innodb_flush_log_at_trx_commit = 0
innodb_doublewrite = 0
sync_binlog = 0
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
EOF
}

write_rabbit_conf() {
  mkdir -p "$LC_ETC/rabbitmq"
  # default_user is created at the first boot with full rights on "/": no
  # rabbitmqctl calls (each takes seconds to start an Erlang VM).
  cat >"$LC_ETC/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.default = $LC_HOST:$LC_PORT_RABBIT
default_user = openstack
default_pass = $LC_PASSWORD
log.console = true
log.console.level = info
log.file = false
EOF
  echo '[].' >"$LC_ETC/rabbitmq/enabled_plugins"
}

write_keystone_conf() {
  mkdir -p "$LC_ETC/keystone"
  cat >"$LC_ETC/keystone/keystone.conf" <<EOF
[DEFAULT]
# Logs go to stdout, which start_daemon sends to log/keystone.log.
[database]
connection = $DB_URL_BASE/keystone
[token]
provider = fernet
# Long enough for a whole e2e run with one token.
expiration = 14400
[fernet_tokens]
key_repository = $LC_DATA/keystone/fernet-keys
[fernet_receipts]
key_repository = $LC_DATA/keystone/fernet-keys
[credential]
key_repository = $LC_DATA/keystone/credential-keys
[cache]
# Without a cache Keystone runs ~200 SQL queries per token validation (0.2 s
# of CPU each; seconds when the 2 cores are busy). memcached rather than an
# in-process cache: the 2 uwsgi processes must see each other's
# invalidations (a new role assignment, a new endpoint).
enabled = true
backend = oslo_cache.memcache_pool
memcache_servers = $LC_HOST:$LC_PORT_MEMCACHED
[identity]
# bcrypt's minimum cost: every service authenticates with a password at
# start-up and the default cost (12, ~0.25 s of CPU each) made Keystone the
# busiest process of a cold start on 2 cores. Test passwords only.
password_hash_rounds = 4
EOF
}

write_neutron_conf() {
  mkdir -p "$LC_ETC/neutron" "$LC_DATA/neutron"
  local notify=false
  [ "$COMPUTE" = 1 ] && notify=true
  {
    cat <<EOF
[DEFAULT]
bind_host = $LC_HOST
bind_port = $LC_PORT_NEUTRON
core_plugin = ml2
# router: API-only here (no L3 agent), so stacks that create routers work.
service_plugins = router
auth_strategy = keystone
transport_url = $LC_RABBIT_URL
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
state_path = $LC_DATA/neutron
api_paste_config = /etc/neutron/api-paste.ini
# No DHCP agent runs; do not queue notifications for one.
dhcp_agent_notification = false
notify_nova_on_port_status_changes = $notify
notify_nova_on_port_data_changes = $notify
[database]
connection = $DB_URL_BASE/neutron
[oslo_concurrency]
lock_path = $LC_DATA/neutron/lock
[agent]
root_helper = env
EOF
    authtoken_section neutron
    service_creds nova neutron RegionOne
  } >"$LC_ETC/neutron/neutron.conf"
  # flat and vlan allowed for provider networks on any physnet; tenant
  # networks are vxlan.
  cat >"$LC_ETC/neutron/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
mechanism_drivers = openvswitch
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:199,physnet2:200:299
[ml2_type_vxlan]
vni_ranges = 1:1000
EOF
}

write_octavia_conf() {
  local d="$LC_DATA/octavia"
  mkdir -p "$LC_ETC/octavia" "$d"
  {
    cat <<EOF
[DEFAULT]
transport_url = $LC_RABBIT_URL
[api_settings]
bind_host = $LC_HOST
bind_port = $LC_PORT_OCTAVIA
auth_strategy = keystone
enabled_provider_drivers = amphora:The Octavia Amphora driver.,octavia:Deprecated alias of the Octavia Amphora driver.
default_provider_driver = amphora
[database]
connection = $DB_URL_BASE/octavia
[controller_worker]
EOF
    if [ "$COMPUTE" = 1 ]; then
      # Real ports: the VIP is a Neutron port (allowed address pairs), each
      # amphora a Nova server (fake virt driver) booted from the image tagged
      # "amphora" with flavor m1.nano, as user octavia in project service
      # (kolla's way). Only the amphora agent is noop: nothing answers on
      # 9443 in a fake server. The boot network and security group are in
      # $LC_ETC/octavia/amphora.conf (written by the compute set-up, which
      # knows their ids; the e2e points it at the stack's own).
      cat <<EOF
amphora_driver = amphora_noop_driver
compute_driver = compute_nova_driver
network_driver = allowed_address_pairs_driver
image_driver = image_glance_driver
volume_driver = volume_noop_driver
amp_image_tag = amphora
amp_flavor_id = 42
# The fake server is ACTIVE in seconds: poll every 2 s, not every 10 s.
amp_active_wait_sec = 2
amp_active_retries = 90
EOF
    else
      cat <<EOF
# noop drivers: load balancers reach ACTIVE without amphorae, Nova or a
# real network (the VIP comes from the noop network driver).
amphora_driver = amphora_noop_driver
compute_driver = compute_noop_driver
network_driver = network_noop_driver
image_driver = image_noop_driver
volume_driver = volume_noop_driver
EOF
    fi
    cat <<EOF
workers = 1
loadbalancer_topology = SINGLE
client_ca = $d/certs/ca.pem
[certificates]
cert_manager = local_cert_manager
cert_generator = local_cert_generator
storage_path = $d/tls
ca_certificate = $d/certs/ca.pem
ca_private_key = $d/certs/ca.key
[haproxy_amphora]
client_cert = $d/certs/client.pem
server_ca = $d/certs/ca.pem
[health_manager]
bind_ip = $LC_HOST
bind_port = 5555
heartbeat_key = local-only-heartbeat-key
[oslo_messaging]
topic = octavia_prov
[oslo_concurrency]
lock_path = $d/lock
EOF
    authtoken_section octavia
    service_creds service_auth octavia CentralRegion
    cat <<EOF
[neutron]
region_name = CentralRegion
[nova]
region_name = RegionOne
[glance]
region_name = RegionOne
EOF
  } >"$LC_ETC/octavia/octavia.conf"
}

write_placement_conf() {
  mkdir -p "$LC_ETC/placement"
  {
    cat <<EOF
[DEFAULT]
[placement_database]
connection = $DB_URL_BASE/placement
[api]
auth_strategy = keystone
EOF
    authtoken_section placement
  } >"$LC_ETC/placement/placement.conf"
}

write_glance_conf() {
  local d="$LC_DATA/glance"
  mkdir -p "$LC_ETC/glance" "$d/images" "$d/staging" "$d/tasks"
  {
    cat <<EOF
[DEFAULT]
bind_host = $LC_HOST
bind_port = $LC_PORT_GLANCE
workers = 1
enabled_backends = file:file
[database]
connection = $DB_URL_BASE/glance
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = $d/images
[os_glance_staging_store]
filesystem_store_datadir = $d/staging
[os_glance_tasks_store]
filesystem_store_datadir = $d/tasks
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[oslo_concurrency]
lock_path = $d/lock
EOF
    authtoken_section glance
  } >"$LC_ETC/glance/glance-api.conf"
}

write_nova_conf() {
  local d="$LC_DATA/nova" i
  mkdir -p "$LC_ETC/nova" "$d/instances"
  {
    cat <<EOF
[DEFAULT]
transport_url = $LC_RABBIT_URL
my_ip = $LC_HOST
state_path = $d
instances_path = $d/instances
enabled_apis = osapi_compute
osapi_compute_listen = $LC_HOST
osapi_compute_listen_port = $LC_PORT_NOVA
osapi_compute_workers = 1
compute_driver = fake.FakeDriver
# The fake driver forgets its instances when nova-compute restarts: do not
# let the power-state sync stop them after a warm restart.
sync_power_state_interval = -1
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = -1
[quota]
driver = nova.quota.NoopQuotaDriver
[vnc]
enabled = false
[oslo_concurrency]
lock_path = $d/lock
[glance]
region_name = RegionOne
EOF
    authtoken_section nova
    service_creds placement nova RegionOne
    service_creds neutron nova RegionOne
    service_creds service_user nova RegionOne
    echo "send_service_user_token = true"
  } >"$LC_ETC/nova/nova.conf"
  # The databases, for the API, conductor, scheduler and nova-manage only:
  # nova-compute must not have them (it logs "No DB access allowed").
  cat >"$LC_ETC/nova/nova-db.conf" <<EOF
[api_database]
connection = $DB_URL_BASE/nova_api
[database]
connection = $DB_URL_BASE/nova
EOF
  # One small file per compute host on top of nova.conf: its host name.
  for i in "${!LC_COMPUTE_HOSTS[@]}"; do
    printf '[DEFAULT]\nhost = %s\n' "${LC_COMPUTE_HOSTS[$i]}" \
      >"$LC_ETC/nova/nova-${LC_COMPUTE_HOSTS[$i]}.conf"
  done
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
    cat >"$LC_ETC/neutron/ovs-agent-$h.ini" <<EOF
[DEFAULT]
host = $h
transport_url = $LC_RABBIT_URL
state_path = $LC_DATA/neutron/agent-$h
[agent]
root_helper = env
tunnel_types = vxlan
[ovs]
datapath_type = netdev
integration_bridge = $(ovs_int_bridge "$n")
tunnel_bridge = $(ovs_tun_bridge "$n")
int_peer_patch_port = patch-tun$n
tun_peer_patch_port = patch-int$n
local_ip = ${LC_COMPUTE_IPS[$i]}
ovsdb_connection = unix:$LC_RUN/ovs/db.sock
of_listen_address = $LC_HOST
of_listen_port = $((6632 + n))
bridge_mappings =
[securitygroup]
firewall_driver = noop
enable_security_group = false
[oslo_concurrency]
lock_path = $LC_DATA/neutron/agent-$h/lock
EOF
  done
}

write_clouds_yaml() {
  # Cloud "local" for the openstack CLI and the Pulumi openstack provider
  # (openstack:cloud = local, OS_CLIENT_CONFIG_FILE = this file).
  # LOCAL-ONLY test password (see lib.sh).
  cat >"$LC_DIR/clouds.yaml" <<EOF
# Generated by lab/start.sh. LOCAL-ONLY test credentials.
clouds:
  local:
    auth:
      auth_url: $LC_KEYSTONE_URL
      username: admin
      password: $LC_PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    # region_name is the default; regions lists the ones a client may pick
    # (openstacksdk rejects --os-region-name values not listed here).
    region_name: CentralRegion
    regions:
$(printf '      - %s\n' "${LC_REGIONS[@]}")
    identity_api_version: 3
    interface: public
EOF
  chmod 600 "$LC_DIR/clouds.yaml"
  admin_env >"$LC_DIR/openrc"
}

# ---------------------------------------------------------------- MariaDB
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
mysql_ready() { mysqladmin --protocol=socket -S "$LC_MYSQL_SOCK" -uroot ping; }

start_mysql() {
  write_mysql_conf
  if [ ! -d "$LC_DATA/mysql/mysql" ]; then
    log "initialising MariaDB datadir"
    mkdir -p "$LC_DATA/mysql"
    # root authenticates over the socket as the OS root user; no password.
    mariadb-install-db --defaults-file="$LC_ETC/mysql/my.cnf" \
      --auth-root-authentication-method=socket --skip-test-db \
      >>"$(logfile_of mysql-install)" 2>&1 \
      || { log_tail mysql-install; die "mariadb-install-db failed"; }
  fi
  # mysqld writes its socket and pid file in a folder of its own.
  mkdir -p "$LC_RUN/mysql"
  start_daemon mysql mariadbd --defaults-file="$LC_ETC/mysql/my.cnf"
}

create_databases() {
  local db sql=""
  for db in keystone neutron octavia placement glance nova_api nova nova_cell0; do
    sql+="CREATE DATABASE IF NOT EXISTS $db;"
  done
  sql+="CREATE USER IF NOT EXISTS 'openstack'@'$LC_HOST' IDENTIFIED BY '$LC_PASSWORD';"
  sql+="CREATE USER IF NOT EXISTS 'openstack'@'localhost' IDENTIFIED BY '$LC_PASSWORD';"
  for db in keystone neutron octavia placement glance nova_api nova nova_cell0; do
    sql+="GRANT ALL PRIVILEGES ON $db.* TO 'openstack'@'$LC_HOST';"
    sql+="GRANT ALL PRIVILEGES ON $db.* TO 'openstack'@'localhost';"
  done
  lc_mysql -e "$sql"
}

# ---------------------------------------------------------------- RabbitMQ
# Environment of rabbitmq-server, as VAR=value words for env(1).
rabbit_env() {
  # HOME holds the Erlang cookie; everything in our folder (RabbitMQ
  # refuses to start when it cannot write there). Logs to stdout
  # (RABBITMQ_LOGS=-), i.e. log/rabbitmq.log. Erlang distribution and epmd
  # bound to 127.0.0.1 like everything else.
  RABBIT_ENV=(
    HOME="$LC_DATA/rabbitmq"
    RABBITMQ_NODENAME=rabbit@localhost
    RABBITMQ_NODE_IP_ADDRESS="$LC_HOST"
    RABBITMQ_NODE_PORT="$LC_PORT_RABBIT"
    RABBITMQ_DIST_PORT="$LC_PORT_RABBIT_DIST"
    RABBITMQ_CONFIG_FILE="$LC_ETC/rabbitmq/rabbitmq.conf"
    RABBITMQ_ENABLED_PLUGINS_FILE="$LC_ETC/rabbitmq/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$LC_DATA/rabbitmq/mnesia"
    RABBITMQ_LOG_BASE="$LC_DATA/rabbitmq/log"
    RABBITMQ_LOGS=-
    RABBITMQ_PID_FILE="$LC_DATA/rabbitmq/rabbitmq.pid"
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    ERL_EPMD_ADDRESS="$LC_HOST"
  )
}

start_rabbit() {
  write_rabbit_conf
  mkdir -p "$LC_DATA/rabbitmq/mnesia" "$LC_DATA/rabbitmq/log"
  # Our own epmd in the foreground (RabbitMQ would otherwise start one
  # detached, outside our process groups, that stop.sh could not find). One
  # already listening (someone else's) is used as it is.
  if ! is_running epmd && ! port_open "$LC_HOST" 4369; then
    start_daemon epmd env ERL_EPMD_ADDRESS="$LC_HOST" epmd
  fi
  rabbit_env
  # As root, like MariaDB: the rabbitmq user may not be able to enter the
  # checkout. (The /usr/sbin wrapper would su to rabbitmq; the real script
  # under /usr/lib does not care.)
  start_daemon rabbitmq env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
}

# ---------------------------------------------------------------- migrations
# Runs a one-time step NAME with COMMAND..., output to log/NAME.log, unless
# its stamp says it was done for package PKG's version.
once() {
  local name="$1" pkg="$2"; shift 2
  local v
  v="$(pkg_version "$pkg")"
  if stamp_ok "$name" "$v"; then return 0; fi
  log "$name"
  if ! "$@" >>"$(logfile_of "$name")" 2>&1; then
    log_tail "$name"
    die "$name failed"
  fi
  stamp_set "$name" "$v"
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

neutron_setup() {
  neutron-db-manage --config-file "$LC_ETC/neutron/neutron.conf" \
    --config-file "$LC_ETC/neutron/ml2_conf.ini" upgrade head
}

octavia_setup() {
  octavia-db-manage --config-file "$LC_ETC/octavia/octavia.conf" upgrade head
}

placement_setup() {
  placement-manage --config-file "$LC_ETC/placement/placement.conf" db sync
}

glance_setup() {
  glance-manage --config-file "$LC_ETC/glance/glance-api.conf" db_sync
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

# The migrations touch separate databases: run them side by side (each is
# mostly Python start-up and round trips; 2 cores).
run_migrations() {
  local pids=() names=() i rc=0
  run_bg() { once "$@" & pids+=("$!"); names+=("$1"); }
  run_bg keystone-setup python3-keystone keystone_setup
  run_bg neutron-db-sync python3-neutron neutron_setup
  run_bg octavia-db-sync python3-octavia octavia_setup
  if [ "$COMPUTE" = 1 ]; then
    run_bg placement-db-sync python3-placement placement_setup
    run_bg glance-db-sync python3-glance glance_setup
    run_bg nova-db-sync python3-nova nova_setup
  fi
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { log "${names[$i]} failed"; rc=1; }
  done
  [ "$rc" = 0 ] || die "database set-up failed (logs in $LC_LOG)"
}

# ---------------------------------------------------------------- certs
make_octavia_certs() {
  local d="$LC_DATA/octavia/certs"
  [ -s "$d/client.pem" ] && return 0
  log "generating Octavia CA and client certificate"
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
      -keyout ca.key -out ca.pem -subj "/CN=local-cloud octavia CA"
    openssl req -newkey rsa:2048 -nodes -sha256 \
      -keyout client.key -out client.csr -subj "/CN=octavia-controller"
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key \
      -CAcreateserial -days 3650 -sha256 -out client.crt
    # haproxy_amphora.client_cert wants certificate and key in one file.
    cat client.crt client.key >client.pem
    chmod 600 ./*.key client.pem
  ) >>"$(logfile_of octavia-certs)" 2>&1 || { log_tail octavia-certs; die "openssl failed"; }
}

# ---------------------------------------------------------------- services
# uwsgi serving a WSGI script: 2 processes (with one, about one request in
# 80 was reset), Connection: close (clients reusing connections saw
# resets), --die-on-term (SIGTERM would make uwsgi reload, not stop).
start_uwsgi() {
  local name="$1" port="$2" script="$3" pyargv="$4"; shift 4
  local extra=()
  [ -n "$pyargv" ] && extra=(--pyargv "$pyargv")
  # "$@": environment assignments for the application (VAR=value ...).
  start_daemon "$name" env "$@" uwsgi --plugins python3 --master \
    --http-socket "$LC_HOST:$port" --wsgi-file "$script" "${extra[@]}" \
    --processes 2 --threads 4 --enable-threads --lazy-apps --need-app \
    --die-on-term --buffer-size 65535 --add-header "Connection: close" \
    --procname-prefix-spaced "$name"
}

start_ovs() {
  local rd="$LC_RUN/ovs" db="$LC_DATA/ovs/conf.db"
  mkdir -p "$rd" "$LC_DATA/ovs"
  if [ ! -s "$db" ]; then
    ovsdb-tool create "$db" /usr/share/openvswitch/vswitch.ovsschema
  fi
  # Our own instance: own rundir, database, sockets and pid files, so the
  # system default instance and anyone else's ovsdb-servers are untouched.
  start_daemon ovsdb-server env OVS_RUNDIR="$rd" OVS_DBDIR="$LC_DATA/ovs" OVS_LOGDIR="$LC_LOG" \
    ovsdb-server "$db" --remote="punix:$rd/db.sock" \
    --pidfile="$rd/ovsdb-server.pid" --unixctl="$rd/ovsdb-server.ctl" -vconsole:info
  wait_until ovsdb-server 30 test -S "$rd/db.sock"
  ovs_vsctl --no-wait init
  start_daemon ovs-vswitchd env OVS_RUNDIR="$rd" OVS_DBDIR="$LC_DATA/ovs" OVS_LOGDIR="$LC_LOG" \
    ovs-vswitchd "unix:$rd/db.sock" --pidfile="$rd/ovs-vswitchd.pid" \
    --unixctl="$rd/ovs-vswitchd.ctl" -vconsole:info
  wait_until ovs-vswitchd 30 ovs_appctl_vswitchd version
}

ovs_vsctl() { OVS_RUNDIR="$LC_RUN/ovs" ovs-vsctl --db="unix:$LC_RUN/ovs/db.sock" "$@"; }
ovs_appctl_vswitchd() { ovs-appctl -t "$LC_RUN/ovs/ovs-vswitchd.ctl" "$@"; }

start_services() {
  local e="$LC_ETC" h
  start_daemon neutron-server neutron-server \
    --config-file "$e/neutron/neutron.conf" --config-file "$e/neutron/ml2_conf.ini"
  start_uwsgi octavia-api "$LC_PORT_OCTAVIA" /usr/bin/octavia-wsgi \
    "--config-file $e/octavia/octavia.conf"
  # With compute the worker waits for amphora.conf (start_octavia_worker).
  [ "$COMPUTE" = 1 ] || start_octavia_worker
  if [ "$COMPUTE" = 1 ]; then
    start_uwsgi placement "$LC_PORT_PLACEMENT" /usr/bin/placement-api "" \
      OS_PLACEMENT_CONFIG_DIR="$e/placement"
    start_daemon glance glance-api --config-file "$e/glance/glance-api.conf"
    local nova_db=(--config-file "$e/nova/nova.conf" --config-file "$e/nova/nova-db.conf")
    start_daemon nova-api nova-api "${nova_db[@]}"
    start_daemon nova-conductor nova-conductor "${nova_db[@]}"
    start_daemon nova-scheduler nova-scheduler "${nova_db[@]}"
    start_ovs
    for h in "${LC_COMPUTE_HOSTS[@]}"; do
      mkdir -p "$LC_DATA/neutron/agent-$h"
      start_daemon "neutron-ovs-agent-$h" env OVS_RUNDIR="$LC_RUN/ovs" \
        neutron-openvswitch-agent --config-file "$e/neutron/neutron.conf" \
        --config-file "$e/neutron/ovs-agent-$h.ini"
      start_daemon "nova-compute-$h" nova-compute --config-file "$e/nova/nova.conf" \
        --config-file "$e/nova/nova-$h.conf"
    done
  fi
}

# ---------------------------------------------------------------- catalog
# One Python process (openstacksdk, Debian's) makes sure regions, services,
# endpoints, the service project and users exist in a few seconds, where the
# same through the openstack CLI (1 s+ per call, ~60 calls) takes minutes.
# STAGE=catalog: regions, services, endpoints in all three regions (every
#   region points at the same local services: Tricircle's consistent-ID view,
#   flattened), project "service", service users with admin on it.
# STAGE=compute: waits for the Nova services and OVS agents, maps the compute
#   hosts into cell1, one aggregate/availability zone per compute host,
#   flavors m1.tiny (id 1) and m1.nano (id 42), a tiny image.
openstack_setup() {
  OS_CLIENT_CONFIG_FILE="$LC_DIR/clouds.yaml" \
  STAGE="$1" COMPUTE="$COMPUTE" LC_PASSWORD="$LC_PASSWORD" LC_HOST="$LC_HOST" \
  LC_REGIONS="${LC_REGIONS[*]}" LC_COMPUTE_HOSTS="${LC_COMPUTE_HOSTS[*]}" \
  LC_COMPUTE_AZS="${LC_COMPUTE_AZS[*]}" LC_DATA="$LC_DATA" LC_ETC="$LC_ETC" \
  IMAGE_NAME="${LOCAL_CLOUD_IMAGE_NAME:-cirros}" \
  PORTS="$LC_PORT_KEYSTONE $LC_PORT_NEUTRON $LC_PORT_OCTAVIA $LC_PORT_NOVA $LC_PORT_PLACEMENT $LC_PORT_GLANCE" \
  "$PY" - <<'PY'
import os, subprocess, sys, time
import openstack

E = os.environ
conn = openstack.connect(cloud="local")
host = E["LC_HOST"]
regions = E["LC_REGIONS"].split()
compute = E["COMPUTE"] == "1"
p_key, p_net, p_lb, p_nova, p_plc, p_img = E["PORTS"].split()


def say(msg):
    print(f"[local-cloud {time.strftime('%H:%M:%S')}] setup: {msg}", file=sys.stderr, flush=True)


def catalog():
    idn = conn.identity
    have = {r.id for r in idn.regions()}
    for r in regions:
        if r not in have:
            idn.create_region(id=r)
            say(f"region {r}")
    wanted = [
        ("keystone", "identity", f"http://{host}:{p_key}/v3/"),
        ("neutron", "network", f"http://{host}:{p_net}"),
        ("octavia", "load-balancer", f"http://{host}:{p_lb}"),
    ]
    if compute:
        wanted += [
            ("nova", "compute", f"http://{host}:{p_nova}/v2.1"),
            ("placement", "placement", f"http://{host}:{p_plc}"),
            ("glance", "image", f"http://{host}:{p_img}"),
        ]
    services = {s.type: s for s in idn.services()}
    endpoints = list(idn.endpoints())
    for name, stype, url in wanted:
        svc = services.get(stype) or idn.create_service(name=name, type=stype, is_enabled=True)
        for r in regions:
            for iface in ("public", "internal", "admin"):
                found = [e for e in endpoints if e.service_id == svc.id
                         and e.region_id == r and e.interface == iface]
                if not found:
                    idn.create_endpoint(service_id=svc.id, region_id=r,
                                        interface=iface, url=url)
                    say(f"endpoint {stype} {r} {iface}")
                elif found[0].url != url:
                    idn.update_endpoint(found[0], url=url)
    domain = idn.find_domain("default") or idn.find_domain("Default")
    project = idn.find_project("service", domain_id=domain.id) or idn.create_project(
        name="service", domain_id=domain.id, description="OpenStack services")
    admin_role = idn.find_role("admin")
    # Roles a non-admin Octavia user would need (the stack may use them).
    for role in ("load-balancer_member", "load-balancer_observer", "service"):
        if not idn.find_role(role):
            idn.create_role(name=role)
    users = ["neutron", "octavia"] + (["nova", "placement", "glance"] if compute else [])
    for u in users:
        user = idn.find_user(u, domain_id=domain.id)
        if not user:
            user = idn.create_user(name=u, domain_id=domain.id, password=E["LC_PASSWORD"],
                                   default_project_id=project.id)
            say(f"user {u}")
        # A missing assignment shows up later as 401s from keystonemiddleware.
        if not list(idn.role_assignments(user_id=user.id, scope_project_id=project.id,
                                         role_id=admin_role.id)):
            idn.assign_project_role_to_user(project, user, admin_role)


def wait(what, bound, probe):
    deadline = time.time() + bound
    while True:
        try:
            missing = probe()
        except Exception as exc:  # service still starting: retry
            missing = f"{type(exc).__name__}: {exc}"
        if not missing:
            return
        if time.time() > deadline:
            sys.exit(f"{what}: not ready after {bound}s: {missing}")
        time.sleep(1)


def compute_setup():
    hosts = E["LC_COMPUTE_HOSTS"].split()
    azs = E["LC_COMPUTE_AZS"].split()

    def services_up():
        up = {(s.binary, s.host) for s in conn.compute.services() if s.state == "up"}
        need = {("nova-conductor", None), ("nova-scheduler", None)}
        got = {(b, None) for b, _ in up} | up
        need |= {("nova-compute", h) for h in hosts}
        return sorted(f"{b}@{h or '*'}" for b, h in need - got)
    wait("nova services", 180, services_up)
    say("nova services up")

    def agents_alive():
        alive = {a.host for a in conn.network.agents(binary="neutron-openvswitch-agent")
                 if a.is_alive}
        return sorted(set(hosts) - alive)
    wait("neutron openvswitch agents", 120, agents_alive)
    say("openvswitch agents alive")

    def hypervisors():
        have = {h.name for h in conn.compute.hypervisors()}
        missing = sorted(set(hosts) - have)
        if missing:
            # Maps the compute hosts that registered into cell1 (interval -1:
            # the scheduler never does it by itself).
            subprocess.run(["nova-manage", "--config-file", E["LC_ETC"] + "/nova/nova.conf",
                            "--config-file", E["LC_ETC"] + "/nova/nova-db.conf",
                            "cell_v2", "discover_hosts"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return missing
    wait("hypervisors", 120, hypervisors)
    say("compute hosts mapped")

    for h, az in zip(hosts, azs):
        agg = conn.compute.find_aggregate(az)
        if not agg:
            agg = conn.compute.create_aggregate(name=az, availability_zone=az)
            say(f"aggregate/availability zone {az}")
        if h not in (agg.hosts or []):
            conn.compute.add_host_to_aggregate(agg, h)

    flavors = {f.id: f for f in conn.compute.flavors(is_public=None)}
    for fid, name, ram, disk in (("1", "m1.tiny", 512, 1), ("42", "m1.nano", 128, 1)):
        if fid not in flavors:
            conn.compute.create_flavor(id=fid, name=name, ram=ram, disk=disk, vcpus=1)
            say(f"flavor {name}")

    name = E["IMAGE_NAME"]
    if not conn.image.find_image(name):
        # Any small raw file is an image: the fake driver boots nothing.
        path = os.path.join(E["LC_DATA"], "tiny-image.raw")
        with open(path, "wb") as f:
            f.write(b"\0" * 65536)
        conn.create_image(name, filename=path, disk_format="raw", container_format="bare",
                          visibility="public", wait=True)
        say(f"image {name}")


def amphora_plane():
    """The local cloud's own amphora boot network and security group, in
    project service (where Octavia, as user octavia, boots amphorae: Nova
    resolves security groups and non-shared networks in that project), and
    the "amphora" tag on the image; their ids go to amphora.conf."""
    idn = conn.identity
    domain = idn.find_domain("default") or idn.find_domain("Default")
    svc = idn.find_project("service", domain_id=domain.id)
    net = conn.network.find_network("lc-amp-mgmt-net", project_id=svc.id)
    if not net:
        net = conn.network.create_network(name="lc-amp-mgmt-net", project_id=svc.id)
        conn.network.create_subnet(name="lc-amp-mgmt-subnet", network_id=net.id,
                                   project_id=svc.id, ip_version=4,
                                   cidr="172.31.254.0/24")
        say("amphora boot network lc-amp-mgmt-net (project service)")
    sg = conn.network.find_security_group("lc-amp-sec-grp", project_id=svc.id)
    if not sg:
        sg = conn.network.create_security_group(name="lc-amp-sec-grp", project_id=svc.id)
        for port in (9443, 22):
            conn.network.create_security_group_rule(
                security_group_id=sg.id, direction="ingress", ethertype="IPv4",
                protocol="tcp", port_range_min=port, port_range_max=port,
                project_id=svc.id)
        say("amphora security group lc-amp-sec-grp (project service)")
    img = conn.image.find_image(E["IMAGE_NAME"])
    if "amphora" not in (img.tags or []):
        conn.image.add_tag(img, "amphora")
        say(f"image {img.name} tagged amphora")
    path = os.path.join(E["LC_ETC"], "octavia", "amphora.conf")
    with open(path + ".tmp", "w") as f:
        f.write("[controller_worker]\n"
                f"amp_boot_network_list = {net.id}\n"
                f"amp_secgroup_list = {sg.id}\n")
    os.replace(path + ".tmp", path)
    # amphora-plane.sh's backup of a plane it replaced: this start has put the cloud's own back.
    if os.path.exists(path + ".before"):
        os.remove(path + ".before")


if E["STAGE"] == "catalog":
    catalog()
else:
    compute_setup()
    amphora_plane()
PY
}

# ---------------------------------------------------------------- main
main() {
  require_root
  local t0=$SECONDS h
  want_compute "$@" && COMPUTE=1
  # OS_* variables of a sourced openrc must not leak into our set-up calls.
  use_admin_cloud
  lc_mkdirs
  if [ "$COMPUTE" = 1 ] && ! command -v nova-compute >/dev/null; then
    die "compute packages missing: run lab/install.sh --with-compute"
  fi
  command -v keystone-manage >/dev/null || die "packages missing: run lab/install.sh"
  command -v mariadbd >/dev/null || die "packages missing: run lab/install.sh"

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

  # MariaDB and RabbitMQ boot side by side; RabbitMQ (~15 s) is only needed
  # once the OpenStack services start, after the migrations.
  start_mysql
  start_rabbit
  wait_until mysql "$BOUND_DB" mysql_ready
  create_databases
  make_octavia_certs
  run_migrations

  start_daemon memcached memcached -u memcache -l "$LC_HOST" -p "$LC_PORT_MEMCACHED" -U 0 -m 64
  wait_until memcached 30 port_open "$LC_HOST" "$LC_PORT_MEMCACHED"
  start_uwsgi keystone "$LC_PORT_KEYSTONE" /usr/bin/keystone-wsgi-public "" \
    OS_KEYSTONE_CONFIG_FILES="$LC_ETC/keystone/keystone.conf"
  wait_until rabbitmq "$BOUND_RABBIT" port_open "$LC_HOST" "$LC_PORT_RABBIT"
  wait_for_url keystone "$LC_KEYSTONE_URL" "$BOUND_API"
  openstack_setup catalog || die "catalog set-up failed"

  start_services
  wait_for_url neutron-server "http://$LC_HOST:$LC_PORT_NEUTRON/" "$BOUND_API"
  wait_for_url octavia-api "http://$LC_HOST:$LC_PORT_OCTAVIA/" "$BOUND_API"
  [ "$COMPUTE" = 1 ] || is_running octavia-worker || { log_tail octavia-worker; die "octavia-worker exited"; }
  if [ "$COMPUTE" = 1 ]; then
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
  fi

  local rss pss
  rss="$(total_rss_kib)"
  pss="$(total_pss_kib)"
  log "local cloud up in $((SECONDS - t0)) s$([ "$COMPUTE" = 1 ] && echo ' (with compute)'); memory: total RSS $((rss / 1024)) MiB, PSS $((pss / 1024)) MiB"
  log "credentials: OS_CLIENT_CONFIG_FILE=$LC_DIR/clouds.yaml OS_CLOUD=local (or: . $LC_DIR/openrc)"
  # The Octavia controller nodes the `local` stack configures over SSH (nodes.sh).
  "$LC_SCRIPTS/nodes.sh" start
}

main "$@"
