"""Tests of the lab's set-up program (lab/bin/openstack_setup.py) as a program of its own.

Run with Debian's python3, the one lab/start.sh runs it with (openstacksdk):
    /usr/bin/python3 -m unittest discover -s test/python -p 'test_lab_*.py' -v
(test/unit/labOpenstackSetup.test.ts runs exactly that inside `npm test`.)

What talks to OpenStack is exercised by the lab itself (lab/start.sh, then lab/health.sh and the e2e suites); here:
the catalog it plans, the Nova services it waits for, its bounded wait, the files it writes, and, run as a process,
its refusal of an unknown stage and its failure (not a hang) when Keystone does not answer. No mocks: the helpers
get real values, the files land in a temporary folder, the process meets a closed port.
"""

import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "..", "..", "lab", "bin", "openstack_setup.py")

_spec = importlib.util.spec_from_file_location("openstack_setup", PROGRAM)
setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup)

PORTS = ["5000", "9696", "9876", "8774", "8778", "9292"]


class EndpointPlan(unittest.TestCase):
    def test_without_compute_identity_network_load_balancer(self):
        self.assertEqual(setup.endpoint_plan("127.0.0.1", PORTS, False), [
            ("keystone", "identity", "http://127.0.0.1:5000/v3/"),
            ("neutron", "network", "http://127.0.0.1:9696"),
            ("octavia", "load-balancer", "http://127.0.0.1:9876"),
        ])

    def test_with_compute_adds_nova_placement_glance(self):
        plan = setup.endpoint_plan("127.0.0.1", PORTS, True)
        self.assertEqual(plan[3:], [
            ("nova", "compute", "http://127.0.0.1:8774/v2.1"),
            ("placement", "placement", "http://127.0.0.1:8778"),
            ("glance", "image", "http://127.0.0.1:9292"),
        ])
        self.assertEqual(len({stype for _, stype, _ in plan}), 6, "one service per type")

    def test_ports_are_taken_in_order(self):
        plan = setup.endpoint_plan("10.0.0.1", ["1", "2", "3", "4", "5", "6"], True)
        self.assertEqual([url for _, _, url in plan], [
            "http://10.0.0.1:1/v3/", "http://10.0.0.1:2", "http://10.0.0.1:3",
            "http://10.0.0.1:4/v2.1", "http://10.0.0.1:5", "http://10.0.0.1:6"])

    def test_a_missing_port_is_an_error_not_a_shorter_catalog(self):
        with self.assertRaises(ValueError):
            setup.endpoint_plan("127.0.0.1", PORTS[:5], False)


class ServiceUsers(unittest.TestCase):
    def test_users_follow_the_services(self):
        self.assertEqual(setup.service_users(False), ["neutron", "octavia"])
        self.assertEqual(setup.service_users(True), ["neutron", "octavia", "nova", "placement", "glance"])


class MissingNovaServices(unittest.TestCase):
    HOSTS = ["compute1", "compute2"]

    def test_nothing_up(self):
        self.assertEqual(setup.missing_nova_services(set(), self.HOSTS), [
            "nova-compute@compute1", "nova-compute@compute2", "nova-conductor@*", "nova-scheduler@*"])

    def test_conductor_and_scheduler_count_on_any_host(self):
        up = {("nova-conductor", "controller"), ("nova-scheduler", "elsewhere"), ("nova-compute", "compute1")}
        self.assertEqual(setup.missing_nova_services(up, self.HOSTS), ["nova-compute@compute2"])

    def test_a_compute_service_counts_only_on_its_own_host(self):
        up = {("nova-conductor", "c"), ("nova-scheduler", "c"), ("nova-compute", "compute9")}
        self.assertEqual(setup.missing_nova_services(up, self.HOSTS),
                         ["nova-compute@compute1", "nova-compute@compute2"])

    def test_all_up(self):
        up = {("nova-conductor", "c"), ("nova-scheduler", "c"),
              ("nova-compute", "compute1"), ("nova-compute", "compute2")}
        self.assertEqual(setup.missing_nova_services(up, self.HOSTS), [])


