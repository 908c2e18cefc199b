# shellcheck shell=bash disable=SC2154  # the TLB_* variables: quoted assignments that its module in components/node/ puts above this file
# o-hm0 (guide step 3): the OVS internal port with the Neutron port's identity, its MAC and address; verified.

tlb_ovs() { ovs-vsctl --timeout="$TLB_OVS_TIMEOUT" "$@"; }

# Both daemons must answer: ovsdb-server for the port row, ovs-vswitchd to create the device.
tlb_ovs_ready() {
  local deadline=$((SECONDS + TLB_OVS_WAIT)) problem
  while :; do
    if ! problem=$(ovs-vsctl --timeout=5 show 2>&1 >/dev/null); then
      problem="ovsdb-server does not answer (${problem:-no message})"
    elif ! problem=$(ovs-appctl --timeout=5 -t ovs-vswitchd version 2>&1 >/dev/null); then
      problem="ovs-vswitchd does not answer (${problem:-no message})"
    else
      problem=""
    fi
    [ -z "$problem" ] && break
    [ "$SECONDS" -ge "$deadline" ] && tlb_fail "Open vSwitch is not running on $(tlb_host): $problem"
    sleep 1
  done
  ovs-vsctl --timeout=5 br-exists "$TLB_BRIDGE" ||
    tlb_fail "Open vSwitch bridge $TLB_BRIDGE does not exist on $(tlb_host) (ovsBridge in the stack configuration)"
}

tlb_check_hostname() {
  local short full
  [ -n "$TLB_HOSTNAME" ] || return 0
  short=$(hostname -s 2>/dev/null || true)
  full=$(hostname -f 2>/dev/null || true)
  if [ "$TLB_HOSTNAME" != "$short" ] && [ "$TLB_HOSTNAME" != "$full" ] && [ "$TLB_HOSTNAME" != "$(tlb_host)" ]; then
    tlb_note "warning: the port is bound to host '$TLB_HOSTNAME' but this host calls itself '$(tlb_host)'; unless the Neutron agent here sets host=$TLB_HOSTNAME, the port will not be wired"
  fi
}

# A second device with the port's MAC on the same L2 breaks both; refuse before changing anything.
tlb_check_mac_unused() {
  local links name
  links=$(ip -o link show)
  while read -r name; do
    if [ -n "$name" ] && [ "$name" != o-hm0 ]; then
      tlb_fail "MAC $TLB_MAC of Neutron port $TLB_PORT_ID is already used by interface $name on $(tlb_host); refusing to create o-hm0 with the same address"
    fi
  done < <(awk -v mac="$TLB_MAC" '{
      for (i = 1; i < NF; i++) if ($i == "link/ether" && tolower($(i + 1)) == mac) {
        n = $2; sub(/:$/, "", n); sub(/@.*/, "", n); print n
      }
    }' <<<"$links")
  while read -r name; do
    if [ -n "$name" ] && [ "$name" != o-hm0 ]; then
      tlb_fail "MAC $TLB_MAC of Neutron port $TLB_PORT_ID is already claimed by Open vSwitch interface $name (external_ids:attached-mac) on $(tlb_host)"
    fi
  done < <(tlb_ovs --bare --columns=name find Interface "external_ids:attached-mac=\"$TLB_MAC\"")
  return 0
}

