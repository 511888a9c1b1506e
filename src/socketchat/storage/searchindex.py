"""The search index of the SQLite backend: its own file beside the database
(``socketchat-search.db``), written by a worker thread, so that storing a line costs the event
loop no full-text work.

Why a thread and a file of its own
----------------------------------
FTS5 triggers on `messages` made every INSERT of history also tokenize the line and update the
index's segments, on the event loop, inside the commit of every turn: the fan-out benchmark
lost about a third of its deliveries/s to it. Here the loop only inserts the row; a worker
thread (`SearchIndexer`) reads committed rows from the database on a connection of its own and
writes the index on another, which only it uses. SQLite releases the GIL while it works, so
the index is built on the other core.

What the index holds, and the watermark
---------------------------------------
One contentless FTS5 table, ``fts(text, meta)``: ``text`` the folded line (`fulltext.fold`),
``meta`` two words, its conversation's and its sender's (`fulltext.meta`), rowid =
``messages.seq``. The ``state`` table says how far it goes: ``indexed`` (every row with a
``seq`` up to it is indexed), ``changes`` (the last entry of the database's change log applied),
``complete`` (the index has caught up once: before that, searches may miss older lines). Both
marks are written in the same transaction as the index pages they describe, so a crash loses
nothing: the next start goes on from the marks.

The change log (`search_changes` in the database) is filled by triggers on DELETE and UPDATE
of `messages` (a redaction, retention, a rename, an operator's ``sqlite3`` shell): each entry
holds the row's *old* values, which a contentless FTS5 table needs to delete a row. The worker
applies them (for a row it has indexed, it deletes what it indexed, then indexes the row's
current version if there is one) and the loop then removes the applied entries
(`SqliteBackend.scrub`), zeroed by ``secure_delete``. A change to a row not yet indexed is
skipped: the row is indexed later as it is then. All of a batch is read in one read
transaction of the database (one snapshot), which is what makes "indexed up to" and "changes
up to" agree.

Rows get increasing ``seq`` values that are never reused (`SqliteBackend` allocates them), so
a row above the watermark is always one that was never indexed.

Whose index it is: a database restored from a backup
-----------------------------------------------------
The index is a file beside the database, so the two can part: the database deleted, another
put in its place, or (the usual case) a backup of it restored over it while the index stays
as it was, ahead of the backup (lines written after the backup, redactions it does not know
of). `prepare` looks at it before the worker starts (`stale`) and builds it again when it is
not its database's at this moment or before: the database keeps a random ``generation``,
new at every open and copied into the index (another database, or a copy of this one from
before its last open, has another), and the highest ``seq`` and change log id it ever gave
(the index can lag behind them, never be past them: a backup from the same run restored
under it is). Building it again is the background build of an upgrade: searches say
``SEARCH INDEXING`` meanwhile. No step by hand.

Redactions leave the file, and the index is rebuilt when it must be
-------------------------------------------------------------------
On SQLite 3.42+ FTS5 *secure-delete* is on: deleted words leave the pages at once. Before
(Debian 12 has 3.40) a delete writes a tombstone, and only a merge of the whole index removes
both (see docs/search.md): the worker *scrubs* (FTS5 ``merge`` steps, an optimize done
incrementally) `scrub_after` seconds after the last scrub, and at start when the index is in
more than one segment. Freed pages are zeroed (``secure_delete=ON``) and the WAL is truncated
after. SQLite 3.40 adds empty levels at every optimize and calls the index corrupt past 2,000:
past `REBUILD_LEVELS` the worker builds a new table (``fts_next``) beside the old, which keeps
answering searches, and swaps them when it has caught up: no restart needed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from socketchat.storage.fulltext import TOKENIZER, fold, meta

log = logging.getLogger("socketchat.storage")

FORMAT = 3  # of the index file: a file of another format is built again from the database
INDEXED = ("PRIVMSG", "NOTICE")


def index_path(db_path: str | Path) -> Path:
    """The search index's file for the database at `db_path` (``x.db`` -> ``x-search.db``)."""
    p = Path(db_path)
    return p.with_name(f"{p.stem}-search{p.suffix}")


def fts_schema(table: str) -> str:
    """The FTS5 table of the index (and of the loop's in-memory table of unindexed rows).
    Prefixes of 2 and 3 characters are indexed (``"the"*`` is one lookup); no column sizes
    (``columnsize=0``: they serve only ranking, which search does not do)."""
    return (
        f"CREATE VIRTUAL TABLE {table} USING fts5(text, meta, content='',"
        f" tokenize='{TOKENIZER}', prefix='2 3', columnsize=0)"
    )


