"""Each backend on its own (SQLite and PostgreSQL, see conftest.py): appending, paging,
retention, schema versions, accounts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from socketchat.storage import postgres, sqlite
from socketchat.storage.base import (
    MAX_SEQ,
    Account,
    Backend,
    PushSubscription,
    StorageError,
    StoredMessage,
)
from socketchat.storage.postgres import PostgresBackend
from socketchat.storage.sqlite import SqliteBackend
from tests.storage.conftest import OpenDb


def msg(key: str, t: int, n: int, **kw: str) -> StoredMessage:
    tags = {"time": str(t), "msgid": f"m{n}", "+reply": "x"}
    return StoredMessage(key, t, f"m{n}", "PRIVMSG", "a!u@h", key, f"text {n}", tags, **kw)


def committed_count(db: Backend) -> int:
    """How many messages another connection sees (committed rows only)."""
    if isinstance(db, SqliteBackend):
        other = sqlite3.connect(db.path)
        try:
            return int(other.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
        finally:
            other.close()
    assert isinstance(db, PostgresBackend)
    with psycopg.connect(db.url) as conn:
        row = conn.execute("SELECT COUNT(*) FROM messages").fetchone()
        assert row is not None
        return int(row[0])


def test_append_is_visible_before_commit_and_durable_after(db: Backend) -> None:
    for i in range(5):
        db.append(msg("#a", 1000 + i, i))
    assert [m.text for m in db.before("#a", None, 10)] == [f"text {i}" for i in range(5)]
    db.commit()
    assert committed_count(db) == 5  # another reader sees committed rows only
    db.append(msg("#a", 2000, 99))
    db.find("#a", "m99")  # written into the open transaction, not committed
    assert committed_count(db) == 5
    db.commit()
    assert committed_count(db) == 6


def test_tags_round_trip(db: Backend) -> None:
    db.append(msg("#a", 5, 1))
    [row] = db.before("#a", None, 1)
    assert row.tags == {"time": "5", "msgid": "m1", "+reply": "x"}
    assert row.seq > 0


def test_paging_both_ways_walks_everything_once(db: Backend) -> None:
    # several messages share a millisecond: seq keeps them apart and in order
    for i in range(23):
        db.append(msg("#a", 1000 + i // 3, i))
    db.append(msg("#b", 1001, 100))
    seen: list[str] = []
    page = db.before("#a", None, 5)
    while page:
        seen = [m.msgid for m in page] + seen
        page = db.before("#a", page[0].position, 5)
    assert seen == [f"m{i}" for i in range(23)]
    forward: list[str] = []
    page = db.after("#a", (0, 0), 4)
    while page:
        forward += [m.msgid for m in page]
        page = db.after("#a", page[-1].position, 4)
    assert forward == seen


def test_bounds_are_exclusive_and_stop_works(db: Backend) -> None:
    for i in range(10):
        db.append(msg("#a", 100 + i, i))
    pos3, pos7 = db.find("#a", "m3"), db.find("#a", "m7")
    assert pos3 is not None and pos7 is not None
    assert [m.msgid for m in db.after("#a", pos3, 100, stop=pos7)] == ["m4", "m5", "m6"]
    assert [m.msgid for m in db.before("#a", pos7, 2, stop=pos3)] == ["m5", "m6"]
    assert [m.msgid for m in db.before("#a", (105, 0), 100, stop=(102, MAX_SEQ))] == [
        "m3",
        "m4",
    ]
    assert db.find("#b", "m3") is None  # msgids are looked up within one conversation
    assert db.latest_time("#a", 100, 105) == 104


def test_retention_by_age_and_count(db: Backend) -> None:
    for i in range(10):
        db.append(msg("#a", 1000 * i, i))
        db.append(msg("#b", 1000 * i, 100 + i))
    db.commit()
    assert db.prune(before_ms=3000) == 6
    assert db.prune(keep_per_key=4) == 6
    assert [m.msgid for m in db.before("#a", None, 100)] == ["m6", "m7", "m8", "m9"]
    assert len(db.before("#b", None, 100)) == 4
    db.commit()


def test_conversations_index_both_parties(db: Backend) -> None:
    db.append(StoredMessage("p:x y", 1, "m1", "PRIVMSG", "Alice!u@h", "Bob", "hi", {}, "x", "y"))
    [conv] = db.conversations("y")
    assert conv.other_nick("y") == "Alice" and conv.other_nick("x") == "Bob"
    assert db.conversations("z") == []


def test_missed_private_gives_the_newest_conversations_and_their_first_lines(
    db: Backend,
) -> None:
    """What a device coming back is replayed (`devices.replay_missed`): of the conversations
    with a readable line after `since`, the most recent `conversations`, by their newest
    line, each with its first `lines` after `since`; not a line before it, of others, of
    another kind or restricted."""

    def say(key: str, t: int, n: int, other: str, command: str = "PRIVMSG", **kw: bool) -> None:
        text = f"{key} {n}"
        db.append(StoredMessage(key, t, f"{key}-{n}", command, f"{other}!u@h", "Me", text, {},
                                other, "me", **kw))  # fmt: skip

    for i in range(6):  # conversation c<i>: its newest line at 100 + 10 i (c0: all before)
        for n in range(4):
            say(f"c{i}", 70 + 10 * i + n, n, f"u{i}")
    say("c5", 300, 9, "u5", restricted=True)  # later, but not readable: no say in the order
    say("c4", 400, 9, "u4", command="TAGMSG")
    db.append(StoredMessage("c9", 500, "x", "PRIVMSG", "u8!u@h", "u9", "not mine", {}, "u8", "u9"))
    db.append(StoredMessage("c8", 90, "s", "PRIVMSG", "me!u@h", "u8", "same time", {}, "me", "u8"))
    since = (80, 0)  # the lines from 80 on
    got = db.missed_private("me", since, 1000, 3, 2)
    assert [(c.key, c.other_nick("me"), [m.text for m in rows]) for c, rows in got] == [
        ("c3", "u3", ["c3 0", "c3 1"]),
        ("c4", "u4", ["c4 0", "c4 1"]),
        ("c5", "u5", ["c5 0", "c5 1"]),
    ]
    everything = db.missed_private("me", since, 1000, 100, 100)
    assert [c.key for c, _ in everything] == ["c1", "c8", "c2", "c3", "c4", "c5"]  # c8 at 90
    assert everything[0][1] == db.after("c1", since, 100)  # the same lines as a page
    assert [m.time_ms for m in everything[0][1]] == [80, 81, 82, 83]
    assert [rows[0].text for _, rows in everything] == [
        "c1 0", "same time", "c2 0", "c3 0", "c4 0", "c5 0"
    ]  # fmt: skip
    # only conversations with a line before `before_ms`, ordered by their newest such line
    early = db.missed_private("me", since, 110, 100, 1)
    assert [c.key for c, _ in early] == ["c1", "c8", "c2", "c3"]
    assert db.missed_private("me", (1000, 0), 2000, 10, 10) == []
    assert db.missed_private("nobody", since, 1000, 10, 10) == []


def test_accounts(db: Backend) -> None:
    assert db.create_account(Account("Alice", "scrypt$hash", "a@example.org", 1.0))
    assert not db.create_account(Account("ALICE", "scrypt$other"))
    found = db.get_account("alice")
    assert found == Account("Alice", "scrypt$hash", "a@example.org", 1.0)
    db.set_password("alice", "scrypt$new")
    assert db.get_account("Alice").password_hash == "scrypt$new"  # type: ignore[union-attr]
    assert db.get_account("bob") is None


def test_schema_is_versioned_and_migrations_run_once(open_db: OpenDb) -> None:
    db = open_db()
    migrations = sqlite.MIGRATIONS if isinstance(db, SqliteBackend) else postgres.MIGRATIONS
    assert db.schema_version == len(migrations)  # type: ignore[attr-defined]
    db.append(msg("#a", 1, 1))
    db.close()
    again = open_db()  # reopening does not re-run step 1 (it would fail)
    assert len(again.before("#a", None, 10)) == 1
    again.close()
    newer = len(migrations) + 1
    if isinstance(again, SqliteBackend):
        raw = sqlite3.connect(again.path)
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        raw.execute(f"PRAGMA user_version = {newer}")
        raw.close()
    else:
        assert isinstance(again, PostgresBackend)
        with psycopg.connect(again.url) as conn:
            conn.execute("UPDATE socketchat_schema SET version = %s", (newer,))
    with pytest.raises(StorageError, match="schema version"):
        open_db()


def test_restricted_lines_only_for_their_era_and_markers_only_move_forward(
    db: Backend,
) -> None:
    db.append(msg("#v", 1, 1))
    db.append(
        StoredMessage(
            "#v", 2, "m2", "PRIVMSG", "a!u@h", "#v", "secret", {}, era="E1", restricted=True
        )
    )
    db.append(msg("#v", 3, 3))
    assert [m.text for m in db.before("#v", None, 10)] == ["text 1", "text 3"]
    assert [m.text for m in db.before("#v", None, 10, eras=("E2",))] == ["text 1", "text 3"]
    assert [m.text for m in db.before("#v", None, 10, eras=("E1",))][1] == "secret"
    assert [m.text for m in db.after("#v", (0, 0), 10)] == ["text 1", "text 3"]
    assert db.find("#v", "m2") is None and db.find("#v", "m2", eras=("E1",)) is not None
    assert db.latest_time("#v", 1, 3) is None and db.latest_time("#v", 1, 3, eras=["E1"]) == 2
    last = db.last_position("#v")
    assert last is not None and last[0] == 3
    assert db.get_marker("dave", "#v") is None
    db.set_marker("dave", "#v", last)
    db.set_marker("dave", "#v", (1, 1))  # an older position never moves it back
    assert db.get_marker("dave", "#v") == last


def test_channel_history_from_before_version_2_counts_as_closed(tmp_path: Path) -> None:
    """SQLite only: its schema had versions without privacy (PostgreSQL starts with it)."""
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.executescript(sqlite.MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    raw.execute(
        "INSERT INTO messages (key, time_ms, msgid, command, source, target, text, tags)"
        " VALUES ('#vault', 1, 'a', 'PRIVMSG', 's', '#vault', 'old secret', '{}'),"
        " ('p:a:x a:y', 1, 'b', 'PRIVMSG', 's', 'y', 'old private', '{}')"
    )
    raw.commit()
    raw.close()
    db = SqliteBackend(path)
    assert db.before("#vault", None, 10) == []
    assert [m.text for m in db.before("p:a:x a:y", None, 10)] == ["old private"]
    db.close()


def test_push_subscriptions_belong_to_one_account_per_endpoint(open_db: OpenDb) -> None:
    db = open_db()
    first = PushSubscription("alice", "https://push.example/1", "key1", "auth1", 1.0)
    db.add_push_subscription(first)
    db.add_push_subscription(PushSubscription("alice", "https://push.example/2", "k2", "a2", 2.0))
    assert [s.endpoint for s in db.push_subscriptions("alice")] == [
        "https://push.example/1",
        "https://push.example/2",
    ]
    moved = PushSubscription("bob", "https://push.example/1", "key3", "auth3", 3.0)
    db.add_push_subscription(moved)  # the device now belongs to bob
    db.remove_push_subscription("bob", "https://push.example/2")  # not bob's: nothing
    db.close()
    db = open_db()  # kept across a restart
    assert db.push_subscriptions("bob") == [moved]
    assert [s.endpoint for s in db.push_subscriptions("alice")] == ["https://push.example/2"]
    db.remove_push_subscription("alice", "https://push.example/2")
    assert db.push_subscriptions("alice") == []
    db.close()
