"""Alerts in the desktop client, on Xvfb: a private message in another tab blinks that tab; a
mention while another window has the focus raises the window's urgency hint (WM_HINTS, read
back with xprop, as a window manager reads it), which goes when the window is focused again."""

from __future__ import annotations

import gc
import re
import subprocess
import sys
import time
import tkinter as tk
from collections.abc import Callable, Iterator

import pytest

from socketchat.client.core import ClientConfig
from socketchat.client.gui.theme import Theme
from socketchat.client.gui.urgency import URGENCY_HINT
from socketchat.client.gui.window import FLASH_MARK, ChatWindow
from tests.client.conftest import ServerUnderTest
from tests.client.gui.conftest import Gui
from tests.client.peers import fast_backoff
from tests.client.tui.test_notify_tui import PASSWORD, account_peer
from tests.support import require_tool
from tests.support.irc import IRCClient
from tests.support.processes import die_with_parent


def wm_hints_flags(window_id: int) -> int:
    out = subprocess.run(
        [
            require_tool("xprop"),
            "-notype",
            "-id",
            hex(window_id),
            "-f",
            "WM_HINTS",
            "32i",
            " = $0\n",
            "WM_HINTS",
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    match = re.search(r"WM_HINTS = (-?\d+)", out)
    return int(match.group(1)) if match else 0


@pytest.fixture
def other_window() -> Iterator[Callable[[], None]]:
    """Another X client's window; calling the fixture gives it the keyboard focus."""
    xdotool = require_tool("xdotool")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import tkinter as t; r = t.Tk(); r.title('other-app'); "
            "r.geometry('200x100+950+0'); r.mainloop()",
        ],
        preexec_fn=die_with_parent,
    )
    found = subprocess.run(
        [xdotool, "search", "--sync", "--name", "^other-app$"],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    ).stdout.split()

    def focus_other() -> None:
        subprocess.run([xdotool, "windowfocus", "--sync", found[0]], check=True, timeout=10)

    try:
        yield focus_other
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_tabs_blink_and_the_urgency_hint(
    gui: Callable[..., Gui], irc_server: ServerUnderTest, other_window: Callable[[], None]
) -> None:
    bob = IRCClient(irc_server.port).register("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    window = alice.window
    window.entry.focus_force()
    alice.until(lambda: window.focused)
    frame = window.urgency.window_id()
    assert wm_hints_flags(frame) & URGENCY_HINT == 0

    # focused, in #lobby: a mention there is seen, nothing blinks
    bob.send("PRIVMSG #lobby :alice: you see this")
    alice.wait_text("alice: you see this")
    alice.pump(0.6)
    assert not any(label.startswith(FLASH_MARK) for label in window.tab_labels())

    # a private message: its tab blinks (and then stays marked by its count), no hint
    bob.send("PRIVMSG alice :سلام alice")
    alice.until(lambda: "bob" in window.tabs)
    seen: set[str] = set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        alice.pump(0.05)
        seen.update(label for label in window.tab_labels() if "bob" in label)
        if FLASH_MARK + "bob (1!)" in seen and "bob (1!)" in seen and not window._flashing:
            break
    assert {FLASH_MARK + "bob (1!)", "bob (1!)"} <= seen
    assert window.tab_labels()[-1] == "bob (1!)"  # the blinking is over
    assert wm_hints_flags(frame) & URGENCY_HINT == 0  # the window had the focus

    # another application has the focus: a mention raises the urgency hint
    other_window()
    alice.until(lambda: not window.focused)
    bob.send("PRIVMSG #lobby :alice: come back")
    alice.wait_text("alice: come back", "#lobby")
    alice.until(lambda: wm_hints_flags(frame) & URGENCY_HINT != 0)
    # back to the chat: the hint goes
    window.entry.focus_force()
    alice.until(lambda: window.focused)
    alice.until(lambda: wm_hints_flags(frame) & URGENCY_HINT == 0)
    bob.close()


def make_alice(irc_server: ServerUnderTest) -> None:
    """The account alice, not always-on: the nick is free for the desktop client, which sends
    NICK before its SASL is done."""
    made = account_peer(irc_server.port, "alice", "alice")
    made.send("PRIVMSG NickServ :SET ALWAYS-ON OFF", "QUIT")
    assert made.closed_by_server()


def alices_window(irc_server: ServerUnderTest) -> tuple[ChatWindow, Gui]:
    """The desktop client logged in to the account alice, in #lobby (started)."""
    root = tk.Tk()
    root.geometry("900x560+0+0")
    config = ClientConfig(
        nick="alice", channels=("#lobby",), account="alice", account_password=PASSWORD
    )
    window = ChatWindow(
        root, Theme.install(root), config, irc_server.host, irc_server.port, backoff=fast_backoff()
    )
    window.start()
    return window, Gui(window)


# draft/read-marker and accounts: our server only (ngircd has neither)
@pytest.mark.parametrize("irc_server", ["socketchat"], indirect=True)
def test_a_mention_read_in_the_window_is_marked_read(
    display: str, irc_server: ServerUnderTest, other_window: Callable[[], None]
) -> None:
    """Seen in the focused window, a mention is read: the account's phone hears MARKREAD (and
    the server pushes nothing); seen only once the window has the focus again, then."""
    make_alice(irc_server)
    phone = account_peer(irc_server.port, "alicephone", "alice")
    bob = IRCClient(irc_server.port).register("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    window, alice = alices_window(irc_server)
    try:
        alice.joined("#lobby", nick="bob")
        window.entry.focus_force()
        alice.until(lambda: window.focused)
        bob.send("PRIVMSG #lobby :alice: seen in the window")
        alice.wait_text("seen in the window")
        first = phone.expect("MARKREAD", lambda m: m.param(0) == "#lobby", timeout=10)
        other_window()
        alice.until(lambda: not window.focused)
        bob.send("PRIVMSG #lobby :alice: while away")
        alice.wait_text("while away")
        alice.until(lambda: window.urgency.urgent)
        window.entry.focus_force()
        alice.until(lambda: window.focused and not window.urgency.urgent)
        again = phone.expect("MARKREAD", lambda m: m.param(0) == "#lobby", timeout=10)
        assert again.param(1) > first.param(1)
    finally:
        window.close()
        phone.close()
        bob.close()
        gc.collect()


# draft/read-marker and accounts: our server only (ngircd has neither)
@pytest.mark.parametrize("irc_server", ["socketchat"], indirect=True)
def test_unread_count_follows_the_other_device(display: str, irc_server: ServerUnderTest) -> None:
    """One account on two devices: the phone reads #lobby up to bob's second line (MARKREAD);
    the desktop's count on the #lobby tab drops from 3 to 1, and the marker line is above the
    third line once the tab is shown."""
    make_alice(irc_server)
    phone = account_peer(irc_server.port, "alicephone", "alice", "draft/read-marker server-time")
    phone.send("JOIN #lobby")
    phone.expect("366")
    bob = IRCClient(irc_server.port).register("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    window, alice = alices_window(irc_server)
    try:
        alice.joined("#lobby", nick="bob")
        window.select("*status*")  # the desktop looks at its status tab
        alice.until(lambda: window.shown == "*status*")
        for text in ("one", "two", "سه"):
            bob.send(f"PRIVMSG #lobby :{text}")
            alice.pump(0.05)  # a few ms apart: distinct server times
        alice.until(lambda: "#lobby (3)" in window.tab_labels())
        two = phone.expect("PRIVMSG", lambda m: m.param(1) == "two")
        phone.send(f"MARKREAD #lobby timestamp={two.tags['time']}")  # read on the phone
        alice.until(lambda: "#lobby (1)" in window.tab_labels())
        window.select("#lobby")
        alice.wait_text("new since you last read", "#lobby")
        rows = alice.text("#lobby").splitlines()
        at = next(i for i, r in enumerate(rows) if "new since you last read" in r)
        assert "<bob> two" in rows[at - 1] and "<bob>" in rows[at + 1]
    finally:
        window.close()
        phone.close()
        bob.close()
        gc.collect()
