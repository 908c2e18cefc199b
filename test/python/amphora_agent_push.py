#!/usr/bin/python3
"""What a controller does around a running amphora agent, with Octavia's own code, for test/host/agentPush.host.test.ts.

Run with the system python3 that has Octavia (python3-octavia 11.0.0, Zed: the controllers' Octavia of the lab):

    /usr/bin/python3 amphora_agent_push.py MODE [OCTAVIA_CONF] < request.json

Every time printed is time.monotonic() (CLOCK_MONOTONIC, one clock for every process of the machine), so the
listener's and the push's times compare directly.

MODE `sign` (request {"amphora_id", "ca_cert", "ca_key", "ca_key_pass", "out"}): the amphora's server certificate
and key, as Octavia's worker makes them for a new amphora (local_cert_generator: CN = the amphora's id, signed by
the server CA), written to `out` (mode 0600) as the agent's server.pem.

MODE `push` OCTAVIA_CONF (request {"amphora_id", "ip"}): the worker's AmphoraConfigUpdate task
(octavia/controller/worker/v2/tasks/amphora_driver_tasks.py): the agent configuration rendered from the
controller's conf by AgentJinjaTemplater, then HaproxyAmphoraLoadBalancerDriver.update_amphora_agent_config (PUT
/1.0/config over mutual TLS). Prints {"sent": t before the request, "answered": t after the agent's answer}.

MODE `listen` (request {"controllers": ["ip:port", ...], "keys": {"name": key, ...}}): a health manager's ear on
every address: binds each, prints {"listening": true}, then one line per datagram
{"t", "to": "ip:port", "key": the name of the key unwrap_envelope (the health manager's own check,
octavia/amphorae/drivers/health/heartbeat_udp.py) opens it with, or null}. Keys come on stdin, never on a command
line; runs until killed.
"""
import json
import os
import selectors
import socket
import sys
import time
import types

from oslo_config import cfg
from oslo_log import log

import octavia.common.config  # noqa: F401 -- registers Octavia's options
from octavia.amphorae.backends.agent import agent_jinja_cfg
from octavia.amphorae.backends.health_daemon import status_message
from octavia.amphorae.drivers.haproxy import rest_api_driver
from octavia.certificates.generator import local
from octavia.common import constants as consts

CONF = cfg.CONF


def sign(req):
    with open(req["ca_cert"], "rb") as f:
        ca_cert = f.read()
    with open(req["ca_key"], "rb") as f:
        ca_key = f.read()
    pair = local.LocalCertGenerator.generate_cert_key_pair(
        cn=req["amphora_id"], validity=3600, ca_cert=ca_cert, ca_key=ca_key,
        ca_key_pass=req["ca_key_pass"].encode())
    fd = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pair.get_certificate())
        out.write(pair.get_private_key())
    return {"written": req["out"]}


def push(req):
    config = agent_jinja_cfg.AgentJinjaTemplater().build_agent_config(
        req["amphora_id"], CONF.controller_worker.loadbalancer_topology)
    amp = types.SimpleNamespace(id=req["amphora_id"], lb_network_ip=req["ip"], api_version=None)
    driver = rest_api_driver.HaproxyAmphoraLoadBalancerDriver()
    timeouts = {consts.CONN_MAX_RETRIES: 30, consts.CONN_RETRY_INTERVAL: 1,
                consts.REQ_CONN_TIMEOUT: 5, consts.REQ_READ_TIMEOUT: 30}
    # The version discovery first (GET /), as the worker's driver does once per amphora, so `sent` times the PUT.
    driver._populate_amphora_api_version(amp, timeout_dict=timeouts)
    sent = time.monotonic()
    driver.update_amphora_agent_config(amp, config, timeout_dict=timeouts)
    return {"sent": sent, "answered": time.monotonic()}


def listen(req):
    keys = req["keys"]
    sel = selectors.DefaultSelector()
    for dest in req["controllers"]:
        ip, port = dest.rsplit(":", 1)
        sock = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((ip, int(port)))
        sel.register(sock, selectors.EVENT_READ, dest)
    print(json.dumps({"listening": True}), flush=True)
    while True:
        for key, _ in sel.select():
            data, _sender = key.fileobj.recvfrom(65535)
            t = time.monotonic()
            opened = None
            for name, secret in keys.items():
                try:
                    status_message.unwrap_envelope(data, secret)
                    opened = name
                    break
                except Exception:  # refused with this key: try the next
                    continue
            print(json.dumps({"t": t, "to": key.data, "key": opened}), flush=True)


def main():
    mode = sys.argv[1]
    req = json.load(sys.stdin)
    if mode == "push":
        log.register_options(CONF)
        CONF(["--config-file", sys.argv[2]], project="octavia")
    out = {"sign": sign, "push": push, "listen": listen}[mode](req)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
