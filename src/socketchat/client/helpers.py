"""Small pure helpers the views share: nick colours, nick completion, time parsing, and the
server and channel given on the command line."""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime

from socketchat.irc.servertime import parse_datetime

# For light backgrounds: each at least 4.5:1 (WCAG AA for text) on every light background of the
# three clients, Textual's focused log (#cecece) the darkest (tests/client/test_nick_colors.py).
NICK_COLORS: tuple[str, ...] = (
    "#aa1237",
    "#216229",
    "#6c520c",
    "#294ac4",
    "#8e3f07",
    "#8c1dad",
    "#126060",
    "#912988",
    "#4a5d01",
    "#804815",
    "#006161",
    "#774c1c",
    "#800000",
    "#20613d",
    "#000075",
    "#5a5a00",
)


# The same hues, lightened for dark backgrounds (the terminal client's theme).
NICK_COLORS_DARK: tuple[str, ...] = (
    "#ff6b81",
    "#5fd068",
    "#f0c040",
    "#7b9bff",
    "#ffa060",
    "#c77dff",
    "#4fd6d6",
    "#f07ae6",
    "#b5d334",
    "#e0955a",
    "#3cc7c7",
    "#d19a5e",
    "#ff7f7f",
    "#5fcf8f",
    "#9494ff",
    "#d0d040",
)


def nick_color_index(nick: str, n: int = len(NICK_COLORS)) -> int:
    """A stable colour index in ``range(n)`` for a nick (case-insensitive).

    The nick is folded by NFC and Unicode lowercase, not by the server's casemapping: the
    colour must not depend on optional libraries (PRECIS) or on the server, and the browser
    (web/static/colors.js) computes the same index (tests/fixtures/nick_colors.json).
    """
    return zlib.crc32(fold_for_display(nick).encode("utf-8")) % n


def fold_for_display(name: str) -> str:
    """Lowercase (NFC first): how the views compare nicks for colours and completion."""
    return name.lower() if name.isascii() else unicodedata.normalize("NFC", name).lower()


def nick_color(nick: str, *, dark: bool = False) -> str:
    """A stable ``#rrggbb`` colour for a nick, from `NICK_COLORS` (or `NICK_COLORS_DARK`)."""
    return (NICK_COLORS_DARK if dark else NICK_COLORS)[nick_color_index(nick)]


def default_port(tls: bool) -> int:
    """The IRC port when none is given: 6697 with TLS, else 6667."""
    return 6697 if tls else 6667


def channel_name(name: str | None, default: str = "#lobby") -> str:
    """A channel as typed (``--channel lobby``): `default` when empty, ``#`` added when it
    does not start with a channel prefix."""
    name = (name or "").strip() or default
    return name if name[:1] in ("#", "&") else "#" + name


def parse_server_time(value: str) -> datetime | None:
    """Parse an IRCv3 ``time`` tag (``2024-05-01T12:34:56.789Z``) into local, aware time."""
    parsed = parse_datetime(value)
    return None if parsed is None else parsed.astimezone()


def local_time(epoch: float) -> datetime:
    """Local, timezone-aware time for a POSIX timestamp."""
    return datetime.fromtimestamp(epoch, UTC).astimezone()


def complete_nick(prefix: str, candidates: Iterable[str]) -> list[str]:
    """Candidates starting with `prefix` (case-insensitive), sorted case-insensitively."""
    folded = fold_for_display(prefix)
    return sorted(
        {c for c in candidates if fold_for_display(c).startswith(folded)}, key=fold_for_display
    )


class NickCompleter:
    """Tab completion that cycles: call `complete` on every Tab, `reset` on any other key.

    ``complete("hi al", 5, members)`` → ``("hi alice ", 9)``; at the start of the line the nick
    gets ``": "`` appended. Pressing Tab again cycles through the other matches.
    """

    def __init__(self) -> None:
        self._matches: list[str] = []
        self._index = 0
        self._start = 0
        self._tail = ""
        self._head = ""
        self._last: tuple[str, int] | None = None

    def reset(self) -> None:
        self._last = None

    def complete(self, text: str, cursor: int, candidates: Iterable[str]) -> tuple[str, int]:
        if self._last is not None and self._last == (text, cursor) and self._matches:
            self._index = (self._index + 1) % len(self._matches)
        else:
            start = cursor
            while start > 0 and not text[start - 1].isspace():
                start -= 1
            word = text[start:cursor]
            if not word:
                self._last = None
                return text, cursor
            self._matches = complete_nick(word, candidates)
            if not self._matches:
                self._last = None
                return text, cursor
            self._index = 0
            self._start = start
            self._head = text[:start]
            self._tail = text[cursor:]
        nick = self._matches[self._index]
        suffix = ": " if self._start == 0 else " "
        if self._tail.startswith(" "):
            suffix = suffix.rstrip(" ")
        new_text = self._head + nick + suffix + self._tail
        new_cursor = len(self._head) + len(nick) + len(suffix)
        self._last = (new_text, new_cursor)
        return new_text, new_cursor
