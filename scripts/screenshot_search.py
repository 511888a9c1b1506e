#!/usr/bin/env python3
"""Make docs/search.md's picture: the browser client's search results tab
(docs/images/web-search.png).

Starts `socketchat serve` (the real command) on free ports; a terminal user says a few lines in
#lobby (English and Persian, the verb typed with the zero-width non-joiner), the page searches
for the verb typed without it, and the results tab is photographed.
Usage: .venv/bin/python scripts/screenshot_search.py [OUTPUT.png]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from playwright.sync_api import expect
from shots import ROOT, User, chromium, free_port, serve


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/images/web-search.png"
    web_port = free_port()
    url = f"http://127.0.0.1:{web_port}/"
    with serve(web_port) as port, chromium() as browser:
        sara = User(port, "sara")
        for line in (
            "فردا می\u200cروم کتابخانه، کسی می\u200cآید؟",
            "the library closes at 6 tomorrow",
            "من هم میروم، ساعت ۱۰:۳۰",
            "lunch first?",
            "باشه، بعد از کلاس می\u200cروم",
        ):
            sara.say("#lobby", line)
            time.sleep(0.05)
        page = browser.new_context(viewport={"width": 1100, "height": 460}).new_page()
        page.goto(url)
        page.fill("#nick", "mina")
        page.press("#nick", "Enter")
        expect(page.locator("body")).to_have_attribute("data-state", "connected")
        page.fill("#input", "/search میروم")
        page.press("#input", "Enter")
        expect(page.locator("#log .line.result")).to_have_count(3)
        page.locator("#log .line.result").nth(1).hover()
        time.sleep(0.3)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
