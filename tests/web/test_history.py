"""History in the web client: shown in order on join, scroll-back page by page, /history.

The first test drives the page's client core (client.js) directly inside Chromium with scripted
server lines, for the orders a real server only produces by chance; the others use the real
server and scroll the real page."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import running_server
from tests.web.browser import ChatPage, Pages

# Runs in the page: a ChatCore fed with lines; returns what it sent and its #lobby lines.
CORE_SCRIPT = """async (script) => {
  const { ChatCore } = await import("/client.js");
  const core = new ChatCore("alice");
  const sent = [];
  core.transmit = (line) => sent.push(line);
  const show = (l) => `${l.history ? "H" : "L"} ${l.kind}: ${l.text}`;
  const lobby = () => core.buf("#lobby").lines.map(show);
  const out = [];
  core.connectionMade();
  for (const step of script) {
    if (step.feed) core.receiveLine(step.feed);
    if (step.older) out.push({ asked: core.requestOlder("#lobby") });
    if (step.input) core.handleInput(step.input, "#lobby");
    if (step.snapshot) out.push({ lines: lobby(), sent: sent.splice(0) });
  }
  return out;
}"""

WELCOME = [
    {"feed": ":srv CAP * LS :batch server-time message-tags draft/chathistory"},
    {"feed": ":srv CAP alice ACK :batch server-time message-tags draft/chathistory"},
    {"feed": ":srv 001 alice :Welcome"},
    {"feed": "@time=2030-01-01T10:00:05.000Z :alice!a@h JOIN #lobby"},
]


def msg(ref: str | None, time: str, msgid: str, text: str) -> dict[str, str]:
    batch = f"batch={ref};" if ref else ""
    return {
        "feed": f"@{batch}time=2030-01-01T{time}.000Z;msgid={msgid} :bob!b@h PRIVMSG #lobby :{text}"
    }


def run_core(page: ChatPage, script: list[dict[str, Any]]) -> list[dict[str, Any]]:
    page.page.goto(page.url)
    result: list[dict[str, Any]] = page.page.evaluate(CORE_SCRIPT, script)
    return result


def test_core_places_history_above_the_join_and_pages_back(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        page = pages.open(server.web_port)
        snap = {"snapshot": True}
        out = run_core(
            page,
            [
                *WELCOME,
                snap,
                # a live line arrives before the answer to CHATHISTORY LATEST, which repeats it
                msg(None, "10:00:06", "m3", "live, also in history"),
                {"feed": ":srv BATCH +h1 chathistory #lobby"},
                msg("h1", "09:00:00", "m1", "old one"),
                msg("h1", "09:30:00", "m2", "old two"),
                msg("h1", "10:00:06", "m3", "live, also in history"),
                {"feed": ":srv BATCH -h1"},
                msg(None, "10:00:07", "m4", "live two"),
                snap,
                {"older": True},
                {"older": True},  # one request at a time per buffer
                snap,
                # the server forgot m1: asked again by time
                {"feed": ":srv FAIL CHATHISTORY MESSAGE_ERROR BEFORE #lobby :No such message"},
                snap,
                {"feed": ":srv BATCH +h2 chathistory #lobby"},
                msg("h2", "08:00:00", "m0", "older still"),
                msg("h2", "09:00:00", "m1", "old one"),
                # fewer lines than the 50 asked for: the start of the history, nothing more to ask
                {"feed": ":srv BATCH -h2"},
                {"older": True},
                {"input": "/history 5"},
                snap,
            ],
        )
    joined, after_join, asked, retried, end = (
        out[0],
        out[1],
        out[4],
        out[5],
        out[-1],
    )
    assert joined["sent"][-1] == "CHATHISTORY LATEST #lobby * 50"
    assert after_join["lines"] == [
        "H message: old one",
        "H message: old two",
        "H divider: history",
        "L join: You joined #lobby",
        "L message: live, also in history",
        "L message: live two",
    ]
    assert out[2] == {"asked": True} and out[3] == {"asked": False}
    assert asked["sent"] == ["CHATHISTORY BEFORE #lobby msgid=m1 50"]
    assert retried["sent"] == ["CHATHISTORY BEFORE #lobby timestamp=2030-01-01T09:00:00.000Z 50"]
    assert out[6] == {"asked": False}
    assert end["sent"] == []
    assert end["lines"][:4] == [
        "H history-start: start of history",
        "H message: older still",
        "H message: old one",
        "H message: old two",
    ]
    assert end["lines"][-1] == "L error: This is the start of history"


def lobby_texts(page: ChatPage) -> list[str]:
    texts: list[str] = page.page.locator("#log .line .text, #log .line.marker").all_inner_texts()
    return texts


def test_history_on_join_is_above_the_join_and_live_lines(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        carol.send(
            "TOPIC #lobby :history test", *(f"PRIVMSG #lobby :before {i}" for i in (1, 2, 3))
        )
        carol.send("PING sync")
        carol.expect("PONG")
        alice = pages.open(server.web_port).login("alice")
        expect(alice.log_line("Topic: history test")).to_be_visible()
        carol.send("PRIVMSG #lobby :live after alice came")
        expect(alice.log_line("live after alice came")).to_be_visible()
        texts = lobby_texts(alice)
        assert texts[:4] == ["before 1", "before 2", "before 3", "history"]
        assert texts.index("You joined #lobby") == 4
        assert texts.index("live after alice came") > texts.index("Topic: history test") > 4
        for i in (1, 2, 3):
            expect(alice.log_line(f"before {i}")).to_have_class(re.compile(r"\bhistory\b"))
        expect(alice.log_line("live after alice came")).not_to_have_class(
            re.compile(r"\bhistory\b")
        )
        expect(alice.page.locator("#log .line.marker")).to_have_attribute("role", "separator")


def test_scrolling_to_the_top_loads_older_pages_until_the_start(pages: Pages) -> None:
    with running_server(limits={"flood_burst": 0}, web_port=free_port()) as server:
        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        carol.send(*(f"PRIVMSG #lobby :line {i:03}" for i in range(1, 131)))
        carol.send("PING sync")
        carol.expect("PONG")
        alice = pages.open(server.web_port).login("alice")
        log = alice.page.locator("#log")
        expect(alice.log_line("line 130")).to_be_visible()
        # the latest 50 items: alice's own JOIN is one of them (draft/event-playback)
        expect(alice.log_line("line 082")).to_have_count(1)
        expect(alice.log_line("line 081")).to_have_count(0)
        assert log.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") < 5

        # to the top: the 50 before line 082 come in above it, and what was shown stays put
        log.evaluate("el => { el.scrollTop = 0; }")
        expect(alice.log_line("line 032")).to_have_count(1)
        expect(alice.page.locator("#log.loading")).to_have_count(0)
        first = alice.log_line("line 082").bounding_box()
        top = log.bounding_box()
        assert first is not None and top is not None
        assert abs(first["y"] - top["y"]) < 12  # still at the top edge (the log's padding)
        expect(alice.log_line("line 031")).to_have_count(0)

        alice.type("/history 20")  # the same, typed
        expect(alice.log_line("line 012")).to_have_count(1)
        expect(alice.log_line("line 011")).to_have_count(0)

        log.evaluate("el => { el.scrollTop = 0; }")
        expect(alice.log_line("line 001")).to_have_count(1)
        log.evaluate("el => { el.scrollTop = 0; }")
        expect(alice.page.locator("#log .marker", has_text="start of history")).to_have_count(1)
        texts = [t for t in lobby_texts(alice) if t.startswith("line ")]
        assert texts == [f"line {i:03}" for i in range(1, 131)]
        assert lobby_texts(alice)[0] == "start of history"
        log.evaluate("el => { el.scrollTop = 0; }")  # nothing more is asked for
        alice.type("/history")
        expect(alice.log_line("This is the start of history")).to_be_visible()
