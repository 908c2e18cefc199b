#!/usr/bin/python3
"""Merges the stack's settings into octavia.conf on a controller node, and takes them out again.

Run by octavia-conf.sh as `python3 /dev/fd/3 apply|restore CONF STATE BACKUP PENDING SETTINGS [ADOPT]` (the program
travels in the command's text; it is never installed on the node). Secret values are read from standard input,
as a JSON object, never from the arguments.

apply: first looks: a guarded setting (one that ties Octavia to a management plane: `"guarded": true`) that the file
  already holds, not empty, with another value, and that the stack did not set (no record in STATE), is refused
  before anything is written, naming the file, section and key and, unless secret, both values (a secret is
  compared by SHA-256 and never shown). ADOPT ("1": the node was set up by hand and is being taken over) changes
  only the wording: such a value then contradicts the adopted plane. Then it records, on the first run only, each key's original lines (or their absence) in STATE; restores keys that
  earlier runs set and this one no longer does; sets every key of SETTINGS in place (the last assignment in the
  last instance of its section, as oslo.config reads it), or adds it after its commented-out sample line / at the
  end of its section, or adds the section; writes BACKUP (the file before the stack first changed it), then the
  file itself through a temporary file and a rename, with the original mode and owner; touches PENDING so the
  caller restarts Octavia. A key that already holds the value (written `key = value`, `key=value` or `key: value`,
  as the stack would write the value) is left as it is, so nothing is written, and Octavia not restarted, when
  nothing changes.
restore: puts the recorded lines back, removes added keys and sections, removes STATE, and BACKUP when the
  restored file equals it.
check: reads only. Prints `DIFFERS [section] key ...` for each setting the file does not hold as the stack set it
  (the drift check, check.sh); secret settings are compared by SHA-256 (standard input: {"sha256": {name: hex}}),
  and a difference in one says only that it differs.

Values are written as oslo.config reads them: raw, except that `$` becomes `\$` (oslo.config would otherwise
substitute `$name` from other options) and a value with outer blanks or outer matching quotes is wrapped in one
more pair of double quotes (oslo.config strips one pair). Messages name keys, never secret values; unexpected
errors withhold their text for that reason. Python 3.5 compatible (no f-strings).

Why a parser of its own and not oslo_config.iniparser (which every Octavia controller has): iniparser reports
values to callbacks (section, key, value), not where they are in the file. An edit here must change only the
lines of the keys it sets and keep every other byte (comments, order, blank lines, CRLF endings, a missing final
newline), and the restore must give back the file byte for byte, so this program needs line spans, which
iniparser does not give. `parse` below follows iniparser's rules (sections, `=`/`:` separators, continuation
lines, comments), and test/python/test_octavia_conf_merge.py holds it to iniparser's and oslo.config's reading.
"""
import hashlib
import json
import os
import stat
import sys
import tempfile

PREFIX = "tricircle-lbaas: "


class Refusal(Exception):
    """A problem reported in one line; its text never contains a secret value."""


def note(message):
    # Bytes, so a non-ASCII value prints under any locale (python3 < 3.7 has no UTF-8 mode).
    sys.stderr.buffer.write((PREFIX + message + "\n").encode("utf-8", "backslashreplace"))
    sys.stderr.flush()


def split_lines(text):
    """Lines with their endings, cut where oslo.config (reading in text mode) cuts them."""
    lines = []
    start = 0
    n = len(text)
    while start < n:
        cr = text.find("\r", start)
        lf = text.find("\n", start)
        cuts = [i for i in (cr, lf) if i >= 0]
        if not cuts:
            lines.append(text[start:])
            break
        i = min(cuts)
        end = i + 2 if text[i] == "\r" and i + 1 < n and text[i + 1] == "\n" else i + 1
        lines.append(text[start:end])
        start = end
    return lines


def ending(line):
    return line[len(line.rstrip("\r\n")):]


def norm_section(name):
    return name if name == "DEFAULT" else name.lower()


def parse(lines):
    """Sections and assignments with their line spans, as oslo_config.iniparser sees them."""
    sections = []
    keys = []
    current = None
    assignment = None
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if not line:
            assignment = None
            continue
        if line[0] in " \t":
            if assignment is not None:
                assignment["end"] = i + 1
            continue
        assignment = None
        if line.startswith("["):
            if current is not None:
                current["end"] = i
            name = line[1:-1] if line.endswith("]") and len(line) > 2 else None
            current = {"name": None if name is None else norm_section(name), "header": i, "end": len(lines)}
            sections.append(current)
        elif line.startswith(("#", ";")):
            continue
        else:
            equal = line.find("=")
            colon = line.find(":")
            if equal < 0 and colon < 0:
                continue
            cut = equal if colon < 0 or 0 <= equal < colon else colon
            assignment = {"section": None if current is None else current["name"],
                          "key": line[:cut].strip(), "start": i, "end": i + 1}
            keys.append(assignment)
    return sections, keys


