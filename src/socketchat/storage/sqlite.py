"""The default storage backend: one SQLite file (`<data_dir>/socketchat.db`), one connection
on the event loop (and one more, for WAL checkpoints only, on a worker thread); the search
index is a second file, written by a thread of its own (storage/searchindex.py).

Durability and speed
--------------------
The database runs in WAL mode with ``synchronous=NORMAL``. In WAL mode a COMMIT appends the
transaction to the ``-wal`` file with write(2) before it returns; with NORMAL the WAL is fsynced
only at checkpoints, not at every commit. A transaction that committed therefore survives the
server process dying in any way (``kill -9``, a crash): the bytes are in the OS page cache and the
next open replays the WAL. Only an OS crash or power loss can lose the last transactions (the
database stays consistent). That is the guarantee the chat needs — "every message a client
received is in history after the server restarts" — at a fraction of the cost of an fsync per
commit (``synchronous=FULL``), which bench/ measures. The server commits once per event-loop
turn before writing to any socket (group commit), so the relayed messages of one turn share one
transaction; rows are buffered in memory and written with one `executemany` at commit.
Checkpoints (copying the WAL into the database file, the step that fsyncs) do not run inside
those commits (``wal_autocheckpoint=0``) but once a second on a worker thread (`checkpoint`).

Slow work is cut into bounded pieces: CHATHISTORY TARGETS is one statement (`latest_times`),
retention runs in batches between loop turns (`prune_batches`). A failed write (full disk) is
kept in memory and retried (`SqliteBackend`, "When a write fails").

Schema versions live in ``PRAGMA user_version``; `MIGRATIONS[i]` takes a database from version
``i`` to ``i + 1``. Never edit a released step: append a new one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from socketchat.irc import casemap
from socketchat.irc.casemap import casefold
from socketchat.storage.base import (
    MAX_SEQ,
    Account,
    ChannelAccess,
    Conversation,
    MaskEntry,
    Position,
    PushSubscription,
    RegisteredChannel,
    SearchQuery,
    SearchTimeout,
    ServerBan,
    StorageError,
    StoredMessage,
    group_missed,
)
from socketchat.storage.datadir import create_private_file, prepare_data_dir
from socketchat.storage.fulltext import (
    TOKENIZER,
    fold,
    fold_sql,
    key_token,
    match_query,
    meta,
    sender_token,
)
from socketchat.storage.searchindex import (
    Lineage,
    SearchIndexer,
    fts_schema,
    index_path,
    prepare,
)

log = logging.getLogger("socketchat.storage")

DB_NAME = "socketchat.db"

MIGRATIONS: list[str] = [
    # 0 -> 1: history, private conversations, accounts
    """
    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,          -- insertion order; breaks ties within a millisecond
        key TEXT NOT NULL,                -- conversation: folded channel, or a private pair
        time_ms INTEGER NOT NULL,
        msgid TEXT NOT NULL,
        command TEXT NOT NULL,            -- PRIVMSG or NOTICE
        source TEXT NOT NULL,             -- nick!user@host of the sender
        target TEXT NOT NULL,             -- as addressed (channel or nick)
        text TEXT NOT NULL,
        tags TEXT NOT NULL                -- JSON object: time, msgid, account, +client tags
    );
    CREATE INDEX messages_key_time ON messages (key, time_ms, seq);
    CREATE INDEX messages_msgid ON messages (msgid);
    CREATE INDEX messages_time ON messages (time_ms);
    CREATE TABLE conversations (
        key TEXT PRIMARY KEY,
        party_a TEXT NOT NULL,
        party_b TEXT NOT NULL,
        nick_a TEXT NOT NULL,
        nick_b TEXT NOT NULL
    );
    CREATE INDEX conversations_a ON conversations (party_a);
    CREATE INDEX conversations_b ON conversations (party_b);
    CREATE TABLE accounts (
        folded TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created REAL NOT NULL
    );
    """,
    # 1 -> 2: history privacy (each channel line's incarnation and whether the channel was
    # closed when it was said) and per-account read markers for replay without duplicates.
    # Channel lines stored before this step are marked restricted: nobody recorded whether
    # their channel was +s/+i/+k, so they stay unreadable rather than risk leaking a secret.
    """
    ALTER TABLE messages ADD COLUMN era TEXT NOT NULL DEFAULT '';
    ALTER TABLE messages ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
    UPDATE messages SET restricted = 1 WHERE key NOT LIKE 'p:%';
    CREATE TABLE markers (
        account TEXT NOT NULL,            -- folded account name
        key TEXT NOT NULL,                -- conversation
        time_ms INTEGER NOT NULL,         -- seen up to this position
        seq INTEGER NOT NULL,
        PRIMARY KEY (account, key)
    ) WITHOUT ROWID;
    """,
    # 2 -> 3: IRCv3 read markers (draft/read-marker, MARKREAD): how far the person behind an
    # account has read each target, as the client said (a time, not a position: it is the
    # client's word about a message's `time` tag, and only ever moves forward).
    """
    CREATE TABLE read_markers (
        account TEXT NOT NULL,            -- folded account name
        target TEXT NOT NULL,             -- folded channel name or nick
        time_ms INTEGER NOT NULL,
        PRIMARY KEY (account, target)
    ) WITHOUT ROWID;
    """,
    # 3 -> 4: who said each line (draft/message-redaction: authors may redact their own). The
    # sender's identity as private conversations name it (``a:<account>`` or ``c:<token>``,
    # see server/persistence.py); lines stored before this step have none, so only their
    # channel's operators (or an account named in their tags) may redact them.
    """
    ALTER TABLE messages ADD COLUMN sender TEXT NOT NULL DEFAULT '';
    """,
    # 4 -> 5: server bans by operators (KLINE, DLINE), so a ban survives a restart.
    """
    CREATE TABLE server_bans (
        kind TEXT NOT NULL,               -- 'K' (user@host or $a:account) or 'D' (IP/CIDR)
        mask TEXT NOT NULL,
        reason TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at REAL NOT NULL,
        expires_at REAL NOT NULL,         -- 0: never
        PRIMARY KEY (kind, mask)
    ) WITHOUT ROWID;
    """,
    # 5 -> 6: client-certificate fingerprints of accounts (NickServ CERT, SASL EXTERNAL).
    """
    CREATE TABLE account_certs (
        fingerprint TEXT PRIMARY KEY,     -- SHA-256 of the certificate (DER), lower-case hex
        account TEXT NOT NULL             -- folded account name
    ) WITHOUT ROWID;
    CREATE INDEX account_certs_account ON account_certs (account);
    """,
    # 6 -> 7: draft/metadata of accounts (a logged-in user's keys come back on every login).
    """
    CREATE TABLE account_metadata (
        account TEXT NOT NULL,            -- folded account name
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (account, key)
    ) WITHOUT ROWID;
    """,
    # 7 -> 8: full-text search (soju.im/search). A contentless FTS5 index of the text of every
    # PRIVMSG and NOTICE (rowid = messages.seq), folded for Persian first (storage/fulltext.py:
    # the folding is part of this step), built here for the lines already stored and kept in
    # step by triggers: every insert, delete (REDACT, retention) and change of text. Contentless
    # (content=''): the text is not stored twice; a delete names the folded text it indexed.
    # RENAME changes only `key`, which the index does not hold. Prefixes of 2 and 3 characters
    # are indexed too (prefix='2 3': "the"* is one lookup, not a merge of every word starting
    # with "the"; the index is about twice as big, bench/search.py measures both).
    f"""
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content='', tokenize='{TOKENIZER}', prefix='2 3');
    INSERT INTO messages_fts (rowid, text)
        SELECT seq, {fold_sql("text")} FROM messages WHERE command IN ('PRIVMSG', 'NOTICE');
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
        WHEN new.command IN ('PRIVMSG', 'NOTICE') BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.seq, {fold_sql("new.text")});
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.command IN ('PRIVMSG', 'NOTICE') BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text)
            VALUES ('delete', old.seq, {fold_sql("old.text")});
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, command ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text)
            SELECT 'delete', old.seq, {fold_sql("old.text")}
            WHERE old.command IN ('PRIVMSG', 'NOTICE');
        INSERT INTO messages_fts (rowid, text) SELECT new.seq, {fold_sql("new.text")}
            WHERE new.command IN ('PRIVMSG', 'NOTICE');
    END;
    """,
    # 8 -> 9: Web Push subscriptions (draft/webpush) of accounts. An endpoint is one device's
    # push channel, so it belongs to one account at a time (the primary key).
    """
    CREATE TABLE push_subscriptions (
        endpoint TEXT PRIMARY KEY,        -- the push service's URL for this device
        account TEXT NOT NULL,            -- folded account name
        p256dh TEXT NOT NULL,             -- the device's P-256 public key (base64url)
        auth TEXT NOT NULL,               -- its 16-byte auth secret (base64url)
        created REAL NOT NULL             -- Unix time of the latest WEBPUSH REGISTER
    ) WITHOUT ROWID;
    CREATE INDEX push_subscriptions_account ON push_subscriptions (account);
    """,
    # 9 -> 10: channels registered with ChanServ: founder, settings, and the state a registered
    # channel keeps while empty and across restarts (topic, modes, key, limit, +b/+e/+I as
    # JSON [mode, mask, setter, set_at] lists; the access list as [account, mode, by, at]).
    """
    CREATE TABLE registered_channels (
        folded TEXT PRIMARY KEY,          -- folded channel name
        name TEXT NOT NULL,
        founder TEXT NOT NULL,            -- account name as registered
        registered_at REAL NOT NULL,
        era TEXT NOT NULL,                -- its one incarnation (history privacy)
        created REAL NOT NULL,
        description TEXT NOT NULL,
        topic TEXT NOT NULL,
        topic_setter TEXT NOT NULL,
        topic_time REAL NOT NULL,
        modes TEXT NOT NULL,              -- flag modes, e.g. 'mnt'
        key TEXT NOT NULL,                -- '' when none
        lim INTEGER NOT NULL,             -- 0 when none
        masks TEXT NOT NULL,              -- JSON
        access TEXT NOT NULL,             -- JSON
        topic_lock INTEGER NOT NULL,
        guard INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # 10 -> 11: the search index leaves this database for a file of its own, written by a
    # worker thread (storage/searchindex.py): storing a line costs the event loop no FTS5
    # work. Here only a change log stays: the old values of every PRIVMSG/NOTICE row deleted
    # or changed (a contentless FTS5 index needs them to delete a row), which the worker
    # applies and the loop then removes. The new index is built in the background from
    # the rows (searches say so meanwhile). Step 7 -> 8 is skipped by a database that comes
    # here from before it (`_SUPERSEDED`): its index would be dropped at once.
    """
    DROP TRIGGER IF EXISTS messages_fts_insert;
    DROP TRIGGER IF EXISTS messages_fts_delete;
    DROP TRIGGER IF EXISTS messages_fts_update;
    DROP TABLE IF EXISTS messages_fts;
    CREATE TABLE search_changes (
        id INTEGER PRIMARY KEY,           -- the log's order
        seq INTEGER NOT NULL,             -- the row's, and its values before the change:
        command TEXT NOT NULL,
        key TEXT NOT NULL,
        source TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE TRIGGER search_changes_delete AFTER DELETE ON messages
        WHEN old.command IN ('PRIVMSG', 'NOTICE') BEGIN
        INSERT INTO search_changes (seq, command, key, source, text)
            VALUES (old.seq, old.command, old.key, old.source, old.text);
    END;
    CREATE TRIGGER search_changes_update AFTER UPDATE OF text, command, key, source ON messages
        WHEN old.command IN ('PRIVMSG', 'NOTICE') OR new.command IN ('PRIVMSG', 'NOTICE') BEGIN
        INSERT INTO search_changes (seq, command, key, source, text)
            VALUES (old.seq, old.command, old.key, old.source, old.text);
    END;
    """,
    # 11 -> 12: the change log's ids never restart (AUTOINCREMENT): the loop removes every
    # applied entry, and a table emptied that way gave its next entry id 1 again, below the
    # index's mark, so the index missed it (its file is built again: searchindex.FORMAT 3).
    """
    DROP TRIGGER search_changes_delete;
    DROP TRIGGER search_changes_update;
    ALTER TABLE search_changes RENAME TO search_changes_old;
    CREATE TABLE search_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL,
        command TEXT NOT NULL,
        key TEXT NOT NULL,
        source TEXT NOT NULL,
        text TEXT NOT NULL
    );
    INSERT INTO search_changes SELECT * FROM search_changes_old;
    DROP TABLE search_changes_old;
    CREATE TRIGGER search_changes_delete AFTER DELETE ON messages
        WHEN old.command IN ('PRIVMSG', 'NOTICE') BEGIN
        INSERT INTO search_changes (seq, command, key, source, text)
            VALUES (old.seq, old.command, old.key, old.source, old.text);
    END;
    CREATE TRIGGER search_changes_update AFTER UPDATE OF text, command, key, source ON messages
        WHEN old.command IN ('PRIVMSG', 'NOTICE') OR new.command IN ('PRIVMSG', 'NOTICE') BEGIN
        INSERT INTO search_changes (seq, command, key, source, text)
            VALUES (old.seq, old.command, old.key, old.source, old.text);
    END;
    """,
    # 12 -> 13: what lets the search index (its own file) tell that it follows this database
    # at this moment or before, and not another database or a later moment of this one (a
    # backup restored over it): ``generation``, a random value, new at every open
    # (`SqliteBackend._lineage`) and copied into the index; ``seq_top``, the highest `seq`
    # whose row left without a trace (its change log entry removed; at a clean close, the
    # highest seq given, when no row shows it), so that the highest seq this database ever gave is
    # known. An index that does not match is built again (storage/searchindex.py `prepare`).
    """
    CREATE TABLE lineage (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO lineage VALUES ('generation', random()), ('seq_top', 0);
    """,
]
# Steps a database skips when it migrates past the step that undoes them (7 -> 8 built the
# old in-database index, 10 -> 11 drops it): building it would take tens of seconds per
# million lines for nothing.
_SUPERSEDED = {7: 10}
assert "CREATE VIRTUAL TABLE messages_fts" in MIGRATIONS[7]
assert "DROP TABLE IF EXISTS messages_fts" in MIGRATIONS[10]

