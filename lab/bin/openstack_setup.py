"""Makes sure the lab's OpenStack contents exist, in one process.

    openstack_setup.py catalog|compute

Run by lab/start.sh (openstack_setup in lab/lib/catalog.sh) with Debian's
/usr/bin/python3, whose openstacksdk talks to the cloud "local" of
$OS_CLIENT_CONFIG_FILE. One process does in a few seconds what ~60 calls of
the openstack CLI (1 s+ each) do in minutes. Every step is idempotent: what
exists is left as it is, so every start runs both stages again.

catalog: regions, services, endpoints in all three regions (every region
  points at the same local services: Tricircle's consistent-ID view,
  flattened), project "service", service users with admin on it.
compute: waits for the Nova services and OVS agents, maps the compute hosts
  into cell1, one aggregate/availability zone per compute host, flavors
  m1.tiny (id 1) and m1.nano (id 42), a tiny image; then the amphora plane
  (boot network, security group, the amphora image) and amphora.conf with its ids.

Settings come from the environment start.sh passes: LC_HOST, LC_REGIONS,
LC_PASSWORD, COMPUTE (1 or 0), LC_COMPUTE_HOSTS, LC_COMPUTE_AZS, LC_DATA,
LC_ETC, IMAGE_NAME and PORTS (keystone neutron octavia nova placement glance).
"""

import os
import subprocess
import sys
import time

STAGES = ("catalog", "compute")
TINY_IMAGE_SIZE = 65536


def say(msg):
    print(f"[local-cloud {time.strftime('%H:%M:%S')}] setup: {msg}", file=sys.stderr, flush=True)


def endpoint_plan(host, ports, compute):
    """(name, type, URL) of every service the catalog lists; PORTS in the
    order keystone neutron octavia nova placement glance."""
    p_key, p_net, p_lb, p_nova, p_plc, p_img = ports
    wanted = [
        ("keystone", "identity", f"http://{host}:{p_key}/v3/"),
        ("neutron", "network", f"http://{host}:{p_net}"),
        ("octavia", "load-balancer", f"http://{host}:{p_lb}"),
    ]
    if compute:
        wanted += [
            ("nova", "compute", f"http://{host}:{p_nova}/v2.1"),
            ("placement", "placement", f"http://{host}:{p_plc}"),
            ("glance", "image", f"http://{host}:{p_img}"),
        ]
    return wanted


def service_users(compute):
    """The service users, each with admin on project service."""
    return ["neutron", "octavia"] + (["nova", "placement", "glance"] if compute else [])


def missing_nova_services(up, hosts):
    """What is not up yet, as sorted "binary@host" strings, given UP, the
    (binary, host) pairs whose state is up: the conductor and scheduler on any
    host ("*"), a nova-compute on each of HOSTS."""
    need = {("nova-conductor", None), ("nova-scheduler", None)}
    got = {(b, None) for b, _ in up} | set(up)
    need |= {("nova-compute", h) for h in hosts}
    return sorted(f"{b}@{h or '*'}" for b, h in need - got)


def wait(what, bound, probe, interval=1):
    """Calls PROBE until it returns nothing missing (a falsy value); an
    exception counts as missing (the service is still starting). Exits the
    program with what is still missing after BOUND seconds."""
    deadline = time.time() + bound
    while True:
        try:
            missing = probe()
        except Exception as exc:  # service still starting: retry
            missing = f"{type(exc).__name__}: {exc}"
        if not missing:
            return
        if time.time() > deadline:
            sys.exit(f"{what}: not ready after {bound}s: {missing}")
        time.sleep(interval)


def write_tiny_image(path):
    """Any small raw file is an image: the fake driver boots nothing."""
    with open(path, "wb") as f:
        f.write(b"\0" * TINY_IMAGE_SIZE)


