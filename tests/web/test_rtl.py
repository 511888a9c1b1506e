"""Persian in the web client, checked by where Chromium draws the words (not only attributes),
plus the interface language (English / Persian) and IRC formatting on the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.irc import IRCClient
from tests.support.server import RunningServer
from tests.web.browser import ChatPage, Pages

MIXED = "جلسه ساعت 10:30 در room B است، OK?"

# The box of the first occurrence of `word` inside the element matched by `selector`: a Range
# over the text node that holds it (its first client rect, as the word is on one visual line).
WORD_BOX = """([selector, word]) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + word.length);
    const r = range.getClientRects()[0];
    return { left: r.left, right: r.right, top: r.top };
  }
  return null;
}"""


@pytest.fixture
def bob(web_server: RunningServer) -> Iterator[IRCClient]:
    client = IRCClient(web_server.port).register("bob")
    client.send("JOIN #lobby")
    client.expect("366")
    yield client
    client.close()


def box(page: ChatPage, selector: str, word: str) -> dict[str, float]:
    found: dict[str, float] | None = page.page.evaluate(WORD_BOX, [selector, word])
    assert found is not None, f"{word!r} not found in {selector}"
    return found


def said(page: ChatPage, bob: IRCClient, text: str) -> str:
    """bob says `text` in #lobby; the selector of the line's text on the page."""
    bob.send(f"PRIVMSG #lobby :{text}")
    line = page.page.locator("#log .line.kind-message").last
    expect(line.locator(".nick")).to_have_text("bob")
    expect(line.locator(".text")).to_have_text(strip(text))
    return "#log .line.kind-message:last-child .text"


def strip(text: str) -> str:
    return "".join(c for c in text if c not in "\x02\x1d\x1f\x1e\x0f")


def test_a_mixed_line_is_drawn_in_reading_order(
    pages: Pages, web_server: RunningServer, bob: IRCClient
) -> None:
    alice = pages.open(web_server.web_port).login("alice")
    text = said(alice, bob, MIXED)
    first, room, time, ok = (box(alice, text, w) for w in ("جلسه", "room B", "10:30", "OK?"))
    # The line's base direction is right-to-left (its first strong letter is Persian): it
    # starts at the right with its first word; "10:30" comes before "room B" in reading order,
    # so it sits to the right of it; "OK?" ends the sentence at the left.
    assert first["left"] > time["right"] > room["right"]
    assert room["left"] > ok["right"]
    # the "?" after "OK" ends the right-to-left sentence: it is drawn at the very left
    assert box(alice, text, "?")["right"] <= box(alice, text, "OK")["left"] + 0.5
    assert first["top"] == ok["top"]  # one visual line
    # the time and nick stay in their columns at the left of an English page
    row = "#log .line.kind-message:last-child"
    assert box(alice, row + " time", ":")["right"] < box(alice, row + " .nick", "bob")["left"]
    assert alice.page.locator(row + " .text").get_attribute("dir") == "auto"


def test_every_name_and_text_gets_its_own_direction(
    pages: Pages, web_server: RunningServer, bob: IRCClient
) -> None:
    alice = pages.open(web_server.web_port).login("alice")
    bob.send("TOPIC #lobby :موضوع: جلسهٔ امروز")
    expect(alice.page.locator("#topic")).to_have_text("موضوع: جلسهٔ امروز")
    page = alice.page
    assert page.locator("#topic").get_attribute("dir") == "auto"
    assert page.locator("#input").get_attribute("dir") == "auto"
    assert page.locator("#nick").get_attribute("dir") == "auto"
    assert page.locator('#tabs .tab[data-buffer="#lobby"] .tab-name').get_attribute("dir") == "auto"
    assert page.locator("#user-list .member-nick").first.get_attribute("dir") == "auto"
    # the composer: Persian typed in it starts at the right, English at the left
    page.fill("#input", "سلام دنیا")
    persian = page.evaluate("getComputedStyle(document.querySelector('#input')).direction")
    assert persian == "rtl"
    page.fill("#input", "hello")
    assert page.evaluate("getComputedStyle(document.querySelector('#input')).direction") == "ltr"
    # the topic reads right to left: its first word at the right
    assert box(alice, "#topic", "موضوع")["left"] > box(alice, "#topic", "امروز")["right"]


