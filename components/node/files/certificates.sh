# shellcheck shell=bash disable=SC2154  # the TLB_* variables: quoted assignments that its module in components/node/ puts above this file
# The region's amphora PKI in Octavia's certificate directory: the certificates program (octavia_certificates.py,
# called through tlb_certs, which the assembly defines around it) writes the files from standard input and records
# what it replaced; the restart after a change is the octavia.conf command's, which runs next (see certificates.ts).

tlb_certificates_apply() {
  tlb_need python3
  # /var/lib exists: only the deepest directory is new, and it is the one that must be private.
  # shellcheck disable=SC2174
  mkdir -p -m 0700 -- "$TLB_STATE_DIR"
  [ -f "$TLB_CONF" ] || tlb_fail "$TLB_CONF does not exist on $(tlb_host): is Octavia installed there? (octavia.configFile)"
  tlb_certs apply "$TLB_CERT_PARAMS"
  echo "CERTIFICATES ok"
}

tlb_certificates_restore() {
  tlb_need python3
  tlb_certs restore "$TLB_CERT_PARAMS" </dev/null
  # The octavia.conf command's delete, which runs before this one, leaves its restart to this command while the
  # certificates are still in place; a restored or removed file marks one more restart here.
  tlb_restart_octavia_if_pending
  tlb_rmdir_if_empty "$TLB_STATE_DIR"
}
