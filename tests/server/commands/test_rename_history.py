"""draft/channel-rename with storage: history, read markers and replay markers follow the new
name; the spec's details (the reason always sent, no fallback for a change of case)."""

from __future__ import annotations

from pathlib import Path

from socketchat.storage.sqlite import SqliteBackend
from tests.server.harness import Client
from tests.storage.helpers import persistence, stored_net

CAPS = "batch server-time message-tags echo-message draft/chathistory draft/event-playback"


def history(c: Client, target: str) -> list[tuple[str, tuple[str, ...]]]:
    c.send(f"CHATHISTORY LATEST {target} * 50")
    got = c.received()
    if not got or got[0].command != "BATCH":
        return [("FAIL", got[0].params[:2])] if got else []
    ref = got[0].params[0][1:]
    return [(m.command, m.params) for m in got if m.tags.get("batch") == ref]


def test_history_follows_the_new_name(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    op = net.client("op", CAPS + " draft/channel-rename draft/read-marker")
    op.send("JOIN #old", "TOPIC #old :t", "PRIVMSG #old :before")
    op.send("MARKREAD #old timestamp=2020-01-01T00:00:00.000Z")
    op.send("RENAME #old #new")
    got = op.received()
    assert [m.params for m in got if m.command == "RENAME"] == [("#old", "#new", "")]
    op.send("PRIVMSG #new :after")
    op.received()
    assert history(op, "#new") == [
        ("JOIN", ("#new",)),
        ("TOPIC", ("#new", "t")),
        ("PRIVMSG", ("#new", "before")),
        ("PRIVMSG", ("#new", "after")),
    ]
    assert history(op, "#old")[0][0] == "FAIL"  # no such channel any more
    db = persistence(net).backend
    assert isinstance(db, SqliteBackend)
    assert db.db.execute("SELECT COUNT(*) FROM messages WHERE key = '#old'").fetchone() == (0,)
    assert persistence(net).read_marker("x", "#new") is None  # (per account; op has none)


def test_a_change_of_case_keeps_plain_clients_in_place(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    op = net.client("op", "draft/channel-rename")
    plain = net.client("plain")
    op.send("JOIN #room")
    plain.send("JOIN #room")
    op.received(), plain.received()
    op.send("RENAME #room #Room :nicer")
    assert [m.params for m in op.received()] == [("#room", "#Room", "nicer")]
    assert plain.received() == []  # no PART and JOIN for a change of case
    op.send("RENAME #Room #lobby")
    assert [m.command for m in plain.received()][:2] == ["PART", "JOIN"]


def test_an_accounts_markers_follow_the_new_name(tmp_path: Path) -> None:
    from tests.server.commands.test_readmarker_storage import login

    net = stored_net(tmp_path)
    owner = net.client("alice")
    owner.send("REGISTER * * correct-horse", "QUIT")
    alice = net.client()
    login(alice, "alice", "alice", "correct-horse")
    alice.send("CAP REQ :draft/read-marker draft/channel-rename")
    alice.send("JOIN #old", "MARKREAD #old timestamp=2020-01-01T00:00:00.000Z")
    alice.send("RENAME #old #new", "MARKREAD #new")
    marks = [m.params for m in alice.received() if m.command == "MARKREAD"]
    assert marks[-1] == ("#new", "timestamp=2020-01-01T00:00:00.000Z")
