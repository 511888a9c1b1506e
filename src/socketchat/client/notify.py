"""Alerts in the terminal and desktop clients: which lines deserve one, and how a terminal
shows it. Pure functions and a small throttle, shared by both views (no I/O).

A line deserves an alert when it is live (not history), not our own, and `highlight` (it
mentions our nick, or it is a private message to us), and we are not looking at it: its
conversation is not the one shown, or the window (terminal) does not have the focus.

The terminal client rings the bell (BEL) and, where the terminal shows desktop notifications
for them, adds OSC 9 (``ESC ] 9 ; text BEL``: iTerm2, WezTerm, Windows Terminal, Ghostty,
kitty) or OSC 777 (``ESC ] 777 ; notify ; title ; body BEL``: foot, urxvt, Ghostty, VTE with
the notify patch). `SOCKETCHAT_NOTIFY` chooses: ``auto`` (the default: from ``TERM`` and
``TERM_PROGRAM``; just the bell where it cannot tell, and inside tmux, which passes bells on),
``bell``, ``osc9``, ``osc777`` (inside tmux wrapped in its passthrough, which needs
``set -g allow-passthrough on``), or ``off``. The desktop client sets the window's urgency hint
and blinks the conversation's tab (`gui/urgency.py`, `gui/window.py`).

Text goes to the terminal in logical order, with every control character removed (a nick or a
message must never end the escape sequence early and write to the terminal itself); the
desktop's notification daemon lays out right-to-left text itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from socketchat.client.events import ChatLine
from socketchat.client.formatting import strip_formatting

__all__ = [
    "MODES",
    "AlertThrottle",
    "Mode",
    "alert_text",
    "terminal_mode",
    "terminal_sequence",
    "wants_alert",
]

Mode = Literal["bell", "osc9", "osc777", "off"]
MODES = ("auto", "bell", "osc9", "osc777", "off")
ALERT_KINDS = frozenset({"message", "action"})
MAX_BODY = 200  # characters of the message in a notification
THROTTLE_SECONDS = 5.0  # one alert per conversation at most this often

# terminals known to show OSC 9 / OSC 777 as desktop notifications
_OSC9_PROGRAMS = frozenset({"iTerm.app", "WezTerm", "ghostty"})
_OSC9_TERMS = ("xterm-kitty", "xterm-ghostty", "wezterm")
_OSC777_TERMS = ("foot", "rxvt-unicode")


def wants_alert(line: ChatLine, shown: str, focused: bool) -> bool:
    """Should `line` ring, given the conversation `shown` and whether the window has focus?"""
    if line.history or line.self_msg or not line.highlight or line.kind not in ALERT_KINDS:
        return False
    return not focused or line.buffer.casefold() != shown.casefold()


def alert_text(line: ChatLine, channel: bool) -> tuple[str, str]:
    """(title, body) of a notification: ``#class`` and ``bob: the text`` for a channel,
    ``bob`` and ``the text`` for a private message, ``* bob waves`` for /me."""
    text = strip_formatting(line.text)
    if line.kind == "action":
        body = f"* {line.nick} {text}"
    else:
        body = f"{line.nick}: {text}" if channel else text
    return line.buffer, body


def _clean(text: str, limit: int = MAX_BODY) -> str:
    """`text` without C0/C1 control characters (ESC, BEL, ST...) or DEL, at most `limit`."""
    cleaned = "".join(" " if c in "\t\n\r" else c for c in text if c in "\t\n\r" or _printable(c))
    return cleaned[:limit]


def _printable(c: str) -> bool:
    code = ord(c)
    return not (code < 0x20 or 0x7F <= code <= 0x9F)


def terminal_mode(env: Mapping[str, str]) -> Mode:
    """The alert to use in the terminal that `env` describes (`SOCKETCHAT_NOTIFY`, then
    auto-detection)."""
    asked = env.get("SOCKETCHAT_NOTIFY", "auto").strip().lower() or "auto"
    if asked in ("bell", "osc9", "osc777", "off"):
        return asked  # type: ignore[return-value]
    if env.get("TMUX"):
        return "bell"  # tmux rings the outer terminal's bell; OSC needs its passthrough
    term = env.get("TERM", "")
    if env.get("TERM_PROGRAM", "") in _OSC9_PROGRAMS or env.get("WT_SESSION"):
        return "osc9"
    if term.startswith(_OSC9_TERMS):
        return "osc9"
    if term.startswith(_OSC777_TERMS):
        return "osc777"
    return "bell"


def terminal_sequence(mode: Mode, title: str, body: str, *, tmux: bool = False) -> str:
    """What to write to the terminal: the bell, then the notification of `mode` ("" for off)."""
    if mode == "off":
        return ""
    if mode == "bell":
        return "\a"
    if mode == "osc9":
        osc = f"\x1b]9;{_clean(title, 60)}: {_clean(body)}\a"
    else:
        osc = f"\x1b]777;notify;{_clean(title, 60).replace(';', ',')};{_clean(body)}\a"
    if tmux:  # DCS passthrough: ESC P tmux; <sequence, ESC doubled> ESC \
        osc = "\x1bPtmux;" + osc.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return "\a" + osc


class AlertThrottle:
    """At most one alert per conversation every `seconds` (a flood of private messages rings
    once, not a hundred times). `clock` is injected (monotonic seconds)."""

    def __init__(self, clock: Callable[[], float], seconds: float = THROTTLE_SECONDS) -> None:
        self.clock = clock
        self.seconds = seconds
        self._last: dict[str, float] = {}

    def admit(self, buffer: str) -> bool:
        now = self.clock()
        key = buffer.casefold()
        last = self._last.get(key)
        if last is not None and now - last < self.seconds:
            return False
        self._last[key] = now
        if len(self._last) > 1000:  # forget the oldest: bounded memory
            oldest = min(self._last, key=self._last.__getitem__)
            del self._last[oldest]
        return True
