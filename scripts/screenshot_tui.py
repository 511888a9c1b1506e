#!/usr/bin/env python3
"""Make the README's picture of the terminal client: docs/images/terminal-client.png (with Persian
lines shaped and reordered, IRC formatting, a link, joins folded into one line, a reply quoted,
reactions and someone typing). ``--lang fa --theme light`` makes
docs/images/terminal-client-fa.png: the interface in Persian, the talk too.

Starts `socketchat serve` (the real command) on a free port, runs the Textual client headless
(Pilot) while two raw IRC users chat with it in #lobby, exports Textual's SVG screenshot and has
Debian's headless Chromium turn it into a PNG.
Usage: .venv/bin/python scripts/screenshot_tui.py [OUTPUT.png] [--lang fa] [--theme light]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import subprocess
import tempfile
import time
from pathlib import Path

from shots import CHROMIUM_ARGS, ROOT, User, serve

from socketchat.client.tui.app import ChatApp

SIZE = (110, 28)


async def shoot(port: int, svg: Path, lang: str, theme: str) -> None:
    persian = lang == "fa"
    app = ChatApp("mina", "127.0.0.1", port, theme=theme, language=lang)
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 15
        while not (app.core and app.core.state == "connected" and app.shown == "#lobby"):
            if time.monotonic() > deadline:
                raise SystemExit("the client did not join #lobby")
            await pilot.pause(0.05)
        omar, sara = User(port, "omar"), User(port, "sara")
        reza = User(port, "reza")
        reza.close()  # a join and a quit: folded into one line with the others
        await pilot.pause(0.5)
        omar.say("#lobby", "سلام به همه! کسی هست؟" if persian else "Hello everyone!")
        await pilot.pause(0.2)
        hello = sara.say("#lobby", "سلام omar! خوبی؟" if persian else "Hi omar! سلام")
        await pilot.pause(0.2)
        typed = "سلام از ترمینال" if persian else "Hey both, typing from the terminal client"
        await pilot.press(*typed)
        await pilot.press("enter")
        await pilot.pause(0.2)
        meeting = sara.say("#lobby", "جلسه ساعت 10:30 در room B است، OK?")
        await pilot.pause(0.2)
        omar.say(
            "#lobby",
            "\x02باشه\x02 \x0303می‌بینمتان\x03 \x1d(دستور جلسه:\x1d https://example.org/agenda)"
            if persian
            else "\x02OK\x02 \x0303see you there\x03 \x1d(agenda:\x1d https://example.org/agenda)",
            f"+draft/reply={meeting}",
        )
        omar.react("#lobby", meeting, "♥")
        sara.react("#lobby", meeting, "✔")
        sara.react("#lobby", hello, "♥")
        await pilot.pause(0.2)
        sara.say(
            "#lobby",
            "یک پیام طولانی‌تر به فارسی که در چند سطر شکسته می\u200cشود تا ببینیم"
            " هر سطر از راست به چپ خوانده می\u200cشود و ساعت و نام در سمت چپ می\u200cمانند.",
        )
        await pilot.pause(0.2)
        omar.say("mina", "یک پیام خصوصی" if persian else "psst, try /list")
        omar.typing("#lobby")
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs/images/terminal-client.png"))
    parser.add_argument("--lang", default="en", choices=("en", "fa"))
    parser.add_argument("--theme", default="dark", choices=("dark", "light"))
    args = parser.parse_args()
    out = Path(args.out)
    with serve() as port, tempfile.TemporaryDirectory() as tmp:
        svg = Path(tmp) / "terminal.svg"
        asyncio.run(shoot(port, svg, args.lang, args.theme))
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