def last(items, predicate):
    found = None
    for item in items:
        if predicate(item):
            found = item
    return found


def find_key(keys, section, key):
    target = norm_section(section)
    return last(keys, lambda k: k["section"] == target and k["key"] == key)


def find_section(sections, section):
    target = norm_section(section)
    return last(sections, lambda s: s["name"] == target)


def encode(value):
    text = value.replace("$", "\\$")
    if text != text.strip() or (text and text[0] == text[-1] and text[0] in "\"\x27"):
        text = "\"" + text + "\""
    return text


def render(key, value, eol):
    encoded = encode(value)
    return key + " =" + (" " + encoded if encoded else "") + eol


def default_eol(lines):
    for line in lines:
        if ending(line):
            return ending(line)
    return "\n"


def terminate_last_line(lines, state):
    if lines and not ending(lines[-1]):
        lines[-1] += default_eol(lines[:-1])
        state["eof_newline_added"] = True


def insertion_point(lines, home, key):
    """After the commented-out sample of the key in the section (#key = default), else after
    the last non-blank line of the section."""
    commented = None
    last_content = home["header"]
    for i in range(home["header"] + 1, home["end"]):
        text = lines[i].strip()
        if not text:
            continue
        last_content = i
        if text[0] in "#;":
            rest = text[1:].strip()
            if rest.startswith(key) and rest[len(key):].lstrip()[:1] in ("=", ":"):
                commented = i
    return (last_content if commented is None else commented) + 1


def insert_block(lines, at, block, state):
    if at == len(lines):
        terminate_last_line(lines, state)
    lines[at:at] = block


def find_record(state, section, key):
    return last(state["keys"], lambda r: norm_section(r["section"]) == norm_section(section) and r["key"] == key)


def set_key(lines, state, section, key, value):
    sections, keys = parse(lines)
    hit = find_key(keys, section, key)
    record = find_record(state, section, key)
    if hit is not None:
        block = lines[hit["start"]:hit["end"]]
        if record is None:
            state["keys"].append({"section": section, "key": key, "original": block})
        new = render(key, value, ending(block[-1]))
        if block == [new] or raw_value(lines, hit) == encode(value):
            return False
        lines[hit["start"]:hit["end"]] = [new]
        return True
    if record is None:
        state["keys"].append({"section": section, "key": key, "original": None})
    home = find_section(sections, section)
    if home is not None:
        insert_block(lines, insertion_point(lines, home, key), [render(key, value, default_eol(lines))], state)
        return True
    terminate_last_line(lines, state)
    eol = default_eol(lines)
    separator = bool(lines) and lines[-1].strip() != ""
    if separator:
        lines.append(eol)
    lines.append("[" + section + "]" + eol)
    lines.append(render(key, value, eol))
    state["sections"].append({"name": section, "separator": separator})
    return True


def restore_key(lines, state, record):
    sections, keys = parse(lines)
    hit = find_key(keys, record["section"], record["key"])
    original = record["original"]
    if original is None:
        if hit is None:
            return False
        del lines[hit["start"]:hit["end"]]
        return True
    block = list(original)
    if hit is not None:
        if hit["end"] < len(lines) and not ending(block[-1]):
            block[-1] += default_eol(lines)
        if lines[hit["start"]:hit["end"]] == block:
            return False
        lines[hit["start"]:hit["end"]] = block
        return True
    home = find_section(sections, record["section"])
    if home is None:
        note("[%s] is gone from the file; %s not restored" % (record["section"], record["key"]))
        return False
    at = insertion_point(lines, home, record["key"])
    if at < len(lines) and not ending(block[-1]):
        block[-1] += default_eol(lines)
    insert_block(lines, at, block, state)
    return True


def remove_created_section(lines, record):
    sections, keys = parse(lines)
    home = find_section(sections, record["name"])
    if home is None:
        return True
    if any(line.strip() for line in lines[home["header"] + 1:home["end"]]):
        note("[%s] now holds settings the stack did not write; the section is kept" % record["name"])
        return False
    start = home["header"]
    if record["separator"] and start > 0 and not lines[start - 1].strip():
        start -= 1
    del lines[start:home["end"]]
    return True


