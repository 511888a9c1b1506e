"""The SQLite backend's search index (storage/searchindex.py): its own file, written by a worker
thread from committed rows. What it promises: a line is findable as soon as it is stored; a
crash loses no indexing (the watermark); a redacted or pruned line's words leave the index
file and its WAL, not only the results (read here as anyone could, while the backend is open);
an old database's in-database index is dropped and the new one built in the background, with
searches partial (and saying so) until then; an index grown by many scrubs (SQLite 3.40) is
built again while the server runs; filters give the same results whichever plan runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from socketchat.storage.base import SearchQuery, StoredMessage
from socketchat.storage.searchindex import SearchIndexer, fts_levels
from socketchat.storage.sqlite import MIGRATIONS, SqliteBackend

SECRET = b"zqxsecretword"
old_sqlite = pytest.mark.skipif(
    sqlite3.sqlite_version_info >= (3, 42, 0), reason="FTS5 secure-delete scrubs at once"
)


def line(n: int, text: str, key: str = "#a", source: str = "alice!u@h") -> StoredMessage:
    return StoredMessage(key, n, f"m{n}", "PRIVMSG", source, key, text, {})


def on_disk(*paths: Path) -> bytes:
    out = b""
    for path in paths:
        for p in (path, Path(f"{path}-wal")):
            out += p.read_bytes() if p.exists() else b""
    return out


def texts(
    db: SqliteBackend, text: str, scope: dict[str, tuple[str, ...]] | None = None
) -> list[str]:
    return [m.text for m in db.search(scope or {"#a": ()}, "", SearchQuery(text))]


def in_index(db: SqliteBackend, match: str) -> list[int]:
    """What the index file itself finds (not the search's own look at unindexed lines)."""
    raw = sqlite3.connect(db.index_path)
    try:
        raw.execute("INSERT INTO fts (fts, rank) VALUES ('integrity-check', 1)")
        return [r for (r,) in raw.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (match,))]
    finally:
        raw.close()


def filled(path: Path) -> SqliteBackend:
    """A database whose secret line is deep in an old, big segment of the index (as most lines
    are), with younger segments after it: the case where a tombstone outlives every automatic
    merge."""
    db = SqliteBackend(path)
    db._indexer.SCRUB_PAGES = 4  # several steps even on this small index
    db._indexer.BATCH = 50  # many small segments, merged by FTS5 as they come
    for n in range(1, 3001):
        db.append(line(n, f"word{n % 97} other{n % 13} filler text number {n}"))
        if n == 1500:
            db.append(line(100_000, f"the {SECRET.decode()} said here"))
    db.SCRUB_AFTER_REDACT = db.SCRUB_AFTER_PRUNE = 0.0
    db._deleted(0.0)
    assert db.wait_indexed()  # everything in one segment after the scrub, the secret in it
    for n in range(3001, 3100):
        db.append(line(n, f"later line {n}"))
        db.commit()
    assert db.wait_indexed()
    return db


def test_a_line_is_found_at_once_and_indexed_off_the_loop(tmp_path: Path) -> None:
    db = SqliteBackend(tmp_path / "t.db")
    assert db.index_path == tmp_path / "t-search.db"
    db.append(line(1, "fresh words"))
    assert texts(db, "fresh") == ["fresh words"]  # not even committed: the search's own look
    db.commit()
    assert db.wait_indexed()
    assert in_index(db, "fresh") == [1]
    assert texts(db, "fresh") == ["fresh words"]
    db.close()


def test_indexing_catches_up_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    db = SqliteBackend(path)
    db.append(line(1, "indexed before"))
    db.append(line(2, "redacted before"))
    assert db.wait_indexed()
    db._indexer.stop(0.0)  # the worker is gone (as in a crash) ...
    db.append(line(3, "stored while the worker was down"))
    db.delete("#a", "m2")
    db.commit()
    db.db.close()  # ... and the process dies: no `close`
    again = SqliteBackend(path)
    assert texts(again, "stored") == ["stored while the worker was down"]
    assert again.wait_indexed()  # from the watermark, with the change log
    assert in_index(again, "stored") == [3]
    assert in_index(again, "redacted") == []
    assert in_index(again, "indexed") == [1]
    assert again.db.execute("SELECT count(*) FROM search_changes").fetchone()[0] == 0
    again.append(line(4, "after restart"))  # a seq never given before
    again.commit()
    assert [m.seq for m in again.search({"#a": ()}, "", SearchQuery("after"))] == [4]
    again.close()


