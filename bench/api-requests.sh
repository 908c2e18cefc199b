#!/usr/bin/env bash
# Counts the HTTP requests the local cloud's APIs logged between two points in
# time, from their logs under .local-cloud/log (LOCAL_CLOUD_DIR moves it):
#
#   bench/api-requests.sh mark  > MARK    # current size of each log
#   bench/api-requests.sh since MARK      # requests logged since MARK
#
# `since` prints one line: keystone neutron octavia tokens server_s ssh nova glance placement
#   keystone  uwsgi request lines of keystone.log ("[pid: …] … POST /v3/… => generated …")
#   neutron   neutron-server.log request lines (neutron.wsgi … "POST /v2.0/… HTTP/1.1" status: …)
#   octavia   uwsgi request lines of octavia-api.log
#   tokens    of the keystone lines, POST /v3/auth/tokens: new tokens issued
#             (clients authenticating; the services' own service tokens too)
#   server_s  the time the services report having spent on those requests, summed (seconds;
#             uwsgi's "in N msecs", neutron's and nova's "time: S", glance's last field)
#   ssh       SSH logins the benchmark's controller nodes accepted ("Accepted publickey" in their sshd logs,
#             BENCH_SSHD_LOGS: a folder whose node*/log/sshd.log are read; default .local-cloud/nodes-bench)
#   nova      nova-api.log request lines (nova.osapi_compute.wsgi.server … "POST /v2.1/… HTTP/1.1" status: …)
#   glance    glance.log request lines (eventlet.wsgi.server … "GET /v2/… HTTP/1.1" 200 …)
#   placement uwsgi request lines of placement.log (its placement.requestlog lines repeat the same requests)
# The last three are 0 on a cloud without compute (no such logs). They come last so that readers of the first six
# fields keep working. Nova's and Placement's lines include the calls the Nova services and Octavia's worker make
# for a server the run boots (the scheduler's allocation, the compute host's port binding, the amphora's boot),
# and the compute hosts' periodic resource reports to Placement, which are not the run's.
# Keystone's lines include GET /v3/auth/tokens, the token validations that
# Neutron's and Octavia's keystonemiddleware make for a token they have not
# cached yet: caused by the run, so counted. Only byte ranges appended after
# MARK are read, so the logs' size does not matter.
set -euo pipefail
export LC_ALL=C

LOG_DIR="${LOCAL_CLOUD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.local-cloud}/log"
LOGS=(keystone.log neutron-server.log octavia-api.log nova-api.log glance.log placement.log)
SSHD_DIR="${BENCH_SSHD_LOGS:-$(dirname "$LOG_DIR")/nodes-bench}"
sshd_logs() { local f; for f in "$SSHD_DIR"/node*/log/sshd.log; do [ -f "$f" ] && printf '%s\n' "$f"; done; return 0; }

size_of() { if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi; }

# appended FILE OFFSET: the bytes written to FILE after OFFSET.
appended() {
  local size
  size="$(size_of "$1")"
  # A log that shrank was rotated or wiped: read all of it.
  if [ "$size" -lt "$2" ]; then cat "$1"; else tail -c +"$(($2 + 1))" "$1"; fi
}

UWSGI_REQ='^\[pid: [0-9]+\|app: [0-9]+\|req: [0-9]+/[0-9]+\] .* (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /.* => generated '
NEUTRON_REQ='neutron\.wsgi .*"(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /[^"]* HTTP/1\.[01]" status: '
NOVA_REQ='nova\.osapi_compute\.wsgi\.server .*"(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /[^"]* HTTP/1\.[01]" status: '
GLANCE_REQ='eventlet\.wsgi\.server .*"(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /[^"]* HTTP/1\.[01]" [0-9]{3} '
TOKEN_REQ='\] POST /v3/auth/tokens => generated '

case "${1:-}" in
  mark)
    for f in "${LOGS[@]}"; do printf '%s %s\n' "$f" "$(size_of "$LOG_DIR/$f")"; done
    while read -r f; do [ -z "$f" ] || printf '%s %s\n' "$f" "$(size_of "$f")"; done < <(sshd_logs)
    ;;
  since)
    [ -f "${2:-}" ] || { echo "usage: $0 since MARKFILE" >&2; exit 2; }
    declare -A off=()
    while read -r f o; do off[$f]=$o; done <"$2"
    k="$(appended "$LOG_DIR/keystone.log" "${off[keystone.log]:-0}" | grep -E "$UWSGI_REQ" || true)"
    n="$(appended "$LOG_DIR/neutron-server.log" "${off[neutron-server.log]:-0}" | grep -E "$NEUTRON_REQ" || true)"
    o="$(appended "$LOG_DIR/octavia-api.log" "${off[octavia-api.log]:-0}" | grep -E "$UWSGI_REQ" || true)"
    nv="$(appended "$LOG_DIR/nova-api.log" "${off[nova-api.log]:-0}" | grep -E "$NOVA_REQ" || true)"
    gl="$(appended "$LOG_DIR/glance.log" "${off[glance.log]:-0}" | grep -E "$GLANCE_REQ" || true)"
    pl="$(appended "$LOG_DIR/placement.log" "${off[placement.log]:-0}" | grep -E "$UWSGI_REQ" || true)"
    count() { if [ -n "$1" ]; then grep -c . <<<"$1"; else echo 0; fi; }
    tk="$(if [ -n "$k" ]; then grep -cE "$TOKEN_REQ" <<<"$k" || true; else echo 0; fi)"
    server="$(printf '%s\n%s\n%s\n%s\n%s\n%s\n' "$k" "$n" "$o" "$nv" "$gl" "$pl" | awk '
      match($0, / in [0-9]+ msecs /) { t += substr($0, RSTART + 4, RLENGTH - 11) / 1000 }
      match($0, / time: [0-9.]+/) { t += substr($0, RSTART + 7, RLENGTH - 7) }
      match($0, /HTTP\/1\.[01]" [0-9][0-9][0-9] [0-9]+ [0-9.]+/) { n = split(substr($0, RSTART, RLENGTH), f, " "); t += f[n] }
      END { printf "%.3f", t }')"
    logins=0
    while read -r f; do
      [ -n "$f" ] || continue
      c="$(appended "$f" "${off[$f]:-0}" | grep -c 'Accepted publickey for ' || true)"
      logins=$((logins + c))
    done < <(sshd_logs)
    echo "$(count "$k") $(count "$n") $(count "$o") $tk $server $logins $(count "$nv") $(count "$gl") $(count "$pl")"
    ;;
  *)
    echo "usage: $0 mark | since MARKFILE" >&2; exit 2
    ;;
esac