def load_state(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            state = json.load(f)
    except FileNotFoundError:
        return None
    if not isinstance(state, dict) or state.get("version") != 1:
        raise Refusal(path + " is not a state file this program wrote")
    return state


def write_atomic(path, data, mode, uid, gid):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchown(f.fileno(), uid, gid)
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_state(path, state):
    data = (json.dumps(state, indent=1, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    write_atomic(path, data, 0o600, 0, 0)


def touch(path):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def read_secrets():
    data = sys.stdin.buffer.read().decode("utf-8")
    if not data.strip():
        raise Refusal("standard input carries no secrets; the heartbeat key travels there")
    try:
        secrets = json.loads(data)
    except ValueError:
        raise Refusal("standard input is not the expected JSON document")
    if not isinstance(secrets, dict):
        raise Refusal("standard input is not a JSON object")
    return secrets


def read_config(conf):
    target = os.path.realpath(conf)
    info = os.stat(target)
    with open(target, "rb") as f:
        raw = f.read()
    return target, info, raw, raw.decode("utf-8", "surrogateescape")


def write_config(target, info, text):
    write_atomic(target, text.encode("utf-8", "surrogateescape"), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)


def wanted_settings(settings_json):
    wanted = []
    secrets = None
    for s in json.loads(settings_json):
        label = "[%s] %s" % (s["section"], s["key"])
        if "secret" in s:
            if secrets is None:
                secrets = read_secrets()
            value = secrets.get(s["secret"])
            if value is None:
                raise Refusal("standard input has no value for " + label)
        else:
            value = s["value"]
        if not isinstance(value, str):
            raise Refusal(label + ": the value is not a string")
        if "\r" in value or "\n" in value or "\0" in value:
            raise Refusal(label + ": the value must be one line (oslo.config ends a value at a line break)")
        wanted.append((s["section"], s["key"], value, "secret" in s, bool(s.get("guarded"))))
    return wanted


def sha256(text):
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def refuse_foreign(conf, lines, state, wanted, adopt):
    """Refuses guarded settings that the file holds with another value the stack did not write; changes nothing."""
    sections, keys = parse(lines)
    problems = []
    for section, key, value, secret, guarded in wanted:
        if not guarded or (state is not None and find_record(state, section, key) is not None):
            continue
        hit = find_key(keys, section, key)
        if hit is None:
            continue
        got = value_of(lines, hit)
        if got == "":
            continue
        label = "[%s] %s" % (section, key)
        if secret:
            if got is None or sha256(got) != sha256(value):
                problems.append("%s holds another key than the stack's (compared by SHA-256, not shown)" % label)
        elif got is None:
            problems.append("%s spans several lines, the stack's value is %s" % (label, json.dumps(value)))
        elif got != value:
            problems.append("%s is %s, the stack's is %s" % (label, json.dumps(got), json.dumps(value)))
    if not problems:
        return
    if adopt:
        why = ("they contradict the plane being adopted (tricircle-lbaas:adopt: true takes over a node whose values are "
               "the stack's): the amphorae booted with them would be lost; nothing was changed")
    else:
        why = ("they were set by hand, not by this stack, for a management plane that running amphorae may use; nothing "
               "was changed: clear them if that plane is gone, or, to take over a node set up by hand, give the stack "
               "the same network, group and key and set tricircle-lbaas:adopt: true")
    raise Refusal("%s: %s: %s" % (conf, "; ".join(problems), why))


def apply(conf, state_path, backup, pending, settings_json, adopt=False):
    wanted = wanted_settings(settings_json)
    target, info, raw, text = read_config(conf)
    lines = split_lines(text)
    state = load_state(state_path)
    if state is not None and state["config"] != conf:
        raise Refusal(state_path + " records changes to " + state["config"] + ", not " + conf)
    refuse_foreign(conf, lines, state, wanted, adopt)
    if state is None:
        state = {"version": 1, "config": conf, "keys": [], "sections": [], "eof_newline_added": False,
                 "eof_line": lines[-1].rstrip("\r\n") if lines else ""}
    wanted_keys = set((norm_section(s), k) for s, k, _, _, _ in wanted)
    wanted_sections = set(norm_section(s) for s, _, _, _, _ in wanted)
    for record in list(reversed(state["keys"])):
        if (norm_section(record["section"]), record["key"]) not in wanted_keys:
            restore_key(lines, state, record)
            state["keys"].remove(record)
            note("restored [%s] %s, which the stack no longer sets" % (record["section"], record["key"]))
    for record in list(reversed(state["sections"])):
        if norm_section(record["name"]) not in wanted_sections and remove_created_section(lines, record):
            state["sections"].remove(record)
    for section, key, value, secret, _ in wanted:
        if set_key(lines, state, section, key, value):
            note("set [%s] %s = %s" % (section, key, "(secret)" if secret else value))
    new_text = "".join(lines)
    # The record goes to disk before the file changes, so a crash cannot lose the originals.
    save_state(state_path, state)
    if new_text == text:
        return
    if not os.path.exists(backup):
        write_atomic(backup, raw, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
        note("kept the original as " + backup)
    touch(pending)
    write_config(target, info, new_text)
    note("updated " + conf)


def restore(conf, state_path, backup, pending):
    state = load_state(state_path)
    if state is None:
        note("no record of changes to " + conf + "; nothing to restore")
        return
    if not os.path.exists(conf):
        note(conf + " is gone; nothing to restore")
        os.unlink(state_path)
        return
    target, info, raw, text = read_config(conf)
    lines = split_lines(text)
    for record in reversed(state["keys"]):
        if restore_key(lines, state, record):
            note("restored [%s] %s" % (record["section"], record["key"]))
    for record in reversed(state["sections"]):
        remove_created_section(lines, record)
    if state.get("eof_newline_added") and lines and lines[-1].rstrip("\r\n") == state.get("eof_line"):
        lines[-1] = lines[-1].rstrip("\r\n")
    new_text = "".join(lines)
    if new_text != text:
        touch(pending)
        write_config(target, info, new_text)
        note("restored " + conf)
    if os.path.exists(backup):
        with open(backup, "rb") as f:
            same = f.read() == new_text.encode("utf-8", "surrogateescape")
        if same:
            os.unlink(backup)
        else:
            note(conf + " was edited after the stack changed it; " + backup + " is kept for comparison")
    os.unlink(state_path)


def decode(raw):
    """The value oslo.config reads from an assignment's text after the separator (the inverse of encode)."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"\x27":
        text = text[1:-1]
    return text.replace("\\$", "$")


def raw_value(lines, hit):
    """The text after the separator of a one-line assignment, without outer blanks; None for a multi-line one."""
    if hit["end"] - hit["start"] != 1:
        return None
    line = lines[hit["start"]].rstrip("\r\n")
    equal = line.find("=")
    colon = line.find(":")
    cut = equal if colon < 0 or 0 <= equal < colon else colon
    return line[cut + 1:].strip()


def value_of(lines, hit):
    """The value of a one-line assignment as oslo.config reads it; None for a multi-line one."""
    raw = raw_value(lines, hit)
    return None if raw is None else decode(raw)


def check(conf, settings_json):
    hashes = None
    target, info, raw, text = read_config(conf)
    lines = split_lines(text)
    sections, keys = parse(lines)
    for s in json.loads(settings_json):
        label = "[%s] %s" % (s["section"], s["key"])
        hit = find_key(keys, s["section"], s["key"])
        if hit is None:
            print("DIFFERS %s is not set" % label)
            continue
        got = value_of(lines, hit)
        if "secret" in s:
            if hashes is None:
                hashes = read_secrets().get("sha256", {})
            want = hashes.get(s["secret"])
            if want is None:
                raise Refusal("standard input has no hash for " + label)
            if got is None or sha256(got) != want:
                print("DIFFERS %s differs from the stack's (secret, not shown)" % label)
        elif got != s["value"]:
            print("DIFFERS %s is %s, not %s" % (label, json.dumps(got), json.dumps(s["value"])))


def main():
    action, conf, state_path, backup, pending, settings_json = sys.argv[1:7]
    adopt = sys.argv[7:8] == ["1"]
    try:
        if action == "apply":
            apply(conf, state_path, backup, pending, settings_json, adopt)
        elif action == "restore":
            restore(conf, state_path, backup, pending)
        elif action == "check":
            check(conf, settings_json)
        else:
            raise Refusal("unknown action " + action)
    except Refusal as e:
        note("error: " + str(e))
        sys.exit(1)
    except OSError as e:
        note("error: %s: %s" % (e.filename or conf, e.strerror))
        sys.exit(1)
    except Exception as e:
        tb = e.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        note("error: unexpected %s at line %d of the merge program while working on %s (its text is withheld: it may hold a secret)"
             % (type(e).__name__, tb.tb_lineno, conf))
        sys.exit(1)


if __name__ == "__main__":
    main()