def test_a_seq_is_never_given_twice(tmp_path: Path) -> None:
    """Deleting the newest line must not let the next one take its seq: the index would take
    the new line for the old, already indexed one."""
    path = tmp_path / "t.db"
    db = SqliteBackend(path)
    db.append(line(1, "one"))
    db.append(line(2, "two secret"))
    assert db.wait_indexed()
    db.delete("#a", "m2")
    db.append(line(3, "three"))
    assert db.wait_indexed()
    db.close()
    db = SqliteBackend(path)
    db.delete("#a", "m3")
    db.commit()
    db.close()
    db = SqliteBackend(path)
    db.append(line(4, "four"))
    assert db.wait_indexed()
    seqs = [m.seq for m in db.search({"#a": ()}, "", SearchQuery("one"))]
    seqs += [m.seq for m in db.search({"#a": ()}, "", SearchQuery("four"))]
    assert seqs == [1, 4]
    assert texts(db, "secret") == texts(db, "three") == []
    assert in_index(db, "four") == [4]
    db.close()


def test_an_old_database_loses_its_index_and_gets_a_new_one_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schema 10 had the index in the database, kept by triggers: the upgrade drops them (and
    the pages, zeroed), and the worker builds the index file; until it has caught up, a search
    finds the newest `SEARCH_TAIL` lines and `search_indexing` says how far it is."""
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.executescript(";".join(MIGRATIONS[:10]) + "; PRAGMA user_version = 10;")
    raw.executemany(
        "INSERT INTO messages (key, time_ms, msgid, command, source, target, text, tags)"
        " VALUES ('#a', ?, ?, 'PRIVMSG', 's!u@h', '#a', ?, '{}')",
        [(n, f"m{n}", f"ancient line {n}") for n in range(1, 101)],
    )
    raw.commit()
    assert raw.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'ancient'")
    raw.close()
    monkeypatch.setattr(SearchIndexer, "start", lambda self: None)  # the worker held back
    db = SqliteBackend(path)
    names = {r[0] for r in db.db.execute("SELECT name FROM sqlite_master")}
    assert not any(n.startswith("messages_fts") for n in names)
    assert db.search_indexing() == 0.0
    db.SEARCH_TAIL = 10
    assert len(texts(db, "ancient")) == 10  # partial: the newest lines only
    db.db.close()
    monkeypatch.undo()
    db = SqliteBackend(path)
    assert db.wait_indexed()
    assert db.search_indexing() is None
    assert len(texts(db, "ancient")) == 100
    assert len(in_index(db, "ancient")) == 100
    db.delete("#a", "m7")  # an old row leaves the index like a new one
    assert db.wait_indexed()
    assert len(in_index(db, "ancient")) == 99
    db.close()


def test_filters_give_the_same_results_whichever_plan_runs(tmp_path: Path) -> None:
    """Conversations with a small share of history go into the MATCH, others do not
    (`SEARCH_SHARE`); the sender always: the lines found are the same, exactly what the rules
    of CHATHISTORY allow."""
    db = SqliteBackend(tmp_path / "t.db")
    n = 0
    for k in range(12):
        for i in range(30):
            n += 1
            who = ("Bob_1", "bobx1", "carol")[i % 3]
            db.append(line(n, f"common word{i} in c{k}", key=f"#c{k}", source=f"{who}!u@h"))
    db.append(line(n + 1, "common quiet", key="#quiet", source="dave!u@h"))
    db.commit()
    assert db.wait_indexed()
    every = {f"#c{k}": () for k in range(12)}
    for limit in (5, 100):
        for kw in ({"text": "common"}, {"sender": "BOB_1"}, {"text": "word1", "sender": "bob_1"}):
            query = SearchQuery(limit=limit, **kw)  # type: ignore[arg-type]
            db.SEARCH_SHARE = 1.0  # type: ignore[misc]
            pushed = [m.msgid for m in db.search({"#c3": (), "#c4": ()}, "", query)]
            db.SEARCH_SHARE = 0.0  # type: ignore[misc]
            filtered = [m.msgid for m in db.search({"#c3": (), "#c4": ()}, "", query)]
            db.SEARCH_SHARE = 0.05  # type: ignore[misc]
            assert pushed == filtered
            assert pushed
        assert len(db.search(every, "", SearchQuery("common", limit=limit))) == min(limit, 360)
    got = db.search({"#c5": ()}, "", SearchQuery(sender="bob_1"))
    assert len(got) == 10 and {m.source for m in got} == {"Bob_1!u@h"}  # not bobx1
    assert texts(db, "common", {"#quiet": ()}) == ["common quiet"]
    assert texts(db, "common", {"#quiet": (), "#nothing": ()}) == ["common quiet"]
    db.rename_key("#quiet", "#calm", "#calm")  # its words follow it
    db.commit()
    assert texts(db, "common", {"#quiet": ()}) == []
    assert texts(db, "common", {"#calm": ()}) == ["common quiet"]
    assert db.wait_indexed()
    assert texts(db, "common", {"#calm": ()}) == ["common quiet"]
    db.close()


@old_sqlite
def test_a_redacted_lines_words_leave_the_files(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    db = filled(path)
    files = (path, db.index_path)
    db.checkpoint()
    assert SECRET in on_disk(*files)
    db.SCRUB_AFTER_REDACT = 3600.0
    db.delete("#a", "m100000")
    db.commit()
    assert db.search({"#a": ()}, "", SearchQuery(SECRET.decode())) == []
    assert db.wait_indexed()
    db.checkpoint()
    assert SECRET in on_disk(db.index_path)  # unreachable, but in the pages: the tombstone
    scrubs = db._indexer.scrubs
    db.SCRUB_AFTER_REDACT = 0.0
    db._deleted(0.0)
    assert db.wait_indexed()
    assert db._indexer.scrubs == scrubs + 1
    db.checkpoint()  # the one after the change log's removal truncates the WAL
    assert Path(f"{path}-wal").stat().st_size == 0
    assert SECRET not in on_disk(*files)
    assert texts(db, "later 3050") == ["later line 3050"]
    assert texts(db, "number 1499") == ["word44 other4 filler text number 1499"]
    in_index(db, "x")  # (the integrity check)
    db.close()
    assert SECRET not in on_disk(*files)


@old_sqlite
def test_retention_is_scrubbed_too(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    db = filled(path)
    assert db.prune(before_ms=100_001) == 3100  # every line, the secret one too
    db.commit()
    assert db.wait_indexed()
    db.checkpoint()
    for word in (SECRET, b"filler", b"later"):
        assert word not in on_disk(path, db.index_path)
    db.close()


@old_sqlite
def test_an_unfinished_scrub_is_finished_at_close_or_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    db = filled(path)
    db.SCRUB_AFTER_REDACT = 3600.0
    db.delete("#a", "m100000")
    assert db.wait_indexed()  # applied (a tombstone), not scrubbed: a crash here ...
    db._indexer.stop(0.0)
    db.db.close()
    again = SqliteBackend(path)  # ... and the next start scrubs (more than one segment)
    assert again.wait_indexed()
    again.close()
    assert SECRET not in on_disk(path, again.index_path)
    db = filled(tmp_path / "u.db")
    db.SCRUB_AFTER_REDACT = 3600.0
    db.delete("#a", "m100000")
    db.close()  # a clean stop finishes the scrub (SCRUB_AT_CLOSE)
    assert SECRET not in on_disk(tmp_path / "u.db", db.index_path)


@old_sqlite
def test_an_index_grown_by_many_scrubs_is_built_again_while_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each optimize adds levels to an SQLite 3.40 FTS5 index (corrupt past 2,000): past
    `REBUILD_LEVELS` the worker builds a new table beside it and swaps them, with no restart
    and the same lines found meanwhile and after."""
    monkeypatch.setattr(SearchIndexer, "REBUILD_LEVELS", 12)
    db = SqliteBackend(tmp_path / "t.db")
    db.SCRUB_AFTER_REDACT = 0.0
    n = 0
    while db._indexer.rebuilds == 0:
        for _ in range(5):
            n += 1
            db.append(line(n, f"common word{n}"))
            db.commit()
        db.delete("#a", f"m{n - 2}")
        assert db.wait_indexed()
        assert n < 2000
    raw = sqlite3.connect(db.index_path)
    assert len(fts_levels(raw, "fts")) <= 3
    raw.close()
    expected = [f"common word{k}" for k in range(1, n + 1) if k % 5 != 3]
    assert texts(db, "common") == expected[-100:]
    assert len(in_index(db, "common")) == len(expected)
    db.close()


