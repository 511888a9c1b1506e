"""The shared storage backend: history, accounts and server bans in PostgreSQL, for several
socketchat nodes that must have one past (`[storage] url = "postgresql://..."`, or
`socketchat serve --storage postgresql://...`). SQLite (`storage/sqlite.py`) stays the embedded
default and the reference: this backend answers every `Backend` call the same way, and the
storage tests run against both.

Why PostgreSQL and not Redis Streams for this part (docs/storage.md says it at length): history
is read by ranges and by msgid in one conversation (CHATHISTORY BEFORE/AFTER/BETWEEN/AROUND are
index range scans on (key, time_ms, seq)), TARGETS is one grouped query over many
conversations, retention deletes by age and by rank, search wants a full-text index; accounts
need a unique name across every node (a primary key, not a check-then-set), and all of it must
survive a restart of the store (WAL with fsync at commit), while each row has one writer (the
node that owns the session). Redis Streams give order and fan-out (the cluster's input log) but
none of those queries, and keep everything in memory.

How it is used
--------------
Like the SQLite backend: synchronous (psycopg 3), one connection on the event loop, writes
buffered in memory and written into one open transaction before any read (so a query sees what
this node appended), `commit()` once per event-loop turn (group commit: everything relayed in a
turn shares one COMMIT, which PostgreSQL makes durable before it answers). What another node
committed is visible to the next statement here (READ COMMITTED).

What differs from SQLite, because other nodes write the same tables:
- nothing is cached from the database: an account created on another node is found at once
  (SQLite keeps every account name in memory, since only its own connection writes);
- `create_account` inserts at once (``ON CONFLICT DO NOTHING``), so that two nodes registering
  one name at the same moment cannot both succeed: the second waits on the first's row lock
  until that node commits (within its loop turn), then finds the name taken. Lookalike names
  (`account_like`) are checked before the insert; two lookalikes registered on two nodes in the
  same few milliseconds could both pass (documented, rare, harmless beyond confusion);
- `seq` comes from one sequence, so positions are unique network-wide; messages of one
  millisecond are ordered by it.
- When writes fail (the server is gone, the connection dropped, a disk full there), it behaves as
  the SQLite backend does: the transaction's writes go back to the front of the queue, `error`
  is set, `commit()` raises `StorageError`, reads answer "nothing" meanwhile, and each later
  `commit()` reconnects if needed and retries the whole queue.

The schema version lives in the table ``socketchat_schema``; `MIGRATIONS[i]` takes a database
from version ``i`` to ``i + 1``, under an advisory lock so that nodes starting together migrate
once. Never edit a released step: append a new one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
import time
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
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
from socketchat.storage.fulltext import MAX_TERMS, fold, terms, whole

try:  # the `postgres` extra; without it, opening says so in one sentence
    import psycopg
    from psycopg import errors, pq
except ImportError:  # pragma: no cover - the extra is installed wherever this is tested
    psycopg = None  # type: ignore[assignment]

log = logging.getLogger("socketchat.storage")

SCHEMES = ("postgresql://", "postgres://")
_MIGRATION_LOCK = 0x50C4E7C4A7  # pg_advisory_xact_lock key: one migrating node at a time

MIGRATIONS: list[str] = [
    # 0 -> 1: everything the SQLite schema has at its version 10, in one step
    """
    CREATE TABLE messages (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key TEXT NOT NULL,                -- conversation: folded channel, or a private pair
        time_ms BIGINT NOT NULL,
        msgid TEXT NOT NULL,
        command TEXT NOT NULL,            -- PRIVMSG, NOTICE, TAGMSG or a channel event
        source TEXT NOT NULL,             -- nick!user@host of the sender
        target TEXT NOT NULL,             -- as addressed (channel or nick)
        text TEXT NOT NULL,
        tags TEXT NOT NULL,               -- JSON object, as relayed (key order kept)
        era TEXT NOT NULL DEFAULT '',     -- the channel's incarnation
        restricted BOOLEAN NOT NULL DEFAULT FALSE,  -- said while the channel was +s/+i/+k
        sender TEXT NOT NULL DEFAULT '',  -- the sender's identity (a:<account> or c:<token>)
        words TSVECTOR                    -- SEARCH: the words of a PRIVMSG/NOTICE (`_tsvector`)
    );
    CREATE INDEX messages_key_time ON messages (key, time_ms, seq);
    CREATE INDEX messages_words ON messages USING GIN (words);
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
        created DOUBLE PRECISION NOT NULL,
        skeleton TEXT NOT NULL            -- UTS #39 skeleton of name (lookalikes), precis rules
    );
    CREATE INDEX accounts_skeleton ON accounts (skeleton);
    CREATE TABLE markers (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        time_ms BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (account, key)
    );
    CREATE INDEX markers_key ON markers (key);
    CREATE TABLE read_markers (
        account TEXT NOT NULL,
        target TEXT NOT NULL,
        time_ms BIGINT NOT NULL,
        PRIMARY KEY (account, target)
    );
    CREATE INDEX read_markers_target ON read_markers (target);
    CREATE TABLE server_bans (
        kind TEXT NOT NULL,
        mask TEXT NOT NULL,
        reason TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (kind, mask)
    );
    CREATE TABLE account_certs (
        fingerprint TEXT PRIMARY KEY,
        account TEXT NOT NULL
    );
    CREATE INDEX account_certs_account ON account_certs (account);
    CREATE TABLE account_metadata (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (account, key)
    );
    CREATE TABLE push_subscriptions (
        endpoint TEXT PRIMARY KEY,        -- one device's push channel: one account at a time
        account TEXT NOT NULL,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX push_subscriptions_account ON push_subscriptions (account);
    CREATE TABLE registered_channels (
        folded TEXT PRIMARY KEY,          -- folded channel name
        name TEXT NOT NULL,
        founder TEXT NOT NULL,            -- account name as registered
        registered_at DOUBLE PRECISION NOT NULL,
        era TEXT NOT NULL,                -- its one incarnation (history privacy)
        created DOUBLE PRECISION NOT NULL,
        description TEXT NOT NULL,
        topic TEXT NOT NULL,
        topic_setter TEXT NOT NULL,
        topic_time DOUBLE PRECISION NOT NULL,
        modes TEXT NOT NULL,
        key TEXT NOT NULL,
        lim INTEGER NOT NULL,
        masks TEXT NOT NULL,              -- JSON [mode, mask, setter, set_at] lists
        access TEXT NOT NULL,             -- JSON [account, mode, set_by, set_at] lists
        topic_lock BOOLEAN NOT NULL,
        guard BOOLEAN NOT NULL
    );
    """,
    # 1 -> 2: how far each cluster node has committed the log (`mark_applied`)
    """
    CREATE TABLE cluster_commits (
        node BIGINT PRIMARY KEY,          -- the node incarnation's number
        ms BIGINT NOT NULL,               -- the stream id <ms>-<seq> of the last entry it
        seq BIGINT NOT NULL               -- wrote for, committed in the same transaction
    );
    """,
    # 2 -> 3: the network's own secrets, made once by the first node that needs one
    # (`network_secret`: the VAPID key of a cluster's Web Push)
    """
    CREATE TABLE network_secrets (
        name TEXT PRIMARY KEY,
        value BYTEA NOT NULL
    );
    """,
]

_INSERT = (
    "INSERT INTO messages (key, time_ms, msgid, command, source, target, text, tags, era,"
    " restricted, sender, words)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::tsvector)"
)
_UPSERT_CONVERSATION = (
    "INSERT INTO conversations (key, party_a, party_b, nick_a, nick_b)"
    " VALUES (%s, %s, %s, %s, %s)"
    " ON CONFLICT (key) DO UPDATE SET nick_a = excluded.nick_a, nick_b = excluded.nick_b"
)
_INSERT_ACCOUNT = (
    "INSERT INTO accounts (folded, name, email, password_hash, created, skeleton)"
    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (folded) DO NOTHING"
)
_COLUMNS = "seq, key, time_ms, msgid, command, source, target, text, tags, era, restricted, sender"

Op = tuple[str, tuple[Any, ...]]


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


def _readable(eras: Collection[str], events: bool = False) -> tuple[str, tuple[Any, ...]]:
    """As in the SQLite backend: unrestricted lines, or those of the eras named, and unless
    `events` only PRIVMSG and NOTICE."""
    kinds = "" if events else " AND command IN ('PRIVMSG', 'NOTICE')"
    listed = list(eras)
    if not listed:
        return " AND NOT restricted" + kinds, ()
    return " AND (NOT restricted OR era = ANY(%s))" + kinds, (listed,)


def _skeleton(name: str) -> str:
    """The lookalike key stored with an account: the precis skeleton whatever the casemapping
    in force when it was created, so that switching to precis later finds it (the SQLite backend
    rebuilds its in-memory index instead)."""
    return casemap._unicode_skeleton(name)


_SEARCHED = ("PRIVMSG", "NOTICE")
_MAX_POSITION = 16383  # tsvector positions stop there
_MAX_WORD = 500  # characters of one indexed word (a lexeme must stay under 2 KiB)


def _words(text: str) -> list[str]:
    """The words of `text` as SEARCH sees them, computed in Python for the index and for the
    query alike (so the two cannot disagree): folded as `storage/fulltext.py` says (Persian
    ZWNJ, Arabic letter forms, digits), accents dropped as SQLite's ``remove_diacritics 2``
    does (``café`` = ``cafe``), split into runs of letters and digits, case-folded."""
    decomposed = unicodedata.normalize("NFKD", fold(text))
    bare = unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )
    return [w[:_MAX_WORD] for w in terms(bare)]


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector(text: str) -> str:
    """The text form of the index entry of a line: each word with its position (phrases,
    below). Built here, not by PostgreSQL's parser, whose idea of a word differs."""
    return " ".join(f"{_lexeme(w)}:{min(i + 1, _MAX_POSITION)}" for i, w in enumerate(_words(text)))


def _tsquery(text: str) -> str | None:
    """What someone typed as a tsquery, as `fulltext.match_query` does for FTS5: every word
    must occur as the start of a word of the line; a word that splits in parts (``can't``) is
    a phrase of them, the last one a prefix. None: no word at all."""
    parts = []
    for typed in text.split():
        pieces = _words(typed)
        if not pieces:
            continue
        phrase = [_lexeme(p) for p in pieces]
        if not whole(typed):  # one letter or digit is matched whole, as in fulltext.match_query
            phrase[-1] += ":*"
        parts.append("(" + " <-> ".join(phrase) + ")")
        if len(parts) == MAX_TERMS:
            break
    return " & ".join(parts) if parts else None


def is_postgres_url(url: str) -> bool:
    return url.startswith(SCHEMES)


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}@{host}" if user else f"{scheme}://{host}"


