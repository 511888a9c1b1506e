"""How the desktop client draws chat lines, tab labels and user-list rows (pure, no Tk).

A line becomes `Segment`s: text plus the names of the Text-widget tags that style it (see
`socketchat.client.gui.theme.configure_chat_tags`). Nicks get one of the shared nick colours
(``nick0`` … ``nickN``), so a person has the same colour in every tab and in the user list.
"""

from __future__ import annotations

from dataclasses import dataclass

from socketchat.client.events import ChatLine, Member
from socketchat.client.helpers import nick_color_index

__all__ = ["Segment", "line_segments", "member_row", "nick_tag", "tab_label"]

_EVENT_KINDS = frozenset({"join", "part", "quit", "kick", "nick", "topic", "mode"})


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    tags: tuple[str, ...] = ()


def nick_tag(nick: str) -> str:
    """The Text tag that colours `nick` (stable across runs and case-insensitive)."""
    return f"nick{nick_color_index(nick)}"


def line_segments(line: ChatLine) -> list[Segment]:
    """``HH:MM <nick> text`` (or ``* nick action``, ``-nick- notice``, ``-- info``) as segments."""
    extra = ("history",) if line.history else ()
    out = [Segment(line.time.strftime("%H:%M") + " ", ("time",))]
    body: tuple[str, ...] = ("highlight", *extra) if line.highlight else extra
    if line.kind == "message":
        who = (nick_tag(line.nick), "nick", *(("self",) if line.self_msg else ()))
        out += [Segment("<", extra), Segment(line.nick, who), Segment("> ", extra)]
        out.append(Segment(line.text, body))
    elif line.kind == "action":
        out += [Segment("* ", ("action",)), Segment(line.nick, (nick_tag(line.nick), "nick"))]
        out.append(Segment(" " + line.text, ("action", *body)))
    elif line.kind == "notice":
        out += [Segment("-", ("notice",)), Segment(line.nick, (nick_tag(line.nick), "nick"))]
        out.append(Segment("- " + line.text, ("notice", *body)))
    elif line.kind == "error":
        out.append(Segment("!! " + line.text, ("error",)))
    elif line.kind in _EVENT_KINDS:
        out.append(Segment("-- " + line.text, ("event", *extra)))
    else:
        out.append(Segment("-- " + line.text, ("info",)))
    return out


def tab_label(buffer: str, unread: int, highlight: bool) -> str:
    """``#lobby``, ``#lobby (3)``, or ``alice (2!)`` when someone addressed us."""
    if not unread:
        return buffer
    return f"{buffer} ({unread}{'!' if highlight else ''})"


def member_row(member: Member) -> str:
    """A user-list row: mode prefix, nick, and ``(away)`` when away."""
    return f"{member.prefix}{member.nick}{'  (away)' if member.away else ''}"
