# shellcheck shell=bash disable=SC2154  # the TLB_* variables: quoted assignments that its module in components/node/ puts above this file
# Firewall (guide step 3): accept the health-manager UDP port on o-hm0, IPv4 and IPv6, exactly once.
# Our rules carry a comment, so a re-run recognises them (and an old port's rule) without touching a rule an
# operator inserted by hand following the guide.

tlb_fw_tables() {
  command -v iptables >/dev/null 2>&1 || tlb_fail "iptables is not installed on $(tlb_host)"
  echo iptables
  if command -v ip6tables >/dev/null 2>&1; then echo ip6tables; else tlb_note "ip6tables is not installed; no IPv6 rule"; fi
}

tlb_fw_our_rules() { "$1" -w "$TLB_FW_WAIT" -S INPUT | awk -v c="--comment $TLB_FW_COMMENT " 'index($0 " ", c) && / -i o-hm0 /'; }

tlb_fw_delete_rule() {
  local table=$1 spec=$2
  local -a words
  read -r -a words <<<"${spec#-A }"
  "$table" -w "$TLB_FW_WAIT" -D "${words[@]}"
}

tlb_firewall_up() {
  local table rule
  for table in $(tlb_fw_tables); do
    while read -r rule; do
      [ -n "$rule" ] || continue
      case " $rule " in *" --dport $TLB_HM_PORT "*) continue ;; esac
      tlb_fw_delete_rule "$table" "$rule"
      tlb_note "$table: removed our earlier rule '$rule'"
    done < <(tlb_fw_our_rules "$table")
    if ! "$table" -w "$TLB_FW_WAIT" -C INPUT -i o-hm0 -p udp --dport "$TLB_HM_PORT" -m comment --comment "$TLB_FW_COMMENT" -j ACCEPT 2>/dev/null; then
      "$table" -w "$TLB_FW_WAIT" -I INPUT -i o-hm0 -p udp --dport "$TLB_HM_PORT" -m comment --comment "$TLB_FW_COMMENT" -j ACCEPT
      tlb_note "$table: accepting UDP $TLB_HM_PORT (Octavia heartbeats) on o-hm0"
    fi
  done
}

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