tlb_ovs_get() {
  local v
  v=$(tlb_ovs --if-exists get Interface o-hm0 "$1" 2>/dev/null) || v=""
  v=${v#\"}
  printf '%s' "${v%\"}"
}

# The guide's ovs-vsctl line, plus the OVS "mac" column so ovs-vswitchd itself gives a
# recreated device the port's MAC. Skipped when the row already says all of it.
tlb_ohm0_port() {
  local current kv needed=0
  current=$(tlb_ovs port-to-br o-hm0 2>/dev/null) || current=""
  if [ -n "$current" ] && [ "$current" != "$TLB_BRIDGE" ]; then
    tlb_fail "o-hm0 already exists on bridge $current, not $TLB_BRIDGE; remove it (ovs-vsctl del-port $current o-hm0) or set ovsBridge to $current"
  fi
  [ -n "$current" ] || needed=1
  for kv in "type=internal" "mac=$TLB_MAC" "external_ids:iface-status=active" "external_ids:attached-mac=$TLB_MAC" \
    "external_ids:iface-id=$TLB_PORT_ID" "external_ids:skip_cleanup=true"; do
    [ "$needed" = 1 ] && break
    [ "$(tlb_ovs_get "${kv%%=*}")" = "${kv#*=}" ] || needed=1
  done
  [ "$needed" = 1 ] || return 0
  tlb_ovs -- --may-exist add-port "$TLB_BRIDGE" o-hm0 -- set Interface o-hm0 type=internal \
    "mac=\"$TLB_MAC\"" external_ids:iface-status=active "external_ids:attached-mac=\"$TLB_MAC\"" \
    "external_ids:iface-id=\"$TLB_PORT_ID\"" external_ids:skip_cleanup=true
  tlb_note "o-hm0 is a port of $TLB_BRIDGE for Neutron port $TLB_PORT_ID"
}

tlb_ohm0_link() {
  local deadline=$((SECONDS + TLB_LINK_WAIT)) mac flags
  until [ -e /sys/class/net/o-hm0 ]; do
    [ "$SECONDS" -ge "$deadline" ] &&
      tlb_fail "o-hm0 did not appear within ${TLB_LINK_WAIT}s of adding it to $TLB_BRIDGE; see ovs-vswitchd's log on $(tlb_host)"
    sleep 0.2
  done
  mac=$(cat /sys/class/net/o-hm0/address)
  if [ "$mac" != "$TLB_MAC" ]; then
    ip link set dev o-hm0 address "$TLB_MAC"
    TLB_MAC_CHANGED=1
    tlb_note "o-hm0 MAC set to $TLB_MAC (was $mac)"
  fi
  # Router advertisements on the management network must not give the controller a route.
  if [ -w /proc/sys/net/ipv6/conf/o-hm0/accept_ra ] && [ "$(cat /proc/sys/net/ipv6/conf/o-hm0/accept_ra)" != 0 ]; then
    echo 0 >/proc/sys/net/ipv6/conf/o-hm0/accept_ra
  fi
  flags=$(ip -o link show dev o-hm0)
  case $flags in
    *"<UP,"* | *",UP,"* | *",UP>"* | *"<UP>"*) ;;
    *) ip link set dev o-hm0 up ;;
  esac
}

tlb_global_addresses() { ip -o addr show dev o-hm0 scope global | awk '{ print $4 }' | sort; }

# o-hm0 carries the port's address only: an address someone else put there would make the health
# manager bind or answer from the wrong one.
tlb_ohm0_drop_foreign_addresses() {
  local want=$1 address
  for address in $(tlb_global_addresses); do
    [ "$address" = "$want" ] && continue
    ip addr del "$address" dev o-hm0
    tlb_note "removed $address from o-hm0"
  done
}

tlb_ohm0_static() {
  local want="$TLB_ADDRESS/$TLB_PREFIX"
  tlb_ohm0_drop_foreign_addresses "$want"
  [ "$(tlb_global_addresses)" = "$want" ] && return 0
  if [ "$TLB_FAMILY" = 6 ]; then
    ip -6 addr add "$want" dev o-hm0 nodad
  else
    ip addr add "$want" dev o-hm0
  fi
  tlb_note "o-hm0 has $want"
}

tlb_dhclient_running() {
  local pid cmdline
  [ -s "$TLB_DHCLIENT_PID" ] || return 1
  pid=$(cat "$TLB_DHCLIENT_PID")
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *dhclient*"$TLB_DHCLIENT_PID"* ]]
}

