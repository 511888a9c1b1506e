"""The operators' page (/admin) in Chromium: log in with an operator account, see who is
connected from where, the channels and bans; kill, K-line and lift with its buttons."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from socketchat.server.config import Operator
from socketchat.server.passwords import hash_password
from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import running_server

OPERATORS = (Operator("admin", hash_password("sekrit", log2_n=4)),)


def test_admin_page_lists_kills_klines_and_lifts(browser: Browser) -> None:
    with running_server(web_port=free_port(), operators=OPERATORS) as srv:
        troll = IRCClient(srv.port, source="127.0.0.2").register("troll")
        loud = IRCClient(srv.port).register("loud")
        loud.send("JOIN #help")
        loud.expect("366")
        context = browser.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"http://127.0.0.1:{srv.web_port}/admin")

        page.fill("#oper-name", "admin")
        page.fill("#oper-password", "wrong")
        page.click("#login-button")
        expect(page.locator("#login-error")).to_contain_text("Wrong operator name or password")
        page.fill("#oper-password", "sekrit")
        page.click("#login-button")
        expect(page.locator("#panel")).to_be_visible()

        row = page.locator("#users tr[data-nick=troll]")
        expect(row).to_contain_text("127.0.0.2")  # the address: operators see it
        expect(page.locator("#channels")).to_contain_text("#help")
        expect(page.locator("#glance dd[data-key=Users]")).not_to_have_text("0")

        page.fill("#reason", "stop trolling")
        row.get_by_role("button", name="K-line").click()
        assert "K-lined: stop trolling" in troll.expect("ERROR").params[0]
        ban = page.locator("#bans tr[data-mask='*@127.0.0.2']")
        expect(ban).to_contain_text("stop trolling")
        expect(page.locator("#log")).to_contain_text("Added K-line for *@127.0.0.2")
        expect(page.locator("#users tr[data-nick=troll]")).to_have_count(0)

        page.locator("#users tr[data-nick=loud]").get_by_role("button", name="Kill").click()
        assert "stop trolling" in loud.expect("ERROR").params[0]

        ban.get_by_role("button", name="Lift").click()
        expect(page.locator("#bans tr[data-mask='*@127.0.0.2']")).to_have_count(0)
        IRCClient(srv.port, source="127.0.0.2").register("back").close()  # lifted
        assert errors == []
        context.close()