def test_the_page_in_persian_is_right_to_left(
    pages: Pages, web_server: RunningServer, bob: IRCClient
) -> None:
    alice = pages.open(web_server.web_port, locale="fa-IR")
    alice.page.goto(alice.url)
    page = alice.page
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.locator("#login button[type=submit]")).to_have_text("ورود به گفت‌وگو")
    alice.submit_login("alice")
    alice.wait_connected()
    expect(page.locator("#status")).to_have_text("وصل شدید با نام alice")
    text = said(alice, bob, "hello world 42")
    row = "#log .line.kind-message:last-child"
    # right to left: the time is the rightmost column, then the nick, then the text
    time_box = box(alice, row + " time", ":")
    assert time_box["left"] > box(alice, row + " .nick", "bob")["right"]
    # an English message keeps its own order inside the Persian page; so does the time
    assert box(alice, text, "hello")["right"] < box(alice, text, "world")["left"]
    stamp = page.locator(row + " time").inner_text()
    assert box(alice, row + " time", stamp[:2])["right"] <= time_box["left"] + 0.5
    # a mixed line is right-aligned in its column and reads from the right
    text = said(alice, bob, MIXED)
    assert box(alice, text, "جلسه")["left"] > box(alice, text, "room B")["right"]


def test_the_language_can_be_switched_and_is_remembered(
    pages: Pages, web_server: RunningServer
) -> None:
    alice = pages.open(web_server.web_port)
    alice.page.goto(alice.url)
    page = alice.page
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.locator("#login .lang-switch").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#login label[for=nick]")).to_have_text("نام مستعار")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    alice.submit_login("alice")
    alice.wait_connected()
    expect(page.locator("#status")).to_have_text("وصل شدید با نام alice")
    page.locator(".topbar .lang-switch").click()
    expect(page.locator("#status")).to_have_text("Connected as alice")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert page.evaluate("localStorage.getItem('socketchat.lang')") == "en"


def test_the_cores_own_lines_are_in_the_page_language(
    pages: Pages, web_server: RunningServer
) -> None:
    """Joins, parts and "You joined" come from the chat core (static/coremessages.js, made from
    the Python clients' catalog): in Persian on a Persian page, and again in English when the
    language is switched back, without reloading."""
    alice = pages.open(web_server.web_port, locale="fa-IR")
    alice.page.goto(alice.url)
    alice.submit_login("alice")
    alice.wait_connected()
    page = alice.page
    expect(alice.log_line("به #lobby پیوستید")).to_have_count(1)
    joined = "#log .line.kind-join .text"
    expect(page.locator(joined + " bdi")).to_have_text("#lobby")  # isolated in its <bdi>
    # drawn as "#lobby" (its own order), not pulled into the sentence's as "lobby#"
    assert box(alice, joined, "#")["right"] <= box(alice, joined, "lobby")["left"] + 0.5
    assert box(alice, joined, "به")["left"] > box(alice, joined, "lobby")["right"]  # read first
    carol = IRCClient(web_server.port).register("carol")
    try:
        carol.send("JOIN #lobby")
        carol.expect("366")
        carol.send("PART #lobby :خداحافظ")
        carol.expect("PART")
        expect(page.locator("#log")).to_contain_text("carol رفت (خداحافظ)")
        page.locator(".topbar .lang-switch").click()
        expect(page.locator("#log")).to_contain_text("carol left (خداحافظ)")
        expect(alice.log_line("You joined #lobby")).to_have_count(1)
    finally:
        carol.close()


