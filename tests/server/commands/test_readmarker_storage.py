"""MARKREAD (draft/read-marker) through the sans-I/O core with real SQLite storage: account
markers in the database, told to every connection of the account."""

from __future__ import annotations

from pathlib import Path

from socketchat.irc.message import Message
from tests.server.harness import Client
from tests.storage.helpers import stored_net

CAP = "draft/read-marker"
TS = "2019-01-04T14:33:26.123Z"


def markreads(got: list[Message]) -> list[tuple[str, ...]]:
    return [m.params for m in got if m.command == "MARKREAD"]


def fails(got: list[Message]) -> list[tuple[str, ...]]:
    return [m.params[:2] for m in got if m.command == "FAIL"]


def login(c: Client, nick: str, account: str, password: str) -> None:
    from tests.server.test_accounts_core import sasl_login

    got = sasl_login(c, nick, account, password)
    assert any(m.command == "900" for m in got), got


def test_get_set_forward_only_and_errors(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", CAP)
    alice.send("MARKREAD #nowhere")
    assert markreads(alice.received()) == [("#nowhere", "*")]
    alice.send(f"MARKREAD #Room timestamp={TS}")
    assert markreads(alice.received()) == [("#Room", f"timestamp={TS}")]
    alice.send("MARKREAD #room timestamp=2018-01-01T00:00:00.000Z")  # older: the kept value
    assert markreads(alice.received()) == [("#room", f"timestamp={TS}")]
    alice.send("MARKREAD #ROOM")
    assert markreads(alice.received()) == [("#ROOM", f"timestamp={TS}")]
    alice.send("MARKREAD", "MARKREAD #room *", "MARKREAD #room timestamp=yesterday")
    alice.send("MARKREAD #room timestamp=0001-01-01T00:00:00+05:00")  # before year 1 in UTC
    assert fails(alice.received()) == [
        ("MARKREAD", "NEED_MORE_PARAMS"),
        ("MARKREAD", "INVALID_PARAMS"),
        ("MARKREAD", "INVALID_PARAMS"),
        ("MARKREAD", "INVALID_PARAMS"),
    ]


def test_a_marker_never_passes_the_server_clock(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", CAP)
    alice.send("MARKREAD bob timestamp=2100-01-01T00:00:00.000Z")
    (got,) = markreads(alice.received())
    assert got[1] == "timestamp=2027-01-15T08:00:00.000Z"  # the fake clock's now


def test_sent_on_join_before_the_end_of_names(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", CAP)
    alice.send("JOIN #room")
    got = [m.command for m in alice.received()]
    assert got.index("JOIN") < got.index("MARKREAD") < got.index("366")
    alice.send(f"MARKREAD #room timestamp={TS}", "PART #room")
    alice.received()
    alice.send("JOIN #room")
    assert markreads(alice.received()) == [("#room", f"timestamp={TS}")]
    plain = net.client("plain")  # no capability: no MARKREAD
    plain.send("JOIN #room")
    assert markreads(plain.received()) == []


def test_without_an_account_the_marker_is_this_connections_only(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    first = net.client("guest", CAP)
    first.send(f"MARKREAD #room timestamp={TS}")
    first.send("QUIT")
    again = net.client("guest", CAP)
    again.send("MARKREAD #room")
    assert markreads(again.received()) == [("#room", "*")]


def test_every_connection_of_the_account_is_told(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    owner = net.client("alice")
    owner.send("REGISTER * * correct-horse", "QUIT")
    laptop, phone, old = net.client(), net.client(), net.client()
    login(laptop, "alice", "alice", "correct-horse")
    login(phone, "alice_phone", "alice", "correct-horse")
    login(old, "alice_old", "alice", "correct-horse")
    for c in (laptop, phone):
        c.send(f"CAP REQ {CAP}")
        c.received()
    stranger = net.client("eve", CAP)
    phone.send(f"MARKREAD #room timestamp={TS}")
    assert markreads(phone.received()) == [("#room", f"timestamp={TS}")]
    assert markreads(laptop.received()) == [("#room", f"timestamp={TS}")]
    assert markreads(old.received()) == []  # did not ask for the capability
    assert markreads(stranger.received()) == []  # never another person's
    phone.send(f"MARKREAD #room timestamp={TS}")  # unchanged: only the sender hears
    phone.received()
    assert markreads(laptop.received()) == []
    stranger.send("MARKREAD #room")
    assert markreads(stranger.received()) == [("#room", "*")]
    phone.send("QUIT")  # a connection that left is no longer told
    laptop.send("MARKREAD #room timestamp=2020-01-01T00:00:00.000Z")
    assert markreads(laptop.received()) == [("#room", "timestamp=2020-01-01T00:00:00.000Z")]
