"""IRC formatting codes → styled spans (pure; shared by the desktop and terminal clients).

The codes are the de-facto ones described at modern.ircdocs.horse/formatting: bold ``\\x02``,
italic ``\\x1d``, underline ``\\x1f``, strikethrough ``\\x1e``, monospace ``\\x11`` and reverse
``\\x16`` toggle; ``\\x0f`` resets everything; ``\\x03`` takes up to two digits of foreground and,
after a comma, up to two of background from the 99 mIRC colours (99 = the default colour; a bare
``\\x03`` resets both colours); ``\\x04`` does the same with ``RRGGBB`` hex colours.

The rule that matters most is that no text is ever lost: a comma after a colour code is only
part of the code when a digit follows it (``\\x03,`` resets the colours and shows the comma), and
any other C0 control character is shown as its visible Control Pictures symbol (U+2400 + code)
rather than handed to a terminal or a widget that would swallow it or what follows it.

Links (``http://`` and ``https://``) are split out of the text into spans of their own with
`Span.link` set, so each view can make them clickable.

The browser has its own copy of this parser in ``web/static/format.js``; both are checked against
the same cases in ``tests/fixtures/formatting.json`` (pytest for this one, ``node --test`` for the
JavaScript one), so the two cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = [
    "MIRC_COLORS",
    "PLAIN",
    "Span",
    "Style",
    "parse_formatting",
    "span_json",
    "strip_formatting",
]

# The 99 mIRC colours: 0-15 the classic palette, 16-98 the extended one (99 is "default").
_PALETTE = (
    "ffffff 000000 00007f 009300 ff0000 7f0000 9c009c fc7f00 "
    "ffff00 00fc00 009393 00ffff 0000fc ff00ff 7f7f7f d2d2d2 "
    "470000 472100 474700 324700 004700 00472c 004747 002747 000047 2e0047 470047 47002a "
    "740000 743a00 747400 517400 007400 007449 007474 004074 000074 4b0074 740074 740045 "
    "b50000 b56300 b5b500 7db500 00b500 00b571 00b5b5 0063b5 0000b5 7500b5 b500b5 b5006b "
    "ff0000 ff8c00 ffff00 b2ff00 00ff00 00ffa0 00ffff 008cff 0000ff a500ff ff00ff ff0098 "
    "ff5959 ffb459 ffff71 cfff60 6fff6f 65ffc9 6dffff 59b4ff 5959ff c459ff ff66ff ff59bc "
    "ff9c9c ffd39c ffff9c e2ff9c 9cff9c 9cffdb 9cffff 9cd3ff 9c9cff dc9cff ff9cff ff94d3 "
    "000000 131313 282828 363636 4d4d4d 656565 818181 9f9f9f bcbcbc e2e2e2 ffffff"
)
MIRC_COLORS: tuple[str, ...] = tuple("#" + c for c in _PALETTE.split(" "))
assert len(MIRC_COLORS) == 99

BOLD, COLOR, HEX_COLOR, MONOSPACE, REVERSE, RESET = "\x02", "\x03", "\x04", "\x11", "\x16", "\x0f"
ITALIC, STRIKE, UNDERLINE = "\x1d", "\x1e", "\x1f"
_TOGGLES = {
    BOLD: "bold",
    ITALIC: "italic",
    UNDERLINE: "underline",
    STRIKE: "strike",
    MONOSPACE: "monospace",
    REVERSE: "reverse",
}
_CODES = frozenset((*_TOGGLES, COLOR, HEX_COLOR, RESET))
_DIGITS = frozenset("0123456789")
_HEX6 = re.compile(r"[0-9A-Fa-f]{6}")
# A URL runs to the next space or quote/angle bracket; trailing punctuation is not part of it.
_URL = re.compile(r"https?://[^\s<>\"'\u00ab\u00bb\u200c\u200f\u200e]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"،؛؟…"


@dataclass(frozen=True, slots=True)
class Style:
    """How a span looks; colours are ``#rrggbb`` or None for the view's default."""

    bold: bool = False
    italic: bool = False
    underline: bool = False
    strike: bool = False
    monospace: bool = False
    reverse: bool = False
    fg: str | None = None
    bg: str | None = None


