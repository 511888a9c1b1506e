"""A real PostgreSQL server for the tests: a fresh cluster (initdb) in a temporary directory, on a
free port, started once per test run; each test gets a schema of its own (`database()`).

Debian installs the server binaries in /usr/lib/postgresql/<version>/bin (not on PATH), from the
`postgresql` package that `scripts/setup.sh --test` installs. initdb and postgres refuse to run
as root: as root (CI containers), they run as the `postgres` system user, which owns
the temporary directory. The server is tuned for tests (no fsync: the data is thrown away) and
listens on 127.0.0.1 only, trusting local connections.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support import IN_CI, free_port
from tests.support.processes import die_with_parent, stop_process


def postgres_bin() -> Path:
    """The folder of initdb and postgres; skipped locally, failed in CI, when missing."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if versions:
        return Path(versions[-1]).parent
    message = "required tool 'initdb' (PostgreSQL) is not installed (run scripts/setup.sh --test)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


class PostgresServer:
    """One running PostgreSQL cluster; `database()` makes a fresh database and returns its URL."""

    def __init__(self, durable: bool = False) -> None:
        """`durable`: fsync and synchronous commits as in production (the benchmark); off by
        default, for tests whose data is thrown away."""
        self.durable = durable
        self.bin = postgres_bin()
        # as root, in /tmp itself: the `postgres` user must be able to reach it (a TMPDIR of
        # root's own, such as pytest's, may be closed to it)
        parent = "/tmp" if os.geteuid() == 0 and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="socketchat-pg-", dir=parent))
        self.data = self.root / "data"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _command(self, *argv: str) -> list[str]:
        return list(argv)

    def _as_user(self) -> dict[str, Any]:
        """Popen's arguments that drop root for the `postgres` user (Popen's own setuid, not
        runuser, so that signals reach the server process itself)."""
        if self.user is None:
            return {"cwd": self.root}
        return {"user": self.user, "group": self.user, "extra_groups": [], "cwd": self.root}

    def start(self) -> PostgresServer:
        """initdb, then `run`."""
        initdb = self._command(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        done = subprocess.run(
            initdb, capture_output=True, text=True, timeout=120, **self._as_user()
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
        return self.run()

    def run(self) -> PostgresServer:
        """Start the server on the cluster (again, after `halt`: same port, same data)."""
        server = self._command(
            str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
            "-k", str(self.root), "-c", "listen_addresses=127.0.0.1",
            "-c", "max_connections=200", "-c", "shared_buffers=32MB",
        )  # fmt: skip
        if not self.durable:
            server += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
            server += ["-c", "full_page_writes=off"]
        self.proc = subprocess.Popen(
            server,
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "server.log", "ab"),  # noqa: SIM115 (the child owns it)
            preexec_fn=die_with_parent,
            **self._as_user(),
        )
        deadline = time.monotonic() + 60
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.root / "server.log").read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"PostgreSQL did not start: {log[-2000:]}")
            time.sleep(0.1)
        return self

    def _ready(self) -> bool:
        try:
            with psycopg.connect(self.admin_url, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database(self) -> str:
        """A new empty place to keep data; its URL. A schema of its own in one database (the
        URL sets its search_path), not a database: creating one costs half a second, a schema
        nothing, and the backend's tables, sequence and version table live in the schema."""
        name = "t_" + secrets.token_hex(6)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')  # type: ignore[arg-type]
        return f"{self.admin_url}?options=-csearch_path%3D{name}"

    def drop(self, url: str) -> None:
        name = url.rsplit("%3D", 1)[1]
        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(self.admin_url, autocommit=True) as conn,
        ):
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')  # type: ignore[arg-type]

    def halt(self) -> None:
        """Stop the server (a "fast" shutdown: SIGINT, clients cut off), keeping its data."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                stop_process(self.proc)
        self.proc = None

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)


_shared: PostgresServer | None = None


def shared_postgres() -> PostgresServer:
    """The test run's one PostgreSQL server, started on first use, stopped at exit
    (`stop_shared`, from tests/conftest.py)."""
    global _shared
    if _shared is None:
        _shared = PostgresServer().start()
    return _shared


def stop_shared() -> None:
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty place to keep data on the shared server, dropped afterwards."""
    server = shared_postgres()
    url = server.database()
    try:
        yield url
    finally:
        server.drop(url)


def main() -> None:
    """`python -m tests.support.postgres`: start a server (as for the tests), print its
    maintenance URL on one line, run until SIGTERM or SIGINT, then stop and remove it. For
    scripts/conformance.sh --storage postgresql, whose nodes get a schema each per test."""
    import sys

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = PostgresServer().start()
    try:
        print(server.admin_url, flush=True)
        sys.stdout.close()
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
