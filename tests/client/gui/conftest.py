"""Fixtures for the desktop client: a private Xvfb display and real windows driven in-process.

`gui(nick)` opens a `ChatWindow` on the `irc_server` of the test (ngircd or ours, see
tests/client/conftest.py) and returns a `Gui`: type into the entry, click tabs and users, and wait
(by pumping Tk, never with mainloop) until the widgets show what the test expects.
"""

from __future__ import annotations

import gc
import os
import subprocess
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from socketchat.client.connection import Backoff
from socketchat.client.core import ClientConfig
from socketchat.client.gui.theme import Theme
from socketchat.client.gui.window import ChatWindow
from tests.client.conftest import ServerUnderTest
from tests.client.peers import fast_backoff
from tests.support import require_tool
from tests.support.processes import die_with_parent


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    """A private Xvfb; DISPLAY points at it for the session (subprocesses inherit it)."""
    xvfb = require_tool("Xvfb")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        proc.kill()
        pytest.fail("Xvfb did not report a display")
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield f":{number}"
    finally:
        if old is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = old
        proc.terminate()
        proc.wait(timeout=5)


class Gui:
    """A real ChatWindow plus the helpers a test needs to drive it like a user."""

    def __init__(self, window: ChatWindow) -> None:
        self.window = window
        self.root = window.root

    def pump(self, seconds: float = 0.05) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.window.closed:
            self.root.update()
            time.sleep(0.005)

    def until(self, predicate: Callable[[], object], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.window.closed:
                self.root.update()
            if predicate():
                return
            if time.monotonic() > deadline:
                shown = self.window.shown
                raise AssertionError(
                    f"timed out waiting for {predicate!r}; tabs={self.window.tab_labels()} "
                    f"status={self.window.status_text()!r} shown={shown!r}\n"
                    f"{self.window.text_of(shown)[-1500:]}"
                )
            time.sleep(0.01)

    def text(self, buffer: str | None = None) -> str:
        return self.window.text_of(buffer or self.window.shown)

    def wait_text(self, needle: str, buffer: str | None = None, timeout: float = 10) -> None:
        self.until(lambda: needle in self.text(buffer), timeout)

    def type(self, text: str) -> None:
        """Type into the entry line and press Return."""
        entry = self.window.entry
        entry.focus_force()
        entry.delete(0, "end")
        entry.insert("end", text)
        self.root.update()
        entry.event_generate("<Return>")
        self.root.update()

    def user_nicks(self) -> list[str]:
        """The nicks in the user list (rows without mode prefixes and "(away)")."""
        return [row.lstrip("@+").split()[0] for row in self.window.user_rows()]

    def joined(self, channel: str = "#lobby", nick: str | None = None) -> None:
        """Until the channel tab is shown with us (and `nick`) in the user list."""
        me = self.window.nick
        self.until(lambda: self.window.shown == channel and me in self.user_nicks())
        if nick:
            self.until(lambda: nick in self.user_nicks())

    def click_tab(self, buffer: str) -> None:
        """A real mouse click on the tab of `buffer` (found by its position on screen)."""
        notebook = self.window.notebook
        target = self.window.tabs[buffer].frame
        index = notebook.paths().index(str(target))
        self.root.update()
        for x in range(2, notebook.winfo_width(), 4):
            if notebook.index_at(x, 12) == index:
                notebook.event_generate("<ButtonPress-1>", x=x + 6, y=12)
                notebook.event_generate("<ButtonRelease-1>", x=x + 6, y=12)
                self.root.update()
                return
        raise AssertionError(f"no tab for {buffer} on screen")

    def double_click_user(self, nick: str) -> None:
        """A double-click on `nick` in the user list."""
        listbox = self.window.userlist
        index = self.user_nicks().index(nick)
        self.root.update()
        x, y, _w, h = listbox.bbox(index)
        for _ in range(2):
            listbox.event_generate("<ButtonPress-1>", x=x + 5, y=y + h // 2)
            listbox.event_generate("<ButtonRelease-1>", x=x + 5, y=y + h // 2)
        self.root.update()


@pytest.fixture
def windows(display: str) -> Iterator[Callable[..., Gui]]:
    """Open windows: ``windows("alice", host, port)``; all are closed at the end of the test."""
    opened: list[ChatWindow] = []

    def open_window(
        nick: str,
        host: str,
        port: int,
        channel: str = "#lobby",
        backoff: Backoff | None = None,
        *,
        ask_nick: bool = False,
        queries: tuple[str, ...] = (),
        settings_file: Path | None = None,
    ) -> Gui:
        root = tk.Tk()
        root.geometry("900x560+0+0")
        theme = Theme.install(root)
        config = ClientConfig(nick=nick, channels=(channel,), ask_nick=ask_nick, queries=queries)
        window = ChatWindow(
            root,
            theme,
            config,
            host,
            port,
            backoff=backoff or fast_backoff(),
            settings_file=settings_file,
        )
        opened.append(window)
        window.start()
        handle = Gui(window)
        handle.pump(0.05)
        return handle

    try:
        yield open_window
    finally:
        for window in opened:
            window.close()
        opened.clear()
        # The last Tk references must die on this (the Tk) thread, not in a GC run that
        # happens to start in the server's thread (Tcl_AsyncDelete).
        gc.collect()


@pytest.fixture
def gui(windows: Callable[..., Gui], irc_server: ServerUnderTest) -> Callable[..., Gui]:
    """Open windows on this test's server (ngircd or ours): ``gui("alice")``."""

    def open_window(
        nick: str, channel: str = "#lobby", backoff: Backoff | None = None, **options: object
    ) -> Gui:
        return windows(nick, irc_server.host, irc_server.port, channel, backoff, **options)

    return open_window
