# shellcheck shell=bash disable=SC2154  # the TLB_* variables: quoted assignments that its module in components/node/ puts above this file
# Reboot persistence: enables (or disables and removes) the boot unit that runs the o-hm0 helper; the unit file
# and the helper themselves are written by the assembled script just before tlb_persistence_install.

tlb_persistence_install() {
  if command -v systemctl >/dev/null 2>&1; then
    # daemon-reload needs a running systemd; enable also works offline (it only makes symlinks).
    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
    if ! systemctl is-enabled --quiet "$TLB_UNIT_NAME" 2>/dev/null; then
      systemctl enable "$TLB_UNIT_NAME"
    fi
  else
    tlb_note "systemctl not found on $(tlb_host): $TLB_UNIT_FILE is written but nothing runs '$TLB_HELPER up' at boot"
  fi
}

tlb_persistence_remove() {
  if command -v systemctl >/dev/null 2>&1 && [ -e "$TLB_UNIT_FILE" ]; then
    # No stop: ExecStop would take the address off o-hm0, which the o-hm0 resource still owns.
    if systemctl is-enabled --quiet "$TLB_UNIT_NAME" 2>/dev/null; then systemctl disable "$TLB_UNIT_NAME"; fi
  fi
  tlb_remove_file "$TLB_UNIT_FILE"
  tlb_remove_file "$TLB_HELPER"
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
}
