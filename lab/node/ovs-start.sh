#!/usr/bin/env bash
# Starts whichever Open vSwitch daemon of a controller node is not running, inside the node's namespaces, with every
# path under the node's folder or its private /run (never the machine's /var/run/openvswitch). Idempotent.
#   NODE_DIR=<node folder> bash ovs-start.sh      (run inside the node: nsenter / ip netns exec)
set -euo pipefail
D="${NODE_DIR:?NODE_DIR: the node folder}"
export OVS_RUNDIR=/run/openvswitch OVS_LOGDIR="$D/log" OVS_DBDIR="$D/ovs"
mkdir -p /run/openvswitch "$D/log" "$D/ovs"
[ -f "$D/ovs/conf.db" ] || ovsdb-tool create "$D/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
if ! ovs-appctl --timeout=2 -t ovsdb-server version >/dev/null 2>&1; then
  ovsdb-server "$D/ovs/conf.db" --remote=punix:/run/openvswitch/db.sock --pidfile=/run/openvswitch/ovsdb-server.pid \
    --log-file="$D/log/ovsdb-server.log" -vconsole:off --detach --no-chdir
fi
ovs-vsctl --no-wait init
if ! ovs-appctl --timeout=2 -t ovs-vswitchd version >/dev/null 2>&1; then
  ovs-vswitchd unix:/run/openvswitch/db.sock --pidfile=/run/openvswitch/ovs-vswitchd.pid \
    --log-file="$D/log/ovs-vswitchd.log" -vconsole:off --detach --no-chdir
fi
