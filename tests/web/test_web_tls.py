"""TLS on a LAN without a proxy: `socketchat serve --tls-self-signed` makes and keeps a
certificate, prints its fingerprint, and serves IRC over TLS, HTTPS and WSS with it; STS is
offered with a real certificate (made in the test) and not with a self-signed one."""

from __future__ import annotations

import hashlib
import socket
import ssl
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from socketchat.server.net.certs import CERT_FILE, KEY_FILE
from tests.support import free_port, wait_for_port
from tests.support.irc import IRCClient
from tests.support.server import running_server, spawned_server
from tests.support.tls import cert_in


def fingerprint_of(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def test_self_signed_https_wss_and_irc_tls(tmp_path: Path) -> None:
    data = tmp_path / "data"
    web_port, tls_port = free_port(), free_port()
    args = ("--tls-self-signed", "--web-port", str(web_port), "--tls-port", str(tls_port))
    with spawned_server(*args, data_dir=str(data)) as server:
        assert server.process is not None
        lines = server.lines_until("socketchat: data in")
        printed = next(x for x in lines if "SHA-256" in x).split("SHA-256 ")[1]
        assert f"socketchat: web client on https://127.0.0.1:{web_port}/" in lines
        cert = data / CERT_FILE
        assert (data / KEY_FILE).stat().st_mode & 0o777 == 0o600
        wait_for_port(web_port)
        # a client that trusts exactly this certificate, checking the name (127.0.0.1)
        trusting = ssl.create_default_context(cafile=str(cert))
        url = f"https://127.0.0.1:{web_port}/"
        with urllib.request.urlopen(url, context=trusting, timeout=5) as page:
            assert page.status == 200 and b"<html" in page.read().lower()
        with (
            socket.create_connection(("127.0.0.1", tls_port), timeout=5) as raw,
            trusting.wrap_socket(raw, server_hostname="localhost") as irc_tls,
        ):
            der = irc_tls.getpeercert(binary_form=True)
            assert der is not None and fingerprint_of(der) == printed
        with connect(
            f"wss://127.0.0.1:{web_port}/ws", ssl=trusting, subprotocols=["text.ircv3.net"]
        ) as ws:
            ws.send("CAP LS 302")
            ws.send("NICK webby")
            ws.send("USER w 0 * :w")
            ws.send("CAP END")
            ws.send("WHOIS webby")
            seen = []
            while not any(" 318 " in x for x in seen):
                frame = ws.recv(timeout=5)
                seen.append(frame if isinstance(frame, str) else frame.decode())
            assert any(" 671 " in x for x in seen)  # "is using a secure connection"
            cap_ls = next(x for x in seen if " LS " in x)
            assert "sts=" not in cap_ls  # never with a self-signed certificate
        server.process.terminate()
    with spawned_server(*args, data_dir=str(data)) as again:  # kept: the same fingerprint
        assert again.process is not None
        lines = again.lines_until("socketchat: data in")
        assert f"socketchat: TLS certificate SHA-256 {printed}" in lines
        again.process.terminate()


@pytest.fixture(scope="module")
def real_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return cert_in(tmp_path_factory.mktemp("tls"))


def cap_ls(client: IRCClient) -> str:
    client.send("CAP LS 302")
    return (
        " ".join(
            client.expect("CAP", lambda m: m.param(1) == "LS" and m.param(2) != "*").params[2:]
        )
        + " "
        + " ".join(m.params[-1] for m in client.log if m.command == "CAP")
    )


def test_sts_offered_with_a_real_certificate(real_cert: tuple[str, str]) -> None:
    cert, key = real_cert
    tls_port = free_port()
    with running_server(tls_cert=cert, tls_key=key, tls_port=tls_port) as srv:
        plain = cap_ls(IRCClient(srv.port))
        assert f"sts=port={tls_port}" in plain.split()
        secure = cap_ls(IRCClient(tls_port, tls=True))
        assert "sts=duration=2592000" in secure.split()
        client = IRCClient(srv.port)
        client.send("CAP REQ sts")
        assert client.expect("CAP").param(1) == "NAK"
    with running_server() as srv:  # no TLS: no STS
        assert "sts" not in cap_ls(IRCClient(srv.port))
