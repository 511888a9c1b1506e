"""What the client knows and shows: buffers, users, members, scrollback and unread counts.

`ChatModel` holds the buffers (the tabs: the status buffer, channels, private conversations),
each with its bounded scrollback, unread count, topic and member list, and the users seen in
them. It also knows the server's naming rules (casemapping, channel types, mode prefixes from
RPL_ISUPPORT) because every lookup by name folds through them. Every change a view must draw is
reported through the `emit` callback as a frozen event (`socketchat.client.events`). It sends
nothing and knows nothing of the connection: that is the core's job (`client/core.py`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from socketchat.client.events import (
    STATUS_BUFFER,
    BufferClosed,
    BufferKind,
    BufferOpened,
    BufferRenamed,
    ChatLine,
    CurrentBufferChanged,
    Event,
    LineKind,
    Member,
    MembersChanged,
    Said,
    UnreadChanged,
    UnreadMarker,
)
from socketchat.client.helpers import local_time
from socketchat.irc.message import Message

__all__ = ["Buffer", "ChatModel", "HistoryRequest", "User", "valid_nick_like"]

_COUNTED_KINDS = frozenset({"message", "action", "notice"})


@dataclass(slots=True)
class User:
    nick: str
    user: str | None = None
    host: str | None = None
    account: str | None = None
    realname: str | None = None
    away: bool = False


@dataclass(slots=True)
class Buffer:
    name: str
    kind: BufferKind
    lines: deque[ChatLine]
    unread: int = 0
    highlight: bool = False
    topic: str = ""
    joined: bool = False
    members: dict[str, tuple[str, str]] = field(default_factory=dict)  # folded → (nick, prefixes)
    modes: dict[str, str] = field(default_factory=dict)  # channel mode → its argument ("" if none)
    names_pending: dict[str, tuple[str, str]] | None = None
    limit: int = 1000  # lines kept; scroll-back raises it (up to `ChatModel.max_scrollback`)
    history_requests: deque[HistoryRequest] = field(default_factory=deque)  # sent, in order
    history_done: bool = False  # the start of the server's history is shown
    said_no_history: bool = False
    read_at: datetime | None = None  # draft/read-marker: read up to here (on any device)
    seen_at: datetime | None = None  # the newest line when the user last left this tab
    marker: datetime | None = None  # "new since you last read" after this (`UnreadMarker`)
    marker_pending: bool = False  # came here before the read marker was known
    online: bool | None = None  # a private tab's peer (MONITOR); None: not known
    # +typing: folded nick → (nick, "active" or "paused", since when, by the caller's clock)
    typing: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    # msgid → emoji → folded nick → nick (+draft/react), oldest msgid first
    reactions: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def trim(self) -> None:
        while len(self.lines) > self.limit:
            self.lines.popleft()


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """A CHATHISTORY request waiting for its batch.

    ``join``: history on (re)join, placed just before `anchor` (the "You joined" line);
    ``before``: scroll-back, placed at the top. `verbose`: typed (/history), so say what came.
    ``around``: the lines around `msgid` (a search result), merged in by time.
    """

    kind: Literal["join", "before", "around"]
    limit: int
    anchor: ChatLine | None = None
    verbose: bool = False
    msgid: str = ""


def valid_nick_like(name: str) -> bool:
    """Could `name` be a nick (loosely: no IRC punctuation, not a channel)?"""
    return bool(name) and not any(c in name for c in " ,*?!@:") and name[0] not in "#&$"


class ChatModel:
    """Buffers and users, folded by the server's casemapping; changes are `emit`ted as events."""

    def __init__(self, scrollback: int, emit: Callable[[Event], None]) -> None:
        self.buffers: dict[str, Buffer] = {}  # folded name → buffer, in opening order
        self.users: dict[str, User] = {}  # folded nick → user
        self.current = STATUS_BUFFER
        self.prefix_modes = "ov"
        self.prefix_chars = "@+"
        self.chanmodes = ("beI", "k", "l", "imnpst")
        self.chantypes = "#&"
        self.fold_table: dict[int, int] = {}
        self.scrollback = max(1, scrollback)
        self.max_scrollback = 10 * self.scrollback
        self.emit = emit
        # the core's hook for draft/read-marker when the user is switched to a buffer
        self.on_looked_at: Callable[[str], None] | None = None

    # ------------------------------------------------------------------ naming rules

    def fold(self, name: str) -> str:
        folded = (
            name.lower()
            if name.isascii()
            else "".join(c.lower() if "A" <= c <= "Z" else c for c in name)
        )
        return folded.translate(self.fold_table) if self.fold_table else folded

    def same(self, a: str, b: str) -> bool:
        return self.fold(a) == self.fold(b)

    def is_channel(self, name: str) -> bool:
        return bool(name) and name[0] in self.chantypes

    def set_casemapping(self, value: str) -> None:
        if value == "rfc1459":
            self.fold_table = str.maketrans("[]\\~", "{}|^")
        elif value == "strict-rfc1459":
            self.fold_table = str.maketrans("[]\\", "{}|")
        else:
            self.fold_table = {}

    def set_prefix(self, value: str) -> None:
        m = re.fullmatch(r"\(([^)]*)\)(.*)", value)
        if m and len(m.group(1)) == len(m.group(2)):
            self.prefix_modes, self.prefix_chars = m.group(1), m.group(2)

    def set_chanmodes(self, value: str) -> None:
        parts = [*value.split(","), "", "", "", ""][:4]
        self.chanmodes = (parts[0], parts[1], parts[2], parts[3])

    # ------------------------------------------------------------------ users

    def user(self, nick: str) -> User:
        folded = self.fold(nick)
        user = self.users.get(folded)
        if user is None:
            user = self.users[folded] = User(nick)
        return user

    def note_source(self, msg: Message) -> None:
        """Remember user@host from a ``nick!user@host`` source."""
        if msg.source and "!" in msg.source:
            nick, _, userhost = msg.source.partition("!")
            user = self.user(nick)
            user.user, _, host = userhost.partition("@")
            user.host = host or user.host

    def forget_if_unseen(self, nick: str) -> None:
        folded = self.fold(nick)
        if not any(folded in b.members for b in self.buffers.values()):
            self.users.pop(folded, None)

    # ------------------------------------------------------------------ buffers

    def buf(self, name: str) -> Buffer | None:
        return self.buffers.get(self.fold(name))

    def open(self, name: str, kind: BufferKind, *, focus: bool) -> Buffer:
        """The buffer `name`, opened (BufferOpened) if new; `focus` switches to it."""
        buf = self.buf(name)
        if buf is not None:
            if focus:
                self.focus(buf.name)
            return buf
        buf = Buffer(name, kind, deque(), limit=self.scrollback)
        self.buffers[self.fold(name)] = buf
        self.emit(BufferOpened(name, kind, focus))
        if focus:
            self._leave(self.buf(self.current), buf)
            self.current = name
            buf.marker_pending = True  # nothing read here yet: the read marker may say
        return buf

    def ensure_channel(self, channel: str) -> str:
        buf = self.buf(channel)
        if buf is None:
            buf = self.open(channel, "channel", focus=False)
        return buf.name

    def set_current(self, buffer: str) -> None:
        """The user now looks at `buffer`: its unread count is cleared."""
        buf = self.buf(buffer)
        if buf is None:
            return
        old = self.buf(self.current)
        self.current = buf.name
        if old is not buf:
            self._leave(old, buf)
            self.place_marker(buf)
        if buf.unread or buf.highlight:
            buf.unread = 0
            buf.highlight = False
            self.emit(UnreadChanged(buf.name, 0, False))

    def _leave(self, old: Buffer | None, new: Buffer) -> None:
        """The user leaves `old` for `new`: what `old` showed is seen."""
        if old is not None and old is not new and old.lines:
            newest = old.lines[-1].time
            old.seen_at = newest if old.seen_at is None else max(old.seen_at, newest)

    @staticmethod
    def _new_after(buf: Buffer, when: datetime) -> ChatLine | None:
        return next(
            (
                line
                for line in buf.lines
                if line.kind in _COUNTED_KINDS and not line.self_msg and line.time > when
            ),
            None,
        )

    def marker_line(self, buffer: str) -> ChatLine | None:
        """The first line after "new since you last read" in `buffer`, if there is one."""
        buf = self.buf(buffer)
        if buf is None or buf.marker is None:
            return None
        return self._new_after(buf, buf.marker)

    def place_marker(self, buf: Buffer) -> None:
        """The user comes to `buf`: the marker goes where reading stopped (the server's read
        marker, or what was seen here), when there is anything new after it."""
        known = [t for t in (buf.read_at, buf.seen_at) if t is not None]
        buf.marker_pending = not known
        marker = max(known) if known else None
        if marker is not None and self._new_after(buf, marker) is None:
            marker = None
        self._set_marker(buf, marker)

    def _set_marker(self, buf: Buffer, marker: datetime | None) -> None:
        if marker != buf.marker:
            buf.marker = marker
            self.emit(UnreadMarker(buf.name, marker))

    def focus(self, name: str) -> None:
        """Switch to `name` on behalf of the user (CurrentBufferChanged)."""
        buf = self.buf(name)
        if buf is None:
            return
        self.set_current(buf.name)
        self.emit(CurrentBufferChanged(buf.name))
        if self.on_looked_at is not None:
            self.on_looked_at(buf.name)  # a switch by command is looking too (read markers)

    def drop(self, buf: Buffer) -> None:
        if buf.kind == "status":
            return
        self.buffers.pop(self.fold(buf.name), None)
        self.emit(BufferClosed(buf.name))
        if self.same(self.current, buf.name):
            self.current = STATUS_BUFFER
            self.emit(CurrentBufferChanged(STATUS_BUFFER))

    def rename(self, buf: Buffer, new: str) -> None:
        old = buf.name
        self.buffers.pop(self.fold(old), None)
        buf.name = new
        buf.lines = deque(
            (replace(line, buffer=new) for line in buf.lines), maxlen=buf.lines.maxlen
        )
        self.buffers[self.fold(new)] = buf
        if self.same(self.current, old):
            self.current = new
        self.emit(BufferRenamed(old, new))

    def disconnected(self) -> None:
        """The connection is gone: channels are not joined and their member lists are empty."""
        for buf in self.buffers.values():
            buf.history_requests.clear()
            if buf.kind == "channel" and (buf.joined or buf.members):
                buf.joined = False
                buf.members.clear()
                self.emit_members(buf)

    def mark_read(self, buffer: str, when: datetime) -> None:
        """draft/read-marker: `buffer` is read up to `when` (here or on another device): its
        unread count is the lines after that."""
        buf = self.buf(buffer)
        if buf is None or (buf.read_at is not None and when <= buf.read_at):
            return
        buf.read_at = when
        if self.same(buf.name, self.current):
            if buf.marker_pending:  # came here before knowing where reading stopped
                buf.marker_pending = False
                self._set_marker(buf, when)
            return  # looked at: nothing unread anyway
        newer = [
            line
            for line in buf.lines
            if line.kind in _COUNTED_KINDS
            and not line.self_msg
            and not line.history
            and line.time > when
        ]
        unread, highlight = len(newer), any(line.highlight for line in newer)
        if (unread, highlight) != (buf.unread, buf.highlight):
            buf.unread, buf.highlight = unread, highlight
            self.emit(UnreadChanged(buf.name, unread, highlight))

    # ------------------------------------------------------------------ lines

    def add_line(self, buffer: str, line: ChatLine) -> None:
        """Append a line to `buffer` (if open); counts it as unread when not looked at."""
        buf = self.buf(buffer)
        if buf is None:
            return
        if (
            buf.marker is not None
            and not line.history
            and self.same(buf.name, self.current)
            and self._new_after(buf, buf.marker) is None
        ):
            self._set_marker(buf, None)  # nothing was new when it came; this is read live
        buf.lines.append(line)
        buf.trim()
        self.emit(line)
        if (
            line.kind in _COUNTED_KINDS
            and not line.self_msg
            and not line.history
            and not self.same(buf.name, self.current)
        ):
            buf.unread += 1
            buf.highlight = buf.highlight or line.highlight
            self.emit(UnreadChanged(buf.name, buf.unread, buf.highlight))

    def info(self, buffer: str, text: str | Said, now: float, kind: LineKind = "info") -> None:
        """A line from the client itself in `buffer` (the status buffer if that is not open):
        a `Said` (`tr`) to be translated by the view, or text shown as it is (the server's)."""
        buf = self.buf(buffer) or self.buf(STATUS_BUFFER)
        assert buf is not None
        said = text if isinstance(text, Said) else None
        body = said.fill() if said is not None else str(text)
        self.add_line(buf.name, ChatLine(buf.name, local_time(now), "", body, kind, said=said))

    # ------------------------------------------------------------------ members

    def member_list(self, buf: Buffer) -> tuple[Member, ...]:
        ranks = self.prefix_chars
        members = []
        for folded, (nick, prefixes) in buf.members.items():
            user = self.users.get(folded)
            members.append(
                Member(
                    nick,
                    prefixes,
                    away=user.away if user else False,
                    account=user.account if user else None,
                    host=user.host if user else None,
                )
            )
        members.sort(
            key=lambda m: (
                ranks.index(m.prefix) if m.prefix and m.prefix in ranks else len(ranks),
                self.fold(m.nick),
            )
        )
        return tuple(members)

    def mode_string(self, buf: Buffer) -> str:
        """``+klnt secret 25``: a channel's modes, letters sorted, then their arguments."""
        if not buf.modes:
            return ""
        letters = sorted(buf.modes)
        args = [buf.modes[m] for m in letters if buf.modes[m]]
        return " ".join(["+" + "".join(letters), *args])

    def emit_members(self, buf: Buffer) -> None:
        self.emit(MembersChanged(buf.name, self.member_list(buf)))

    def emit_members_of(self, nick: str) -> None:
        """MembersChanged for every channel `nick` is in (after an away/account/host change)."""
        folded = self.fold(nick)
        for buf in self.buffers.values():
            if buf.kind == "channel" and folded in buf.members:
                self.emit_members(buf)
