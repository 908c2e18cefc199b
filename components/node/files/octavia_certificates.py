#!/usr/bin/python3
"""Delivers a region's amphora PKI files into Octavia's certificate directory on a controller node, and takes them out.

Run by certificates.sh as `python3 /dev/fd/3 apply|restore|check PARAMS` (the program travels in the command's text;
it is never installed on the node). PARAMS is a JSON object of paths and names, none secret: `dir` (the certificate
directory), `conf` (octavia.conf, whose ownership names Octavia's user), `state` (this program's record), `backups`
(where files it replaced are kept), `pending` (the octavia.conf command's restart marker), `names` (the files it
manages) and, for check, `expected` ({name: SHA-256} of the public files) and `certs` (the names holding a
certificate). File contents, private keys included, come on standard input only, as {"files": {name: PEM}}; they are
never printed.

Octavia's user: the owner of `conf` when not root (devstack: stack); else the user named as the file's group
(packages: root:octavia 0640); else a refusal naming the file and its ownership. The directory is made 0700 and the
files 0600, owned by that user, so nothing but Octavia and root can read the keys.

apply: on the first run records in STATE whether the directory existed (and its mode and owner) and, for each name,
  whether a file of that name was already there; such a file (devstack writes its own) is copied to BACKUPS first.
  The record reaches the disk before anything changes. Each file is then written through a temporary file and a
  rename when its content differs; a mode or owner that differs is only corrected. When any content changed it
  touches PENDING: the octavia.conf command, which runs next, restarts Octavia once. Files of other names in the
  directory are never touched. Same content: nothing is written, PENDING is left alone.
restore: puts every backed-up file back as it was (content, mode, owner), removes the files it created, the
  directory when it made it and it is empty (else gives a found directory its mode and owner back), the backups and
  STATE; touches PENDING when a file changed.
check: reads only. Prints `DRIFT certificates <what>` for a file or the directory that is missing or differs from
  what apply left (content by SHA-256: the public files' digests in PARAMS, the private ones' on standard input as
  {"certificates": {name: hex}}), then `CERT <path> <days-left>` for each certificate file it finds: the managed ones
  and those octavia.conf points to ([certificates] ca_certificate, [haproxy_amphora] client_cert and server_ca,
  [controller_worker] client_ca). Days are whole days until notAfter, negative once expired, `unknown` when the
  file cannot be read as a certificate; a `NOTE` line says why. Expiry is read with `openssl x509 -enddate`, or
  python3's cryptography module when openssl is missing.

Python 3.5 compatible (no f-strings); messages never contain a file's content.
"""
import calendar
import configparser
import grp
import hashlib
import json
import math
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time

PREFIX = "tricircle-lbaas: "


class Refusal(Exception):
    """A problem reported in one line; never contains a file's content."""


def note(message):
    sys.stderr.buffer.write((PREFIX + message + "\n").encode("utf-8", "backslashreplace"))
    sys.stderr.flush()


def octavia_user(conf):
    """(name, uid, gid) of the user Octavia runs as, told by the ownership of its config file."""
    info = os.stat(conf)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    if info.st_uid != 0:
        try:
            entry = pwd.getpwuid(info.st_uid)
        except KeyError:
            raise Refusal("octavia.configFile %s is owned by uid %d, which has no user entry: cannot tell Octavia's user"
                          % (conf, info.st_uid))
        return entry.pw_name, entry.pw_uid, entry.pw_gid
    try:
        entry = pwd.getpwnam(group)
    except KeyError:
        raise Refusal("cannot tell Octavia's user: octavia.configFile %s is owned by %s:%s (%d:%d, mode %o); Octavia's "
                      "user owns it (devstack) or is the user named as its group (packages: root:octavia)"
                      % (conf, owner, group, info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)))
    return entry.pw_name, entry.pw_uid, entry.pw_gid