def test_a_long_retention_pass_does_not_pile_up_the_change_log(tmp_path: Path) -> None:
    """Each batch removes the entries the index has applied (they hold the pruned lines' text),
    not only the loop's ticks between passes."""
    db = SqliteBackend(tmp_path / "t.db")
    db.PRUNE_BATCH_ROWS = 10  # type: ignore[misc]
    for n in range(1, 201):
        db.append(line(n, f"old line {n}"))
    assert db.wait_indexed()
    most = 0
    for _ in db.prune_batches(before_ms=1000):
        db.commit()
        assert db._indexer.wait_idle()
        most = max(most, db.db.execute("SELECT count(*) FROM search_changes").fetchone()[0])
    assert most <= 20  # the last two batches' at most, never the whole pass's 200
    assert db.wait_indexed()
    assert in_index(db, "old") == []
    db.close()


def test_every_deletion_reaches_the_index_after_the_log_was_emptied(tmp_path: Path) -> None:
    """The loop removes every applied entry of the change log: the next entry's id must still
    be above the index's mark (AUTOINCREMENT), or the index never applies it."""
    path = tmp_path / "t.db"
    db = SqliteBackend(path)
    for n in range(1, 6):
        db.append(line(n, f"word{n} common"))
    for n in range(1, 5):
        assert db.wait_indexed()
        assert db.db.execute("SELECT count(*) FROM search_changes").fetchone()[0] == 0
        db.delete("#a", f"m{n}")
    assert db.wait_indexed()
    db.close()
    db = SqliteBackend(path)  # and across a restart
    db.delete("#a", "m5")
    assert db.wait_indexed()
    assert in_index(db, "common") == []
    db.close()


