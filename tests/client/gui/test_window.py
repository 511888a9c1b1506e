"""The real desktop window, driven in-process on Xvfb, against ngircd and our server.

The other participants are raw-socket IRC clients (tests.support.irc.IRCClient).
"""

from __future__ import annotations

import re
import socket
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from socketchat.client.connection import Backoff
from socketchat.client.events import BufferOpened, ChatLine
from socketchat.client.gui.window import MAX_TEXT_LINES
from socketchat.client.rtl import display_text, shape
from tests.client.conftest import ServerUnderTest
from tests.client.gui.conftest import Gui
from tests.support import free_port
from tests.support.irc import IRCClient

OpenGui = Callable[..., Gui]


@pytest.fixture
def peers(irc_server: ServerUnderTest) -> Iterator[Callable[..., IRCClient]]:
    """Raw IRC clients registered (and in #lobby) on this test's server."""
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


def privmsg_to(client: IRCClient, target: str, text: str) -> None:
    client.expect("PRIVMSG", lambda m: m.param(0) == target and m.param(1) == text)


def test_lobby_chat_user_list_query_tab_and_unread_counts(gui: OpenGui, peers) -> None:
    bob = peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")

    # A typed line goes to everyone else in #lobby.
    alice.type("hello from the desktop")
    privmsg_to(bob, "#lobby", "hello from the desktop")
    alice.wait_text("<alice> hello from the desktop")

    # What others say appears with a local HH:MM timestamp (server-time when offered).
    bob.send("PRIVMSG #lobby :hi alice, welcome")
    alice.wait_text("<bob> hi alice, welcome")
    line = next(x for x in alice.text().splitlines() if "hi alice, welcome" in x)
    assert re.fullmatch(r"\d\d:\d\d <bob> hi alice, welcome", line)
    # bob's nick is drawn with his colour tag; the user list colours him the same way.
    text = alice.window.tabs["#lobby"].text
    start = text.search("bob>", "1.0")
    assert any(tag.startswith("nick") and tag != "nick" for tag in text.tag_names(start))

    # Double-click bob in the user list: a private tab opens and is shown.
    alice.double_click_user("bob")
    alice.until(lambda: alice.window.shown == "bob")
    assert "bob" in alice.window.tab_labels()
    alice.type("just between us")
    privmsg_to(bob, "bob", "just between us")

    # Back to #lobby with a real click on its tab; bob writes privately: unread count on his tab.
    alice.click_tab("#lobby")
    alice.until(lambda: alice.window.shown == "#lobby")
    bob.send("PRIVMSG alice :are you there?")
    alice.until(lambda: "bob (1!)" in alice.window.tab_labels())
    bob.send("PRIVMSG #lobby :and in the channel")
    alice.wait_text("<bob> and in the channel", "#lobby")
    assert "#lobby" in alice.window.tab_labels()  # the shown tab counts nothing

    # Clicking the tab shows the conversation and clears its count.
    alice.click_tab("bob")
    alice.until(lambda: alice.window.shown == "bob")
    alice.until(lambda: "bob" in alice.window.tab_labels())
    assert "<bob> are you there?" in alice.text("bob")

    # bob leaves: the user list follows.
    alice.click_tab("#lobby")
    bob.send("QUIT :bye")
    alice.until(lambda: "bob" not in alice.user_nicks())
    alice.wait_text("bob quit", "#lobby")


def test_pm_by_nick_and_by_ip(gui: OpenGui, peers) -> None:
    bob = peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")

    alice.type("/pm bob hi by nick")
    privmsg_to(bob, "bob", "hi by nick")
    alice.until(lambda: alice.window.shown == "bob")

    # Everyone here connects from 127.0.0.1; alice herself does not count.
    alice.click_tab("#lobby")
    alice.type("/pm 127.0.0.1 hi by address")
    privmsg_to(bob, "bob", "hi by address")
    alice.until(lambda: alice.window.shown == "bob")

    # Two people behind one address: the client names them and sends nothing.
    carol = peers("carol")
    alice.click_tab("#lobby")
    alice.until(lambda: "carol" in alice.user_nicks())
    alice.type("/pm 127.0.0.1 who gets this?")
    alice.wait_text("Several people are connected from 127.0.0.1", "#lobby")
    line = next(x for x in alice.text("#lobby").splitlines() if "Several people" in x)
    assert "bob" in line and "carol" in line and "Not sent" in line
    for peer in (bob, carol):
        assert not [
            m for m in peer.collect(0.4) if m.command == "PRIVMSG" and "who gets" in m.param(1)
        ]


