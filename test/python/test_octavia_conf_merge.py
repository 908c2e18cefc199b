"""Tests of the octavia.conf merge program (components/node/files/octavia_conf_merge.py) as a program of its own.

Run with the python3 that carries oslo.config (Debian's python3-octavia, /usr/bin/python3 here):
    /usr/bin/python3 -m unittest discover -s test/python -p test_octavia_conf_merge.py -v
(test/unit/octaviaConfMerge.test.ts runs exactly that inside `npm test`.)

The program parses octavia.conf itself (its docstring says why); these tests hold its reading to oslo.config's own
iniparser, check that what it writes reads back through oslo.config exactly, that a re-apply changes nothing, that
restore gives back the file byte for byte, and that no secret value reaches its output.
"""

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from oslo_config import cfg, iniparser

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "..", "..", "components", "node", "files", "octavia_conf_merge.py")

_spec = importlib.util.spec_from_file_location("octavia_conf_merge", PROGRAM)
merge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(merge)

HOSTILE = ' k#e;y=v"a\'l\\u\\$e $x ${y} $$ "'

FIXTURES = {
    "devstack-like": "[DEFAULT]\ndebug = True\n\n[health_manager]\n#bind_ip = 127.0.0.1\nbind_ip = 10.7.20.110\n"
    "# bind_port = 5555\ncontroller_ip_port_list = 10.7.20.110:5555\n\n[controller_worker]\namp_flavor_id = 10\n",
    "crlf": "[health_manager]\r\nbind_ip = 10.0.0.1\r\n\r\n[nova]\r\nregion_name = RegionOne\r\n",
    "no final newline": "[health_manager]\nbind_ip = 10.0.0.1",
    "empty": "",
    "only comments": "# octavia.conf\n; nothing set yet\n",
    "duplicates": "[health_manager]\nbind_ip = 10.0.0.1\n\n[controller_worker]\namp_flavor_id = 1\n\n"
    "[health_manager]\nbind_ip = 10.0.0.2\nbind_port = 6000\n",
    "continuations": "[health_manager]\ncontroller_ip_port_list = 10.0.0.1:5555,\n  10.0.0.2:5555\nbind_port = 5555\n",
    "colons and spacing": "[health_manager]\nbind_ip:10.0.0.1\n   \nheartbeat_key   =   old   \n",
    "upper-case sections": "[Health_Manager]\nbind_ip = 10.0.0.1\n[NEUTRON]\nregion_name = RegionOne\n",
}

SETTINGS = [
    {"section": "health_manager", "key": "bind_ip", "value": "192.168.10.6"},
    {"section": "health_manager", "key": "bind_port", "value": "5555"},
    {"section": "health_manager", "key": "controller_ip_port_list", "value": "192.168.10.6:5555,192.168.10.7:5555"},
    {"section": "health_manager", "key": "heartbeat_key", "secret": "heartbeat_key"},
    {"section": "neutron", "key": "region_name", "value": "CentralRegion"},
    {"section": "neutron", "key": "endpoint", "value": "http://10.7.20.110:20001"},
    {"section": "glance", "key": "region_name", "value": " Region $One "},
]


class Recorder(iniparser.BaseParser):
    """What oslo.config's own INI parser sees: (section, key) of every assignment, in order."""

    def __init__(self):
        super().__init__()
        self.section = None
        self.seen = []

    def new_section(self, section):
        self.section = section

    def assignment(self, key, value):
        self.seen.append((None if self.section is None else merge.norm_section(self.section), key))

    def parse_exc(self, msg, lineno, line=None):
        return ValueError("%s at line %d" % (msg, lineno))


def oslo_values(path, settings):
    """The values oslo.config gives for the settings' options when it loads `path` (substitution included)."""
    conf = cfg.ConfigOpts()
    for s in settings:
        conf.register_opt(cfg.StrOpt(s["key"]), group=s["section"])
    conf(["--config-file", path], project="tlb-test", default_config_files=[], default_config_dirs=[])
    return {(s["section"], s["key"]): getattr(getattr(conf, s["section"]), s["key"]) for s in settings}


