"""Servers for the client tests: ngircd (Debian package) and our own `socketchat serve`.

`irc_server` is parametrized over both; each test gets a fresh server with `host`, `port`,
`kind`, `stop()`, `start()` (same port) and `restart()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

import pytest

from tests.support import free_port
from tests.support.ngircd import Ngircd


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's clients (and the commands it starts) keep their settings file in its own
    folder, never in the user's ~/.config (client/settings.py reads SOCKETCHAT_CONFIG)."""
    path = tmp_path / "config" / "client.json"
    monkeypatch.setenv("SOCKETCHAT_CONFIG", str(path))
    return path


class ServerUnderTest(Protocol):
    host: str
    port: int
    kind: str

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def restart(self) -> None: ...


class NgircdUnderTest(Ngircd):
    kind = "ngircd"


class SocketchatUnderTest:
    """Our server in a background thread (tests.support.server), restartable on one port."""

    kind = "socketchat"

    def __init__(self, directory: Path) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.data_dir = str(directory)
        self._stack: ExitStack | None = None

    def start(self) -> None:
        from tests.support.server import running_server

        if self._stack is not None:
            return
        stack = ExitStack()
        stack.enter_context(running_server(data_dir=self.data_dir, port=self.port))
        self._stack = stack

    def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    def restart(self) -> None:
        self.stop()
        self.start()


def _server_kinds() -> list[str]:
    kinds = ["ngircd"]
    if (Path(__file__).parents[1] / "support" / "server.py").exists():
        kinds.append("socketchat")
    return kinds


SERVER_KINDS = _server_kinds()


@pytest.fixture(params=SERVER_KINDS)
def irc_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerUnderTest]:
    server: NgircdUnderTest | SocketchatUnderTest
    if request.param == "ngircd":
        server = NgircdUnderTest(tmp_path / "ngircd")
    else:
        server = SocketchatUnderTest(tmp_path / "socketchat")
    server.start()
    try:
        yield server
    finally:
        server.stop()