def write_atomic(path, data, mode, uid, gid):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".tlb-tmp.")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchown(f.fileno(), uid, gid)
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def load_state(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            state = json.load(f)
    except FileNotFoundError:
        return None
    if not isinstance(state, dict) or state.get("version") != 1:
        raise Refusal(path + " is not a state file this program wrote")
    return state


def save_state(path, state):
    data = (json.dumps(state, indent=1, sort_keys=True) + "\n").encode("utf-8")
    if os.path.exists(path) and read_bytes(path) == data:
        return
    write_atomic(path, data, 0o600, 0, 0)


def touch(path):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def regular_file(path):
    """True for a regular file, False when nothing is there; refuses anything else (a link, a directory)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode):
        raise Refusal(path + " exists and is not a regular file; nothing was changed")
    return True


def read_files(names):
    data = sys.stdin.buffer.read().decode("utf-8")
    try:
        doc = json.loads(data)
    except ValueError:
        raise Refusal("standard input is not the expected JSON document (the certificate files travel there)")
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict) or sorted(files) != sorted(names):
        raise Refusal("standard input does not carry exactly the files %s" % ", ".join(sorted(names)))
    for name, content in files.items():
        if not isinstance(content, str) or "-----BEGIN " not in content:
            raise Refusal("standard input: %s is not PEM text" % name)
    return dict((name, content.encode("utf-8")) for name, content in files.items())


def apply(p):
    names = p["names"]
    files = read_files(names)
    directory = p["dir"]
    user, uid, gid = octavia_user(p["conf"])
    state = load_state(p["state"])
    if state is not None and state["dir"] != directory:
        note("the certificate directory moved from %s to %s; restoring the old one first" % (state["dir"], directory))
        restore(dict(p, dir=state["dir"]))
        state = None
    if state is None:
        parent = os.path.dirname(directory)
        if not os.path.isdir(parent):
            raise Refusal("%s does not exist: the certificate directory %s goes into Octavia's own folder" % (parent, directory))
        state = {"version": 1, "dir": directory, "dir_created": False, "dir_original": None, "files": {}}
        if os.path.lexists(directory):
            info = os.lstat(directory)
            if not stat.S_ISDIR(info.st_mode):
                raise Refusal(directory + " exists and is not a directory; nothing was changed")
            state["dir_original"] = [stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid]
        else:
            state["dir_created"] = True
    for name in names:
        if name in state["files"]:
            continue
        path = os.path.join(directory, name)
        if regular_file(path):
            info = os.stat(path)
            if not os.path.isdir(p["backups"]):
                os.mkdir(p["backups"], 0o700)
            backup = os.path.join(p["backups"], name)
            write_atomic(backup, read_bytes(path), 0o600, 0, 0)
            state["files"][name] = {"backup": backup, "mode": stat.S_IMODE(info.st_mode), "uid": info.st_uid, "gid": info.st_gid}
            note("kept the existing %s as %s" % (path, backup))
        else:
            state["files"][name] = {"created": True}
    # The record goes to disk before anything changes, so a crash cannot lose what was there.
    save_state(p["state"], state)
    if not os.path.isdir(directory):
        os.mkdir(directory, 0o700)
        note("made " + directory)
    info = os.stat(directory)
    if (info.st_uid, info.st_gid) != (uid, gid):
        os.chown(directory, uid, gid)
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(directory, 0o700)
    changed = []
    for name in names:
        path = os.path.join(directory, name)
        if regular_file(path) and read_bytes(path) == files[name]:
            info = os.stat(path)
            if (info.st_uid, info.st_gid) != (uid, gid):
                os.chown(path, uid, gid)
                note("gave %s back to %s" % (path, user))
            if stat.S_IMODE(info.st_mode) != 0o600:
                os.chmod(path, 0o600)
                note("gave %s back mode 600" % path)
            continue
        write_atomic(path, files[name], 0o600, uid, gid)
        changed.append(name)
        note("wrote " + path)
    if changed:
        # The octavia.conf command runs right after this one and restarts Octavia once (octavia-conf.sh).
        touch(p["pending"])
        print("CERTIFICATES changed %s" % " ".join(changed))
    else:
        print("CERTIFICATES unchanged")


def restore(p):
    state = load_state(p["state"])
    if state is None:
        note("no record of delivered certificates; nothing to restore")
        return
    directory = state["dir"]
    changed = False
    for name, record in sorted(state["files"].items()):
        path = os.path.join(directory, name)
        if record.get("created"):
            if os.path.lexists(path):
                os.unlink(path)
                changed = True
                note("removed " + path)
            continue
        backup = record["backup"]
        if not os.path.exists(backup):
            note("the backup %s is gone; %s not restored" % (backup, path))
            continue
        original = read_bytes(backup)
        if not os.path.isdir(directory):
            os.mkdir(directory, 0o700)
        if not (regular_file(path) and read_bytes(path) == original):
            changed = True
        write_atomic(path, original, record["mode"], record["uid"], record["gid"])
        os.unlink(backup)
        note("restored " + path)
    if state["dir_created"]:
        if os.path.isdir(directory):
            try:
                os.rmdir(directory)
                note("removed " + directory)
            except OSError:
                note(directory + " holds files the stack did not write; it is kept")
    elif state["dir_original"] is not None and os.path.isdir(directory):
        mode, uid, gid = state["dir_original"]
        os.chown(directory, uid, gid)
        os.chmod(directory, mode)
    if os.path.isdir(p["backups"]):
        try:
            os.rmdir(p["backups"])
        except OSError:
            note(p["backups"] + " is not empty; it is kept")
    if changed:
        touch(p["pending"])
    os.unlink(p["state"])


def sha256_file(path):
    return hashlib.sha256(read_bytes(path)).hexdigest()


def drift(what):
    sys.stdout.write("DRIFT certificates %s\n" % what)


def check_files(p, want):
    directory = p["dir"]
    try:
        user, uid, gid = octavia_user(p["conf"])
    except (Refusal, OSError) as e:
        drift(str(e))
        user, uid, gid = None, None, None
    if not os.path.isdir(directory):
        drift(directory + " is missing")
        return
    info = os.stat(directory)
    if stat.S_IMODE(info.st_mode) != 0o700:
        drift("%s has mode %o, not 700" % (directory, stat.S_IMODE(info.st_mode)))
    if uid is not None and info.st_uid != uid:
        drift("%s is owned by uid %d, not %s" % (directory, info.st_uid, user))
    for name in p["names"]:
        path = os.path.join(directory, name)
        if not os.path.isfile(path) or os.path.islink(path):
            drift(path + " is missing")
            continue
        expected = p["expected"].get(name) or want.get(name)
        if expected is None:
            raise Refusal("no expected digest for " + name)
        if sha256_file(path) != expected:
            drift(path + " differs from what the stack delivered")
        info = os.stat(path)
        if stat.S_IMODE(info.st_mode) != 0o600:
            drift("%s has mode %o, not 600" % (path, stat.S_IMODE(info.st_mode)))
        if uid is not None and (info.st_uid, info.st_gid) != (uid, gid):
            drift("%s is owned by %d:%d, not %s (%d:%d)" % (path, info.st_uid, info.st_gid, user, uid, gid))


def conf_certificates(conf):
    """The certificate files octavia.conf names (best effort: a file that cannot be parsed names none)."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None, delimiters=("=", ":"), comment_prefixes=("#", ";"))
    try:
        with open(conf, "r", encoding="utf-8", errors="surrogateescape") as f:
            parser.read_file(f)
    except (OSError, configparser.Error):
        return []
    out = []
    for section, key in (("certificates", "ca_certificate"), ("haproxy_amphora", "server_ca"),
                         ("haproxy_amphora", "client_cert"), ("controller_worker", "client_ca")):
        if parser.has_option(section, key):
            value = parser.get(section, key).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            if value.startswith("/"):
                out.append(value)
    return out


def openssl_path():
    for d in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(d, "openssl")
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def not_after(path, openssl):
    """notAfter as a Unix time, or raises ValueError."""
    if openssl is not None:
        r = subprocess.run([openssl, "x509", "-enddate", "-noout", "-in", path], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=20)
        out = r.stdout.decode("ascii", "replace").strip()
        if r.returncode != 0 or not out.startswith("notAfter="):
            raise ValueError("openssl cannot read a certificate in it")
        return calendar.timegm(time.strptime(out[len("notAfter="):].replace("  ", " "), "%b %d %H:%M:%S %Y GMT"))
    from cryptography import x509  # noqa: only when openssl is missing
    cert = x509.load_pem_x509_certificate(read_bytes(path))
    end = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
    return calendar.timegm(end.utctimetuple())


def expiry(paths):
    openssl = openssl_path()
    if openssl is None:
        try:
            import cryptography.x509  # noqa: F401
        except ImportError:
            print("NOTE certificate expiry unknown: neither openssl nor python3's cryptography module is installed")
            for path in paths:
                print("CERT %s unknown" % path)
            return
    now = time.time()
    for path in paths:
        try:
            end = not_after(path, openssl)
        except (OSError, ValueError, subprocess.TimeoutExpired) as e:
            print("NOTE %s: %s" % (path, getattr(e, "strerror", None) or str(e) or type(e).__name__))
            print("CERT %s unknown" % path)
            continue
        print("CERT %s %d" % (path, int(math.floor((end - now) / 86400.0))))


def check(p):
    if p.get("dir"):
        want = {}
        data = sys.stdin.buffer.read().decode("utf-8")
        if data.strip():
            try:
                doc = json.loads(data)
            except ValueError:
                raise Refusal("standard input is not the expected JSON document")
            want = doc.get("certificates", {}) if isinstance(doc, dict) else {}
        check_files(p, want)
    paths = []
    for path in [os.path.join(p["dir"], name) for name in p.get("certs", [])] if p.get("dir") else []:
        if os.path.isfile(path) and path not in paths:
            paths.append(path)
    for path in conf_certificates(p["conf"]):
        if os.path.isfile(path) and path not in paths:
            paths.append(path)
    expiry(paths)


def main():
    action = sys.argv[1]
    p = json.loads(sys.argv[2])
    try:
        if action == "apply":
            apply(p)
        elif action == "restore":
            restore(p)
        elif action == "check":
            check(p)
        else:
            raise Refusal("unknown action " + action)
    except Refusal as e:
        note("error: " + str(e))
        sys.exit(1)
    except OSError as e:
        note("error: %s: %s" % (e.filename or p.get("dir"), e.strerror))
        sys.exit(1)
    except Exception as e:
        tb = e.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        note("error: unexpected %s at line %d of the certificates program (its text is withheld: it may hold a key)"
             % (type(e).__name__, tb.tb_lineno))
        sys.exit(1)


if __name__ == "__main__":
    main()