class Workdir(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tlb-merge-test-")
        self.conf = os.path.join(self.dir, "octavia.conf")
        self.state = os.path.join(self.dir, "state.json")
        self.backup = self.conf + ".tricircle-lbaas.orig"
        self.pending = os.path.join(self.dir, "restart-pending")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_program(self, action, settings=SETTINGS, secrets=None, adopt=None):
        stdin = json.dumps({"heartbeat_key": HOSTILE} if secrets is None else secrets) + "\n"
        extra = [] if adopt is None else ["1" if adopt else "0"]
        return subprocess.run(
            [sys.executable, PROGRAM, action, self.conf, self.state, self.backup, self.pending, json.dumps(settings)] + extra,
            input=stdin.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
        )

    def ok(self, action, **kw):
        r = self.run_program(action, **kw)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r

    def write(self, text, mode=0o640):
        with open(self.conf, "wb") as f:
            f.write(text.encode())
        os.chmod(self.conf, mode)

    def read(self):
        with open(self.conf, "rb") as f:
            return f.read().decode()


class ParseLikeIniparser(unittest.TestCase):
    def test_assignments_and_sections_as_iniparser_sees_them(self):
        for name, text in FIXTURES.items():
            with self.subTest(name):
                lines = merge.split_lines(text)
                _, keys = merge.parse(lines)
                rec = Recorder()
                rec.parse(text.splitlines())
                self.assertEqual([(k["section"], k["key"]) for k in keys], rec.seen)

    def test_lines_are_cut_where_text_mode_cuts_them(self):
        self.assertEqual(merge.split_lines("a\r\nb\rc\nd"), ["a\r\n", "b\r", "c\n", "d"])
        self.assertEqual("".join(merge.split_lines(FIXTURES["crlf"])), FIXTURES["crlf"])


class ApplyRestore(Workdir):
    def test_apply_reads_back_through_oslo_config_and_restore_is_byte_exact(self):
        for name, text in FIXTURES.items():
            with self.subTest(name):
                self.write(text)
                self.ok("apply")
                values = oslo_values(self.conf, SETTINGS)
                for s in SETTINGS:
                    want = HOSTILE if "secret" in s else s["value"]
                    self.assertEqual(values[(s["section"], s["key"])], want, "[%s] %s" % (s["section"], s["key"]))
                self.assertEqual(os.stat(self.conf).st_mode & 0o777, 0o640)
                self.assertTrue(os.path.exists(self.pending))
                applied = self.read()
                os.unlink(self.pending)
                inode = os.stat(self.conf).st_ino
                self.ok("apply")
                self.assertEqual(self.read(), applied, "a re-apply changes nothing")
                self.assertEqual(os.stat(self.conf).st_ino, inode, "a re-apply does not even rewrite the file")
                self.assertFalse(os.path.exists(self.pending))
                self.ok("restore")
                self.assertEqual(self.read(), text)
                self.assertFalse(os.path.exists(self.state))
                self.assertFalse(os.path.exists(self.backup))

    def test_everything_else_stays_byte_for_byte(self):
        self.write(FIXTURES["devstack-like"])
        self.ok("apply")
        out = self.read()
        self.assertIn("[DEFAULT]\ndebug = True\n", out)
        self.assertIn("#bind_ip = 127.0.0.1\nbind_ip = 192.168.10.6\n", out)
        self.assertIn("# bind_port = 5555\nbind_port = 5555\n", out, "a new key goes after its commented sample")
        self.assertIn("[controller_worker]\namp_flavor_id = 10\n", out)
        with open(self.backup) as f:
            self.assertEqual(f.read(), FIXTURES["devstack-like"])

    def test_a_setting_no_longer_wanted_is_restored(self):
        self.write(FIXTURES["devstack-like"])
        self.ok("apply")
        self.ok("apply", settings=[s for s in SETTINGS if s["section"] != "neutron"])
        self.assertNotIn("[neutron]", self.read())
        self.assertIn("bind_ip = 192.168.10.6\n", self.read())
        self.ok("restore")
        self.assertEqual(self.read(), FIXTURES["devstack-like"])

    def test_a_later_edit_by_hand_is_kept_and_the_backup_too(self):
        self.write(FIXTURES["devstack-like"])
        self.ok("apply")
        self.write(self.read().replace("amp_flavor_id = 10", "amp_flavor_id = 11"))
        r = self.ok("restore")
        self.assertIn("amp_flavor_id = 11", self.read())
        self.assertIn("bind_ip = 10.7.20.110\n", self.read())
        self.assertTrue(os.path.exists(self.backup))
        self.assertIn(b"is kept for comparison", r.stderr)


class Check(Workdir):
    def check(self, key=HOSTILE):
        digest = hashlib.sha256(key.encode()).hexdigest()
        r = self.run_program("check", secrets={"sha256": {"heartbeat_key": digest}})
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return [line for line in r.stdout.decode().split("\n") if line]

    def test_clean_after_apply_for_every_fixture_and_reads_nothing_into_the_file(self):
        for name, text in FIXTURES.items():
            with self.subTest(name):
                self.write(text)
                self.ok("apply")
                before = self.read()
                state = os.stat(self.conf)
                self.assertEqual(self.check(), [])
                self.assertEqual(self.read(), before)
                self.assertEqual(os.stat(self.conf).st_mtime_ns, state.st_mtime_ns)
                self.ok("restore")

    def test_reports_an_edited_a_missing_and_a_secret_value_without_printing_the_secret(self):
        self.write(FIXTURES["devstack-like"])
        self.ok("apply")
        edited = self.read().replace("bind_ip = 192.168.10.6", "bind_ip = 10.9.9.9").replace("\nbind_port = 5555\n", "\n")
        self.write(edited)
        self.assertEqual(self.check(), [
            'DIFFERS [health_manager] bind_ip is "10.9.9.9", not "192.168.10.6"',
            "DIFFERS [health_manager] bind_port is not set",
        ])
        out = self.check(key="another key")
        self.assertIn("DIFFERS [health_manager] heartbeat_key differs from the stack's (secret, not shown)", out)
        self.assertNotIn("k#e;y", "\n".join(out))


class Secrets(Workdir):
    def test_the_secret_never_reaches_the_output(self):
        self.write(FIXTURES["devstack-like"])
        r = self.ok("apply")
        self.assertIn(b"set [health_manager] heartbeat_key = (secret)", r.stderr)
        self.assertNotIn(b"k#e;y", r.stdout + r.stderr)

    def test_refusals_name_the_key_never_the_value(self):
        self.write(FIXTURES["devstack-like"])
        r = self.run_program("apply", secrets={"heartbeat_key": "two\nlines-secret"})
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"[health_manager] heartbeat_key: the value must be one line", r.stderr)
        self.assertNotIn(b"lines-secret", r.stderr)
        r = self.run_program("apply", secrets={})
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"standard input has no value for [health_manager] heartbeat_key", r.stderr)
        self.assertEqual(self.read(), FIXTURES["devstack-like"], "a refusal changes nothing")

    def test_an_unexpected_error_withholds_its_text(self):
        os.makedirs(self.conf)  # a directory where the file should be: an error the program does not expect
        r = self.run_program("apply")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"tricircle-lbaas: error:", r.stderr)
        self.assertNotIn(b"k#e;y", r.stderr)
        self.assertNotIn(b"Traceback", r.stderr)


