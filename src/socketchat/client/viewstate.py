"""What a chat view shows besides the lines: per-tab unread counts, mentions, members and topic.

The desktop (tkinter) and terminal (Textual) clients both fold the core's events into one
`ViewState` and draw from it, so the rules live in one place and are tested without Tk or
Textual (tests/client/test_viewstate.py): a tab the user looks at never counts unread lines
(the core may not know yet that it is shown: events cross a thread in the desktop client), a
mention or a private message marks the tab as highlighted until it is looked at, members and
topic follow their tab through renames, and a private tab lists its peer and the user.

`ViewState.apply` returns a `Change` saying what to redraw; it never touches a widget.
"""

from __future__ import annotations

from dataclasses import dataclass

from socketchat.client.events import (
    STATUS_BUFFER,
    BufferClosed,
    BufferKind,
    BufferOpened,
    BufferRenamed,
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

__all__ = ["NOTHING", "Change", "TabState", "ViewState"]


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

    def show(self, name: str) -> Change:
        """The user now looks at `name`: it has nothing unread; its members and topic are drawn."""
        tab = self.tabs.get(name)
        if tab is None:
            return NOTHING
        self.shown = name
        relabel: tuple[str, ...] = ()
        if tab.unread or tab.highlight:
            tab.unread, tab.highlight = 0, False
            relabel = (name,)
        return Change(relabel=relabel, members=True, topic=True, title=True)

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
            return "Server messages · type /help for the commands"
        if tab.kind == "query":
            return f"Private conversation with {tab.name}"
        name = f"{tab.name} [{tab.modes}]" if tab.modes else tab.name
        return f"{name} — {tab.topic}" if tab.topic else f"{name} — no topic"

    def nick_candidates(self) -> list[str]:
        """Nicks Tab completes in the shown tab (not our own in a channel)."""
        tab = self.tabs.get(self.shown)
        if tab is None:
            return []
        if tab.kind == "query":
            return [tab.name, self.nick]
        return [m.nick for m in tab.members if m.nick != self.nick]