# `seq` is allocated by `SqliteBackend.append` (never reused: see storage/searchindex.py), or
# past the table's end if another client inserted meanwhile
_INSERT = (
    "INSERT INTO messages (seq, key, time_ms, msgid, command, source, target, text, tags, era,"
    " restricted, sender) VALUES ((SELECT max(?, coalesce(max(seq), 0) + 1) FROM messages),"
    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_CONVERSATION = (
    "INSERT INTO conversations (key, party_a, party_b, nick_a, nick_b) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET nick_a = excluded.nick_a, nick_b = excluded.nick_b"
)
# the highest seq given, at least (`SqliteBackend.close`)
_SEQ_TOP = "UPDATE lineage SET value = max(value, ?) WHERE name = 'seq_top'"
_COLUMNS = "seq, key, time_ms, msgid, command, source, target, text, tags, era, restricted, sender"
_PREFIXED = ", ".join(f"m.{c}" for c in _COLUMNS.split(", "))  # (of ``messages AS m``)


def _row(row: Sequence[Any]) -> StoredMessage:
    seq, key, time_ms, msgid, command, source, target, text, tags, era, restricted, sender = row
    return StoredMessage(
        key,
        time_ms,
        msgid,
        command,
        source,
        target,
        text,
        json.loads(tags),
        sender,
        seq=seq,
        era=era,
        restricted=bool(restricted),
    )


def _readable(eras: Collection[str], events: bool = False) -> tuple[str, tuple[str, ...]]:
    """The SQL condition (and its parameters) for "unrestricted, or of one of these eras", and
    unless `events`, only PRIVMSG and NOTICE (draft/event-playback: JOIN, TOPIC, TAGMSG... are
    for the clients that asked for them)."""
    kinds = "" if events else " AND command IN ('PRIVMSG', 'NOTICE')"
    listed = tuple(eras)
    if not listed:
        return " AND restricted = 0" + kinds, ()
    return f" AND (restricted = 0 OR era IN ({', '.join('?' * len(listed))})){kinds}", listed


class SqliteBackend:
    """History and accounts in one SQLite database. Not thread-safe: one event loop owns it.

    When a write fails
    ------------------
    A full disk (or an I/O error, or a database made read-only under us) makes SQLite roll the
    transaction back, by itself or by us. Nothing is lost from memory: every write of the
    failed transaction (messages, conversations, account changes) goes back to the front of the
    pending queue, `error` is set, and `commit()` raises `StorageError`. From then on queries
    read what is on disk (lines of the outage are not visible yet), new writes queue in memory
    up to `MAX_PENDING_BYTES` (later lines are counted in `unsaved()` and not stored), and each
    later `commit()` is a retry that writes the whole queue in one transaction. The caller
    (`server/persistence.py`) decides how often to retry and whom to tell.
    """

    MAX_PENDING_BYTES = 4 * 1024 * 1024  # lines kept in memory while writes fail
    PRUNE_BATCH_ROWS = 200  # retention: messages deleted per batch at most (~25 ms on 1 M rows)
    PRUNE_SCAN_ENTRIES = 50_000  # retention: index entries looked at per batch, about
    SEARCH_TIME_LIMIT = 0.5  # seconds one SEARCH may run (the spec asks for a timeout)
    SCRUB_AFTER_REDACT = 60.0  # seconds from the last scrub of the index before a redaction's
    SCRUB_AFTER_PRUNE = 3600.0  # likewise for lines removed by retention
    SCRUB_AT_CLOSE = 5.0  # seconds `close` gives the search index to finish (and scrub) at most
    SEARCH_TAIL = 5000  # lines not yet indexed that a search looks through itself at most
    SEARCH_KEYS = 64  # conversations a search names in its MATCH at most (see `search`)
    SEARCH_SHARE = 0.05  # ... when their lines are at most this share of history

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (one transaction per commit).
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {self.path}: {_cause(exc)}") from None
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # see the module docstring
            self.db.execute("PRAGMA foreign_keys=ON")
            # Checkpoints (copying the WAL into the database file, with an fsync) ran inside
            # COMMIT every 1,000 pages: 100 ms to 1 s on the event loop during a retention
            # pass. They run off the loop instead: `checkpoint()`, from `Persistence.tick`.
            self.db.execute("PRAGMA wal_autocheckpoint=0")
            # a deleted line (REDACT, retention) is overwritten in its page, not left in free
            # space for anyone reading the file; ON, not FAST: FAST leaves the last line of a
            # page that empties (and every old search index page a scrub frees) as it was on
            # the freelist; ON writes each freed page once more, as zeros
            self.db.execute("PRAGMA secure_delete=ON")
            self.migrate()
            # The search index: its own file, written by a worker thread (its module says
            # why); the loop only reads it, on a connection of its own (`search`)
            self.index_path = index_path(self.path)
            lineage = self._lineage()
            prepare(self.index_path, lineage)
            self._indexer = SearchIndexer(self.path, self.index_path)
            # Searches read it from this connection (attached: one statement joins it with
            # `messages`), and never write it; the lines not indexed yet go into a table in
            # memory (`temp.tail`, see `search`).
            self.db.execute("ATTACH DATABASE ? AS idx", (str(self.index_path),))
            self.db.execute(fts_schema("temp.tail"))
            # `seq` of the next line: past every row there is and was (the change log and
            # `seq_top` remember deleted ones; the index's watermark too), so a seq is never
            # given twice
            self._next_seq = max(lineage.seq_top, self._indexer.indexed) + 1
            # Every account name (folded), so that the lookup made for each nick a client takes
            # (nick protection) answers "no such account" without a query: in WAL mode every
            # read transaction costs file-lock system calls. Only this connection writes
            # accounts.
            self._account_names: set[str] = set()
            # Beside it, the confusable skeleton (`casemap.skeleton`) of every account name ->
            # the (folded, name) pairs that have it, so that `account_like` finds that Cyrillic
            # ``рау`` looks like the account ``pay`` without a query: nick protection and
            # REGISTER treat lookalikes of an account as that account. Skeletons depend on the
            # casemapping, which a `Server` sets after storage is opened: the mapping the index
            # was built under is kept, and the index is built again if it changed.
            self._account_skeletons: dict[str, list[tuple[str, str]]] = {}
            self._skeleton_mapping = casemap.current()
            self._unicode_accounts = 0  # accounts with a non-ASCII name
            for folded, name in self.db.execute("SELECT folded, name FROM accounts"):
                self._index_account(folded, name)
        except (sqlite3.Error, StorageError) as exc:
            self.db.close()
            if isinstance(exc, StorageError):
                raise
            raise StorageError(f"cannot open the database {self.path}: {_cause(exc)}") from None
        self._rows: list[tuple[Any, ...]] = []  # messages appended, not yet written
        self._conversations: dict[str, tuple[str, str, str, str, str]] = {}
        self._ops: list[tuple[str, tuple[Any, ...]]] = []  # account writes, not yet written
        # written into the open transaction, not committed: re-queued if it fails
        self._tx_rows: list[tuple[Any, ...]] = []
        self._tx_conversations: dict[str, tuple[str, str, str, str, str]] = {}
        self._tx_ops: list[tuple[str, tuple[Any, ...]]] = []
        # accounts created or changed since the last commit (what get_account answers while
        # writes fail and the change is only in memory)
        self._unsaved_accounts: dict[str, Account] = {}
        self._unsaved_markers: dict[tuple[str, str], Position] = {}  # likewise, replay markers
        self._unsaved_read: dict[tuple[str, str], int] = {}  # likewise, MARKREAD markers
        self._pending_bytes = 0
        self._dropped = 0
        self._in_tx = False
        self.error: StorageError | None = None  # set while writes fail
        self._checkpointer: sqlite3.Connection | None = None  # used by `checkpoint` only
        self._checkpoint_lock = threading.Lock()
        self._closed = False
        self._written = False  # the open transaction holds rows or changes for the index
        self._delete_delay = float("inf")  # lines deleted in it: scrub within (`_deleted`)
        self._key_counts: dict[str, int] = {}  # lines per conversation, for plans (`_small`)
        # The change log's entries the index has applied and this connection has removed
        # (`scrub`), whether a removal is in the open transaction, and whether the next
        # checkpoint truncates the WAL (its older frames may hold a deleted line).
        self._changes_removed = 0
        self._scrubbed_in_tx = False
        self._truncate_wal = False
        self._indexer.start()

    # -- schema ----------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StorageError(
                f"the database {self.path} has schema version {version} and this socketchat"
                f" knows only {len(MIGRATIONS)}: upgrade socketchat"
            )
        for step in range(version, len(MIGRATIONS)):
            log.info("storage: migrating %s to schema version %d", self.path, step + 1)
            try:
                sql = "" if step in _SUPERSEDED else MIGRATIONS[step]  # (always to the end)
                script = f"BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {step + 1};"
                self.db.executescript(script + " COMMIT;")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def _lineage(self) -> Lineage:
        """What this database says of itself to its search index (`searchindex.prepare`),
        and a new generation from this open on, written at once: an index that is not
        given it from now on (a copy of the database from before this open, restored later)
        is known for another's. If it cannot be written (a full disk) the old one stays."""
        generation, seq_top, changes_top, empty = self.db.execute(
            "SELECT (SELECT value FROM lineage WHERE name = 'generation'),"
            " max(coalesce((SELECT max(seq) FROM messages), 0),"
            " coalesce((SELECT max(seq) FROM search_changes), 0),"
            " (SELECT value FROM lineage WHERE name = 'seq_top')),"
            " coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'), 0),"
            " NOT EXISTS (SELECT 1 FROM messages) AND NOT EXISTS (SELECT 1 FROM search_changes)"
        ).fetchone()
        new = secrets.randbits(63)
        try:
            self.db.execute("UPDATE lineage SET value = ? WHERE name = 'generation'", (new,))
        except sqlite3.Error as exc:
            log.warning("storage: %s: a new generation cannot be written: %s", self.path, exc)
            new = generation
        return Lineage(int(generation), new, int(seq_top), int(changes_top), bool(empty))

    # -- transactions ----------------------------------------------------------------------
    def _begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN")
            self._in_tx = True

    def _write_pending(self) -> None:
        """Write queued writes into the open transaction (so queries see them).

        While writes fail (`error` set) this does nothing: queries read what is on disk, and
        only `commit()` tries again. A failure here starts such an outage; it is reported by
        the next `commit()`.
        """
        if self.error is not None or not (self._rows or self._conversations or self._ops):
            return
        rows, self._rows = self._rows, []
        conversations, self._conversations = self._conversations, {}
        ops, self._ops = self._ops, []
        self._tx_rows.extend(rows)
        self._tx_conversations.update(conversations)
        self._tx_ops.extend(ops)
        try:
            self._begin()
            if rows:
                self.db.executemany(_INSERT, rows)
            if conversations:
                self.db.executemany(_UPSERT_CONVERSATION, list(conversations.values()))
            for sql, params in ops:
                self.db.execute(sql, params)
            self._written = True
        except sqlite3.Error as exc:
            self._failed(exc)

    def _failed(self, exc: sqlite3.Error) -> None:
        """The transaction failed: roll it back, put its writes back in the queue, remember."""
        try:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite may have rolled back already; nothing else to undo
        self._in_tx = False
        self._rows = self._tx_rows + self._rows
        self._conversations = {**self._tx_conversations, **self._conversations}
        self._ops = self._tx_ops + self._ops
        self._tx_rows, self._tx_conversations, self._tx_ops = [], {}, []
        self.error = StorageError(f"cannot write to {self.path}: {_cause(exc)}")

    def commit(self) -> None:
        """Write everything queued and commit it. Raises `StorageError` if that fails (see the
        class docstring); the writes stay queued, and calling again retries."""
        self.error = None  # a retry, when writes were failing
        self._write_pending()
        if self.error is None and self._in_tx:
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._failed(exc)
            else:
                self._in_tx = False
                self._tx_rows, self._tx_conversations, self._tx_ops = [], {}, []
                if self._written:  # the search index's worker reads what was committed
                    self._written = False
                    self._indexer.poke()
                if self._scrubbed_in_tx:  # the WAL's older frames may hold what was scrubbed
                    self._scrubbed_in_tx, self._truncate_wal = False, True
        if self.error is not None:
            raise self.error
        if self._delete_delay < float("inf"):
            self._indexer.deleted(self._delete_delay)
            self._delete_delay = float("inf")
        self._unsaved_accounts.clear()
        self._unsaved_markers.clear()
        self._unsaved_read.clear()
        self._pending_bytes = 0
        self._dropped = 0

    def unsaved(self) -> tuple[int, int]:
        """(messages queued in memory, messages not kept because the queue was full)."""
        return len(self._rows) + len(self._tx_rows), self._dropped

    def checkpoint(self) -> None:
        """Copy committed WAL frames into the database file (``wal_checkpoint(PASSIVE)``: it
        never waits for, nor blocks, the writer) on a connection of its own.

        Thread-safe and meant to run on a worker thread (`Server.offload`): it is the only
        part of SQLite's work here that fsyncs. A failure (a full disk) is left to the next
        checkpoint: commits report storage trouble themselves.
        """
        with self._checkpoint_lock:
            if self._closed:
                return
            try:
                if self._checkpointer is None:
                    self._checkpointer = sqlite3.connect(
                        self.path, isolation_level=None, check_same_thread=False
                    )
                    self._checkpointer.execute("PRAGMA synchronous=NORMAL")
                if not self._truncate_wal:
                    self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    return
                # after a scrub: every frame copied and the WAL cut to nothing, so that no old
                # frame keeps a deleted line. It waits for the writer (a commit at most) and
                # holds it up while it runs (once per scrub); busy: tried again next time.
                busy = self._checkpointer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if busy is not None and busy[0] == 0:
                    self._truncate_wal = False
            except sqlite3.Error as exc:
                log.debug("storage: checkpoint failed: %s", exc)

    def close(self) -> None:
        """Commit what is queued (raising `StorageError` if that fails) and close, always.

        The search index is given `SCRUB_AT_CLOSE` seconds to index what was committed and
        finish a scrub due or under way (the rest is done at the next start), then the change
        log entries it applied are removed. The highest seq given is written down if the
        database would not know it otherwise (`_keep_seq_top`)."""
        try:
            self.commit()
        finally:
            try:
                self._indexer.hurry()  # (a scrub due later: now)
                self._indexer.stop(self.SCRUB_AT_CLOSE)
                if self.error is None:
                    self.scrub()
                    self._keep_seq_top()
                    self.commit()
            finally:
                with self._checkpoint_lock:  # (waits for a checkpoint under way on a worker)
                    self._closed = True
                    if self._checkpointer is not None:
                        self._checkpointer.close()
                self.db.close()  # the last connection: SQLite checkpoints, removes the WAL

    def _keep_seq_top(self) -> None:
        """Queue writing down the highest seq given (``seq_top``) when no row or change log
        entry shows it any more (the newest lines were deleted, without a change log entry:
        not PRIVMSG or NOTICE), so that the next open knows it (`_lineage`); no write when
        one does (the usual case: a close on a full disk with nothing queued still works)."""
        try:
            top = self.db.execute(
                "SELECT max(coalesce((SELECT max(seq) FROM messages), 0),"
                " coalesce((SELECT max(seq) FROM search_changes), 0),"
                " (SELECT value FROM lineage WHERE name = 'seq_top'))"
            ).fetchone()[0]
        except sqlite3.Error:
            return
        if self._next_seq - 1 > int(top):
            self._ops.append((_SEQ_TOP, (self._next_seq - 1,)))

    # -- the search index's upkeep on the loop's side ---------------------------------------
    def _deleted(self, delay: float) -> None:
        """Lines were deleted: once committed, the index's worker scrubs their words `delay`
        seconds after its last scrub at the latest (storage/searchindex.py). Told after the
        commit, so that the scrub it asks for starts after the worker has seen the deletion
        (else the worker could scrub before the commit, and the tombstone wait for the next
        deletion)."""
        self._delete_delay = min(self._delete_delay, delay)

    def scrub(self) -> bool:
        """Remove the change log's entries that the search index has applied (they hold the
        old text of deleted lines: ``secure_delete`` zeroes them, and the checkpoint after the
        commit truncates the WAL), in the open transaction; the caller commits. Cheap (one
        comparison) when there is nothing to remove. Scrubbing the index itself is the
        worker's (`SearchIndexer`). False: nothing more to do this turn."""
        done = self._indexer.changes_done
        if self.error is not None or done <= self._changes_removed:
            return False
        try:
            self._write_pending()
            if self.error is not None:
                return False
            self._begin()
            # (the entries are the only trace of the deleted rows' seqs: `seq_top` keeps it)
            self.db.execute(
                "UPDATE lineage SET value = max(value, coalesce("
                "(SELECT max(seq) FROM search_changes WHERE id <= ?), 0)) WHERE name = 'seq_top'",
                (done,),
            )
            self.db.execute("DELETE FROM search_changes WHERE id <= ?", (done,))
        except sqlite3.Error as exc:
            self._failed(exc)
            return False
        self._changes_removed = done
        self._scrubbed_in_tx = True
        return False

    def search_indexing(self) -> float | None:
        """None once the search index has caught up with history; until then (after an
        upgrade, on a fresh index file) the share of lines indexed: searches may miss older
        lines meanwhile."""
        if self._indexer.complete:
            return None
        top = self.db.execute("SELECT max(seq) FROM messages").fetchone()[0] or 0
        return min(1.0, self._indexer.indexed / top) if top else None

    def wait_indexed(self, timeout: float = 60.0) -> bool:
        """Block until the search index has applied everything committed, and remove the
        change log's entries it applied (tests, tools)."""
        self.commit()
        idle = self._indexer.wait_idle(timeout)
        self.scrub()
        self.commit()
        return idle

    # -- history ---------------------------------------------------------------------------
    def append(self, message: StoredMessage) -> bool:
        row = (
            self._next_seq,
            message.key,
            message.time_ms,
            message.msgid,
            message.command,
            message.source,
            message.target,
            message.text,
            json.dumps(dict(message.tags), separators=(",", ":")),
            message.era,
            int(message.restricted),
            message.sender_id,
        )
        size = sum(len(field) for field in row if isinstance(field, str)) + 64
        if self.error is not None and self._pending_bytes + size > self.MAX_PENDING_BYTES:
            self._dropped += 1
            return False
        self._pending_bytes += size
        self._rows.append(row)
        self._next_seq += 1
        if self._key_counts.get(message.key, -1) >= 0:
            self._key_counts[message.key] += 1
        if message.recipient_id:
            a, b = sorted((message.sender_id, message.recipient_id))
            sender_nick = message.source.split("!", 1)[0]
            nicks = {message.sender_id: sender_nick, message.recipient_id: message.target}
            self._conversations[message.key] = (message.key, a, b, nicks[a], nicks[b])
        return True

    def find(
        self, key: str, msgid: str, *, eras: Collection[str] = (), events: bool = False
    ) -> Position | None:
        self._write_pending()
        where, args = _readable(eras, events)
        row = self.db.execute(
            "SELECT time_ms, seq FROM messages WHERE msgid = ? AND key = ?" + where,
            (msgid, key, *args),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def message(self, key: str, msgid: str, *, eras: Collection[str] = ()) -> StoredMessage | None:
        self._write_pending()
        where, args = _readable(eras, events=True)
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE msgid = ? AND key = ?"
            " AND command IN ('PRIVMSG', 'NOTICE', 'TAGMSG')" + where,
            (msgid, key, *args),
        ).fetchone()
        return _row(row) if row else None

    def rename_key(self, old_key: str, new_key: str, target: str) -> None:
        self._key_counts.pop(old_key, None)
        self._key_counts.pop(new_key, None)
        self._ops.append(
            ("UPDATE messages SET key = ?, target = ? WHERE key = ?", (new_key, target, old_key))
        )
        if new_key != old_key:
            self._ops += [
                ("UPDATE OR IGNORE markers SET key = ? WHERE key = ?", (new_key, old_key)),
                ("DELETE FROM markers WHERE key = ?", (old_key,)),
                (
                    "UPDATE OR IGNORE read_markers SET target = ? WHERE target = ?",
                    (new_key, old_key),
                ),
                ("DELETE FROM read_markers WHERE target = ?", (old_key,)),
            ]
        self._write_pending()

    def delete(self, key: str, msgid: str) -> None:
        self._ops.append(("DELETE FROM messages WHERE msgid = ? AND key = ?", (msgid, key)))
        self._write_pending()
        self._deleted(self.SCRUB_AFTER_REDACT)

    def before(
        self,
        key: str,
        pos: Position | None,
        limit: int,
        *,
        stop: Position | None = None,
        eras: Collection[str] = (),
        events: bool = False,
    ) -> list[StoredMessage]:
        self._write_pending()
        upper = pos or (MAX_SEQ, MAX_SEQ)
        lower = stop or (-MAX_SEQ, 0)
        where, args = _readable(eras, events)
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE key = ?"
            " AND (time_ms, seq) < (?, ?) AND (time_ms, seq) > (?, ?)"
            + where
            + " ORDER BY time_ms DESC, seq DESC LIMIT ?",
            (key, *upper, *lower, *args, limit),
        ).fetchall()
        return [_row(r) for r in reversed(rows)]

    def after(
        self,
        key: str,
        pos: Position,
        limit: int,
        *,
        stop: Position | None = None,
        eras: Collection[str] = (),
        events: bool = False,
    ) -> list[StoredMessage]:
        self._write_pending()
        upper = stop or (MAX_SEQ, MAX_SEQ)
        where, args = _readable(eras, events)
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE key = ?"
            " AND (time_ms, seq) > (?, ?) AND (time_ms, seq) < (?, ?)"
            + where
            + " ORDER BY time_ms, seq LIMIT ?",
            (key, *pos, *upper, *args, limit),
        ).fetchall()
        return [_row(r) for r in rows]

    def latest_time(
        self,
        key: str,
        start_ms: int,
        end_ms: int,
        *,
        eras: Collection[str] = (),
        events: bool = False,
    ) -> int | None:
        self._write_pending()
        where, args = _readable(eras, events)
        row = self.db.execute(
            "SELECT MAX(time_ms) FROM messages WHERE key = ? AND time_ms > ? AND time_ms < ?"
            + where,
            (key, start_ms, end_ms, *args),
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def last_position(self, key: str) -> Position | None:
        self._write_pending()
        row = self.db.execute(
            "SELECT time_ms, seq FROM messages WHERE key = ? ORDER BY time_ms DESC, seq DESC"
            " LIMIT 1",
            (key,),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def get_marker(self, account: str, key: str) -> Position | None:
        self._write_pending()
        row = self.db.execute(
            "SELECT time_ms, seq FROM markers WHERE account = ? AND key = ?", (account, key)
        ).fetchone()
        stored: Position | None = (row[0], row[1]) if row else None
        unsaved = self._unsaved_markers.get((account, key))  # set while writes fail
        if unsaved is None or (stored is not None and stored >= unsaved):
            return stored
        return unsaved

    def set_marker(self, account: str, key: str, pos: Position) -> None:
        self._ops.append(
            (
                "INSERT INTO markers (account, key, time_ms, seq) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (account, key) DO UPDATE SET time_ms = excluded.time_ms,"
                " seq = excluded.seq"
                " WHERE (excluded.time_ms, excluded.seq) > (markers.time_ms, markers.seq)",
                (account, key, *pos),
            )
        )
        current = self._unsaved_markers.get((account, key))
        if current is None or pos > current:  # forward only, as the SQL above
            self._unsaved_markers[(account, key)] = pos
        self._write_pending()

    def get_read_marker(self, account: str, target: str) -> int | None:
        unsaved = self._unsaved_read.get((account, target))  # set while writes fail
        self._write_pending()
        row = self.db.execute(
            "SELECT time_ms FROM read_markers WHERE account = ? AND target = ?",
            (account, target),
        ).fetchone()
        stored: int | None = int(row[0]) if row else None
        if unsaved is None or (stored is not None and stored >= unsaved):
            return stored
        return unsaved

    def account_metadata(self, account: str) -> dict[str, str]:
        self._write_pending()
        rows = self.db.execute(
            "SELECT key, value FROM account_metadata WHERE account = ? ORDER BY key", (account,)
        ).fetchall()
        return {str(k): str(v) for k, v in rows}

    def accounts_with_metadata(self, key: str) -> list[tuple[str, str]]:
        self._write_pending()
        rows = self.db.execute(
            "SELECT account, value FROM account_metadata WHERE key = ? ORDER BY account", (key,)
        ).fetchall()
        return [(str(a), str(v)) for a, v in rows]

    def set_account_metadata(self, account: str, key: str, value: str | None) -> None:
        op: tuple[str, tuple[str, ...]]
        if value is None:
            op = ("DELETE FROM account_metadata WHERE account = ? AND key = ?", (account, key))
        else:
            op = (
                "INSERT INTO account_metadata (account, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (account, key) DO UPDATE SET value = excluded.value",
                (account, key, value),
            )
        self._ops.append(op)
        self._write_pending()

    def set_read_marker(self, account: str, target: str, time_ms: int) -> None:
        self._ops.append(
            (
                "INSERT INTO read_markers (account, target, time_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (account, target) DO UPDATE SET time_ms = excluded.time_ms"
                " WHERE excluded.time_ms > read_markers.time_ms",
                (account, target, time_ms),
            )
        )
        current = self._unsaved_read.get((account, target))
        if current is None or time_ms > current:  # forward only, as the SQL above
            self._unsaved_read[(account, target)] = time_ms
        self._write_pending()

    def conversations(self, party: str) -> list[Conversation]:
        self._write_pending()
        rows = self.db.execute(
            "SELECT key, party_a, party_b, nick_a, nick_b FROM conversations"
            " WHERE party_a = ? UNION"
            " SELECT key, party_a, party_b, nick_a, nick_b FROM conversations WHERE party_b = ?",
            (party, party),
        ).fetchall()
        return [Conversation(*r) for r in rows]

    def missed_private(
        self, party: str, since: Position, before_ms: int, conversations: int, lines: int
    ) -> list[tuple[Conversation, list[StoredMessage]]]:
        """See `HistoryStore.missed_private`. Each conversation's newest line is an index seek
        (a correlated ORDER BY ... LIMIT 1 on (key, time_ms, seq)), and its first lines
        another (the correlated subquery gives seqs, looked up by rowid)."""
        self._write_pending()
        readable = " AND restricted = 0 AND command IN ('PRIVMSG', 'NOTICE')"
        rows = self.db.execute(
            "WITH mine AS ("
            "  SELECT key, party_a, party_b, nick_a, nick_b FROM conversations WHERE party_a = ?"
            "  UNION"
            "  SELECT key, party_a, party_b, nick_a, nick_b FROM conversations WHERE party_b = ?),"
            " newest AS MATERIALIZED ("
            "  SELECT mine.*, (SELECT time_ms FROM messages WHERE key = mine.key"
            "   AND (time_ms, seq) > (?, ?) AND time_ms < ?" + readable + ""
            "   ORDER BY time_ms DESC, seq DESC LIMIT 1) AS latest FROM mine),"
            " active AS (SELECT * FROM newest WHERE latest IS NOT NULL"
            "  ORDER BY latest DESC, key DESC LIMIT ?)"
            f" SELECT active.key, party_a, party_b, nick_a, nick_b, {_PREFIXED}"
            " FROM active CROSS JOIN messages AS m"
            " WHERE m.seq IN (SELECT seq FROM messages WHERE key = active.key"
            "  AND (time_ms, seq) > (?, ?)" + readable + " ORDER BY time_ms, seq LIMIT ?)"
            " ORDER BY latest, active.key, m.time_ms, m.seq",
            (party, party, *since, before_ms, conversations, *since, lines),
        ).fetchall()
        return group_missed(rows, _row)

    def latest_times(
        self,
        channels: Mapping[str, tuple[str, str]],
        party: str,
        after_ms: int,
        before_ms: int,
        limit: int,
    ) -> list[tuple[int, str]]:
        """CHATHISTORY TARGETS: `(time, name)` of the conversations whose newest readable
        message lies strictly between `after_ms` and `before_ms`, oldest first (ties by name),
        at most `limit`.

        The conversations are the channel keys in `channels` (each mapped to `(era, name)`:
        the era whose restricted lines its reader may see, as `eras` elsewhere, and the name to
        answer with) and the private conversations of `party` (named by the other party's
        latest nick). The newest message *after* `after_ms` must be before `before_ms`: one
        that moved on is not listed.

        One statement however many conversations there are: each one's newest time is an
        index seek (SQLite's min/max optimisation in a correlated subquery), and sorting and
        the limit happen in SQLite (BINARY collation orders like Python's str), where TARGETS
        made one query per conversation (0.8 s at 50,000 conversations).
        """
        self._write_pending()
        wanted = [(key, era, name) for key, (era, name) in channels.items()]
        rows = self.db.execute(
            "WITH wanted(key, era, name) AS ("
            "  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
            "   json_extract(value, '$[2]') FROM json_each(?)"
            "  UNION ALL SELECT key, NULL, CASE WHEN party_a = ? THEN nick_b ELSE nick_a END"
            "  FROM conversations WHERE party_a = ? OR party_b = ?)"
            " SELECT latest, name FROM ("
            "  SELECT name, (SELECT MAX(time_ms) FROM messages AS m WHERE m.key = wanted.key"
            "   AND m.time_ms > ? AND (m.restricted = 0 OR m.era = wanted.era)"
            "   AND m.command IN ('PRIVMSG', 'NOTICE')) AS latest"
            "  FROM wanted)"
            " WHERE latest < ? ORDER BY latest, name LIMIT ?",
            (json.dumps(wanted), party, party, party, after_ms, before_ms, limit),
        ).fetchall()
        return [(int(latest), str(name)) for latest, name in rows]

    def search(
        self, scope: Mapping[str, Collection[str]], party: str, query: SearchQuery
    ) -> list[StoredMessage]:
        """Full-text search (see `HistoryStore.search`).

        With words or a sender, the search index (its own file, storage/searchindex.py,
        attached to this connection as ``idx``) is walked newest first (rowid = seq, which
        follows time; FTS5 reads its doclists backwards without sorting) and each match is
        looked up in `messages` and kept if the rules of CHATHISTORY allow it (the `wanted`
        conversations, their readable eras, PRIVMSG/NOTICE, the sender, the times), stopping
        at `limit`, in one statement. The filters go into the MATCH where FTS5 can use them:
        the sender's word (``meta`` column, `fulltext.sender_token`) always, and the
        conversations' words when their lines are a small share of history (`_small`: at
        most `SEARCH_SHARE`, and `SEARCH_KEYS` conversations at most: ``in=`` a quiet channel,
        a person in a few quiet ones), so that their few matches are found by intersecting
        doclists, not by walking every match of the word in history and skipping those
        elsewhere. When the conversations hold much of history, the walk finds `limit`
        matches in them soon, and is cheaper than an OR of their doclists (measured: 2x).

        Lines the index does not have yet (committed a moment ago, or this turn's: the
        worker is behind by a batch at most, or by the backlog after an upgrade) are indexed
        here into an in-memory FTS5 table with the same tokenizer (`_fill_tail`) and searched
        the same way: a line is findable as soon as it is stored.

        Without words or sender, the history index of the wanted conversations is read by
        time. Either way the search is stopped after `SEARCH_TIME_LIMIT` seconds (a progress
        handler): `SearchTimeout`.
        """
        self._write_pending()
        wanted = [[key, era] for key, eras in scope.items() for era in (eras or ("",))]
        where = [
            "m.key IN (SELECT key FROM wanted)",
            "(m.restricted = 0 OR EXISTS (SELECT 1 FROM wanted AS w"
            " WHERE w.key = m.key AND w.era = m.era AND m.era != ''))",
            "m.command IN ('PRIVMSG', 'NOTICE')",
        ]
        args: list[Any] = []
        if query.after_ms is not None:
            where.append("m.time_ms >= ?")
            args.append(query.after_ms)
        if query.before_ms is not None:
            where.append("m.time_ms <= ?")
            args.append(query.before_ms)
        if query.sender:
            where.append("m.source LIKE ? ESCAPE '\\'")
            escaped = query.sender.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(escaped + "!%")
        direction = "" if query.from_start else " DESC"
        cte = (
            "WITH wanted(key, era) AS ("
            " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)"
            " UNION ALL SELECT key, '' FROM conversations"
            "  WHERE ? != '' AND (party_a = ? OR party_b = ?))"
        )
        head = [json.dumps(wanted), party, party, party]
        columns = ", ".join("m." + c for c in _COLUMNS.split(", "))
        deadline = time.monotonic() + self.SEARCH_TIME_LIMIT
        self.db.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
        try:
            if not query.text and not query.sender:
                rows = self.db.execute(
                    f"{cte} SELECT {columns} FROM messages AS m WHERE {' AND '.join(where)}"
                    f" ORDER BY m.time_ms{direction}, m.seq{direction} LIMIT ?",
                    [*head, *args, query.limit],
                ).fetchall()
            else:
                match = self._match(query, scope, party)
                if match is None:
                    return []
                pending = self._fill_tail()
                rows, seen = [], set()
                for table, skip in (("temp.tail", []), ("idx.fts", pending)):
                    # each match looked up in `messages` by seq (CROSS JOIN: in FTS5's order,
                    # stopping at the limit), kept if the rules allow it
                    for row in self.db.execute(
                        f"{cte} SELECT {columns} FROM {table} AS f"
                        " CROSS JOIN messages AS m ON m.seq = f.rowid"
                        f" WHERE f.{table.split('.')[1]} MATCH ?"
                        " AND f.rowid NOT IN (SELECT value FROM json_each(?))"
                        f" AND {' AND '.join(where)} ORDER BY f.rowid{direction} LIMIT ?",
                        [*head, match, json.dumps(skip), *args, query.limit],
                    ):
                        if row[0] not in seen:
                            seen.add(row[0])
                            rows.append(row)
                    if time.monotonic() > deadline:  # (a statement too short for the handler)
                        raise sqlite3.OperationalError("interrupted")
                # the `limit` first of both (each gave its `limit` first)
                rows.sort(key=lambda r: int(r[0]), reverse=not query.from_start)
                del rows[query.limit :]
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise SearchTimeout(f"search stopped after {self.SEARCH_TIME_LIMIT} s") from None
            raise
        finally:
            self.db.set_progress_handler(None, 0)
        found = [_row(r) for r in rows]
        found.sort(key=lambda m: m.position)
        return found

    def _match(
        self, query: SearchQuery, scope: Mapping[str, Collection[str]], party: str
    ) -> str | None:
        """The FTS5 MATCH of a search (see `search`); None: nothing can match."""
        parts = []
        if query.text:
            words = match_query(query.text)
            if words is None:
                return None
            parts.append(f"text : ({words})")
        if query.sender:
            parts.append(f"meta : {sender_token(query.sender)}")
        keys = set(scope)
        if party:
            keys.update(
                k
                for (k,) in self.db.execute(
                    "SELECT key FROM conversations WHERE party_a = ? UNION"
                    " SELECT key FROM conversations WHERE party_b = ?",
                    (party, party),
                )
            )
        if not keys:
            return None
        if len(keys) <= self.SEARCH_KEYS and self._small(keys):
            parts.append("meta : (" + " OR ".join(sorted(key_token(k) for k in keys)) + ")")
        return " AND ".join(parts)

    def _small(self, keys: Collection[str]) -> bool:
        """Whether the lines of `keys` are at most `SEARCH_SHARE` of history (the plan of
        `search`). Each conversation's count is counted once, up to the share (an index
        walk of a few milliseconds at most), then kept in memory and followed by `append`;
        deletions leave it high (a plan, not a promise), retention and renames forget it."""
        budget = int(self.SEARCH_SHARE * (self._next_seq - 1))
        total = 0
        for key in keys:
            count = self._key_counts.get(key)
            # (a negative count: more than its minus, counted when history was smaller)
            if count is None or (count < 0 and -count * 2 <= budget):
                count = self.db.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM messages WHERE key = ? LIMIT ?)",
                    (key, budget + 1),
                ).fetchone()[0]
                if count > budget:
                    count = -count
                self._key_counts[key] = count
            if count < 0:
                return False
            total += count
            if total > budget:
                return False
        return True

    def _fill_tail(self) -> list[int]:
        """Put the lines the index does not have right yet into the in-memory table `tail`,
        which a search reads beside the index: those above its watermark (the `SEARCH_TAIL`
        newest at most) and those with a change it has not applied yet (a rename, a row
        changed by another client: their current version). Returns the seqs of the latter,
        whose index entries the search skips."""
        state = dict(self.db.execute("SELECT name, value FROM idx.state").fetchall())
        pending = [
            seq
            for (seq,) in self.db.execute(
                "SELECT DISTINCT seq FROM search_changes WHERE id > ?", (state["changes"],)
            )
        ]
        columns = "SELECT seq, key, source, text FROM messages"
        kinds = "command IN ('PRIVMSG', 'NOTICE')"
        tail = self.db.execute(
            f"{columns} WHERE seq > ? AND {kinds} ORDER BY seq DESC LIMIT ?",
            (state["indexed"], self.SEARCH_TAIL),
        ).fetchall()
        if pending:
            tail += self.db.execute(
                f"{columns} WHERE seq IN (SELECT value FROM json_each(?)) AND seq <= ? AND {kinds}",
                (json.dumps(pending), state["indexed"]),
            ).fetchall()
        self.db.execute("INSERT INTO temp.tail (tail) VALUES ('delete-all')")
        self.db.executemany(
            "INSERT INTO temp.tail (rowid, text, meta) VALUES (?, ?, ?)",
            [(seq, fold(text), meta(key, source)) for seq, key, source, text in tail],
        )
        return pending

    def prune(self, *, before_ms: int = 0, keep_per_key: int = 0) -> int:
        """All of retention at once (tests, tools): the sum of `prune_batches`."""
        return sum(self.prune_batches(before_ms=before_ms, keep_per_key=keep_per_key))

    def prune_batches(self, *, before_ms: int = 0, keep_per_key: int = 0) -> Iterator[int]:
        """Retention in small steps: each `next()` runs one batch in the open transaction and
        yields how many messages it deleted; the caller commits between batches.

        A batch deletes at most `PRUNE_BATCH_ROWS` messages and looks at a bounded number of
        conversations (`PRUNE_SCAN_ENTRIES` index entries in all), with a bounded number of
        statements; the result is the same as deleting everything at once (a window query
        over the whole table took 6.6 s at 1 M rows, with the event loop stopped). Messages
        appended between batches are handled like any others. Stop early by dropping the
        iterator; it keeps no SQLite cursor open between batches. A failed write (full disk)
        ends it, as a failed commit would: see `error`.
        """
        try:
            yield from self._prune_steps(before_ms, keep_per_key)
        except sqlite3.Error as exc:
            self._failed(exc)

    def _prune_steps(self, before_ms: int, keep_per_key: int) -> Iterator[int]:
        if before_ms:
            while True:
                self.scrub()  # (a long pass: the change log's applied entries go meanwhile)
                self._write_pending()
                self._begin()
                keys = self.db.execute(
                    "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages"
                    " WHERE time_ms < ? ORDER BY time_ms LIMIT ?) RETURNING key",
                    (before_ms, self.PRUNE_BATCH_ROWS),
                ).fetchall()
                if keys:
                    self._key_counts.clear()
                    self._drop_empty_conversations({k for (k,) in keys})
                    self._deleted(self.SCRUB_AFTER_PRUNE)
                    yield len(keys)
                if len(keys) < self.PRUNE_BATCH_ROWS:
                    break
        if keep_per_key:
            keys_per_batch = max(1, min(64, self.PRUNE_SCAN_ENTRIES // (keep_per_key + 1)))
            after = ""  # the conversations are walked in key order, a batch at a time
            queue: list[str] = []
            while True:
                if not queue:
                    queue = self._keys_after(after, keys_per_batch)
                    if not queue:
                        return
                    after = queue[-1]
                self.scrub()
                self._write_pending()
                self._begin()
                budget = self.PRUNE_BATCH_ROWS
                looked = 0
                while queue and budget and looked < keys_per_batch:
                    key = queue[0]
                    looked += 1
                    deleted = self._prune_key(key, keep_per_key, budget)
                    if deleted:
                        self._key_counts.pop(key, None)
                        self._deleted(self.SCRUB_AFTER_PRUNE)
                    budget -= deleted
                    if budget:  # this conversation is done (else: more of it next batch)
                        queue.pop(0)
                yield self.PRUNE_BATCH_ROWS - budget

    def _keys_after(self, after: str, limit: int) -> list[str]:
        """The next `limit` conversation keys after `after`, in one statement: a skip scan of
        the (key, time_ms, seq) index (one seek per key, not a walk over its messages)."""
        rows = self.db.execute(
            "WITH RECURSIVE k(key) AS ("
            " SELECT (SELECT MIN(key) FROM messages WHERE key > ?)"
            " UNION ALL SELECT (SELECT MIN(key) FROM messages WHERE key > k.key) FROM k"
            " WHERE k.key IS NOT NULL LIMIT ?)"
            " SELECT key FROM k WHERE key IS NOT NULL",
            (after, limit + 1),
        ).fetchall()
        return [r[0] for r in rows][:limit]

    def _prune_key(self, key: str, keep: int, budget: int) -> int:
        """Delete up to `budget` of the oldest messages of `key` beyond its newest `keep`."""
        cut = self.db.execute(
            "SELECT time_ms, seq FROM messages WHERE key = ?"
            " ORDER BY time_ms DESC, seq DESC LIMIT 1 OFFSET ?",
            (key, keep),
        ).fetchone()
        if cut is None:
            return 0
        return int(
            self.db.execute(
                "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE key = ?"
                " AND (time_ms, seq) <= (?, ?) ORDER BY time_ms, seq LIMIT ?)",
                (key, cut[0], cut[1], budget),
            ).rowcount
        )

    def _drop_empty_conversations(self, keys: set[str]) -> None:
        """Forget private conversations of `keys` that have no message left."""
        self.db.executemany(
            "DELETE FROM conversations WHERE key = ?"
            " AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.key = ?)",
            [(k, k) for k in keys],
        )

    # -- accounts --------------------------------------------------------------------------
    def get_account(self, name: str) -> Account | None:
        folded = casefold(name)
        if folded not in self._account_names:
            return None
        unsaved = self._unsaved_accounts.get(folded)
        if unsaved is not None:
            return unsaved
        self._write_pending()
        row = self.db.execute(
            "SELECT name, password_hash, email, created FROM accounts WHERE folded = ?",
            (folded,),
        ).fetchone()
        return Account(*row) if row else None

    def account_like(self, name: str) -> Account | None:
        """The account called `name`, or else one whose name looks like it (`casemap.clash`:
        the same confusable skeleton, one of the two non-ASCII), if any.

        From memory unless an account is found. An ASCII `name` needs no skeleton while no
        account has a non-ASCII name (two ASCII names never clash by skeleton), so an
        ASCII-only server pays one set lookup, as `get_account` does.
        """
        folded = casefold(name)
        if folded in self._account_names:
            return self.get_account(folded)
        if casemap.current() != "precis" or (name.isascii() and not self._unicode_accounts):
            return None
        if self._skeleton_mapping != casemap.current():
            self._reindex_accounts()
        for other, display in self._account_skeletons.get(casemap.skeleton(name), ()):
            if casemap.clash(name, display):
                return self.get_account(other)
        return None

    def _index_account(self, folded: str, name: str) -> None:
        self._account_names.add(folded)
        if not name.isascii():
            self._unicode_accounts += 1
        if self._skeleton_mapping == "precis":
            self._account_skeletons.setdefault(casemap.skeleton(name), []).append((folded, name))

    def _reindex_accounts(self) -> None:
        """Skeletons again, under the casemapping now in force (see `__init__`)."""
        self._skeleton_mapping = casemap.current()
        self._account_skeletons.clear()
        if self._skeleton_mapping != "precis":
            return
        self._write_pending()
        names = dict(self.db.execute("SELECT folded, name FROM accounts").fetchall())
        names.update((folded, a.name) for folded, a in self._unsaved_accounts.items())
        for folded, name in names.items():
            self._account_skeletons.setdefault(casemap.skeleton(name), []).append((folded, name))

    def create_account(self, account: Account) -> bool:
        folded = casefold(account.name)
        if folded in self._account_names:  # every name is here: only we write accounts
            return False
        if self.account_like(account.name) is not None:  # a lookalike is taken too
            return False
        account = dataclasses.replace(account, created=account.created or time.time())
        self._ops.append(
            (
                "INSERT OR IGNORE INTO accounts (folded, name, email, password_hash, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (folded, account.name, account.email, account.password_hash, account.created),
            )
        )
        self._index_account(folded, account.name)
        self._unsaved_accounts[folded] = account
        self._write_pending()
        return True

    def set_password(self, name: str, password_hash: str) -> None:
        folded = casefold(name)
        account = self.get_account(name)
        if account is None:
            return
        self._ops.append(
            ("UPDATE accounts SET password_hash = ? WHERE folded = ?", (password_hash, folded))
        )
        self._unsaved_accounts[folded] = dataclasses.replace(account, password_hash=password_hash)
        self._write_pending()

    def message_count(self) -> int:
        self._write_pending()
        return int(self.db.execute("SELECT count(*) FROM messages").fetchone()[0])

    # -- client certificates (SASL EXTERNAL) ---------------------------------------------------
    def account_for_cert(self, fingerprint: str) -> Account | None:
        self._write_pending()
        row = self.db.execute(
            "SELECT account FROM account_certs WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return self.get_account(row[0]) if row else None

    def certs_of(self, account: str) -> list[str]:
        self._write_pending()
        rows = self.db.execute(
            "SELECT fingerprint FROM account_certs WHERE account = ? ORDER BY fingerprint",
            (casefold(account),),
        ).fetchall()
        return [r[0] for r in rows]

    def add_cert(self, account: str, fingerprint: str) -> None:
        self._ops.append(
            (
                "INSERT OR REPLACE INTO account_certs (fingerprint, account) VALUES (?, ?)",
                (fingerprint, casefold(account)),
            )
        )
        self._write_pending()

    def remove_cert(self, account: str, fingerprint: str) -> None:
        self._ops.append(
            (
                "DELETE FROM account_certs WHERE fingerprint = ? AND account = ?",
                (fingerprint, casefold(account)),
            )
        )
        self._write_pending()

    # -- server bans (KLINE, DLINE) -----------------------------------------------------------
    def server_bans(self) -> list[ServerBan]:
        self._write_pending()
        rows = self.db.execute(
            "SELECT kind, mask, reason, set_by, set_at, expires_at FROM server_bans ORDER BY set_at"
        ).fetchall()
        return [ServerBan(*row) for row in rows]

    def add_server_ban(self, ban: ServerBan) -> None:
        self._ops.append(
            (
                "INSERT OR REPLACE INTO server_bans"
                " (kind, mask, reason, set_by, set_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (ban.kind, ban.mask, ban.reason, ban.set_by, ban.set_at, ban.expires_at),
            )
        )
        self._write_pending()

    def remove_server_ban(self, kind: str, mask: str) -> None:
        self._ops.append(("DELETE FROM server_bans WHERE kind = ? AND mask = ?", (kind, mask)))
        self._write_pending()

    # -- push subscriptions (draft/webpush) -----------------------------------------------
    def push_subscriptions(self, account: str) -> list[PushSubscription]:
        self._write_pending()
        rows = self.db.execute(
            "SELECT account, endpoint, p256dh, auth, created FROM push_subscriptions"
            " WHERE account = ? ORDER BY created, endpoint",
            (account,),
        ).fetchall()
        return [PushSubscription(*row) for row in rows]

    def add_push_subscription(self, subscription: PushSubscription) -> None:
        s = subscription
        self._ops.append(
            (
                "INSERT OR REPLACE INTO push_subscriptions"
                " (endpoint, account, p256dh, auth, created) VALUES (?, ?, ?, ?, ?)",
                (s.endpoint, s.account, s.p256dh, s.auth, s.created),
            )
        )
        self._write_pending()

    def remove_push_subscription(self, account: str, endpoint: str) -> None:
        self._ops.append(
            (
                "DELETE FROM push_subscriptions WHERE endpoint = ? AND account = ?",
                (endpoint, account),
            )
        )
        self._write_pending()

    # -- registered channels (ChanServ) --------------------------------------------------------
    _CHANNEL_COLUMNS = (
        "name, founder, registered_at, era, created, description, topic, topic_setter,"
        " topic_time, modes, key, lim, masks, access, topic_lock, guard"
    )

    def registered_channels(self) -> list[RegisteredChannel]:
        self._write_pending()
        rows = self.db.execute(
            f"SELECT {self._CHANNEL_COLUMNS} FROM registered_channels ORDER BY folded"
        ).fetchall()
        return [_channel_row(row) for row in rows]

    def save_channel(self, channel: RegisteredChannel) -> None:
        """Queued, not written: the next commit (the loop turn's group commit) upserts it, so
        a burst of MODE changes costs no statement on the loop until then."""
        c = channel
        masks = json.dumps([[m.mode, m.mask, m.setter, m.set_at] for m in c.masks])
        access = json.dumps([[a.account, a.mode, a.set_by, a.set_at] for a in c.access])
        self._ops.append(
            (
                f"INSERT OR REPLACE INTO registered_channels (folded, {self._CHANNEL_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    casefold(c.name),
                    c.name,
                    c.founder,
                    c.registered_at,
                    c.era,
                    c.created,
                    c.description,
                    c.topic,
                    c.topic_setter,
                    c.topic_time,
                    c.modes,
                    c.key,
                    c.limit,
                    masks,
                    access,
                    int(c.topic_lock),
                    int(c.guard),
                ),
            )
        )

    def drop_channel(self, name: str) -> None:
        self._ops.append(("DELETE FROM registered_channels WHERE folded = ?", (casefold(name),)))


def _channel_row(row: tuple[Any, ...]) -> RegisteredChannel:
    (name, founder, registered_at, era, created, description, topic, setter, topic_time) = row[:9]
    modes, key, limit, masks, access, topic_lock, guard = row[9:]
    return RegisteredChannel(
        name,
        founder,
        registered_at,
        era,
        created,
        description,
        topic,
        setter,
        topic_time,
        modes,
        key,
        limit,
        tuple(MaskEntry(*m) for m in json.loads(masks)),
        tuple(ChannelAccess(*a) for a in json.loads(access)),
        bool(topic_lock),
        bool(guard),
    )


def _cause(exc: sqlite3.Error) -> str:
    """What an SQLite error means for an operator, in a few words."""
    text = str(exc)
    known = {
        "database or disk is full": "the disk is full",
        "file is not a database": "it is not an SQLite database, or it is damaged",
        "database disk image is malformed": "the database is damaged",
        "attempt to write a readonly database": "it is read-only",
        "disk I/O error": "a disk input/output error occurred",
        "unable to open database file": "the file cannot be opened",
    }
    for message, cause in known.items():
        if message in text:
            return cause
    return text


def open_storage(data_dir: str | Path) -> SqliteBackend:
    """The SQLite backend in `data_dir` (created or checked first). Storage knows nothing of
    the server: the composition (`server/main.py`) wraps it in `server.persistence.Persistence`."""
    directory = prepare_data_dir(data_dir)
    path = directory / DB_NAME
    create_private_file(path)  # 0600 before SQLite opens it: -wal and -shm get its mode
    create_private_file(index_path(path))  # likewise the search index's
    return SqliteBackend(path)
