"""Accounts in the web client: /register, logging in from the nick form (SASL PLAIN), /identify,
and a wrong password (an error on the form, no hang, no reconnect loop)."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import RunningServer, running_server
from tests.web.browser import Pages

PASSWORD = "correct-horse-42"


def test_register_then_log_in_from_the_form(pages: Pages) -> None:
    # without always-on: bob's later visit logs in with /identify after connecting, which
    # needs his nick free (with always-on he would stay, and come back with the password
    # in the form: SASL, test_a_wrong_password_shows_the_form_again and docs/accounts.md)
    with running_server(web_port=free_port(), always_on=False) as server:
        alice = pages.open(server.web_port).login("alice")
        alice.type("/help")
        for command in ("/register", "/identify", "/history"):
            help_line = re.compile(r"^\d\d:\d\d\s*" + re.escape(command) + r"\b")
            expect(alice.page.locator("#log .line", has_text=help_line)).to_have_count(1)
        alice.type(f"/register {PASSWORD}")
        expect(alice.log_line("Account alice registered")).to_be_visible(timeout=10_000)
        expect(alice.page.locator("#status")).to_contain_text("account alice")
        assert PASSWORD not in alice.page.locator("#log").inner_text()
        alice.type("/register another-password")
        expect(alice.log_line("already logged in as alice")).to_be_visible()
        alice.type("/exit")
        expect(alice.page.locator("#left")).to_be_visible()

        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        fresh = pages.open(server.web_port).login("alice", PASSWORD)
        expect(fresh.page.locator("#status")).to_contain_text("Connected as alice · account alice")
        carol.send("WHOIS alice")
        assert carol.expect("330").params[1:3] == ("alice", "alice")  # logged in as alice
        assert PASSWORD not in fresh.page.evaluate("JSON.stringify(localStorage)")
        assert fresh.page.locator("#password").input_value() == ""

        # a guest takes the name "bob", registers it, and logs in by /identify on a later visit
        bob = pages.open(server.web_port).login("bob")
        bob.type("/register bob-secret-99 bob@example.org")
        expect(bob.page.locator("#status")).to_contain_text("account bob", timeout=10_000)
        bob.type("/exit")
        expect(bob.page.locator("#left")).to_be_visible()
        again = pages.open(server.web_port).login("bob")
        again.type("/identify wrong-one-00")
        expect(again.log_line("Login failed")).to_be_visible(timeout=10_000)
        again.type("/identify bob-secret-99")
        expect(again.page.locator("#status")).to_contain_text("account bob", timeout=10_000)
        assert "bob-secret-99" not in again.page.locator("#log").inner_text()


def test_a_wrong_password_shows_the_form_again(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        dave = IRCClient(server.port).register("dave")
        dave.send(f"PRIVMSG NickServ :REGISTER {PASSWORD}")
        dave.expect("900", timeout=10)
        dave.send("QUIT")

        page = pages.open(server.web_port)
        started = time.monotonic()
        page.submit_login("dave", "not-the-password")
        expect(page.page.locator("#password-error")).to_contain_text(
            "wrong nickname or password", timeout=10_000
        )
        assert time.monotonic() - started < 8
        expect(page.page.locator("#login")).to_be_visible()
        expect(page.page.locator("#chat")).to_be_hidden()
        expect(page.page.locator("#password")).to_be_focused()
        expect(page.page.locator("#password")).to_have_value("")
        expect(page.page.locator("#nick")).to_have_value("dave")
        time.sleep(1.5)  # no reconnect behind the form
        expect(page.page.locator("body")).to_have_attribute("data-state", "login")
        assert not [
            m for m in IRCClient(server.port).register("eve").collect(0.2) if m.nick == "dave"
        ]

        page.page.fill("#password", PASSWORD)
        page.page.press("#password", "Enter")
        page.wait_connected()
        expect(page.page.locator("#status")).to_contain_text("account dave")


def test_logs_in_again_after_the_server_restarts(pages: Pages, tmp_path: Path) -> None:
    port, web_port, data = free_port(), free_port(), str(tmp_path)
    with running_server(port=port, web_port=web_port, data_dir=data):
        alice = pages.open(web_port).login("alice")
        alice.type(f"/register {PASSWORD}")
        expect(alice.page.locator("#status")).to_contain_text("account alice", timeout=10_000)
    status = alice.page.locator("#status")
    expect(status).to_contain_text("reconnecting", timeout=10_000)
    expect(status).not_to_contain_text("account")
    with running_server(port=port, web_port=web_port, data_dir=data) as server:
        alice.wait_connected(timeout=40_000)
        expect(status).to_have_text("Connected as alice · account alice")
        carol = IRCClient(server.port).register("carol")
        carol.send("WHOIS alice")
        assert carol.expect("330").params[1:3] == ("alice", "alice")


def test_sasl_plain_in_400_byte_pieces(pages: Pages, web_server: RunningServer) -> None:
    page = pages.open(web_server.web_port)
    page.page.goto(page.url)
    script = """async () => {
      const { saslPlain } = await import("/irc.js");
      const { ChatCore } = await import("/client.js");
      const sent = [];
      const failed = [];
      const core = new ChatCore("zoë", { password: "pässword" });
      core.transmit = (line) => sent.push(line);
      core.onEvent = (event) => event.type === "auth-failed" && failed.push(event.message);
      core.connectionMade();
      for (const line of [
        ":srv CAP * LS :sasl=EXTERNAL,PLAIN batch",
        ":srv CAP * ACK :sasl batch",
        "AUTHENTICATE +",
        ":NickServ!NickServ@services. NOTICE * :Too many failed logins; try again later",
        ":srv 904 * :SASL authentication failed",
      ]) core.receiveLine(line);
      // "a\0a\0" + 297 bytes: 404 base64 characters; + 596 bytes: 800, then "+" ends it
      const pieces = [saslPlain("a", "x".repeat(297)), saslPlain("a", "x".repeat(596))];
      return { sent, failed, pieces };
    }"""
    out = page.page.evaluate(script)
    assert out["sent"][3:] == [
        "CAP REQ :batch sasl",
        "AUTHENTICATE PLAIN",
        "AUTHENTICATE " + base64.b64encode("zoë\0zoë\0pässword".encode()).decode(),
        "CAP END",
    ]
    assert out["failed"] == [
        "Could not log in as zoë: wrong nickname or password. "
        "(Too many failed logins; try again later)"
    ]
    short, full = out["pieces"]
    assert [len(p) for p in short] == [400, 4] and short[1] != "+"
    assert [len(p) for p in full] == [400, 400, 1] and full[2] == "+"
    assert base64.b64decode("".join(full[:2])) == b"a\0a\0" + b"x" * 596
