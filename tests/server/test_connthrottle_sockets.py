"""Issue 10 hardening, over real sockets: a flooder that is dropped for Excess Flood and
reconnects at once, over and over, is refused at the accept ("Trying to reconnect too fast";
the web port answers 429), while a bystander from another address still connects and chats."""

from __future__ import annotations

import socket

import pytest
from websockets.exceptions import InvalidStatus

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import running_server
from tests.web.wsclient import WSClient

FLOODER = "127.0.0.2"
LIMITS = {
    "flood_burst": 5,
    "flood_rate": 1.0,
    "flood_max_queued": 20,
    "connects_per_ip_per_minute": 6,  # one token every 10 s: none comes back during the test
    "connects_per_ip_burst": 3,
}
FLOOD = b"".join(b"PRIVMSG #lobby :spam %d\r\n" % i for i in range(500))


def _read_all(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except OSError:
        pass  # reset after the server's answer
    return data


def _connect_and_flood(port: int) -> bytes:
    """One round of the flooder: connect, register, flood; everything the server sent."""
    with socket.create_connection(("127.0.0.1", port), source_address=(FLOODER, 0)) as sock:
        try:
            sock.sendall(b"NICK flooder\r\nUSER f 0 * :f\r\nJOIN #lobby\r\n" + FLOOD)
        except OSError:
            pass  # refused: the server closed before reading
        return _read_all(sock)


def test_a_reconnecting_flooder_is_refused_while_a_bystander_chats() -> None:
    with running_server(limits=LIMITS, web_port=free_port()) as srv:
        answers = [_connect_and_flood(srv.port) for _ in range(4)]
        assert b"Excess Flood" in answers[0]
        # its first flood cost 1 + 10 tokens of 3: every reconnect after it is refused at once
        for answer in answers[1:]:
            assert answer == b"ERROR :Trying to reconnect too fast\r\n"
        with socket.create_connection(
            ("127.0.0.1", srv.web_port), source_address=(FLOODER, 0)
        ) as web:
            web.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert _read_all(web).startswith(b"HTTP/1.1 429 ")
        alice = IRCClient(srv.port, source="127.0.0.3").register("alice")
        bob = IRCClient(srv.port, source="127.0.0.4").register("bob")
        alice.send("PRIVMSG bob :still here")
        assert bob.expect("PRIVMSG").param(1) == "still here"
        alice.close()
        bob.close()


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_bucket() -> None:
    """The proxy's own address is not throttled (every client comes from it); the forwarded
    address is, once the upgrade request names it: 429 instead of 101."""
    limits = {"connects_per_ip_per_minute": 1, "connects_per_ip_burst": 2}
    with running_server(limits=limits, web_port=free_port(), trusted_proxies=("127.0.0.1",)) as srv:
        for _ in range(2):
            WSClient(srv.web_port, headers={"X-Forwarded-For": "6.6.6.6"}).close()
        with pytest.raises(InvalidStatus) as refused:
            WSClient(srv.web_port, headers={"X-Forwarded-For": "6.6.6.6"})
        assert refused.value.response.status_code == 429
        for n in range(3):  # others behind the same proxy still get in
            ws = WSClient(srv.web_port, headers={"X-Forwarded-For": f"7.7.7.{n}"})
            ws.register(f"user{n}").send("PING :x")
            ws.expect("PONG")
            ws.close()
