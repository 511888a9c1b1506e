#!/usr/bin/env python3
"""Make the README's pictures of the web client: docs/images/web-client.png (English interface)
and docs/images/web-client-fa.png (the same chat with the interface in Persian, right to left).

Starts `socketchat serve` (the real command) on free ports, opens pages in Debian's headless
Chromium (Playwright, never `playwright install`), lets them and a terminal user chat in #lobby
(in English and Persian, with IRC formatting and a link), and photographs two of them.
Usage: .venv/bin/python scripts/screenshot_web.py [OUTPUT.png [OUTPUT-fa.png]]
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
    out_fa = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs/images/web-client-fa.png"
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
        sara.say("#lobby", "جلسه ساعت 10:30 در room B است، OK?")
        say(omar, "\x02OK\x02 \x0303see you there\x03 (agenda: https://example.org/agenda)")
        sara.say("#lobby", "عالی! من \x1dحتماً\x1d می\u200cآیم")
        say(omar, "/pm mina see you at the lab at 3?")
        time.sleep(0.5)
        farsi = browser.new_context(viewport=size, locale="fa-IR").new_page()
        login(farsi, url, "dara")
        sara.say("#lobby", "سلام dara، خوش آمدی!")
        mina.locator("#input").fill("omar: sure, ")
        mina.locator("#input").focus()
        farsi.locator("#input").fill("ممنون سارا")
        farsi.locator("#input").focus()
        time.sleep(0.3)
        out.parent.mkdir(parents=True, exist_ok=True)
        mina.screenshot(path=str(out))
        farsi.screenshot(path=str(out_fa))
    print(f"wrote {out} and {out_fa}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
