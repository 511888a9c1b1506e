"""The server, sans-I/O: sessions, state, fan-out, timers. Adapters in `server/net/` drive it.

Theory of operation
-------------------
`Server` owns the configuration, the `ChatState` (nicks and channels), the optional storage
(history and accounts) and every `Session`. It reads time only through the injected `clock`, and
touches the network only through each session's `Link`, and only inside `flush()` — so tests drive
it by feeding bytes to sessions and reading what `flush()` hands to fake links.

An adapter must:
  1. create a session per connection with `connect(link, ip, port)`;
  2. feed it input (`session.receive_data` / `receive_line`), and `connection_lost` at the end;
  3. call `flush()` soon after `wakeup` is called (once per event-loop turn is ideal);
  4. call `tick()` again after the number of seconds it returns (timeouts, flood release), or
     sooner when `tick_wanted(seconds)` asks for it (a session's input was just delayed);
  5. optionally set `offloader` to run blocking work (password hashing) on other threads and hand
     each result back on the core's own thread (see `offload`); by default it runs inline.

`tick()` releases flood-delayed input on every call but sweeps all sessions for timeouts only every
`sweep_interval` seconds, so one flooder does not make the server scan everybody 20 times a second.

Fan-out serialises a message once per *tag profile* (the combination of server-time, message-tags,
account-tag and batch that a recipient negotiated, at most 16), and appends the same bytes object
to each recipient's outbox.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar

from socketchat.irc import casemap
from socketchat.irc.message import Message
from socketchat.irc.servertime import format_time
from socketchat.server import monitor
from socketchat.server.accounts import LoginThrottle
from socketchat.server.config import ServerConfig
from socketchat.server.connthrottle import ConnectThrottle
from socketchat.server.errorlog import (
    BAD_INPUT_PER_MINUTE,
    INCIDENTS_PER_MINUTE,
    REFUSALS_PER_MINUTE,
    LogBudget,
)
from socketchat.server.klines import ServerBans, check_connect, check_registration
from socketchat.server.link import NULL_LINK, Link
from socketchat.server.session import (
    BAD_INPUT_LOG_LIMIT,
    SEES_ACCOUNT,
    SEES_BATCH,
    SEES_TAGS,
    SEES_TIME,
    Session,
)
from socketchat.server.state import ChatState, WhowasEntry
from socketchat.server.stats import ServerStats
from socketchat.server.webpush import PushNotifier

if TYPE_CHECKING:
    from socketchat.irc.framing import FramingError
    from socketchat.irc.message import ParseError
    from socketchat.server.rehash import NetworkRehash, RehashResult
    from socketchat.server.user import User
    from socketchat.storage.base import Storage

log = logging.getLogger("socketchat.server")

T = TypeVar("T")

# what `Server._refused` logs for each reason (the reasons are also the metrics' labels)
_REFUSAL_TEXT = {
    "full": "server is full",
    "per_ip": "too many connections from that address",
    "too_fast": "that address reconnects too fast",
}


class Offloader(Protocol):
    """Runs `work()` somewhere, then `done(result)` on the core's thread (at once, or later)."""

    def __call__(self, work: Callable[[], T], done: Callable[[T], None]) -> None: ...


def run_inline(work: Callable[[], T], done: Callable[[T], None]) -> None:
    """The default `Offloader`: no threads (sans-I/O tests, tools)."""
    done(work())


class Dispatcher(Protocol):
    """What the core asks of the command layer, injected so that the core knows no command.

    `commands/dispatch.py` implements it (`TABLE_DISPATCHER`); `server/compose.py:build_server`
    is the one place that puts the two together (main and the tests both use it). The layers
    stay one way: commands import the core, never the reverse (tests/test_layering.py).
    """

    def dispatch(self, server: Server, session: Session, msg: Message) -> int:
        """Run one parsed command; return its flood-control cost."""
        ...

    def reject(self, server: Server, session: Session, error: FramingError | ParseError) -> int:
        """Answer a line that could not be framed or parsed; return its cost."""
        ...

    def resume(self, server: Server, session: Session, rest: Callable[[], None]) -> None:
        """Run `rest`, the end of an offloaded command, as part of that command (its label)."""
        ...


