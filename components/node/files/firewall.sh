# shellcheck shell=bash disable=SC2154  # the TLB_* variables: quoted assignments that its module in components/node/ puts above this file
# Firewall (guide step 3): accept the health-manager UDP port on o-hm0, IPv4 and IPv6, exactly once.
# Our rules carry a comment, so a re-run recognises them (and an old port's rule) without touching a rule an
# operator inserted by hand following the guide. On an adopted node (TLB_ADOPT=1) such a rule, equal to ours but for
# the comment, is that rule: recorded in TLB_FW_FOUND, not doubled, and never removed.

tlb_fw_tables() {
  command -v iptables >/dev/null 2>&1 || tlb_fail "iptables is not installed on $(tlb_host)"
  echo iptables
  if command -v ip6tables >/dev/null 2>&1; then echo ip6tables; else tlb_note "ip6tables is not installed; no IPv6 rule"; fi
}

tlb_fw_our_rules() { "$1" -w "$TLB_FW_WAIT" -S INPUT | awk -v c="--comment $TLB_FW_COMMENT " 'index($0 " ", c) && / -i o-hm0 /'; }

tlb_fw_our_rule_exists() {
  "$1" -w "$TLB_FW_WAIT" -C INPUT -i o-hm0 -p udp --dport "$TLB_HM_PORT" -m comment --comment "$TLB_FW_COMMENT" -j ACCEPT 2>/dev/null
}

# The guide's rule: `iptables -I INPUT -i o-hm0 -p udp --dport 5555 -j ACCEPT`, no comment.
tlb_fw_plain_rule_exists() { "$1" -w "$TLB_FW_WAIT" -C INPUT -i o-hm0 -p udp --dport "$TLB_HM_PORT" -j ACCEPT 2>/dev/null; }

# The tables whose heartbeat rule was found (the operator's), one a line.
tlb_fw_found_tables() {
  if [ -f "$TLB_FW_FOUND" ]; then cat -- "$TLB_FW_FOUND"; fi
  return 0
}

tlb_fw_delete_rule() {
  local table=$1 spec=$2
  local -a words
  read -r -a words <<<"${spec#-A }"
  "$table" -w "$TLB_FW_WAIT" -D "${words[@]}"
}

tlb_firewall_up() {
  local table rule found="" before
  before=$(tlb_fw_found_tables)
  for table in $(tlb_fw_tables); do
    while read -r rule; do
      [ -n "$rule" ] || continue
      case " $rule " in *" --dport $TLB_HM_PORT "*) continue ;; esac
      tlb_fw_delete_rule "$table" "$rule"
      tlb_note "$table: removed our earlier rule '$rule'"
    done < <(tlb_fw_our_rules "$table")
    tlb_fw_our_rule_exists "$table" && continue
    # Adopted (now, or by an earlier run that recorded it): the operator's rule is the rule.
    if { [ "$TLB_ADOPT" = 1 ] || grep -qxF -- "$table" <<<"$before"; } && tlb_fw_plain_rule_exists "$table"; then
      found="$found$table"$'\n'
      grep -qxF -- "$table" <<<"$before" || tlb_note "$table: an operator's rule already accepts UDP $TLB_HM_PORT on o-hm0; reused as found"
      continue
    fi
    "$table" -w "$TLB_FW_WAIT" -I INPUT -i o-hm0 -p udp --dport "$TLB_HM_PORT" -m comment --comment "$TLB_FW_COMMENT" -j ACCEPT
    tlb_note "$table: accepting UDP $TLB_HM_PORT (Octavia heartbeats) on o-hm0"
  done
  if [ -n "$found" ]; then
    # /var/lib exists: only the deepest directory is new, and it is the one that must be private.
    # shellcheck disable=SC2174
    mkdir -p -m 0700 -- "$(dirname -- "$TLB_FW_FOUND")"
    printf '%s' "$found" | tlb_install_file 600 "$TLB_FW_FOUND"
  else
    tlb_remove_file "$TLB_FW_FOUND"
  fi
}

# Our rules only (the unit's ExecStop too): a found rule is the operator's and stays.
tlb_firewall_down() {
  local table rule
  for table in $(tlb_fw_tables); do
    while read -r rule; do
      [ -n "$rule" ] || continue
      tlb_fw_delete_rule "$table" "$rule"
      tlb_note "$table: removed '$rule'"
    done < <(tlb_fw_our_rules "$table")
  done
}

# The delete: our rules, and the record of the found ones.
tlb_firewall_remove() {
  tlb_firewall_down
  tlb_remove_file "$TLB_FW_FOUND"
}
