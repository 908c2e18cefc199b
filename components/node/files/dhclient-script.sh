#!/bin/bash
# shellcheck disable=SC2154  # dhclient hands reason, interface and the new_*/old_* values over in the environment
# Written by tricircle-lbaas: applies the address and MTU that DHCP gives o-hm0, nothing else.
set -u
prefix_of() {
  local mask=$1 bits=0 octet IFS=.
  for octet in $mask; do
    case $octet in
      255) bits=$((bits + 8)) ;; 254) bits=$((bits + 7)) ;; 252) bits=$((bits + 6)) ;;
      248) bits=$((bits + 5)) ;; 240) bits=$((bits + 4)) ;; 224) bits=$((bits + 3)) ;;
      192) bits=$((bits + 2)) ;; 128) bits=$((bits + 1)) ;;
    esac
  done
  echo "$bits"
}
case "${reason:-}" in
  PREINIT)
    ip link set dev "$interface" up
    ;;
  BOUND | RENEW | REBIND | REBOOT)
    if [ -n "${old_ip_address:-}" ] && [ "$old_ip_address" != "${new_ip_address:-}" ]; then
      ip addr del "$old_ip_address/$(prefix_of "${old_subnet_mask:-255.255.255.255}")" dev "$interface" 2>/dev/null
    fi
    if [ -n "${new_broadcast_address:-}" ]; then
      ip addr replace "$new_ip_address/$(prefix_of "$new_subnet_mask")" broadcast "$new_broadcast_address" dev "$interface"
    else
      ip addr replace "$new_ip_address/$(prefix_of "$new_subnet_mask")" dev "$interface"
    fi
    case "${new_interface_mtu:-}" in
      '' | *[!0-9]*) ;;
      *) [ "$new_interface_mtu" -ge 576 ] && ip link set dev "$interface" mtu "$new_interface_mtu" ;;
    esac
    ;;
  EXPIRE | FAIL | RELEASE | STOP)
    if [ -n "${old_ip_address:-}" ]; then
      ip addr del "$old_ip_address/$(prefix_of "${old_subnet_mask:-255.255.255.255}")" dev "$interface" 2>/dev/null
    fi
    ;;
esac
exit 0
