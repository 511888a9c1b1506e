"""Full-text search in each backend (SQLite's FTS5 index, PostgreSQL's GIN index of words;
see conftest.py): kept in step with every write, Persian folding, scopes and eras, senders and
times; then what only SQLite has (triggers any client keeps right, old databases, the
progress-handler time limit). PostgreSQL's time limit is in test_postgres.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from socketchat.storage.base import Backend, SearchQuery, SearchTimeout, StoredMessage
from socketchat.storage.fulltext import FOLD, fold, fold_sql, match_query
from socketchat.storage.sqlite import MIGRATIONS, SqliteBackend


def line(key: str, n: int, text: str, **kw: object) -> StoredMessage:
    source = str(kw.pop("source", "alice!u@h"))
    command = str(kw.pop("command", "PRIVMSG"))
    return StoredMessage(key, n, f"m{n}", command, source, key, text, {}, **kw)  # type: ignore[arg-type]


def found(db: Backend, scope: dict[str, tuple[str, ...]], text: str, party: str = "") -> list[str]:
    return [m.text for m in db.search(scope, party, SearchQuery(text=text))]


@pytest.fixture
def sq(tmp_path: Path) -> SqliteBackend:
    backend = SqliteBackend(tmp_path / "t.db")
    yield backend
    backend.close()


def integrity(db: Backend) -> None:
    """FTS5's own check of the index, once the worker has caught up (raises if a delete named
    text it never indexed)."""
    if isinstance(db, SqliteBackend):
        assert db.wait_indexed()
        raw = sqlite3.connect(db.index_path)
        raw.execute("INSERT INTO fts (fts, rank) VALUES ('integrity-check', 1)")
        raw.close()


def in_index(db: SqliteBackend, match: str) -> list[int]:
    """The rowids of the index file's table that `match` finds (once it has caught up)."""
    assert db.wait_indexed()
    raw = sqlite3.connect(db.index_path)
    rows = [r for (r,) in raw.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (match,))]
    raw.close()
    return rows


def test_index_follows_append_delete_prune_and_rename(db: Backend) -> None:
    db.append(line("#a", 1, "alpha beta"))
    assert found(db, {"#a": ()}, "alpha") == ["alpha beta"]  # before commit, as other reads
    db.append(line("#a", 2, "alpha gamma"))
    db.append(line("#b", 3, "alpha delta"))
    db.append(line("#a", 4, "left the room", command="PART"))  # events are not searched
    db.commit()
    assert found(db, {"#a": (), "#b": ()}, "alpha") == ["alpha beta", "alpha gamma", "alpha delta"]
    assert found(db, {"#a": ()}, "room") == []
    db.delete("#a", "m1")
    assert found(db, {"#a": ()}, "alpha") == ["alpha gamma"]
    db.rename_key("#a", "#c", "#c")
    db.commit()
    assert found(db, {"#a": ()}, "alpha") == []
    assert [(m.key, m.target) for m in db.search({"#c": ()}, "", SearchQuery("gamma"))] == [
        ("#c", "#c")
    ]
    assert db.prune(before_ms=3) == 1  # m2
    db.commit()
    assert found(db, {"#c": (), "#b": ()}, "alpha") == ["alpha delta"]
    assert db.prune(keep_per_key=0, before_ms=10) == 2  # m3 and the PART
    db.commit()
    assert found(db, {"#b": ()}, "alpha") == []
    integrity(db)
    if isinstance(db, SqliteBackend):
        assert in_index(db, "alpha OR gamma OR room") == []
        assert db.db.execute("SELECT count(*) FROM search_changes").fetchone()[0] == 0


def test_any_sqlite_client_keeps_the_index_right(sq: SqliteBackend, tmp_path: Path) -> None:
    """The folding lives in SQL triggers: a plain sqlite3 connection (an operator's shell, a
    script) writes and deletes without any function of ours, and the index stays right."""
    db = sq
    db.append(line("#a", 1, "می‌روم"))
    db.commit()
    raw = sqlite3.connect(tmp_path / "t.db")
    raw.execute(
        "INSERT INTO messages (key, time_ms, msgid, command, source, target, text, tags)"
        " VALUES ('#a', 2, 'x', 'PRIVMSG', 's!u@h', '#a', 'كتاب علي', '{}')"
    )
    raw.execute("DELETE FROM messages WHERE msgid = 'm1'")
    raw.execute("UPDATE messages SET text = 'edited words' WHERE msgid = 'x'")
    raw.commit()
    raw.close()
    assert found(db, {"#a": ()}, "میروم") == []
    assert found(db, {"#a": ()}, "کتاب") == []
    assert found(db, {"#a": ()}, "edited") == ["edited words"]
    integrity(db)