class PostgresBackend:
    """History and accounts in PostgreSQL. Not thread-safe: one event loop owns it (see the
    module docstring for what differs from `SqliteBackend`, and its "When a write fails")."""

    MAX_PENDING_BYTES = 4 * 1024 * 1024  # lines kept in memory while writes fail
    PRUNE_BATCH_ROWS = 200  # retention: messages deleted per batch at most
    PRUNE_SCAN_ENTRIES = 50_000  # retention: index entries looked at per batch, about
    CONNECT_TIMEOUT = 5  # seconds, at start
    RETRY_CONNECT_TIMEOUT = 1  # seconds, when a commit retries after the connection was lost

    def __init__(self, url: str) -> None:
        if psycopg is None:
            raise StorageError(
                "PostgreSQL storage needs psycopg: install socketchat's postgres extra"
                " (pip install 'socketchat[postgres]')"
            )
        self.url = url
        self.where = redact_url(url)
        self.db = self._connect()
        try:
            self.migrate()
        except StorageError:
            self.db.close()
            raise
        except psycopg.Error as exc:
            self.db.close()
            raise StorageError(f"cannot set up the database {self.where}: {_cause(exc)}") from None
        self._rows: list[tuple[Any, ...]] = []  # messages appended, not yet written
        self._conversations: dict[str, tuple[str, str, str, str, str]] = {}
        self._ops: list[Op] = []  # other writes, not yet written
        # written into the open transaction, not committed: re-queued if it fails
        self._tx_rows: list[tuple[Any, ...]] = []
        self._tx_conversations: dict[str, tuple[str, str, str, str, str]] = {}
        self._tx_ops: list[Op] = []
        # what queries answer while writes fail and a change is only in memory
        self._unsaved_accounts: dict[str, Account] = {}
        self._unsaved_markers: dict[tuple[str, str], Position] = {}
        self._unsaved_read: dict[tuple[str, str], int] = {}
        self._pending_bytes = 0
        self._dropped = 0
        self.error: StorageError | None = None  # set while writes fail
        # statistics for the planner (`checkpoint`)
        self._appended_since_analyze = 0
        self._analyzed_rows = 0
        self._analyzer: psycopg.Connection[Any] | None = None
        self._analyze_lock = threading.Lock()
        self._closed = False

    # -- connection and schema -------------------------------------------------------------
    def _connect(self, timeout: int = 0) -> psycopg.Connection[Any]:
        try:
            db = psycopg.connect(
                self.url,
                autocommit=False,
                connect_timeout=timeout or self.CONNECT_TIMEOUT,
                application_name="socketchat",
            )
        except psycopg.Error as exc:
            raise StorageError(f"cannot connect to {self.where}: {_cause(exc)}") from None
        return db

    @property
    def schema_version(self) -> int:
        row = self.db.execute("SELECT to_regclass('socketchat_schema') IS NOT NULL").fetchone()
        if not row or not row[0]:
            return 0
        found = self.db.execute("SELECT version FROM socketchat_schema").fetchone()
        return int(found[0]) if found else 0

    def migrate(self) -> None:
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            self.db.execute("CREATE TABLE IF NOT EXISTS socketchat_schema (version INTEGER)")
            row = self.db.execute("SELECT version FROM socketchat_schema").fetchone()
            if row is None:
                self.db.execute("INSERT INTO socketchat_schema (version) VALUES (0)")
            version = int(row[0]) if row else 0
            if version > len(MIGRATIONS):
                raise StorageError(
                    f"the database {self.where} has schema version {version} and this"
                    f" socketchat knows only {len(MIGRATIONS)}: upgrade socketchat"
                )
            for step in range(version, len(MIGRATIONS)):
                log.info("storage: migrating %s to schema version %d", self.where, step + 1)
                self.db.execute(MIGRATIONS[step])  # type: ignore[arg-type]
                self.db.execute("UPDATE socketchat_schema SET version = %s", (step + 1,))
        self.db.commit()

    # -- transactions ----------------------------------------------------------------------
    def _write_pending(self) -> None:
        """Write queued writes into the open transaction (so queries see them). While writes
        fail (`error` set) this does nothing; a failure here starts such an outage."""
        if self.error is not None or not (self._rows or self._conversations or self._ops):
            return
        rows, self._rows = self._rows, []
        conversations, self._conversations = self._conversations, {}
        ops, self._ops = self._ops, []
        self._tx_rows.extend(rows)
        self._tx_conversations.update(conversations)
        self._tx_ops.extend(ops)
        try:
            with self.db.cursor() as cur:
                if rows:
                    cur.executemany(_INSERT, rows)
                if conversations:
                    cur.executemany(_UPSERT_CONVERSATION, list(conversations.values()))
                for sql, params in ops:
                    cur.execute(sql, params)  # type: ignore[arg-type]
        except psycopg.Error as exc:
            self._failed(exc)

    def _failed(self, exc: psycopg.Error) -> None:
        """The transaction failed: roll it back, put its writes back in the queue, remember."""
        try:
            if not self.db.closed:
                self.db.rollback()
        except psycopg.Error:
            pass  # the connection is gone: the server rolled back
        self._rows = self._tx_rows + self._rows
        self._conversations = {**self._tx_conversations, **self._conversations}
        self._ops = self._tx_ops + self._ops
        self._tx_rows, self._tx_conversations, self._tx_ops = [], {}, []
        self.error = StorageError(f"cannot write to {self.where}: {_cause(exc)}")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read, after the queued writes. While writes fail it reads what the database
        has committed (as SQLite reads what is on disk); a read that fails answers no rows (and
        starts an outage: the open transaction is gone with it)."""
        self._write_pending()
        try:
            return self.db.execute(sql, params).fetchall()  # type: ignore[arg-type]
        except psycopg.Error as exc:
            if self.error is None:
                self._failed(exc)
            else:  # already failing: the queue is intact, only this read is lost
                with contextlib.suppress(psycopg.Error):
                    self.db.rollback()
            return []

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self._query(sql, params)
        return rows[0] if rows else None

    def _reconnect_if_broken(self) -> None:
        if self.db.closed or self.db.info.status != pq.ConnStatus.OK:
            try:
                self.db.close()
            finally:
                # short: a retry runs on the event loop (a refused connection fails at once)
                self.db = self._connect(self.RETRY_CONNECT_TIMEOUT)  # StorageError: still down

    def commit(self) -> None:
        """Write everything queued and commit it. Raises `StorageError` if that fails; the
        writes stay queued, and calling again (reconnecting if needed) retries."""
        if self.error is not None:  # a retry
            try:
                self._reconnect_if_broken()
            except StorageError as exc:
                self.error = exc
                raise
            self.error = None
        self._write_pending()
        if self.error is None and self.db.info.transaction_status != pq.TransactionStatus.IDLE:
            try:
                self.db.commit()
            except psycopg.Error as exc:
                self._failed(exc)
            else:
                self._tx_rows, self._tx_conversations, self._tx_ops = [], {}, []
        if self.error is not None:
            raise self.error
        self._unsaved_accounts.clear()
        self._unsaved_markers.clear()
        self._unsaved_read.clear()
        self._pending_bytes = 0
        self._dropped = 0

    def scrub(self) -> bool:
        """Nothing to do here, and nothing this backend can promise: a deleted line (REDACT,
        retention) is unreachable by any query at once (its row and its GIN entries go with
        the DELETE), but its bytes stay in the table's and indexes' pages until VACUUM (auto)
        reuses the space, which it does not zero, the GIN index keeps its words as keys, and
        the WAL segments keep page images until they are recycled. Only ``VACUUM FULL
        messages`` (an exclusive lock: it rewrites the table and its indexes into new files)
        followed by a CHECKPOINT leaves no copy in the current files (docs/search.md)."""
        return False

    def unsaved(self) -> tuple[int, int]:
        """(messages queued in memory, messages not kept because the queue was full)."""
        return len(self._rows) + len(self._tx_rows), self._dropped

    ANALYZE_AT_LEAST = 500  # rows appended here before `checkpoint` considers an ANALYZE

    def checkpoint(self) -> None:
        """Housekeeping off the event loop (`Persistence.tick` runs it on a worker thread once a
        second; thread-safe, never raises): PostgreSQL checkpoints by itself, but its planner
        needs statistics, which autovacuum refreshes only once a minute at best. A channel's
        history read with a table still counted empty is a bitmap scan and a sort of every
        line (40 ms at 10,000 lines) instead of an index scan of 50 (0.1 ms). So when this node
        has appended more lines than the table had at the last ANALYZE (the table at least
        doubled), ANALYZE runs here, on a connection of its own."""
        with self._analyze_lock:
            appended = self._appended_since_analyze
            if self._closed or appended < max(self.ANALYZE_AT_LEAST, self._analyzed_rows):
                return
            try:
                if self._analyzer is None or self._analyzer.closed:
                    self._analyzer = psycopg.connect(
                        self.url,
                        autocommit=True,
                        connect_timeout=self.RETRY_CONNECT_TIMEOUT,
                        application_name="socketchat-analyze",
                    )
                self._analyzer.execute("ANALYZE messages, conversations")
                row = self._analyzer.execute(
                    "SELECT reltuples FROM pg_class WHERE oid = 'messages'::regclass"
                ).fetchone()
            except psycopg.Error as exc:
                log.debug("storage: ANALYZE failed: %s", exc)
                return
            self._appended_since_analyze -= appended  # (the loop thread adds meanwhile)
            self._analyzed_rows = max(0, int(row[0])) if row else 0

    def close(self) -> None:
        """Commit what is queued (raising `StorageError` if that fails) and close, always."""
        try:
            self.commit()
        finally:
            with self._analyze_lock:  # (waits for an ANALYZE under way on a worker)
                self._closed = True
                if self._analyzer is not None:
                    self._analyzer.close()
            self.db.close()

    # -- history ---------------------------------------------------------------------------
    def append(self, message: StoredMessage) -> bool:
        row = (
            message.key,
            message.time_ms,
            message.msgid,
            message.command,
            message.source,
            message.target,
            message.text,
            json.dumps(dict(message.tags), separators=(",", ":")),
            message.era,
            message.restricted,
            message.sender_id,
            _tsvector(message.text) if message.command in _SEARCHED else None,
        )
        size = sum(len(field) for field in row if isinstance(field, str)) + 64
        if self.error is not None and self._pending_bytes + size > self.MAX_PENDING_BYTES:
            self._dropped += 1
            return False
        self._pending_bytes += size
        self._rows.append(row)
        self._appended_since_analyze += 1
        if message.recipient_id:
            a, b = sorted((message.sender_id, message.recipient_id))
            sender_nick = message.source.split("!", 1)[0]
            nicks = {message.sender_id: sender_nick, message.recipient_id: message.target}
            self._conversations[message.key] = (message.key, a, b, nicks[a], nicks[b])
        return True

    def find(
        self, key: str, msgid: str, *, eras: Collection[str] = (), events: bool = False
    ) -> Position | None:
        where, args = _readable(eras, events)
        row = self._one(
            "SELECT time_ms, seq FROM messages WHERE msgid = %s AND key = %s"
            + where
            + " ORDER BY seq LIMIT 1",
            (msgid, key, *args),
        )
        return (row[0], row[1]) if row else None

    def message(self, key: str, msgid: str, *, eras: Collection[str] = ()) -> StoredMessage | None:
        where, args = _readable(eras, events=True)
        row = self._one(
            f"SELECT {_COLUMNS} FROM messages WHERE msgid = %s AND key = %s"
            " AND command IN ('PRIVMSG', 'NOTICE', 'TAGMSG')" + where + " ORDER BY seq LIMIT 1",
            (msgid, key, *args),
        )
        return _row(row) if row else None

    def rename_key(self, old_key: str, new_key: str, target: str) -> None:
        self._ops.append(
            (
                "UPDATE messages SET key = %s, target = %s WHERE key = %s",
                (new_key, target, old_key),
            )
        )
        if new_key != old_key:
            self._ops += [
                (
                    "UPDATE markers AS m SET key = %s WHERE key = %s AND NOT EXISTS"
                    " (SELECT 1 FROM markers AS o WHERE o.account = m.account AND o.key = %s)",
                    (new_key, old_key, new_key),
                ),
                ("DELETE FROM markers WHERE key = %s", (old_key,)),
                (
                    "UPDATE read_markers AS m SET target = %s WHERE target = %s AND NOT EXISTS"
                    " (SELECT 1 FROM read_markers AS o WHERE o.account = m.account"
                    " AND o.target = %s)",
                    (new_key, old_key, new_key),
                ),
                ("DELETE FROM read_markers WHERE target = %s", (old_key,)),
            ]
        self._write_pending()

    def delete(self, key: str, msgid: str) -> None:
        self._ops.append(("DELETE FROM messages WHERE msgid = %s AND key = %s", (msgid, key)))
        self._write_pending()

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
        upper = pos or (MAX_SEQ, MAX_SEQ)
        lower = stop or (-MAX_SEQ, 0)
        where, args = _readable(eras, events)
        rows = self._query(
            f"SELECT {_COLUMNS} FROM messages WHERE key = %s"
            " AND (time_ms, seq) < (%s, %s) AND (time_ms, seq) > (%s, %s)"
            + where
            + " ORDER BY time_ms DESC, seq DESC LIMIT %s",
            (key, *upper, *lower, *args, limit),
        )
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
        upper = stop or (MAX_SEQ, MAX_SEQ)
        where, args = _readable(eras, events)
        rows = self._query(
            f"SELECT {_COLUMNS} FROM messages WHERE key = %s"
            " AND (time_ms, seq) > (%s, %s) AND (time_ms, seq) < (%s, %s)"
            + where
            + " ORDER BY time_ms, seq LIMIT %s",
            (key, *pos, *upper, *args, limit),
        )
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
        where, args = _readable(eras, events)
        row = self._one(
            "SELECT MAX(time_ms) FROM messages WHERE key = %s AND time_ms > %s AND time_ms < %s"
            + where,
            (key, start_ms, end_ms, *args),
        )
        return int(row[0]) if row and row[0] is not None else None

    def last_position(self, key: str) -> Position | None:
        row = self._one(
            "SELECT time_ms, seq FROM messages WHERE key = %s ORDER BY time_ms DESC, seq DESC"
            " LIMIT 1",
            (key,),
        )
        return (row[0], row[1]) if row else None

    def get_marker(self, account: str, key: str) -> Position | None:
        row = self._one(
            "SELECT time_ms, seq FROM markers WHERE account = %s AND key = %s", (account, key)
        )
        stored: Position | None = (row[0], row[1]) if row else None
        unsaved = self._unsaved_markers.get((account, key))  # set while writes fail
        if unsaved is None or (stored is not None and stored >= unsaved):
            return stored
        return unsaved

    def set_marker(self, account: str, key: str, pos: Position) -> None:
        self._ops.append(
            (
                "INSERT INTO markers (account, key, time_ms, seq) VALUES (%s, %s, %s, %s)"
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
        row = self._one(
            "SELECT time_ms FROM read_markers WHERE account = %s AND target = %s",
            (account, target),
        )
        stored: int | None = int(row[0]) if row else None
        if unsaved is None or (stored is not None and stored >= unsaved):
            return stored
        return unsaved

    def set_read_marker(self, account: str, target: str, time_ms: int) -> None:
        self._ops.append(
            (
                "INSERT INTO read_markers (account, target, time_ms) VALUES (%s, %s, %s)"
                " ON CONFLICT (account, target) DO UPDATE SET time_ms = excluded.time_ms"
                " WHERE excluded.time_ms > read_markers.time_ms",
                (account, target, time_ms),
            )
        )
        current = self._unsaved_read.get((account, target))
        if current is None or time_ms > current:  # forward only, as the SQL above
            self._unsaved_read[(account, target)] = time_ms
        self._write_pending()

    def account_metadata(self, account: str) -> dict[str, str]:
        rows = self._query(
            'SELECT key, value FROM account_metadata WHERE account = %s ORDER BY key COLLATE "C"',
            (account,),
        )
        return {str(k): str(v) for k, v in rows}

    def accounts_with_metadata(self, key: str) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT account, value FROM account_metadata WHERE key = %s"
            ' ORDER BY account COLLATE "C"',
            (key,),
        )
        return [(str(a), str(v)) for a, v in rows]

    def set_account_metadata(self, account: str, key: str, value: str | None) -> None:
        op: Op
        if value is None:
            op = ("DELETE FROM account_metadata WHERE account = %s AND key = %s", (account, key))
        else:
            op = (
                "INSERT INTO account_metadata (account, key, value) VALUES (%s, %s, %s)"
                " ON CONFLICT (account, key) DO UPDATE SET value = excluded.value",
                (account, key, value),
            )
        self._ops.append(op)
        self._write_pending()

    def conversations(self, party: str) -> list[Conversation]:
        rows = self._query(
            "SELECT key, party_a, party_b, nick_a, nick_b FROM conversations"
            " WHERE party_a = %s OR party_b = %s",
            (party, party),
        )
        return [Conversation(*r) for r in rows]

    def missed_private(
        self, party: str, since: Position, before_ms: int, conversations: int, lines: int
    ) -> list[tuple[Conversation, list[StoredMessage]]]:
        """See `HistoryStore.missed_private`: one statement, each conversation's newest line
        and its first lines an index walk on (key, time_ms, seq) (two LATERAL subqueries);
        ties by key in code point order (``COLLATE "C"``, as SQLite's)."""
        readable = " AND NOT restricted AND command IN ('PRIVMSG', 'NOTICE')"
        columns = ", ".join(f"m.{c}" for c in _COLUMNS.split(", "))
        rows = self._query(
            "WITH active AS ("
            "  SELECT c.key, c.party_a, c.party_b, c.nick_a, c.nick_b, n.latest"
            "  FROM conversations AS c CROSS JOIN LATERAL ("
            "   SELECT time_ms AS latest FROM messages WHERE key = c.key"
            "   AND (time_ms, seq) > (%s, %s) AND time_ms < %s" + readable + ""
            "   ORDER BY time_ms DESC, seq DESC LIMIT 1) AS n"
            "  WHERE c.party_a = %s OR c.party_b = %s"
            '  ORDER BY n.latest DESC, c.key COLLATE "C" DESC LIMIT %s)'
            f" SELECT a.key, a.party_a, a.party_b, a.nick_a, a.nick_b, {columns}"
            " FROM active AS a CROSS JOIN LATERAL ("
            f"  SELECT {_COLUMNS} FROM messages WHERE key = a.key"
            "  AND (time_ms, seq) > (%s, %s)" + readable + " ORDER BY time_ms, seq LIMIT %s) AS m"
            ' ORDER BY a.latest, a.key COLLATE "C", m.time_ms, m.seq',
            (*since, before_ms, party, party, conversations, *since, lines),
        )
        return group_missed(rows, _row)

    def latest_times(
        self,
        channels: Mapping[str, tuple[str, str]],
        party: str,
        after_ms: int,
        before_ms: int,
        limit: int,
    ) -> list[tuple[int, str]]:
        """CHATHISTORY TARGETS, as `SqliteBackend.latest_times`: one statement, each
        conversation's newest time an index seek (a correlated MAX over (key, time_ms)), sorted
        by code point (``COLLATE "C"``, as Python's str) in PostgreSQL."""
        keys = list(channels)
        era_list = [channels[k][0] for k in keys]
        names = [channels[k][1] for k in keys]
        rows = self._query(
            "WITH wanted(key, era, name) AS ("
            "  SELECT * FROM unnest(%s::text[], %s::text[], %s::text[])"
            "  UNION ALL SELECT key, NULL,"
            "   CASE WHEN party_a = %s THEN nick_b ELSE nick_a END"
            "  FROM conversations WHERE party_a = %s OR party_b = %s)"
            " SELECT latest, name FROM ("
            "  SELECT name, (SELECT MAX(time_ms) FROM messages AS m WHERE m.key = wanted.key"
            "   AND m.time_ms > %s AND (NOT m.restricted OR m.era = wanted.era)"
            "   AND m.command IN ('PRIVMSG', 'NOTICE')) AS latest"
            "  FROM wanted) AS t"
            ' WHERE latest < %s ORDER BY latest, name COLLATE "C" LIMIT %s',
            (keys, era_list, names, party, party, party, after_ms, before_ms, limit),
        )
        return [(int(latest), str(name)) for latest, name in rows]

    SEARCH_TIME_LIMIT = 0.5  # seconds one SEARCH may run (the spec asks for a timeout)

    def search_indexing(self) -> float | None:
        """Always None: the GIN index is written with each row."""
        return None

    def search(
        self, scope: Mapping[str, Collection[str]], party: str, query: SearchQuery
    ) -> list[StoredMessage]:
        """Full-text search (see `HistoryStore.search`), in one statement, as
        `SqliteBackend.search`: the wanted conversations in a CTE, words through the GIN index
        on `words`, newest first, stopped at `limit`. It runs in a savepoint with a
        statement_timeout of `SEARCH_TIME_LIMIT`: a search stopped by it (`SearchTimeout`)
        leaves the open transaction, and what this node has written, as they were."""
        wanted = [(key, era) for key, eras in scope.items() for era in (eras or ("",))]
        where = [
            "m.key IN (SELECT key FROM wanted)",
            "(NOT m.restricted OR EXISTS (SELECT 1 FROM wanted AS w"
            " WHERE w.key = m.key AND w.era = m.era AND m.era != ''))",
            "m.command IN ('PRIVMSG', 'NOTICE')",
        ]
        args: list[Any] = []
        if query.after_ms is not None:
            where.append("m.time_ms >= %s")
            args.append(query.after_ms)
        if query.before_ms is not None:
            where.append("m.time_ms <= %s")
            args.append(query.before_ms)
        if query.sender:  # the whole nick, ASCII letters without case (as SQLite's LIKE)
            where.append(f"translate(split_part(m.source, '!', 1), '{_UPPER}', '{_LOWER}') = %s")
            args.append(query.sender.translate(_ASCII_LOWER))
        direction = "" if query.from_start else " DESC"
        if query.text:
            match = _tsquery(query.text)
            if match is None:
                return []
            where.insert(0, "m.words @@ %s::tsquery")
            args.insert(0, match)
            order = f"m.seq{direction}"
        else:
            order = f"m.time_ms{direction}, m.seq{direction}"
        sql = (
            "WITH wanted(key, era) AS ("
            " SELECT * FROM unnest(%s::text[], %s::text[])"
            " UNION ALL SELECT key, '' FROM conversations"
            "  WHERE %s != '' AND (party_a = %s OR party_b = %s))"
            f" SELECT {', '.join('m.' + c for c in _COLUMNS.split(', '))} FROM messages AS m"
            f" WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s"
        )
        keys = [k for k, _ in wanted]
        eras = [e for _, e in wanted]
        params = [keys, eras, party, party, party, *args, query.limit]
        self._write_pending()
        timeout_ms = max(1, int(self.SEARCH_TIME_LIMIT * 1000))
        try:
            with self.db.transaction():  # a savepoint inside the open transaction
                settings = f"SET LOCAL statement_timeout = {timeout_ms}"
                if query.text:
                    # the matches through the GIN index, then the newest of them: the planner
                    # otherwise walks all history newest first (or scans it) testing each line
                    # (it cannot tell a rare word from a common one): 9-14 ms for a word in 1
                    # line of 100 at 10,000 lines against 1.5 ms, and a timeout for a rare
                    # word in a long history
                    settings += "; SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off"
                self.db.execute(settings)  # type: ignore[arg-type]
                rows = self.db.execute(sql, params).fetchall()  # type: ignore[arg-type]
                self.db.execute(
                    "SET LOCAL statement_timeout TO DEFAULT; SET LOCAL enable_indexscan TO DEFAULT;"
                    " SET LOCAL enable_seqscan TO DEFAULT"
                )
        except errors.QueryCanceled:
            raise SearchTimeout(f"search stopped after {self.SEARCH_TIME_LIMIT} s") from None
        except psycopg.Error as exc:
            if self.error is None:
                self._failed(exc)
            return []
        found = [_row(r) for r in rows]
        found.sort(key=lambda m: m.position)
        return found

    def prune(self, *, before_ms: int = 0, keep_per_key: int = 0) -> int:
        """All of retention at once (tests, tools): the sum of `prune_batches`."""
        return sum(self.prune_batches(before_ms=before_ms, keep_per_key=keep_per_key))

    def prune_batches(self, *, before_ms: int = 0, keep_per_key: int = 0) -> Iterator[int]:
        """Retention in small steps, as `SqliteBackend.prune_batches`: each `next()` deletes at
        most `PRUNE_BATCH_ROWS` messages in the open transaction; the caller commits between.
        Several nodes may prune at once: they delete the same rows, once."""
        if self.error is not None:
            return
        try:
            yield from self._prune_steps(before_ms, keep_per_key)
        except psycopg.Error as exc:
            self._failed(exc)

    def _prune_steps(self, before_ms: int, keep_per_key: int) -> Iterator[int]:
        if before_ms:
            while True:
                self._write_pending()
                if self.error is not None:
                    return
                keys = self.db.execute(
                    "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages"
                    " WHERE time_ms < %s ORDER BY time_ms LIMIT %s) RETURNING key",
                    (before_ms, self.PRUNE_BATCH_ROWS),
                ).fetchall()
                if keys:
                    self._drop_empty_conversations({k for (k,) in keys})
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
                self._write_pending()
                if self.error is not None:
                    return
                budget = self.PRUNE_BATCH_ROWS
                looked = 0
                while queue and budget and looked < keys_per_batch:
                    key = queue[0]
                    looked += 1
                    deleted = self._prune_key(key, keep_per_key, budget)
                    budget -= deleted
                    if budget:  # this conversation is done (else: more of it next batch)
                        queue.pop(0)
                yield self.PRUNE_BATCH_ROWS - budget

    def _keys_after(self, after: str, limit: int) -> list[str]:
        """The next `limit` conversation keys after `after` (in the index's order): a skip
        scan of the (key, time_ms, seq) index, one seek per key."""
        rows = self.db.execute(
            "WITH RECURSIVE k(key) AS ("
            " SELECT (SELECT MIN(key) FROM messages WHERE key > %s)"
            " UNION ALL SELECT (SELECT MIN(key) FROM messages WHERE key > k.key) FROM k"
            " WHERE k.key IS NOT NULL)"
            " SELECT key FROM k WHERE key IS NOT NULL LIMIT %s",
            (after, limit),
        ).fetchall()
        return [r[0] for r in rows]

    def _prune_key(self, key: str, keep: int, budget: int) -> int:
        """Delete up to `budget` of the oldest messages of `key` beyond its newest `keep`."""
        cut = self.db.execute(
            "SELECT time_ms, seq FROM messages WHERE key = %s"
            " ORDER BY time_ms DESC, seq DESC LIMIT 1 OFFSET %s",
            (key, keep),
        ).fetchone()
        if cut is None:
            return 0
        deleted = self.db.execute(
            "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE key = %s"
            " AND (time_ms, seq) <= (%s, %s) ORDER BY time_ms, seq LIMIT %s) RETURNING key",
            (key, cut[0], cut[1], budget),
        ).fetchall()
        return len(deleted)  # never all of `key` (keep >= 1): its conversation stays

    def _drop_empty_conversations(self, keys: set[str]) -> None:
        """Forget private conversations of `keys` that have no message left."""
        self.db.execute(
            "DELETE FROM conversations WHERE key = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.key = conversations.key)",
            (sorted(keys),),
        )

    # -- accounts --------------------------------------------------------------------------
    def get_account(self, name: str) -> Account | None:
        folded = casefold(name)
        unsaved = self._unsaved_accounts.get(folded)
        if unsaved is not None and self.error is not None:
            return unsaved
        row = self._one(
            "SELECT name, password_hash, email, created FROM accounts WHERE folded = %s",
            (folded,),
        )
        if row:
            return Account(*row)
        return unsaved

    def account_like(self, name: str) -> Account | None:
        """The account called `name`, or else one whose name looks like it (`casemap.clash`),
        from the stored skeletons (one indexed query)."""
        found = self.get_account(name)
        if found is not None:
            return found
        if casemap.current() != "precis":
            return None
        rows = self._query(
            "SELECT folded, name FROM accounts WHERE skeleton = %s ORDER BY folded",
            (_skeleton(name),),
        )
        for folded, display in rows:
            if casemap.clash(name, display):
                return self.get_account(folded)
        for folded, account in self._unsaved_accounts.items():
            if casemap.clash(name, account.name):
                return self.get_account(folded)
        return None

    def create_account(self, account: Account) -> bool:
        """Insert at once (not at the next commit): the name's primary key decides between two
        nodes registering it together (the second waits for the first's commit, then loses)."""
        if self.account_like(account.name) is not None:
            return False
        folded = casefold(account.name)
        account = dataclasses.replace(account, created=account.created or time.time())
        op: Op = (
            _INSERT_ACCOUNT,
            (
                folded,
                account.name,
                account.email,
                account.password_hash,
                account.created,
                _skeleton(account.name),
            ),
        )
        self._write_pending()
        if self.error is not None:
            return False  # Persistence refuses registrations during an outage anyway
        try:
            inserted = self.db.execute(op[0] + " RETURNING folded", op[1]).fetchone()
        except psycopg.Error as exc:
            self._failed(exc)
            return False
        if inserted is None:
            return False
        self._tx_ops.append(op)
        self._unsaved_accounts[folded] = account
        return True

    def set_password(self, name: str, password_hash: str) -> None:
        """Queued even when the account cannot be read now (the database is away): the UPDATE
        changes nothing if there is no such account."""
        folded = casefold(name)
        account = self.get_account(name)
        self._ops.append(
            ("UPDATE accounts SET password_hash = %s WHERE folded = %s", (password_hash, folded))
        )
        if account is not None:
            changed = dataclasses.replace(account, password_hash=password_hash)
            self._unsaved_accounts[folded] = changed
        self._write_pending()

    def message_count(self) -> int:
        row = self._one("SELECT count(*) FROM messages")
        return int(row[0]) if row else 0

    # -- client certificates (SASL EXTERNAL) -------------------------------------------------
    def account_for_cert(self, fingerprint: str) -> Account | None:
        row = self._one("SELECT account FROM account_certs WHERE fingerprint = %s", (fingerprint,))
        return self.get_account(row[0]) if row else None

    def certs_of(self, account: str) -> list[str]:
        rows = self._query(
            "SELECT fingerprint FROM account_certs WHERE account = %s"
            ' ORDER BY fingerprint COLLATE "C"',
            (casefold(account),),
        )
        return [r[0] for r in rows]

    def add_cert(self, account: str, fingerprint: str) -> None:
        self._ops.append(
            (
                "INSERT INTO account_certs (fingerprint, account) VALUES (%s, %s)"
                " ON CONFLICT (fingerprint) DO UPDATE SET account = excluded.account",
                (fingerprint, casefold(account)),
            )
        )
        self._write_pending()

    def remove_cert(self, account: str, fingerprint: str) -> None:
        self._ops.append(
            (
                "DELETE FROM account_certs WHERE fingerprint = %s AND account = %s",
                (fingerprint, casefold(account)),
            )
        )
        self._write_pending()

    # -- what a cluster's replicas keep in memory (server/cluster/store.py) --------------------
    def account_rows(self) -> dict[str, list[list[Any]]]:
        """Every account, certificate, account metadata key, read marker and push subscription,
        as JSON-able rows: what a cluster of nodes loads once, at the network's start, and from
        then on changes only by applying its log, so that every node decides alike
        (docs/cluster.md).
        One transaction, so the rows are of one moment."""
        self._write_pending()
        queries = {
            "accounts": "SELECT name, password_hash, email, created FROM accounts"
            ' ORDER BY folded COLLATE "C"',
            "certs": "SELECT fingerprint, account FROM account_certs"
            ' ORDER BY fingerprint COLLATE "C"',
            "metadata": "SELECT account, key, value FROM account_metadata"
            ' ORDER BY account COLLATE "C", key COLLATE "C"',
            "read_markers": "SELECT account, target, time_ms FROM read_markers"
            ' ORDER BY account COLLATE "C", target COLLATE "C"',
            "push_subscriptions": "SELECT account, endpoint, p256dh, auth, created"
            ' FROM push_subscriptions ORDER BY account COLLATE "C", created, endpoint COLLATE "C"',
        }
        try:
            with self.db.transaction():
                found = {
                    name: [list(row) for row in self.db.execute(sql).fetchall()]  # type: ignore[arg-type]
                    for name, sql in queries.items()
                }
        except psycopg.Error as exc:
            raise StorageError(f"cannot read the accounts in {self.where}: {_cause(exc)}") from None
        return found

    def network_secret(self, name: str, candidate: bytes) -> bytes:
        """The network's secret `name`: `candidate` if the database has none yet (it is kept,
        committed at once), else the one kept by whichever node came first. For a secret that
        must outlive a cluster's Redis (the VAPID key: browsers' subscriptions, kept here, are
        tied to it), and be the same on every node."""
        try:
            with self.db.transaction():
                self.db.execute(
                    "INSERT INTO network_secrets (name, value) VALUES (%s, %s)"
                    " ON CONFLICT (name) DO NOTHING",
                    (name, candidate),
                )
                row = self.db.execute(
                    "SELECT value FROM network_secrets WHERE name = %s", (name,)
                ).fetchone()
            self.db.commit()
        except psycopg.Error as exc:
            raise StorageError(f"cannot read the secrets in {self.where}: {_cause(exc)}") from None
        assert row is not None  # (inserted, or there)
        return bytes(row[0])

    def mark_applied(self, node: int, ms: int, seq: int) -> None:
        """Cluster node `node` wrote what the log entry ``ms-seq`` asked: recorded in the
        same transaction as those writes, so that another node that must read them (its
        client asks CHATHISTORY right after) can tell when they are committed."""
        self._ops.append(
            (
                "INSERT INTO cluster_commits (node, ms, seq) VALUES (%s, %s, %s)"
                " ON CONFLICT (node) DO UPDATE SET ms = excluded.ms, seq = excluded.seq",
                (node, ms, seq),
            )
        )

    def applied(self, nodes: Collection[int]) -> dict[int, tuple[int, int]]:
        """How far each of `nodes` has committed (`mark_applied`): node -> (ms, seq)."""
        rows = self._query(
            "SELECT node, ms, seq FROM cluster_commits WHERE node = ANY(%s)", (sorted(nodes),)
        )
        return {int(n): (int(ms), int(seq)) for n, ms, seq in rows}  # (READ COMMITTED: new)

    # -- server bans (KLINE, DLINE) -----------------------------------------------------------
    def server_bans(self) -> list[ServerBan]:
        rows = self._query(
            "SELECT kind, mask, reason, set_by, set_at, expires_at FROM server_bans ORDER BY set_at"
        )
        return [ServerBan(*row) for row in rows]

    def add_server_ban(self, ban: ServerBan) -> None:
        self._ops.append(
            (
                "INSERT INTO server_bans (kind, mask, reason, set_by, set_at, expires_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (kind, mask) DO UPDATE SET"
                " reason = excluded.reason, set_by = excluded.set_by,"
                " set_at = excluded.set_at, expires_at = excluded.expires_at",
                (ban.kind, ban.mask, ban.reason, ban.set_by, ban.set_at, ban.expires_at),
            )
        )
        self._write_pending()

    def remove_server_ban(self, kind: str, mask: str) -> None:
        self._ops.append(("DELETE FROM server_bans WHERE kind = %s AND mask = %s", (kind, mask)))
        self._write_pending()

    # -- push subscriptions (draft/webpush) -----------------------------------------------
    def push_subscriptions(self, account: str) -> list[PushSubscription]:
        rows = self._query(
            "SELECT account, endpoint, p256dh, auth, created FROM push_subscriptions"
            ' WHERE account = %s ORDER BY created, endpoint COLLATE "C"',
            (account,),
        )
        return [PushSubscription(*row) for row in rows]

    def add_push_subscription(self, subscription: PushSubscription) -> None:
        s = subscription
        self._ops.append(
            (
                "INSERT INTO push_subscriptions (endpoint, account, p256dh, auth, created)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (endpoint) DO UPDATE SET"
                " account = excluded.account, p256dh = excluded.p256dh,"
                " auth = excluded.auth, created = excluded.created",
                (s.endpoint, s.account, s.p256dh, s.auth, s.created),
            )
        )
        self._write_pending()

    def remove_push_subscription(self, account: str, endpoint: str) -> None:
        self._ops.append(
            (
                "DELETE FROM push_subscriptions WHERE endpoint = %s AND account = %s",
                (endpoint, account),
            )
        )
        self._write_pending()

    # -- registered channels (ChanServ) ---------------------------------------------------
    _CHANNEL_COLUMNS = (
        "name, founder, registered_at, era, created, description, topic, topic_setter,"
        " topic_time, modes, key, lim, masks, access, topic_lock, guard"
    )

    def registered_channels(self) -> list[RegisteredChannel]:
        rows = self._query(
            f'SELECT {self._CHANNEL_COLUMNS} FROM registered_channels ORDER BY folded COLLATE "C"'
        )
        return [_channel_row(row) for row in rows]

    def save_channel(self, channel: RegisteredChannel) -> None:
        """Queued, not written: the next commit upserts it (as in the SQLite backend). The
        node where the change was made writes it; the last commit wins."""
        c = channel
        masks = json.dumps([[m.mode, m.mask, m.setter, m.set_at] for m in c.masks])
        access = json.dumps([[a.account, a.mode, a.set_by, a.set_at] for a in c.access])
        columns = self._CHANNEL_COLUMNS.split(", ")
        updates = ", ".join(f"{col} = excluded.{col}" for col in columns)
        self._ops.append(
            (
                f"INSERT INTO registered_channels (folded, {self._CHANNEL_COLUMNS})"
                f" VALUES ({', '.join(['%s'] * (len(columns) + 1))})"
                f" ON CONFLICT (folded) DO UPDATE SET {updates}",
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
                    c.topic_lock,
                    c.guard,
                ),
            )
        )

    def drop_channel(self, name: str) -> None:
        self._ops.append(("DELETE FROM registered_channels WHERE folded = %s", (casefold(name),)))


def _channel_row(row: Sequence[Any]) -> RegisteredChannel:
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


_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
_ASCII_LOWER = str.maketrans(_UPPER, _LOWER)


def _cause(exc: Exception) -> str:
    """What a PostgreSQL error means for an operator, in a few words (its first line)."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    known = {
        "Connection refused": "nothing listens there (is PostgreSQL running?)",
        "password authentication failed": "the password was refused",
        "No space left on device": "the disk is full",
        "could not extend file": "the disk is full",
    }
    for message, cause in known.items():
        if message in first:
            return cause
    return first


def open_postgres(url: str) -> PostgresBackend:
    """The PostgreSQL backend at `url` (schema created or migrated). Raises `StorageError` with
    one sentence when it cannot be reached or used."""
    return PostgresBackend(url)
