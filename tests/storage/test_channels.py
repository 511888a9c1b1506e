"""Registered channels in each backend (see conftest.py): kept across reopening, replaced by
name, dropped, queued for the next commit (never written by a commit of their own); and the
SQLite migration that adds them to a database of the previous schema version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from socketchat.storage.base import Backend, ChannelAccess, MaskEntry, RegisteredChannel
from socketchat.storage.postgres import PostgresBackend
from socketchat.storage.sqlite import MIGRATIONS, SqliteBackend
from tests.storage.conftest import OpenDb

CLASS = RegisteredChannel(
    "#Class",
    "teacher",
    1_800_000_000.5,
    "era1",
    created=1_799_999_999.0,
    description="Maths",
    topic="Fractions",
    topic_setter="teacher!t@h",
    topic_time=1_800_000_001.0,
    modes="mnt",
    key="sesame",
    limit=30,
    masks=(MaskEntry("b", "bad!*@*", "teacher!t@h", 1.0), MaskEntry("I", "ok!*@*", "t", 2.0)),
    access=(ChannelAccess("helper", "o", "teacher", 3.0),),
    topic_lock=True,
    guard=True,
)


def test_registered_channels_round_trip_replace_and_drop(open_db: OpenDb) -> None:
    db = open_db()
    db.save_channel(CLASS)
    db.save_channel(RegisteredChannel("#other", "bob", 1.0, "era2"))
    db.commit()
    db.close()
    db = open_db()
    assert db.registered_channels() == [CLASS, RegisteredChannel("#other", "bob", 1.0, "era2")]
    moved = RegisteredChannel("#CLASS", "helper", 2.0, "era1")
    db.save_channel(moved)  # the same channel in another case: replaced, not added
    db.drop_channel("#OTHER")
    db.commit()
    assert db.registered_channels() == [moved]
    db.close()


def committed_channels(db: Backend) -> int:
    """How many registrations another connection sees (committed rows only)."""
    sql = "SELECT count(*) FROM registered_channels"
    if isinstance(db, SqliteBackend):
        other = sqlite3.connect(db.path)
        try:
            return int(other.execute(sql).fetchone()[0])
        finally:
            other.close()
    assert isinstance(db, PostgresBackend)
    with psycopg.connect(db.url) as conn:
        row = conn.execute(sql).fetchone()
        assert row is not None
        return int(row[0])


def test_a_save_waits_for_the_next_commit(db: Backend) -> None:
    db.save_channel(CLASS)
    db.message_count()  # a read writes the queue into the open transaction: not committed
    assert committed_channels(db) == 0
    db.commit()  # the loop turn's group commit
    assert committed_channels(db) == 1


def test_the_migration_adds_registered_channels_to_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    step = next(i for i, m in enumerate(MIGRATIONS) if "registered_channels" in m)
    for i in range(step):
        raw.executescript(MIGRATIONS[i])
    raw.execute(f"PRAGMA user_version = {step}")
    raw.execute(
        "INSERT INTO accounts (folded, name, email, password_hash, created)"
        " VALUES ('teacher', 'teacher', '', 'scrypt$x', 1.0)"
    )
    raw.commit()
    raw.close()
    db = SqliteBackend(path)
    assert db.schema_version == len(MIGRATIONS)
    assert db.registered_channels() == []
    assert db.get_account("teacher") is not None  # what was there stays
    db.save_channel(CLASS)
    db.commit()
    assert db.registered_channels() == [CLASS]
    db.close()
