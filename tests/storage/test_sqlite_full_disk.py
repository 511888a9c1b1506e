"""The SQLite backend when writes fail, on a real full filesystem (a small tmpfs)."""

from __future__ import annotations

import sqlite3

import pytest

from socketchat.storage.base import Account, StorageError, StoredMessage
from socketchat.storage.sqlite import SqliteBackend
from tests.support.tmpfs import fill, small_tmpfs, unfill


def msg(key: str, n: int, text: str = "") -> StoredMessage:
    tags = {"msgid": f"m{n}"}
    return StoredMessage(key, 1000 + n, f"m{n}", "PRIVMSG", "a!u@h", key, text or f"t{n}", tags)


def test_failed_commit_keeps_every_write_and_a_later_commit_stores_them() -> None:
    with small_tmpfs("8m") as mnt:
        db = SqliteBackend(mnt / "t.db")
        db.append(msg("#a", 1))
        db.commit()
        filler = fill(mnt)
        for n in range(2, 6):
            assert db.append(msg("#a", n))
        assert db.create_account(Account("Dora", "hash1"))
        db.set_password("dora", "hash2")
        with pytest.raises(StorageError, match=r"t\.db: the disk is full"):
            db.commit()
        assert db.error is not None
        # reads go on, from what is on disk; the new account answers from memory
        assert [m.text for m in db.before("#a", None, 10)] == ["t1"]
        account = db.get_account("DORA")
        assert account is not None and (account.name, account.password_hash) == ("Dora", "hash2")
        assert not db.create_account(Account("dora", "x"))  # still taken
        db.set_marker("dora", "#a", (1001, 1))
        db.set_marker("dora", "#a", (1000, 9))  # markers only move forward
        assert db.get_marker("dora", "#a") == (1001, 1)  # from memory while writes fail
        db.set_read_marker("dora", "#a", 5000)  # MARKREAD markers likewise
        db.set_read_marker("dora", "#a", 4000)
        assert db.get_read_marker("dora", "#a") == 5000
        db.append(msg("#a", 6))
        assert db.unsaved() == (5, 0)
        with pytest.raises(StorageError):  # still full: a retry fails the same way
            db.commit()
        unfill(filler)
        db.commit()
        assert db.error is None and db.unsaved() == (0, 0)
        db.close()
        raw = sqlite3.connect(mnt / "t.db")
        texts = [r[0] for r in raw.execute("SELECT text FROM messages ORDER BY seq")]
        assert texts == [f"t{n}" for n in range(1, 7)]
        assert raw.execute("SELECT name, password_hash FROM accounts").fetchall() == [
            ("Dora", "hash2")
        ]
        assert raw.execute("SELECT time_ms, seq FROM markers").fetchall() == [(1001, 1)]
        assert raw.execute("SELECT time_ms FROM read_markers").fetchall() == [(5000,)]
        raw.close()


def test_the_memory_queue_is_bounded_while_writes_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqliteBackend, "MAX_PENDING_BYTES", 20_000)
    with small_tmpfs("8m") as mnt:
        db = SqliteBackend(mnt / "t.db")
        filler = fill(mnt)
        db.append(msg("#a", 0, "x" * 1000))
        with pytest.raises(StorageError):
            db.commit()
        kept = [db.append(msg("#a", n, "x" * 1000)) for n in range(1, 40)]
        assert kept.count(True) < 20 and kept[0] and not kept[-1]
        waiting, dropped = db.unsaved()
        assert waiting == 1 + kept.count(True) and dropped == kept.count(False)
        unfill(filler)
        db.commit()
        assert len(db.before("#a", None, 100)) == waiting
        db.close()


def test_close_on_a_full_disk_raises_after_closing() -> None:
    with small_tmpfs("8m") as mnt:
        db = SqliteBackend(mnt / "t.db")
        fill(mnt)
        db.append(msg("#a", 1))
        with pytest.raises(StorageError):
            db.close()
        with pytest.raises(sqlite3.ProgrammingError):  # closed all the same
            db.db.execute("SELECT 1")
