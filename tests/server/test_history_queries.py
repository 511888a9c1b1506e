"""Heavy history queries stay bounded: CHATHISTORY TARGETS in one query, retention in batches.

Speed itself is measured in bench/ (and in the commit that made these changes), not here: these
tests check that the answers are the same as before and that the work per step is bounded.
"""

from __future__ import annotations

from pathlib import Path

from socketchat.irc.message import Message
from socketchat.irc.servertime import format_ms
from socketchat.storage.sqlite import SqliteBackend
from tests.storage.helpers import persistence, stored_net

FULL = "batch server-time message-tags draft/chathistory"


def body(got: list[Message]) -> list[Message]:
    [start] = [m for m in got if m.command == "BATCH" and m.params[0].startswith("+")]
    ref = start.params[0][1:]
    return [m for m in got if m.tags.get("batch") == ref]


def test_targets_is_one_query_however_many_conversations(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    alice.send("JOIN #zeta", "JOIN #alpha", "JOIN #quiet")
    start = net.clock()
    expected: list[tuple[int, str]] = []
    for i in range(150):  # 150 private conversations with alice, two of them per millisecond
        if i % 2 == 0:
            net.clock.advance(0.5)
        peer = net.client(f"peer{i:03d}")
        peer.send(f"PRIVMSG alice :hi {i}")
        expected.append((int(net.clock() * 1000), f"peer{i:03d}"))
        if i in (10, 11):  # the newest message counts, not the first
            net.clock.advance(0.5)
            peer.send(f"PRIVMSG alice :again {i}")
            expected[-1] = (int(net.clock() * 1000), f"peer{i:03d}")
        if i == 40:
            alice.send("PRIVMSG #zeta :z", "PRIVMSG #alpha :a")  # two channels, same ms
            expected += [(int(net.clock() * 1000), "#alpha"), (int(net.clock() * 1000), "#zeta")]
    net.clock.advance(1)
    end = net.clock()
    alice.received()
    db = persistence(net).backend
    assert isinstance(db, SqliteBackend)
    statements: list[str] = []
    db.db.set_trace_callback(statements.append)
    alice.send(
        f"CHATHISTORY TARGETS timestamp={format_ms(int(end * 1000))}"
        f" timestamp={format_ms(int(start * 1000))} 100"
    )
    db.db.set_trace_callback(None)
    got = [(m.param(1), m.param(2)) for m in body(alice.received())]
    # what the per-conversation version answered: oldest first, ties by name, at most 100
    assert got == [(name, format_ms(ms)) for ms, name in sorted(expected)[:100]]
    queries = [s for s in statements if not s.startswith(("BEGIN", "COMMIT", "INSERT"))]
    assert len(queries) == 1, queries  # it was one per channel and conversation: 154


def test_retention_in_ticks_spreads_batches_over_loop_turns(tmp_path: Path) -> None:
    net = stored_net(tmp_path, history_max_messages=5)
    wanted: list[float] = []
    net.server.tick_wanted = wanted.append
    alice = net.client("alice")
    alice.send(*(f"JOIN #c{k}" for k in range(4)))
    for i in range(300):
        alice.send(f"PRIVMSG #c{i % 4} :line {i}")
    db = persistence(net).backend
    assert isinstance(db, SqliteBackend)
    db.PRUNE_BATCH_ROWS = 40
    count = db.db.execute("SELECT COUNT(*) FROM messages")
    assert count.fetchone()[0] == 304  # with the 4 JOINs kept for draft/event-playback
    net.server.tick()
    net.server.flush()
    # one batch went, and the next tick is asked for at once
    assert 304 - db.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 40
    assert persistence(net).retention_running and wanted[-1] == 0.0
    ticks = 1
    while persistence(net).retention_running:
        net.server.tick()
        net.server.flush()
        ticks += 1
    assert ticks >= 280 // 40
    rows = db.db.execute("SELECT key, text FROM messages ORDER BY seq").fetchall()
    assert rows == [(f"#c{i % 4}", f"line {i}") for i in range(280, 300)]
