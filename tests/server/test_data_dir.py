"""`socketchat serve` with a data directory that cannot work, and the modes of what it keeps.

A bad data dir at start is one sentence on stderr naming the path and the cause, exit code 1,
no traceback. Each case runs the real command on a real filesystem (a small tmpfs for the full
and read-only ones: tests/support/tmpfs.py).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import spawned_server
from tests.support.tmpfs import fill, remount_read_only, small_tmpfs


def serve(data_dir: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(free_port())]
    cmd += ["--web-port", "0", "--data-dir", str(data_dir)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)


def assert_refused(result: subprocess.CompletedProcess[str], path: Path, cause: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("socketchat serve: ")
    assert str(path) in lines[0]
    assert cause in lines[0], lines[0]
    assert "IRC on" not in result.stdout  # it never started listening


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.write_text("not a directory")
    assert_refused(serve(target), target, "is not a directory")


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "data"  # a parent is a regular file
    assert_refused(serve(target), target, "not a directory")


def test_a_shared_directory_such_as_tmp_is_refused_and_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    assert_refused(serve(shared), shared, "shared")
    assert mode(shared) == 0o1777


def test_missing_data_dir_on_a_read_only_filesystem() -> None:
    with small_tmpfs() as mnt:
        remount_read_only(mnt)
        target = mnt / "parent" / "data"
        assert_refused(serve(target), target, "read-only")


def test_read_only_data_dir_with_a_database() -> None:
    with small_tmpfs() as mnt:
        data = mnt / "data"
        with spawned_server(data_dir=str(data)) as srv:  # a real database, then stopped
            IRCClient(srv.port).register("alice").send("QUIT")
            assert srv.process is not None
            srv.process.terminate()
            assert srv.process.wait(timeout=10) == 0
        assert (data / "socketchat.db").exists()
        remount_read_only(mnt)
        assert_refused(serve(data), data, "read-only")


def test_full_data_dir() -> None:
    with small_tmpfs() as mnt:
        data = mnt / "data"
        data.mkdir(mode=0o700)
        fill(mnt)
        assert_refused(serve(data), data, "no space is left")


def test_nearly_full_data_dir_is_refused_too() -> None:
    with small_tmpfs() as mnt:
        data = mnt / "data"
        data.mkdir(mode=0o700)
        filler = fill(mnt)
        os.truncate(filler, filler.stat().st_size - 256 * 1024)  # room for the probe only
        assert_refused(serve(data), data, "nearly full")


@pytest.mark.parametrize(
    "content",
    [b"this is not a database\n" * 100, b"SQLite format 3\0" + b"\xff" * 4000],
    ids=["garbage", "damaged-header"],
)
def test_corrupt_database(tmp_path: Path, content: bytes) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "socketchat.db").write_bytes(content)
    (data / "socketchat.db").chmod(0o600)
    assert_refused(serve(data), data / "socketchat.db", "damaged")


# -- modes -------------------------------------------------------------------------------------
def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_data_dir_is_0700_and_every_file_in_it_0600(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    with spawned_server("--config", str(cloak_config(tmp_path)), data_dir=str(data)) as srv:
        alice = IRCClient(srv.port).register("alice")
        alice.send("JOIN #lobby", "PRIVMSG #lobby :hello")
        alice.expect("366")
        alice.send("PING sync")
        alice.expect("PONG")
        names = {p.name for p in data.iterdir()}
        assert {"socketchat.db", "socketchat.db-wal", "socketchat.db-shm", "cloak.key"} <= names
        assert mode(data) == 0o700
        for path in data.iterdir():
            assert mode(path) == 0o600, (path, oct(mode(path)))


def test_existing_loose_data_dir_is_tightened_with_a_warning(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with spawned_server(data_dir=str(data)) as srv:  # make a database
        assert srv.process is not None
        srv.process.terminate()
        assert srv.process.wait(timeout=10) == 0
    data.chmod(0o755)
    (data / "socketchat.db").chmod(0o644)
    (data / "cloak.key").chmod(0o644)
    with spawned_server(data_dir=str(data)) as srv:
        IRCClient(srv.port).register("bob")
        assert mode(data) == 0o700
        for path in data.iterdir():
            assert mode(path) == 0o600, (path, oct(mode(path)))
        assert srv.process is not None
        srv.process.terminate()
        srv.process.wait(timeout=10)
        out = srv.output()
    [warning] = [line for line in out.splitlines() if "tightened permissions" in line]
    assert "WARNING" in warning and str(data) in warning and "0755" in warning


def cloak_config(tmp_path: Path) -> Path:
    path = tmp_path / "cloak.toml"
    path.write_text("[server]\ncloak_hosts = true\n")
    return path


def test_cloaks_are_the_same_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    hosts = []
    for _ in range(2):
        with spawned_server("--config", str(cloak_config(tmp_path)), data_dir=str(data)) as srv:
            c = IRCClient(srv.port).register("carol")
            c.send("WHOIS carol")
            whois = c.expect("311")
            hosts.append(whois.param(3))
            assert srv.process is not None
            srv.process.terminate()
            assert srv.process.wait(timeout=10) == 0
    assert hosts[0].endswith(".cloak.socketchat") and "127.0.0.1" not in hosts[0]
    assert hosts[0] == hosts[1]
    key = data / "cloak.key"
    assert mode(key) == 0o600 and len(key.read_bytes()) == 32


def test_a_damaged_cloak_key_is_refused_not_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "cloak.key").write_bytes(b"short")
    (data / "cloak.key").chmod(0o600)
    assert_refused(serve(data), data / "cloak.key", "damaged")
    assert (data / "cloak.key").read_bytes() == b"short"


def test_a_second_server_on_the_same_data_dir_is_refused_before_it_touches_it(
    tmp_path: Path,
) -> None:
    """Two servers on one data directory would both write its database; a second start by
    mistake that failed only at its port had restored the always-on users and, stopping,
    stamped their last-seen time. The first one holds a lock; the second says so."""
    data = tmp_path / "data"
    with spawned_server(data_dir=str(data)) as srv:
        result = serve(data)  # one line, nothing else: no migration, no always-on restored
        assert_refused(result, data, "is in use by another socketchat serve")
        assert srv.process is not None and f"(pid {srv.process.pid})" in result.stderr
    assert serve_briefly(data)  # released when the server stopped


def serve_briefly(data_dir: Path) -> bool:
    """Start a server on `data_dir` and stop it once it listens: did it start?"""
    cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(free_port())]
    cmd += ["--web-port", "0", "--data-dir", str(data_dir)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("socketchat: IRC on"):
                proc.terminate()
                proc.wait(timeout=20)
                return True
        proc.wait(timeout=20)
        return False
