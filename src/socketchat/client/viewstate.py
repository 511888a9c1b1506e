"""What a chat view shows besides the lines: per-tab unread counts, mentions, members and topic.

The desktop (tkinter) and terminal (Textual) clients both fold the core's events into one
`ViewState` and draw from it, so the rules live in one place and are tested without Tk or
Textual (tests/client/test_viewstate.py): a tab the user looks at never counts unread lines
(the core may not know yet that it is shown: events cross a thread in the desktop client), a
mention or a private message marks the tab as highlighted until it is looked at, members and
topic follow their tab through renames, and a private tab lists its peer and the user.

The "new since you last read" line follows the core's `UnreadMarker` (where reading stopped:
the server's read marker, from any device, or what was seen here): `marker` finds the line it
goes above. Who is typing (`TypingChanged`), the reactions under lines (`ReactionsChanged`), the
private tabs' peers online or not (`PresenceChanged`) and the last /list (`ChannelList`) are
kept here too, for the views to draw; `Change.redraw` names the tabs whose log must be drawn
again (the marker moved, a reaction, a line taken back).

`ViewState.apply` returns a `Change` saying what to redraw; it never touches a widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from socketchat.client.events import (
    SEARCH_BUFFER,
    STATUS_BUFFER,
    BufferClosed,
    BufferKind,
    BufferOpened,
    BufferRenamed,
    ChannelEntry,
    ChannelList,
    ChatLine,
    CurrentBufferChanged,
    Event,
    ExitRequested,
    LineRedacted,
    Member,
    MembersChanged,
    ModesChanged,
    NickChanged,
    PresenceChanged,
    Reaction,
    ReactionsChanged,
    Said,
    StatusChanged,
    TopicChanged,
    TypingChanged,
    UnreadChanged,
    UnreadMarker,
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
    "body_text",
    "local_command",
    "quote_line",
    "reactions_line",
    "status_text",
    "tab_name",
]

COUNTED_KINDS = frozenset({"message", "action", "notice"})  # what the core counts as unread


def quote_line(line: ChatLine) -> str:
    """The quote above a reply (``+draft/reply``): who said what, cut short; "" if none."""
    if line.reply is None:
        return ""
    said = " ".join(line.reply.text.split())
    if len(said) > 80:
        said = said[:79] + "…"
    if not line.reply.nick:
        return "↪ " + _("a reply to a message not shown here")
    return f"↪ {line.reply.nick}: {said}"


def reactions_line(reactions: Sequence[Reaction]) -> str:
    """``👍 2  ❤️ 1`` under a line (ours marked with a dot)."""
    return "  ".join(
        f"{r.emoji} {len(r.nicks)}{'•' if r.mine else ''}" for r in reactions if r.nicks
    )


def tab_name(buffer: str) -> str:
    """A tab's name as shown: the status and search-results tabs in the interface language."""
    if buffer == STATUS_BUFFER:
        return _("status")
    if buffer == SEARCH_BUFFER:
        return _("search results")
    return buffer


def body_text(line: ChatLine) -> str:
    """What the line says as drawn: "(message removed)" once taken back; the client's own
    words (joins, parts, modes, "start of history"…: `ChatLine.said`) in the interface
    language, looked up now so a switch of language redraws them translated."""
    if line.redacted:
        return _("(message removed)")
    if line.said is not None:
        # values isolated in either language: a Persian nick at the start of an English
        # sentence ("سارا (~u@host) joined") would otherwise make the whole line right-to-left
        # (its first strong letter) and scramble the host; rule P2 skips what is isolated, so
        # the sentence keeps the interface's direction (issue 14, the WHOIS card and joins)
        return _isolated(line.said).fill(_)
    return line.text


def _isolated(said: Said) -> Said:
    """`said` with each value in a directional isolate (FSI … PDI, UAX #9): put into a
    right-to-left sentence, ``#lobby`` or ``bob (see you!)`` keep their own order instead of
    being pulled into the sentence's (``lobby#``). rtl.py drops the isolates once reordered."""
    return Said(
        said.template,
        tuple(
            (k, _isolated(v) if isinstance(v, Said) else f"\u2068{v}\u2069" if v else v)
            for k, v in said.args
        ),
    )


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
    marker_after: datetime | None = None  # "new since you last read": after this (the core's)
    typing: tuple[str, ...] = ()  # who is typing here now
    paused: tuple[str, ...] = ()  # who stopped typing, with text in their box
    online: bool | None = None  # a private tab's peer (MONITOR); None: not known
    reactions: dict[str, tuple[Reaction, ...]] = field(default_factory=dict)  # msgid → …
    redacted: dict[str, ChatLine] = field(default_factory=dict)  # msgid → the line taken back


