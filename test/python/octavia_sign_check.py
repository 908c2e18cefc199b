"""Uses a region's amphora PKI the way Octavia does, with Octavia's own code and python3-cryptography.

    /usr/bin/python3 test/python/octavia_sign_check.py <certs-dir>   (the server CA's passphrase on stdin)

<certs-dir> holds the PKI's files under Octavia's names (server_ca.cert.pem, server_ca.key.pem, client_ca.cert.pem,
client.cert-and-key.pem). The passphrase comes on stdin so that it never shows in a process list.

1. Signs an amphora certificate with octavia.certificates.generator.local.LocalCertGenerator, given the server CA,
   its encrypted key and the passphrase, exactly as the controller worker does when it builds an amphora.
2. Checks that the server CA's key made that signature.
3. Runs a TLS handshake in memory between the amphora (its new certificate; it trusts client_ca.cert.pem, as the
   amphora agent does) and a controller (client.cert-and-key.pem; it trusts server_ca.cert.pem), both sides requiring
   the other's certificate.

Prints one JSON line: {"ok": true, ...} and exits 0, or {"ok": false, "step": ..., "error": <exception class>,
"cause": <the class of the exception it wraps>} and exits 1. Nothing it prints holds a key or a passphrase (only an exception's class name is reported).
"""

import json
import os
import ssl
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from octavia.certificates.generator.local import LocalCertGenerator
# Registers Octavia's options ([certificates] signing_digest among them), which the generator reads for its CSR.
from octavia.common import config as _octavia_config  # noqa: F401


def handshake(certs, amphora_cert, amphora_key):
    """A mutual-TLS handshake between the amphora's agent and a controller, over memory buffers."""
    with tempfile.TemporaryDirectory() as tmp:
        amphora_pem = os.path.join(tmp, "amphora.pem")
        with open(amphora_pem, "wb") as f:
            f.write(amphora_cert + amphora_key)

        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(amphora_pem)
        server.load_verify_locations(os.path.join(certs, "client_ca.cert.pem"))
        server.verify_mode = ssl.CERT_REQUIRED

        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.load_cert_chain(os.path.join(certs, "client.cert-and-key.pem"))
        client.load_verify_locations(os.path.join(certs, "server_ca.cert.pem"))
        # Octavia's controllers match the amphora's id against the certificate's CN themselves, not a host name.
        client.check_hostname = False
        client.verify_mode = ssl.CERT_REQUIRED

        c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
        c = client.wrap_bio(c_in, c_out, server_side=False)
        s = server.wrap_bio(s_in, s_out, server_side=True)
        done = {"c": False, "s": False}
        for _ in range(20):
            for name, end, out, peer_in in (("c", c, c_out, s_in), ("s", s, s_out, c_in)):
                if not done[name]:
                    try:
                        end.do_handshake()
                        done[name] = True
                    except ssl.SSLWantReadError:
                        pass
                data = out.read()
                if data:
                    peer_in.write(data)
            if done["c"] and done["s"]:
                break
        if not (done["c"] and done["s"]):
            raise RuntimeError("handshake did not finish")
        # After the handshake each side holds the other's verified certificate.
        return {
            "amphoraSawClient": dict(x[0] for x in s.getpeercert()["subject"])["commonName"],
            "controllerSawAmphora": dict(x[0] for x in c.getpeercert()["subject"])["commonName"],
        }


def main():
    certs = sys.argv[1]
    passphrase = sys.stdin.read().strip().encode("utf-8")

    def read(name):
        with open(os.path.join(certs, name), "rb") as f:
            return f.read()

    ca_cert = read("server_ca.cert.pem")
    step = "sign"
    try:
        amphora = LocalCertGenerator.generate_cert_key_pair(
            cn="amphora-0f3c9b1e",
            validity=3600,
            ca_cert=ca_cert,
            ca_key=read("server_ca.key.pem"),
            ca_key_pass=passphrase,
            ca_digest="sha256",
        )
        step = "verify"
        ca = x509.load_pem_x509_certificate(ca_cert)
        cert = x509.load_pem_x509_certificate(amphora.certificate)
        if cert.issuer != ca.subject:
            raise RuntimeError("issuer differs from the server CA's subject")
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        step = "handshake"
        seen = handshake(certs, amphora.certificate, amphora.private_key)
    except Exception as e:  # noqa: BLE001 - reported by class only, never by its text
        # Octavia wraps the library's error in its own: the cause's class says what failed.
        cause = e.__cause__ or e.__context__
        print(json.dumps({"ok": False, "step": step, "error": type(e).__name__, "cause": type(cause).__name__ if cause else None}))
        return 1
    print(json.dumps({"ok": True, "issuer": ca.subject.rfc4514_string(), "subject": cert.subject.rfc4514_string(), **seen}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
