# shellcheck shell=bash
# The WSGI services' server (Keystone, Placement, the Octavia API). Sourced by
# start.sh.

# start_uwsgi NAME PORT SCRIPT PYARGV [VAR=value...]: uwsgi serving a WSGI
# script: 2 processes (with one, about one request in 80 was reset),
# Connection: close (clients reusing connections saw resets), --die-on-term
# (SIGTERM would make uwsgi reload, not stop).
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