PLAIN = Style()


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text in one style; `link` is the URL when the run is a link."""

    text: str
    style: Style = PLAIN
    link: str | None = None


def _visible(text: str) -> str:
    """Other control characters as their Control Pictures (never dropped, never passed on)."""
    return "".join(
        chr(0x2400 + ord(c)) if ord(c) < 0x20 else "\u2421" if c == "\x7f" else c for c in text
    )


def _digits(line: str, start: int) -> tuple[int | None, int]:
    """Up to two digits at `start`: (number or None, index after them)."""
    end = start
    while end < len(line) and end - start < 2 and line[end] in _DIGITS:
        end += 1
    return (int(line[start:end]) if end > start else None), end


def _mirc(number: int) -> str | None:
    return MIRC_COLORS[number] if number < len(MIRC_COLORS) else None


def parse_formatting(line: str) -> list[Span]:
    """The spans of `line` with the codes taken out; their texts add up to all its other text."""
    spans: list[Span] = []
    style = PLAIN
    text: list[str] = []

    def flush() -> None:
        if text:
            spans.append(Span("".join(text), style))
            text.clear()

    i = 0
    while i < len(line):
        c = line[i]
        if c not in _CODES:
            text.append(c)
            i += 1
            continue
        flush()
        i += 1
        if c in _TOGGLES:
            name = _TOGGLES[c]
            style = replace(style, **{name: not getattr(style, name)})  # type: ignore[arg-type]  # a bool field
        elif c == RESET:
            style = PLAIN
        elif c == COLOR:
            fg, i = _digits(line, i)
            if fg is None:
                style = replace(style, fg=None, bg=None)
                continue
            style = replace(style, fg=_mirc(fg))
            if i + 1 < len(line) and line[i] == "," and line[i + 1] in _DIGITS:
                bg, i = _digits(line, i + 1)
                assert bg is not None
                style = replace(style, bg=_mirc(bg))
        else:  # HEX_COLOR
            if not _HEX6.match(line, i):
                style = replace(style, fg=None, bg=None)
                continue
            style = replace(style, fg="#" + line[i : i + 6].lower())
            i += 6
            if line.startswith(",", i) and _HEX6.match(line, i + 1):
                style = replace(style, bg="#" + line[i + 1 : i + 7].lower())
                i += 7
    flush()
    return _merge([piece for span in spans for piece in _split_links(span)])


def _split_links(span: Span) -> list[Span]:
    text = _visible(span.text)
    out: list[Span] = []
    at = 0
    for match in _URL.finditer(text):
        url = match.group().rstrip(_TRAILING)
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
        if len(url) <= len("https://") or "://" not in url[:8] or url.endswith("://"):
            continue
        start = match.start()
        if start > at:
            out.append(Span(text[at:start], span.style))
        out.append(Span(url, span.style, link=url))
        at = start + len(url)
    if at < len(text):
        out.append(Span(text[at:], span.style))
    return out


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        if out and out[-1].style == span.style and out[-1].link is None and span.link is None:
            out[-1] = Span(out[-1].text + span.text, span.style)
        else:
            out.append(span)
    return out


def strip_formatting(line: str) -> str:
    """`line` as plain text (what the spans show, without styles)."""
    return "".join(span.text for span in parse_formatting(line))


def span_json(span: Span) -> dict[str, object]:
    """A span as the shared fixtures write it: its text and only what differs from plain."""
    out: dict[str, object] = {"text": span.text}
    for name in ("bold", "italic", "underline", "strike", "monospace", "reverse"):
        if getattr(span.style, name):
            out[name] = True
    if span.style.fg is not None:
        out["fg"] = span.style.fg
    if span.style.bg is not None:
        out["bg"] = span.style.bg
    if span.link is not None:
        out["link"] = span.link
    return out