class Sequencer(Protocol):
    """Where a cluster node (`server/cluster/`) puts what changes the network's shared state,
    instead of running it at once: one ordered log that every node applies, so that each
    rule runs once, here, and every replica takes the same decisions in the same order.

    `Server.sequencer` is None on a single server (the embedded default): nothing changes.
    With one, a session's parsed line goes to `submit` instead of the dispatcher (it is
    dispatched when it comes back from the log, on every node), a close decided outside the
    log (the peer went away, a timeout, SendQ) goes to `request_close`, blocking work of a
    session to `offload`, and msgids come from the log entry being applied."""

    applying: bool  # an entry of the log is being applied: run it, do not sequence it

    def connected(self, session: Session) -> None:
        """A local connection was accepted (before any of its lines)."""
        ...

    def submit(self, session: Session, msg: Message | FramingError | ParseError) -> None:
        """A local session's line, after framing and flood control: append it to the log (a
        line that could not be framed or parsed too: its error reply keeps its place)."""
        ...

    def request_close(self, session: Session, reason: str, quit_message: str | None) -> None:
        """A local session ends for a local reason: append its close to the log."""
        ...

    def offload(self, work: Callable[[], T], done: Callable[[T], None], session: Session) -> None:
        """Blocking work of `session`: its owner runs it, the log carries the result."""
        ...

    def decide(self, read: Callable[[], T], done: Callable[[T], None], session: Session) -> None:
        """A storage read of `session`'s command that decides shared state: its node reads,
        the log carries the answer (a ``res`` entry), every node goes on with `done`."""
        ...

    def due(self, session: Session, what: str) -> None:
        """A timer of local `session` that changes shared state is due (nick protection's
        rename): append it; every node acts on it when it comes back (`Persistence.due`)."""
        ...

    def push_gone(self, account: str, endpoint: str) -> None:
        """A push service said `account`'s Web Push subscription `endpoint` is gone (only
        the node that sent the push hears it): append it; every node forgets it then."""
        ...

    def next_msgid(self) -> str: ...

    def network_sessions(self) -> list[Session]:
        """Every open connection of the network (this node's and the shadows), in id order."""
        ...

    def connection_count(self) -> int:
        """How many connections the network has (LUSERS)."""
        ...


# Capabilities offered in CAP LS, with their CAP LS 302 values.
BASE_CAPS: dict[str, str] = {
    "account-notify": "",
    "account-tag": "",
    "away-notify": "",
    "batch": "",
    "cap-notify": "",
    "draft/channel-rename": "",
    "draft/extended-isupport": "",
    "draft/multiline": "max-bytes=4096,max-lines=32",
    "draft/metadata-3": "before-connect,max-subs=50,max-keys=20,max-value-bytes=300",
    "draft/no-implicit-names": "",
    "draft/pre-away": "",
    "draft/read-marker": "",
    "chghost": "",
    "echo-message": "",
    "extended-join": "",
    "extended-monitor": "",
    "invite-notify": "",
    "labeled-response": "",
    "message-tags": "",
    "multi-prefix": "",
    "server-time": "",
    "setname": "",
    "standard-replies": "",
    "userhost-in-names": "",
}


