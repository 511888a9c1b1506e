"""Masks that users supply are bounded (length, wildcards) and refused with a reply saying why;
masks within the bounds are matched without backtracking wherever they are used."""

from __future__ import annotations

from socketchat.server.masks import MAX_MASK_WILDCARDS
from tests.server.commands.helpers import joined, only
from tests.server.harness import Net

MANY = "*" * (MAX_MASK_WILDCARDS + 1) + "x"


def test_ban_mask_with_too_many_wildcards_is_refused_with_696() -> None:
    net = Net()
    op, bob = net.client("op"), net.client("bob")
    joined(net, "#c", op, bob)
    op.send(f"MODE #c +b {MANY}")
    (err,) = only(op.received(), "696")
    assert err.params[1:3] == ("#c", "b") and "wildcards" in err.params[-1]
    assert not net.server.state.find_channel("#c").bans  # type: ignore[union-attr]
    op.send("MODE #c +b " + "a" * 300)
    (err,) = only(op.received(), "696")
    assert "too long" in err.params[-1]


def test_ban_with_many_wildcards_within_the_bound_keeps_privmsg_fast() -> None:
    """10 `*`s in a ban made every PRIVMSG in the channel take 90 s with the regex matcher."""
    net = Net(flood_rate=0.0)
    op, bob = net.client("op"), net.client("b" + "o" * 25)
    joined(net, "#c", op, bob)
    mask = "*" * 10 + "z!*@*"
    op.send(f"MODE #c +b {mask}")
    assert only(op.received(), "MODE")
    for i in range(20):
        bob.send(f"PRIVMSG #c :hello {i}")
    assert len(only(op.received(), "PRIVMSG")) == 20


def test_who_with_an_overlong_mask_is_refused_and_ends_the_list() -> None:
    net = Net()
    a = net.client("alice")
    a.send(f"WHO {MANY}")
    got = a.received()
    assert [m.command for m in got] == ["NOTICE", "315"]
    assert "wildcards" in got[0].params[-1]


def test_version_with_an_overlong_server_mask_is_402() -> None:
    net = Net()
    a = net.client("alice")
    for command in ("VERSION", "MOTD", "TIME"):
        a.send(f"{command} {MANY}")
        (err,) = a.received()
        assert err.command == "402" and "wildcards" in err.params[-1]
    a.send("VERSION " + "*" * 10 + "nomatch")  # within the bound: matched, quickly
    (err,) = a.received()
    assert err.command == "402" and err.params[-1] == "No such server"
    a.send("VERSION *")
    assert "351" in a.commands()


def test_links_with_an_overlong_mask_lists_nothing() -> None:
    net = Net()
    a = net.client("alice")
    a.send(f"LINKS {MANY}")
    assert a.commands() == ["365"]
    a.send("LINKS *")
    assert a.commands() == ["364", "365"]