tlb_dhclient_stop() {
  local pid deadline=$((SECONDS + 10))
  tlb_dhclient_running || return 0
  pid=$(cat "$TLB_DHCLIENT_PID")
  kill "$pid" 2>/dev/null || true
  while [ -d "/proc/$pid" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -f -- "$TLB_DHCLIENT_PID"
  return 0
}

tlb_ohm0_dhcp() {
  local want="$TLB_ADDRESS/$TLB_PREFIX"
  mkdir -p -- "$TLB_CONFIG_DIR" "$TLB_STATE_DIR" "$TLB_RUN_DIR"
  tlb_write_dhclient_files
  if tlb_dhclient_running && [ "${TLB_MAC_CHANGED:-0}" = 0 ] && [ "$(tlb_global_addresses)" = "$want" ]; then
    return 0
  fi
  tlb_dhclient_stop
  tlb_ohm0_drop_foreign_addresses "$want"
  : >"$TLB_DHCLIENT_LOG"
  # -1: one attempt, bounded by "timeout" in the config; dhclient daemonizes once it holds a lease.
  if ! timeout -k 5 $((TLB_DHCP_WAIT + 10)) dhclient -1 -v -cf "$TLB_DHCLIENT_CONF" -sf "$TLB_DHCLIENT_SCRIPT" \
    -lf "$TLB_DHCLIENT_LEASE" -pf "$TLB_DHCLIENT_PID" o-hm0 </dev/null >>"$TLB_DHCLIENT_LOG" 2>&1; then
    tlb_fail "o-hm0 got no DHCP lease within ${TLB_DHCP_WAIT}s (MAC $TLB_MAC): is Neutron's DHCP agent serving the management subnet, and is port $TLB_PORT_ID bound to $(tlb_host)? dhclient: $(tail -n 4 "$TLB_DHCLIENT_LOG" | tr '\n' ' ')"
  fi
  tlb_note "o-hm0 leased an address by DHCP"
}

tlb_ohm0_address() {
  if [ "$TLB_ADDRESSING" = dhcp ]; then tlb_ohm0_dhcp; else tlb_ohm0_static; fi
}

# The promise of this concern: o-hm0 carries exactly the Neutron port's MAC and address, and no
# default route. The last line is what ControllerNode reads back as its ip and mac outputs.
tlb_ohm0_verify() {
  local deadline=$((SECONDS + TLB_VERIFY_WAIT)) mac addresses details routes
  while :; do
    mac=$(cat /sys/class/net/o-hm0/address 2>/dev/null) || mac=missing
    addresses=$(tlb_global_addresses | tr '\n' ' ') || addresses=""
    addresses=${addresses% }
    # Only the port's own address must be past duplicate address detection; the link-local one may lag.
    details=$(ip -o addr show dev o-hm0 scope global 2>/dev/null) || details=""
    if [ "$mac" = "$TLB_MAC" ] && [ "$addresses" = "$TLB_ADDRESS/$TLB_PREFIX" ] && [[ $details != *tentative* ]]; then
      break
    fi
    [ "$SECONDS" -ge "$deadline" ] &&
      tlb_fail "o-hm0 on $(tlb_host) does not match Neutron port $TLB_PORT_ID: o-hm0 has MAC $mac and address(es) '${addresses:-none}', the port has MAC $TLB_MAC and $TLB_ADDRESS/$TLB_PREFIX"
    sleep 0.5
  done
  routes="$(ip -4 route show default dev o-hm0 2>/dev/null)$(ip -6 route show default dev o-hm0 2>/dev/null)"
  [ -z "$routes" ] || tlb_fail "a default route points at o-hm0 on $(tlb_host) ($routes); something other than this stack configures o-hm0 (NetworkManager?)"
  printf 'OHM0 ip=%s prefix=%s mac=%s\n' "${addresses%/*}" "${addresses#*/}" "$mac"
}

tlb_ohm0_up() {
  tlb_need ovs-vsctl ovs-appctl ip awk
  [ "$TLB_ADDRESSING" = dhcp ] && tlb_need dhclient
  tlb_ovs_ready
  tlb_check_hostname
  tlb_check_mac_unused
  tlb_ohm0_port
  tlb_ohm0_link
  tlb_ohm0_address
  tlb_ohm0_verify
}

# What the unit's ExecStop does: give the address back, keep the port.
tlb_ohm0_release() {
  if [ "$TLB_ADDRESSING" = dhcp ]; then
    if tlb_dhclient_running; then
      timeout -k 5 15 dhclient -r -cf "$TLB_DHCLIENT_CONF" -sf "$TLB_DHCLIENT_SCRIPT" -lf "$TLB_DHCLIENT_LEASE" \
        -pf "$TLB_DHCLIENT_PID" o-hm0 </dev/null >>"$TLB_DHCLIENT_LOG" 2>&1 || true
      tlb_dhclient_stop
    fi
  fi
  if [ -e /sys/class/net/o-hm0 ]; then
    local address
    for address in $(tlb_global_addresses); do ip addr del "$address" dev o-hm0; done
  fi
  return 0
}

tlb_ohm0_remove() {
  local current
  tlb_ohm0_release
  rm -f -- "$TLB_DHCLIENT_PID" "$TLB_DHCLIENT_LOG"
  tlb_remove_file "$TLB_DHCLIENT_LEASE"
  tlb_remove_file "$TLB_DHCLIENT_CONF"
  tlb_remove_file "$TLB_DHCLIENT_SCRIPT"
  if ! command -v ovs-vsctl >/dev/null 2>&1; then
    tlb_note "ovs-vsctl is not installed; no o-hm0 port to remove"
  else
    tlb_ovs_ready
    current=$(tlb_ovs port-to-br o-hm0 2>/dev/null) || current=""
    if [ "$current" = "$TLB_BRIDGE" ]; then
      tlb_ovs del-port "$TLB_BRIDGE" o-hm0
      tlb_note "removed o-hm0 from $TLB_BRIDGE"
    elif [ -n "$current" ]; then
      tlb_note "o-hm0 is on bridge $current, not $TLB_BRIDGE; left alone"
    fi
  fi
  tlb_rmdir_if_empty "$TLB_RUN_DIR"
  tlb_rmdir_if_empty "$TLB_STATE_DIR"
  tlb_rmdir_if_empty "$TLB_CONFIG_DIR"
}
