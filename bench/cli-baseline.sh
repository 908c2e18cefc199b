#!/usr/bin/env bash
# What one openstack CLI call costs before it does any work: the per-call overhead the guide's procedure pays
# ~50 times. Each kind of call runs BENCH_BASELINE_REPEAT times (default 3); the rows (see lib.sh) are per call:
#   openstack configuration show          client start-up only (reads clouds.yaml, sends no request)
#   openstack token issue                 start-up + authentication (Keystone: version discovery + new token)
#   openstack ... network list            start-up + authentication + one Neutron request (+ its token check)
set -euo pipefail
SECTION=baseline
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rm -rf "$WORK"' EXIT
K="${BENCH_BASELINE_REPEAT:-3}"

startup() { openstack configuration show -f value >/dev/null; }
authenticate() { openstack token issue -f value -c id >/dev/null; }
one_request() { openstack --os-region-name RegionOne network list -f value -c ID >/dev/null; }

phase "openstack configuration show (start-up, no request), per call" startup "$K"
phase "openstack token issue (start-up + auth), per call" authenticate "$K"
phase "openstack network list (start-up + auth + 1 request), per call" one_request "$K"
