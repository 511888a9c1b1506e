"""The storage tests run against both backends: SQLite (the embedded default, the reference) and
PostgreSQL (the shared store of a cluster), so that the two cannot drift apart.

`backend_kind` is parametrized; `open_db()` opens the backend of the test (again, after a
close, on the same data: a restart), `db` is one opened for the test and closed after it.
The PostgreSQL server is real: started once per run in a temporary directory
(tests/support/postgres.py), with a fresh database per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from socketchat.storage.base import Backend
from socketchat.storage.postgres import PostgresBackend
from socketchat.storage.sqlite import SqliteBackend
from tests.support.postgres import fresh_database

BACKENDS = ("sqlite", "postgresql")

OpenDb = Callable[[], Backend]


@pytest.fixture(params=BACKENDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_db(backend_kind: str, tmp_path: Path) -> Iterator[OpenDb]:
    if backend_kind == "sqlite":
        yield lambda: SqliteBackend(tmp_path / "t.db")
        return
    with fresh_database() as url:
        yield lambda: PostgresBackend(url)


@pytest.fixture
def db(open_db: OpenDb) -> Iterator[Backend]:
    backend = open_db()
    yield backend
    backend.close()
