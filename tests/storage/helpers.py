"""A sans-I/O server with real storage, on the fake clock: SQLite in a temporary file, or with
``SOCKETCHAT_TEST_STORAGE=postgresql`` a database of its own on the test run's PostgreSQL server
(tests/support/postgres.py), so that every server test written on `stored_net` can be run
against the shared backend too:

    SOCKETCHAT_TEST_STORAGE=postgresql .venv/bin/pytest tests/server -k 'history or account'
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from socketchat.server.compose import build_server
from socketchat.server.config import Limits, ServerConfig
from socketchat.server.persistence import Persistence
from socketchat.storage.base import Backend
from socketchat.storage.postgres import PostgresBackend
from socketchat.storage.sqlite import SqliteBackend
from tests.server.harness import Client, Net
from tests.support.postgres import shared_postgres

STORAGE = os.environ.get("SOCKETCHAT_TEST_STORAGE", "sqlite")
_databases: dict[Path, str] = {}  # tmp_path -> its PostgreSQL database (the same on reopening)
_opened: list[tuple[Path, PostgresBackend]] = []


def open_test_backend(tmp_path: Path) -> Backend:
    """The test's backend: SQLite in `tmp_path`, or its PostgreSQL database (see above). Opening
    it again with the same `tmp_path` is a restart: the same data."""
    if STORAGE == "sqlite":
        return SqliteBackend(tmp_path / "socketchat.db")
    assert STORAGE == "postgresql", f"SOCKETCHAT_TEST_STORAGE={STORAGE!r}: sqlite or postgresql"
    # earlier tests' connections are closed here (tests run one at a time), not left open
    for path, old in [entry for entry in _opened if entry[0] != tmp_path]:
        _opened.remove((path, old))
        if not old.db.closed:
            old.db.close()
    if tmp_path not in _databases:
        _databases[tmp_path] = shared_postgres().database()
    backend = PostgresBackend(_databases[tmp_path])
    _opened.append((tmp_path, backend))
    return backend


def stored_net(tmp_path: Path, **settings: Any) -> Net:
    """`Net` whose server keeps history and accounts in `tmp_path/socketchat.db` (or its
    PostgreSQL database: see the module docstring).

    Flood control is off unless `limits` is given: the fake clock does not move by itself.
    """
    settings.setdefault("limits", Limits().disabled())
    # Always-on (a registered account's user stays when its last device leaves) is the
    # server's default; these tests are about what happens once a user is gone, so they ask
    # for it where they test it (tests/server/commands/test_devices.py).
    settings.setdefault("always_on", False)
    config = dataclasses.replace(ServerConfig(), **settings)
    net = Net(config)
    storage = Persistence(open_test_backend(tmp_path), config)
    net.server = build_server(config, clock=net.clock, storage=storage)
    return net


def persistence(net: Net) -> Persistence:
    storage = net.server.storage
    assert isinstance(storage, Persistence)
    return storage


def texts(messages: list[Any], command: str = "PRIVMSG") -> list[str]:
    return [m.param(1) for m in messages if m.command == command]


__all__ = ["Client", "persistence", "stored_net", "texts"]
