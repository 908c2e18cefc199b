#!/usr/bin/python3
"""The e2e suite's STAND-IN for a controller's health manager, and the heartbeats sent to it (test/e2e/stack.test.ts).

The suite's nodes run no Octavia: their restart command (test/e2e/octavia-restart-stand-in.sh) restarts this ear
instead, so that a restart takes the health manager's socket away for as long as it lasts, as restarting
octavia-health-manager does. Run inside a node, with the system python3 that has Octavia:

    health_manager_ear.py ear OCTAVIA_CONF LOG
        Binds the UDP address octavia.conf's [health_manager] bind_ip and bind_port name (exits 0 when there is
        none: the file as packages install it), appends {"ready": t, "pid": n} to LOG once bound, then
        {"t": t, "opened": bool} per datagram: whether unwrap_envelope (the health manager's own check) opens it
        with the file's heartbeat_key.
    health_manager_ear.py send OCTAVIA_CONF KEY_FILE INTERVAL
        An amphora's share of heartbeats for this controller: every INTERVAL seconds an Octavia-built heartbeat
        (wrap_envelope, signed with the key in KEY_FILE) to the address the file names at that moment; none while
        it names none. Runs until killed.

Times are time.time(), the clock the restart log's `date +%s.%N` reads.
"""
import configparser
import json
import os
import socket
import sys
import time

from octavia.amphorae.backends.health_daemon import status_message


def settings(conf):
    c = configparser.RawConfigParser(strict=False)
    c.read(conf)
    if not c.has_section("health_manager"):
        return None, None, None
    hm = c["health_manager"]
    return hm.get("bind_ip"), int(hm.get("bind_port", "5555")), hm.get("heartbeat_key")


def family(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def ear(conf, log):
    ip, port, key = settings(conf)
    if not ip:
        return
    sock = socket.socket(family(ip), socket.SOCK_DGRAM)
    sock.bind((ip, port))
    with open(log, "a", buffering=1, encoding="utf-8") as out:
        out.write(json.dumps({"ready": time.time(), "pid": os.getpid()}) + "\n")
        while True:
            data, _ = sock.recvfrom(65535)
            t = time.time()
            try:
                status_message.unwrap_envelope(data, key)
                opened = True
            except Exception:  # refused by the key check: still received
                opened = False
            out.write(json.dumps({"t": t, "opened": opened}) + "\n")


def send(conf, key_file, interval):
    with open(key_file, encoding="utf-8") as f:
        key = f.read().strip()
    socks = {socket.AF_INET: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
             socket.AF_INET6: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)}
    seq = 0
    while True:
        ip, port, _ = settings(conf)
        if ip:
            msg = {"id": "e2e-heartbeat-probe", "seq": seq, "listeners": {}, "pools": {}, "ver": 3}
            try:
                socks[family(ip)].sendto(status_message.wrap_envelope(msg, key), (ip, port))
            except OSError:  # the address is not up yet: as an amphora does, try again next time
                pass
        seq += 1
        time.sleep(interval)


if __name__ == "__main__":
    if sys.argv[1] == "ear":
        ear(sys.argv[2], sys.argv[3])
    else:
        send(sys.argv[2], sys.argv[3], float(sys.argv[4]))
