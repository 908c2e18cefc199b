# shellcheck shell=bash disable=SC2154  # the TLB_* variables: quoted assignments that its module in components/node/ puts above this file
# The boot helper's entry point: `up` redoes what the o-hm0 and firewall scripts do (after waiting for Open
# vSwitch), `down` gives the address back and drops the rules. Run by the unit's ExecStart/ExecStop.

case "${1:-}" in
  up) tlb_ohm0_up; tlb_firewall_up ;;
  down) tlb_firewall_down; tlb_ohm0_release ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
