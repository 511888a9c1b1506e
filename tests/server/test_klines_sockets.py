"""KLINE/DLINE over real sockets: a banned client is dropped with the reason and refused on
TCP, TLS and WebSocket; the bans survive a restart (SQLite); UNKLINE/UNDLINE lift them."""

from __future__ import annotations

from pathlib import Path

import pytest

from socketchat.server.config import Operator
from socketchat.server.passwords import hash_password
from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import running_server
from tests.support.tls import cert_in
from tests.web.wsclient import WSClient

OPERATORS = (Operator("admin", hash_password("sekrit", log2_n=4)),)
BANNED = "127.0.0.2"  # a second loopback address: the banned client's own


def as_oper(port: int) -> IRCClient:
    op = IRCClient(port).register("admin")
    op.send("OPER admin sekrit")
    op.expect("381")
    return op


def error_of(client: IRCClient | WSClient) -> str:
    return client.expect("ERROR").params[0]


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return cert_in(tmp_path_factory.mktemp("tls"))


def test_dline_drops_and_refuses_tcp_tls_and_websocket(
    tmp_path: Path, cert: tuple[str, str]
) -> None:
    cert_file, key_file = cert
    settings = dict(
        tls_cert=cert_file, tls_key=key_file, tls_port=free_port(), web_port=free_port()
    )
    with running_server(data_dir=str(tmp_path), operators=OPERATORS, **settings) as srv:
        victim = IRCClient(srv.port, source=BANNED).register("victim")
        web_victim = WSClient(srv.web_port, source=BANNED).register("webvictim")
        op = as_oper(srv.port)
        op.send("DLINE 127.0.0.2 :flooding the lobby")
        assert "2 client(s) disconnected" in op.expect("NOTICE").params[-1]
        assert "D-lined: flooding the lobby" in error_of(victim)
        assert victim.closed_by_server()
        assert "D-lined: flooding the lobby" in error_of(web_victim)

        for again in (
            IRCClient(srv.port, source=BANNED),
            IRCClient(srv.tls_port, tls=True, source=BANNED),
            WSClient(srv.web_port, source=BANNED),
        ):
            # refused before registering: the ERROR comes without a word from the client
            assert "D-lined" in error_of(again)
            assert again.closed_by_server()
            again.close()
        op.send("PING :op-stays")
        op.expect("PONG")

        op.send("UNDLINE 127.0.0.2")
        assert op.expect("NOTICE").params[-1] == "Removed D-line for 127.0.0.2"
        IRCClient(srv.port, source=BANNED).register("back").close()


def test_kline_survives_a_restart_and_unkline(tmp_path: Path) -> None:
    with running_server(data_dir=str(tmp_path), operators=OPERATORS) as srv:
        victim = IRCClient(srv.port).register("troll")  # user name ~troll
        op = as_oper(srv.port)
        op.send("KLINE 1d *troll@* :be nice")
        assert "1 client(s) disconnected" in op.expect("NOTICE").params[-1]
        assert "K-lined: be nice" in error_of(victim)
    with running_server(data_dir=str(tmp_path), operators=OPERATORS) as srv:
        again = IRCClient(srv.port)
        again.send("NICK troll2", "USER troll 0 * :t")
        assert "K-lined: be nice" in error_of(again)
        assert again.closed_by_server()
        op = as_oper(srv.port)
        op.send("STATS k")
        line = op.expect("216")
        assert line.params[2] == "*troll@*" and 86000 < int(line.params[3]) <= 86400
        op.send("UNKLINE *troll@*")
        assert op.expect("NOTICE").params[-1] == "Removed K-line for *troll@*"
    with running_server(data_dir=str(tmp_path), operators=OPERATORS) as srv:
        IRCClient(srv.port).register("troll").close()  # the removal was stored too