def test_who_lists_users_with_their_host(gui: OpenGui, peers) -> None:
    peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    alice.type("/who")
    alice.wait_text("WHO #lobby: 2 user(s)")
    rows = [x for x in alice.text().splitlines() if " — " in x and "@" in x]
    assert any("bob" in r and "127.0.0.1" in r for r in rows), rows
    assert any("alice" in r for r in rows), rows


def test_exit_quits_and_closes_the_window(gui: OpenGui, peers) -> None:
    bob = peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    root = alice.root
    alice.type("/exit")
    alice.until(lambda: alice.window.closed)
    quit_msg = bob.expect("QUIT", lambda m: (m.source or "").startswith("alice!"))
    assert quit_msg.command == "QUIT"
    assert not alice.window.client.running  # the connection thread was joined
    with pytest.raises(tk.TclError):
        root.winfo_exists()  # the window is gone


def test_reconnect_after_a_server_restart(gui: OpenGui, peers, irc_server: ServerUnderTest) -> None:
    # A long backoff, so the test decides when to reconnect (with the "Reconnect now" button).
    alice = gui("alice", backoff=Backoff(initial=30.0, maximum=30.0, jitter=0.0))
    alice.joined("#lobby")
    irc_server.stop()
    alice.until(lambda: "reconnecting in" in alice.window.status_text())
    assert re.search(r"reconnecting in (29|30) s", alice.window.status_text())
    assert alice.window.reconnect_button.winfo_ismapped()

    # Typed while disconnected: queued, visibly, and counted in the status bar.
    alice.type("sent after the restart")
    alice.wait_text("(queued until reconnected) sent after the restart", "#lobby")
    alice.until(lambda: "1 queued" in alice.window.status_text())

    irc_server.start()
    bob = peers("bob")
    alice.window.reconnect_button.invoke()
    alice.until(lambda: alice.window.status_text().startswith("connected"))
    alice.joined("#lobby", nick="bob")  # rejoined, user list refilled
    privmsg_to(bob, "#lobby", "sent after the restart")
    assert not alice.window.reconnect_button.winfo_ismapped()


def test_reconnects_by_itself_with_backoff(gui: OpenGui, irc_server: ServerUnderTest) -> None:
    alice = gui("alice", backoff=Backoff(initial=0.3, maximum=0.6, jitter=0.0))
    alice.joined("#lobby")
    irc_server.stop()
    alice.until(lambda: "reconnecting in" in alice.window.status_text())
    alice.until(lambda: "alice" not in alice.user_nicks())  # members cleared while offline
    irc_server.start()
    alice.until(lambda: alice.window.status_text().startswith("connected"))
    alice.joined("#lobby")
    assert "Reconnecting in" in alice.text("*status*")


@pytest.mark.parametrize("irc_server", ["socketchat"], indirect=True)
def test_bad_commands_get_a_clear_line(gui: OpenGui, peers) -> None:
    peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    alice.type("/frobnicate now")
    alice.wait_text("!! Unknown command /frobnicate. Type /help")
    alice.type("/pm")
    alice.wait_text("!! Usage: /pm <nick|ip> <message>")
    alice.type("/pm 127.0.0.1")
    alice.until(lambda: alice.text().count("Usage: /pm") == 2)
    alice.type("/help")
    alice.wait_text("/exit")
    assert "Traceback" not in alice.text()
    assert alice.window.shown == "#lobby"


@pytest.mark.parametrize("irc_server", ["socketchat"], indirect=True)
def test_tab_completes_nicks_and_the_status_bar_names_us(gui: OpenGui, peers) -> None:
    peers("bobby")
    alice = gui("alice")
    alice.joined("#lobby", nick="bobby")
    entry = alice.window.entry
    entry.focus_force()
    entry.insert("end", "bo")
    alice.root.update()
    entry.event_generate("<Tab>")
    alice.root.update()
    assert entry.get() == "bobby: "
    assert "alice" in alice.window.status_text()
    assert alice.root.title().endswith("alice")
    entry.delete(0, "end")
    alice.type("/nick alicia")
    alice.until(lambda: alice.root.title().endswith("alicia"))
    alice.until(lambda: "alicia" in alice.window.status_text())


