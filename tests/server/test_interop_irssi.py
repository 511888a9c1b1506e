"""Interop: the real irssi, driven in a private tmux, chats with a raw client via our server."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import require_tool
from tests.support.irc import IRCClient
from tests.support.server import running_server


class Tmux:
    """One private tmux server (`-L`), one session running a command."""

    def __init__(self, tmux: str, command: str, cwd: Path) -> None:
        self.tmux = tmux
        self.socket = f"socketchat-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.cwd = cwd
        self._run("new-session", "-d", "-s", "t", "-x", "200", "-y", "50", command)

    def _run(self, *args: str) -> str:
        result = subprocess.run(
            [self.tmux, "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=self.cwd,
            env={**os.environ, "TERM": "xterm-256color", "HOME": str(self.cwd)},
        )
        return result.stdout

    def type(self, text: str) -> None:
        self._run("send-keys", "-t", "t", "-l", text)
        self._run("send-keys", "-t", "t", "Enter")

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        pytest.fail(f"{text!r} never appeared in irssi; screen:\n{self.screen()}")

    def kill(self) -> None:
        self._run("kill-server")


@contextmanager
def irssi(port: int, nick: str, home: Path) -> Iterator[Tmux]:
    binary = require_tool("irssi")
    tmux = require_tool("tmux")
    home.mkdir(parents=True, exist_ok=True)
    # irssi paces its own output (5 commands, then one per 2.2 s): not what this test is about
    (home / "config").write_text(
        'settings = { "irc/core" = { cmd_queue_speed = "0msec"; cmds_max_at_once = "50"; }; };\n'
    )
    session = Tmux(tmux, f"{binary} --home={home} -c 127.0.0.1 -p {port} -n {nick}", home)
    try:
        yield session
    finally:
        session.kill()


def test_irssi_joins_the_lobby_and_chats_with_a_raw_client(tmp_path: Path) -> None:
    with running_server() as srv:
        raw = IRCClient(srv.port).register("rawbot")
        raw.send("JOIN #lobby")
        raw.expect("366")
        with irssi(srv.port, "irssiuser", tmp_path / "irssi") as ui:
            ui.wait_for("Welcome to the socketchat IRC network")
            ui.type("/join #lobby")
            join = raw.expect("JOIN", lambda m: m.nick == "irssiuser")
            assert join.param(0) == "#lobby"
            ui.wait_for("Total of 2 nicks")  # irssi got NAMES right
            ui.type("hello from irssi")
            said = raw.expect("PRIVMSG", lambda m: m.nick == "irssiuser")
            assert said.params == ("#lobby", "hello from irssi")
            raw.send("PRIVMSG #lobby :hello from the raw client")
            ui.wait_for("hello from the raw client")
            ui.type("/topic Tested with irssi")  # rawbot is the op and the channel is +t
            ui.wait_for("You're not channel operator")  # 482
            raw.send("TOPIC #lobby :Tested with irssi")
            ui.wait_for("changed the topic of #lobby to: Tested with irssi")
            ui.type("/msg rawbot just between us")
            private = raw.expect("PRIVMSG", lambda m: m.param(0) == "rawbot")
            assert private.param(1) == "just between us"
            ui.type("/nick irssi2")
            assert raw.expect("NICK").params == ("irssi2",)
            ui.type("/quit see you")
            quit_msg = raw.expect("QUIT", lambda m: m.nick == "irssi2")
            assert quit_msg.param(0) == "Quit: see you"


def _wait_logged_in(raw: IRCClient, nick: str) -> None:
    """Until WHOIS shows `nick` logged in (330): NickServ's answer lands in another window."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        start = len(raw.log)
        raw.send(f"WHOIS {nick}")
        raw.expect("318")
        if any(m.command == "330" and m.param(1) == nick for m in raw.log[start:]):
            return
        time.sleep(0.1)
    pytest.fail(f"{nick} never logged in")


def test_irssi_reconnecting_twice_never_sees_a_line_again(tmp_path: Path) -> None:
    """Replay on join to a plain client with an account: only what it missed, framed as
    history; the real irssi reconnects twice (a fresh process each time, as after a restart).
    Without always-on: here dave's QUIT ends him (with it he would stay, and return the same)."""
    with running_server(data_dir=str(tmp_path / "data"), always_on=False) as srv:
        raw = IRCClient(srv.port).register("rawbot")
        raw.send("JOIN #room", "PRIVMSG #room :said before dave came")
        raw.expect("366")
        screens: list[str] = []
        for round_ in range(3):
            with irssi(srv.port, "dave", tmp_path / f"irssi{round_}") as ui:
                ui.wait_for("Welcome to the socketchat IRC network")
                verb = "REGISTER" if round_ == 0 else "IDENTIFY"
                ui.type(f"/msg NickServ {verb} dave-password")
                _wait_logged_in(raw, "dave")
                ui.type("/join #room")
                raw.expect("JOIN", lambda m: m.nick == "dave")
                ui.wait_for("Total of 2 nicks")
                raw.send(f"PRIVMSG #room :live line {round_}")
                screens.append(ui.wait_for(f"live line {round_}"))
                ui.type("/quit bye")
                raw.expect("QUIT", lambda m: m.nick == "dave")
            if round_ == 0:
                raw.send("PRIVMSG #room :said while dave was away")
        first, second, third = screens
        assert "--- history ---" in first and "said before dave came" in first
        assert "--- history ---" in second and "said while dave was away" in second
        assert "said before dave came" not in second and "live line 0" not in second
        assert "--- history ---" not in third
        for old in ("said before dave came", "said while dave was away", "live line 0"):
            assert old not in third