def fts_levels(db: sqlite3.Connection, table: str) -> list[tuple[int, int]]:
    """The FTS5 table's levels, lowest first: (segments under an incremental merge, segments).
    Read from its structure record (``<table>_data`` row 10: a 4-byte cookie, then varints:
    levels, segments, write counter, and per level the merge count, the segment count and
    three varints per segment), the format of SQLite's fts5.c."""
    row = db.execute(f"SELECT block FROM {table}_data WHERE id = 10").fetchone()
    if row is None:
        return []
    data, pos = bytes(row[0]), 4

    def varint() -> int:
        nonlocal pos
        value = 0
        for i in range(9):
            byte = data[pos]
            pos += 1
            if i == 8:
                return (value << 8) | byte
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        return value

    levels, _, _ = varint(), varint(), varint()
    out = []
    for _ in range(levels):
        merging, segments = varint(), varint()
        for _ in range(3 * segments):
            varint()
        out.append((merging, segments))
    return out


def _connect(path: str | Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA secure_delete=ON")  # freed index pages are zeroed (see the module doc)
    return db


@dataclasses.dataclass(frozen=True)
class Lineage:
    """What the database says of itself (``lineage`` and the change log's counter in it, read
    by `SqliteBackend._lineage`), which its index must agree with (`prepare`)."""

    generation: int  # the database's generation until this open: the index's, if it is its
    next_generation: int  # the one from this open on (already in the database)
    seq_top: int  # the highest seq the database ever gave (its rows, their changes, gone)
    changes_top: int  # the highest id its change log ever gave
    empty: bool  # no rows and no change log entries


def stale(state: dict[str, int], lineage: Lineage) -> str | None:
    """Why the index with `state` is not its database's at this moment or before (then it
    must be built again), or None. The index only ever follows what the database
    committed, so it may lag but never be ahead: marks past the highest seq or change log
    id the database ever gave are another moment's (a backup of it restored over it since);
    another generation is another database, or a copy of this one from before its last
    open (whose history may have gone another way since). An index from before generations
    (none in its state) is judged by its marks only."""
    if state.get("format") != FORMAT:
        return "of another format"
    if state.get("generation", lineage.generation) != lineage.generation:
        return "of another database or another copy of it"
    if state.get("indexed", 0) > lineage.seq_top or state.get("changes", 0) > lineage.changes_top:
        return "ahead of the database (restored from a backup?)"
    return None


def prepare(path: Path, lineage: Lineage) -> None:
    """Create the index file, or start it again if it is not the database's (`stale`), on
    the caller's thread before the worker starts, so that the loop may read it at once; and
    give it the database's new generation (`Lineage.next_generation`)."""
    db = _connect(path)
    try:
        has = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'state'").fetchone()
        why = None
        if has:
            state = dict(db.execute("SELECT name, value FROM state").fetchall())
            why = stale(state, lineage)
            if why is not None:
                log.info("storage: the search index %s is %s: building it", path, why)
                tables = [
                    r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                ]
                db.execute("BEGIN IMMEDIATE")
                for name in ("fts", "fts_next", "state"):
                    if name in tables:
                        db.execute(f"DROP TABLE {name}")
                db.execute("COMMIT")
        if not has or why is not None:
            db.executescript(
                f"BEGIN IMMEDIATE; {fts_schema('fts')};"
                " CREATE TABLE state (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
                f" INSERT INTO state VALUES ('format', {FORMAT}), ('indexed', 0), ('changes', 0),"
                f" ('complete', {int(lineage.empty)}), ('next', -1); COMMIT;"
            )
            if sqlite3.sqlite_version_info >= (3, 42, 0):
                db.execute("INSERT INTO fts (fts, rank) VALUES ('secure-delete', 1)")
        db.execute(
            "INSERT OR REPLACE INTO state VALUES ('generation', ?)", (lineage.next_generation,)
        )
    finally:
        db.close()


class SearchIndexer:
    """The worker thread that keeps the index (see the module docstring). The loop talks to
    it through `poke` (rows were committed), `deleted` (when the words of deleted lines must
    be scrubbed at the latest) and reads `changes_done` (the change log's entries applied,
    which it may remove) and `complete`; `stop` ends it."""

    BATCH = 2000  # rows indexed per transaction of the index at most
    # seconds between two batches when it has caught up: the rows of many loop turns share a
    # transaction (and an FTS5 segment, fewer merges later); searches do not wait for it
    INTERVAL = 0.1
    # niceness added to the worker's thread (Linux: a thread is a task): when the core is busy
    # (a benchmark pins the server to one) the event loop gets about three quarters of it and
    # the index lags (searches index the lag themselves); idle, the worker takes what it needs
    NICE = 5
    SCRUB_PAGES = 256  # pages (4 KB) one scrub step merges, about
    REBUILD_LEVELS = 400  # levels past which the index is built again (SQLite 3.40, see above)
    MAX_LEVELS = 1500  # no scrub past this many levels (a rebuild is under way)

    def __init__(self, db_path: str | Path, path: Path) -> None:
        self.db_path, self.path = str(db_path), path
        self.secure = sqlite3.sqlite_version_info >= (3, 42, 0)
        self.changes_done = 0  # the change log's entries applied (the loop removes them)
        self.complete = False
        self.indexed = 0
        self.failed: str | None = None  # the last error of the worker, if any (logged)
        self._wake = threading.Event()
        self._idle = threading.Event()  # the worker waits for work
        self._stopping = threading.Event()
        self._stop_by = float("inf")
        self._lock = threading.Lock()
        self._scrub_at = float("inf")  # monotonic time the next scrub is due (inf: none)
        self._last_scrub = time.monotonic()
        self._scrub_level: int | None = None  # the level of the merge under way, if any
        self.scrubs = 0  # scrubs finished (tests, logs)
        self.rebuilds = 0  # rebuilds finished
        self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
        self._idx: sqlite3.Connection | None = None
        self._main: sqlite3.Connection | None = None
        self._state: dict[str, int] = {}
        with sqlite3.connect(str(path)) as first:
            for name, value in first.execute("SELECT name, value FROM state"):
                self._state[str(name)] = int(value)
        first.close()
        self.indexed = self._state["indexed"]
        self.changes_done = self._state["changes"]
        self.complete = bool(self._state["complete"])

    def start(self) -> None:
        self._thread.start()

    # -- the loop's side -----------------------------------------------------------------
    def poke(self) -> None:
        """Rows or changes were committed: index them."""
        self._wake.set()

    def deleted(self, delay: float) -> None:
        """Lines were deleted: scrub their words `delay` seconds after the last scrub at the
        latest (without FTS5 secure-delete; see the module docstring)."""
        if not self.secure:
            with self._lock:
                self._scrub_at = min(self._scrub_at, self._last_scrub + delay)
        self._wake.set()

    def hurry(self) -> None:
        """A scrub that is due later (deletions wait for it) is due now (a clean stop)."""
        with self._lock:
            if self._scrub_at < float("inf"):
                self._scrub_at = 0.0
        self._wake.set()

    def stop(self, timeout: float) -> None:
        """Finish what is committed (and a scrub due) for up to `timeout` seconds, then end;
        the rest is done at the next start (the marks)."""
        self._stop_by = time.monotonic() + timeout
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout + 5.0)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until everything committed so far is indexed and no scrub or rebuild is due
        (tests, benchmarks, tools); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                due = self._scrub_at <= time.monotonic() or self._scrub_level is not None
            if not due and self._idle.is_set() and self._caught_up():
                return True
            self._wake.set()
            time.sleep(0.01)
        return False

    def _caught_up(self) -> bool:
        with sqlite3.connect(self.db_path) as db:
            top = db.execute("SELECT max(seq) FROM messages").fetchone()[0] or 0
            change = db.execute("SELECT max(id) FROM search_changes").fetchone()[0] or 0
        db.close()
        return self.indexed >= top and self.changes_done >= change and self._next() < 0

    # -- the worker ------------------------------------------------------------------------
    def _next(self) -> int:
        return self._state.get("next", -1)

    def _run(self) -> None:
        try:
            me = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, me, os.getpriority(os.PRIO_PROCESS, me) + self.NICE)
        except (AttributeError, OSError):
            pass  # (not Linux, or not allowed: at the same priority as the loop)
        try:
            self._idx = _connect(self.path)
            self._main = sqlite3.connect(
                self.db_path, isolation_level=None, check_same_thread=False
            )
            self._main.execute("PRAGMA query_only=1")
            levels = fts_levels(self._idx, "fts")
            if not self.secure and (sum(n for _, n in levels) > 1 or any(m for m, _ in levels)):
                self._scrub_at = 0.0  # maybe deleted lines' words, from a crash or an older run
            if len(levels) > self.REBUILD_LEVELS and self._next() < 0:
                self._start_rebuild()
        except sqlite3.Error as exc:
            self.failed = str(exc)
            log.error("storage: the search index %s cannot be opened: %s", self.path, exc)
            return
        while True:
            self._wake.clear()
            try:
                busy = self._step()
            except Exception as exc:  # (sqlite3.Error: a full disk; else a bug) tried again
                busy = False
                if not isinstance(exc, sqlite3.Error):
                    log.exception("storage: the search index's worker failed")
                if self._idx.in_transaction:
                    self._idx.execute("ROLLBACK")
                if self._main.in_transaction:
                    self._main.execute("ROLLBACK")
                self._scrub_level = None
                if str(exc) != self.failed:
                    log.warning("storage: the search index could not be written: %s", exc)
                self.failed = str(exc)
                self._wake.wait(1.0)  # (a full disk: tried again)
            if self._stopping.is_set() and (not busy or time.monotonic() > self._stop_by):
                break
            if not busy:
                self._idle.set()
                self._wake.wait(1.0)
                if not self._stopping.is_set():
                    self._stopping.wait(self.INTERVAL)
                self._idle.clear()
        for db in (self._idx, self._main):
            try:
                db.close()
            except sqlite3.Error:
                pass

    def _step(self) -> bool:
        """One unit of work (a batch of rows and changes, or a scrub step): True if there may
        be more."""
        if self._catch_up():
            return True
        with self._lock:
            due = self._scrub_level is not None or self._scrub_at <= time.monotonic()
        return due and self._scrub()

    def _set(self, **values: int) -> None:
        assert self._idx is not None
        for name, value in values.items():
            self._state[name] = value
            self._idx.execute("UPDATE state SET value = ? WHERE name = ?", (value, name))

    def _catch_up(self) -> bool:
        """Index a batch of the rows above the watermark and apply the change log, in one
        snapshot of the database and one transaction of the index. While a rebuild is under
        way, a batch of the rows up to the watermark goes into ``fts_next`` too, and the
        changes to both tables (each by its own mark); once ``fts_next`` has caught up it
        replaces ``fts``. True if there is more to do."""
        main, idx = self._main, self._idx
        assert main is not None and idx is not None
        wm, done, nxt = self._state["indexed"], self._state["changes"], self._next()
        columns = "SELECT seq, command, key, source, text FROM messages"
        main.execute("BEGIN")
        try:
            rows = main.execute(
                f"{columns} WHERE seq > ? ORDER BY seq LIMIT ?", (wm, self.BATCH)
            ).fetchall()
            older: list[tuple[Any, ...]] = []
            if nxt >= 0:
                older = main.execute(
                    f"{columns} WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                    (nxt, wm, self.BATCH),
                ).fetchall()
            changes = main.execute(
                "SELECT id, seq, command, key, source, text FROM search_changes"
                " WHERE id > ? ORDER BY id",
                (done,),
            ).fetchall()
            top = main.execute("SELECT max(seq) FROM messages").fetchone()[0] or 0
            first: dict[int, tuple[Any, ...]] = {}  # seq -> its first change: what is indexed
            for change in changes:
                first.setdefault(change[1], change)
            touched = [seq for seq in first if seq <= max(wm, nxt)]
            current = {
                r[0]: r
                for r in main.execute(
                    f"{columns} WHERE seq IN (SELECT value FROM json_each(?))",
                    (json.dumps(touched),),
                )
            }
        finally:
            main.execute("COMMIT")
        new_wm = rows[-1][0] if rows else wm
        new_nxt = -1 if nxt < 0 else (older[-1][0] if len(older) == self.BATCH else wm)
        swap = nxt >= 0 and new_nxt >= new_wm
        complete = self.complete or new_wm >= top
        if not (rows or older or changes or swap or complete != self.complete):
            return False
        idx.execute("BEGIN IMMEDIATE")
        deletions = 0
        for table, mark in (("fts", wm), ("fts_next", nxt)):
            for seq, (_, _, command, key, source, text) in first.items():
                if seq > mark:
                    continue  # not indexed yet (or no such table: mark -1): it will be
                if command in INDEXED:
                    self._delete(table, seq, key, source, text)
                    deletions += 1
                now = current.get(seq)
                if now is not None:
                    self._insert(table, [now])
        self._insert("fts", rows)
        if older:
            self._insert("fts_next", older)
        self._set(indexed=new_wm, changes=changes[-1][0] if changes else done)
        if nxt >= 0:
            self._set(next=new_nxt)
        if complete != self.complete:
            self._set(complete=1)
        if swap:
            self._swap()
        idx.execute("COMMIT")
        self.indexed, self.changes_done = new_wm, self._state["changes"]
        if complete and not self.complete and wm:
            log.info("storage: the search index is complete (up to line %d)", new_wm)
        self.complete = complete
        self.failed = None
        if swap or (deletions and self.secure):
            self._truncate_wal()
        return len(rows) == self.BATCH or (nxt >= 0 and not swap)

    def _insert(self, table: str, rows: Iterable[Sequence[Any]]) -> None:
        assert self._idx is not None
        self._idx.executemany(
            f"INSERT INTO {table} (rowid, text, meta) VALUES (?, ?, ?)",
            [
                (seq, fold(text), meta(key, source))
                for seq, command, key, source, text in rows
                if command in INDEXED
            ],
        )

    def _delete(self, table: str, seq: int, key: str, source: str, text: str) -> None:
        assert self._idx is not None
        self._idx.execute(
            f"INSERT INTO {table} ({table}, rowid, text, meta) VALUES ('delete', ?, ?, ?)",
            (seq, fold(text), meta(key, source)),
        )

    def _truncate_wal(self) -> None:
        """Every frame of the index's WAL copied and the file cut to nothing: no older frame
        keeps a deleted line's words. A reader (a search) in the way: tried after the next
        deletion or scrub (and at close, when SQLite removes the WAL)."""
        assert self._idx is not None
        self._idx.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    # -- scrubbing and rebuilding (SQLite before 3.42) --------------------------------------
    def _scrub(self) -> bool:
        """One step of a full merge of ``fts`` (see the module docstring); True while more."""
        idx = self._idx
        assert idx is not None
        if self._scrub_level is None:
            if self._next() >= 0:  # a rebuild is under way: it drops this table, tombstones
                with self._lock:  # and all (a scrub follows the swap)
                    self._scrub_at = float("inf")
                return False
            if len(fts_levels(idx, "fts")) > self.MAX_LEVELS:
                self._start_rebuild()
                return True
            with self._lock:
                self._scrub_at = float("inf")  # deletions from now on wait for the next
            idx.execute("BEGIN IMMEDIATE")
            idx.execute("INSERT INTO fts (fts, rank) VALUES ('merge', ?)", (-self.SCRUB_PAGES,))
            self._scrub_level = len(fts_levels(idx, "fts")) - 2
        else:
            idx.execute("BEGIN IMMEDIATE")
            idx.execute("INSERT INTO fts (fts, rank) VALUES ('merge', ?)", (self.SCRUB_PAGES,))
        levels = fts_levels(idx, "fts")
        idx.execute("COMMIT")
        if self._scrub_level >= 0 and any(m for m, _ in levels[self._scrub_level :]):
            return True
        self._scrub_level = None
        with self._lock:
            self._last_scrub = time.monotonic()
        self.scrubs += 1
        self._truncate_wal()
        if len(levels) > self.REBUILD_LEVELS:
            self._start_rebuild()
        return True

    def _start_rebuild(self) -> None:
        """Start building ``fts_next`` beside ``fts`` (`_catch_up` with `rebuild` fills it)."""
        assert self._idx is not None
        log.info("storage: building the search index %s again", self.path)
        self._idx.execute("BEGIN IMMEDIATE")
        self._idx.execute("DROP TABLE IF EXISTS fts_next")
        self._idx.execute(fts_schema("fts_next"))
        if self.secure:
            self._idx.execute("INSERT INTO fts_next (fts_next, rank) VALUES ('secure-delete', 1)")
        self._set(next=0)
        self._idx.execute("COMMIT")

    def _swap(self) -> None:
        """``fts_next`` has caught up: it replaces ``fts`` (whose pages are zeroed as they are
        freed), in the open transaction. Deletions applied to ``fts_next`` while it was built
        left tombstones in it: a scrub is due."""
        assert self._idx is not None
        self._idx.execute("DROP TABLE fts")
        self._idx.execute("ALTER TABLE fts_next RENAME TO fts")
        self._set(next=-1)
        self.rebuilds += 1
        with self._lock:
            self._scrub_at = 0.0 if not self.secure else float("inf")
        log.info("storage: the search index %s was built again", self.path)