def write_amphora_conf(etc, net_id, sg_id):
    """ETC/octavia/amphora.conf: the amphorae's boot network and security
    group, which the Octavia worker reads on top of octavia.conf. Replaced
    whole (a reader never sees half a file)."""
    path = os.path.join(etc, "octavia", "amphora.conf")
    with open(path + ".tmp", "w") as f:
        f.write("[controller_worker]\n"
                f"amp_boot_network_list = {net_id}\n"
                f"amp_secgroup_list = {sg_id}\n")
    os.replace(path + ".tmp", path)
    # amphora-plane.sh's backups of what it replaced: this start has put the cloud's own plane back. The node conf it
    # points the worker at (node-conf.path) stays: that node keeps its merged file across a restart of the cloud.
    for backup in (path + ".before", os.path.join(etc, "octavia", "node-conf.path.before")):
        if os.path.exists(backup):
            os.remove(backup)


def catalog(conn, env):
    idn = conn.identity
    regions = env["LC_REGIONS"].split()
    compute = env["COMPUTE"] == "1"
    have = {r.id for r in idn.regions()}
    for r in regions:
        if r not in have:
            idn.create_region(id=r)
            say(f"region {r}")
    wanted = endpoint_plan(env["LC_HOST"], env["PORTS"].split(), compute)
    services = {s.type: s for s in idn.services()}
    endpoints = list(idn.endpoints())
    for name, stype, url in wanted:
        svc = services.get(stype) or idn.create_service(name=name, type=stype, is_enabled=True)
        for r in regions:
            for iface in ("public", "internal", "admin"):
                found = [e for e in endpoints if e.service_id == svc.id
                         and e.region_id == r and e.interface == iface]
                if not found:
                    idn.create_endpoint(service_id=svc.id, region_id=r,
                                        interface=iface, url=url)
                    say(f"endpoint {stype} {r} {iface}")
                elif found[0].url != url:
                    idn.update_endpoint(found[0], url=url)
    domain = idn.find_domain("default") or idn.find_domain("Default")
    project = idn.find_project("service", domain_id=domain.id) or idn.create_project(
        name="service", domain_id=domain.id, description="OpenStack services")
    admin_role = idn.find_role("admin")
    # Roles a non-admin Octavia user would need (the stack may use them).
    for role in ("load-balancer_member", "load-balancer_observer", "service"):
        if not idn.find_role(role):
            idn.create_role(name=role)
    for u in service_users(compute):
        user = idn.find_user(u, domain_id=domain.id)
        if not user:
            user = idn.create_user(name=u, domain_id=domain.id, password=env["LC_PASSWORD"],
                                   default_project_id=project.id)
            say(f"user {u}")
        # A missing assignment shows up later as 401s from keystonemiddleware.
        if not list(idn.role_assignments(user_id=user.id, scope_project_id=project.id,
                                         role_id=admin_role.id)):
            idn.assign_project_role_to_user(project, user, admin_role)


