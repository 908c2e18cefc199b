# shellcheck shell=bash
# Our own Open vSwitch instance (userspace datapath) for the Neutron agents.
# Sourced by start.sh.

ovs_vsctl() { OVS_RUNDIR="$LC_RUN/ovs" ovs-vsctl --db="unix:$LC_RUN/ovs/db.sock" "$@"; }
ovs_appctl_vswitchd() { ovs-appctl -t "$LC_RUN/ovs/ovs-vswitchd.ctl" "$@"; }

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
  # Ready when it answers, not when the socket exists: a cloud stopped by a crash or a reboot leaves its db.sock.
  wait_until ovsdb-server 30 ovs_vsctl --no-wait --timeout=2 show
  ovs_vsctl --no-wait init
  start_daemon ovs-vswitchd env OVS_RUNDIR="$rd" OVS_DBDIR="$LC_DATA/ovs" OVS_LOGDIR="$LC_LOG" \
    ovs-vswitchd "unix:$rd/db.sock" --pidfile="$rd/ovs-vswitchd.pid" \
    --unixctl="$rd/ovs-vswitchd.ctl" -vconsole:info
  wait_until ovs-vswitchd 30 ovs_appctl_vswitchd version
}
