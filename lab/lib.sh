# shellcheck shell=bash disable=SC2034
# (SC2034: the settings below are used by the scripts that source this file.)
# Shared functions and settings of the local cloud scripts (install, start,
# health, stop, wipe). Sourced, never run: it sets no shell options of its own
# beyond what the caller has (all callers use `set -euo pipefail`).
#
# Everything the scripts own lives in ONE folder, $LC_DIR (default
# .local-cloud/ in the checkout, git-ignored):
#   etc/   generated configuration files (re-written at every start)
#   log/   one log per process
#   run/   one pid file per process, sockets
#   data/  MariaDB datadir, RabbitMQ mnesia, fernet keys, certificates,
#          Glance images, Open vSwitch database
#   clouds.yaml, openrc
# The packages' own files under /etc are left as the packages installed them.

LC_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LC_ROOT="$(cd "$LC_SCRIPTS/.." && pwd)"
LC_DIR="${LOCAL_CLOUD_DIR:-$LC_ROOT/.local-cloud}"
LC_ETC="$LC_DIR/etc"
LC_LOG="$LC_DIR/log"
LC_RUN="$LC_DIR/run"
LC_DATA="$LC_DIR/data"

# LOCAL-ONLY test password, used for the admin user, every service user,
# MariaDB and RabbitMQ. It protects nothing: every service listens on
# 127.0.0.1 only and the whole cloud is thrown away by wipe.sh. Never reuse it.
LC_PASSWORD="${LOCAL_CLOUD_PASSWORD:-local-only-test-password}"
LC_HOST=127.0.0.1
# The central region and LOCAL_CLOUD_REGIONS local ones (2 to 16, default the guide's two; the compute hosts stay in
# RegionOne's and RegionTwo's zones), named as the guide names
# its two. All of them share the one Neutron, Octavia and Nova: a region is a catalog entry here. A start with more
# regions adds them; one with fewer keeps the extra ones registered (nothing breaks) and lists only its own in
# clouds.yaml.
LC_LOCAL_REGION_NAMES=(One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fourteen Fifteen Sixteen)
lc_regions() {
  local n="${LOCAL_CLOUD_REGIONS:-2}" i
  [[ "$n" =~ ^([2-9]|1[0-6])$ ]] || { echo "LOCAL_CLOUD_REGIONS: 2 to 16, not '$n'" >&2; return 1; }
  LC_REGIONS=(CentralRegion)
  for ((i = 0; i < n; i++)); do LC_REGIONS+=("Region${LC_LOCAL_REGION_NAMES[$i]}"); done
}
lc_regions

# Ports, all on 127.0.0.1.
LC_PORT_MYSQL=3306
LC_PORT_RABBIT=5672
LC_PORT_RABBIT_DIST=25672
LC_PORT_MEMCACHED=11211
LC_PORT_KEYSTONE=5000
LC_PORT_NEUTRON=9696
LC_PORT_OCTAVIA=9876
LC_PORT_PLACEMENT=8778
LC_PORT_GLANCE=9292
LC_PORT_NOVA=8774

LC_KEYSTONE_URL="http://$LC_HOST:$LC_PORT_KEYSTONE/v3"
LC_MYSQL_SOCK="$LC_RUN/mysql/mysqld.sock"
LC_RABBIT_URL="rabbit://openstack:$LC_PASSWORD@$LC_HOST:$LC_PORT_RABBIT/"

# Compute part: Placement, Glance, Nova, Open vSwitch + agent.
# Compute hosts, one per local region, each in its region's availability zone.
LC_COMPUTE_HOSTS=(compute1 compute2)
LC_COMPUTE_AZS=(az1 az2)
# Each host's tunnel endpoint (local_ip). The agent insists on an address
# configured on an interface, and we add none to the host, so both hosts use
# 127.0.0.1: Neutron then records the endpoint for whichever agent synced
# last. Harmless here: no traffic crosses the tunnels, and binding checks the
# agent's tunnel_types, not the endpoint table.
LC_COMPUTE_IPS=(127.0.0.1 127.0.0.1)

# Open vSwitch bridges of compute host number N (1-based): each agent has
# its own pair on our one Open vSwitch instance.
ovs_int_bridge() { printf 'br-int%s' "$1"; }
ovs_tun_bridge() { printf 'br-tun%s' "$1"; }

log() { printf '[local-cloud %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root (packages, MariaDB and RabbitMQ users)"
}

# True when the compute part is wanted: LOCAL_CLOUD_COMPUTE=1 or an argument
# --with-compute (callers pass "$@").
want_compute() {
  local a
  [ "${LOCAL_CLOUD_COMPUTE:-0}" = 1 ] && return 0
  for a in "$@"; do [ "$a" = --with-compute ] && return 0; done
  return 1
}