class Wait(unittest.TestCase):
    def test_returns_once_nothing_is_missing(self):
        answers = [["a", "b"], ["b"], []]
        calls = []

        def probe():
            calls.append(1)
            return answers[len(calls) - 1]
        setup.wait("things", 10, probe, interval=0.01)
        self.assertEqual(len(calls), 3)

    def test_an_exception_is_retried_as_missing(self):
        calls = []

        def probe():
            calls.append(1)
            if len(calls) < 3:
                raise ConnectionError("refused")
            return None
        setup.wait("things", 10, probe, interval=0.01)
        self.assertEqual(len(calls), 3)

    def test_gives_up_after_its_bound_saying_what_is_missing(self):
        t0 = time.monotonic()
        with self.assertRaises(SystemExit) as cm:
            setup.wait("hypervisors", 0.2, lambda: ["compute2"], interval=0.01)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(str(cm.exception.code), "hypervisors: not ready after 0.2s: ['compute2']")

    def test_the_last_exception_is_in_the_message(self):
        def probe():
            raise ConnectionError("refused")
        with self.assertRaises(SystemExit) as cm:
            setup.wait("nova services", 0, probe, interval=0.01)
        self.assertEqual(str(cm.exception.code), "nova services: not ready after 0s: ConnectionError: refused")


class Files(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.etc = self._tmp.name
        os.mkdir(os.path.join(self.etc, "octavia"))
        self.conf = os.path.join(self.etc, "octavia", "amphora.conf")

    def tearDown(self):
        self._tmp.cleanup()

    def test_amphora_conf_names_the_boot_network_and_security_group(self):
        setup.write_amphora_conf(self.etc, "net-1", "sg-1")
        with open(self.conf) as f:
            self.assertEqual(f.read(), "[controller_worker]\namp_boot_network_list = net-1\namp_secgroup_list = sg-1\n")
        self.assertEqual(os.listdir(os.path.join(self.etc, "octavia")), ["amphora.conf"], "no temporary file left")

    def test_amphora_conf_replaces_a_plane_and_drops_its_backup(self):
        # amphora-plane.sh points the worker at another plane and keeps the cloud's own as amphora.conf.before.
        with open(self.conf, "w") as f:
            f.write("[controller_worker]\namp_boot_network_list = stack-net\namp_secgroup_list = stack-sg\n")
        with open(self.conf + ".before", "w") as f:
            f.write("[controller_worker]\namp_boot_network_list = net-1\namp_secgroup_list = sg-1\n")
        setup.write_amphora_conf(self.etc, "net-1", "sg-1")
        with open(self.conf) as f:
            self.assertIn("amp_boot_network_list = net-1\n", f.read())
        self.assertFalse(os.path.exists(self.conf + ".before"))

    def test_tiny_image_is_64_kib_of_zeros(self):
        path = os.path.join(self.etc, "tiny-image.raw")
        setup.write_tiny_image(path)
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(len(data), 65536)
        self.assertEqual(data.count(0), 65536)


class AsAProgram(unittest.TestCase):
    def run_program(self, *args, env=None, timeout=120):
        return subprocess.run([sys.executable, PROGRAM, *args], capture_output=True, text=True,
                              env=env, timeout=timeout)

    def test_an_unknown_stage_is_refused_before_any_call(self):
        for args in ([], ["amphora"], ["catalog", "compute"]):
            r = self.run_program(*args, env={"PATH": os.environ.get("PATH", "")})
            self.assertEqual(r.returncode, 1, args)
            self.assertEqual(r.stderr.strip(), "usage: openstack_setup.py catalog|compute")

    def test_catalog_fails_when_keystone_does_not_answer(self):
        # A port nothing listens on: bound, then closed (the lab's own 5000 may be up on this machine).
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with tempfile.TemporaryDirectory() as d:
            clouds = os.path.join(d, "clouds.yaml")
            with open(clouds, "w") as f:
                f.write("clouds:\n  local:\n    auth:\n"
                        f"      auth_url: http://127.0.0.1:{port}/v3\n"
                        "      username: admin\n      password: x\n      project_name: admin\n"
                        "      user_domain_name: Default\n      project_domain_name: Default\n"
                        "    region_name: CentralRegion\n    identity_api_version: 3\n")
            env = {"PATH": os.environ.get("PATH", ""), "HOME": d, "OS_CLIENT_CONFIG_FILE": clouds,
                   "COMPUTE": "0", "LC_PASSWORD": "x", "LC_HOST": "127.0.0.1",
                   "LC_REGIONS": "CentralRegion RegionOne RegionTwo", "LC_COMPUTE_HOSTS": "", "LC_COMPUTE_AZS": "",
                   "LC_DATA": d, "LC_ETC": d, "IMAGE_NAME": "cirros", "PORTS": " ".join(PORTS)}
            t0 = time.monotonic()
            r = self.run_program("catalog", env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertLess(time.monotonic() - t0, 60)
        self.assertRegex(r.stderr, r"ConnectFailure|Connection refused|Unable to establish connection")


if __name__ == "__main__":
    unittest.main()