@pytest.mark.parametrize("irc_server", ["socketchat"], indirect=True)
def test_up_and_down_recall_what_was_typed(gui: OpenGui, peers) -> None:
    bob = peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    alice.type("first line")
    alice.type("second line")
    privmsg_to(bob, "#lobby", "second line")
    entry = alice.window.entry
    entry.focus_force()
    entry.insert("end", "draft")

    def key(name: str) -> str:
        entry.event_generate(f"<{name}>")
        alice.root.update()
        return entry.get()

    assert key("Up") == "second line"
    assert key("Up") == "first line"
    assert key("Up") == "first line"  # the oldest stays
    assert key("Down") == "second line"
    assert key("Down") == "draft"  # what was being typed comes back


@pytest.mark.parametrize("irc_server", ["socketchat"], indirect=True)
def test_history_the_server_offers_is_shown(gui: OpenGui, peers) -> None:
    bob = peers("bob")
    bob.send("PRIVMSG #lobby :said before alice came")
    bob.send("PING :sync")
    bob.expect("PONG")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    alice.wait_text("<bob> said before alice came", "#lobby")
    text = alice.window.tabs["#lobby"].text
    start = text.search("said before alice came", "1.0")
    assert "history" in text.tag_names(start)  # drawn as replayed, not live
    assert alice.window.tab_labels()[1] == "#lobby"  # and not counted as unread


@pytest.mark.parametrize("irc_server", ["socketchat"], indirect=True)
def test_closing_the_window_quits(gui: OpenGui, peers) -> None:
    bob = peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    alice.root.tk.call(alice.root.protocol("WM_DELETE_WINDOW"))  # the window's close button
    assert alice.window.closed
    bob.expect("QUIT", lambda m: (m.source or "").startswith("alice!"))


def test_a_silent_server_does_not_freeze_the_window(windows: OpenGui) -> None:
    """The server accepts the connection and never answers: the window keeps working."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        alice = windows("alice", "127.0.0.1", listener.getsockname()[1])
        conn, _ = listener.accept()
        with conn:
            alice.until(lambda: "signing in" in alice.window.status_text())
            alice.type("/help")
            alice.wait_text("/pm <nick|ip> <message>", "*status*", timeout=3)
            alice.type("/join #elsewhere")
            alice.wait_text("Will join #elsewhere when connected", timeout=3)
            alice.type("hello?")
            alice.wait_text("This is the status tab", timeout=3)


def test_a_flood_of_lines_is_drawn_in_order_and_trimmed(windows: OpenGui) -> None:
    """Events pushed into the client's queue (as its thread does) go through the real poll."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        alice = windows("alice", "127.0.0.1", listener.getsockname()[1])
        queue = alice.window.client.events
        queue.put(BufferOpened("#flood", "channel", focus=True))
        now = datetime.now().astimezone()
        total = MAX_TEXT_LINES + 500
        for i in range(total):
            queue.put(ChatLine("#flood", now, "bob", f"line {i}"))
        alice.until(lambda: alice.text("#flood").endswith(f"line {total - 1}"))
        shown = alice.text("#flood").splitlines()
        assert len(shown) == MAX_TEXT_LINES
        assert shown[0].endswith("<bob> line 500")
        assert [int(x.rsplit(" ", 1)[1]) for x in shown] == list(range(500, total))
        assert alice.window.shown == "#flood"
        assert alice.window.tabs["#flood"].text.yview()[1] >= 0.999  # follows the end

        # Reading further up: new lines do not pull the view down; back at the end, they do.
        text = alice.window.tabs["#flood"].text
        text.yview_moveto(0.0)
        alice.pump(0.1)
        for i in range(5):
            queue.put(ChatLine("#flood", now, "bob", f"more {i}"))
        alice.until(lambda: alice.text("#flood").endswith("more 4"))
        alice.pump(0.1)
        assert text.yview()[0] == 0.0
        text.yview_moveto(1.0)
        alice.pump(0.1)
        queue.put(ChatLine("#flood", now, "bob", "last one"))
        alice.until(lambda: alice.text("#flood").endswith("last one"))
        alice.pump(0.1)
        assert text.yview()[1] >= 0.999