def test_old_databases_get_the_index_built(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    before = MIGRATIONS.index(next(m for m in MIGRATIONS if "messages_fts" in m))
    raw.executescript(";".join(MIGRATIONS[:before]) + f"; PRAGMA user_version = {before};")
    raw.execute(
        "INSERT INTO messages (key, time_ms, msgid, command, source, target, text, tags,"
        " restricted) VALUES ('#old', 1, 'a', 'PRIVMSG', 's!u@h', '#old', 'ancient می‌روم',"
        " '{}', 0), ('#old', 2, 'b', 'JOIN', 's!u@h', '#old', 'ancient join', '{}', 0)"
    )
    raw.commit()
    raw.close()
    db = SqliteBackend(path)
    assert db.schema_version == len(MIGRATIONS)
    assert found(db, {"#old": ()}, "ancient") == ["ancient می‌روم"]
    assert found(db, {"#old": ()}, "میروم") == ["ancient می‌روم"]
    db.delete("#old", "a")  # an old row is deleted from the index like a new one
    db.commit()
    assert found(db, {"#old": ()}, "ancient") == []
    integrity(db)
    db.close()


def test_scope_eras_and_private_conversations(db: Backend) -> None:
    db.append(line("#v", 1, "open secret"))
    db.append(line("#v", 2, "closed secret", era="E1", restricted=True))
    db.append(line("#v", 3, "legacy secret", era="", restricted=True))  # before schema 2
    db.append(line("p:a:x a:y", 4, "private secret", sender_id="a:x", recipient_id="a:y"))
    db.append(line("p:a:y a:z", 5, "other secret", sender_id="a:y", recipient_id="a:z"))
    assert found(db, {"#v": ()}, "secret") == ["open secret"]
    assert found(db, {"#v": ("E2",)}, "secret") == ["open secret"]
    assert found(db, {"#v": ("E1",)}, "secret") == ["open secret", "closed secret"]
    assert found(db, {}, "secret", party="a:x") == ["private secret"]
    assert found(db, {}, "secret", party="a:y") == ["private secret", "other secret"]
    assert found(db, {}, "secret", party="a:q") == []
    assert found(db, {}, "secret") == []  # no scope, no party: nothing
    assert found(db, {"#w": ("",)}, "secret") == []


def test_sender_time_and_order(db: Backend) -> None:
    for n in range(1, 9):
        who = "Bob_1" if n % 2 else "bobx1"
        db.append(line("#a", n * 10, f"word {n}", source=f"{who}!u@h"))
    scope = {"#a": ()}

    def ask(**kw: object) -> list[int]:
        return [m.time_ms for m in db.search(scope, "", SearchQuery(**kw))]  # type: ignore[arg-type]

    assert ask(sender="bob_1") == [10, 30, 50, 70]  # `_` is not a wildcard; ASCII case ignored
    assert ask(sender="bob") == []  # the whole nick
    assert ask(text="word", after_ms=30, before_ms=50) == [30, 40, 50]
    assert ask(text="word", limit=3) == [60, 70, 80]  # the newest, oldest first
    assert ask(text="word", after_ms=20, limit=3) == [20, 30, 40]  # from `after`
    assert ask(before_ms=40, limit=2) == [30, 40]


def test_a_slow_search_is_stopped(sq: SqliteBackend) -> None:
    db = sq
    for n in range(2000):
        db.append(line("#busy", n, f"common {n}"))
    db.SEARCH_TIME_LIMIT = -1.0  # type: ignore[misc]
    with pytest.raises(SearchTimeout):
        db.search({"#quiet": ()}, "", SearchQuery("common"))
    db.SEARCH_TIME_LIMIT = 0.5  # type: ignore[misc]
    assert db.search({"#quiet": ()}, "", SearchQuery("common")) == []
    db.append(line("#quiet", 3000, "still writable"))  # the handler is gone afterwards
    db.commit()


def test_folding_in_sql_equals_folding_in_python() -> None:
    raw = sqlite3.connect(":memory:")
    every = "".join(FOLD)
    sample = f"abc {every} می‌روم كتاب ۱۲ x"
    assert raw.execute(f"SELECT {fold_sql('?')}", (sample,)).fetchone()[0] == fold(sample)
    assert fold("می‌روم") == fold("میروم") == "میروم"
    assert fold("كتاب علي") == "کتاب علی"
    assert match_query('say "hi" NEAR(x)') == '"say"* """hi"""* "NEAR(x)"*'
    assert match_query("a ab و می 5") == '"a" "ab"* "و" "می"* "5"'  # one character: whole
    assert match_query(" ... ") is None


def test_persian_folding_and_accents_find_the_same_lines(db: Backend) -> None:
    """What `fulltext.fold` promises, through each backend's own index."""
    db.append(line("#fa", 1, "فردا می‌روم"))
    db.append(line("#fa", 2, "كتاب علي ۱۲ نسخه"))
    db.append(line("#fa", 3, "un café crème, can't stop"))
    scope = {"#fa": ()}
    assert found(db, scope, "میروم") == ["فردا می‌روم"]  # typed without the ZWNJ
    assert found(db, scope, "می‌روم") == ["فردا می‌روم"]
    assert found(db, scope, "کتاب علی") == ["كتاب علي ۱۲ نسخه"]  # Persian letters find Arabic
    assert found(db, scope, "12") == ["كتاب علي ۱۲ نسخه"]
    assert found(db, scope, "cafe CREME") == ["un café crème, can't stop"]
    assert found(db, scope, "caf") == ["un café crème, can't stop"]  # the start of a word
    assert found(db, scope, "can't") == ["un café crème, can't stop"]
    assert found(db, scope, "afé") == []  # not the middle of one
    assert found(db, scope, "café tea") == []  # every word must occur
    assert found(db, scope, " ... ") == []
    assert found(db, scope, "c") == []  # one character is a whole word, not "café", "can't"
    assert found(db, scope, "cr") == ["un café crème, can't stop"]  # two: a word start
    assert found(db, scope, "'\\ \" & | ! :*") == []  # nothing typed is query syntax
