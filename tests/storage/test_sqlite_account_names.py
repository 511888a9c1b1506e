"""The in-memory set of account names that lets nick lookups skip SQLite: it must know every
account, whether created by this connection or found in the file when it was opened."""

from __future__ import annotations

from pathlib import Path

from socketchat.storage.base import Account
from socketchat.storage.sqlite import SqliteBackend


def test_accounts_are_found_after_creation_commit_and_reopening(tmp_path: Path) -> None:
    db = SqliteBackend(tmp_path / "t.db")
    assert db.get_account("Alice") is None
    assert db.create_account(Account("Alice", "scrypt$hash", "", 1.0))
    assert db.get_account("ALICE") is not None  # before commit, any case
    db.commit()
    db.close()
    again = SqliteBackend(tmp_path / "t.db")
    found = again.get_account("alice")
    assert found is not None and found.name == "Alice"
    assert again.get_account("bob") is None
    again.close()