def compute_setup(conn, env):
    hosts = env["LC_COMPUTE_HOSTS"].split()
    azs = env["LC_COMPUTE_AZS"].split()

    def services_up():
        return missing_nova_services(
            {(s.binary, s.host) for s in conn.compute.services() if s.state == "up"}, hosts)
    wait("nova services", 180, services_up)
    say("nova services up")

    def agents_alive():
        alive = {a.host for a in conn.network.agents(binary="neutron-openvswitch-agent")
                 if a.is_alive}
        return sorted(set(hosts) - alive)
    wait("neutron openvswitch agents", 120, agents_alive)
    say("openvswitch agents alive")

    def hypervisors():
        have = {h.name for h in conn.compute.hypervisors()}
        missing = sorted(set(hosts) - have)
        if missing:
            # Maps the compute hosts that registered into cell1 (interval -1:
            # the scheduler never does it by itself).
            subprocess.run(["nova-manage", "--config-file", env["LC_ETC"] + "/nova/nova.conf",
                            "--config-file", env["LC_ETC"] + "/nova/nova-db.conf",
                            "cell_v2", "discover_hosts"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return missing
    wait("hypervisors", 120, hypervisors)
    say("compute hosts mapped")

    for h, az in zip(hosts, azs):
        agg = conn.compute.find_aggregate(az)
        if not agg:
            agg = conn.compute.create_aggregate(name=az, availability_zone=az)
            say(f"aggregate/availability zone {az}")
        if h not in (agg.hosts or []):
            conn.compute.add_host_to_aggregate(agg, h)

    flavors = {f.id: f for f in conn.compute.flavors(is_public=None)}
    for fid, name, ram, disk in (("1", "m1.tiny", 512, 1), ("42", "m1.nano", 128, 1)):
        if fid not in flavors:
            conn.compute.create_flavor(id=fid, name=name, ram=ram, disk=disk, vcpus=1)
            say(f"flavor {name}")

    name = env["IMAGE_NAME"]
    if not conn.image.find_image(name):
        path = os.path.join(env["LC_DATA"], "tiny-image.raw")
        write_tiny_image(path)
        conn.create_image(name, filename=path, disk_format="raw", container_format="bare",
                          visibility="public", wait=True)
        say(f"image {name}")


def amphora_plane(conn, env):
    """The local cloud's own amphora boot network and security group, in
    project service (where Octavia, as user octavia, boots amphorae: Nova
    resolves security groups and non-shared networks in that project), and
    the amphora image; the plane's ids go to amphora.conf."""
    idn = conn.identity
    domain = idn.find_domain("default") or idn.find_domain("Default")
    svc = idn.find_project("service", domain_id=domain.id)
    net = conn.network.find_network("lc-amp-mgmt-net", project_id=svc.id)
    if not net:
        net = conn.network.create_network(name="lc-amp-mgmt-net", project_id=svc.id)
        conn.network.create_subnet(name="lc-amp-mgmt-subnet", network_id=net.id,
                                   project_id=svc.id, ip_version=4,
                                   cidr="172.31.254.0/24")
        say("amphora boot network lc-amp-mgmt-net (project service)")
    sg = conn.network.find_security_group("lc-amp-sec-grp", project_id=svc.id)
    if not sg:
        sg = conn.network.create_security_group(name="lc-amp-sec-grp", project_id=svc.id)
        for port in (9443, 22):
            conn.network.create_security_group_rule(
                security_group_id=sg.id, direction="ingress", ethertype="IPv4",
                protocol="tcp", port_range_min=port, port_range_max=port,
                project_id=svc.id)
        say("amphora security group lc-amp-sec-grp (project service)")
    amphora_image(conn, env, svc)
    write_amphora_conf(env["LC_ETC"], net.id, sg.id)


AMPHORA_IMAGE = "amphora-x64-haproxy"
AMPHORA_TAG = "amphora"


def amphora_image(conn, env, svc):
    """The amphora image as the anchors make it: its own image, owned by
    Octavia's project (service), tagged "amphora", and the only one with the
    tag (the stack's preview check wants exactly one). Earlier labs tagged the
    demo's image instead: the tag moves."""
    img = next(iter(conn.image.images(name=AMPHORA_IMAGE, owner=svc.id)), None)
    if img is None:
        path = os.path.join(env["LC_DATA"], "tiny-image.raw")
        write_tiny_image(path)
        img = conn.create_image(AMPHORA_IMAGE, filename=path, disk_format="raw", container_format="bare",
                                visibility="private", wait=True)
        # Created as admin; the anchors upload it as Octavia's project, which owner_id alone expresses.
        conn.image.update_image(img, owner=svc.id)
        say(f"image {AMPHORA_IMAGE} (project service)")
    if AMPHORA_TAG not in (img.tags or []):
        conn.image.add_tag(img, AMPHORA_TAG)
        say(f"image {AMPHORA_IMAGE} tagged {AMPHORA_TAG}")
    for other in conn.image.images(tag=AMPHORA_TAG):
        if other.id != img.id:
            conn.image.remove_tag(other, AMPHORA_TAG)
            say(f"image {other.name}: {AMPHORA_TAG} tag moved to {AMPHORA_IMAGE}")


def main(argv, env):
    if len(argv) != 1 or argv[0] not in STAGES:
        sys.exit(f"usage: openstack_setup.py {'|'.join(STAGES)}")
    # Imported here: the helpers above (and their tests) need no openstacksdk.
    import openstack
    conn = openstack.connect(cloud="local")
    if argv[0] == "catalog":
        catalog(conn, env)
    else:
        compute_setup(conn, env)
        amphora_plane(conn, env)


if __name__ == "__main__":
    main(sys.argv[1:], os.environ)
