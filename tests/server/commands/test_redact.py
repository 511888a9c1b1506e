"""REDACT (draft/message-redaction) through the sans-I/O core with real SQLite storage."""

from __future__ import annotations

from pathlib import Path

from socketchat.irc.message import Message
from socketchat.server.config import Operator
from socketchat.server.passwords import hash_password
from tests.server.harness import Client
from tests.storage.helpers import stored_net

CAPS = "message-tags echo-message batch server-time draft/chathistory draft/message-redaction"


def said(c: Client, line: str) -> str:
    """Send a message with echo-message; its msgid."""
    c.send(line)
    echo = [m for m in c.received() if m.command in ("PRIVMSG", "NOTICE")]
    return echo[-1].tags["msgid"]


def redacts(got: list[Message]) -> list[tuple[str, ...]]:
    return [m.params for m in got if m.command == "REDACT"]


def fails(got: list[Message]) -> list[tuple[str, ...]]:
    return [m.params[:-1] for m in got if m.command == "FAIL"]


def history(c: Client, target: str) -> list[str]:
    c.send(f"CHATHISTORY LATEST {target} * 50")
    return [m.param(1) for m in c.received() if m.command == "PRIVMSG"]


def test_authors_and_channel_operators_redact_others_may_not(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    op, bob, carol = net.client("op", CAPS), net.client("bob", CAPS), net.client("carol", CAPS)
    plain = net.client("plain", "message-tags echo-message")
    for c in (op, bob, carol, plain):
        c.send("JOIN #room")
    for c in (op, bob, carol, plain):
        c.received()
    one = said(bob, "PRIVMSG #room :one")
    two = said(bob, "PRIVMSG #room :two")
    three = said(op, "PRIVMSG #room :three")
    for c in (op, carol, plain):
        c.received()
    carol.send(f"REDACT #room {one}")  # not hers, not an operator
    assert fails(carol.received()) == [("REDACT", "REDACT_FORBIDDEN", "#room", one)]
    assert redacts(bob.received()) == []
    bob.send(f"REDACT #room {one}")  # his own
    assert redacts(bob.received()) == [("#room", one)]
    assert redacts(carol.received()) == [("#room", one)]
    assert redacts(op.received()) == [("#room", one)]
    assert plain.received() == []  # never to a client without the capability
    op.send(f"REDACT #ROOM {two} :spam")  # an operator, anyone's
    got = op.received()
    assert redacts(got) == [("#room", two, "spam")] and got[0].source.startswith("op!")
    assert redacts(bob.received()) == [("#room", two, "spam")]
    assert history(carol, "#room") == ["three"]
    bob.send(f"REDACT #room {three}")
    assert fails(bob.received()) == [("REDACT", "REDACT_FORBIDDEN", "#room", three)]
    bob.send(f"REDACT #room {one}")  # gone already
    assert fails(bob.received()) == [("REDACT", "UNKNOWN_MSGID", "#room", one)]
    bob.send("REDACT #elsewhere abc", f"REDACT nobody {three}")
    assert [f[:2] for f in fails(bob.received())] == [
        ("REDACT", "INVALID_TARGET"),
        ("REDACT", "INVALID_TARGET"),
    ]


def test_a_channel_line_is_not_found_from_outside_or_through_another_target(
    tmp_path: Path,
) -> None:
    net = stored_net(tmp_path)
    alice, bob = net.client("alice", CAPS), net.client("bob", CAPS)
    alice.send("JOIN #a", "JOIN #b")
    bob.send("JOIN #b")
    msgid = said(alice, "PRIVMSG #a :secret")
    bob.received()
    bob.send(f"REDACT #a {msgid}")  # not a member of #a: no word about the message
    assert [f[:3] for f in fails(bob.received())] == [("REDACT", "INVALID_TARGET", "#a")]
    alice.send(f"REDACT #b {msgid}")  # not a line of #b
    assert fails(alice.received()) == [("REDACT", "UNKNOWN_MSGID", "#b", msgid)]


def test_private_messages_and_server_operators(tmp_path: Path) -> None:
    import dataclasses

    net = stored_net(tmp_path)
    config = dataclasses.replace(
        net.server.config, operators=(Operator("admin", hash_password("hunter2")),)
    )
    net.server.config = config
    alice, bob = net.client("alice", CAPS), net.client("bob", CAPS)
    msgid = said(alice, "PRIVMSG bob :psst")
    bob.received()
    bob.send(f"REDACT alice {msgid}")  # the recipient is not the author
    assert fails(bob.received()) == [("REDACT", "REDACT_FORBIDDEN", "alice", msgid)]
    alice.send(f"REDACT bob {msgid}")
    assert redacts(alice.received()) == [("bob", msgid)]
    assert redacts(bob.received()) == [("bob", msgid)]
    assert history(alice, "bob") == []
    guest = net.client("guest", CAPS)  # a different connection cannot pose as the author
    guest.send("JOIN #room")
    mine = said(guest, "PRIVMSG #room :mine")
    alice.send("JOIN #room")
    alice.received()
    oper = net.client("oper", CAPS)
    oper.send("OPER admin hunter2")
    oper.received()
    oper.send(f"REDACT #room {mine} :rules")  # not even a member
    assert redacts(oper.received()) == [("#room", mine, "rules")]
    assert redacts(guest.received()) == [("#room", mine, "rules")]
    assert history(alice, "#room") == []


def test_without_storage_nothing_is_found(tmp_path: Path) -> None:
    from tests.server.harness import Net

    net = Net()
    alice = net.client("alice", "message-tags echo-message")
    alice.send("JOIN #room", "PRIVMSG #room :hi")
    alice.received()
    alice.send("REDACT #room abc", "REDACT #room")
    got = alice.received()
    assert [m.params[:2] for m in got if m.command == "FAIL"] == [("REDACT", "INVALID_TARGET")]
    assert [m.command for m in got][-1] == "461"
