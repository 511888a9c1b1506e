"""draft/event-playback through the sans-I/O core with real SQLite: channel events and TAGMSG
kept in history, replayed only to clients that asked for them."""

from __future__ import annotations

from pathlib import Path

from socketchat.irc.message import Message
from tests.server.harness import Client
from tests.storage.helpers import stored_net

BASE = "batch server-time message-tags echo-message draft/chathistory"
EVENTS = BASE + " draft/event-playback"


def history(c: Client, target: str, limit: int = 50) -> list[Message]:
    c.send(f"CHATHISTORY LATEST {target} * {limit}")
    got = c.received()
    ref = got[0].params[0][1:]
    return [m for m in got if m.tags.get("batch") == ref]


def test_events_are_replayed_to_event_playback_clients_only(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    op, viewer, plain = (
        net.client("op", EVENTS),
        net.client("viewer", EVENTS),
        net.client("p", BASE),
    )
    op.send("JOIN #room")
    viewer.send("JOIN #room")
    plain.send("JOIN #room")
    guest = net.client("guest")
    guest.send("JOIN #room", "NICK guest2", "PART #room :bye", "JOIN #room")
    op.send("TOPIC #room :the topic", "MODE #room +m", "PRIVMSG #room :hello")
    op.send("@+draft/react=👍;+draft/reply=x TAGMSG #room", "@+typing=active TAGMSG #room")
    op.send("KICK #room guest2 :out")
    viewer.send("QUIT :gone")
    for c in (op, plain):
        c.received()
    got = history(op, "#room")
    assert [(m.command, m.params) for m in got] == [
        ("JOIN", ("#room",)),
        ("JOIN", ("#room",)),
        ("JOIN", ("#room",)),
        ("JOIN", ("#room",)),
        ("NICK", ("guest2",)),
        ("PART", ("#room", "bye")),
        ("JOIN", ("#room",)),
        ("TOPIC", ("#room", "the topic")),
        ("MODE", ("#room", "+m")),
        ("PRIVMSG", ("#room", "hello")),
        ("TAGMSG", ("#room",)),  # the reaction; the typing notification was not kept
        ("KICK", ("#room", "guest2", "out")),
        ("QUIT", ("Quit: gone",)),
    ]
    assert got[4].source.startswith("guest!") and got[-1].source.startswith("viewer!")
    assert got[10].tags["+draft/react"] == "👍" and got[10].tags["msgid"]
    assert all("socketchat/params" not in m.tags and m.tags.get("msgid") for m in got)
    assert [m.command for m in history(plain, "#room")] == ["PRIVMSG"]
    # an event is a reference point too, and counts toward the limit for those who see it
    topic = got[7].tags["msgid"]
    op.send(f"CHATHISTORY AFTER #room msgid={topic} 2")
    after = [m.command for m in op.received() if m.command not in ("BATCH",)]
    assert after == ["MODE", "PRIVMSG"]
    plain.send(f"CHATHISTORY AFTER #room msgid={topic} 2")  # not a reference it can see
    assert [m.params[1] for m in plain.received() if m.command == "FAIL"] == ["MESSAGE_ERROR"]


def test_private_reactions_are_kept_and_redactable(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    caps = EVENTS + " draft/message-redaction"
    alice, bob = net.client("alice", caps), net.client("bob", BASE)
    alice.send("@+draft/react=❤ TAGMSG bob")
    msgid = alice.received()[0].tags["msgid"]
    assert [m.command for m in history(alice, "bob")] == ["TAGMSG"]
    assert history(bob, "alice") == []  # bob did not ask for events
    alice.send(f"REDACT bob {msgid}")
    assert [m.command for m in alice.received()] == ["REDACT"]
    assert history(alice, "bob") == []


def test_replay_on_join_for_plain_clients_has_no_events(tmp_path: Path) -> None:
    net = stored_net(tmp_path, history_replay_unidentified=True)
    talker = net.client("talker")
    talker.send("JOIN #room", "TOPIC #room :t", "PRIVMSG #room :hi", "MODE #room +s")
    late = net.client("late", "batch server-time")
    late.send("JOIN #room")
    got = late.received()
    ref = next(m for m in got if m.command == "BATCH").params[0][1:]
    assert [m.command for m in got if m.tags.get("batch") == ref] == ["PRIVMSG"]
