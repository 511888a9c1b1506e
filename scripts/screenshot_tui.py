#!/usr/bin/env python3
"""Make the README's picture of the terminal client: docs/images/terminal-client.png (with Persian
lines shaped and reordered, IRC formatting and a link).

Starts `socketchat serve` (the real command) on a free port, runs the Textual client headless
(Pilot) while two raw IRC users chat with it in #lobby, exports Textual's SVG screenshot and has
Debian's headless Chromium turn it into a PNG.
Usage: .venv/bin/python scripts/screenshot_tui.py [OUTPUT.png]
"""

from __future__ import annotations

import asyncio
import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shots import CHROMIUM_ARGS, ROOT, User, serve

from socketchat.client.tui.app import ChatApp

SIZE = (110, 28)


async def shoot(port: int, svg: Path) -> None:
    app = ChatApp("mina", "127.0.0.1", port)
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 15
        while not (app.core and app.core.state == "connected" and app.shown == "#lobby"):
            if time.monotonic() > deadline:
                raise SystemExit("the client did not join #lobby")
            await pilot.pause(0.05)
        omar, sara = User(port, "omar"), User(port, "sara")
        await pilot.pause(0.5)
        omar.send("PRIVMSG #lobby :Hello everyone!")
        await pilot.pause(0.2)
        sara.send("PRIVMSG #lobby :Hi omar! سلام")
        await pilot.pause(0.2)
        await pilot.press(*"Hey both, typing from the terminal client")
        await pilot.press("enter")
        await pilot.pause(0.2)
        sara.send("PRIVMSG #lobby :جلسه ساعت 10:30 در room B است، OK?")
        await pilot.pause(0.2)
        omar.send(
            "PRIVMSG #lobby :\x02OK\x02 \x0303see you there\x03 \x1d(agenda:\x1d https://example.org/agenda)"
        )
        await pilot.pause(0.2)
        sara.send(
            "PRIVMSG #lobby :یک پیام طولانی‌تر به فارسی که در چند سطر شکسته می\u200cشود تا ببینیم"
            " هر سطر از راست به چپ خوانده می\u200cشود و ساعت و نام در سمت چپ می\u200cمانند."
        )
        await pilot.pause(0.2)
        omar.send("PRIVMSG mina :psst, try /who")
        await pilot.pause(0.2)
        await pilot.press(*"/who")
        await pilot.press("enter")
        await pilot.pause(0.5)
        await pilot.press(*"sa")
        await pilot.press("tab")
        await pilot.pause(0.3)
        app.save_screenshot(svg.name, str(svg.parent))


def svg_size(svg: Path) -> tuple[int, int]:
    """The pixel size from the SVG's viewBox, so the PNG has no margins."""
    match = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', svg.read_text(encoding="utf-8"))
    if match is None:
        return 1200, 800
    return math.ceil(float(match.group(1))), math.ceil(float(match.group(2)))


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/images/terminal-client.png"
    with serve() as port, tempfile.TemporaryDirectory() as tmp:
        svg = Path(tmp) / "terminal.svg"
        asyncio.run(shoot(port, svg))
        # The client hands the terminal right-to-left text already shaped and in drawing order,
        # as a terminal without bidi needs it; Chromium would reorder the SVG's text again.
        # Draw it the way a terminal does: each character where it is, left to right.
        plain = svg.read_text(encoding="utf-8")
        svg.write_text(
            plain.replace(
                "<style>", "<style>\ntext { unicode-bidi: bidi-override; direction: ltr; }\n", 1
            ),
            encoding="utf-8",
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        width, height = svg_size(svg)
        subprocess.run(
            [
                "chromium",
                "--headless",
                *CHROMIUM_ARGS,
                "--hide-scrollbars",
                f"--user-data-dir={tmp}/profile",
                f"--window-size={width},{height}",
                f"--screenshot={out}",
                svg.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
