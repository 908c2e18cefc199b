# shellcheck shell=bash disable=SC2154  # the TLB_* variables: quoted assignments that its module in components/node/ puts above this file
# octavia.conf (guide step 4): merge the settings with the merge program (octavia_conf_merge.py, called through
# tlb_merge, which the assembly defines around it), then restart Octavia once per change.

tlb_restart_octavia_if_pending() {
  local rc=0
  if [ ! -e "$TLB_PENDING" ]; then
    tlb_note "$TLB_CONF unchanged; Octavia not restarted"
    return 0
  fi
  tlb_note "restarting Octavia: $TLB_RESTART"
  timeout -k 10 "$TLB_RESTART_WAIT" bash -c "$TLB_RESTART" </dev/null || rc=$?
  if [ "$rc" != 0 ]; then
    tlb_fail "the Octavia restart command failed (exit $rc): $TLB_RESTART -- $TLB_CONF already has the new values; the restart is retried on the next run"
  fi
  rm -f -- "$TLB_PENDING"
}

tlb_octavia_conf_prepare() {
  tlb_need python3
  # /var/lib exists: only the deepest directory is new, and it is the one that must be private.
  # shellcheck disable=SC2174
  mkdir -p -m 0700 -- "$TLB_STATE_DIR"
}

tlb_octavia_conf_apply() {
  tlb_octavia_conf_prepare
  [ -f "$TLB_CONF" ] || tlb_fail "$TLB_CONF does not exist on $(tlb_host): is Octavia installed there? (octavia.configFile)"
  # Refuses, before writing anything, a guarded value set by hand to something else (the merge program's apply).
  tlb_merge apply "$TLB_CONF" "$TLB_STATE" "$TLB_BACKUP" "$TLB_PENDING" "$TLB_SETTINGS" "$TLB_ADOPT"
  tlb_restart_octavia_if_pending
  echo "OCTAVIA_CONF ok"
}

tlb_octavia_conf_restore() {
  tlb_octavia_conf_prepare
  tlb_merge restore "$TLB_CONF" "$TLB_STATE" "$TLB_BACKUP" "$TLB_PENDING" "$TLB_SETTINGS"
  if [ -e "$TLB_CERT_STATE" ]; then
    # The stack's certificates are still in the directory: their command's delete runs next, restores the files the
    # conf pointed to before, and restarts Octavia then, once for both.
    tlb_note "the Octavia restart waits for the certificates' delete"
  else
    tlb_restart_octavia_if_pending
  fi
  tlb_rmdir_if_empty "$TLB_STATE_DIR"
}
