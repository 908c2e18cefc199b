# shellcheck shell=bash
# Shared by the benchmark's shell parts (guide-procedure.sh, cli-baseline.sh); sourced after `set -euo pipefail`
# with SECTION set. Provides: the counted `openstack` wrapper, the counted `on_node` (one SSH command on a bench
# node), `phase` (wall time, API requests from the logs, CLI calls, client CPU, SSH logins), say/die. Rows go to
# $BENCH_OUT (default stdout), tab-separated:
#   section  phase  wall_s  keystone  neutron  octavia  new_tokens  server_s  cli_calls  client_cpu_s  ssh_logins
#   nova  glance  placement
# server_s: the time the services report for those requests, summed (api-requests.sh);
# client_cpu_s: user + system CPU of the processes the script ran and waited for (the CLI and ssh calls);
# ssh_logins: SSH logins the bench nodes' sshd logged (api-requests.sh).
export LC_ALL=C  # "." in $EPOCHREALTIME and in awk's numbers

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
API_REQUESTS="$ROOT/bench/api-requests.sh"
export OS_CLIENT_CONFIG_FILE="${OS_CLIENT_CONFIG_FILE:-$ROOT/.local-cloud/clouds.yaml}"
export OS_CLOUD="${OS_CLOUD:-local}"
OUT="${BENCH_OUT:-/dev/stdout}"

WORK="$(mktemp -d)"
CALLS="$WORK/calls"
: >"$CALLS"

say() { printf '[bench %s] %s: %s\n' "$(date +%H:%M:%S)" "$SECTION" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# note TEXT: a finding for the report (BENCH_NOTES; printed once however often it occurs).
note() {
  say "note: $*"
  if [ -n "${BENCH_NOTES:-}" ] && ! grep -qxF -- "$*" "$BENCH_NOTES" 2>/dev/null; then printf '%s\n' "$*" >>"$BENCH_NOTES"; fi
}

# Every `openstack` is this function: one real CLI process per call, counted, and bounded so that a hung API
# cannot hang the benchmark. Counting goes through a file, since $(...) runs in a subshell.
openstack() {
  echo >>"$CALLS"
  command timeout 120 openstack "$@"
}
calls() { wc -l <"$CALLS"; }

# on_node N WORD...: one command on bench node N (1 or 2) over SSH, as an operator's `ssh node sudo ...`: the words
# are quoted for the node's login shell, the host key is pinned, and the call is bounded in time. The node's
# address, user and key come from run.sh (BENCH_NODE<N>_HOST, BENCH_SSH_USER, BENCH_SSH_KEY, BENCH_KNOWN_HOSTS).
on_node() {
  local var="BENCH_NODE${1}_HOST" words
  shift
  [ -n "${!var:-}" ] || die "$var: the bench node's address (set by run.sh)"
  words="$(printf '%q ' "$@")"
  command timeout -k 5 60 ssh -F /dev/null -i "${BENCH_SSH_KEY:?}" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="${BENCH_KNOWN_HOSTS:?}" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
    -o ConnectTimeout=5 -o LogLevel=ERROR "${BENCH_SSH_USER:-stack}@${!var}" "$words" </dev/null
}

# CPU seconds (user + system) of this shell's waited-for children so far. `times` runs in this shell, not in
# a $(...) subshell, whose counters would start at zero.
children_cpu() {
  times >"$WORK/times"
  awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n += p[1] * 60 + p[2] } printf "%.2f", n }' "$WORK/times"
}

# phase NAME FUNCTION [REPEAT]: runs FUNCTION (REPEAT times, default 1) and appends the phase's row; with
# REPEAT > 1 every number of the row is per repetition (the mean).
phase() {
  local name="$1" fn="$2" k="${3:-1}" mark="$WORK/mark" c0 t0 t1 req cpu0 cpu1 i row
  "$API_REQUESTS" mark >"$mark"
  c0="$(calls)"
  children_cpu >"$WORK/cpu0"
  t0="$EPOCHREALTIME"
  for ((i = 0; i < k; i++)); do "$fn"; done
  t1="$EPOCHREALTIME"
  children_cpu >"$WORK/cpu1"
  cpu0="$(cat "$WORK/cpu0")"; cpu1="$(cat "$WORK/cpu1")"
  # The services log a request after answering it: let the last lines land before counting.
  sleep 0.5
  req="$("$API_REQUESTS" since "$mark")"
  row="$(awk -v OFS='\t' -v s="$SECTION" -v n="$name" -v k="$k" -v t0="$t0" -v t1="$t1" -v c="$(($(calls) - c0))" \
      -v cpu="$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { print b - a }')" -v r="$req" '
    function f(x) { return k == 1 ? x : sprintf("%.2f", x / k) }
    BEGIN { split(r, q, " "); print s, n, sprintf("%.2f", (t1 - t0) / k), f(q[1]), f(q[2]), f(q[3]), f(q[4]), sprintf("%.2f", q[5] / k), f(c), sprintf("%.2f", cpu / k), f(q[6] + 0), f(q[7] + 0), f(q[8] + 0), f(q[9] + 0) }')"
  printf '%s\n' "$row" >>"$OUT"
  say "$(awk -F '\t' '{ printf "%s: %s s, requests keystone %s (new tokens %s), neutron %s, octavia %s, nova %s, glance %s, placement %s, server %s s, CLI calls %s, SSH logins %s, client CPU %s s", $2, $3, $4, $7, $5, $6, $12, $13, $14, $8, $9, $11, $10 }' <<<"$row")"
}
