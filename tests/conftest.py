"""Fixtures shared by every test folder."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import stop_shared

# The code under test is this checkout's `src` (pyproject's `pythonpath` puts it first here), and
# so in the servers and clients the tests start as subprocesses: a venv shared by several
# checkouts (git worktrees) has an editable install that points at one of them.
SRC = str(Path(__file__).resolve().parents[1] / "src")
if os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] != SRC:
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (SRC, os.environ.get("PYTHONPATH", "")) if p
    )


@pytest.fixture(scope="session", autouse=True)
def _stop_the_shared_postgres() -> Iterator[None]:
    """The PostgreSQL server some tests start (tests/support/postgres.py) ends with the run."""
    yield
    stop_shared()
