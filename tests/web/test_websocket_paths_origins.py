"""Where a WebSocket may connect from and to: any path (irctest, gamja and Kiwi IRC use `/` or
their own), and only from pages of this server's own addresses or configured origins — never
judged by the request's own Host header (DNS rebinding)."""

from __future__ import annotations

import socket

import pytest
from websockets.exceptions import InvalidStatus

from tests.support import free_port
from tests.support.server import RunningServer, running_server
from tests.web.test_http_wire import exchange, parse_answers
from tests.web.wsclient import WSClient


def upgrade(port: int, host: str, origin: str | None, path: str = "/") -> int:
    """A raw WebSocket handshake with exactly these Host and Origin headers → the status."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1])


@pytest.mark.parametrize("path", ["/", "/ws", "/webirc/kiwiirc/", "/irc?token=x", "/healthz"])
def test_websocket_upgrade_on_any_path(web_server: RunningServer, path: str) -> None:
    ws = WSClient(web_server.web_port, path=path).register(f"p{abs(hash(path)) % 10000}")
    ws.send("PING :x")
    assert ws.expect("PONG").param(-1) == "x"
    ws.close()


def test_plain_get_still_serves_the_page_and_healthz(web_server: RunningServer) -> None:
    data = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
    answers = parse_answers(exchange(web_server.web_port, data + b"Connection: close\r\n\r\n"))
    assert [a.status for a in answers] == [200, 200]
    assert b"<script" in answers[0].body and b'"status": "ok"' in answers[1].body


def test_dns_rebinding_origin_matching_its_own_host_is_refused(web_server: RunningServer) -> None:
    """The attacker's page at http://evil.example:PORT, its name now resolving to 127.0.0.1."""
    port = web_server.web_port
    assert upgrade(port, f"evil.example:{port}", f"http://evil.example:{port}") == 403
    assert upgrade(port, "evil.example", "http://evil.example") == 403
    assert upgrade(port, f"127.0.0.1:{port}", f"http://evil.example:{port}") == 403
    assert upgrade(port, f"127.0.0.1:{port}", "null") == 403
    # the server's own addresses and, on loopback, localhost names
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"):
        assert upgrade(port, "evil.example", origin) == 101, origin
    assert upgrade(port, "x", f"http://app.localhost:{port}") == 101
    # the right host on another port is another origin
    assert upgrade(port, f"127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}") == 403
    assert upgrade(port, f"127.0.0.1:{port}", "http://localhost") == 403
    # several Origin lines: refused
    assert upgrade(port, "x", f"http://127.0.0.1:{port}\r\nOrigin: http://e.example") == 403
    assert upgrade(port, "x", None) == 101  # no Origin: not a browser


def test_configured_origins_exactly() -> None:
    origins = ("https://chat.example", "http://chat.example:8000")
    with running_server(web_port=free_port(), web_origins=origins) as server:
        port = server.web_port
        assert upgrade(port, "chat.example", "https://chat.example") == 101
        assert upgrade(port, "chat.example", "https://chat.example:443") == 101
        assert upgrade(port, "chat.example", "HTTPS://Chat.Example") == 101
        assert upgrade(port, "chat.example", "http://chat.example:8000") == 101
        assert upgrade(port, "chat.example", "http://chat.example") == 403
        assert upgrade(port, "chat.example", "https://chat.example:8443") == 403
        assert upgrade(port, "chat.example", "https://chat.example.evil.example") == 403


def machine_address() -> str:
    """A non-loopback address of this machine (the one a default route would use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = str(probe.getsockname()[0])
        except OSError:
            address = ""
    if not address or address.startswith("127."):
        pytest.skip("this machine has no non-loopback IPv4 address")
    return address


def test_listening_on_every_interface_allows_the_address_connected_to() -> None:
    """On 0.0.0.0 a page may come from any of the machine's addresses (the one the connection
    arrived on) or its hostname; a page from another address or name may not."""
    address = machine_address()
    with running_server(web_port=free_port(), host="0.0.0.0") as server:
        port = server.web_port
        ws = WSClient(port, host=address, origin=f"http://{address}:{port}")
        ws.register("anywhere").close()
        with pytest.raises(InvalidStatus):
            WSClient(port, host=address, origin=f"http://127.0.0.1:{port}")  # not loopback here
        with pytest.raises(InvalidStatus):
            WSClient(port, host=address, origin=f"http://evil.example:{port}")
        host = socket.gethostname()
        assert upgrade(port, host, f"http://{host}:{port}") == 101
        mdns = host.split(".")[0] + ".local"
        assert upgrade(port, mdns, f"http://{mdns}:{port}") == 101
        assert upgrade(port, "evil.example", f"http://evil.example:{port}") == 403


def test_an_upgrade_after_a_kept_alive_request_on_the_same_connection(
    web_server: RunningServer,
) -> None:
    """GET /healthz, then the WebSocket handshake on the same TCP connection (pipelined)."""
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    data = (
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    with socket.create_connection(("127.0.0.1", web_server.web_port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while b"101 Switching Protocols" not in received or not received.endswith(b"\r\n\r\n"):
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
        first, _, rest = received.partition(b"\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 200 ") and b"keep-alive" in first
        assert b"HTTP/1.1 101 Switching Protocols" in rest
        # a masked text frame: PING :x  → the server answers PONG in a text frame
        payload, mask = b"PING :x", b"\x01\x02\x03\x04"
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        sock.sendall(bytes((0x81, 0x80 | len(payload))) + mask + masked)
        reply = b""
        while b"PONG" not in reply:
            chunk = sock.recv(4096)
            assert chunk, reply
            reply += chunk
