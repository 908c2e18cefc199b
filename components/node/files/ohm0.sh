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

# Who made o-hm0, as recorded in TLB_OHM0_ORIGIN: "made" (this stack added it) or "found" (it was there, carrying
# the port, and was adopted); empty when there is no record. The record is what tells the stack's own earlier work,
# which a re-run converges and the delete removes, from a plane made by hand, which is refused unless adopted and
# then left as it is, also by the delete.
tlb_ohm0_origin() {
  if [ -f "$TLB_OHM0_ORIGIN" ]; then cat -- "$TLB_OHM0_ORIGIN"; fi
  return 0
}

tlb_ohm0_record_origin() {
  # /var/lib exists: only the deepest directory is new, and it is the one that must be private.
  # shellcheck disable=SC2174
  mkdir -p -m 0700 -- "$TLB_STATE_DIR"
  printf '%s\n' "$1" >"$TLB_OHM0_ORIGIN.tmp"
  mv -f -- "$TLB_OHM0_ORIGIN.tmp" "$TLB_OHM0_ORIGIN"
}

# A node the stack configured before it kept the origin record: its other files are there (the octavia.conf record
# in the state directory, the dhclient files in the configuration directory). A node set up by hand has none of them.
tlb_stack_was_here() {
  [ -d "$TLB_CONFIG_DIR" ] && return 0
  [ -d "$TLB_STATE_DIR" ] && [ -n "$(ls -A -- "$TLB_STATE_DIR" 2>/dev/null)" ]
}

# Process ids of the dhclients for o-hm0 in this network namespace, whoever started them.
tlb_ohm0_dhclients() {
  local d own args
  own=$(readlink /proc/self/ns/net 2>/dev/null) || own=""
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = dhclient ] || continue
    [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$own" ] || continue
    args=$(tr '\0' '\n' <"$d/cmdline" 2>/dev/null) || continue
    grep -qx -- o-hm0 <<<"$args" && echo "${d#/proc/}"
  done
  return 0
}

