"""Nick and channel state: the one narrow interface the commands use to find people and rooms.

Everything that would be shared between server processes lives behind `ChatState`: who holds which
nick, which channels exist and who is in them, WHOWAS, and who MONITORs which nick. This
in-memory implementation is the embedded default. The growth path (several processes sharing
state through Redis) replaces this class, and `Server.fanout`, without touching the command
handlers: they only call the methods below and never reach into the dicts from outside this
module and `Channel`.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from socketchat.irc.casemap import casefold, skeleton

if TYPE_CHECKING:
    from socketchat.server.session import Session
    from socketchat.server.user import User


@dataclass(frozen=True, slots=True)
class Ban:
    mask: str
    setter: str
    set_at: float


@dataclass(frozen=True, slots=True)
class WhowasEntry:
    nick: str
    user: str
    host: str
    realname: str
    account: str | None
    left_at: float

    @staticmethod
    def of(user: User, left_at: float) -> WhowasEntry:
        """What WHOWAS remembers of `user` as it leaves or changes nick."""
        return WhowasEntry(
            user.nick, user.username, user.host, user.realname, user.account, left_at
        )


class Channel:
    """A channel: members with their prefix modes, topic, modes, bans, exceptions, invites."""

    __slots__ = (
        "bans",
        "created",
        "era",
        "excepts",
        "folded",
        "guarded",
        "invexes",
        "invites",
        "key",
        "limit",
        "members",
        "modes",
        "name",
        "topic",
        "topic_setter",
        "topic_time",
    )

    def __init__(self, name: str, created: float) -> None:
        self.name = name
        self.folded = casefold(name)
        self.created = created
        # This incarnation of the channel, from creation until it empties (or the server
        # stops): history said while it was closed (+s/+i/+k) is readable only within it.
        self.era = secrets.token_hex(8)
        self.topic = ""
        self.topic_setter = ""
        self.topic_time = 0.0
        self.members: dict[User, str] = {}  # user -> prefix modes held, e.g. "o", "ov"
        self.modes: set[str] = {"n", "t"}
        self.key: str | None = None
        self.limit = 0
        self.bans: list[Ban] = []  # +b (and mutes, m:...)
        self.excepts: list[Ban] = []  # +e
        self.invexes: list[Ban] = []  # +I
        self.invites: set[str] = set()  # `invitee_key`s of the people invited
        # ChanServ holds this registered channel (SET GUARD, server/chanserv.py): it stays
        # when its last member leaves
        self.guarded = False

    def invite(self, user: User) -> None:
        """Let `user` in past +i, +l and bans: the person, not whoever holds the nick later."""
        self.invites.add(invitee_key(user))

    def is_invited(self, session: Session) -> bool:
        return bool(self.invites) and (
            invitee_key(session.user) in self.invites
            or f"c:{session.id}" in self.invites  # invited before logging in on this connection
        )

    def use_invite(self, session: Session) -> None:
        """`session` joined: its invite is spent."""
        self.invites.discard(invitee_key(session.user))
        self.invites.discard(f"c:{session.id}")

    def mask_list(self, mode: str) -> list[Ban]:
        """The list behind list mode `mode`: b, e or I."""
        return self.bans if mode == "b" else self.excepts if mode == "e" else self.invexes

    def has_mode(self, user: User, mode: str) -> bool:
        return mode in self.members.get(user, "")

    def is_op(self, user: User) -> bool:
        return "o" in self.members.get(user, "")

    def prefix_of(self, user: User, multi: bool = False) -> str:
        held = self.members.get(user, "")
        symbols = ("@" if "o" in held else "") + ("+" if "v" in held else "")
        return symbols if multi else symbols[:1]

    def set_member_mode(self, user: User, mode: str, on: bool) -> None:
        held = self.members.get(user)
        if held is None:
            return
        if on and mode not in held:
            held = "".join(m for m in "ov" if m in held or m == mode)
        elif not on:
            held = held.replace(mode, "")
        self.members[user] = held

    def mode_string(self, show_key: bool = True) -> tuple[str, ...]:
        flags = "".join(sorted(self.modes))
        params: list[str] = []
        if self.key:
            flags += "k"
            params.append(self.key if show_key else "*")
        if self.limit:
            flags += "l"
            params.append(str(self.limit))
        return ("+" + flags, *params)


def invitee_key(user: User) -> str:
    """Who an invite belongs to: the account when logged in (it survives reconnects and nick
    changes), else this one user, who without an account is one connection (the id of the
    session that created it, never reused while the server runs).

    A nick is not a person: after bob quits, whoever takes the nick bob must not walk into the
    +i channel bob was invited to.
    """
    if user.account:
        return "a:" + casefold(user.account)
    return f"c:{user.id}"


MAX_READ_MARKERS = 1000  # per account or connection


class ChatState:
    """Who is here and where: nicks, channels, recently departed nicks (WHOWAS)."""

    def __init__(self, whowas_size: int = 1000) -> None:
        self._nicks: dict[str, User] = {}  # with connections still registering
        # UTS #39 skeleton -> who holds a nick with it, and back (see `nick_holder`)
        self._skeletons: dict[str, set[User]] = {}
        self._skeleton_of: dict[User, str] = {}
        self._users: set[User] = set()  # registered ones only: what LUSERS counts
        self.max_users = 0  # the most registered users at once since the start (265/266)
        self._user_modes: dict[str, set[User]] = {}  # user mode -> who has it
        self._read_markers: dict[str, dict[str, int]] = {}  # owner -> folded target -> ms
        # draft/metadata-3: key -> value per user and per (folded) channel; keys subscribed to
        self._user_metadata: dict[User, dict[str, str]] = {}
        self._channel_metadata: dict[str, dict[str, str]] = {}
        self._metadata_subs: dict[Session, set[str]] = {}
        self._accounts: dict[str, set[Session]] = {}  # folded account -> its connections
        self._channels: dict[str, Channel] = {}
        self._whowas: deque[WhowasEntry] = deque(maxlen=whowas_size or None)
        # MONITOR: folded nick -> who watches it; session -> {folded: nick as the watcher typed it}
        self._watchers: dict[str, set[Session]] = {}
        self._monitoring: dict[Session, dict[str, str]] = {}
        # where a new channel's era comes from; None: random (server/cluster/ sets it)
        self.new_era: Callable[[], str] | None = None

    # nicks (held by users: every session of a multiclient user shares its nick)
    def find_nick(self, nick: str) -> User | None:
        return self._nicks.get(casefold(nick))

    def nick_holder(self, nick: str, user: User | None = None) -> User | None:
        """Who, other than `user`, holds `nick` or a nick that looks like it.

        The same fold, or the same confusable skeleton when either nick is non-ASCII
        (`casemap.clash`): under `precis`, Cyrillic ``рау`` is taken while someone is ``pay``.
        """
        holder = self._nicks.get(casefold(nick))
        if holder is not None and holder is not user:
            return holder
        holders = self._skeletons.get(skeleton(nick))
        if holders:
            for other in holders:
                if other is not user and not (nick.isascii() and other.nick.isascii()):
                    return other
        return None

    def claim_nick(self, user: User, nick: str) -> bool:
        """Take `nick` for `user` (releasing its old one). False if someone else holds it,
        or a nick that looks like it (`nick_holder`)."""
        if self.nick_holder(nick, user) is not None:
            return False
        folded = casefold(nick)
        if user.folded and user.folded != folded:
            self._nicks.pop(user.folded, None)
        self._nicks[folded] = user
        user.folded = folded
        user.nick = nick
        self._forget_skeleton(user)
        skel = skeleton(nick)
        self._skeleton_of[user] = skel
        self._skeletons.setdefault(skel, set()).add(user)
        return True

    def _forget_skeleton(self, user: User) -> None:
        skel = self._skeleton_of.pop(user, None)
        if skel is not None:
            holders = self._skeletons.get(skel)
            if holders is not None:
                holders.discard(user)
                if not holders:
                    del self._skeletons[skel]

    def release_nick(self, user: User) -> None:
        """`user` is gone: its nick is free, it no longer counts."""
        if user.folded and self._nicks.get(user.folded) is user:
            del self._nicks[user.folded]
        self._forget_skeleton(user)
        self._users.discard(user)
        for holders in self._user_modes.values():
            holders.discard(user)
        self._user_metadata.pop(user, None)

    # accounts (one account may be logged in on several connections)
    def set_account(self, session: Session, account: str | None) -> None:
        """`session` (and so its user) logs in to `account` (None: logs out)."""
        self._forget_account(session)
        session.user.account = account
        if account and not session.closed:  # (a login finishing after the connection went)
            self._accounts.setdefault(casefold(account), set()).add(session)

    def _forget_account(self, session: Session) -> None:
        if session.account:
            folded = casefold(session.account)
            holders = self._accounts.get(folded)
            if holders is not None:
                holders.discard(session)
                if not holders:
                    del self._accounts[folded]

    def sessions_of(self, account: str) -> list[Session]:
        """Every connection logged in to `account` (any case)."""
        return list(self._accounts.get(casefold(account), ()))

    def users(self) -> list[User]:
        """Every nick holder (with connections still registering)."""
        return list(self._nicks.values())

    def add_user(self, user: User) -> None:
        """`user` finished registering: from now on it counts as a user (until it leaves)."""
        user.registered = True
        self._users.add(user)
        self.max_users = max(self.max_users, len(self._users))

    def user_count(self) -> int:
        """Registered users; a connection that has sent NICK but not finished is not one yet."""
        return len(self._users)

    def set_user_mode(self, user: User, mode: str, on: bool) -> bool:
        """Set or clear a user mode of `user`; False if it already was so."""
        if (mode in user.modes) == on:
            return False
        if on:
            user.modes.add(mode)
            self._user_modes.setdefault(mode, set()).add(user)
        else:
            user.modes.discard(mode)
            self._user_modes.get(mode, set()).discard(user)
        return True

    # metadata (commands/metadata.py decides who may read and write what)
    def _metadata_of(self, target: User | Channel, create: bool) -> dict[str, str]:
        if isinstance(target, Channel):
            table = self._channel_metadata
            if create:
                return table.setdefault(target.folded, {})
            return table.get(target.folded, {})
        if create:
            return self._user_metadata.setdefault(target, {})
        return self._user_metadata.get(target, {})

    def metadata_get(self, target: User | Channel, key: str) -> str | None:
        return self._metadata_of(target, False).get(key)

    def metadata_items(self, target: User | Channel) -> list[tuple[str, str]]:
        return list(self._metadata_of(target, False).items())

    def metadata_set(self, target: User | Channel, key: str, value: str | None) -> None:
        """Set `key` (None removes it)."""
        if value is None:
            self._metadata_of(target, False).pop(key, None)
        else:
            self._metadata_of(target, True)[key] = value

    def metadata_clear(self, target: User | Channel) -> None:
        self._metadata_of(target, False).clear()

    def metadata_subs(self, session: Session) -> set[str]:
        """The keys `session` subscribed to (the set itself: SUB and UNSUB change it)."""
        return self._metadata_subs.setdefault(session, set())

    def forget_session(self, session: Session) -> None:
        """A connection left: its read markers (without an account), metadata subscriptions
        and MONITOR list go (its user's own metadata goes with the user: `release_nick`)."""
        self._read_markers.pop(f"c:{session.id}", None)
        self._metadata_subs.pop(session, None)
        self.monitor_clear(session)
        self._forget_account(session)

    def read_marker(self, owner: str, target: str) -> int | None:
        """The read marker (ms) of `owner` (an account or a connection) for `target`."""
        return self._read_markers.get(owner, {}).get(casefold(target))

    def set_read_marker(self, owner: str, target: str, when_ms: int) -> bool:
        """Move a read marker forward to `when_ms`; False if it already was there or past."""
        markers = self._read_markers.setdefault(owner, {})
        key = casefold(target)
        if markers.get(key, -1) >= when_ms:
            return False
        if key not in markers and len(markers) >= MAX_READ_MARKERS:
            del markers[next(iter(markers))]  # the longest-unmoved one goes (bounded memory)
        markers.pop(key, None)
        markers[key] = when_ms
        return True

    def with_user_mode(self, mode: str) -> list[User]:
        """Every nick holder with `mode` (WALLOPS goes to the +w ones)."""
        return list(self._user_modes.get(mode, ()))

    def count_user_mode(self, mode: str) -> int:
        """How many nick holders have `mode` (LUSERS asks at every registration: no scan)."""
        return len(self._user_modes.get(mode, ()))

    # MONITOR lists (a nick is watched whether or not anyone holds it)
    def monitor_add(self, session: Session, nick: str) -> None:
        folded = casefold(nick)
        self._monitoring.setdefault(session, {}).setdefault(folded, nick)
        self._watchers.setdefault(folded, set()).add(session)

    def monitor_remove(self, session: Session, nick: str) -> None:
        folded = casefold(nick)
        watched = self._monitoring.get(session)
        if watched is None or watched.pop(folded, None) is None:
            return
        if not watched:
            del self._monitoring[session]
        watchers = self._watchers.get(folded)
        if watchers is not None:
            watchers.discard(session)
            if not watchers:
                del self._watchers[folded]

    def monitor_clear(self, session: Session) -> None:
        """Forget `session`'s whole MONITOR list (MONITOR C, and when it leaves)."""
        for nick in list(self._monitoring.get(session, {}).values()):
            self.monitor_remove(session, nick)

    def monitored_by(self, session: Session) -> list[str]:
        """The nicks `session` monitors, as it spelled them, in the order it added them."""
        return list(self._monitoring.get(session, {}).values())

    def watchers(self, nick: str) -> list[Session]:
        """Who monitors `nick` (any case)."""
        return list(self._watchers.get(casefold(nick), ()))

    def remember(self, entry: WhowasEntry) -> None:
        self._whowas.append(entry)

    def whowas(self, nick: str) -> list[WhowasEntry]:
        folded = casefold(nick)
        return [e for e in reversed(self._whowas) if casefold(e.nick) == folded]

    # channels
    def find_channel(self, name: str) -> Channel | None:
        return self._channels.get(casefold(name))

    def create_channel(self, name: str, now: float) -> Channel:
        channel = Channel(name, now)
        if self.new_era is not None:  # a cluster node: the same incarnation id on every node
            channel.era = self.new_era()
        self._channels[channel.folded] = channel
        return channel

    def rename_channel(self, channel: Channel, name: str) -> None:
        """draft/channel-rename: the channel keeps everything but its name."""
        old = channel.folded
        self._channels.pop(old, None)
        channel.name, channel.folded = name, casefold(name)
        self._channels[channel.folded] = channel
        for member in channel.members:
            member.channels.pop(old, None)
            member.channels[channel.folded] = channel
        if old in self._channel_metadata:
            self._channel_metadata[channel.folded] = self._channel_metadata.pop(old)

    def channels(self) -> list[Channel]:
        return list(self._channels.values())

    def channel_count(self) -> int:
        return len(self._channels)

    def add_member(self, channel: Channel, user: User, modes: str = "") -> None:
        channel.members[user] = modes
        user.channels[channel.folded] = channel

    def remove_member(self, channel: Channel, user: User) -> None:
        channel.members.pop(user, None)
        user.channels.pop(channel.folded, None)
        self.drop_channel_if_empty(channel)

    def drop_channel_if_empty(self, channel: Channel) -> None:
        """`channel` ceases to exist if nobody is in it (and ChanServ does not hold it)."""
        gone = not channel.members and not channel.guarded
        if gone and self._channels.get(channel.folded) is channel:
            del self._channels[channel.folded]
            self._channel_metadata.pop(channel.folded, None)
