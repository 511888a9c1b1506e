"""WEBIRC over real sockets: the right password from the gateway's host gives its client's
address; a wrong password, an unknown gateway or another host ends the connection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from socketchat.server.config import WebircGateway
from socketchat.server.passwords import hash_password
from tests.server.test_proxy_protocol import SocketClient, connect
from tests.support.irc import IRCClient
from tests.support.server import RunningServer, running_server


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    gateways = (
        WebircGateway("kiwi", hash_password("s3cret", log2_n=10), ("127.0.0.1",)),
        WebircGateway("lounge", hash_password("other", log2_n=10)),  # hosts: trusted_proxies
    )
    with running_server(webirc=gateways, trusted_proxies=("127.0.0.3",)) as srv:
        yield srv


def whois_host(client: IRCClient, nick: str) -> str:
    client.send(f"WHOIS {nick}")
    return client.expect("311").param(3)


def test_right_password_gives_the_client_address(server: RunningServer) -> None:
    c = IRCClient(server.port)
    c.send("WEBIRC s3cret kiwi client.example 203.0.113.5 :secure")
    c.register("webby")
    assert whois_host(c, "webby") == "203.0.113.5"
    other = IRCClient(server.port).register("other")
    assert whois_host(other, "webby") == "203.0.113.5"
    other.send("WHO webby")
    assert other.expect("352").param(3) == "203.0.113.5"
    c.close()
    other.close()


def test_ipv6_and_the_trusted_proxies_default(server: RunningServer) -> None:
    c = SocketClient(connect(server.port, source="127.0.0.3"))
    c.send("WEBIRC other lounge x 2001:db8::7")
    c.register("six")
    assert whois_host(c, "six") == "2001:db8::7"
    c.close()


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("WEBIRC wrong kiwi client.example 203.0.113.5", "127.0.0.1"),
        ("WEBIRC s3cret nosuch client.example 203.0.113.5", "127.0.0.1"),
        ("WEBIRC s3cret kiwi client.example 203.0.113.5", "127.0.0.2"),  # not kiwi's host
        ("WEBIRC other lounge x 203.0.113.5", "127.0.0.1"),  # lounge: only 127.0.0.3
        ("WEBIRC s3cret kiwi client.example not-an-ip", "127.0.0.1"),
    ],
)
def test_refused_webirc_ends_the_connection(server: RunningServer, line: str, source: str) -> None:
    c = SocketClient(connect(server.port, source=source))
    c.send(line, "NICK x", "USER x 0 * :x")
    assert "WEBIRC not allowed" in c.expect("ERROR").param(0)
    assert c.closed_by_server()


def test_webirc_after_registration_is_462(server: RunningServer) -> None:
    c = IRCClient(server.port).register("late")
    c.send("WEBIRC s3cret kiwi client.example 203.0.113.5")
    c.expect("462")
    assert whois_host(c, "late") == "127.0.0.1"
    c.close()
