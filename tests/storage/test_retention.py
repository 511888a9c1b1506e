"""Retention in bounded batches gives exactly what the single whole-table query gave (SQLite),
and PostgreSQL's batches give the same as SQLite's whole-table query."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import psycopg
import pytest

from socketchat.storage.base import Backend, StoredMessage
from socketchat.storage.postgres import PostgresBackend
from socketchat.storage.sqlite import SqliteBackend
from tests.support.postgres import fresh_database


def old_prune(path: Path, before_ms: int, keep: int) -> None:
    """The previous implementation, verbatim: one statement over the whole table for each."""
    db = sqlite3.connect(path)
    removed = 0
    if before_ms:
        removed += db.execute("DELETE FROM messages WHERE time_ms < ?", (before_ms,)).rowcount
    if keep:
        removed += db.execute(
            "DELETE FROM messages WHERE seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER()"
            " OVER (PARTITION BY key ORDER BY time_ms DESC, seq DESC) AS n FROM messages)"
            " WHERE n > ?)",
            (keep,),
        ).rowcount
    if removed:
        db.execute("DELETE FROM conversations WHERE key NOT IN (SELECT DISTINCT key FROM messages)")
    db.commit()
    db.close()


def contents(path: Path) -> tuple[list[tuple[int, ...]], list[tuple[str, ...]]]:
    db = sqlite3.connect(path)
    messages = db.execute("SELECT seq, key, time_ms FROM messages ORDER BY seq").fetchall()
    conversations = db.execute("SELECT * FROM conversations ORDER BY key").fetchall()
    db.close()
    return messages, conversations


def fill(db: Backend, rnd: random.Random) -> None:
    keys = [f"#c{k}" for k in range(12)] + [f"p:a:x{k} a:y{k}" for k in range(30)]
    for n in range(4000):
        key = rnd.choice(keys[:6]) if n % 3 else rnd.choice(keys)  # some keys much busier
        t = 1000 + rnd.randrange(3000)  # many messages share a millisecond
        private = key.startswith("p:")
        tags = {"msgid": f"m{n}"}
        sender, recipient = key[2:].split(" ") if private else ("", "")
        db.append(
            StoredMessage(key, t, f"m{n}", "PRIVMSG", "x!u@h", "t", "x", tags, sender, recipient)
        )
    db.commit()


@pytest.mark.parametrize(
    ("before_ms", "keep"), [(0, 25), (2500, 0), (2000, 60), (3999, 1), (0, 5000)]
)
def test_batches_give_the_same_result_as_the_whole_table_query(
    tmp_path: Path, before_ms: int, keep: int
) -> None:
    path, reference = tmp_path / "new.db", tmp_path / "old.db"
    db = SqliteBackend(path)
    db.PRUNE_BATCH_ROWS = 37
    fill(db, random.Random(before_ms * 7 + keep))
    copy = sqlite3.connect(reference)
    db.db.backup(copy)  # (the file alone would miss what is still in the WAL)
    copy.close()
    old_prune(reference, before_ms, keep)

    statements: list[str] = []

    def issued(sql: str) -> None:
        """Count the statements issued, not the search index's work for each deleted row:
        SQLite reports a trigger's steps with the text of the statement that fired it, and
        FTS5's own statements on its tables as comments (``-- ...``)."""
        if not sql.startswith("--") and (not statements or statements[-1] != sql):
            statements.append(sql)

    db.db.set_trace_callback(issued)
    batches = db.prune_batches(before_ms=before_ms, keep_per_key=keep)
    removed, sizes, per_batch = 0, [], []
    while True:
        statements.clear()
        try:
            n = next(batches)
        except StopIteration:
            break
        per_batch.append(len(statements))
        sizes.append(n)
        removed += n
        db.commit()
    db.close()
    assert contents(path) == contents(reference)
    assert removed == 4000 - len(contents(path)[0])
    assert max(sizes, default=0) <= 37  # rows per batch are bounded...
    # ...and so are statements: a skip-scan step plus two per conversation looked at (64 at
    # most), or one delete by age plus the conversation clean-up
    assert max(per_batch, default=0) <= 2 + 2 * 64 + 2
    if removed > 37:
        assert len(sizes) > 1


def test_prune_is_all_the_batches(tmp_path: Path) -> None:
    db = SqliteBackend(tmp_path / "t.db")
    db.PRUNE_BATCH_ROWS = 10
    fill(db, random.Random(1))
    assert db.prune(before_ms=2000, keep_per_key=50) > 100
    assert db.prune(before_ms=2000, keep_per_key=50) == 0
    db.close()


def pg_contents(db: PostgresBackend) -> tuple[list[tuple[int, ...]], list[tuple[str, ...]]]:
    with psycopg.connect(db.url) as conn:
        messages = conn.execute("SELECT seq, key, time_ms FROM messages ORDER BY seq").fetchall()
        conversations = conn.execute(
            'SELECT * FROM conversations ORDER BY key COLLATE "C"'
        ).fetchall()
    return messages, conversations


@pytest.mark.parametrize(("before_ms", "keep"), [(0, 25), (2500, 0), (2000, 60), (3999, 1)])
def test_postgresql_batches_give_what_the_sqlite_whole_table_query_gives(
    tmp_path: Path, before_ms: int, keep: int
) -> None:
    """The same history in both backends; PostgreSQL pruned in batches, a SQLite copy by the
    old whole-table statements: the same messages (same sequence numbers) and conversations
    remain."""
    reference = tmp_path / "old.db"
    seed = before_ms * 7 + keep
    sq = SqliteBackend(reference)
    fill(sq, random.Random(seed))
    sq.close()
    old_prune(reference, before_ms, keep)
    with fresh_database() as url:
        db = PostgresBackend(url)
        db.PRUNE_BATCH_ROWS = 37
        fill(db, random.Random(seed))
        sizes = []
        for n in db.prune_batches(before_ms=before_ms, keep_per_key=keep):
            sizes.append(n)
            db.commit()
        got = pg_contents(db)
        db.close()
    assert got == contents(reference)
    assert max(sizes, default=0) <= 37
    assert sum(sizes) == 4000 - len(got[0])