def _filter_tags(tags: Mapping[str, str], mask: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tags.items():
        if key == "time":
            if mask & SEES_TIME:
                out[key] = value
        elif key == "account":
            if mask & SEES_ACCOUNT:
                out[key] = value
        elif key == "batch":
            if mask & SEES_BATCH:
                out[key] = value
        elif key == "label" or mask & SEES_TAGS:
            out[key] = value
    return out


class Server:
    def __init__(
        self,
        config: ServerConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] | None = None,
        storage: Storage | None = None,
        dispatcher: Dispatcher,
    ) -> None:
        self.config = config or ServerConfig()
        self.dispatcher = dispatcher  # the command layer (compose.py), looked up once per line
        # a cluster node's ordered log (server/cluster/); None: a single server
        self.sequencer: Sequencer | None = None
        casemap.use(self.config.casemapping)  # process-wide, before any connection (casemap.py)
        # Two clocks: `clock` (wall time) stamps what users see (server-time, topic and
        # creation times, history); `monotonic` measures every duration (flood control,
        # timeouts, throttles), so a wall-clock step (NTP, an operator) delays nobody. A test
        # that injects only `clock` drives both with it.
        self.clock = clock
        if monotonic is None:
            monotonic = time.monotonic if clock is time.time else clock
        self.monotonic = monotonic
        self.storage = storage
        self.name = self.config.name
        self.state = ChatState(self.config.limits.whowas_history)
        self.started_at = clock()
        self.started_mono = monotonic()
        self.sessions: set[Session] = set()
        self.shutting_down = False
        self.per_ip: dict[str, int] = {}
        # TCP connections accepted that are no session yet (`accept_pending`)
        self.pending = 0
        self.pending_per_ip: dict[str, int] = {}
        self.refusal_log = LogBudget(REFUSALS_PER_MINUTE, 1)  # connection limits biting
        # new connections per source address (connthrottle.py; its rates come from the config
        # at each use, so REHASH changes them)
        self.connect_throttle = ConnectThrottle(0, 0)
        self.incident_log = LogBudget(INCIDENTS_PER_MINUTE, 1)  # Excess Flood, SendQ drops
        self.dirty: list[Session] = []
        self.delayed: set[Session] = set()
        self.closing: list[Session] = []
        self.wakeup: Callable[[], None] = lambda: None
        self.tick_wanted: Callable[[float], None] = lambda seconds: None
        self.offloader: Offloader = run_inline
        # REHASH: reload the config file, given who asked (set by the runner: it reads files)
        self.rehash_hook: Callable[[str], RehashResult] | None = None
        # REHASH on a cluster node: through the log, the same settings everywhere (rehash.py)
        self.network_rehash: NetworkRehash | None = None
        self.stats = ServerStats()  # plain counters, read at scrape time (net/metrics.py)
        # times storage commits for the metrics (the runner sets time.perf_counter); None: off
        self.commit_timer: Callable[[], float] | None = None
        # IRCv3 STS (tls port, duration), offered in CAP LS while a TLS listener runs (runner)
        self.sts: tuple[int, int] | None = None
        self.bans = ServerBans()  # K-lines and D-lines (klines.py; loaded from storage at start)
        self._next_sweep = 0.0
        self._ids = itertools.count(1)
        self._msgid_prefix = secrets.token_hex(4)
        self._msgids = itertools.count(1)
        self._time_cache = (-1, "")
        self.caps = dict(BASE_CAPS)
        if storage is not None:
            self.caps.update(storage.capabilities())
        self.cloak_secret = secrets.token_bytes(16)
        self.tracebacks = LogBudget()  # handler bugs: a few tracebacks per session and minute
        self.bad_input_log = LogBudget(BAD_INPUT_PER_MINUTE, BAD_INPUT_LOG_LIMIT)
        # failed logins (SASL, NickServ, OPER) per account+address, address and account
        self.login_throttle = LoginThrottle()
        # welcome.py: numerics that are the same for everyone but the nick, encoded once
        self.static_numerics: dict[object, list[tuple[bytes, bytes]]] = {}
        # Web Push (draft/webpush): decides and enqueues; net/webpush.py sends (main enables)
        self.push = PushNotifier(self)

    # -- connections ----------------------------------------------------------------------
    def connect(
        self, link: Link, ip: str, port: int, *, secure: bool = False, kind: str = "tcp"
    ) -> Session:
        """A new connection. The session may come back already closed (connection limits)."""
        session = Session(
            self, next(self._ids), link, ip, port, self.host_for(ip), secure=secure, kind=kind
        )
        limits = self.config.limits
        self.sessions.add(session)
        self.per_ip[ip] = self.per_ip.get(ip, 0) + 1
        self.stats.count_connection(kind)
        if self.sequencer is not None:  # (first in the log: before any of its lines or close)
            self.sequencer.connected(session)
        if limits.max_clients and len(self.sessions) + self.pending > limits.max_clients:
            self._refused("full", ip, port)
            session.close("Server is full")
        elif (
            limits.max_clients_per_ip
            and self.per_ip[ip] + self.pending_per_ip.get(ip, 0) > limits.max_clients_per_ip
        ):
            self._refused("per_ip", ip, port)
            session.close("Too many connections from your IP")
        elif not check_connect(self, session):  # a D-lined address is closed at once
            log.info("connect id=%d from %s:%d (%s)", session.id, ip, port, kind)
        return session

    def accept_pending(self, ip: str | None) -> bool:
        """A TCP connection that is not a session yet — an HTTP request on the web port before
        its upgrade, a TLS handshake — counts against `max_clients` (and, given its address,
        `max_clients_per_ip`) from its accept, so that half-sent requests cannot hold every
        descriptor. False: refused (close it; logged, rate-limited). True: counted until
        `pending_done(ip)`, which must follow exactly once (before `connect`, if it comes)."""
        limits = self.config.limits
        if limits.max_clients and len(self.sessions) + self.pending >= limits.max_clients:
            self._refused("full", ip or "?", 0)
            return False
        if (
            ip
            and limits.max_clients_per_ip
            and self.per_ip.get(ip, 0) + self.pending_per_ip.get(ip, 0) >= limits.max_clients_per_ip
        ):
            self._refused("per_ip", ip, 0)
            return False
        self.pending += 1
        if ip:
            self.pending_per_ip[ip] = self.pending_per_ip.get(ip, 0) + 1
        return True

    def reconnect_too_fast(self, ip: str) -> bool:
        """Called once per new connection from `ip`, at its accept (or, behind a trusted proxy,
        once the forwarded address is known), before `accept_pending`/`connect`: True means
        refused (`connects_per_ip_per_minute`; counted and logged, rate-limited) — the caller
        closes it without a session, answering `TOO_FAST_LINE` (IRC) or 429 (web)."""
        if self._connect_throttle().admit(ip, self.monotonic()):
            return False
        self._refused("too_fast", ip, 0)
        return True

    def _connect_throttle(self) -> ConnectThrottle:
        """The throttle, with the rates of the configuration now (REHASH may change them)."""
        limits, throttle = self.config.limits, self.connect_throttle
        throttle.per_minute = limits.connects_per_ip_per_minute
        throttle.burst = limits.connects_per_ip_burst
        return throttle

    def pending_done(self, ip: str | None) -> None:
        self.pending -= 1
        if ip:
            left = self.pending_per_ip.get(ip, 1) - 1
            if left > 0:
                self.pending_per_ip[ip] = left
            else:
                self.pending_per_ip.pop(ip, None)

    def _refused(self, why: str, ip: str, port: int) -> None:
        """A connection limit bit: count it; log it, at most a few lines a minute."""
        self.stats.count_refused(why)
        admitted, left_out = self.refusal_log.admit(self.monotonic(), 0)
        if admitted:
            log.warning(
                "refused a connection from %s:%d: %s%s",
                ip,
                port,
                _REFUSAL_TEXT[why],
                f" ({left_out} more refused since the last such line)" if left_out else "",
            )

    def host_for(self, ip: str) -> str:
        """The hostname shown for a client: its IP, or a stable cloak when configured."""
        if not self.config.cloak_hosts:
            return ip if not ip.startswith(":") else "0" + ip
        digest = hashlib.blake2s(ip.encode(), key=self.cloak_secret, digest_size=5).hexdigest()
        return f"{digest}.cloak.{self.config.network}"

    def disconnect(self, session: Session, quit_message: str, *, final: bool = False) -> None:
        """Called by `Session.close`: remove the session from every structure, and its user
        too unless another device of it is connected or it stays (always-on; never when
        `final`: a KILL, a K-line); tell its peers."""
        user = session.user
        if session in user.sessions:
            user.sessions.remove(session)
        if user.sessions:  # another device is here: only this connection leaves
            if session.registered:
                session.send(Message("QUIT", (quit_message,), user.prefix))
        elif user.registered and not final and self.keeps(user):
            self.stays_away(user)
        else:
            self.user_gone(user, quit_message)
        self.state.forget_session(session)  # MONITOR list, subscriptions, markers w/o account
        self.sessions.discard(session)
        self.delayed.discard(session)
        count = self.per_ip.get(session.ip, 1) - 1
        if count > 0:
            self.per_ip[session.ip] = count
        else:
            self.per_ip.pop(session.ip, None)
        self.closing.append(session)
        if quit_message == "Excess Flood":
            self.stats.flood_disconnects += 1
            # its next connections wait longer (connthrottle.py); a proxy's own address is
            # never a session's, so only the flooder's address pays
            self._connect_throttle().penalize(session.ip, self.monotonic())
        if not self.dirty:
            self.wakeup()
        log.info("disconnect id=%d nick=%s: %s", session.id, session.nick, quit_message)

    def network_sessions(self) -> list[Session]:
        """Every connection a network-wide rule acts on (a new K-line): this server's, or on a
        cluster node the whole network's, shadows included, in the same order on every node."""
        if self.sequencer is not None:
            return self.sequencer.network_sessions()
        return list(self.sessions)

    def connection_count(self) -> int:
        """Connections, registered or not (LUSERS): this server's, or the whole network's."""
        if self.sequencer is not None:
            return self.sequencer.connection_count()
        return len(self.sessions)

    def keeps(self, user: User) -> bool:
        """Does `user`, whose last device just left, stay (always-on)? Never while the server
        shuts down."""
        return user.always_on and user.account is not None and not self.shutting_down

    def stays_away(self, user: User) -> None:
        """`user`'s last device left and it stays: still in its channels and holding its nick,
        marked away until a device comes back (peers with away-notify hear it)."""
        user.left_at = self.clock()
        if self.storage is not None:
            for channel in user.channels.values():
                self.storage.left(self, user, channel)  # replay from here on return
            self.storage.user_left(self, user, stays=True)
        if user.away is None:
            user.away = self.config.always_on_away
            user.auto_away = True
            msg = Message("AWAY", (user.away,), user.prefix, self.relay_tags(user))
            self.deliver(msg, monitor.audience(self, user, "away-notify"))
        log.info("always-on: %s stays with no device", user.nick)

    def end_user(self, user: User, reason: str, *, quit_message: str | None = None) -> None:
        """End `user` whatever its devices (KILL, GHOST): each session closes, and the user
        goes even if always-on (or present with no device at all)."""
        for session in list(user.sessions):
            session.close(reason, quit_message=quit_message, final=True)
        if not user.sessions and self.state.find_nick(user.nick) is user:
            self.user_gone(user, quit_message if quit_message is not None else reason)

    def user_gone(self, user: User, quit_message: str) -> None:
        """`user` leaves for good: QUIT to everyone who shared a channel, nick freed."""
        if user.registered:
            tags = self.relay_tags(user, msgid=True)
            quit_msg = Message("QUIT", (quit_message,), user.prefix, tags)
            peers = self.peers_of(user)
            if self.storage is not None and user.account:
                # what arrives from now on is missed; a shutdown keeps the always-on (with
                # their channels: before they leave them)
                stays = self.shutting_down and user.always_on
                self.storage.user_left(self, user, stays=stays)
            for channel in list(user.channels.values()):
                if self.storage is not None:
                    self.storage.store_event(quit_msg, channel, user)
                    self.storage.left(self, user, channel)
                self.state.remove_member(channel, user)
            self.fanout(quit_msg, peers)
            self.state.remember(WhowasEntry.of(user, self.clock()))
            monitor.offline(self, user, user.nick)
        self.state.release_nick(user)

    def peers_of(self, user: User, *, include_self: bool = False) -> set[User]:
        """Everyone who shares a channel with `user`."""
        peers: set[User] = set()
        for channel in user.channels.values():
            peers.update(channel.members)
        if include_self:
            peers.add(user)
        else:
            peers.discard(user)
        return peers

    # -- output ---------------------------------------------------------------------------
    def mark_dirty(self, session: Session) -> None:
        if not self.dirty and not self.closing:
            self.wakeup()
        self.dirty.append(session)

    def encode(self, msg: Message, mask: int) -> bytes:
        if not msg.tags:
            return msg.to_bytes()
        return msg.to_bytes(_filter_tags(msg.tags, mask))

    def fanout(
        self, msg: Message, recipients: Iterable[User], *, skip: Session | None = None
    ) -> None:
        """Send `msg` to every session of each recipient (but `skip`), serialised once per
        tag profile. (A cluster node's shadows of other nodes' sessions are skipped first:
        their bytes are not ours.)"""
        null = NULL_LINK
        if not msg.tags:
            data = msg.to_bytes()
            for u in recipients:
                for s in u.sessions:
                    if s is skip or s.link is null:
                        continue
                    if s.capture is not None:
                        s.capture.append(msg)
                    else:
                        s.write(data)
            return
        cache: dict[int, bytes] = {}
        for u in recipients:
            for s in u.sessions:
                if s is skip or s.link is null:
                    continue
                if s.capture is not None:
                    s.capture.append(msg)
                    continue
                encoded = cache.get(s.tagmask)
                if encoded is None:
                    encoded = cache[s.tagmask] = msg.to_bytes(_filter_tags(msg.tags, s.tagmask))
                s.write(encoded)

    @staticmethod
    def sessions_among(
        users: Iterable[User], cap: str | None = None, *, without: User | None = None
    ) -> list[Session]:
        """Every session of `users` (but `without`'s), only those with `cap` if given: for
        lines that depend on a capability (extended-join, away-notify, invite-notify, ...).
        A cluster node's shadows are left out, as `deliver` and `fanout` skip them: their
        bytes are their own node's to write (every caller only sends to the list)."""
        out: list[Session] = []
        null = NULL_LINK
        for u in users:
            if u is without:
                continue
            for s in u.sessions:
                if (cap is None or cap in s.caps) and s.link is not null:
                    out.append(s)
        return out

    def deliver(self, msg: Message, sessions: Iterable[Session]) -> None:
        """Send `msg` to each of `sessions` (already chosen one by one, e.g. by capability),
        serialised once per tag profile."""
        cache: dict[int, bytes] = {}
        null = NULL_LINK
        for s in sessions:
            if s.link is null:
                continue
            if s.capture is not None:
                s.capture.append(msg)
                continue
            encoded = cache.get(s.tagmask)
            if encoded is None:
                encoded = cache[s.tagmask] = self.encode(msg, s.tagmask)
            s.write(encoded)

    def flush(self) -> None:
        """Commit history, hand every dirty session's outbox to its link, close the closed.

        A session whose link still holds more than `sendq` unsent bytes after the write is
        dropped ("SendQ exceeded"): its memory is bounded by SendQ plus one loop turn's output.
        """
        if self.storage is not None:
            timer = self.commit_timer
            started = timer() if timer is not None else 0.0
            try:
                self.storage.commit()  # never raises for a storage failure (persistence.py)
            except Exception:  # a bug there must not blind everyone: deliver anyway
                log.exception("storage commit failed")
            if timer is not None:
                self.stats.commit_latency.observe(timer() - started)
        sendq = self.config.limits.sendq
        dirty, self.dirty = self.dirty, []
        stats = self.stats
        for s in dirty:
            if not s.dirty:
                continue
            out = s.take_output()
            stats.deliveries_out += len(out)
            s.link.send(out)
            # The transport writes what the kernel takes at once; what stays is the peer's
            # backlog. A burst that a reading peer takes does not count, a stalled one does.
            if sendq and not s.closed and (backlog := s.link.buffered()) > sendq:
                self.sendq_exceeded(s, backlog)
        closing, self.closing = self.closing, []
        for s in closing:
            if s.dirty:
                s.link.send(s.take_output())
            s.link.close()

    def sendq_exceeded(self, s: Session, backlog: int) -> None:
        """Drop `s`: its link holds `backlog` unsent bytes, more than the SendQ. Called by
        `flush` and by transports that write on their own (WebSocket PONG frames)."""
        admitted, left_out = self.incident_log.admit(self.monotonic(), 0)
        if admitted:
            log.warning(
                "sendq: id=%d nick=%s: %d bytes unsent > %d, disconnecting%s",
                s.id,
                s.nick,
                backlog,
                self.config.limits.sendq,
                f" ({left_out} more such incidents not logged)" if left_out else "",
            )
        self.stats.sendq_drops += 1
        s.close("SendQ exceeded")
        s.take_output()
        s.link.abort()

    # -- blocking work ----------------------------------------------------------------------
    def offload(
        self, work: Callable[[], T], done: Callable[[T], None], *, session: Session | None = None
    ) -> None:
        """Run blocking `work` (scrypt) off the event loop; `done(result)` comes back on it.

        `work` must touch nothing of the core (no sessions, no storage but the thread-safe
        `Backend.checkpoint`): it may run on another thread. With `session`, that session's
        later input waits, in order, until `done` ran.
        `done` runs even if the session closed meanwhile (so a failed login still counts): it
        must check `session.closed` before answering. Should `work` raise (a bug), `done` is
        not called, the error is logged and `session` is closed rather than left waiting.
        """

        def guarded() -> T | Exception:
            try:
                return work()
            except Exception as exc:  # handed back to the core's thread, logged there
                return exc

        def finish(outcome: T | Exception) -> None:
            try:
                if not isinstance(outcome, Exception):
                    if session is None:
                        done(outcome)
                    else:  # the end of the command that asked (labeled-response)
                        self.dispatcher.resume(self, session, lambda: done(outcome))
                    return
                log.error("offloaded work failed", exc_info=outcome)
                if session is not None:
                    session.close("Internal error")
            finally:
                if session is not None:
                    session.release()

        if session is not None and self.sequencer is not None:
            self.sequencer.offload(work, done, session)  # (its result comes through the log)
            return
        if session is not None:
            session.hold()
        self.offloader(guarded, finish)

    def decide(self, read: Callable[[], T], done: Callable[[T], None], *, session: Session) -> None:
        """A read of storage that decides what happens to others (REDACT: is the line there,
        whose is it): `done(read())` at once. On a cluster node every node would read at its
        own moment, so `session`'s node reads and the log carries the answer (JSON: None,
        bool, int, str, lists and dicts of them); `session`'s later lines wait, in order."""
        if self.sequencer is not None:
            self.sequencer.decide(read, done, session)
            return
        done(read())

    # -- time -----------------------------------------------------------------------------
    def now_tag(self) -> str:
        now = self.clock()
        return format_time(now)

    def next_msgid(self) -> str:
        if self.sequencer is not None:
            return self.sequencer.next_msgid()  # the same on every node: from the log entry
        return f"{self._msgid_prefix}{next(self._msgids):x}"

    def relay_tags(self, who: Session | User, *, msgid: bool = False) -> dict[str, str]:
        """Tags for a message relayed from `who`: time, account, optionally msgid, and `bot`
        (IRCv3 bot-mode: on everything a +B user sends, seen by clients with message-tags)."""
        tags = {"time": self.now_tag()}
        if msgid:
            tags["msgid"] = self.next_msgid()
        if who.account:
            tags["account"] = who.account
        if "B" in who.modes:
            tags["bot"] = ""
        return tags

    def delay(self, session: Session) -> None:
        """Flood control started holding back `session`'s input: tick when it may go on."""
        self.delayed.add(session)
        self.tick_wanted(max(0.0, session.release_at() - self.monotonic()))

    @property
    def sweep_interval(self) -> float:
        """How often `tick` checks every session's timeouts: 1 s, finer for tiny timeouts."""
        limits = self.config.limits
        timeouts = (limits.registration_timeout, limits.ping_interval, limits.ping_timeout)
        return max(0.05, min([1.0, *(t / 4 for t in timeouts if t > 0)]))

    def tick(self) -> float:
        """Release flood-delayed input, run timeouts. Returns seconds until the next tick."""
        now = self.monotonic()
        wait = 1.0
        for s in list(self.delayed):
            if s.closed or not s.release_delayed():
                self.delayed.discard(s)
            else:
                wait = min(wait, s.release_at() - now)
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_interval
            self._sweep_timeouts(now)
            self._connect_throttle().forget_idle(now)
        wait = min(wait, self._next_sweep - now)
        if self.storage is not None:
            self.storage.tick(self)  # nick protection timers, history retention
        self.push.tick()  # pushes whose delay is over
        due = self.push.next_due()
        if due is not None:
            wait = min(wait, due - now)
        return max(wait, 0.005)

    def _sweep_timeouts(self, now: float) -> None:
        limits = self.config.limits
        for s in list(self.sessions):
            if s.closed:
                continue
            if not s.registered:
                if (
                    limits.registration_timeout
                    and now - s.connected_mono > limits.registration_timeout
                ):
                    log.info("timeout: id=%d from %s did not register", s.id, s.ip)
                    s.close("Registration timed out")
                continue
            if s.paused:
                continue  # we stopped reading it (flood control): its silence is ours
            idle = now - s.last_seen
            if s.ping_sent_at and s.ping_sent_at >= s.last_seen:
                if limits.ping_timeout and now - s.ping_sent_at > limits.ping_timeout:
                    log.info("timeout: id=%d nick=%s: no reply to PING", s.id, s.nick)
                    s.close(f"Ping timeout: {int(now - s.last_seen)} seconds")
            elif limits.ping_interval and idle > limits.ping_interval:
                s.ping_sent_at = now
                s.send(Message("PING", (self.name,)))

    def shutdown(self, reason: str = "Server shutting down") -> None:
        self.shutting_down = True
        for s in list(self.sessions):
            s.close(reason)
        for user in self.state.users():  # always-on users with no device: kept (storage)
            if user.registered and not user.sessions:
                self.user_gone(user, reason)

    def new_id(self) -> int:
        """A fresh session or user id (never reused while the server runs)."""
        return next(self._ids)

    # -- runtime changes that clients are told about ----------------------------------------
    def add_caps(self, caps: Mapping[str, str]) -> None:
        """Offer more capabilities (e.g. storage enabling sasl): CAP NEW to cap-notify clients."""
        new = {k: v for k, v in caps.items() if self.caps.get(k) != v}
        if not new:
            return
        self.caps.update(new)
        for s in self.sessions:
            if "cap-notify" not in s.caps or s.closed:
                continue
            items = [
                f"{k}={v}" if v and s.cap_version >= 302 else k for k, v in sorted(new.items())
            ]
            s.send(Message("CAP", (s.nick, "NEW", " ".join(items)), self.name))

    def remove_caps(self, names: Iterable[str]) -> None:
        """Stop offering capabilities: CAP DEL to cap-notify clients, disabled for everyone."""
        gone = sorted(n for n in set(names) if n in self.caps)
        if not gone:
            return
        for name in gone:
            del self.caps[name]
        for s in self.sessions:
            if s.closed:
                continue
            if "cap-notify" in s.caps:
                s.send(Message("CAP", (s.nick, "DEL", " ".join(gone)), self.name))
            if s.caps.intersection(gone):
                s.set_caps(s.caps.difference(gone))

    def account_changed(self, session: Session) -> None:
        """`session.account` was set or cleared: ACCOUNT to peers and self with account-notify."""
        if session.registered and session.account and check_registration(self, session):
            return  # a K-line on the account
        msg = Message(
            "ACCOUNT", (session.account or "*",), session.prefix, self.relay_tags(session)
        )
        self.deliver(msg, monitor.audience(self, session.user, "account-notify", include_self=True))
