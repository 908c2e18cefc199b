# shellcheck shell=bash disable=SC2154  # the TLB_* variables: quoted assignments that its module in components/node/ puts above this file
# Drift check (read-only): what the o-hm0, firewall, persistence and octavia.conf scripts set up, compared with the
# node as it is now. Changes nothing: only reads Open vSwitch's database, the kernel's links, addresses and routes,
# the firewall (iptables -C), files and their hashes. Prints one line per difference, `DRIFT <concern> <what>`,
# then `CHECK done`; the heartbeat key, the PKI's passphrases and its private key files are compared by their SHA-256
# (on standard input), never printed. `CERT <path> <days-left>` lines tell how long each certificate file is valid.

tlb_drift() { printf 'DRIFT %s %s\n' "$1" "$2"; }

tlb_check_ohm0() {
  local bridge kv got mac addresses routes flags found=0 expected
  if ! ovs-vsctl --timeout=5 show >/dev/null 2>&1; then
    tlb_drift ohm0 "Open vSwitch does not answer on $(tlb_host)"
    return 0
  fi
  bridge=$(tlb_ovs port-to-br o-hm0 2>/dev/null) || bridge=""
  if [ -z "$bridge" ]; then
    tlb_drift ohm0 "o-hm0 is not a port of $TLB_BRIDGE"
    return 0
  fi
  [ "$bridge" = "$TLB_BRIDGE" ] || tlb_drift ohm0 "o-hm0 is on bridge $bridge, not $TLB_BRIDGE"
  [ "$(tlb_ohm0_origin)" = found ] && found=1
  # An adopted o-hm0's row is the operator's: only the port's identity on it is the stack's promise.
  expected=("external_ids:iface-id=$TLB_PORT_ID")
  if [ "$found" = 0 ]; then
    expected+=("type=internal" "mac=$TLB_MAC" "external_ids:iface-status=active" "external_ids:attached-mac=$TLB_MAC"
      "external_ids:skip_cleanup=true")
  fi
  for kv in "${expected[@]}"; do
    got=$(tlb_ovs_get "${kv%%=*}")
    [ "$got" = "${kv#*=}" ] || tlb_drift ohm0 "o-hm0's ${kv%%=*} is '${got}', not '${kv#*=}'"
  done
  if [ ! -e /sys/class/net/o-hm0 ]; then
    tlb_drift ohm0 "the o-hm0 device is missing"
    return 0
  fi
  mac=$(cat /sys/class/net/o-hm0/address 2>/dev/null) || mac=missing
  [ "$mac" = "$TLB_MAC" ] || tlb_drift ohm0 "o-hm0 has MAC $mac, not $TLB_MAC"
  flags=$(ip -o link show dev o-hm0 2>/dev/null) || flags=""
  case $flags in
    *"<UP,"* | *",UP,"* | *",UP>"* | *"<UP>"*) ;;
    *) tlb_drift ohm0 "o-hm0 is down" ;;
  esac
  addresses=$(tlb_global_addresses 2>/dev/null | tr '\n' ' ') || addresses=""
  addresses=${addresses% }
  [ "$addresses" = "$TLB_ADDRESS/$TLB_PREFIX" ] ||
    tlb_drift ohm0 "o-hm0 has address(es) '${addresses:-none}', not $TLB_ADDRESS/$TLB_PREFIX"
  routes="$(ip -4 route show default dev o-hm0 2>/dev/null)$(ip -6 route show default dev o-hm0 2>/dev/null)"
  [ -z "$routes" ] || tlb_drift ohm0 "a default route points at o-hm0"
  # On an adopted o-hm0 the operator's dhclient may hold the lease.
  if [ "$TLB_ADDRESSING" = dhcp ] && ! tlb_dhclient_running && { [ "$found" = 0 ] || [ -z "$(tlb_ohm0_dhclients)" ]; }; then
    tlb_drift ohm0 "no dhclient holds o-hm0's lease"
  fi
  return 0
}

tlb_check_firewall() {
  local table found
  found=$(tlb_fw_found_tables)
  for table in iptables ip6tables; do
    command -v "$table" >/dev/null 2>&1 || continue
    tlb_fw_our_rule_exists "$table" && continue
    # The operator's rule that an adopting create found counts as the rule.
    grep -qxF -- "$table" <<<"$found" && tlb_fw_plain_rule_exists "$table" && continue
    tlb_drift firewall "$table has no rule accepting UDP $TLB_HM_PORT on o-hm0"
  done
  return 0
}

tlb_check_file() {
  local path=$1 mode=$2 sha=$3 got
  if [ ! -f "$path" ] || [ -L "$path" ]; then
    tlb_drift persistence "$path is missing"
    return 0
  fi
  got=$(sha256sum -- "$path" | awk '{ print $1 }')
  [ "$got" = "$sha" ] || tlb_drift persistence "$path differs from what the stack wrote"
  got=$(stat -c %a -- "$path")
  [ "$got" = "$mode" ] || tlb_drift persistence "$path has mode $got, not $mode"
  return 0
}

tlb_check_persistence() {
  tlb_check_file "$TLB_UNIT_FILE" 644 "$TLB_UNIT_SHA"
  tlb_check_file "$TLB_HELPER" 755 "$TLB_HELPER_SHA"
  if command -v systemctl >/dev/null 2>&1 && [ -f "$TLB_UNIT_FILE" ]; then
    systemctl is-enabled --quiet "$TLB_UNIT_NAME" 2>/dev/null || tlb_drift persistence "$TLB_UNIT_NAME is not enabled"
  fi
  return 0
}

tlb_check_octavia_conf() {
  local out line
  if [ ! -f "$TLB_CONF" ]; then
    tlb_drift octavia-conf "$TLB_CONF is missing"
    return 0
  fi
  if ! out=$(tlb_merge check "$TLB_CONF" "$TLB_STATE" "$TLB_BACKUP" "$TLB_PENDING" "$TLB_SETTINGS" 2>&1 <<<"$TLB_CHECK_INPUT"); then
    tlb_drift octavia-conf "$TLB_CONF could not be checked: $(tail -n 1 <<<"$out")"
    return 0
  fi
  while IFS= read -r line; do
    case $line in "DIFFERS "*) tlb_drift octavia-conf "${line#DIFFERS }" ;; esac
  done <<<"$out"
  [ ! -e "$TLB_PENDING" ] || tlb_drift octavia-conf "an Octavia restart is still pending"
  return 0
}

# The certificate files (when the stack delivers them) by SHA-256, mode and owner, then `CERT <path> <days-left>`
# for every certificate file found, the delivered ones and those octavia.conf points to (octavia_certificates.py).
tlb_check_certificates() {
  local out line rc=0
  out=$(tlb_certs check "$TLB_CERT_CHECK" <<<"$TLB_CHECK_INPUT") || rc=$?
  while IFS= read -r line; do
    case $line in "DRIFT certificates "* | "CERT "* | "NOTE "*) printf '%s\n' "$line" ;; esac
  done <<<"$out"
  if [ "$rc" != 0 ]; then
    if [ "$TLB_CERT_MANAGED" = 1 ]; then
      tlb_drift certificates "the certificate files could not be checked (exit $rc)"
    else
      echo "NOTE the certificates octavia.conf names could not be checked (exit $rc)"
    fi
  fi
  return 0
}

tlb_check_all() {
  # Read once: the octavia.conf and certificate checks each take the digests they need from it.
  TLB_CHECK_INPUT=$(cat)
  tlb_check_ohm0
  tlb_check_firewall
  tlb_check_persistence
  tlb_check_certificates
  tlb_check_octavia_conf
  echo "CHECK done"
}
