"""The desktop window's newer views, on Xvfb against ngircd and our server: a refused nick asked
again, folded join/part runs, the unread marker, the Persian interface (mirrored), the dark
theme and the settings file. Mixed Persian/English lines throughout."""

from __future__ import annotations

import json
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from socketchat.client.gui.login import NickDialog
from socketchat.client.i18n import set_language
from socketchat.client.rtl import display_text
from tests.client.conftest import ServerUnderTest
from tests.client.gui.conftest import Gui
from tests.support.irc import IRCClient

OpenGui = Callable[..., Gui]
MIXED = "جلسه ساعت 10:30 در room B است، OK?"


@pytest.fixture
def peers(irc_server: ServerUnderTest) -> Iterator[Callable[..., IRCClient]]:
    made: list[IRCClient] = []

    def connect(nick: str, channel: str | None = "#lobby") -> IRCClient:
        client = IRCClient(irc_server.port).register(nick)
        if channel:
            client.send(f"JOIN {channel}")
            client.expect("366")
        made.append(client)
        return client

    yield connect
    for client in made:
        client.close()


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language("en")


def test_a_taken_nick_is_asked_again(gui: OpenGui, peers, irc_server: ServerUnderTest) -> None:
    bob = peers("bob")
    new = "مهسا" if irc_server.kind == "socketchat" else "robin"  # ngircd: ASCII nicks only
    alice = gui("bob", ask_nick=True)
    alice.until(lambda: alice.window.nick_dialog is not None)
    dialog = alice.window.nick_dialog
    assert isinstance(dialog, NickDialog)
    assert "bob is taken" in str(dialog.problem.cget("text"))
    assert "Persian" in str(dialog.field.rules.cget("text"))
    entry = dialog.field.entry
    entry.delete(0, "end")
    entry.insert(0, "9lives")
    dialog.ok.invoke()
    assert "Not a nickname" in str(dialog.problem.cget("text"))  # checked before asking
    entry.delete(0, "end")
    entry.insert(0, "مهسا")
    entry.event_generate("<KeyRelease>")
    assert str(dialog.field.preview.cget("text")) == display_text("مهسا")  # reading order
    entry.delete(0, "end")
    entry.insert(0, new)
    dialog.ok.invoke()
    alice.joined("#lobby", nick="bob")
    assert alice.window.nick == new and alice.window.nick_dialog is None  # never bob_
    bob.expect("JOIN", lambda m: m.nick == new)