lc_mkdirs() {
  mkdir -p "$LC_ETC" "$LC_LOG" "$LC_RUN" "$LC_DATA"
}

pidfile_of() { printf '%s/%s.pid' "$LC_RUN" "$1"; }
logfile_of() { printf '%s/%s.log' "$LC_LOG" "$1"; }

# True when PID exists and is not a zombie (a dead child that nobody reaped
# yet: our daemons' parent is gone, and pid 1 here reaps lazily).
pid_alive() {
  local st
  st="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [ -n "$st" ] && [[ "$st" != Z* ]]
}

# Pid recorded for NAME if that process is alive, else nothing (and status 1).
running_pid() {
  local pf pid
  pf="$(pidfile_of "$1")"
  [ -s "$pf" ] || return 1
  pid="$(cat "$pf")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  printf '%s' "$pid"
}

is_running() { running_pid "$1" >/dev/null; }

# start_daemon NAME COMMAND...: runs COMMAND in the background in its own
# session (so stop.sh can signal its whole process group: uwsgi workers,
# mysqld_safe's mysqld, rabbitmq's beam), stdout+stderr appended to
# log/NAME.log, pid in run/NAME.pid. Does nothing when NAME already runs.
# Environment for the command: set it in the caller with `env VAR=...`.
start_daemon() {
  local name="$1"; shift
  if is_running "$name"; then
    log "$name already running (pid $(running_pid "$name"))"
    return 0
  fi
  local lf pf
  lf="$(logfile_of "$name")"
  pf="$(pidfile_of "$name")"
  printf '\n===== %s start %s: %s\n' "$(date -Is)" "$name" "$*" >>"$lf"
  # setsid: new session and process group whose id is the pid we record.
  # stdin from /dev/null so nothing waits on a terminal.
  setsid "$@" </dev/null >>"$lf" 2>&1 &
  echo "$!" >"$pf"
  log "started $name (pid $!)"
}

# The Octavia worker; with compute (COMPUTE=1) it also reads amphora.conf,
# the amphorae's boot network and security group (start.sh writes the
# cloud's own, amphora-plane.sh points them elsewhere).
start_octavia_worker() {
  local worker_args=(--config-file "$LC_ETC/octavia/octavia.conf")
  [ "${COMPUTE:-0}" = 1 ] && [ -s "$LC_ETC/octavia/amphora.conf" ] && worker_args+=(--config-file "$LC_ETC/octavia/amphora.conf")
  # A controller node's octavia.conf as a stack merged it (amphora-plane.sh use-conf), last: its values win. Only its
  # amphora sections are taken: the rest of a node's file ([DEFAULT] transport_url, [database], keystone) describes
  # that node's cloud, not this one (the host harness's baseline names the guide's example addresses), and the lab's
  # worker must never dial those.
  local node_conf amphora_only="$LC_ETC/octavia/node-amphora.conf"
  node_conf="$(cat "$LC_ETC/octavia/node-conf.path" 2>/dev/null || true)"
  rm -f "$amphora_only"
  if [ "${COMPUTE:-0}" = 1 ] && [ -n "$node_conf" ] && [ -f "$node_conf" ]; then
    # It carries the PKI's passphrases, as the node's file does: readable by root only.
    (umask 077; amphora_sections <"$node_conf" >"$amphora_only")
    worker_args+=(--config-file "$amphora_only")
  fi
  start_daemon octavia-worker octavia-worker "${worker_args[@]}"
}

# The sections of an octavia.conf on stdin that say how to boot and talk to an amphora: what the stack merges for its
# flavor, image, keypair, plane and PKI, and [health_manager], whose key and controller list the worker renders into
# an amphora's agent configuration (at boot, and when the stack pushes a new one). The worker listens on nothing of
# it: bind_ip and bind_port are the health manager's, which the lab does not run from a node's file.
amphora_sections() {
  awk '/^[[:space:]]*\[/ { s = $0; gsub(/[][[:space:]]/, "", s); keep = (s == "controller_worker" || s == "certificates" || s == "haproxy_amphora" || s == "health_manager") }
       keep { print }'
}

# Prints the last lines of NAME's log to stderr (for failures).
log_tail() {
  local lf
  lf="$(logfile_of "$1")"
  if [ -f "$lf" ]; then
    log "---- last lines of $lf"
    tail -n "${2:-40}" "$lf" >&2
    log "----"
  fi
}

# wait_until NAME SECONDS COMMAND...: runs COMMAND every 0.5 s until it
# succeeds; fails after SECONDS, or as soon as NAME's process is gone, with
# the tail of NAME's log.
wait_until() {
  local name="$1" bound="$2"; shift 2
  local deadline=$((SECONDS + bound))
  while ! "$@" >/dev/null 2>&1; do
    if ! is_running "$name"; then
      log_tail "$name"
      die "$name exited before it was ready"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log_tail "$name"
      die "$name not ready after ${bound}s"
    fi
    sleep 0.5
  done
}