def test_scrolling_to_the_top_fetches_older_history_above(windows: OpenGui) -> None:
    from tests.support.server import running_server

    with running_server(limits={"flood_burst": 0}) as server:
        bob = IRCClient(server.port).register("bob")
        try:
            bob.send("JOIN #lobby")
            bob.expect("366")
            bob.send(*(f"PRIVMSG #lobby :line {i}" for i in range(70)))
            bob.send("PING :stored")
            bob.expect("PONG")
            alice = windows("alice", server.host, server.port)
            alice.joined("#lobby")
            alice.wait_text("<bob> line 69", "#lobby")
            text = alice.window.tabs["#lobby"].text
            shown = alice.text("#lobby")
            # the latest 50 items, alice's own JOIN among them (draft/event-playback)
            assert "line 20" not in shown and shown.index("line 21") < shown.index("You joined")
            text.yview_moveto(0.0)  # the user scrolls to the top: older lines come above
            alice.wait_text("Start of the history of #lobby", "#lobby")
            lines = alice.text("#lobby").splitlines()
            assert "Start of the history" in lines[0]
            said = [int(ln.rsplit(" ", 1)[1]) for ln in lines if "<bob> line" in ln]
            assert said == list(range(70))
            alice.pump(0.1)
            assert text.yview()[0] > 0.0  # what was shown stayed in view, below the new lines
            assert str(text.index("@0,0")).startswith("23.")  # marker + lines 0-20 + "line 21"
        finally:
            bob.close()


MIXED = "جلسه ساعت 10:30 در room B است، OK?"


def x_of(text: tk.Text, needle: str) -> int:
    """Where (in pixels from the left) the first character of `needle` is drawn."""
    index = text.search(needle, "1.0", stopindex="end")
    assert index, f"{needle!r} is not shown"
    text.see(index)
    box = text.bbox(index)
    assert box is not None
    return int(box[0])


def test_persian_is_drawn_right_to_left_with_joined_letters(gui: OpenGui, peers) -> None:
    """Tk draws in storage order: the window hands it each row shaped and reordered."""
    bob = peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    bob.send(f"PRIVMSG #lobby :{MIXED}")
    first_word = shape("جلسه")[::-1]  # joined forms, in drawing order
    alice.wait_text(first_word, "#lobby")
    text = alice.window.tabs["#lobby"].text
    alice.pump(0.1)
    # On an RTL-based line the first Persian word is right of "room B", 10:30 right of "room B",
    # and the "OK?" that ends the sentence is at the left, right after the nick.
    assert x_of(text, first_word) > x_of(text, "10:30") > x_of(text, "room B") > x_of(text, "?OK")
    assert x_of(text, "<bob>") < x_of(text, "?OK")  # the stamp and nick keep their columns
    row = next(r for r in alice.window.rows_of("#lobby") if "room B" in r)
    assert re.match(r"^\d\d:\d\d <bob> \?OK", row), row
    assert "\ufeea\ufeb4\ufee0\ufe9f" in row  # ﺟﻠﺴﻪ: initial, medial, medial, final forms


def test_long_lines_are_wrapped_then_reordered_row_by_row(gui: OpenGui, peers) -> None:
    bob = peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    words = [f"کلمه{n}" for n in ("یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت")] * 4
    bob.send("PRIVMSG #lobby :" + " ".join(words))
    alice.wait_text(shape(words[0])[::-1], "#lobby")
    alice.pump(0.1)
    tab = alice.window.tabs["#lobby"]
    assert tab.rows[-1] > 1  # the line took several Text lines
    rows = alice.window.rows_of("#lobby")[-tab.rows[-1] :]
    assert rows[0].rstrip().endswith(shape(words[0])[::-1])  # first word: right end, first row
    text = tab.text
    start = x_of(text, "<bob>")
    for number in range(2, tab.rows[-1] + 1):  # rows after the first start under the text
        index = f"{len(alice.window.rows_of('#lobby')) - tab.rows[-1] + number}.0"
        box = text.bbox(index)
        assert box is not None and box[0] > start + 40
    # narrower window: wrapped anew into more rows
    before = tab.rows[-1]
    alice.root.geometry("700x500")
    alice.until(lambda: tab.rows and tab.rows[-1] > before)


