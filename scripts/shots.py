"""What the screenshot scripts (scripts/screenshot_*.py) share: the real `socketchat` command
started on free ports, chat partners as raw IRC users, and Chromium as the tests drive it.

The scripts import this file as a sibling module; it puts the repository root on sys.path so
that `tests.support` (ports, the raw IRC client) and `tests.web.browser` (Chromium's flags) serve
the scripts as they serve the tests.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import free_port, wait_for_port  # noqa: E402
from tests.support.irc import IRCClient  # noqa: E402
from tests.web.browser import CHROMIUM_ARGS, chromium  # noqa: E402

__all__ = ["CHROMIUM_ARGS", "ROOT", "User", "chromium", "die_with_parent", "serve", "socketchat"]


def die_with_parent() -> None:
    """For subprocess preexec_fn: the child gets SIGTERM when this script dies."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def socketchat(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`socketchat <args>` as a quiet subprocess, stopped (killed if need be) on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "socketchat", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@contextlib.contextmanager
def serve(web_port: int = 0) -> Iterator[int]:
    """`socketchat serve` on a free IRC port (and `web_port`, 0 for none) with a throw-away
    data directory; yields the IRC port once the server listens."""
    port = free_port()
    with (
        tempfile.TemporaryDirectory() as data,
        socketchat("serve", "--port", str(port), "--web-port", str(web_port), "--data-dir", data),
    ):
        for listening in (port, web_port) if web_port else (port,):
            wait_for_port(listening, timeout=20)
        yield port


class User(IRCClient):
    """A chat partner: a raw IRC user, registered, in #lobby."""

    def __init__(self, port: int, nick: str, caps: str = "message-tags echo-message") -> None:
        super().__init__(port)
        self.caps = caps
        self.register(nick, caps)
        self.send("JOIN #lobby")
        self.expect("366")

    def say(self, target: str, text: str, tags: str = "") -> str:
        """PRIVMSG (with client `tags`, ``+draft/reply=…``), then a moment for every client to
        draw it; returns the msgid the server gave it (from the echo), "" without one."""
        self.send(f"@{tags} PRIVMSG {target} :{text}" if tags else f"PRIVMSG {target} :{text}")
        msgid = ""
        if "echo-message" in self.caps:
            echo = self.expect("PRIVMSG", lambda m: m.nick == self.nick and m.param(1) == text)
            msgid = echo.tags.get("msgid") or ""
        time.sleep(0.25)
        return msgid

    def react(self, target: str, msgid: str, emoji: str) -> None:
        self.send(f"@+draft/react={emoji};+draft/reply={msgid} TAGMSG {target}")
        time.sleep(0.2)

    def typing(self, target: str) -> None:
        self.send(f"@+typing=active TAGMSG {target}")
        time.sleep(0.2)
