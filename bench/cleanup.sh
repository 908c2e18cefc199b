#!/usr/bin/env bash
# What a failed or interrupted benchmark run left on the local cloud, found by name and deleted (not timed):
#
#   bench/cleanup.sh SUFFIX [GROUP...]    # delete every object named *-SUFFIX, and the security groups GROUP
#   bench/cleanup.sh --list SUFFIX [GROUP...]   # print what is still there, one "kind name" a line
#
# Kinds, in the order they must go: load balancers (cascade: listeners, pools, members, monitors, the amphora and
# the VIP port with them), servers (their ports with them), ports on the run's networks (and the run's named ports
# elsewhere), networks (their subnets with them), security groups (their rules with them). Used by the guide's trap
# (guide-procedure.sh: SUFFIX = the run's suffix) and by run.sh for the stack's side (SUFFIX = engine-<suffix>,
# GROUP = the demo's backend group, whose name comes from the stack's name, not the suffix).
# Every call is bounded; the waits for load balancers and servers to go by BENCH_WAIT_TIMEOUT (default 180 s).
set -euo pipefail
export LC_ALL=C
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export OS_CLIENT_CONFIG_FILE="${OS_CLIENT_CONFIG_FILE:-$ROOT/.local-cloud/clouds.yaml}" OS_CLOUD="${OS_CLOUD:-local}"
WAIT_TIMEOUT="${BENCH_WAIT_TIMEOUT:-180}"
LIST=0
if [ "${1:-}" = --list ]; then LIST=1; shift; fi
S="${1:?usage: cleanup.sh [--list] SUFFIX [GROUP...]}"
shift
GROUPS_BY_NAME=("$@")

os() { timeout 120 openstack "$@" 2>/dev/null; }
# "ID NAME" lines on stdin -> those of the run: the name ends with -SUFFIX, or is one of the GROUPs.
mine() {
  awk -v s="-$S" -v extra="${GROUPS_BY_NAME[*]:-}" '
    BEGIN { n = split(extra, e, " "); for (i = 1; i <= n; i++) want[e[i]] = 1 }
    (length($2) > length(s) && substr($2, length($2) - length(s) + 1) == s) || ($2 in want) { print $1, $2 }'
}
lbs() { os --os-region-name "$1" loadbalancer list -f value -c id -c name | mine; }
# Without --all-projects Nova lists only the admin project's servers; Octavia's amphorae are the service project's.
# One Nova behind both regions here: either region's list has every server.
servers() { os --os-region-name RegionOne server list --all-projects -f value -c ID -c Name | mine; }
networks() { os --os-region-name CentralRegion network list -f value -c ID -c Name | mine; }
ports() { os --os-region-name CentralRegion port list -f value -c ID -c Name | mine; }
groups() { os --os-region-name CentralRegion security group list -f value -c ID -c Name | mine; }

# until_gone WHAT COMMAND...: poll COMMAND (it prints what is left) until it prints nothing, bounded.
until_gone() {
  local what="$1" deadline=$((SECONDS + WAIT_TIMEOUT))
  shift
  while [ -n "$("$@")" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "cleanup: $what of run $S still there after ${WAIT_TIMEOUT} s" >&2; return 1; fi
    sleep 2
  done
}

if [ "$LIST" = 1 ]; then
  { lbs RegionOne; lbs RegionTwo; } | sed 's/^[^ ]* /loadbalancer /'
  servers | sed 's/^[^ ]* /server /'
  networks | sed 's/^[^ ]* /network /'
  groups | sed 's/^[^ ]* /security group /'
  exit 0
fi

rc=0
for r in RegionOne RegionTwo; do
  while read -r id _; do os --os-region-name "$r" loadbalancer delete --cascade "$id" >/dev/null || true; done < <(lbs "$r")
  until_gone "load balancers in $r" lbs "$r" || rc=1
done
while read -r id _; do os --os-region-name RegionOne server delete "$id" >/dev/null || true; done < <(servers)
until_gone servers servers || rc=1
while read -r net _; do
  for port in $(os --os-region-name CentralRegion port list --network "$net" -f value -c ID); do
    os --os-region-name CentralRegion port delete "$port" >/dev/null || true
  done
  os --os-region-name CentralRegion network delete "$net" >/dev/null || true
done < <(networks)
while read -r id _; do os --os-region-name CentralRegion port delete "$id" >/dev/null || true; done < <(ports)
while read -r id _; do os --os-region-name CentralRegion security group delete "$id" >/dev/null || true; done < <(groups)
left="$(bash "${BASH_SOURCE[0]}" --list "$S" "${GROUPS_BY_NAME[@]}")"
if [ -n "$left" ]; then echo "cleanup: still there of run $S: $(tr '\n' ';' <<<"$left")" >&2; rc=1; fi
exit "$rc"
