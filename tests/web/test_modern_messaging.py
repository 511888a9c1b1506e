"""Modern messaging in the browser, between real pages on a real server: typing indicators,
replies, reactions, multi-line messages, removing one's own line, the unread marker, /list as a
panel, presence of private tabs (MONITOR), and the settings (theme, typing) kept in
localStorage."""

from __future__ import annotations

import base64
import re

from playwright.sync_api import Locator, expect

from tests.support.irc import IRCClient
from tests.support.server import RunningServer
from tests.web.browser import ChatPage, Pages

PASSWORD = "correct-horse-42"


def said(page: ChatPage, text: str) -> Locator:
    """The line whose own text (not a quote of it) has `text`."""
    return page.page.locator("#log .line").filter(
        has=page.page.locator(":scope > .text", has_text=text)
    )


def two(pages: Pages, server: RunningServer) -> tuple[ChatPage, ChatPage]:
    alice = pages.open(server.web_port).login("alice")
    bob = pages.open(server.web_port).login("bob")
    expect(alice.page.locator("#user-list .member-nick", has_text="bob")).to_be_visible()
    return alice, bob


def test_typing_shows_and_goes_away(pages: Pages, web_server: RunningServer) -> None:
    alice, bob = two(pages, web_server)
    typing = alice.page.locator("#typing")
    bob.page.locator("#input").press_sequentially("hel")
    expect(typing).to_have_text("bob is typing…")
    expect(typing.locator("bdi")).to_have_attribute("dir", "auto")  # the nick, isolated
    bob.page.fill("#input", "")  # emptied: "done"
    expect(typing).to_have_text("")
    bob.page.locator("#input").press_sequentially("hello")
    expect(typing).to_have_text("bob is typing…")
    bob.page.press("#input", "Enter")  # the message ends it
    expect(alice.log_line("hello")).to_be_visible()
    expect(typing).to_have_text("")
    # in Persian
    alice.page.locator("#chat .lang-switch").click()
    bob.page.locator("#input").press_sequentially("سلام")
    expect(typing).to_have_text("bob در حال نوشتن است…")


def test_reply_and_reactions(pages: Pages, web_server: RunningServer) -> None:
    alice, bob = two(pages, web_server)
    bob.type("lunch at 12? ناهار ساعت ۱۲؟")
    line = said(alice, "lunch at 12?")
    line.hover()
    line.locator(".act-reply").click()
    expect(alice.page.locator("#replying")).to_contain_text("Replying to bob:")
    alice.type("sure, see you")
    expect(alice.page.locator("#replying")).to_be_hidden()
    reply = said(bob, "sure, see you")
    expect(reply.locator(".quote")).to_contain_text("bob")
    expect(reply.locator(".quote")).to_contain_text("lunch at 12?")
    expect(reply.locator(".quote")).to_have_attribute("dir", "auto")
    # a reaction from alice, one from bob on his own line: aggregated under it for both
    line.hover()
    line.locator(".act-react").click()
    alice.page.locator(".picker .pick", has_text="👍").click()
    chip = said(bob, "lunch at 12?").locator(".reaction")
    expect(chip).to_have_text("👍1")
    expect(chip).to_have_attribute("aria-pressed", "false")
    chip.click()
    mine = said(alice, "lunch at 12?").locator(".reaction")
    expect(mine).to_have_text("👍2")
    expect(mine).to_have_attribute("aria-pressed", "true")
    expect(mine).to_have_attribute("title", "alice, bob: 👍")
    mine.click()  # alice takes hers back
    expect(chip).to_have_text("👍1")
    expect(chip).to_have_attribute("aria-pressed", "true")
    # /reply and /react typed
    alice.type("/reply bob ok!")
    expect(said(bob, "ok!").locator(".quote")).to_contain_text("bob")
    bob.type("/react alice 🎉")
    expect(said(alice, "ok!").locator(".reaction")).to_have_text("🎉1")


def test_reactions_given_before_joining_come_with_the_history(
    pages: Pages, web_server: RunningServer
) -> None:
    """bob's line and carol's reaction to it, then alice arrives: the page shows the reaction
    under the line from the history (draft/event-playback), and a live one to that old line."""
    bob = IRCClient(web_server.port).register("bob", "message-tags echo-message")
    carol = IRCClient(web_server.port).register("carol", "message-tags")
    try:
        for client in (bob, carol):
            client.send("JOIN #lobby")
            client.expect("366")
        bob.send("PRIVMSG #lobby :who is coming to the meetup?")
        msgid = bob.expect("PRIVMSG").tags["msgid"]
        carol.send(f"@+draft/react=🙋;+draft/reply={msgid} TAGMSG #lobby")
        bob.expect("TAGMSG")
        alice = pages.open(web_server.web_port).login("alice")
        line = said(alice, "who is coming to the meetup?")
        expect(line).to_have_class(re.compile(r"\bhistory\b"))
        expect(line.locator(".reaction")).to_have_text("🙋1")
        bob.send(f"@+draft/react=🙋;+draft/reply={msgid} TAGMSG #lobby")
        expect(line.locator(".reaction")).to_have_text("🙋2")
    finally:
        bob.close()
        carol.close()


