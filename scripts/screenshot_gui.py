#!/usr/bin/env python3
"""Take docs/images/desktop-client.png: the desktop client in a chat with a few people.

Starts a private Xvfb, our server (`socketchat serve`), two raw IRC clients that chat, and the real
`socketchat gui --nick alice`; then captures the window with ImageMagick's `import`.

    .venv/bin/python scripts/screenshot_gui.py [--out docs/images/desktop-client.png]

Needs the Debian packages xvfb, xdotool and imagemagick (scripts/setup.sh --test).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TITLE_PATTERN = "^socketchat.*alice$"  # WM_NAME mangles the em dash: match around it


def _die_with_parent() -> None:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


@contextlib.contextmanager
def xvfb(size: str = "1280x800x24") -> Iterator[str]:
    """A private X display; yields its name (":N")."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(5)


@contextlib.contextmanager
def spawn(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "socketchat", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


class Peer:
    """A minimal raw IRC client (enough to register, join and talk)."""

    def __init__(self, port: int, nick: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), 10)
        self.nick = nick
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        self.wait_for(" 001 ")

    def send(self, *lines: str) -> None:
        self.sock.sendall(b"".join(line.encode() + b"\r\n" for line in lines))

    def wait_for(self, needle: str, timeout: float = 10) -> None:
        data = b""
        deadline = time.monotonic() + timeout
        while needle.encode() not in data:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit(f"{self.nick}: connection closed")
            data += chunk
            for line in data.split(b"\r\n"):
                if line.startswith(b"PING"):
                    self.send("PONG" + line[4:].decode())

    def say(self, target: str, text: str) -> None:
        self.send(f"PRIVMSG {target} :{text}")
        time.sleep(0.25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs/images/desktop-client.png"))
    out = Path(parser.parse_args().out)
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            print(f"screenshot_gui: {tool} is missing (scripts/setup.sh --test)", file=sys.stderr)
            return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with (
        tempfile.TemporaryDirectory() as data,
        xvfb() as display,
        spawn("serve", "--port", str(port), "--data-dir", data, "--web-port", "0"),
    ):
        wait_for_port(port)
        bob = Peer(port, "bob")
        bob.send("JOIN #lobby")
        bob.wait_for(" 366 ")
        bob.send("TOPIC #lobby :Welcome to socketchat — be kind, have fun")
        bob.say("#lobby", "morning! anyone around?")
        carol = Peer(port, "carol")
        carol.send("JOIN #lobby")
        carol.wait_for(" 366 ")
        carol.say("#lobby", "hi bob :) just deployed the new server")
        env = dict(os.environ, DISPLAY=display)
        with spawn("gui", "--nick", "alice", "--port", str(port), env=env):
            found = subprocess.run(
                ["xdotool", "search", "--sync", "--name", TITLE_PATTERN],
                env=env,
                capture_output=True,
                text=True,
                timeout=20,
                check=True,
            )
            window = found.stdout.split()[0]
            time.sleep(1.5)  # joined, history replayed
            bob.say("#lobby", "nice — the desktop client looks good")
            carol.send("PRIVMSG #lobby :\x01ACTION waves at alice\x01")
            time.sleep(0.25)
            bob.say("#lobby", "alice: can you check the logs later?")
            dave = Peer(port, "dave")
            dave.send("JOIN #lobby")
            dave.wait_for(" 366 ")
            dave.say("#lobby", "hello everyone, first time here")
            carol.say("alice", "psst — lunch at noon?")
            time.sleep(1.0)
            subprocess.run(["import", "-window", window, str(out)], env=env, check=True)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
