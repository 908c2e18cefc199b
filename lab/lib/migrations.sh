# shellcheck shell=bash
# The one-time steps (database migrations, Keystone's bootstrap), run once per
# package version, side by side. Sourced by start.sh; the steps themselves
# (keystone_setup, neutron_setup...) are in each service's file.

# A stamp records that a one-time step (db sync, bootstrap) was done for a
# given package version; a package upgrade re-runs the migration.
stamp_dir() { printf '%s/stamps' "$LC_DATA"; }
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }
stamp_ok() { [ "$(cat "$(stamp_dir)/$1" 2>/dev/null || true)" = "$2" ]; }
stamp_set() { mkdir -p "$(stamp_dir)"; printf '%s' "$2" >"$(stamp_dir)/$1"; }

# Runs a one-time step NAME with COMMAND..., output to log/NAME.log, unless
# its stamp says it was done for package PKG's version.
once() {
  local name="$1" pkg="$2"; shift 2
  local v
  v="$(pkg_version "$pkg")"
  if stamp_ok "$name" "$v"; then return 0; fi
  log "$name"
  if ! "$@" >>"$(logfile_of "$name")" 2>&1; then
    log_tail "$name"
    die "$name failed"
  fi
  stamp_set "$name" "$v"
}

# The migrations touch separate databases: run them side by side (each is
# mostly Python start-up and round trips; 2 cores).
run_migrations() {
  local pids=() names=() i rc=0
  run_bg() { once "$@" & pids+=("$!"); names+=("$1"); }
  run_bg keystone-setup python3-keystone keystone_setup
  run_bg neutron-db-sync python3-neutron neutron_setup
  run_bg octavia-db-sync python3-octavia octavia_setup
  if [ "$COMPUTE" = 1 ]; then
    run_bg placement-db-sync python3-placement placement_setup
    run_bg glance-db-sync python3-glance glance_setup
    run_bg nova-db-sync python3-nova nova_setup
  fi
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { log "${names[$i]} failed"; rc=1; }
  done
  [ "$rc" = 0 ] || die "database set-up failed (logs in $LC_LOG)"
}
