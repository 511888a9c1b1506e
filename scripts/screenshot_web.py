#!/usr/bin/env python3
"""Make the README's picture of the web client: docs/images/web-client.png.

Starts `socketchat serve` (the real command) on free ports, opens two pages in Debian's headless
Chromium (Playwright, never `playwright install`), lets them and a terminal user chat in #lobby,
and photographs one page. Usage: .venv/bin/python scripts/screenshot_web.py [OUTPUT.png]
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start on port {port}")


class Terminal:
    """A raw IRC user, as the terminal client would be."""

    def __init__(self, port: int, nick: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}", "JOIN #lobby")

    def send(self, *lines: str) -> None:
        self.sock.sendall(b"".join(line.encode() + b"\r\n" for line in lines))


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
    port, web_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as data:
        cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(port)]
        cmd += ["--web-port", str(web_port), "--data-dir", data]
        server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=dict(os.environ))
        try:
            wait_for_port(web_port)
            url = f"http://127.0.0.1:{web_port}/"
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
                )
                size = {"width": 1100, "height": 560}
                mina = browser.new_context(viewport=size, device_scale_factor=1).new_page()
                omar = browser.new_context(viewport=size).new_page()
                login(omar, url, "omar")
                sara = Terminal(port, "sara")
                time.sleep(0.3)
                say(omar, "/topic Welcome to socketchat: be kind, #lobby is where everyone meets")
                login(mina, url, "mina")
                say(omar, "Hello everyone!")
                sara.send("PRIVMSG #lobby :Hi omar! سلام")
                time.sleep(0.25)
                say(mina, "Hey both, the browser client works great")
                say(omar, "/me waves from the browser")
                sara.send(
                    "PRIVMSG #lobby :Try /pm <nick|ip> for a private chat, /who to see everyone"
                )
                time.sleep(0.25)
                say(omar, "/pm mina see you at the lab at 3?")
                time.sleep(0.5)
                mina.locator("#input").fill("omar: sure, ")
                mina.locator("#input").focus()
                out.parent.mkdir(parents=True, exist_ok=True)
                mina.screenshot(path=str(out))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
