"""Events the client core emits for its views (terminal, desktop, browser).

Every event is a frozen dataclass and carries everything a view needs to draw it, so a view in
another thread (tkinter) never has to read the core's mutable state. Buffers are named by their
display name: a channel (``#lobby``), a nick for a private conversation, or `STATUS_BUFFER`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

STATUS_BUFFER = "*status*"
SEARCH_BUFFER = "*search*"  # the results of the last /search (kind "search")

LineKind = Literal[
    "message",
    "action",
    "notice",
    "join",
    "part",
    "quit",
    "kick",
    "nick",
    "topic",
    "mode",
    "info",
    "error",
]
BufferKind = Literal["status", "channel", "query", "search"]
ConnectionState = Literal["disconnected", "connecting", "registering", "connected", "reconnecting"]


@dataclass(frozen=True, slots=True)
class Said:
    """A sentence of the client's own (not a person's or the server's words): the English
    `template` with named ``{fields}`` and their values, made by `tr`.

    The core writes the English into `ChatLine.text` (what logs, notifications and the shared
    fixtures read) and keeps this beside it, so each view draws the line in its interface
    language: `fill` with ``i18n._`` (the Python views), or the page's table
    (static/coremessages.js, made from the same catalog by scripts/update-translations.sh).
    The template is the catalog's msgid, and the same string in the browser's core. A value
    may itself be a `Said` (a translatable part: a command's help, "1 h 2 min").
    """

    template: str
    args: tuple[tuple[str, str | Said], ...] = ()

    def fill(self, translate: Callable[[str], str] | None = None) -> str:
        """The sentence with its values put in: in English, or translated by `translate` (the
        English when a translation names a field we do not have)."""
        values = {k: v.fill(translate) if isinstance(v, Said) else v for k, v in self.args}
        template = translate(self.template) if translate is not None else self.template
        try:
            return template.format_map(values)
        except (KeyError, IndexError, ValueError):
            return self.template.format_map(values)


def tr(template: str, /, **args: object) -> Said:
    """A translatable line of the core (``tr("{nick} joined", nick=nick)``); `template` is a
    literal, so xgettext (``--keyword=tr``) finds it. Values are kept as text (or `Said`)."""
    return Said(
        template,
        tuple((k, v if isinstance(v, Said) else str(v)) for k, v in args.items()),
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """What a line answers (``+draft/reply``): the message `msgid`, and, when it is in the
    scrollback, who said it and what (for the quote); "" when it is not known here."""

    msgid: str
    nick: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One line in a buffer. `time` is local and timezone-aware (server-time when sent)."""

    buffer: str
    time: datetime
    nick: str  # who said it; "" for info/error lines
    text: str
    kind: LineKind = "message"
    self_msg: bool = False  # sent by us
    highlight: bool = False  # mentions our nick, or a private message to us
    history: bool = False  # replayed history (chathistory), not live
    msgid: str | None = None
    reply: Reply | None = None  # +draft/reply: the line answers this one
    redacted: bool = False  # draft/message-redaction: taken back; `text` is then ""
    said: Said | None = None  # the client's own words (`tr`): `text` in the view's language


@dataclass(frozen=True, slots=True)
class Member:
    """A channel member; `prefixes` are mode prefixes by rank (``"@+"``), highest first."""

    nick: str
    prefixes: str = ""
    away: bool = False
    account: str | None = None
    host: str | None = None

    @property
    def prefix(self) -> str:
        return self.prefixes[:1]


@dataclass(frozen=True, slots=True)
class BufferOpened:
    buffer: str
    kind: BufferKind
    focus: bool = False  # the user asked for it (/query, /pm, /join): switch to it


@dataclass(frozen=True, slots=True)
class BufferClosed:
    buffer: str


@dataclass(frozen=True, slots=True)
class BufferRenamed:
    """A private conversation follows its peer's nick change."""

    old: str
    new: str


@dataclass(frozen=True, slots=True)
class CurrentBufferChanged:
    buffer: str


@dataclass(frozen=True, slots=True)
class MembersChanged:
    """The member list of a channel, sorted for display (highest prefix first, then by nick)."""

    buffer: str
    members: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class TopicChanged:
    buffer: str
    topic: str
    setter: str | None = None


@dataclass(frozen=True, slots=True)
class ModesChanged:
    """A channel's modes as the view shows them (``+ntl 25``), from 324 and MODE changes."""

    buffer: str
    modes: str


@dataclass(frozen=True, slots=True)
class UnreadChanged:
    buffer: str
    unread: int
    highlight: bool


@dataclass(frozen=True, slots=True)
class NickChanged:
    nick: str


@dataclass(frozen=True, slots=True)
class NickRefused:
    """The server refused `nick` while connecting: `taken` (433, someone holds it or a nick that
    looks like it) or not allowed (432); `reason` is the server's own words (socketchat says
    why, e.g. "letters and digits of one script only"). With `ClientConfig.ask_nick` the core
    waits for the view's `ClientCore.choose_nick` (the server drops a connection that has not
    registered within its timeout, 30 s by default; the core then reconnects and asks again);
    without it the core also tries nick_, nick__, nick2, ... itself."""

    nick: str
    reason: str
    taken: bool


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """Connection status. `retry_in` is set (seconds) when state is "reconnecting"."""

    state: ConnectionState
    nick: str
    server: str = ""
    away: bool = False
    retry_in: float | None = None
    queued: int = 0  # messages typed while offline, waiting to be sent
    account: str | None = None  # the account we are logged in as

    def describe(self) -> str:
        """A short human description for a status line."""
        if self.state == "reconnecting" and self.retry_in is not None:
            text = f"reconnecting in {self.retry_in:.0f} s"
        else:
            text = self.state
        if self.server:
            text += f" · {self.server}"
        text += f" · {self.nick}"
        if self.account:
            text += f" [account {self.account}]"
        if self.away:
            text += " (away)"
        if self.queued:
            text += f" · {self.queued} queued"
        return text


@dataclass(frozen=True, slots=True)
class BufferReset:
    """History was merged into the buffer: redraw it from `lines` (oldest first).

    Sent when replayed history (chathistory on join or rejoin) lands before lines already shown,
    such as "You joined" and the topic, so every line is in chronological position.
    """

    buffer: str
    lines: tuple[ChatLine, ...]


@dataclass(frozen=True, slots=True)
class HistoryInserted:
    """Older lines (scroll-back) for the top of the buffer, oldest first.

    `complete` is True once the start of the buffer's history is reached: the first line is
    then a "start of history" marker and no more requests will be made.
    """

    buffer: str
    lines: tuple[ChatLine, ...]
    complete: bool = False


@dataclass(frozen=True, slots=True)
class ExitRequested:
    """The user asked to leave (/exit, /quit): the adapter closes, the view should exit."""

    reason: str


@dataclass(frozen=True, slots=True)
class TypingChanged:
    """Who is typing in `buffer` now (``+typing``): `active` typing, or `paused` with text in
    their box; both empty when nobody is. See `socketchat.client.typing`."""

    buffer: str
    active: tuple[str, ...]
    paused: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reaction:
    """One emoji under a line, who reacted with it (in order), and whether we did."""

    emoji: str
    nicks: tuple[str, ...]
    mine: bool = False


@dataclass(frozen=True, slots=True)
class ReactionsChanged:
    """The reactions (``+draft/react``) under the line `msgid` of `buffer`, aggregated by
    emoji in the order they first came; empty when the last one was taken back."""

    buffer: str
    msgid: str
    reactions: tuple[Reaction, ...]


@dataclass(frozen=True, slots=True)
class LineRedacted:
    """The line `msgid` of `buffer` was taken back (draft/message-redaction REDACT) by `by`:
    the view shows it as removed. `line` is the line as now kept (``redacted``, no text)."""

    buffer: str
    msgid: str
    line: ChatLine
    by: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class UnreadMarker:
    """Where "new since you last read" goes in `buffer`: before the first line (not our own)
    newer than `after`; None: no marker. Set when the user comes to the tab, from the server's
    read marker (draft/read-marker: what was read on any device) or what was seen here."""

    buffer: str
    after: datetime | None


@dataclass(frozen=True, slots=True)
class ChannelEntry:
    """One channel of a /list: its name, how many are in it, its topic."""

    name: str
    users: int
    topic: str = ""
    modes: str = ""  # "+nt", when the server puts "[+nt] " before the topic


@dataclass(frozen=True, slots=True)
class ChannelList:
    """The server's answer to /list (322…323), in the server's order: for a browsable list."""

    entries: tuple[ChannelEntry, ...]
    mask: str = ""


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """A private conversation's peer came online or went offline (MONITOR, 730/731); None:
    not known (not monitored, e.g. the server has no MONITOR)."""

    nick: str
    online: bool | None


@dataclass(frozen=True, slots=True)
class SearchResults:
    """The answer to /search (soju.im/search): `results` oldest first, each a line of its own
    conversation (`buffer` the channel or the other party), as history would show it. The
    results tab (`SEARCH_BUFFER`) holds them too; a view may show them its own way and call
    `ClientCore.jump` for one."""

    query: str
    results: tuple[ChatLine, ...]


@dataclass(frozen=True, slots=True)
class JumpTo:
    """Show the line `msgid` of `buffer` (after `ClientCore.jump`: scroll to it, mark it)."""

    buffer: str
    msgid: str


Event = (
    ChatLine
    | BufferOpened
    | BufferClosed
    | BufferRenamed
    | CurrentBufferChanged
    | MembersChanged
    | TopicChanged
    | ModesChanged
    | UnreadChanged
    | NickChanged
    | NickRefused
    | StatusChanged
    | ExitRequested
    | BufferReset
    | HistoryInserted
    | TypingChanged
    | ReactionsChanged
    | LineRedacted
    | UnreadMarker
    | ChannelList
    | PresenceChanged
    | SearchResults
    | JumpTo
)