def backup(source: Path, target: Path) -> None:
    """A copy of the database as the docs take it while it runs: SQLite's backup API (what
    the ``sqlite3`` shell's ``.backup`` and ``.restore`` use)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def test_a_backup_restored_over_the_database_gets_its_index_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Backed up while it runs, more lines and a redaction after the backup, the backup
    restored over it: the index, ahead of the restored database, is built again at the
    start, with searches partial and saying so meanwhile; then a search finds what the
    restored database holds (the line redacted after the backup too) and nothing else, and
    what is written after the restore is indexed like any line. No step by hand."""
    path, saved = tmp_path / "socketchat.db", tmp_path / "backup.db"
    db = SqliteBackend(path)
    for n in range(1, 21):
        db.append(line(n, f"apple before the backup {n}"))
    assert db.wait_indexed()
    backup(path, saved)
    for n in range(21, 31):
        db.append(line(n, f"banana after the backup {n}"))
    db.delete("#a", "m3")
    assert db.wait_indexed()
    assert len(texts(db, "banana")) == 10 and len(texts(db, "apple")) == 19
    db.close()
    backup(saved, path)  # the restore (stopped: the docs' ``.restore``)
    monkeypatch.setattr(SearchIndexer, "start", lambda self: None)  # the worker held back
    db = SqliteBackend(path)
    assert in_index(db, "apple") == in_index(db, "banana") == []  # the old index is gone
    assert db.search_indexing() == 0.0  # (the server's NOTE SEARCH INDEXING)
    db.db.close()
    monkeypatch.undo()
    db = SqliteBackend(path)
    assert db.wait_indexed()
    assert db.search_indexing() is None
    assert len(texts(db, "apple")) == 20  # the line redacted after the backup is back
    assert "apple before the backup 3" in texts(db, "apple")
    assert texts(db, "banana") == [] and in_index(db, "banana") == []
    db.append(line(21, "cherry after the restore"))
    db.delete("#a", "m5")
    assert db.wait_indexed()
    assert texts(db, "cherry") == ["cherry after the restore"]
    assert in_index(db, "cherry") == [21]
    assert len(in_index(db, "apple")) == 19  # a redaction after the restore reaches the index
    db.close()


