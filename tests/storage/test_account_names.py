"""Account names and their lookalikes, in both backends: SQLite answers from an in-memory set
of names and skeletons that must know every account, whether created by this connection or found
in the file when it was opened; PostgreSQL from stored skeletons, which must give the same
answers."""

from __future__ import annotations

from socketchat.irc import casemap
from socketchat.storage.base import Account
from tests.storage.conftest import OpenDb


def test_accounts_are_found_after_creation_commit_and_reopening(open_db: OpenDb) -> None:
    db = open_db()
    assert db.get_account("Alice") is None
    assert db.create_account(Account("Alice", "scrypt$hash", "", 1.0))
    assert db.get_account("ALICE") is not None  # before commit, any case
    db.commit()
    db.close()
    again = open_db()
    found = again.get_account("alice")
    assert found is not None and found.name == "Alice"
    assert again.get_account("bob") is None
    again.close()


def test_the_skeleton_index_finds_lookalikes_after_reopening(open_db: OpenDb) -> None:
    """`account_like` answers from the skeleton index built at open: Cyrillic "рау" is the
    account "pay" once the file is opened again, and "рау" cannot be created beside it."""
    lookalike = "\u0440\u0430\u0443"
    db = open_db()
    assert db.create_account(Account("pay", "scrypt$hash", "", 1.0))
    found = db.account_like(lookalike)  # before commit, from what create_account indexed
    assert found is not None and found.name == "pay"
    db.commit()
    db.close()
    again = open_db()
    assert again.get_account(lookalike) is None  # not the same name
    found = again.account_like(lookalike)
    assert found is not None and found.name == "pay"
    assert again.account_like("PAY") is not None
    assert again.account_like("paul") is None
    assert not again.create_account(Account(lookalike, "scrypt$other", "", 2.0))
    assert again.create_account(Account("\u0431\u043e\u0440\u044f", "scrypt$h", "", 3.0))
    found = again.account_like("\u0431\u043e\u0440\u044f".upper())
    assert found is not None and found.name == "\u0431\u043e\u0440\u044f"
    again.close()


def test_the_skeleton_index_follows_the_casemapping_set_after_opening(open_db: OpenDb) -> None:
    """A `Server` sets the casemapping after storage is opened: an index built under `ascii`
    (no skeletons) is built again when `precis` comes into force, and under `ascii` only the
    folded name counts."""
    db = open_db()
    assert db.create_account(Account("pay", "scrypt$hash", "", 1.0))
    db.commit()
    db.close()
    before = casemap.current()
    try:
        casemap.use("ascii")
        again = open_db()
        assert again.account_like("\u0440\u0430\u0443") is None
        assert again.create_account(Account("\u0431\u043e\u0440\u044f", "scrypt$h", "", 2.0))
        casemap.use("precis")
        found = again.account_like("\u0440\u0430\u0443")
        assert found is not None and found.name == "pay"
        found = again.account_like("\u0431\u043e\u0440\u044f")  # created meanwhile, unsaved
        assert found is not None
        again.close()
    finally:
        casemap.use(before)