def click_on(gui: Gui, needle: str) -> None:
    text = gui.window.tabs[gui.window.shown].text
    gui.root.update()
    index = text.search(needle, "1.0")
    assert index, needle
    x, y, _w, h = text.bbox(index)
    text.event_generate("<Motion>", x=x + 2, y=y + h // 2)  # Tk's "current" follows the mouse
    text.event_generate("<ButtonPress-1>", x=x + 2, y=y + h // 2)
    text.event_generate("<ButtonRelease-1>", x=x + 2, y=y + h // 2)
    gui.root.update()


def test_runs_fold_and_a_click_unfolds(gui: OpenGui, peers) -> None:
    alice = gui("alice")
    alice.joined("#lobby")
    peers("bob")
    carol = peers("carol")
    carol.send("PART #lobby :bye")
    alice.wait_text("bob, carol joined · carol left")
    assert "carol joined" not in alice.text().replace("bob, carol joined", "")
    click_on(alice, "carol joined")  # a real click on the summary
    alice.until(lambda: "bob, carol joined" not in alice.text())
    assert "carol left (bye)" in alice.text()
    click_on(alice, "carol left")  # and a click on one of them folds them again
    alice.wait_text("bob, carol joined · carol left")


def test_marker_persian_interface_dark_theme_and_settings(
    gui: OpenGui, peers, tmp_path: Path
) -> None:
    bob = peers("bob")
    saved = tmp_path / "client.json"
    alice = gui("alice", settings_file=saved)
    alice.joined("#lobby", nick="bob")
    bob.send("PRIVMSG #lobby :seen before")
    alice.wait_text("seen before")
    alice.click_tab("*status*")
    alice.until(lambda: alice.window.shown == "*status*")
    bob.send(f"PRIVMSG #lobby :{MIXED}", "PRIVMSG alice :a private word")
    alice.until(lambda: "#lobby (1)" in alice.window.tab_labels())
    alice.click_tab("#lobby")
    alice.wait_text("new since you last read")
    lines = alice.text().splitlines()
    at = next(i for i, line in enumerate(lines) if "new since you last read" in line)
    assert "seen before" in lines[at - 1] and "room B" in lines[at + 1]

    alice.type("/lang fa")
    labels = alice.window.tab_labels()
    assert display_text("وضعیت") in labels
    panes = alice.window.panes
    first = panes.tk.splitlist(panes.tk.call(str(panes), "panes"))[0]
    assert str(first) == str(alice.window.users.frame)  # mirrored: the user list at the left
    assert str(alice.window.topic.cget("anchor")) == "e"
    assert display_text("کاربران") in str(alice.window.users.label.cget("text"))
    alice.wait_text(display_text("تازه از آخرین باری که خواندید"))
    alice.type("/theme dark")
    text = alice.window.tabs["#lobby"].text
    assert str(text.cget("background")) == "#0d1117"
    assert str(alice.window.userlist.cget("background")) == "#0d1117"

    alice.window.close()
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["language"] == "fa" and data["theme"] == "dark" and data["nick"] == "alice"
    assert data["channels"] == ["#lobby"] and data["queries"] == ["bob"]


def test_saved_conversations_reopen(gui: OpenGui, peers) -> None:
    alice = gui("alice", queries=("bob", "مهسا"))
    alice.joined("#lobby")
    assert {"bob", display_text("مهسا")} <= set(alice.window.tab_labels())
    assert alice.window.shown == "#lobby"
    assert isinstance(alice.window.root, tk.Tk)


def test_typing_reply_reaction_multiline_and_the_channel_list(windows: OpenGui) -> None:
    """Against our server: "bob is typing…", a reply quoted, a reaction under the line,
    Shift+Return for a line break (one draft/multiline message), /list in a Treeview."""
    from tests.support.server import running_server

    with running_server() as server:
        bob = IRCClient(server.port).register("bob", "message-tags draft/multiline batch")
        try:
            bob.send("JOIN #lobby", "JOIN #فارسی", "TOPIC #فارسی :گپ فارسی about Python")
            bob.expect("366", lambda m: m.param(1) == "#فارسی")
            alice = windows("alice", server.host, server.port)
            alice.joined("#lobby", nick="bob")
            bob.send("@+typing=active TAGMSG #lobby")
            alice.until(lambda: str(alice.window.typing.cget("text")) == "bob is typing…")
            assert alice.window.typing.winfo_ismapped()
            bob.send(f"PRIVMSG #lobby :{MIXED}")
            alice.wait_text("room B")
            alice.until(lambda: not alice.window.typing.winfo_ismapped())
            said = alice.window.tabs["#lobby"].lines()[-1]
            assert said.msgid
            bob.send(f"@+draft/reply={said.msgid} PRIVMSG #lobby :a reply to it")
            bob.send(f"@+draft/react=👍;+draft/reply={said.msgid} TAGMSG #lobby")
            alice.wait_text("👍 1")
            lines = alice.text().splitlines()
            reply = next(line for line in lines if "a reply to it" in line)
            assert reply.index("↪ bob:") < reply.index("a reply to it")

            entry = alice.window.entry
            entry.focus_force()
            entry.insert("end", "first row")
            entry.event_generate("<Shift-Return>")
            entry.insert("end", "ردیف دوم")
            alice.root.update()
            assert display_text("ردیف دوم") in alice.window.preview_text()
            entry.event_generate("<Return>")
            opened = bob.expect("BATCH", lambda m: m.param(1) == "draft/multiline")
            assert opened.nick == "alice"
            bob.expect("PRIVMSG", lambda m: m.param(1) == "first row")
            bob.expect("PRIVMSG", lambda m: m.param(1) == "ردیف دوم")

            alice.type("/list")
            alice.until(lambda: alice.window.channel_list is not None)
            listing = alice.window.channel_list
            assert listing is not None
            alice.until(lambda: len(listing.rows()) >= 2)
            assert (display_text("#فارسی"), "1", display_text("گپ فارسی about Python")) in (
                listing.rows()
            )
            listing.filter.set("python")
            alice.root.update()
            assert len(listing.rows()) == 1
            listing.tree.event_generate("<Return>")
            alice.until(lambda: alice.window.shown == "#فارسی")
        finally:
            bob.close()


def test_a_lines_menu_replies_reacts_and_takes_back(windows: OpenGui) -> None:
    from tests.support.server import running_server

    with running_server() as server:
        bob = IRCClient(server.port).register("bob", "message-tags")
        try:
            bob.send("JOIN #lobby")
            bob.expect("366")
            alice = windows("alice", server.host, server.port)
            alice.joined("#lobby", nick="bob")
            bob.send("PRIVMSG #lobby :سلام، lunch at 12?")
            alice.wait_text("lunch at 12")
            tab = alice.window.tabs["#lobby"]
            index = tab.text.search("lunch", "1.0")
            line = alice.window.log.line_at("#lobby", int(index.split(".")[0]))
            assert line is not None and line.nick == "bob" and line.msgid
            menu = alice.window.line_menu(line)
            labels = [str(menu.entrycget(i, "label")) for i in range(menu.index("end") + 1)]
            menu.invoke(labels.index("React ♥"))
            react = bob.expect("TAGMSG", lambda m: m.tags.get("+draft/react") == "♥")
            assert react.tags["+draft/reply"] == line.msgid
            alice.wait_text("♥ 1•")  # ours, marked
            menu.invoke(labels.index("Reply"))
            assert alice.window.entry.get() == f"/reply {line.msgid} "
            alice.window.entry.insert("end", "yes!")
            alice.window.entry.event_generate("<Return>")
            answer = bob.expect("PRIVMSG", lambda m: m.param(1) == "yes!")
            assert answer.tags["+draft/reply"] == line.msgid
            alice.wait_text("↪ bob:")
            assert "Take back" not in labels  # not ours
        finally:
            bob.close()


def test_take_back_removes_ones_own_line_for_everyone(windows: OpenGui) -> None:
    """The line's menu on one's own line: "Take back" sends REDACT (draft/message-redaction);
    the line is shown removed here, and the other side is told."""
    from tests.support.server import running_server

    with running_server() as server:
        bob = IRCClient(server.port).register("bob", "message-tags draft/message-redaction")
        try:
            bob.send("JOIN #lobby")
            bob.expect("366")
            alice = windows("alice", server.host, server.port)
            alice.joined("#lobby", nick="bob")
            alice.type("جلسه ساعت 10:30، oops wrong room")
            said = bob.expect("PRIVMSG", lambda m: "oops" in m.param(1))
            alice.wait_text("oops wrong room")
            tab = alice.window.tabs["#lobby"]
            index = tab.text.search("oops", "1.0")
            line = alice.window.log.line_at("#lobby", int(index.split(".")[0]))
            assert line is not None and line.nick == "alice" and line.msgid == said.tags["msgid"]
            menu = alice.window.line_menu(line)
            labels = [str(menu.entrycget(i, "label")) for i in range(menu.index("end") + 1)]
            menu.invoke(labels.index("Take back"))
            redact = bob.expect("REDACT", lambda m: m.param(1) == said.tags["msgid"])
            assert redact.param(0) == "#lobby"
            alice.wait_text("(message removed)", "#lobby")
            assert "oops" not in alice.text("#lobby")
            removed = tab.text.search("(message removed)", "1.0")
            assert "removed" in tab.text.tag_names(removed)  # drawn as removed, not as a message
        finally:
            bob.close()


def test_a_pasted_code_block_goes_out_as_one_message(windows: OpenGui) -> None:
    """A paste of several lines (Ctrl+V: <<Paste>>) stays in the entry as one draft, its
    indentation kept, and goes out as one draft/multiline message."""
    from tests.support.server import running_server

    with running_server() as server:
        bob = IRCClient(server.port).register("bob", "message-tags draft/multiline batch")
        try:
            bob.send("JOIN #lobby")
            bob.expect("366")
            alice = windows("alice", server.host, server.port)
            alice.joined("#lobby", nick="bob")
            entry = alice.window.entry
            entry.focus_force()
            alice.root.clipboard_clear()
            alice.root.clipboard_append("def hello():\r\n    print('سلام')\r\n")
            entry.event_generate("<<Paste>>")
            alice.root.update()
            assert entry.get() == "def hello():⏎    print('سلام')"  # one draft, ⏎ a line break
            assert display_text("    print('سلام')") in alice.window.preview_text()
            entry.event_generate("<Return>")
            opened = bob.expect("BATCH", lambda m: m.param(1) == "draft/multiline")
            first = bob.expect("PRIVMSG", lambda m: m.param(1) == "def hello():")
            second = bob.expect("PRIVMSG", lambda m: m.param(1) == "    print('سلام')")
            batch = opened.param(0).lstrip("+")
            assert first.tags.get("batch") == batch == second.tags.get("batch")
            bob.expect("BATCH", lambda m: m.param(0) == f"-{batch}")
            alice.wait_text("def hello():", "#lobby")
            assert entry.get() == ""
        finally:
            bob.close()


def test_a_persian_nick_is_drawn_joined_in_its_column(windows: OpenGui) -> None:
    """Seen on an Xvfb screenshot: نیما's lines had the nick drawn letters reversed (امین)."""
    from socketchat.client.rtl import shape
    from tests.support.server import running_server

    with running_server() as server:
        nima = IRCClient(server.port).register("نیما")
        try:
            nima.send("JOIN #lobby")
            nima.expect("366")
            alice = windows("alice", server.host, server.port)
            alice.joined("#lobby")
            nima.send(f"PRIVMSG #lobby :{MIXED}")
            alice.wait_text("room B", "#lobby")
            row = next(r for r in alice.window.rows_of("#lobby") if "room B" in r)
            assert row[6:].startswith(f"<{shape('نیما')[::-1]}> ?OK"), row
        finally:
            nima.close()


def test_the_persian_sign_in_dialog_reads_in_order(display: str) -> None:
    """Its sentences are wrapped before they are reordered: the first row holds the start of
    the sentence (Tk wrapping a reordered sentence put its end first); labels at the right."""
    from socketchat.client.gui.login import LoginDialog
    from socketchat.client.gui.theme import Theme

    set_language("fa")
    root = tk.Tk()
    try:
        dialog = LoginDialog(root, Theme.install(root), "مهسا", "127.0.0.1", 6667)
        root.update()
        rows = str(dialog.nick_field.rules.cget("text")).split("\n")
        assert len(rows) > 1
        assert rows[0].endswith(display_text("اول یک حرف").split()[-1])  # starts at the right
        assert "30" in rows[-1]  # "… at most 30 characters" ends it
        assert int(dialog.nick.grid_info()["column"]) == 0  # the entry left, its label right
        dialog.nick_field.update_preview()
        assert str(dialog.nick_field.preview.cget("text")) == display_text("مهسا")
        dialog.cancel()
    finally:
        root.destroy()