tlb_ovs_get() {
  local v
  v=$(tlb_ovs --if-exists get Interface o-hm0 "$1" 2>/dev/null) || v=""
  v=${v#\"}
  printf '%s' "${v%\"}"
}

# Looks before changing anything: whose is the o-hm0 on this node, if there is one? Sets TLB_OHM0_FOUND to 1 for an
# adopted o-hm0 (used as found from then on), 0 for the stack's own; fails, having changed nothing, for an o-hm0
# that carries another port (adopt or not: one node serves one health-manager port) and, without adopt, for one
# made by hand.
tlb_ohm0_claim() {
  local origin bridge iface_id attached device_mac=""
  TLB_OHM0_FOUND=0
  origin=$(tlb_ohm0_origin)
  bridge=$(tlb_ovs port-to-br o-hm0 2>/dev/null) || bridge=""
  if [ -z "$bridge" ] && [ ! -e /sys/class/net/o-hm0 ]; then
    # Nothing there (first create, or the stack's or the operator's o-hm0 is gone): what the create adds is the stack's.
    [ "$origin" = made ] || tlb_ohm0_record_origin made
    return 0
  fi
  [ "$origin" = made ] && return 0
  if [ -z "$origin" ] && tlb_stack_was_here; then
    tlb_ohm0_record_origin made
    return 0
  fi
  [ -n "$bridge" ] ||
    tlb_fail "o-hm0 exists on $(tlb_host) but is no Open vSwitch port; it was not made by this stack and is left alone: remove it, or make it the guide's port on $TLB_BRIDGE"
  [ "$bridge" = "$TLB_BRIDGE" ] ||
    tlb_fail "o-hm0 already exists on bridge $bridge, not $TLB_BRIDGE; remove it (ovs-vsctl del-port $bridge o-hm0) or set ovsBridge to $bridge"
  iface_id=$(tlb_ovs_get external_ids:iface-id)
  attached=$(tlb_ovs_get external_ids:attached-mac)
  [ -e /sys/class/net/o-hm0 ] && device_mac=$(cat /sys/class/net/o-hm0/address 2>/dev/null)
  if [ "$iface_id" != "$TLB_PORT_ID" ]; then
    tlb_fail "o-hm0 on $(tlb_host) carries external-ids:iface-id '${iface_id:-none}', not Neutron port $TLB_PORT_ID: this node already serves another health-manager port; the stack changes nothing here (adopt takes over only an o-hm0 that carries the stack's port)"
  fi
  if [ -n "$attached" ] && [ "$attached" != "$TLB_MAC" ]; then
    tlb_fail "o-hm0 on $(tlb_host) carries external-ids:attached-mac $attached, not $TLB_MAC of Neutron port $TLB_PORT_ID: this node already serves another health-manager port; the stack changes nothing here"
  fi
  # After a reboot an adopted o-hm0 comes back with a random MAC: the record says it is the port's, the MAC is set again.
  if [ "$origin" != found ] && [ -n "$device_mac" ] && [ "$device_mac" != "$TLB_MAC" ]; then
    tlb_fail "o-hm0 on $(tlb_host) has MAC $device_mac, not $TLB_MAC of Neutron port $TLB_PORT_ID: this node already serves another health-manager port; the stack changes nothing here"
  fi
  if [ "$origin" != found ]; then
    [ "$TLB_ADOPT" = 1 ] ||
      tlb_fail "o-hm0 on $(tlb_host) already carries Neutron port $TLB_PORT_ID (iface-id and MAC $TLB_MAC) but was not made by this stack (no record in $TLB_STATE_DIR): it was set up by hand; set tricircle-lbaas:adopt: true to take it over as it is"
    tlb_ohm0_record_origin found
    tlb_note "o-hm0 on $TLB_BRIDGE already carries Neutron port $TLB_PORT_ID: adopted as found (no link, MAC or address change)"
  fi
  TLB_OHM0_FOUND=1
}

# The guide's ovs-vsctl line, plus the OVS "mac" column so ovs-vswitchd itself gives a
# recreated device the port's MAC. Skipped when the row already says all of it.
tlb_ohm0_port() {
  local current kv needed=0
  # An adopted port row stays as the operator wrote it (the delete leaves it so); its identity was checked.
  [ "${TLB_OHM0_FOUND:-0}" = 1 ] && return 0
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
  # Router advertisements on the management network must not give the controller a route. (An adopted o-hm0 keeps
  # its setting, which the delete could not give back; the verify below still refuses a default route on it.)
  if [ "${TLB_OHM0_FOUND:-0}" = 0 ] && [ -w /proc/sys/net/ipv6/conf/o-hm0/accept_ra ] && [ "$(cat /proc/sys/net/ipv6/conf/o-hm0/accept_ra)" != 0 ]; then
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
  if [ "${TLB_OHM0_FOUND:-0}" = 1 ]; then
    # On an adopted o-hm0 an address the operator added stays (the verify names it); the port's is added if missing.
    if tlb_global_addresses | grep -qxF -- "$want"; then return 0; fi
  else
    tlb_ohm0_drop_foreign_addresses "$want"
    [ "$(tlb_global_addresses)" = "$want" ] && return 0
  fi
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

# The pids of dhclients for o-hm0 that this stack did not start (the operator's, on an adopted node).
tlb_foreign_dhclients() {
  local own="" pid
  tlb_dhclient_running && own=$(cat "$TLB_DHCLIENT_PID")
  for pid in $(tlb_ohm0_dhclients); do
    [ "$pid" = "$own" ] || echo "$pid"
  done
  return 0
}

tlb_ohm0_dhcp() {
  local want="$TLB_ADDRESS/$TLB_PREFIX" foreign
  # An adopted o-hm0 whose lease the operator's dhclient holds: that dhclient is left running and keeps renewing with
  # its own configuration, and no second one starts. Taking its lease over would mean stopping it, and a dhclient
  # that stops runs its script's STOP or RELEASE, which takes the address off o-hm0: heartbeats would be lost.
  if [ "${TLB_OHM0_FOUND:-0}" = 1 ] && ! tlb_dhclient_running; then
    foreign=$(tlb_foreign_dhclients | tr '\n' ' ')
    if [ -n "$foreign" ]; then
      [ "$(tlb_global_addresses)" = "$want" ] ||
        tlb_fail "o-hm0 on $(tlb_host) has address(es) '$(tlb_global_addresses | tr '\n' ' ')' from a dhclient this stack did not start (pid ${foreign% }), not $want of Neutron port $TLB_PORT_ID; the stack starts no second dhclient"
      tlb_note "o-hm0's lease is held by a dhclient this stack did not start (pid ${foreign% }); left running"
      return 0
    fi
  fi
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

# A node serves one stack: another stack's o-hm0 and octavia.conf keys are not this one's to move or rewrite.
tlb_owner_found() {
  if [ -f "$TLB_OWNER_FILE" ]; then head -n 1 -- "$TLB_OWNER_FILE"; fi
}
tlb_owner_check() {
  local found
  found=$(tlb_owner_found)
  if [ -n "$found" ] && [ "$found" != "$TLB_OWNER" ]; then
    tlb_fail "$(tlb_host) serves the stack $found (its o-hm0 and octavia.conf keys), so the stack $TLB_OWNER changes nothing here: name this controller in one stack only. The claim goes when $found is destroyed or no longer names this host; if that stack no longer exists anywhere, remove $TLB_OWNER_FILE on the node"
  fi
}
tlb_owner_claim() {
  printf '%s\n' "$TLB_OWNER" | tlb_install_file 644 "$TLB_OWNER_FILE"
}
tlb_owner_release() {
  [ "$(tlb_owner_found)" = "$TLB_OWNER" ] && tlb_remove_file "$TLB_OWNER_FILE"
  return 0
}

tlb_ohm0_up() {
  tlb_need ovs-vsctl ovs-appctl ip awk
  [ "$TLB_ADDRESSING" = dhcp ] && tlb_need dhclient
  tlb_owner_check
  tlb_ovs_ready
  tlb_check_hostname
  tlb_check_mac_unused
  tlb_ohm0_claim
  tlb_ohm0_port
  tlb_ohm0_link
  tlb_ohm0_address
  tlb_ohm0_verify
  tlb_owner_claim
}

# What the unit's ExecStop does: give the address back, keep the port.
tlb_ohm0_release() {
  if [ "$(tlb_ohm0_origin)" = found ]; then
    # An adopted o-hm0 keeps its address: stop only a dhclient this stack started (after a reboot, say), by SIGKILL,
    # which runs no script, so the address stays, as the operator had it.
    if tlb_dhclient_running; then kill -9 "$(cat "$TLB_DHCLIENT_PID")" 2>/dev/null || true; fi
    rm -f -- "$TLB_DHCLIENT_PID"
    return 0
  fi
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
  local current origin
  tlb_owner_check
  origin=$(tlb_ohm0_origin)
  tlb_ohm0_release
  rm -f -- "$TLB_DHCLIENT_PID" "$TLB_DHCLIENT_LOG"
  tlb_remove_file "$TLB_DHCLIENT_LEASE"
  tlb_remove_file "$TLB_DHCLIENT_CONF"
  tlb_remove_file "$TLB_DHCLIENT_SCRIPT"
  if [ "$origin" = found ]; then
    tlb_note "o-hm0 was found carrying the port, not made by this stack: left as it is"
  elif ! command -v ovs-vsctl >/dev/null 2>&1; then
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
  tlb_remove_file "$TLB_OHM0_ORIGIN"
  tlb_owner_release
  tlb_rmdir_if_empty "$TLB_RUN_DIR"
  tlb_rmdir_if_empty "$TLB_STATE_DIR"
  tlb_rmdir_if_empty "$TLB_CONFIG_DIR"
}
