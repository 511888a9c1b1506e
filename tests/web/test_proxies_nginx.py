"""Behind Debian's nginx: every WebSocket client is seen with its own address (from
X-Forwarded-For, believed only from `trusted_proxies`), and a forged header is not believed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import RunningServer, running_server
from tests.web.nginx import nginx_proxy
from tests.web.wsclient import WSClient

CLIENTS = 60


@pytest.fixture
def proxied() -> Iterator[tuple[RunningServer, int]]:
    with (
        running_server(web_port=free_port(), trusted_proxies=("127.0.0.1",)) as server,
        nginx_proxy(server.web_port) as port,
    ):
        yield server, port


def who_hosts(observer: IRCClient, channel: str) -> dict[str, str]:
    """nick → host, from WHO's 352 replies."""
    observer.send(f"WHO {channel}")
    seen = len(observer.log)
    observer.expect("315", timeout=20)
    return {m.param(5): m.param(3) for m in observer.log[seen:] if m.command == "352"}


def test_sixty_clients_through_nginx_each_have_their_own_address(
    proxied: tuple[RunningServer, int],
) -> None:
    server, port = proxied
    clients = []
    try:
        for i in range(CLIENTS):
            source = f"127.0.{1 + i // 50}.{1 + i % 50}"
            # (no common channel: these clients do not read, and their queues would fill)
            clients.append((WSClient(port, source=source).register(f"c{i}"), source))
        observer = IRCClient(server.port).register("observer")
        hosts = who_hosts(observer, "c*")
        assert hosts == {f"c{i}": source for i, (_, source) in enumerate(clients)}
        # WHOIS says the same
        observer.send("WHOIS c59")
        assert observer.expect("311").param(3) == clients[59][1]
        observer.close()
    finally:
        for ws, _ in clients:
            ws.close()


def test_a_forged_header_through_nginx_is_not_believed(
    proxied: tuple[RunningServer, int],
) -> None:
    """nginx appends the real address to what the client sent: the right-most untrusted entry
    is the client, the forged entries left of it are ignored."""
    _server, port = proxied
    forged = {"X-Forwarded-For": "6.6.6.6, 127.0.0.1"}
    ws = WSClient(port, source="127.0.3.7", headers=forged).register("forger")
    ws.send("WHOIS forger")
    assert ws.expect("311").param(3) == "127.0.3.7"
    ws.close()


def test_a_client_connecting_directly_with_a_forged_header_is_not_believed() -> None:
    with running_server(web_port=free_port(), trusted_proxies=("127.0.0.1",)) as server:
        forged = {"X-Forwarded-For": "6.6.6.6", "Forwarded": "for=7.7.7.7"}
        ws = WSClient(server.web_port, source="127.0.0.9", headers=forged).register("direct")
        ws.send("WHOIS direct")
        assert ws.expect("311").param(3) == "127.0.0.9"
        ws.close()


def test_without_trusted_proxies_nothing_is_believed() -> None:
    with running_server(web_port=free_port()) as server:
        ws = WSClient(server.web_port, headers={"X-Forwarded-For": "6.6.6.6"}).register("plain")
        ws.send("WHOIS plain")
        assert ws.expect("311").param(3) == "127.0.0.1"
        ws.close()


def test_the_forwarded_header_when_configured() -> None:
    settings = {"trusted_proxies": ("127.0.0.0/24",), "trusted_proxy_header": "forwarded"}
    with running_server(web_port=free_port(), **settings) as server:
        headers = {"Forwarded": 'for=7.7.7.7, for="[2001:db8::5]:4711";proto=https'}
        ws = WSClient(server.web_port, headers=headers).register("fwd")
        ws.send("WHOIS fwd")
        assert ws.expect("311").param(3) == "2001:db8::5"
        # X-Forwarded-For is not the configured header: ignored
        other = WSClient(server.web_port, headers={"X-Forwarded-For": "6.6.6.6"})
        other.register("xff").send("WHOIS xff")
        assert other.expect("311").param(3) == "127.0.0.1"
        ws.close()
        other.close()


def test_bans_and_cloaks_use_the_forwarded_address() -> None:
    """A ban on one forwarded address keeps out only that client, not everyone behind the
    proxy; cloaks are computed from the client's address."""
    settings = {"trusted_proxies": ("127.0.0.1",), "cloak_hosts": True}
    with running_server(web_port=free_port(), **settings) as server:
        op = IRCClient(server.port).register("op")
        op.send("JOIN #room")
        op.expect("366")
        banned = WSClient(server.web_port, headers={"X-Forwarded-For": "198.51.100.7"})
        banned.register("banned")
        other = WSClient(server.web_port, headers={"X-Forwarded-For": "198.51.100.8"})
        other.register("other")
        banned.send("WHOIS banned")
        banned_host = banned.expect("311").param(3)
        other.send("WHOIS other")
        other_host = other.expect("311").param(3)
        op.send("WHOIS op")
        op_host = op.expect("311").param(3)
        assert len({banned_host, other_host, op_host}) == 3  # three addresses, three cloaks
        assert all(h.endswith(".cloak.socketchat") for h in (banned_host, other_host, op_host))
        op.send(f"MODE #room +b *!*@{banned_host}")
        op.expect("MODE", lambda m: m.param(1) == "+b" and m.param(2).endswith(banned_host))
        banned.send("JOIN #room")
        banned.expect("474")
        other.send("JOIN #room")
        other.expect("366")
        for c in (op, banned, other):
            c.close()