@dataclass(frozen=True, slots=True)
class Change:
    """What an event changed on screen: tab labels, and parts of the shown tab."""

    relabel: tuple[str, ...] = ()  # tabs whose label (name, unread, highlight) changed
    members: bool = False  # the shown tab's member list
    topic: bool = False  # the shown tab's topic line
    title: bool = False  # the window title (our nick)
    status: bool = False  # the status bar
    redraw: tuple[str, ...] = ()  # tabs whose log is drawn again (marker, reactions, redaction)
    typing: bool = False  # the shown tab's "X is typing…" line
    channels: bool = False  # a /list arrived (`ViewState.channel_list`)

    def __or__(self, other: Change) -> Change:
        return Change(
            tuple(dict.fromkeys(self.relabel + other.relabel)),
            self.members or other.members,
            self.topic or other.topic,
            self.title or other.title,
            self.status or other.status,
            tuple(dict.fromkeys(self.redraw + other.redraw)),
            self.typing or other.typing,
            self.channels or other.channels,
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
        self.channel_list: ChannelList | None = None

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
            case UnreadMarker(buffer=name, after=after):
                tab = self.tabs.get(name)
                if tab is None or tab.marker_after == after:
                    return NOTHING
                tab.marker_after = after
                return Change(redraw=(name,))
            case TypingChanged(buffer=name, active=active, paused=paused):
                tab = self.tabs.get(name)
                if tab is None:
                    return NOTHING
                tab.typing, tab.paused = active, paused
                return Change(typing=name == self.shown)
            case ReactionsChanged(buffer=name, msgid=msgid, reactions=reactions):
                tab = self.tabs.get(name)
                if tab is None:
                    return NOTHING
                if reactions:
                    tab.reactions[msgid] = reactions
                else:
                    tab.reactions.pop(msgid, None)
                return Change(redraw=(name,))
            case LineRedacted(buffer=name, msgid=msgid, line=line):
                tab = self.tabs.get(name)
                if tab is None:
                    return NOTHING
                tab.redacted[msgid] = line
                return Change(redraw=(name,))
            case PresenceChanged(nick=nick, online=online):
                tab = self.tabs.get(nick)
                if tab is None or tab.kind != "query" or tab.online == online:
                    return NOTHING
                tab.online = online
                return Change(topic=nick == self.shown)
            case ChannelList():
                self.channel_list = event
                return Change(channels=True)
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
        return Change(relabel=relabel, members=True, topic=True, title=True, typing=True)

    def marker(self, name: str, lines: Sequence[ChatLine]) -> ChatLine | None:
        """The line of `lines` the "new since you last read" marker goes above in tab `name`:
        the first one someone else said after where reading stopped (the core's rule)."""
        tab = self.tabs.get(name)
        if tab is None or tab.marker_after is None:
            return None
        after = tab.marker_after
        return next(
            (
                line
                for line in lines
                if line.kind in COUNTED_KINDS and not line.self_msg and line.time > after
            ),
            None,
        )

    def typing_line(self) -> str:
        """ "bob is typing…" for the shown tab ("" when nobody is). Each name in an isolate
        (FSI … PDI, dropped by `rtl.display_text`): "نیما is typing…" in an English interface
        reads left to right, the nick in its own order, not "…is typing" pulled right-to-left."""
        tab = self.tabs.get(self.shown)
        if tab is None or not tab.typing:
            return ""
        names = ", ".join(f"\u2068{name}\u2069" for name in tab.typing[:3])
        if len(tab.typing) > 3:
            return _("{names} and {count} others are typing…").format(
                names=names, count=len(tab.typing) - 3
            )
        if len(tab.typing) == 1:
            return _("{name} is typing…").format(name=names)
        return _("{names} are typing…").format(names=names)

    def line_as_shown(self, line: ChatLine) -> ChatLine:
        """`line` as it is now: taken back (redacted) since it was drawn, or as it was."""
        if line.msgid is None:
            return line
        tab = self.tabs.get(line.buffer)
        return tab.redacted.get(line.msgid, line) if tab is not None else line

    def reactions_of(self, line: ChatLine) -> tuple[Reaction, ...]:
        """The reactions under `line` (by its msgid)."""
        tab = self.tabs.get(line.buffer)
        if tab is None or line.msgid is None:
            return ()
        return tab.reactions.get(line.msgid, ())

    def channels(self) -> tuple[ChannelEntry, ...]:
        return self.channel_list.entries if self.channel_list else ()

    def _shown_kind(self) -> BufferKind | None:
        tab = self.tabs.get(self.shown)
        return tab.kind if tab else None

    # ------------------------------------------------------------------ what the shown tab shows

    def members_shown(self) -> tuple[Member, ...]:
        """The shown tab's user list: a channel's members, a private tab's peer and us."""
        tab = self.tabs.get(self.shown)
        if tab is None or tab.kind == "status":
            return ()
        if tab.kind == "query":  # the peer greyed while MONITOR says offline
            return (Member(tab.name, away=tab.online is False), Member(self.nick))
        return tab.members

    def topic_line(self) -> str:
        """The line above the chat: a channel's topic, who a private tab is with, else help."""
        tab = self.tabs.get(self.shown)
        if tab is None or tab.kind == "status":
            return _("Server messages · type /help for the commands")
        if tab.kind == "query":
            text = _("Private conversation with {nick}").format(nick=tab.name)
            if tab.online is not None:  # MONITOR says
                text += " · " + (_("online") if tab.online else _("offline"))
            return text
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
    note: str = ""  # a line for the user, the typed line going on to the core (/help)


def local_command(text: str) -> LocalCommand | None:
    """``/lang fa``, ``/theme light``: what to change; None for anything else."""
    words = text.strip().split()
    if words and words[0].lower() == "/help" and len(words) == 1:
        return LocalCommand(
            note=_("This window: /lang en|fa (the language), /theme dark|light (the colours)")
        )
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
