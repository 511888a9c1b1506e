#!/usr/bin/env python3
"""Make the README's picture of the web client: docs/images/web-client.png.

Starts `socketchat serve` (the real command) on free ports, opens two pages in Debian's headless
Chromium (Playwright, never `playwright install`), lets them and a terminal user chat in #lobby,
and photographs one page. Usage: .venv/bin/python scripts/screenshot_web.py [OUTPUT.png]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from playwright.sync_api import Page, expect
from shots import ROOT, User, chromium, free_port, serve


def login(page: Page, url: str, nick: str) -> None:
    page.goto(url)
    page.fill("#nick", nick)
    page.press("#nick", "Enter")
    expect(page.locator("body")).to_have_attribute("data-state", "connected")


def say(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")
    time.sleep(0.25)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/images/web-client.png"
    web_port = free_port()
    url = f"http://127.0.0.1:{web_port}/"
    with serve(web_port) as port, chromium() as browser:
        size = {"width": 1100, "height": 560}
        mina = browser.new_context(viewport=size, device_scale_factor=1).new_page()
        omar = browser.new_context(viewport=size).new_page()
        login(omar, url, "omar")
        sara = User(port, "sara")
        say(omar, "/topic Welcome to socketchat: be kind, #lobby is where everyone meets")
        login(mina, url, "mina")
        say(omar, "Hello everyone!")
        sara.say("#lobby", "Hi omar! سلام")
        say(mina, "Hey both, the browser client works great")
        say(omar, "/me waves from the browser")
        sara.say("#lobby", "Try /pm <nick|ip> for a private chat, /who to see everyone")
        say(omar, "/pm mina see you at the lab at 3?")
        time.sleep(0.5)
        mina.locator("#input").fill("omar: sure, ")
        mina.locator("#input").focus()
        out.parent.mkdir(parents=True, exist_ok=True)
        mina.screenshot(path=str(out))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