def test_multiline_composer_and_paste(pages: Pages, web_server: RunningServer) -> None:
    alice, bob = two(pages, web_server)
    box = alice.page.locator("#input")
    box.press_sequentially("line one")
    box.press("Shift+Enter")
    box.press_sequentially("خط دوم")
    expect(box).to_have_value("line one\nخط دوم")
    box.press("Enter")
    got = bob.page.locator("#log .line.kind-message .text", has_text="line one")
    expect(got).to_have_count(1)
    expect(got).to_have_text("line one\nخط دوم")
    expect(got).to_have_attribute("dir", "auto")
    # a pasted code block stays one message, its "/" lines are text
    code = "def f():\n    return 1\n/etc/passwd is not a command"
    alice.page.fill("#input", code)
    alice.page.press("#input", "Enter")
    pasted = bob.page.locator("#log .line.kind-message .text", has_text="def f():")
    expect(pasted).to_have_text(code)
    expect(bob.page.locator("#log .line.kind-message")).to_have_count(2)
    expect(alice.page.locator("#log .line.kind-message .text", has_text="def f():")).to_have_text(
        code
    )


def test_removing_ones_own_line(pages: Pages, web_server: RunningServer) -> None:
    alice, bob = two(pages, web_server)
    alice.type("teh typo")
    bob.type("not mine")
    mine = said(alice, "teh typo")
    mine.hover()
    expect(said(alice, "not mine").locator(".act-remove")).to_have_count(0)
    mine.locator(".act-remove").click()
    for page in (alice, bob):
        removed = page.page.locator("#log .line.redacted")
        expect(removed).to_have_count(1)
        expect(removed.locator(".text")).to_have_text("message removed")
        expect(page.log_line("teh typo")).to_have_count(0)
    bob.type("/redact")  # bob's own latest: "not mine"
    expect(alice.page.locator("#log .line.redacted")).to_have_count(2)


def test_unread_marker_line(pages: Pages, web_server: RunningServer) -> None:
    alice, bob = two(pages, web_server)
    alice.type("/join #dev")
    expect(alice.tab("#dev")).to_have_attribute("aria-selected", "true")
    bob.type("/join #dev")
    expect(bob.tab("#dev")).to_have_attribute("aria-selected", "true")  # bob's lines go there
    alice.tab("#lobby").click()
    bob.type("one")
    bob.type("two")
    expect(alice.tab("#dev").locator(".badge")).to_have_text("2")
    alice.tab("#dev").click()
    marker = alice.page.locator("#log .unread-marker")
    expect(marker).to_have_text("new since you last read")
    expect(alice.page.locator("#log .unread-marker + .line")).to_contain_text("one")
    bob.type("three")  # read as it comes: the marker stays where it was
    expect(said(alice, "three")).to_be_visible()
    expect(alice.page.locator("#log .unread-marker + .line")).to_contain_text("one")
    alice.tab("#lobby").click()
    alice.tab("#dev").click()
    expect(said(alice, "three")).to_be_visible()
    expect(marker).to_have_count(0)


def test_channel_list_panel(pages: Pages, web_server: RunningServer) -> None:
    alice, bob = two(pages, web_server)
    bob.type("/join #گپ")
    # /topic acts on the open tab: typed while #lobby was still open it went there (not op: refused)
    expect(bob.tab("#گپ")).to_have_attribute("aria-selected", "true")
    bob.type("/topic گفت‌وگوی فارسی")
    expect(bob.page.locator("#topic")).to_contain_text("گفت‌وگوی فارسی")
    bob.type("/join #dev")
    alice.page.locator("#channels-open").click()
    panel = alice.page.locator("#channels")
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-channel", "#lobby")  # most people first
    expect(panel.locator("#channels-count")).to_have_text("3 of 3 channels")
    panel.locator("th button[data-sort=name]").click()
    expect(rows.first).to_have_attribute("data-channel", "#dev")
    alice.page.fill("#channels-filter", "فارسی")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".channel-topic")).to_have_text("گفت‌وگوی فارسی")
    expect(rows.first.locator(".channel-topic")).to_have_attribute("dir", "auto")
    rows.first.locator(".join").click()
    expect(panel).to_be_hidden()
    expect(alice.tab("#گپ")).to_have_attribute("aria-selected", "true")
    alice.type("/list #d*")  # typed: the panel again, with what the server matched
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-channel", "#dev")


