"""A person on the server, apart from the connections they use.

Theory of operation
-------------------
A `User` is what other people see: a nick, an ident and host, a real name, an account, away, user
modes and the channels they are in. A `Session` (session.py) is one connection: its link,
framing, flood control, capabilities, outbox and SendQ. Every session points at its user
(`session.user`); a user lists the sessions attached to it (`sessions`).

Most users have exactly one session for their whole life: the session creates its user when it
connects, and the user goes when the session closes. Two things make them differ:

- **multiclient**: a second connection that logs in to the account of a user who is here, and
  asks for that user's nick, attaches to the same user instead of getting 433. Channels, nick,
  away and modes are the user's, so all devices share them; every line sent to the user reaches
  every session, each encoded for its own capabilities; a QUIT of one device only detaches it.
- **always-on**: when the last session of a registered account's user closes, the user may stay
  (`always_on`): in its channels, holding its nick, reachable by PRIVMSG, marked away
  (`auto_away`) until a device comes back.

Channel membership, the nick table, WHO, WHOIS, MONITOR and fan-out therefore speak of users;
replies to a command go to the one session that sent it. This is also the seam for several
server processes: a user's sessions may be on other nodes, the user is the shared state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socketchat.irc.message import Message
    from socketchat.server.session import Session
    from socketchat.server.state import Channel


class User:
    __slots__ = (
        "__weakref__",
        "account",
        "always_on",
        "auto_away",
        "away",
        "channels",
        "folded",
        "host",
        "id",
        "ip",
        "last_message_at",
        "left_at",
        "modes",
        "nick",
        "realname",
        "registered",
        "sessions",
        "signon",
        "username",
    )

    def __init__(self, user_id: int, ip: str, host: str, signon: float, now: float) -> None:
        self.id = user_id  # the id of the session that created it (never reused)
        self.nick = "*"
        self.folded = ""
        self.username = ""  # the ident, "~"-prefixed: we run no ident lookups
        self.realname = ""
        self.ip = ip  # of the session that created it
        self.host = host
        self.account: str | None = None
        self.away: str | None = None
        self.auto_away = False  # away because no device is connected (always-on)
        self.modes: set[str] = set()
        self.channels: dict[str, Channel] = {}  # folded name -> channel
        self.sessions: list[Session] = []
        self.registered = False  # counted as a user (LUSERS) and visible to others
        self.always_on = False  # stays when its last session closes
        self.signon = signon  # wall clock: shown as the signon time
        self.last_message_at = now  # monotonic: WHOIS idle time
        self.left_at = 0.0  # wall clock: when its last session closed (always-on)

    @property
    def prefix(self) -> str:
        return f"{self.nick}!{self.username or '~u'}@{self.host}"

    @property
    def secure(self) -> bool:
        """Every device connects over TLS (WHOIS 671); False with none."""
        return bool(self.sessions) and all(s.secure for s in self.sessions)

    @property
    def present(self) -> bool:
        """At least one device is connected."""
        return bool(self.sessions)

    def send(self, msg: Message) -> None:
        """`msg` to every session of this user, each encoded for its capabilities."""
        for s in self.sessions:
            s.send(msg)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.nick} ({len(self.sessions)} sessions)>"
