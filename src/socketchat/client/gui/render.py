"""How the desktop client draws chat lines, tab labels and user-list rows (pure, no Tk).

A line becomes `Segment`s: text plus the names of the Text-widget tags that style it (see
`socketchat.client.gui.theme.configure_chat_tags`). Nicks get one of the shared nick colours
(``nick0`` … ``nickN``), so a person has the same colour in every tab and in the user list.

The message text is parsed for IRC formatting (`socketchat.client.formatting`): each style becomes
a tag (``font:b`` / ``font:i`` / ``font:bi``, ``u``, ``s``, ``fg#rrggbb``, ``bg#rrggbb``, ``link``
plus ``url:<address>``), which the window configures when it first meets it.

Tk lays text out in storage order, without bidi or Arabic-script shaping, so `line_rows` wraps
the message text itself to the width of the text column (right of the time and nick) and shapes
and reorders each row for display (`socketchat.client.rtl`); the window draws the rows one per Text
line, the ones after the first indented to the text column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from socketchat.client import rtl
from socketchat.client.events import ChatLine, Member, Reaction
from socketchat.client.formatting import Span, parse_formatting
from socketchat.client.helpers import nick_color_index
from socketchat.client.i18n import _
from socketchat.client.runs import Run, summary
from socketchat.client.viewstate import body_text, quote_line, reactions_line, tab_name

__all__ = [
    "Rows",
    "Segment",
    "line_rows",
    "line_segments",
    "marker_rows",
    "member_row",
    "nick_tag",
    "run_rows",
    "span_tags",
    "tab_label",
]

REVERSE_FG = "#ffffff"  # reverse video with the default colours: the chat's background …
REVERSE_BG = "#1f2328"  # … on its text colour

_EVENT_KINDS = frozenset({"join", "part", "quit", "kick", "nick", "topic", "mode"})


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    tags: tuple[str, ...] = ()


def nick_tag(nick: str) -> str:
    """The Text tag that colours `nick` (stable across runs and case-insensitive)."""
    return f"nick{nick_color_index(nick)}"


def span_tags(span: Span) -> tuple[str, ...]:
    """The Text tags for one formatted span (see the module docstring)."""
    st = span.style
    tags: list[str] = []
    if st.bold or st.italic:
        tags.append("font:" + ("b" if st.bold else "") + ("i" if st.italic else ""))
    if st.underline:
        tags.append("u")
    if st.strike:
        tags.append("s")
    fg, bg = st.fg, st.bg
    if st.reverse:
        fg, bg = bg or REVERSE_FG, fg or REVERSE_BG
    if fg:
        tags.append("fg" + fg)
    if bg:
        tags.append("bg" + bg)
    if span.link:
        tags += ["link", "url:" + span.link]
    return tuple(tags)


def _parts(line: ChatLine, *, bidi: bool = False) -> tuple[list[Segment], str, tuple[str, ...]]:
    """The prefix (time, nick) as segments, the body text, and the tags of the whole body.
    With `bidi` the nick is shaped and reordered for Tk, which draws in storage order (a
    Persian nick in its column was drawn letters reversed, issue 14)."""
    extra = ("history",) if line.history else ()
    out = [Segment(line.time.strftime("%H:%M") + " ", ("time",))]
    body: tuple[str, ...] = ("highlight", *extra) if line.highlight else extra
    nick = (nick_tag(line.nick), "nick")
    shown = rtl.display_text(line.nick, reorder=bidi)
    if line.kind == "message":
        who = (*nick, *(("self",) if line.self_msg else ()))
        out += [Segment("<", extra), Segment(shown, who), Segment("> ", extra)]
        return out, body_text(line), body
    if line.kind == "action":
        out += [Segment("* ", ("action",)), Segment(shown, nick), Segment(" ", ("action",))]
        return out, body_text(line), ("action", *body)
    if line.kind == "notice":
        out += [Segment("-", ("notice",)), Segment(shown, nick), Segment("- ", ("notice",))]
        return out, body_text(line), ("notice", *body)
    if line.kind == "error":
        return [*out, Segment("!! ", ("error",))], body_text(line), ("error",)
    if line.kind in _EVENT_KINDS:
        return [*out, Segment("-- ", ("event", *extra))], body_text(line), ("event", *extra)
    return [*out, Segment("-- ", ("info",))], body_text(line), ("info",)


def line_segments(line: ChatLine) -> list[Segment]:
    """``HH:MM <nick> text`` (or ``* nick action``, ``-nick- notice``, ``-- info``) as segments,
    in storage order and unwrapped."""
    prefix, text, body = _parts(line)
    spans = [Segment(s.text, (*body, *span_tags(s))) for s in parse_formatting(text)]
    return prefix + spans


@dataclass(frozen=True, slots=True)
class Rows:
    """A chat line as drawn: `prefix` then ``rows[0]`` on the first row, each later row indented
    by `indent` (the prefix's width)."""

    prefix: list[Segment]
    rows: list[list[Segment]]
    indent: float


def line_rows(
    line: ChatLine,
    width: float = float("inf"),
    measure: Callable[[str], float] = len,
    *,
    bidi: bool = True,
    reactions: tuple[Reaction, ...] = (),
) -> Rows:
    """`line` wrapped to `width` (in `measure`'s units) and shaped/reordered row by row: the
    quote of what a reply answers first, each line of a multi-line message on rows of its own,
    "(message removed)" for a line taken back, the reactions on a row under it."""
    prefix, text, body = _parts(line, bidi=bidi)
    indent = measure("".join(s.text for s in prefix))
    column = width - indent if width - indent > 4 * measure("m") else float("inf")
    drawn: list[list[Segment]] = []
    quote = quote_line(line)
    if quote:
        quoted = rtl.display_rows([Span(quote)], column, measure, reorder=bidi)[:1]
        drawn += [[Segment(s.text, ("quote",)) for s in row] for row in quoted]
    if line.redacted:
        text, body = body_text(line), ("removed",)
    for paragraph in text.split("\n"):
        rows = rtl.display_rows(parse_formatting(paragraph), column, measure, reorder=bidi)
        drawn += [[Segment(s.text, (*body, *span_tags(s))) for s in row] for row in rows]
    under = reactions_line(reactions)
    if under:
        drawn.append([Segment(under, ("reactions",))])
    return Rows(prefix, drawn, indent)


def run_rows(run: Run, width: float = float("inf"), measure: Callable[[str], float] = len) -> Rows:
    """A folded run of joins, parts and quits: ``HH:MM -- bob, carol joined · dave left``
    (tag ``run``: a click on it shows the run's lines one by one)."""
    prefix = [
        Segment(run.lines[-1].time.strftime("%H:%M") + " ", ("time",)),
        Segment("-- ", ("event", "run")),
    ]
    indent = measure("".join(s.text for s in prefix))
    column = width - indent if width - indent > 4 * measure("m") else float("inf")
    rows = rtl.display_rows([Span(summary(run.lines))], column, measure)
    return Rows(prefix, [[Segment(s.text, ("event", "run")) for s in row] for row in rows], indent)


def marker_rows() -> Rows:
    """The line above the first unread one."""
    label = rtl.display_text(_("new since you last read"))
    return Rows([], [[Segment(f"──────── {label} ────────", ("marker",))]], 0.0)


def tab_label(buffer: str, unread: int, highlight: bool) -> str:
    """``#lobby``, ``#lobby (3)``, or ``alice (2!)`` when someone addressed us (a right-to-left
    name shaped and in reading order: Tk draws labels in storage order too)."""
    name = rtl.display_text(tab_name(buffer))
    if not unread:
        return name
    return f"{name} ({unread}{'!' if highlight else ''})"


def member_row(member: Member) -> str:
    """A user-list row: mode prefix, nick, and ``(away)`` when away."""
    nick = rtl.display_text(member.nick)
    away = "  " + rtl.display_text(_("(away)")) if member.away else ""
    return f"{member.prefix}{nick}{away}"
