"""What a chat view shows besides the lines: per-tab unread counts, mentions, members and topic.

The desktop (tkinter) and terminal (Textual) clients both fold the core's events into one
`ViewState` and draw from it, so the rules live in one place and are tested without Tk or
Textual (tests/client/test_viewstate.py): a tab the user looks at never counts unread lines
(the core may not know yet that it is shown: events cross a thread in the desktop client), a
mention or a private message marks the tab as highlighted until it is looked at, members and
topic follow their tab through renames, and a private tab lists its peer and the user.

When a tab with unread lines is shown, `show` remembers its first unread line (`TabState.marker`)
for the "new since you last read" line; the count follows the other devices (read markers in
the core), so the marker does too. `first_unread` picks that line the way the core counts.

`ViewState.apply` returns a `Change` saying what to redraw; it never touches a widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from socketchat.client.events import (
    STATUS_BUFFER,
    BufferClosed,
    BufferKind,
    BufferOpened,
    BufferRenamed,
    ChatLine,
    CurrentBufferChanged,
    Event,
    ExitRequested,
    Member,
    MembersChanged,
    ModesChanged,
    NickChanged,
    StatusChanged,
    TopicChanged,
    UnreadChanged,
)
from socketchat.client.i18n import LANGUAGES, _
from socketchat.client.settings import THEMES

__all__ = [
    "COUNTED_KINDS",
    "NOTHING",
    "Change",
    "LocalCommand",
    "TabState",
    "ViewState",
    "first_unread",
    "local_command",
    "status_text",
]

COUNTED_KINDS = frozenset({"message", "action", "notice"})  # what the core counts as unread


def first_unread(lines: Sequence[ChatLine], unread: int) -> ChatLine | None:
    """The first of the last `unread` lines the core counts (others' messages, live)."""
    if unread <= 0:
        return None
    found: ChatLine | None = None
    for line in reversed(lines):
        if line.kind in COUNTED_KINDS and not line.self_msg and not line.history:
            found = line
            unread -= 1
            if unread == 0:
                break
    return found


@dataclass(slots=True)
class TabState:
    """One tab as the view shows it."""

    name: str
    kind: BufferKind
    unread: int = 0
    highlight: bool = False  # a mention or a private message not seen yet
    members: tuple[Member, ...] = ()
    topic: str = ""
    modes: str = ""  # a channel's modes, ``+nt``
    marker: ChatLine | None = None  # the first line unread when the tab was last shown
    marker_pending: int = 0  # unread when shown, before its lines were at hand


@dataclass(frozen=True, slots=True)
class Change:
    """What an event changed on screen: tab labels, and parts of the shown tab."""

    relabel: tuple[str, ...] = ()  # tabs whose label (name, unread, highlight) changed
    members: bool = False  # the shown tab's member list
    topic: bool = False  # the shown tab's topic line
    title: bool = False  # the window title (our nick)
    status: bool = False  # the status bar

    def __or__(self, other: Change) -> Change:
        return Change(
            tuple(dict.fromkeys(self.relabel + other.relabel)),
            self.members or other.members,
            self.topic or other.topic,
            self.title or other.title,
            self.status or other.status,
        )


NOTHING = Change()


class ViewState:
    """The view's own copy of what it shows, folded from the core's events."""

    def __init__(self, nick: str) -> None:
        self.nick = nick
        self.tabs: dict[str, TabState] = {STATUS_BUFFER: TabState(STATUS_BUFFER, "status")}
        self.shown = STATUS_BUFFER
        self.status: StatusChanged | None = None
        self.exit_requested = False

    def tab(self, name: str) -> TabState | None:
        return self.tabs.get(name)

    def apply(self, event: Event) -> Change:
        """Fold one event in; say what to redraw."""
        match event:
            case BufferOpened(buffer=name, kind=kind):
                self.tabs.setdefault(name, TabState(name, kind))
                return Change(relabel=(name,))
            case BufferClosed(buffer=name):
                self.tabs.pop(name, None)
                return NOTHING
            case BufferRenamed(old=old, new=new):
                tab = self.tabs.pop(old, None)
                if tab is None:
                    return NOTHING
                tab.name = new
                self.tabs[new] = tab
                shown = self.shown == old
                if shown:
                    self.shown = new
                return Change(relabel=(new,), members=shown, topic=shown)
            case CurrentBufferChanged(buffer=name):
                return self.show(name)
            case MembersChanged(buffer=name, members=members):
                tab = self.tabs.get(name)
                if tab is None:
                    return NOTHING
                tab.members = members
                return Change(members=name == self.shown)
            case TopicChanged(buffer=name, topic=topic):
                tab = self.tabs.get(name)
                if tab is None:
                    return NOTHING
                tab.topic = topic
                return Change(topic=name == self.shown)
            case ModesChanged(buffer=name, modes=modes):
                tab = self.tabs.get(name)
                if tab is None:
                    return NOTHING
                tab.modes = modes
                return Change(topic=name == self.shown)
            case UnreadChanged(buffer=name, unread=unread, highlight=highlight):
                tab = self.tabs.get(name)
                if tab is None:
                    return NOTHING
                shown = name == self.shown  # the core may not know yet that it is shown
                counted = (0, False) if shown else (unread, highlight)
                if (tab.unread, tab.highlight) == counted:
                    return NOTHING
                tab.unread, tab.highlight = counted
                return Change(relabel=(name,))
            case NickChanged(nick=nick):
                self.nick = nick
                return Change(title=True, members=self._shown_kind() == "query")
            case StatusChanged():
                self.status = event
                return Change(status=True)
            case ExitRequested():
                self.exit_requested = True
                return NOTHING
        return NOTHING

    def show(self, name: str, lines: Sequence[ChatLine] = ()) -> Change:
        """The user now looks at `name`: it has nothing unread; its members and topic are drawn.

        `lines` are the tab's lines, if at hand: the first unread one gets the marker line above
        it until the tab is left and shown again (else `marker` finds it when drawing)."""
        tab = self.tabs.get(name)
        if tab is None:
            return NOTHING
        if name != self.shown:
            tab.marker = first_unread(lines, tab.unread) if lines else None
            tab.marker_pending = 0 if lines else tab.unread
        self.shown = name
        relabel: tuple[str, ...] = ()
        if tab.unread or tab.highlight:
            tab.unread, tab.highlight = 0, False
            relabel = (name,)
        return Change(relabel=relabel, members=True, topic=True, title=True)

    def marker(self, name: str, lines: Sequence[ChatLine]) -> ChatLine | None:
        """The line the "new since you last read" marker goes above in tab `name`, if any."""
        tab = self.tabs.get(name)
        if tab is None:
            return None
        if tab.marker_pending:
            tab.marker = first_unread(lines, tab.marker_pending)
            tab.marker_pending = 0
        return tab.marker

    def _shown_kind(self) -> BufferKind | None:
        tab = self.tabs.get(self.shown)
        return tab.kind if tab else None

    # ------------------------------------------------------------------ what the shown tab shows

    def members_shown(self) -> tuple[Member, ...]:
        """The shown tab's user list: a channel's members, a private tab's peer and us."""
        tab = self.tabs.get(self.shown)
        if tab is None or tab.kind == "status":
            return ()
        if tab.kind == "query":
            return (Member(tab.name), Member(self.nick))
        return tab.members

    def topic_line(self) -> str:
        """The line above the chat: a channel's topic, who a private tab is with, else help."""
        tab = self.tabs.get(self.shown)
        if tab is None or tab.kind == "status":
            return _("Server messages · type /help for the commands")
        if tab.kind == "query":
            return _("Private conversation with {nick}").format(nick=tab.name)
        name = f"{tab.name} [{tab.modes}]" if tab.modes else tab.name
        if tab.topic:
            return f"{name} — {tab.topic}"
        return _("{channel} — no topic").format(channel=name)

    def nick_candidates(self) -> list[str]:
        """Nicks Tab completes in the shown tab (not our own in a channel)."""
        tab = self.tabs.get(self.shown)
        if tab is None:
            return []
        if tab.kind == "query":
            return [tab.name, self.nick]
        return [m.nick for m in tab.members if m.nick != self.nick]


def status_text(status: StatusChanged) -> str:
    """The status bar's text in the interface language (`StatusChanged.describe`'s parts)."""
    states = {
        "disconnected": _("disconnected"),
        "connecting": _("connecting"),
        "registering": _("signing in"),
        "connected": _("connected"),
        "reconnecting": _("reconnecting"),
    }
    if status.state == "reconnecting" and status.retry_in is not None:
        text = _("reconnecting in {seconds} s").format(seconds=f"{status.retry_in:.0f}")
    else:
        text = states.get(status.state, status.state)
    if status.server:
        text += f" · {status.server}"
    text += f" · {status.nick}"
    if status.account:
        text += " " + _("[account {account}]").format(account=status.account)
    if status.away:
        text += " " + _("(away)")
    if status.queued:
        text += " · " + _("{count} queued").format(count=status.queued)
    return text


@dataclass(frozen=True, slots=True)
class LocalCommand:
    """A command the view handles itself (the core never sees it): ``/lang``, ``/theme``."""

    language: str | None = None
    theme: str | None = None
    error: str = ""  # what to tell the user instead (a usage line)


def local_command(text: str) -> LocalCommand | None:
    """``/lang fa``, ``/theme light``: what to change; None for anything else."""
    words = text.strip().split()
    if not words or words[0].lower() not in ("/lang", "/language", "/theme"):
        return None
    name, args = words[0].lower(), words[1:]
    if name == "/theme":
        if len(args) == 1 and args[0].lower() in THEMES:
            return LocalCommand(theme=args[0].lower())
        return LocalCommand(error=_("Usage: /theme dark|light"))
    if len(args) == 1 and args[0].lower() in LANGUAGES:
        return LocalCommand(language=args[0].lower())
    names = ", ".join(f"{code} ({own})" for code, own in LANGUAGES.items())
    return LocalCommand(error=_("Usage: /lang <language>: {languages}").format(languages=names))
