#!/usr/bin/env python3
"""Take docs/images/desktop-client.png: the desktop client in a chat with a few people, some of
it in Persian (shaped and reordered right to left), with IRC formatting, a link, joins folded
into one line, a reply quoted, a reaction and someone typing. With ``--lang fa --theme dark``
(docs/images/desktop-client-fa.png) the interface is Persian, mirrored, and the talk too.

Starts a private Xvfb, our server (`socketchat serve`), raw IRC clients that chat, and the real
`socketchat gui --nick alice` (with a throw-away settings file); then captures the window with
ImageMagick's `import`.

    .venv/bin/python scripts/screenshot_gui.py [--out docs/images/desktop-client.png]
    .venv/bin/python scripts/screenshot_gui.py --lang fa --theme dark \
        --out docs/images/desktop-client-fa.png

Needs the Debian packages xvfb, xdotool and imagemagick (scripts/setup.sh --test). The
reactions are ♥ and ✔: Tk draws no colour emoji, and DejaVu has these two.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from shots import ROOT, User, die_with_parent, serve, socketchat

TITLE_PATTERN = "^socketchat.*alice$"  # WM_NAME mangles the em dash: match around it


@contextlib.contextmanager
def xvfb(size: str = "1280x800x24") -> Iterator[str]:
    """A private X display; yields its name (":N")."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs/images/desktop-client.png"))
    parser.add_argument("--lang", default="en", choices=("en", "fa"))
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    args = parser.parse_args()
    out = Path(args.out)
    persian = args.lang == "fa"
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            print(f"screenshot_gui: {tool} is missing (scripts/setup.sh --test)", file=sys.stderr)
            return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    with xvfb() as display, serve() as port, tempfile.TemporaryDirectory() as tmp:
        bob = User(port, "bob")
        if persian:
            bob.send("TOPIC #lobby :به socketchat خوش آمدید — مهربان باشید")
            bob.say("#lobby", "صبح بخیر! کسی هست؟")
        else:
            bob.send("TOPIC #lobby :Welcome to socketchat — be kind, have fun")
            bob.say("#lobby", "morning! anyone around?")
        carol = User(port, "carol")
        carol.say(
            "#lobby",
            "سلام bob :) سرور تازه را نصب کردم"
            if persian
            else "hi bob :) just deployed the new server",
        )
        env = dict(os.environ, DISPLAY=display, SOCKETCHAT_CONFIG=f"{tmp}/client.json")
        command = ["gui", "--nick", "alice", "--port", str(port)]
        command += ["--lang", args.lang, "--theme", args.theme]
        with socketchat(*command, env=env):
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
            dave, erin = User(port, "dave"), User(port, "erin")  # a run of joins: one line
            dave.close()
            time.sleep(0.3)
            sara = User(port, "sara")
            if persian:
                first = sara.say("#lobby", "سلام به همه! جلسه ساعت 10:30 در room B است، OK?")
                bob.say("#lobby", "\x02باشه\x02 — در room B می‌بینمتان (\x0303چراغ سبز\x03)")
                erin.say("#lobby", "من هم می\u200cآیم", f"+draft/reply={first}")
                carol.react("#lobby", first, "♥")
                erin.react("#lobby", first, "✔")
                sara.say(
                    "#lobby", "عالی، من \x1dحتماً\x1d می\u200cآیم. لینک: https://example.org/agenda"
                )
                sara.say(
                    "#lobby",
                    "یک پیام طولانی‌تر به فارسی که باید در چند سطر شکسته شود تا ببینیم"
                    " هر سطر از راست به چپ خوانده می\u200cشود و ساعت و نام همچنان"
                    " در سمت چپ می\u200cمانند.",
                )
                carol.say("alice", "ناهار ساعت دوازده؟")
                typed = "باشه، ممنون"
            else:
                bob.say("#lobby", "nice — the desktop client looks good")
                carol.send("PRIVMSG #lobby :\x01ACTION waves at alice\x01")
                time.sleep(0.25)
                first = sara.say("#lobby", "سلام به همه! جلسه ساعت 10:30 در room B است، OK?")
                bob.say("#lobby", "\x02OK\x02 — see you in room B (\x0303green\x03 light from me)")
                erin.say("#lobby", "count me in", f"+draft/reply={first}")
                carol.react("#lobby", first, "♥")
                erin.react("#lobby", first, "✔")
                sara.say(
                    "#lobby", "عالی، من \x1dحتماً\x1d می\u200cآیم. لینک: https://example.org/agenda"
                )
                bob.say(
                    "#lobby", "alice: can you check the logs later? \x1eit's urgent\x1e no rush"
                )
                carol.say("alice", "psst — lunch at noon?")
                typed = "باشه، ممنون"
            sara.typing("#lobby")
            subprocess.run(
                ["xdotool", "type", "--window", window, "--delay", "80", typed],
                env=env,
                check=False,
            )
            sara.typing("#lobby")
            time.sleep(0.6)
            subprocess.run(["import", "-window", window, str(out)], env=env, check=True)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
