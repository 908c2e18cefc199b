#!/usr/bin/env bash
# Stops the local cloud and removes all its state (MariaDB datadir with every
# database, RabbitMQ mnesia, fernet keys, certificates, images, the Open
# vSwitch database and bridges, logs, generated configuration, clouds.yaml),
# so that the next start.sh starts from scratch. Packages stay installed.
#
#   lab/wipe.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Our userspace bridges are tap devices in this network namespace that
# outlive ovs-vswitchd. Delete them through our own Open vSwitch while it
# runs; otherwise delete the tap devices with our bridges' names.
remove_bridges() {
  local db="unix:$LC_RUN/ovs/db.sock" br n
  if is_running ovsdb-server && is_running ovs-vswitchd; then
    for br in $(ovs-vsctl --db="$db" list-br); do
      ovs-vsctl --db="$db" --timeout=10 del-br "$br" || true
    done
    # The datapath's own port (ovs-netdev) goes with the datapath.
    ovs-appctl -t "$LC_RUN/ovs/ovs-vswitchd.ctl" dpctl/del-dp netdev@ovs-netdev 2>/dev/null || true
    return 0
  fi
  for n in $(seq 1 "${#LC_COMPUTE_HOSTS[@]}"); do
    for br in "$(ovs_int_bridge "$n")" "$(ovs_tun_bridge "$n")"; do
      # Only a tap device of that name: never someone else's interface.
      if ip -d link show "$br" 2>/dev/null | grep -q 'tun type tap'; then
        ip link del "$br" || true
      fi
    done
  done
}

main() {
  [ -d "$LC_DIR" ] || { log "nothing to wipe ($LC_DIR does not exist)"; return 0; }
  # Refuse anything that does not look like our folder: rm -rf on a wrong
  # LOCAL_CLOUD_DIR would be a disaster.
  case "$LC_DIR" in
    */.local-cloud | */.local-cloud/) ;;
    *) [ -f "$LC_DIR/clouds.yaml" ] || [ -d "$LC_RUN" ] \
         || die "refusing to remove $LC_DIR: not a local cloud folder" ;;
  esac
  remove_bridges
  "$LC_SCRIPTS/nodes.sh" wipe
  LOCAL_NODES_SET=bench "$LC_SCRIPTS/nodes.sh" wipe
  LOCAL_NODES_SET=scale "$LC_SCRIPTS/nodes.sh" wipe
  "$LC_SCRIPTS/stop.sh"
  rm -rf -- "$LC_DIR"
  log "wiped $LC_DIR"
}

main "$@"
