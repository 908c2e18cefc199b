#!/usr/bin/env bash
# STAND-IN for a controller's `systemctl restart octavia-*` on the e2e suite's nodes, which run no systemd and no
# Octavia: it logs the restart's start and end (the suite checks that a region's restarts never overlap) and, in
# between, takes the health manager's socket away for a second (test/python/health_manager_ear.py). Like systemctl,
# it returns once the health manager listens again, or has exited because octavia.conf names no address; bounded.
# Usage (as root on the node): octavia-restart-stand-in.sh OCTAVIA_CONF
set -u
conf=$1
here=$(cd "$(dirname "$0")" && pwd)
log=/run/octavia-restarts.log
ear=/run/tlb-hm-ear
echo "start $(date +%s.%N)" >>"$log"
if [ -f "$ear.pid" ]; then
  kill "$(cat "$ear.pid")" 2>/dev/null || true
  rm -f "$ear.pid"
fi
sleep 1
setsid /usr/bin/python3 "$here/../python/health_manager_ear.py" ear "$conf" "$ear.log" </dev/null >/dev/null 2>&1 &
pid=$!
echo "$pid" >"$ear.pid"
for _ in $(seq 1 100); do
  if grep -q "\"pid\": $pid}" "$ear.log" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.05
done
echo "end $(date +%s.%N)" >>"$log"