def test_formatting_codes_and_links(
    pages: Pages, web_server: RunningServer, bob: IRCClient
) -> None:
    alice = pages.open(web_server.web_port).login("alice")
    bob.send(
        "PRIVMSG #lobby :\x02bold\x02 \x1ditalic\x1d \x034,2red\x03 \x1estrike\x1e "
        "see https://example.org/a?b=1."
    )
    line = alice.page.locator("#log .line.kind-message").last
    expect(line.locator(".text")).to_have_text(
        "bold italic red strike see https://example.org/a?b=1."
    )
    styles: list[dict[str, Any]] = line.locator(".text > *").evaluate_all(
        """nodes => nodes.map(n => ({text: n.textContent, tag: n.tagName, cls: n.className,
             color: getComputedStyle(n).color, bg: getComputedStyle(n).backgroundColor,
             weight: getComputedStyle(n).fontWeight, style: getComputedStyle(n).fontStyle,
             deco: getComputedStyle(n).textDecorationLine, href: n.getAttribute('href')}))"""
    )
    by_text = {s["text"]: s for s in styles}
    assert int(by_text["bold"]["weight"]) >= 700
    assert by_text["italic"]["style"] == "italic"
    assert by_text["red"]["color"] == "rgb(255, 0, 0)"
    assert by_text["red"]["bg"] == "rgb(0, 0, 127)"
    assert "line-through" in by_text["strike"]["deco"]
    link = by_text["https://example.org/a?b=1"]
    assert link["tag"] == "A" and link["href"] == "https://example.org/a?b=1"
    assert "\x02" not in line.inner_text() and "\x03" not in line.inner_text()


def test_a_persian_nick_first_leaves_the_pages_own_lines_in_order(
    pages: Pages, web_server: RunningServer
) -> None:
    """Issue 14: "سارا (~u@host) joined" and the WHOIS card's "سارا (~u@host) — …" took their
    direction from the Persian nick and drew the host scrambled ("(u@127.0.0.1~)", "joined" at
    the left). Now the sentence reads in the page's direction, the nick isolated in a <bdi>."""
    alice = pages.open(web_server.web_port).login("alice")
    alice.wait_connected()
    expect(alice.tab("#lobby")).to_be_visible()
    sara = IRCClient(web_server.port)
    sara.send("NICK سارا", "USER sara 0 * :Sara S")
    sara.expect("001")
    sara.send("JOIN #lobby")
    sara.expect("366")
    try:
        join = "#log .line.kind-join:last-child .text"
        expect(alice.page.locator(join)).to_contain_text("joined")
        assert alice.page.locator(join).get_attribute("dir") == "ltr"
        nick, host, joined = (box(alice, join, w) for w in ("سارا", "~sara@", "joined"))
        assert nick["right"] < host["left"] < joined["left"]  # left to right, as in English
        assert box(alice, join, "(")["right"] <= host["left"] + 0.5  # "(~", not "~)"
        alice.type("/whois سارا")
        expect(alice.page.locator("#log")).to_contain_text("idle:")
        who = alice.page.locator("#log .line.kind-info .text", has_text="Sara S")
        expect(who).to_have_count(1)
        who.evaluate("node => node.id = 'who-line'")
        words = ("سارا", "~sara@127.0.0.1", "Sara S")
        nick, address, real = (box(alice, "#who-line", w) for w in words)
        assert nick["right"] < address["left"] < real["left"]
        # in Persian the sentence is right-to-left, the address still one left-to-right unit
        alice.page.locator(".topbar .lang-switch").click()
        expect(alice.page.locator("html")).to_have_attribute("dir", "rtl")
        who = alice.page.locator("#log .line.kind-info .text", has_text="Sara S")
        who.evaluate("node => node.id = 'who-line'")
        nick, address, real = (box(alice, "#who-line", w) for w in words)
        assert nick["left"] > address["right"] > real["right"]  # read from the right
        assert box(alice, "#who-line", "~")["left"] <= address["left"] + 0.5  # "~" first
    finally:
        sara.close()
