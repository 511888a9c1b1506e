"""Scrubbing the search index (`SqliteBackend.scrub`): without FTS5 secure-delete (SQLite before
3.42, Debian 12's 3.40) a deleted line's words stay in the index's pages as a tombstone and in
the older segment it hides, until a scrub merges them away. These tests read the database file
and its WAL as anyone could, while the backend is still open (not only after a clean close)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from socketchat.storage.base import SearchQuery, StoredMessage
from socketchat.storage.sqlite import SqliteBackend

SECRET = b"zqxsecretword"

pytestmark = pytest.mark.skipif(
    sqlite3.sqlite_version_info >= (3, 42, 0), reason="FTS5 secure-delete scrubs at once"
)


def line(n: int, text: str) -> StoredMessage:
    return StoredMessage("#a", n, f"m{n}", "PRIVMSG", "alice!u@h", "#a", text, {})


def on_disk(path: Path) -> bytes:
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def scrub_all(db: SqliteBackend) -> int:
    steps = 1
    while db.scrub():
        db.commit()
        steps += 1
    db.commit()
    return steps


def filled(path: Path) -> SqliteBackend:
    """A database whose secret line is deep in an old, big segment (as most lines are), with
    younger segments after it: the case where a tombstone outlives every automatic merge."""
    db = SqliteBackend(path)
    db.SCRUB_PAGES = 4  # several steps even on this small index
    for n in range(1, 3001):
        db.append(line(n, f"word{n % 97} other{n % 13} filler text number {n}"))
        if n == 1500:
            db.append(line(100_000, f"the {SECRET.decode()} said here"))
        if n % 50 == 0:
            db.commit()  # many small segments, merged by FTS5 as they come
    db.commit()
    db.SCRUB_AFTER_REDACT = db.SCRUB_AFTER_PRUNE = 0.0
    db._deleted(0.0)
    scrub_all(db)  # everything in one segment, the secret line in it
    for n in range(3001, 3100):
        db.append(line(n, f"later line {n}"))
        db.commit()
    return db


def test_a_redacted_lines_words_leave_the_files(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    db = filled(path)
    db.checkpoint()
    assert SECRET in on_disk(path)
    db.delete("#a", "m100000")
    db.commit()
    assert db.search({"#a": ()}, "", SearchQuery(SECRET.decode())) == []
    db.checkpoint()
    assert SECRET in on_disk(path)  # unreachable, but in the pages: the tombstone and the line
    assert scrub_all(db) > 2  # in bounded steps
    db.checkpoint()  # the one after a scrub truncates the WAL
    assert Path(f"{path}-wal").stat().st_size == 0
    assert SECRET not in on_disk(path)
    assert [m.text for m in db.search({"#a": ()}, "", SearchQuery("later 3050"))] == [
        "later line 3050"
    ]
    assert [m.text for m in db.search({"#a": ()}, "", SearchQuery("number 1499"))] == [
        "word44 other4 filler text number 1499"
    ]
    db.db.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    db.close()
    assert SECRET not in on_disk(path)


def test_retention_is_scrubbed_too(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    db = filled(path)
    assert db.prune(before_ms=100_001) == 3100  # every line, the secret one too
    db.commit()
    scrub_all(db)
    db.checkpoint()
    assert SECRET not in on_disk(path)
    assert b"filler" not in on_disk(path)
    assert b"later" not in on_disk(path)
    db.close()


def test_nothing_is_scrubbed_before_it_is_due(tmp_path: Path) -> None:
    db = SqliteBackend(tmp_path / "t.db")
    db.append(line(1, "one"))
    db.append(line(2, "two"))
    db.commit()
    assert not db.scrub()  # nothing deleted
    db.delete("#a", "m1")
    db.commit()
    assert not db.scrub()  # SCRUB_AFTER_REDACT (a minute) after the last one, not yet
    db.SCRUB_AFTER_REDACT = 0.0
    db.delete("#a", "m2")
    db.commit()
    assert not db.scrub()  # due: done in one step, nothing more to do
    assert db._fts_levels()[-1][1] <= 1
    db.close()


def test_an_unfinished_scrub_is_finished_at_close_or_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    db = filled(path)
    db.delete("#a", "m100000")
    db.commit()
    assert db.scrub()  # started, not finished: a crash here (the process killed) ...
    db.commit()
    db.db.close()  # (not `close`, which finishes it)
    again = SqliteBackend(path)  # ... and the next start scrubs
    again.SCRUB_AFTER_REDACT = 0.0
    scrub_all(again)
    again.close()
    assert SECRET not in on_disk(path)
    db = filled(tmp_path / "u.db")
    db.delete("#a", "m100000")
    db.close()  # a clean stop finishes the scrub (SCRUB_AT_CLOSE)
    assert SECRET not in on_disk(tmp_path / "u.db")


def test_an_index_grown_by_many_scrubs_is_built_again_at_start(tmp_path: Path) -> None:
    """Each optimize adds levels to an SQLite 3.40 FTS5 index (corrupt past 2,000): past
    `FTS_REBUILD_LEVELS` the next start builds it again, with the same lines found."""
    path = tmp_path / "t.db"
    db = SqliteBackend(path)
    db.SCRUB_AFTER_REDACT = 0.0
    n = 0
    while len(db._fts_levels()) <= db.FTS_REBUILD_LEVELS:
        for _ in range(5):
            n += 1
            db.append(line(n, f"common word{n}"))
            db.commit()
        db.delete("#a", f"m{n - 2}")
        db.commit()
        scrub_all(db)
    found = len(db.search({"#a": ()}, "", SearchQuery("word1")))
    db.close()
    again = SqliteBackend(path)
    assert len(again._fts_levels()) <= 2
    assert len(again.search({"#a": ()}, "", SearchQuery("word1"))) == found > 0
    again.db.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    again.close()
