#!/usr/bin/python3
"""Proof, with Octavia's own code, that the PKI and octavia.conf the stack delivered let a controller sign an
amphora's certificate and talk to its agent, and that what must fail fails.

Run on a controller node (the host suite's test/host/octaviaPki.host.test.ts) as Octavia's user, with the system
python3 that has Octavia installed: `python3 - CONF < this file`. Reads only the merged octavia.conf CONF and the
files it points to (the passphrases are in CONF, never in the arguments). Prints one JSON document:

- `positive`: octavia.certificates.generator.local.LocalCertGenerator signs an amphora certificate (CN = a new
  UUID) with the server CA ([certificates] ca_certificate, ca_private_key and its passphrase); a TLS server on
  127.0.0.1 presents it, requires a client certificate from the client CA ([controller_worker] client_ca) and
  answers `GET /` as the amphora agent does; Octavia's haproxy driver client
  (AmphoraAPIClientBase.get_api_version) must get {"api_version": "1.0"} back, presenting [haproxy_amphora]
  client_cert and verifying with [haproxy_amphora] server_ca and the amphora id as host name.
- `other_ca`, `wrong_id`, `expired`: the same call against a certificate from another CA, with an amp.id that is
  not the certificate's CN, and with an expired certificate: each must fail (the driver gives up after its retries).
- `no_client_cert`: a client without a certificate must be refused by the server (the agent's side of mutual TLS).
- `fernet`: [certificates] server_certs_key_passphrase makes the Fernet key Octavia encrypts amphora keys with.
"""
import datetime
import json
import os
import ssl
import sys
import tempfile
import threading
import time
import types
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from oslo_config import cfg

import octavia.common.config  # noqa: F401 -- registers Octavia's options on cfg.CONF
from octavia.amphorae.drivers.haproxy import rest_api_driver
from octavia.certificates.generator.local import LocalCertGenerator
from octavia.common import utils

CONF = cfg.CONF


class AgentHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"api_version": "1.0"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(cert_pem, key_pem, workdir):
    """An amphora agent stand-in presenting cert_pem, requiring a client certificate from the client CA."""
    chain = os.path.join(workdir, "amp-%s.pem" % uuid.uuid4())
    with open(chain, "wb") as f:
        f.write(cert_pem + key_pem)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(CONF.controller_worker.client_ca)
    server = HTTPServer(("127.0.0.1", 0), AgentHandler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def call(server, amp_id):
    CONF.set_override("bind_port", server.server_address[1], group="haproxy_amphora")
    amp = types.SimpleNamespace(id=amp_id, lb_network_ip="127.0.0.1", api_version=None)
    try:
        return {"ok": rest_api_driver.AmphoraAPIClientBase().get_api_version(amp)}
    except Exception as e:  # the driver's own failure (TimeOutException after its retries), reported by type
        return {"failed": type(e).__name__}
    finally:
        server.shutdown()
        server.server_close()


def other_ca_pair(cn):
    """An amphora-looking certificate from a CA the controllers do not trust."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "some other CA")])
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .sign(ca_key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()))


def no_client_cert(server, amp_id):
    import requests
    port = server.server_address[1]
    try:
        requests.get("https://127.0.0.1:%d/" % port, verify=False, timeout=5)
        return {"ok": "the server answered a client without a certificate"}
    except requests.exceptions.RequestException as e:
        return {"failed": type(e).__name__}
    finally:
        server.shutdown()
        server.server_close()


def main():
    conf_path = sys.argv[1]
    CONF(["--config-file", conf_path], project="octavia", default_config_files=[], default_config_dirs=[])
    # Small bounds, so each negative fails in seconds; the addresses are this test's.
    CONF.set_override("connection_max_retries", 2, group="haproxy_amphora")
    CONF.set_override("connection_retry_interval", 0, group="haproxy_amphora")
    CONF.set_override("rest_request_conn_timeout", 3, group="haproxy_amphora")
    CONF.set_override("rest_request_read_timeout", 3, group="haproxy_amphora")
    out = {"conf": {"client_cert": CONF.haproxy_amphora.client_cert, "server_ca": CONF.haproxy_amphora.server_ca,
                    "client_ca": CONF.controller_worker.client_ca, "ca_certificate": CONF.certificates.ca_certificate,
                    "ca_private_key": CONF.certificates.ca_private_key, "signing_digest": CONF.certificates.signing_digest}}
    workdir = tempfile.mkdtemp(prefix="tlb-proof-")
    amp_id = str(uuid.uuid4())
    pair = LocalCertGenerator.generate_cert_key_pair(cn=amp_id, validity=3600)
    issued = x509.load_pem_x509_certificate(pair.certificate)
    out["issuer"] = issued.issuer.rfc4514_string()
    out["subject_cn"] = issued.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    out["amp_id"] = amp_id
    out["positive"] = call(serve(pair.certificate, pair.private_key, workdir), amp_id)
    out["no_client_cert"] = no_client_cert(serve(pair.certificate, pair.private_key, workdir), amp_id)
    cert, key = other_ca_pair(amp_id)
    out["other_ca"] = call(serve(cert, key, workdir), amp_id)
    out["wrong_id"] = call(serve(pair.certificate, pair.private_key, workdir), str(uuid.uuid4()))
    short = LocalCertGenerator.generate_cert_key_pair(cn=amp_id, validity=1)
    time.sleep(2.5)
    out["expired"] = call(serve(short.certificate, short.private_key, workdir), amp_id)
    token = Fernet(utils.get_compatible_server_certs_key_passphrase()).encrypt(b"amphora key")
    out["fernet"] = Fernet(utils.get_compatible_server_certs_key_passphrase()).decrypt(token).decode()
    for name in os.listdir(workdir):
        os.unlink(os.path.join(workdir, name))
    os.rmdir(workdir)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
