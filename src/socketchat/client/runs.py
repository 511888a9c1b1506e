"""Runs of joins, parts and quits folded into one line ("bob, carol joined · dave left"), as The
Lounge and WeeChat do, for the terminal and desktop views (the browser's is web/static/runs.js;
both are checked against tests/fixtures/runs.json).

A run is two or more lines in a row, each someone else joining, leaving or quitting; our own
join ("You joined #lobby") and every other line end it, and so does the unread marker. `fold`
turns a buffer's lines into what is drawn: lines, `Run`s and the `Marker`. Nothing here touches
a widget, so the rules are tested without Tk or Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from socketchat.client.events import ChatLine
from socketchat.client.i18n import _

__all__ = ["MAX_NAMES", "RUN_KINDS", "Marker", "Run", "fold", "in_run", "summary"]

RUN_KINDS = frozenset({"join", "part", "quit"})
MAX_NAMES = 4  # names shown per kind; the rest are counted


def _sentences() -> dict[str, str]:
    """The run sentences in the interface language (looked up when drawn)."""
    return {
        "join": _("{names} joined"),
        "part": _("{names} left"),
        "quit": _("{names} quit"),
        "more": _("{names} and {count} others"),
    }


@dataclass(frozen=True, slots=True)
class Run:
    """Two or more membership lines in a row, drawn as one summary line."""

    lines: tuple[ChatLine, ...]


@dataclass(frozen=True, slots=True)
class Marker:
    """The line above the first unread one: "new since you last read"."""


Item = ChatLine | Run | Marker


def in_run(line: ChatLine) -> bool:
    """Can `line` be part of a run (someone else joining, leaving or quitting)?"""
    return line.kind in RUN_KINDS and bool(line.nick) and not line.self_msg


def summary(lines: Iterable[ChatLine], sentences: Callable[[], dict[str, str]] = _sentences) -> str:
    """``bob, carol joined · dave left``: each kind in the order first seen, each nick once."""
    words = sentences()
    by_kind: dict[str, list[str]] = {}
    for line in lines:
        nicks = by_kind.setdefault(line.kind, [])
        if line.nick not in nicks:
            nicks.append(line.nick)
    parts = []
    for kind, nicks in by_kind.items():
        names = ", ".join(nicks[:MAX_NAMES])
        if len(nicks) > MAX_NAMES:
            names = words["more"].format(names=names, count=len(nicks) - MAX_NAMES)
        parts.append(words[kind].format(names=names))
    return " · ".join(parts)


def fold(
    lines: Sequence[ChatLine], marker: ChatLine | None = None, *, expand: bool = False
) -> list[Item]:
    """What a view draws for `lines`: runs folded (unless `expand`), and the `Marker` just
    before `marker` (the first unread line; compared by identity, lines are values)."""
    out: list[Item] = []
    run: list[ChatLine] = []

    def end_run() -> None:
        if len(run) >= 2 and not expand:
            out.append(Run(tuple(run)))
        else:
            out.extend(run)
        run.clear()

    for line in lines:
        if marker is not None and line is marker:
            end_run()
            out.append(Marker())
        if in_run(line):
            run.append(line)
        else:
            end_run()
            out.append(line)
    end_run()
    return out
