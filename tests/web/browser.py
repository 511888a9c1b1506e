"""Drive the web client in Debian's Chromium through Playwright (see docs/testing-recipes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support import require_tool

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Chromium reports a refused WebSocket as a console error; only expected while a server is down.
WS_REFUSED = re.compile(r"WebSocket connection to '.*' failed")


@contextmanager
def chromium() -> Iterator[Browser]:
    executable = require_tool("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class ChatPage:
    """One browser tab with the chat page; collects JavaScript errors as it goes."""

    def __init__(self, context: BrowserContext, web_port: int) -> None:
        self.page: Page = context.new_page()
        self.url = f"http://127.0.0.1:{web_port}/"
        self.errors: list[str] = []
        self.refused: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        if WS_REFUSED.search(message.text):
            self.refused.append(message.text)
        else:
            self.errors.append(f"console: {message.text}")

    def login(self, nick: str, password: str = "") -> ChatPage:
        self.submit_login(nick, password)
        self.wait_connected()
        expect(self.tab("#lobby")).to_have_attribute("aria-selected", "true")
        return self

    def submit_login(self, nick: str, password: str = "") -> None:
        """Fill in the nick form (opening the page first if needed) and press Enter."""
        if self.page.url != self.url:
            self.page.goto(self.url)
        self.page.fill("#nick", nick)
        self.page.fill("#password", password)
        self.page.press("#nick", "Enter")

    def wait_connected(self, timeout: float = 10_000) -> None:
        expect(self.page.locator("body")).to_have_attribute(
            "data-state", "connected", timeout=timeout
        )

    def type(self, text: str) -> None:
        self.page.fill("#input", text)
        self.page.press("#input", "Enter")

    def tab(self, name: str) -> Any:
        return self.page.locator(f'#tabs .tab[data-buffer="{name}"]')

    def log_line(self, text: str) -> Any:
        return self.page.locator("#log .line", has_text=text)

    def members(self) -> list[str]:
        return self.page.locator("#user-list .member-nick").all_inner_texts()


class Pages:
    """The pages a test opens, each in a fresh browser profile."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.opened: list[ChatPage] = []

    def open(self, web_port: int, **context_options: Any) -> ChatPage:
        context_options.setdefault("viewport", {"width": 1100, "height": 700})
        context = self.browser.new_context(**context_options)
        self.contexts.append(context)
        page = ChatPage(context, web_port)
        self.opened.append(page)
        return page

    def close(self) -> list[str]:
        """Close every page; the JavaScript errors they logged."""
        for context in self.contexts:
            context.close()
        return [e for p in self.opened for e in p.errors]
