"""Read markers (draft/read-marker) over real sockets: kept per account across a restart."""

from __future__ import annotations

from pathlib import Path

from tests.server.test_accounts_sockets import start_sasl
from tests.support.irc import IRCClient
from tests.support.server import running_server

TS = "2021-05-20T08:30:00.000Z"


def sasl_client(port: int, nick: str) -> IRCClient:
    c = IRCClient(port)
    start_sasl(c, nick, "alice", "correct-horse-battery")
    c.expect("903")
    c.send("CAP REQ draft/read-marker", "CAP END")
    c.expect("001")
    return c


def test_marker_survives_a_restart_and_reaches_the_other_device(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with running_server(data_dir=data) as srv:
        a = IRCClient(srv.port)
        a.send("CAP LS 302", "CAP REQ :draft/account-registration", "NICK alice", "USER a 0 * :a")
        a.send("REGISTER * * correct-horse-battery")
        a.expect("900")
        a.send("QUIT")
        laptop = sasl_client(srv.port, "alice")
        phone = sasl_client(srv.port, "alicephone")
        phone.send("JOIN #class")
        phone.expect("366")
        phone.send(f"MARKREAD #class timestamp={TS}")
        assert phone.expect("MARKREAD").params == ("#class", f"timestamp={TS}")
        assert laptop.expect("MARKREAD").params == ("#class", f"timestamp={TS}")
    with running_server(data_dir=data) as srv:
        c = sasl_client(srv.port, "alice")
        c.send("JOIN #class")
        assert c.expect("MARKREAD").params == ("#class", f"timestamp={TS}")
        c.expect("366")
        guest = IRCClient(srv.port).register("guest", "draft/read-marker")
        guest.send("MARKREAD #class")
        assert guest.expect("MARKREAD").params == ("#class", "*")
