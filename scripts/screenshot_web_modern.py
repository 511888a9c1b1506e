#!/usr/bin/env python3
"""Make the README's picture of modern messaging in the web client: docs/images/web-modern.png.

Starts `socketchat serve` (the real command) on free ports, opens a page in Debian's headless
Chromium and lets raw IRC users talk to it in #lobby: a reply (quoted), reactions under a line,
a pasted code block as one multi-line message, a line taken back, someone typing; the page's
own reply is being written. Reactions use symbols common fonts have (❤ ✓): headless Chromium
here has no colour-emoji font.
Usage: .venv/bin/python scripts/screenshot_web_modern.py [OUTPUT.png]
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


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/images/web-modern.png"
    web_port = free_port()
    url = f"http://127.0.0.1:{web_port}/"
    with serve(web_port) as port, chromium() as browser:
        page = browser.new_context(viewport={"width": 1100, "height": 600}).new_page()
        login(page, url, "mina")
        sara = User(port, "sara")
        omar = User(port, "omar")
        ask = sara.say("#lobby", "Who reviews the parser today? امروز کسی parser را بررسی می‌کند؟")
        omar.say("#lobby", "I can, after lunch", tags=f"+draft/reply={ask}")
        omar.react("#lobby", ask, "✓")
        page.locator("#input").fill("me too")
        page.press("#input", "Enter")
        time.sleep(0.3)
        code = "def parse(line):\n    tags, _, rest = line.partition(' ')\n    return tags, rest"
        sent = omar.say("#lobby", "the part I mean:")
        sara.react("#lobby", sent, "❤")
        page.fill("#input", code)
        page.press("#input", "Enter")
        time.sleep(0.3)
        oops = sara.say("#lobby", "wrong channel, sorry")
        sara.send(f"REDACT #lobby {oops}")
        time.sleep(0.3)
        line = page.locator("#log .line", has_text="I can, after lunch").first
        line.hover()
        line.locator(".act-reply").click()
        page.locator("#input").fill("great, ممنون")
        sara.typing("#lobby")
        expect(page.locator("#typing")).not_to_have_text("")
        page.locator("#log .line", has_text="the part I mean").first.hover()
        time.sleep(0.3)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