def test_presence_of_private_tabs(pages: Pages, web_server: RunningServer) -> None:
    alice, bob = two(pages, web_server)
    alice.page.locator("#user-list .member", has_text="bob").click()
    expect(alice.tab("bob").locator(".presence")).to_have_class("presence online")
    expect(alice.page.locator("#topic")).to_contain_text("online")
    bob.type("/quit bye")
    expect(alice.tab("bob").locator(".presence")).to_have_class("presence offline")
    expect(alice.page.locator("#topic")).to_contain_text("offline")


def test_settings_theme_and_typing_are_kept(pages: Pages, web_server: RunningServer) -> None:
    alice, bob = two(pages, web_server)
    page = alice.page
    light = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    page.locator("#settings-open").click()
    page.locator("#settings input[name=theme][value=dark]").check()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert dark != light and dark == "rgb(17, 19, 24)"
    page.locator("#setting-typing").uncheck()
    page.locator("#settings-close").click()
    page.locator("#input").press_sequentially("secret plans")
    bob.page.locator("#input").press_sequentially("x")  # bob's typing still reaches alice
    expect(page.locator("#typing")).to_have_text("bob is typing…")
    # alice typed first: had it been sent, it would have reached bob before his reached her
    assert bob.page.locator("#typing").inner_text() == ""
    page.press("#input", "Enter")
    expect(said(bob, "secret plans")).to_be_visible()
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    alice.login("alice")
    page.locator("#settings-open").click()
    expect(page.locator("#setting-typing")).not_to_be_checked()
    expect(page.locator("#settings input[name=theme][value=dark]")).to_be_checked()


def test_unread_counts_follow_another_device(pages: Pages, web_server: RunningServer) -> None:
    """Read on the phone (another connection of the same account): the page's unread count
    and its marker follow (draft/read-marker)."""
    alice = pages.open(web_server.web_port).login("alice")
    alice.type(f"/register {PASSWORD}")
    expect(alice.log_line("Account alice registered")).to_be_visible(timeout=10_000)
    alice.type("/join #dev")
    expect(alice.tab("#dev")).to_have_attribute("aria-selected", "true")
    alice.tab("#lobby").click()
    phone = IRCClient(web_server.port)
    phone.send("CAP LS 302", "CAP REQ :sasl draft/read-marker server-time", "NICK alicephone")
    phone.send("USER alicephone 0 * :phone", "AUTHENTICATE PLAIN")
    phone.expect("AUTHENTICATE")
    phone.send("AUTHENTICATE " + base64.b64encode(f"alice\0alice\0{PASSWORD}".encode()).decode())
    phone.expect("903", timeout=10)
    phone.send("CAP END")
    phone.expect("001")
    phone.send("JOIN #dev")
    phone.expect("366")
    bob = IRCClient(web_server.port).register("bob")
    bob.send("JOIN #dev", "PRIVMSG #dev :one", "PRIVMSG #dev :two")
    said = phone.expect("PRIVMSG", lambda m: m.param(1) == "two")
    expect(alice.tab("#dev").locator(".badge")).to_have_text("2")
    phone.send(f"MARKREAD #dev timestamp={said.tags['time']}")  # read on the phone
    expect(alice.tab("#dev").locator(".badge")).to_have_count(0)
    alice.tab("#dev").click()
    expect(alice.log_line("two")).to_be_visible()
    expect(alice.page.locator("#log .unread-marker")).to_have_count(0)
    phone.close()
    bob.close()


def test_replies_come_back_with_history(pages: Pages, web_server: RunningServer) -> None:
    """Who comes later sees a reply quoting its line: the tag is kept in history, and the line
    it answers is found earlier in the same history batch."""
    alice, bob = two(pages, web_server)
    alice.type("who wants tea?")
    expect(said(bob, "who wants tea?")).to_be_visible()
    bob.type("/reply alice me!")
    expect(said(alice, "me!")).to_be_visible()
    carol = pages.open(web_server.web_port).login("carol")
    expect(said(carol, "who wants tea?")).to_have_class("line kind-message history")
    quote = said(carol, "me!").locator(".quote")
    expect(quote).to_contain_text("alice")
    expect(quote).to_contain_text("who wants tea?")
