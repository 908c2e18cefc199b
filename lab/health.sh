#!/usr/bin/env bash
# Checks that every API of the local cloud answers, through the openstack
# CLI as admin (cloud "local" of .local-cloud/clouds.yaml): a Keystone token,
# `network list` in each region, `loadbalancer list`; when the compute part
# runs (or --with-compute is given): compute services, hypervisors, images,
# the Neutron OVS agents (each alive/up). Runs every check, prints the
# output of those that failed, exits non-zero if any did.
#
#   lab/health.sh [--with-compute] [--smoke]
#
# --smoke also exercises the cloud end to end and cleans up after itself:
# a network and subnet in CentralRegion, a load balancer in RegionOne with a
# listener, a pool and members (all must reach ACTIVE) and, with compute, one
# server per compute host/availability zone on that central network (ACTIVE,
# port bound by the OVS agent: binding:vif_type ovs, binding:host_id = host).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Checks run side by side (each CLI call is ~1.5 s of client start-up and
# authentication; 2 cores): every check writes its result under $OUT.
OUT=""
declare -a LABELS=()

# check LABEL ARGS...: `openstack ARGS...` in the background, bounded (a
# hung API must not hang us).
check() {
  local label="$1" n="${#LABELS[@]}"; shift
  LABELS+=("$label")
  (
    if timeout 60 openstack "$@" >"$OUT/$n.out" 2>&1; then echo ok >"$OUT/$n.rc"
    else echo fail >"$OUT/$n.rc"; fi
  ) &
}

# End-to-end smoke test through openstacksdk (one process: a CLI call per
# step would take a minute). Everything it creates is named lc-smoke-* and
# deleted at the end, also on failure.
smoke() {
  COMPUTE="$1" LC_COMPUTE_HOSTS="${LC_COMPUTE_HOSTS[*]}" LC_COMPUTE_AZS="${LC_COMPUTE_AZS[*]}" \
  IMAGE_NAME="${LOCAL_CLOUD_IMAGE_NAME:-cirros}" timeout 600 /usr/bin/python3 - <<'PY'
import os, sys, time
import openstack

E = os.environ
central = openstack.connect(cloud="local", region_name="CentralRegion")
r1 = openstack.connect(cloud="local", region_name="RegionOne")
compute = E["COMPUTE"] == "1"
t0 = time.time()


def say(msg):
    print(f"[local-cloud {time.strftime('%H:%M:%S')}] smoke: {msg} ({time.time() - t0:.1f} s)",
          file=sys.stderr, flush=True)


def lb_active(lb_id):
    r1.load_balancer.wait_for_load_balancer(lb_id, status="ACTIVE", failures=["ERROR"],
                                            interval=1, wait=120)


def gone(get, rid, bound=120):
    deadline = time.time() + bound
    while time.time() < deadline:
        try:
            res = get(rid)
        except openstack.exceptions.NotFoundException:
            return
        if getattr(res, "provisioning_status", None) == "DELETED":
            return
        time.sleep(1)
    raise RuntimeError(f"{rid} not deleted after {bound}s")


def cleanup():
    for lb in r1.load_balancer.load_balancers(name="lc-smoke-lb"):
        if lb.provisioning_status != "PENDING_DELETE":
            r1.load_balancer.delete_load_balancer(lb, cascade=True)
        gone(r1.load_balancer.get_load_balancer, lb.id)
    if compute:
        for srv in r1.compute.servers(name="lc-smoke-"):
            r1.compute.delete_server(srv)
            r1.compute.wait_for_delete(srv, interval=1, wait=120)
    for net in central.network.networks(name="lc-smoke-net"):
        central.network.delete_network(net)


ok = False
try:
    cleanup()  # leftovers of an interrupted run
    net = central.network.create_network(name="lc-smoke-net")
    subnet = central.network.create_subnet(name="lc-smoke-subnet", network_id=net.id,
                                           ip_version=4, cidr="10.250.0.0/24", gateway_ip=None)
    addresses = []
    if compute:
        image = r1.image.find_image(E["IMAGE_NAME"], ignore_missing=False)
        flavor = r1.compute.find_flavor("m1.nano", ignore_missing=False)
        servers = []
        for host, az in zip(E["LC_COMPUTE_HOSTS"].split(), E["LC_COMPUTE_AZS"].split()):
            servers.append((host, r1.compute.create_server(
                name=f"lc-smoke-{host}", flavor_id=flavor.id, image_id=image.id,
                availability_zone=az, networks=[{"uuid": net.id}])))
        for host, srv in servers:
            srv = r1.compute.wait_for_server(srv, status="ACTIVE", failures=["ERROR"],
                                             interval=1, wait=180)
            assert srv.compute_host == host, f"{srv.name} on {srv.compute_host}, not {host}"
            port = next(iter(central.network.ports(device_id=srv.id)))
            assert port.binding_vif_type == "ovs", f"{srv.name}: vif_type {port.binding_vif_type}"
            assert port.binding_host_id == host, f"{srv.name}: bound to {port.binding_host_id}"
            addresses.append(port.fixed_ips[0]["ip_address"])
            say(f"server {srv.name} ACTIVE in {srv.availability_zone} on {host}, "
                f"port {port.id} bound (vif_type ovs)")
    else:
        addresses = ["10.250.0.11", "10.250.0.12"]
    lb = r1.load_balancer.create_load_balancer(name="lc-smoke-lb", vip_subnet_id=subnet.id)
    lb_active(lb.id)
    say(f"load balancer ACTIVE, VIP {r1.load_balancer.get_load_balancer(lb.id).vip_address}")
    listener = r1.load_balancer.create_listener(name="lc-smoke-listener", protocol="HTTP",
                                                protocol_port=80, load_balancer_id=lb.id)
    lb_active(lb.id)
    pool = r1.load_balancer.create_pool(name="lc-smoke-pool", protocol="HTTP",
                                        lb_algorithm="ROUND_ROBIN", listener_id=listener.id)
    lb_active(lb.id)
    for addr in addresses:
        r1.load_balancer.create_member(pool, address=addr, protocol_port=80, subnet_id=subnet.id)
        lb_active(lb.id)
    states = [m.provisioning_status for m in r1.load_balancer.members(pool)]
    assert states == ["ACTIVE"] * len(addresses), f"members: {states}"
    assert r1.load_balancer.get_listener(listener.id).provisioning_status == "ACTIVE"
    assert r1.load_balancer.get_pool(pool.id).provisioning_status == "ACTIVE"
    say(f"listener, pool and {len(addresses)} members ACTIVE")
    ok = True
finally:
    try:
        cleanup()
        say("cleaned up")
    except Exception as exc:
        say(f"cleanup failed: {exc}")
        ok = False
sys.exit(0 if ok else 1)
PY
}