def test_formatting_codes_become_text_tags(gui: OpenGui, peers) -> None:
    bob = peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    bob.send(
        "PRIVMSG #lobby :\x02bold\x02 \x1ditalic\x1d \x1fund\x1f \x1estrike\x1e "
        "\x034,2red\x03 \x04112233hex\x04 \x16rev\x16 https://example.org/x end"
    )
    alice.wait_text("bold italic und strike red hex rev https://example.org/x end", "#lobby")
    text = alice.window.tabs["#lobby"].text

    def tags(word: str) -> tuple[str, ...]:
        return tuple(text.tag_names(text.search(word, "1.0", stopindex="end")))

    assert "font:b" in tags("bold") and "font:i" in tags("italic")
    # drawn so, not only tagged: the tags' fonts are bold and italic copies of the chat font
    bold = tkfont.nametofont(str(text.tag_cget("font:b", "font")), alice.root)
    italic = tkfont.nametofont(str(text.tag_cget("font:i", "font")), alice.root)
    assert bold.actual("weight") == "bold" and bold.actual("slant") == "roman"
    assert italic.actual("slant") == "italic" and italic.actual("weight") == "normal"
    assert bold.actual("family") == tkfont.Font(alice.root, font=text.cget("font")).actual("family")
    assert "u" in tags("und") and "s" in tags("strike")
    assert {"fg#ff0000", "bg#00007f"} <= set(tags("red")) and "fg#112233" in tags("hex")
    assert "url:https://example.org/x" in tags("https")
    assert str(text.tag_cget("fg#ff0000", "foreground")) == "#ff0000"
    assert str(text.tag_cget("s", "overstrike")) in ("1", "true")
    assert "\x02" not in alice.text("#lobby") and "\x03" not in alice.text("#lobby")


def test_persian_typed_in_the_entry_is_previewed_in_reading_order(gui: OpenGui, peers) -> None:
    bob = peers("bob")
    alice = gui("alice")
    alice.joined("#lobby", nick="bob")
    entry = alice.window.entry
    entry.insert("end", "می\u200cخندد ok")
    alice.pump(0.05)
    assert alice.window.preview_text() == display_text("می\u200cخندد ok")
    assert alice.window.preview.winfo_ismapped()
    entry.event_generate("<Return>")
    alice.pump(0.05)
    privmsg_to(bob, "#lobby", "می\u200cخندد ok")  # sent in storage order, the ZWNJ intact
    alice.until(lambda: not alice.window.preview_text())


def test_the_view_stays_at_the_end_after_a_join_and_a_reconnect(
    windows: OpenGui, tmp_path: Path
) -> None:
    """Issue 14: the desktop stopped following after a join and jumped to the top of the history
    after a reconnect. Here: a full tab at its end, a server restart, the rejoin with its history
    replayed, then a new line: still at the end, the new line in view."""
    from tests.support.server import running_server

    port = free_port()
    data = str(tmp_path / "data")
    with running_server(limits={"flood_burst": 0}, data_dir=data, port=port) as server:
        bob = IRCClient(port).register("bob")
        bob.send("JOIN #lobby")
        bob.expect("366")
        bob.send(*(f"PRIVMSG #lobby :line {i}" for i in range(60)))
        bob.send("PING :stored")
        bob.expect("PONG")
        alice = windows("alice", server.host, port, backoff=Backoff(0.2, 0.4, jitter=0.0))
        alice.joined("#lobby")
        alice.wait_text("<bob> line 59", "#lobby")
        text = alice.window.tabs["#lobby"].text
        alice.pump(0.2)
        tab = alice.window.tabs["#lobby"]
        assert text.yview()[0] > 0.0 and tab.follow  # a full tab, at its end, following
        bob.send("PRIVMSG #lobby :after the join")
        alice.wait_text("<bob> after the join", "#lobby")
        alice.pump(0.2)
        assert text.dlineinfo(text.search("after the join", "1.0", "end")) is not None
        bob.send("TOPIC #lobby :before the restart", "MODE #lobby +m")  # bob came first: op
        topic = alice.window.topic
        alice.until(lambda: "before the restart" in str(topic.cget("text")))
        alice.until(lambda: "[+mnt]" in str(topic.cget("text")))
        bob.close()
    alice.until(lambda: "reconnecting in" in alice.window.status_text())
    with running_server(limits={"flood_burst": 0}, data_dir=data, port=port):
        alice.until(lambda: alice.window.status_text().startswith("connected"))
        alice.joined("#lobby")
        bob = IRCClient(port).register("bob")
        try:
            bob.send("JOIN #lobby")
            bob.expect("366")
            alice.joined("#lobby", nick="bob")
            # the restarted server forgot the topic and the +m: so does the window
            alice.until(lambda: "before the restart" not in str(topic.cget("text")))
            alice.until(lambda: "[+nt]" in str(topic.cget("text")))
            bob.send("PRIVMSG #lobby :after the reconnect")
            alice.wait_text("<bob> after the reconnect", "#lobby")
            alice.pump(0.3)
            assert text.yview()[0] > 0.0, text.yview()  # not at the top of the history
            assert text.dlineinfo(text.search("after the reconnect", "1.0", "end")) is not None
        finally:
            bob.close()
