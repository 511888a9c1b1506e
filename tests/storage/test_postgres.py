"""What only the PostgreSQL backend has: a server that may be unreachable or go away, and
several nodes writing one database at once (every test here runs a real PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from socketchat.storage.base import (
    Account,
    PushSubscription,
    SearchQuery,
    SearchTimeout,
    StorageError,
    StoredMessage,
)
from socketchat.storage.postgres import MIGRATIONS, PostgresBackend, redact_url
from tests.support import free_port
from tests.support.postgres import PostgresServer, fresh_database


def msg(key: str, n: int) -> StoredMessage:
    tags = {"msgid": f"m{n}"}
    return StoredMessage(key, 1000 + n, f"m{n}", "PRIVMSG", "a!u@h", key, f"t{n}", tags)


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_database() as u:
        yield u


def test_unreachable_at_start_is_one_sentence_without_the_password() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(StorageError) as caught:
        PostgresBackend(f"postgresql://chat:s3cret@127.0.0.1:{port}/chat")
    text = str(caught.value)
    assert text == (
        f"cannot connect to postgresql://chat@127.0.0.1:{port}/chat:"
        " nothing listens there (is PostgreSQL running?)"
    )
    assert "s3cret" not in text and "\n" not in text


def test_redact_url() -> None:
    assert redact_url("postgresql://u:p@h:1/d?x=1") == "postgresql://u@h:1/d?x=1"
    assert redact_url("postgresql://h/d") == "postgresql://h/d"
    assert redact_url("postgresql://:p@h/d") == "postgresql://h/d"


def test_a_missing_database_is_one_sentence(url: str) -> None:
    missing = url.split("?")[0].rsplit("/", 1)[0] + "/no_such_db"
    with pytest.raises(StorageError, match=r'^cannot connect to .*no_such_db: .*"no_such_db"'):
        PostgresBackend(missing)


def test_two_nodes_share_history_accounts_and_positions(url: str) -> None:
    a, b = PostgresBackend(url), PostgresBackend(url)
    try:
        a.append(msg("#x", 1))
        b.append(msg("#x", 2))
        assert [m.msgid for m in b.before("#x", None, 10)] == ["m2"]  # a's is not committed
        a.commit()
        b.commit()
        seen_a = a.before("#x", None, 10)
        assert (
            [m.msgid for m in seen_a] == ["m1", "m2"] == [m.msgid for m in b.before("#x", None, 10)]
        )
        assert len({m.seq for m in seen_a}) == 2  # one sequence for every node
        assert a.create_account(Account("Alice", "h1"))
        a.commit()
        found = b.get_account("ALICE")  # nothing cached on b: found at once
        assert found is not None and found.name == "Alice"
        assert not b.create_account(Account("alice", "h2"))
        assert b.account_like("\u0430lice") is not None  # Cyrillic a: a lookalike
        b.set_password("alice", "h3")
        b.add_cert("alice", "ab" * 32)
        b.set_read_marker("alice", "#x", 1500)
        b.commit()
        assert a.get_account("alice") == Account("Alice", "h3", "", found.created)
        assert a.account_for_cert("ab" * 32) == a.get_account("alice")
        assert a.get_read_marker("alice", "#x") == 1500
    finally:
        a.close()
        b.close()


def test_one_name_registered_on_two_nodes_at_once_goes_to_one(url: str) -> None:
    """Node b's insert waits for node a's transaction (the name's row lock), then loses: the
    primary key decides, not a check made before either committed."""
    a, b = PostgresBackend(url), PostgresBackend(url)
    try:
        assert a.create_account(Account("dora", "from-a"))  # in a's open transaction
        result: list[bool] = []
        racer = threading.Thread(
            target=lambda: result.append(b.create_account(Account("Dora", "b")))
        )
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive()  # waiting on a's uncommitted row
        a.commit()
        racer.join(timeout=10)
        assert result == [False]
        b.commit()
        assert b.get_account("dora") == a.get_account("dora")
        assert b.get_account("dora").password_hash == "from-a"  # type: ignore[union-attr]
    finally:
        a.close()
        b.close()


def test_nodes_starting_together_migrate_once(url: str) -> None:
    opened: list[PostgresBackend] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(PostgresBackend(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(opened) == 4
    assert {db.schema_version for db in opened} == {len(MIGRATIONS)}
    for db in opened:
        db.close()


def test_a_network_secret_is_the_first_nodes_for_every_node(url: str) -> None:
    """`network_secret` (a cluster's VAPID key): the first candidate is kept, committed at once;
    every later node, and nodes starting together, get that one, not their own."""
    nodes = [PostgresBackend(url) for _ in range(4)]
    try:
        assert nodes[0].network_secret("vapid", b"1" * 32) == b"1" * 32
        assert nodes[1].network_secret("vapid", b"2" * 32) == b"1" * 32
        got: list[bytes] = []
        threads = [
            threading.Thread(
                target=lambda db=db, n=n: got.append(db.network_secret("raced", bytes([n]) * 32))
            )
            for n, db in enumerate(nodes)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert len(got) == 4 and len(set(got)) == 1
        assert got[0] in {bytes([n]) * 32 for n in range(4)}
    finally:
        for db in nodes:
            db.close()


def test_the_cluster_snapshot_rows_carry_every_push_subscription(url: str) -> None:
    """`account_rows` (what a cluster's nodes load at the network's start): the push
    subscriptions too, per account oldest first, as `push_subscriptions` orders them."""
    db = PostgresBackend(url)
    try:
        db.add_push_subscription(PushSubscription("bob", "https://p/2", "k2", "a2", 20.0))
        db.add_push_subscription(PushSubscription("alice", "https://p/3", "k3", "a3", 30.0))
        db.add_push_subscription(PushSubscription("alice", "https://p/1", "k1", "a1", 10.0))
        db.commit()
        assert db.account_rows()["push_subscriptions"] == [
            ["alice", "https://p/1", "k1", "a1", 10.0],
            ["alice", "https://p/3", "k3", "a3", 30.0],
            ["bob", "https://p/2", "k2", "a2", 20.0],
        ]
    finally:
        db.close()


def test_a_server_that_goes_away_and_comes_back_loses_nothing() -> None:
    """PostgreSQL stops (fast shutdown: connections cut): commits fail with one sentence, every
    write waits in memory, reads answer nothing; once it is back, the next commit reconnects and
    writes the whole queue."""
    server = PostgresServer().start()
    try:
        db = PostgresBackend(server.database())
        db.append(msg("#a", 1))
        assert db.create_account(Account("Dora", "hash1"))
        db.commit()
        server.halt()
        for n in range(2, 6):
            assert db.append(msg("#a", n))
        db.set_password("dora", "hash2")
        db.set_marker("dora", "#a", (1005, 1))
        with pytest.raises(
            StorageError, match=r"^cannot (write|connect) to postgresql://postgres@"
        ):
            db.commit()
        assert db.unsaved() == (4, 0)
        assert db.before("#a", None, 10) == []  # nothing to read from
        assert db.get_marker("dora", "#a") == (1005, 1)  # what is only in memory
        assert not db.create_account(Account("Eve", "h"))  # refused, not half-made
        with pytest.raises(StorageError, match="cannot connect"):
            db.commit()  # still down: the retry fails at once
        server.run()
        db.commit()
        assert db.unsaved() == (0, 0)
        assert [m.msgid for m in db.before("#a", None, 10)] == [f"m{n}" for n in range(1, 6)]
        assert db.get_account("dora").password_hash == "hash2"  # type: ignore[union-attr]
        assert db.get_marker("dora", "#a") == (1005, 1)
        db.close()
    finally:
        server.stop()


def test_a_slow_search_is_stopped_and_leaves_the_transaction_alone(url: str) -> None:
    """Another session holds the private conversations' table locked, so a search that reads
    it waits: statement_timeout stops it (SearchTimeout), inside a savepoint, so this node's
    unsaved writes are still there. (Not `messages`: this node's open transaction has written
    to it, and the lock would wait for that.)"""
    db = PostgresBackend(url)
    try:
        db.append(msg("#a", 1))
        db.commit()
        db.append(msg("#a", 2))  # not committed yet
        db.find("#a", "m2")  # written into the open transaction
        with psycopg.connect(url) as other:
            other.execute("LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE")
            db.SEARCH_TIME_LIMIT = 0.2
            with pytest.raises(SearchTimeout):
                db.search({"#a": ()}, "a:x", SearchQuery("t1"))
            other.rollback()
        assert [m.text for m in db.search({"#a": ()}, "", SearchQuery("t2"))] == ["t2"]
        db.commit()
        assert [m.msgid for m in db.before("#a", None, 10)] == ["m1", "m2"]
    finally:
        db.close()


def test_checkpoint_gives_the_planner_statistics_so_history_reads_use_the_index(
    url: str,
) -> None:
    """A table that grew since the last ANALYZE is analyzed by `checkpoint` (off the loop),
    and LATEST is then an index scan, not a sort of the whole channel."""
    db = PostgresBackend(url)
    try:
        for n in range(2000):
            db.append(msg("#big", n))
        db.commit()

        def reltuples() -> float:
            with psycopg.connect(url) as conn:
                row = conn.execute(
                    "SELECT reltuples FROM pg_class WHERE oid = 'messages'::regclass"
                ).fetchone()
            assert row is not None
            return float(row[0])

        assert reltuples() == -1  # never analyzed: the planner guesses
        db.checkpoint()
        assert reltuples() >= 2000
        plan = db.db.execute(
            "EXPLAIN SELECT * FROM messages WHERE key = '#big'"
            " ORDER BY time_ms DESC, seq DESC LIMIT 50"
        ).fetchall()
        assert "Index Scan Backward using messages_key_time" in plan[1][0]
        db.checkpoint()  # nothing new since: no second ANALYZE
        db.commit()
    finally:
        db.close()
    db.checkpoint()  # after close: nothing, no error


def test_a_search_leaves_the_sessions_settings_as_they_were(url: str) -> None:
    """A text search plans with index and sequential scans off (the GIN index, then the
    newest matches) under a statement_timeout: all three are back for what follows, in the
    same open transaction."""
    db = PostgresBackend(url)
    try:
        db.append(msg("#a", 1))
        assert [m.text for m in db.search({"#a": ()}, "", SearchQuery("t1"))] == ["t1"]
        settings = [
            db.db.execute(f"SHOW {name}").fetchone()
            for name in ("enable_indexscan", "enable_seqscan", "statement_timeout")
        ]
        assert settings == [("on",), ("on",), ("0",)]
        db.commit()
    finally:
        db.close()