# True when URL answers HTTP at all (any status, 401 included: the service
# is up even when it wants a token).
url_answers() {
  local code
  code="$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" || true)"
  [ -n "$code" ] && [ "$code" != 000 ]
}

# True when something listens on HOST PORT (TCP).
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_for_url NAME URL [SECONDS]
wait_for_url() {
  wait_until "$1" "${3:-60}" url_answers "$2"
}

# stop_daemon NAME [SECONDS]: SIGTERM the process group recorded for NAME
# (uwsgi: its master), wait up to SECONDS, then SIGKILL the group. Only ever signals pids from our own pid
# files (other engineers run their own ovsdb-servers and services here).
stop_daemon() {
  local name="$1" bound="${2:-20}" pid
  if ! pid="$(running_pid "$name")"; then
    rm -f "$(pidfile_of "$name")"
    return 0
  fi
  # Process group = pid (setsid in start_daemon); fall back to the pid alone
  # for a process that is not a group leader.
  local target="-$pid"
  [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] || target="$pid"
  if [[ " ${LC_UWSGI[*]} " == *" $name "* ]]; then
    # uwsgi: only the master (--die-on-term) gets SIGTERM and stops its
    # workers in a second; workers signalled directly run the application's
    # own handlers and were seen hanging for 20 s+.
    kill -TERM "$pid" 2>/dev/null || true
  else
    kill -TERM -- "$target" 2>/dev/null || true
  fi
  local deadline=$((SECONDS + bound))
  while pid_alive "$pid" || group_alive "$target"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$name (pid $pid) still running after ${bound}s: SIGKILL"
      kill -KILL -- "$target" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
  rm -f "$(pidfile_of "$name")"
  log "stopped $name"
}

# True while any member of process group -PGID (argument "-N") is alive.
# Not pgrep: it counts zombies, which pid 1 here is slow to reap.
# shellcheck disable=SC2009
group_alive() {
  [[ "$1" == -* ]] || return 1
  ps -o stat= -g "${1#-}" 2>/dev/null | grep -qv '^Z'
}

# Names of the processes with a pid file, in start order (stop reverses it).
LC_ORDER=(mysql epmd rabbitmq memcached keystone placement glance neutron-server
  octavia-api octavia-worker nova-api nova-conductor nova-scheduler
  ovsdb-server ovs-vswitchd
  neutron-ovs-agent-compute1 neutron-ovs-agent-compute2
  nova-compute-compute1 nova-compute-compute2)

# The processes served by uwsgi (see start_uwsgi in lib/uwsgi.sh).
LC_UWSGI=(keystone placement octavia-api)

# Sum of the resident set sizes (KiB) of every process in our process groups.
total_rss_kib() {
  local name pid sum=0 v
  for name in "${LC_ORDER[@]}"; do
    pid="$(running_pid "$name")" || continue
    v="$(ps -o rss= -g "$pid" 2>/dev/null | awk '{s+=$1} END {print s+0}')"
    sum=$((sum + v))
  done
  echo "$sum"
}

# Sum of the proportional set sizes (KiB): shared pages (forked workers,
# libraries) counted once overall instead of once per process as RSS does.
total_pss_kib() {
  local name pid sum=0 p v
  for name in "${LC_ORDER[@]}"; do
    pid="$(running_pid "$name")" || continue
    for p in $(ps -o pid= -g "$pid" 2>/dev/null); do
      v="$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)"
      sum=$((sum + ${v:-0}))
    done
  done
  echo "$sum"
}

# mysql client as root over our socket.
lc_mysql() {
  mysql --protocol=socket -S "$LC_MYSQL_SOCK" -uroot "$@"
}

# Makes the openstack CLI of this shell use the admin of our clouds.yaml
# (and nothing from an openrc the caller may have sourced).
use_admin_cloud() {
  local v
  for v in $(compgen -e | grep '^OS_' || true); do unset "$v"; done
  export OS_CLIENT_CONFIG_FILE="$LC_DIR/clouds.yaml" OS_CLOUD=local
}

# Environment for the admin user on stdout (openrc content).
admin_env() {
  cat <<EOF
# Local cloud admin credentials. LOCAL-ONLY test password: the cloud listens
# on 127.0.0.1 only and is wiped at will; never reuse it anywhere.
export OS_AUTH_URL=$LC_KEYSTONE_URL
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=admin
export OS_PASSWORD=$LC_PASSWORD
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=CentralRegion
export OS_INTERFACE=public
EOF
}
