"""SASL EXTERNAL over real TLS: a client certificate signed by `tls_client_ca` (all made in the
test with `cryptography`), tied to an account with NickServ CERT ADD, logs in; without it,
or after CERT DEL, EXTERNAL fails; the fingerprints survive a restart."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import pytest

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import running_server

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _issue(
    path: Path, name: str, issuer: tuple[object, object] | None, *, ca: bool = False
) -> tuple[object, object]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)  # type: ignore[attr-defined]
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
    cert = builder.sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]
    (path / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (path / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    ca = _issue(d, "ca", None, ca=True)
    _issue(d, "server", ca)
    _issue(d, "alice", ca)
    return d


def fingerprint(pem: Path) -> str:
    der = x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def external(port: int, cert: tuple[str, str] | None, nick: str = "alice") -> IRCClient:
    c = IRCClient(port, tls=True, client_cert=cert)
    c.send("CAP LS 302", "CAP REQ :sasl", f"NICK {nick}", "USER a 0 * :a")
    c.expect("CAP", lambda m: m.param(1) == "ACK")
    c.send("AUTHENTICATE EXTERNAL")
    return c


def test_sasl_external_with_a_client_certificate(pki: Path, tmp_path: Path) -> None:
    cert = (str(pki / "alice.pem"), str(pki / "alice.key"))
    settings = dict(
        tls_cert=str(pki / "server.pem"),
        tls_key=str(pki / "server.key"),
        tls_client_ca=str(pki / "ca.pem"),
    )
    with running_server(data_dir=str(tmp_path), tls_port=free_port(), **settings) as srv:
        # register with a password, over TLS with the certificate, and add it
        c = IRCClient(srv.tls_port, tls=True, client_cert=cert).register("alice")
        c.send("REGISTER alice * correct-horse-battery")
        c.expect("REGISTER")
        c.send("PRIVMSG NickServ :CERT ADD")
        added = c.expect("NOTICE", lambda m: "added" in m.params[-1]).params[-1]
        assert fingerprint(pki / "alice.pem") in added
        c.send("QUIT")
        c.closed_by_server()

        ok = external(srv.tls_port, cert)
        ok.expect("AUTHENTICATE")
        ok.send("AUTHENTICATE +")
        assert ok.expect("900").params[2] == "alice"
        ok.expect("903")
        ok.send("CAP END")
        ok.expect("001")

        no_cert = external(srv.tls_port, None, "bob")
        assert "no client certificate" in no_cert.expect("904").params[-1]
        no_cert.close()

        ok.send("PRIVMSG NickServ :CERT LIST")
        ok.expect("NOTICE", lambda m: "1 certificate(s)" in m.params[-1])
        ok.send(f"PRIVMSG NickServ :CERT DEL {fingerprint(pki / 'alice.pem')}")
        ok.expect("NOTICE", lambda m: "removed" in m.params[-1])
        ok.close()
        again = external(srv.tls_port, cert, "alice2")
        again.expect("AUTHENTICATE")
        again.send("AUTHENTICATE +")
        again.expect("904")
        again.close()


def test_cert_survives_a_restart(pki: Path, tmp_path: Path) -> None:
    cert = (str(pki / "alice.pem"), str(pki / "alice.key"))
    settings = dict(
        tls_cert=str(pki / "server.pem"),
        tls_key=str(pki / "server.key"),
        tls_client_ca=str(pki / "ca.pem"),
    )
    with running_server(data_dir=str(tmp_path), tls_port=free_port(), **settings) as srv:
        c = IRCClient(srv.tls_port, tls=True, client_cert=cert).register("alice")
        c.send("REGISTER alice * correct-horse-battery")
        c.expect("REGISTER")
        c.send(f"PRIVMSG NickServ :CERT ADD {fingerprint(pki / 'alice.pem')}")
        c.expect("NOTICE", lambda m: "added" in m.params[-1])
        c.close()
    with running_server(data_dir=str(tmp_path), tls_port=free_port(), **settings) as srv:
        ok = external(srv.tls_port, cert)
        ok.expect("AUTHENTICATE")
        ok.send("AUTHENTICATE +")
        ok.expect("903")
        ok.close()
