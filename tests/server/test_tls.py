"""The TLS listener: same connection logic as TCP, certificate made in the test by `openssl`."""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path

import pytest

from tests.support import free_port, wait_for_port
from tests.support.irc import IRCClient
from tests.support.server import running_server, spawned_server
from tests.support.tls import cert_in


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return cert_in(tmp_path_factory.mktemp("tls"), alt_names="IP:127.0.0.1,DNS:localhost")


def test_tls_and_plain_clients_share_one_server(cert: tuple[str, str]) -> None:
    cert_file, key_file = cert
    with running_server(tls_cert=cert_file, tls_key=key_file, tls_port=free_port()) as srv:
        # a verifying client: the server really presents our certificate
        ctx = ssl.create_default_context(cafile=cert_file)
        raw = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5)
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as checked:
            assert checked.version() in ("TLSv1.2", "TLSv1.3")
        secure = IRCClient(srv.tls_port, tls=True).register("secure", "server-time")
        plain = IRCClient(srv.port).register("plain")
        for c in (secure, plain):
            c.send("JOIN #lobby")
            c.expect("366")
        plain.send("PRIVMSG #lobby :over tcp")
        assert secure.expect("PRIVMSG").param(1) == "over tcp"
        secure.send("PRIVMSG #lobby :over tls")
        assert plain.expect("PRIVMSG").param(1) == "over tls"
        plain.send("WHOIS secure")
        plain.expect("311")
        assert plain.expect("318") and any(m.command == "671" for m in plain.log)
        plain.send("WHOIS plain")
        plain.expect("311")
        plain.expect("318")
        whois_plain = plain.log[-10:]
        assert not [m for m in whois_plain if m.command == "671" and m.param(1) == "plain"]


def test_tls_flood_control_pauses_and_resumes_reading(cert: tuple[str, str]) -> None:
    cert_file, key_file = cert
    limits = {"flood_burst": 5, "flood_rate": 20.0}
    with running_server(
        limits=limits, tls_cert=cert_file, tls_key=key_file, tls_port=free_port()
    ) as srv:
        a = IRCClient(srv.tls_port, tls=True).register("a")
        b = IRCClient(srv.port).register("b")
        time.sleep(0.5)
        start = time.monotonic()
        a.send(*[f"PRIVMSG b :{i}" for i in range(30)])
        for i in range(30):
            b.expect("PRIVMSG", lambda m, i=i: m.param(1) == str(i), timeout=5)
        assert time.monotonic() - start >= 1.0  # 25 lines at 20/s: delayed, then resumed
        a.send("PING :x")
        a.expect("PONG")


def test_tls_stalled_reader_hits_sendq(cert: tuple[str, str]) -> None:
    """SendQ also sees bytes held inside the TLS layer (not just the socket buffer)."""
    cert_file, key_file = cert
    limits = {"flood_rate": 0.0, "sendq": 65536}
    with running_server(
        limits=limits, tls_cert=cert_file, tls_key=key_file, tls_port=free_port()
    ) as srv:
        watcher = IRCClient(srv.port).register("watcher")
        sender = IRCClient(srv.port).register("sender")
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", srv.tls_port))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        stalled = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        stalled.sendall(b"NICK stalled\r\nUSER s 0 * :s\r\nJOIN #t\r\n")
        for c in (watcher, sender):
            c.send("JOIN #t")
            c.expect("366")
        line = "PRIVMSG #t :" + "z" * 400
        for _ in range(100):  # up to 4 MB; the stalled peer must be gone long before
            sender.send(*[line] * 100)
            watcher.collect(0.02)
            if any(m.command == "QUIT" and m.nick == "stalled" for m in watcher.log):
                break
        # the watcher reads the whole flood too: under load the QUIT may still be on its way
        seen = [m for m in watcher.log if m.command == "QUIT" and m.nick == "stalled"]
        quit = seen[0] if seen else watcher.expect("QUIT", lambda m: m.nick == "stalled", 30)
        assert quit.param(0) == "SendQ exceeded"
        stalled.close()


def test_serve_command_with_tls_flags(cert: tuple[str, str]) -> None:
    cert_file, key_file = cert
    tls_port = free_port()
    args = ("--tls-port", str(tls_port), "--tls-cert", cert_file, "--tls-key", key_file)
    with spawned_server(*args) as srv:
        wait_for_port(tls_port)  # opened a moment after the plain port the fixture waited for
        c = IRCClient(tls_port, tls=True).register("viatls")
        c.send("QUIT :bye")
        assert c.closed_by_server()
        assert srv.process is not None
        srv.process.terminate()
        assert srv.process.wait(timeout=10) == 0
        out = srv.output()
        assert f"IRC over TLS on 127.0.0.1:{tls_port}" in out
    assert Path(cert_file).exists()
