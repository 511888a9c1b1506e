"""The real `socketchat gui` process, used from outside with xdotool as a person would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import require_tool
from tests.support.irc import IRCClient
from tests.support.server import RunningServer, running_server


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with running_server() as srv:
        yield srv


@pytest.fixture
def bob(server: RunningServer) -> Iterator[IRCClient]:
    client = IRCClient(server.port).register("bob")
    client.send("JOIN #lobby")
    client.expect("366")
    yield client
    client.close()


class Xdo:
    def __init__(self, display: str) -> None:
        self.binary = require_tool("xdotool")
        self.display = display

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            [self.binary, *args], capture_output=True, text=True, timeout=20, check=True
        )
        return done.stdout.strip()

    def window(self, pattern: str) -> str:
        return self("search", "--sync", "--name", pattern).split()[0]

    def geometry(self, window: str) -> tuple[int, int, int, int]:
        values = dict(
            line.split("=", 1) for line in self("getwindowgeometry", "--shell", window).split()
        )
        return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])

    def type_line(self, text: str) -> None:
        self("type", "--delay", "10", text)
        self("key", "Return")


@pytest.fixture
def xdo(display: str) -> Xdo:
    return Xdo(display)


def spawn_gui(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log = (tmp_path / "gui.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "socketchat", "gui", *args],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )


def finish(proc: subprocess.Popen[bytes], tmp_path: Path) -> int:
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        raise AssertionError((tmp_path / "gui.log").read_text(errors="replace")) from None


def test_typing_into_the_real_window(
    server: RunningServer, bob: IRCClient, xdo: Xdo, tmp_path: Path
) -> None:
    proc = spawn_gui(tmp_path, "--nick", "carl", "--port", str(server.port))
    try:
        window = xdo.window("^socketchat.*carl$")
        bob.expect("JOIN", lambda m: (m.source or "").startswith("carl!"))
        x, y, width, height = xdo.geometry(window)
        # The entry line sits above the status bar: click into it first, then type.
        xdo("mousemove", "--sync", str(x + width // 3), str(y + height - 52), "click", "1")
        xdo.type_line("typed by a person")
        bob.expect(
            "PRIVMSG", lambda m: m.param(0) == "#lobby" and m.param(1) == "typed by a person"
        )
        xdo.type_line("/exit")
        bob.expect("QUIT", lambda m: (m.source or "").startswith("carl!"))
        assert finish(proc, tmp_path) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_without_nick_a_dialog_asks_for_it(
    server: RunningServer, bob: IRCClient, xdo: Xdo, tmp_path: Path
) -> None:
    proc = spawn_gui(tmp_path, "--port", str(server.port))
    try:
        dialog = xdo.window("sign in")
        # Nothing connects before the dialog is answered.
        assert not [m for m in bob.collect(0.3) if m.command == "JOIN"]
        x, y, _w, _h = xdo.geometry(dialog)
        xdo("mousemove", "--sync", str(x + 20), str(y + 20))  # no WM here: focus follows mouse
        xdo.type_line("dora")
        bob.expect("JOIN", lambda m: (m.source or "").startswith("dora!"))
        xdo.window("^socketchat.*dora$")
    finally:
        proc.terminate()
        proc.wait(10)


def _account(server: RunningServer, name: str, password: str) -> None:
    maker = IRCClient(server.port).register(name)
    maker.send(f"PRIVMSG NickServ :REGISTER {password}")
    maker.expect("NOTICE", lambda m: "registered" in m.param(1))
    maker.send("QUIT")
    maker.closed_by_server()


def _logged_in(bob: IRCClient, nick: str) -> bool:
    for _ in range(50):
        start = len(bob.log)
        bob.send(f"WHOIS {nick}")
        bob.expect("318")
        if any(m.command == "330" for m in bob.log[start:]):
            return True
        bob.collect(0.2)
    return False


def test_account_password_from_the_environment_never_on_the_command_line(
    server: RunningServer, bob: IRCClient, display: str, tmp_path: Path
) -> None:
    _account(server, "erin", "erin-password")
    env = {**os.environ, "SOCKETCHAT_PASSWORD": "erin-password"}
    args = ["--nick", "erin", "--account", "erin", "--port", str(server.port)]
    proc = spawn_gui(tmp_path, *args, env=env)
    try:
        bob.expect("JOIN", lambda m: (m.source or "").startswith("erin!"))
        assert _logged_in(bob, "erin")
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert b"erin-password" not in cmdline
    finally:
        proc.terminate()
        proc.wait(10)


def test_account_password_asked_in_a_dialog_without_a_terminal(
    server: RunningServer, bob: IRCClient, xdo: Xdo, tmp_path: Path
) -> None:
    _account(server, "fay", "fay-password")
    # no password from the environment; the settings file stays the test's own (without it
    # the command read ~/.config/socketchat, and a Persian interface saved there renamed the
    # dialog this test looks for)
    env = {
        k: v for k, v in os.environ.items() if k == "SOCKETCHAT_CONFIG" or "SOCKETCHAT_" not in k
    }
    proc = spawn_gui(
        tmp_path, "--nick", "fay", "--account", "fay", "--port", str(server.port), env=env
    )
    try:
        dialog = xdo.window("password")
        xdo("windowfocus", "--sync", dialog)  # no WM here to give the dialog focus
        xdo.type_line("fay-password")
        bob.expect("JOIN", lambda m: (m.source or "").startswith("fay!"))
        assert _logged_in(bob, "fay")
    finally:
        proc.terminate()
        proc.wait(10)