NET = "8acc6c02-66aa-4c0a-92bb-2a7a9c184ab1"
SG = "e4282699-43fd-4cb5-a709-cfaf213640f5"
GUARDED = [
    {"section": "health_manager", "key": "bind_ip", "value": "192.168.10.6"},
    {"section": "health_manager", "key": "heartbeat_key", "secret": "heartbeat_key", "guarded": True},
    {"section": "controller_worker", "key": "amp_boot_network_list", "value": NET, "guarded": True},
    {"section": "controller_worker", "key": "amp_secgroup_list", "value": SG, "guarded": True},
    {"section": "neutron", "key": "region_name", "value": "CentralRegion"},
]
GUIDE_KEY = "insecure-guide-key"
# As an operator following the guide writes it: no blanks around some separators, a colon, the stack's values.
BY_HAND = ("[DEFAULT]\ndebug = True\n\n[health_manager]\nbind_ip=192.168.10.6\nheartbeat_key = " + GUIDE_KEY + "\n\n"
           "[controller_worker]\namp_boot_network_list=" + NET + "\namp_secgroup_list: " + SG + "\n\n"
           "[neutron]\nregion_name = CentralRegion\n")


class Adoption(Workdir):
    """A node set up by hand: equal values are kept as written, guarded values that differ are refused."""

    def apply(self, adopt, key=GUIDE_KEY, settings=GUARDED):
        return self.run_program("apply", settings=settings, secrets={"heartbeat_key": key}, adopt=adopt)

    def test_equal_values_are_kept_as_written_nothing_is_rewritten_and_restore_changes_nothing(self):
        for adopt in (True, False):
            with self.subTest(adopt=adopt):
                self.write(BY_HAND)
                inode = os.stat(self.conf).st_ino
                r = self.apply(adopt)
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(self.read(), BY_HAND)
                self.assertEqual(os.stat(self.conf).st_ino, inode, "not even rewritten")
                self.assertFalse(os.path.exists(self.pending), "no restart")
                self.assertFalse(os.path.exists(self.backup))
                self.assertNotIn(b"set [", r.stderr)
                r = self.run_program("restore")
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(self.read(), BY_HAND)
                self.assertEqual(os.stat(self.conf).st_ino, inode)
                self.assertFalse(os.path.exists(self.pending), "no restart on restore either")
                self.assertFalse(os.path.exists(self.state))

    def test_an_unguarded_key_set_otherwise_is_still_merged(self):
        self.write(BY_HAND.replace("bind_ip=192.168.10.6", "bind_ip = 0.0.0.0"))
        r = self.apply(True)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn("bind_ip = 192.168.10.6\n", self.read())
        self.assertTrue(os.path.exists(self.pending))
        self.ok("restore", secrets={"heartbeat_key": GUIDE_KEY}, settings=GUARDED)
        self.assertEqual(self.read(), BY_HAND.replace("bind_ip=192.168.10.6", "bind_ip = 0.0.0.0"))

    def test_another_network_and_group_are_refused_naming_file_section_key_and_both_values(self):
        other_net, other_sg = "11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-000000000000"
        text = BY_HAND.replace(NET, other_net).replace(SG, other_sg)
        for adopt, words in ((False, b"set by hand"), (True, b"contradict the plane being adopted")):
            with self.subTest(adopt=adopt):
                self.write(text)
                r = self.apply(adopt)
                self.assertEqual(r.returncode, 1)
                err = r.stderr
                self.assertIn(self.conf.encode(), err)
                self.assertIn(('[controller_worker] amp_boot_network_list is "%s", the stack\'s is "%s"' % (other_net, NET)).encode(), err)
                self.assertIn(('[controller_worker] amp_secgroup_list is "%s", the stack\'s is "%s"' % (other_sg, SG)).encode(), err)
                self.assertIn(words, err)
                self.assertIn(b"tricircle-lbaas:adopt: true", err)
                self.assertEqual(self.read(), text, "nothing written")
                self.assertFalse(os.path.exists(self.state), "not even the record")
                self.assertFalse(os.path.exists(self.pending))

    def test_another_heartbeat_key_is_refused_without_showing_either_key(self):
        self.write(BY_HAND)
        for adopt in (True, False):
            with self.subTest(adopt=adopt):
                r = self.apply(adopt, key="the-stack's-own-key")
                self.assertEqual(r.returncode, 1)
                self.assertIn(b"[health_manager] heartbeat_key holds another key than the stack's (compared by SHA-256, not shown)", r.stderr)
                self.assertNotIn(GUIDE_KEY.encode(), r.stdout + r.stderr)
                self.assertNotIn(b"the-stack's-own-key", r.stdout + r.stderr)
                self.assertEqual(self.read(), BY_HAND)
                self.assertFalse(os.path.exists(self.state))

    def test_empty_guarded_values_are_filled_in(self):
        self.write("[controller_worker]\namp_boot_network_list =\namp_secgroup_list =\n")
        r = self.apply(False)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn("amp_boot_network_list = " + NET + "\n", self.read())

    def test_a_value_the_stack_set_itself_is_updated_not_refused(self):
        self.write(BY_HAND.replace(NET, ""))
        self.assertEqual(self.apply(False).returncode, 0)
        moved = [dict(s, value="11111111-2222-3333-4444-555555555555") if s["key"] == "amp_boot_network_list" else s for s in GUARDED]
        r = self.apply(False, settings=moved)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn("amp_boot_network_list = 11111111-2222-3333-4444-555555555555\n", self.read())
        self.ok("restore", secrets={"heartbeat_key": GUIDE_KEY}, settings=moved)
        self.assertEqual(self.read(), BY_HAND.replace(NET, ""))


if __name__ == "__main__":
    unittest.main()
