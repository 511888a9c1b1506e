"""Fixtures shared by every test folder."""

from collections.abc import Iterator

import pytest

from tests.support.postgres import stop_shared


@pytest.fixture(scope="session", autouse=True)
def _stop_the_shared_postgres() -> Iterator[None]:
    """The PostgreSQL server some tests start (tests/support/postgres.py) ends with the run."""
    yield
    stop_shared()
