"""Every connection counts against max_clients and max_clients_per_ip from its TCP accept: HTTP
requests on the web port before their upgrade included. The issue's scenario: 1,100 half-sent
HTTP requests from one address on a server with 1,024 descriptors kept 12 of 15 newcomers from
registering, and nothing was logged."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import free_port, require_tool, wait_for_port
from tests.support.irc import IRCClient
from tests.support.server import running_server

HALF_REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # never finished


def _half_requests(port: int, count: int, source: str = "127.0.0.1") -> list[socket.socket]:
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(HALF_REQUEST)
        except OSError:
            s.close()
            continue
        socks.append(s)
    return socks


def _closed_by_server(s: socket.socket, timeout: float) -> bool:
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True  # reset


def test_half_sent_http_requests_count_against_the_per_address_limit() -> None:
    with running_server(limits={"max_clients_per_ip": 10}, web_port=free_port()) as srv:
        time.sleep(0.5)  # (the harness's port probes are gone)
        socks = _half_requests(srv.web_port, 20)
        time.sleep(0.5)
        closed = [s for s in socks if _closed_by_server(s, 0.2)]
        assert len(closed) >= 10, f"{len(closed)} of 20 half-sent requests were refused"
        same = IRCClient(srv.port)  # the address is at its limit: IRC too
        assert same.expect("ERROR").param(0).endswith("(Too many connections from your IP)")
        same.close()
        newcomer = socket.create_connection(
            ("127.0.0.1", srv.port), source_address=("127.0.0.2", 0)
        )
        newcomer.sendall(b"NICK fresh\r\nUSER f 0 * :f\r\n")
        newcomer.settimeout(5)
        assert b" 001 fresh " in newcomer.recv(4096)
        for s in socks:
            s.close()
        newcomer.close()
        # once they are gone, the address may connect again
        again = IRCClient(srv.port).register("back")
        again.close()


@contextlib.contextmanager
def _server_with_few_descriptors(limit: int) -> Iterator[tuple[int, int, Path]]:
    """`socketchat serve` in a child whose descriptor limit is `limit` (as a small box has)."""
    with tempfile.TemporaryDirectory(prefix="socketchat-test-") as tmp:
        port, web_port = free_port(), free_port()
        log_path = Path(tmp) / "server.log"

        def few_descriptors() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(port)]
        cmd += ["--web-port", str(web_port), "--data-dir", tmp, "--log-level", "WARNING"]
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=few_descriptors,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )
            try:
                wait_for_port(port, timeout=20)
                wait_for_port(web_port, timeout=20)
                yield port, web_port, log_path
            finally:
                proc.kill()
                proc.wait(timeout=10)


def test_a_flood_of_half_sent_requests_does_not_starve_newcomers() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    with _server_with_few_descriptors(300) as (port, web_port, log_path):
        attack = _half_requests(web_port, 600)  # twice what the server can hold
        try:
            registered = 0
            for i in range(15):
                c = socket.create_connection(
                    ("127.0.0.1", port), timeout=5, source_address=("127.0.0.3", 0)
                )
                c.sendall(f"NICK new{i}\r\nUSER n 0 * :n\r\n".encode())
                data = b""
                deadline = time.monotonic() + 5
                while b" 001 " not in data and time.monotonic() < deadline:
                    try:
                        chunk = c.recv(4096)
                    except TimeoutError:
                        break
                    if not chunk:
                        break
                    data += chunk
                registered += b" 001 " in data
                c.close()
            assert registered == 15, f"only {registered} of 15 newcomers could register"
        finally:
            for s in attack:
                s.close()
        text = log_path.read_text()
        refusals = [line for line in text.splitlines() if "refused a connection" in line]
        assert refusals, "nothing was logged when the limit bit"
        assert len(refusals) <= 20  # rate-limited: not one line per refused connection


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    openssl = require_tool("openssl")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def test_unfinished_tls_handshakes_count_against_the_per_address_limit(
    cert: tuple[str, str],
) -> None:
    """Connections to the TLS port that never send a ClientHello count from their accept."""
    cert_file, key_file = cert
    settings = {"tls_cert": cert_file, "tls_key": key_file, "tls_port": free_port()}
    with running_server(limits={"max_clients_per_ip": 8}, **settings) as srv:
        time.sleep(0.5)  # (the harness's port probes are gone)
        silent = []
        for _ in range(16):
            s = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5)
            silent.append(s)
        time.sleep(0.5)
        closed = [s for s in silent if _closed_by_server(s, 0.2)]
        assert len(closed) >= 8, f"{len(closed)} of 16 silent TLS connections were refused"
        same = IRCClient(srv.port)  # the address is at its limit, on every port
        assert same.expect("ERROR").param(0).endswith("(Too many connections from your IP)")
        same.close()
        for s in silent:
            s.close()
        time.sleep(0.3)
        ok = IRCClient(srv.tls_port, tls=True).register("secure")  # and free again after
        ok.close()