main() {
  local t0=$SECONDS r n failed=0 compute=0 a
  [ -s "$LC_DIR/clouds.yaml" ] || die "no $LC_DIR/clouds.yaml: run lab/start.sh"
  use_admin_cloud
  OUT="$(mktemp -d)"
  # shellcheck disable=SC2064  # expand now
  trap "rm -rf '$OUT'" EXIT
  check "keystone token issue" token issue -f value -c id
  for r in "${LC_REGIONS[@]}"; do
    check "network list ($r)" --os-region-name "$r" network list -f value -c ID
  done
  check "loadbalancer list" loadbalancer list -f value -c id
  if want_compute "$@" || is_running nova-api; then
    compute=1
    for r in RegionOne RegionTwo; do
      check "compute service list ($r)" --os-region-name "$r" compute service list -f value -c Binary -c Host -c State
    done
    check "hypervisor list" hypervisor list -f value -c "Hypervisor Hostname" -c State
    check "image list" image list -f value -c Name
    check "network agent list" network agent list -f value -c Host -c Alive
  fi
  wait
  for n in "${!LABELS[@]}"; do
    # A service listed as down/XXX is a failure too, not only an error.
    if [ "$(cat "$OUT/$n.rc" 2>/dev/null)" = ok ] && ! grep -qE '\b(down|XXX|False)\b' "$OUT/$n.out"; then
      log "ok   ${LABELS[$n]}"
    else
      log "FAIL ${LABELS[$n]}"
      tail -n 20 "$OUT/$n.out" >&2 || true
      failed=1
    fi
  done
  for a in "$@"; do
    if [ "$a" = --smoke ] && [ "$failed" = 0 ]; then
      if smoke "$compute"; then log "ok   smoke test"; else log "FAIL smoke test"; failed=1; fi
    fi
  done
  if [ "$failed" = 0 ]; then
    log "healthy ($((SECONDS - t0)) s)"
  else
    log "UNHEALTHY ($((SECONDS - t0)) s)"
    exit 1
  fi
}

main "$@"