def test_another_database_or_an_older_copy_gets_its_own_index(tmp_path: Path) -> None:
    """The same seqs, other lines: a database put in another's place, or a copy taken
    before the last start whose history went another way, never reads the index of the
    one that was there (the generation tells them apart, where the marks cannot)."""
    path, other, copy = tmp_path / "socketchat.db", tmp_path / "other.db", tmp_path / "copy.db"
    db = SqliteBackend(other)
    for n in range(1, 11):
        db.append(line(n, f"pear from the other server {n}"))
    db.close()
    (tmp_path / "other-search.db").unlink()
    db = SqliteBackend(path)
    for n in range(1, 6):
        db.append(line(n, f"plum from this server {n}"))
    db.close()
    backup(path, copy)  # stopped: a plain copy
    db = SqliteBackend(path)  # this start's generation: the copy's is older
    db.delete("#a", "m2")
    db.close()
    backup(copy, path)
    db = SqliteBackend(path)
    assert db.wait_indexed()
    assert len(texts(db, "plum")) == 5
    db.close()
    backup(other, path)  # another database, with more lines at the same seqs
    db = SqliteBackend(path)
    assert db.wait_indexed()
    assert texts(db, "plum") == [] and in_index(db, "plum") == []
    assert len(texts(db, "pear")) == len(in_index(db, "pear")) == 10
    db.close()


def test_a_restart_keeps_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same database at the same moment keeps its index, also when its newest lines were
    deleted since they were indexed (``seq_top`` remembers them), and after a crash."""
    path = tmp_path / "socketchat.db"
    db = SqliteBackend(path)
    for n in range(1, 11):
        db.append(line(n, f"quince {n}"))
    assert db.wait_indexed()
    db.delete("#a", "m10")  # the newest line: the database keeps no row of it
    db.delete("#a", "m9")
    assert db.wait_indexed()
    assert db.db.execute("SELECT count(*) FROM search_changes").fetchone()[0] == 0
    db.db.close()  # a crash
    monkeypatch.setattr(SearchIndexer, "start", lambda self: None)  # no worker: what is there
    for _ in range(2):
        db = SqliteBackend(path)
        assert len(in_index(db, "quince")) == 8
        assert db.search_indexing() is None
        db.close()
    db = SqliteBackend(path)
    db.append(line(11, "quince eleven"))
    assert db._rows[-1][0] == 11  # past the deleted ones: no seq given twice
    db.close()


def test_newest_lines_gone_without_a_trace_keep_the_index_too(tmp_path: Path) -> None:
    """The newest rows are events (TAGMSG: no change log entry when they go): deleted, then
    a clean close writes the highest seq down, and the next start keeps the index."""
    path = tmp_path / "socketchat.db"
    db = SqliteBackend(path)
    db.append(line(1, "medlar"))
    db.append(StoredMessage("#a", 2, "t2", "TAGMSG", "alice!u@h", "#a", "", {}))
    assert db.wait_indexed()
    assert db._indexer.indexed == 2
    db.delete("#a", "t2")
    db.commit()
    assert db.db.execute("SELECT count(*) FROM search_changes").fetchone()[0] == 0
    db.close()
    db = SqliteBackend(path)
    assert db.db.execute("SELECT value FROM lineage WHERE name = 'seq_top'").fetchone()[0] == 2
    assert in_index(db, "medlar") == [1]  # not built again
    db.close()
