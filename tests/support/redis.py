"""A real redis-server for the cluster tests: on a free port, nothing saved, gone with the test."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support import free_port, require_tool, wait_for_port
from tests.support.processes import die_with_parent, stop_process


@dataclass
class RunningRedis:
    port: int
    process: subprocess.Popen[bytes]
    directory: str
    persistent: bool = False  # an append-only file, fsynced at every write

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def restart(self) -> None:
        """Kill it (SIGKILL) and start it again on the same port: empty, unless persistent
        (then with what its append-only file holds)."""
        self.process.kill()
        self.process.wait(timeout=5)
        self.process = _start(self.port, self.directory, self.persistent)


def _start(port: int, directory: str, persistent: bool = False) -> subprocess.Popen[bytes]:
    binary = require_tool("redis-server")
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    cmd += ["--dir", directory, "--protected-mode", "no"]
    if persistent:
        cmd += ["--appendonly", "yes", "--appendfsync", "always"]
    else:
        cmd += ["--appendonly", "no"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent
    )
    wait_for_port(port)
    return proc


@contextmanager
def running_redis(persistent: bool = False) -> Iterator[RunningRedis]:
    """redis-server on a free port of 127.0.0.1, in memory only unless `persistent`."""
    with tempfile.TemporaryDirectory(prefix="socketchat-redis-") as directory:
        port = free_port()
        server = RunningRedis(port, _start(port, directory, persistent), directory, persistent)
        try:
            yield server
        finally:
            stop_process(server.process)
