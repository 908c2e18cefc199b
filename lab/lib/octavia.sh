# shellcheck shell=bash
# Octavia: API (uwsgi), its certificates and configuration. The worker is
# started by start_octavia_worker (lib.sh: amphora-plane.sh restarts it too).
# Sourced by start.sh.

write_octavia_conf() {
  mkdir -p "$LC_ETC/octavia" "$LC_DATA/octavia"
  local drivers authtoken service_auth
  if [ "$COMPUTE" = 1 ]; then
    # Real ports: the VIP is a Neutron port (allowed address pairs), each
    # amphora a Nova server (fake virt driver) booted from the image tagged
    # "amphora" with flavor m1.nano, as user octavia in project service
    # (kolla's way). Only the amphora agent is noop: nothing answers on
    # 9443 in a fake server. The boot network and security group are in
    # $LC_ETC/octavia/amphora.conf (written by the compute set-up, which
    # knows their ids; the e2e points it at the stack's own).
    drivers="$(render octavia/drivers-nova.conf)"
  else
    drivers="$(render octavia/drivers-noop.conf)"
  fi
  authtoken="$(authtoken_section octavia)"
  service_auth="$(service_creds service_auth octavia CentralRegion)"
  render octavia/octavia.conf LC_RABBIT_URL LC_HOST LC_PORT_OCTAVIA DB_URL_BASE LC_DATA \
    drivers="$drivers" authtoken="$authtoken" service_auth="$service_auth" >"$LC_ETC/octavia/octavia.conf"
}

octavia_setup() {
  octavia-db-manage --config-file "$LC_ETC/octavia/octavia.conf" upgrade head
}

make_octavia_certs() {
  local d="$LC_DATA/octavia/certs"
  [ -s "$d/client.pem" ] && return 0
  log "generating Octavia CA and client certificate"
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
      -keyout ca.key -out ca.pem -subj "/CN=local-cloud octavia CA"
    openssl req -newkey rsa:2048 -nodes -sha256 \
      -keyout client.key -out client.csr -subj "/CN=octavia-controller"
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key \
      -CAcreateserial -days 3650 -sha256 -out client.crt
    # haproxy_amphora.client_cert wants certificate and key in one file.
    cat client.crt client.key >client.pem
    chmod 600 ./*.key client.pem
  ) >>"$(logfile_of octavia-certs)" 2>&1 || { log_tail octavia-certs; die "openssl failed"; }
}

start_octavia_api() {
  start_uwsgi octavia-api "$LC_PORT_OCTAVIA" /usr/bin/octavia-wsgi \
    "--config-file $LC_ETC/octavia/octavia.conf"
}
