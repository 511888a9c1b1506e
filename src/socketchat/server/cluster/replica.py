"""A cluster node's replica of the network: the log applier, and the core's `Sequencer`.

Theory of operation
-------------------
Every node keeps the whole chat state (`ChatState`: nicks, channels, members, modes) and
changes it only by applying the network's log, in the log's order, with the ordinary core and
command table: so each rule (nick uniqueness, +l, +k, bans, who gets op) exists once, in Python,
and every node takes the same decision. The log is one Redis Stream (`server/net/cluster.py`
appends and reads it; this module does no I/O).

- A local connection is a `Session` with its real `Link`. Its framing and flood control stay
  local; each parsed line is *submitted* (appended to the log) instead of dispatched, and
  dispatched when the log hands it back — on this node as on every other, so there is one
  order everywhere (a client's own lines keep theirs).
- Another node's connection is a *shadow*: a `Session` with `NULL_LINK`, whose bytes are that
  node's to write. Its state (nick, channels, caps, modes) is the same as on its own node,
  since it changes only by the same entries; what it would be sent is dropped. Shadows are not
  in `Server.sessions` (that set is what this node's timers, limits and shutdown act on).
- Applying an entry, `now` (both clocks) is the entry's time and every msgid is the entry's
  stream id plus a counter: never the local clock or a random source, so a message has one
  msgid and one server-time everywhere. New channels' eras come from the same source.
- What a node decides alone enters the log as an entry of its own: a close for a local reason
  (the peer left, ping or registration timeout, SendQ, Excess Flood), the result of blocking
  work (a password check runs on the session's node only; every node waits for the result
  entry, and that session's later lines wait behind it, in order), and "node N is gone"
  (its lease expired: every node ends N's sessions, in session-id order).
- Entries of a node that is gone are ignored, whatever comes later: a node that was paused
  past its lease cannot resurrect its users by writing again.

Side effects happen once: output bytes only on the session's own node (the shadows' links drop
them); storage writes only on the node that appended the entry (`ours`), which is the
session's own node, or the reaper's for "node N is gone" (`server/cluster/store.py` gates
the shared store with it, and keeps what decides in memory, the same on every node).
Storage timers that change shared state (nick protection's rename) are entries too (``due``):
the session's node sees the deadline pass and appends it, every node renames at that entry.
So is a push service's "this subscription is gone" (``unpush``), which only the node that sent
the push hears.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from socketchat.irc.framing import FramingError
from socketchat.irc.message import Message, ParseError
from socketchat.server.cluster.entries import (
    Entry,
    EntryError,
    bad_fields,
    decode,
    encode,
    entry_time,
    line_fields,
)
from socketchat.server.link import NULL_LINK
from socketchat.server.persistence import persistence_of
from socketchat.server.session import Session

if TYPE_CHECKING:
    from socketchat.server.core import Server

log = logging.getLogger("socketchat.cluster")

# Session ids are network-wide: node number * ID_SPAN + a local counter, so `c:<id>` (an invite
# to a connection without an account) means the same connection on every node.
ID_SPAN = 1_000_000_000

NODE_GONE = "Node gone"  # the QUIT of a dead node's users (like a netsplit's "*.net *.split")

# closed sessions are forgotten at once when their entry closed them; the others (KILLed,
# closed as a side effect) by a sweep every this many entries
PRUNE_EVERY = 1024


# What a node runs at once for its own client, never through the log: it answers nothing
# (untagged: a labeled one is answered, in order, through the log) and changes only the
# connection's own timers. PONG answers the server's keepalive PING, from every client every
# ping_interval: through the log, every node would apply every one of them.
LOCAL_COMMANDS = frozenset({"PONG"})


SHADOW = NULL_LINK  # the link of another node's session: its bytes are that node's to write


@dataclass
class _Waiting:
    """A session whose blocking work is in flight: its later lines wait here, in order."""

    session: Session
    done: Callable[[Any], None]
    queue: deque[Message | FramingError | ParseError] = field(default_factory=deque)


class Replica:
    """The applier of the log, and the core's `Sequencer` (see the module's doc).

    `clock` is what the `Server` must be built with (as its wall and monotonic clock): the
    entry's time while one is applied, `wall()` otherwise. Then `attach` joins them.
    """

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self.wall = wall
        self.server: Server | None = None
        self.node = 0  # this incarnation's number (unique per start)
        self.name = ""
        self.applying = False
        self.detached = False  # this node left the log (gone, lease lost, stopping)
        self.caught_up = False
        self.sessions: dict[int, Session] = {}  # every live session of the network
        self.owner: dict[int, int] = {}  # session id -> node number
        self.nodes: dict[int, str] = {}  # live nodes: number -> name
        self.gone: set[int] = set()
        self.last_seq: dict[int, int] = {}  # the last entry applied from each node
        self.last_id = "0-0"  # the last stream id applied
        self.applied = 0
        self._now = 0.0
        self._entry_id = ""
        self._entry_node = 0  # who appended the entry being applied (-1: no node's)
        self._msgids = 0
        self._local_ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._closing: set[int] = set()  # local sessions whose close was appended
        # local sessions whose "conn" the log has not handed back yet: in no snapshot (a node
        # that loads one makes them when it applies their "conn")
        self.unlogged: set[int] = set()
        self._waiting: dict[int, _Waiting] = {}
        self._outgoing: list[tuple[str, dict[str, Any], Session | None]] = []
        self.want_write: Callable[[], None] = lambda: None  # the writer: entries wait
        self.on_self_gone: Callable[[str], None] = lambda reason: None

    # -- joining the server ----------------------------------------------------------------
    def clock(self) -> float:
        return self._now if self.applying else self.wall()

    def attach(self, server: Server, node: int, name: str) -> None:
        """Make `server` (built with `clock`) this replica's: it sequences through us now."""
        self.server, self.node, self.name = server, node, name
        server.sequencer = self
        server.state.new_era = self.next_msgid
        server._ids = itertools.count(node * ID_SPAN + 1)  # network-wide ids (ID_SPAN)
        self._enqueue("up", {"name": name})

    def _server(self) -> Server:
        assert self.server is not None, "Replica.attach first"
        return self.server

    def owns(self, session: Session) -> bool:
        return self.owner.get(session.id) == self.node

    def live_nodes(self) -> list[int]:
        return sorted(self.nodes)

    @property
    def entry_node(self) -> int:
        """The node that appended the entry being applied (-1: none, or not applying)."""
        return self._entry_node if self.applying else -1

    @property
    def entry_position(self) -> tuple[int, int]:
        """The stream id of the entry being applied, as (ms, seq)."""
        ms, _, seq = self._entry_id.partition("-")
        return (int(ms), int(seq)) if ms.isdigit() and seq.isdigit() else (0, 0)

    def ours(self) -> bool:
        """The entry being applied is this node's own: its side effects (storage writes,
        reads whose answer goes to one session) happen here, and on no other node."""
        return self.applying and self._entry_node == self.node and not self.detached

    def maintains(self) -> bool:
        """This node runs the network's storage timers (retention): the live node with the
        lowest number, once caught up. (Two may, for a moment, while one is being reaped:
        retention deletes the same old lines twice, harmlessly.)"""
        return (
            self.caught_up
            and not self.detached
            and bool(self.nodes)
            and min(self.nodes) == self.node
        )

    @contextmanager
    def boot(self, server: Server, now: float) -> Iterator[None]:
        """Run the core as if applying an entry of no node's at `now`: what every node does
        alike before the log, from the store's snapshot (registered channels, bans, always-on
        users): the same clock, the same eras and ids on every node, no storage writes."""
        server.state.new_era = self.next_msgid
        with self._applying("0-0", now, -1):
            yield

    # -- Sequencer: what local sessions ask ------------------------------------------------
    def connected(self, session: Session) -> None:
        self.sessions[session.id] = session
        self.owner[session.id] = self.node
        self.unlogged.add(session.id)
        self._enqueue("conn", {}, session)

    def submit(self, session: Session, msg: Message | FramingError | ParseError) -> None:
        if self.detached or session.id in self._closing:
            return
        if not isinstance(msg, Message):
            self._enqueue("line", {"s": session.id, **bad_fields(msg)})
            return
        if msg.command in LOCAL_COMMANDS and not msg.tags:
            with self._local():  # (it answers nothing and changes only this connection)
                server = self._server()
                server.dispatcher.dispatch(server, session, msg)
            return
        self._enqueue("line", {"s": session.id, **line_fields(msg)})

    def request_close(self, session: Session, reason: str, quit_message: str | None) -> None:
        sid = session.id
        if self.detached:  # off the log: end it here (the others reap this node)
            with self._local():
                session.close(reason, quit_message=quit_message)
            return
        if self.owner.get(sid) != self.node or sid in self._closing:
            return  # a shadow is closed by its own node's entries only
        self._closing.add(sid)
        session.link.pause_reading()
        fields: dict[str, Any] = {"s": sid, "r": reason}
        if quit_message is not None and quit_message != reason:
            fields["m"] = quit_message
        self._enqueue("close", fields)

    def offload(
        self, work: Callable[[], Any], done: Callable[[Any], None], session: Session
    ) -> None:
        sid = session.id
        self._waiting[sid] = _Waiting(session, done)
        if self.owner.get(sid) != self.node:
            return  # its node runs the work; the result comes as an entry

        def guarded() -> tuple[bool, Any]:
            try:
                return True, work()
            except Exception as exc:  # logged on the loop's thread
                return False, exc

        def finished(outcome: tuple[bool, Any]) -> None:
            ok, value = outcome
            if not ok:
                log.error("offloaded work failed", exc_info=value)
                self._enqueue("res", {"s": sid, "e": True})
            elif not isinstance(value, bool | int | str | None):
                log.error("offloaded work returned %r, which the log cannot carry", type(value))
                self._enqueue("res", {"s": sid, "e": True})
            else:
                self._enqueue("res", {"s": sid, "v": value})

        self._server().offloader(guarded, finished)

    def decide(
        self, read: Callable[[], Any], done: Callable[[Any], None], session: Session
    ) -> None:
        """A deciding read of `session`'s command (`Server.decide`): its node reads now, on the
        loop (storage is not thread-safe), and appends the answer as the ``res`` entry that
        every node waits for, as for blocking work."""
        sid = session.id
        self._waiting[sid] = _Waiting(session, done)
        if self.owner.get(sid) != self.node:
            return
        try:
            value = read()
            json.dumps(value)  # (what the log can carry)
        except Exception:
            log.exception("a deciding read failed")
            self._enqueue("res", {"s": sid, "e": True})
            return
        self._enqueue("res", {"s": sid, "v": value})

    def due(self, session: Session, what: str) -> None:
        """A storage timer of local `session` is due (`what`, e.g. ``nick:<folded>``): append
        it, and every node acts on it at that entry (``due``)."""
        if self.owns(session) and not self.detached and session.id not in self._closing:
            self._enqueue("due", {"s": session.id, "w": what})

    def push_gone(self, account: str, endpoint: str) -> None:
        """A push service answered 404/410 for `account`'s subscription `endpoint` (on this
        node, which sent the push): append it, and every node forgets it at that entry."""
        if not self.detached:
            self._enqueue("unpush", {"a": account, "e": endpoint})

    def rehash(self, value: dict[str, Any], by: str) -> None:
        """This node was told to reload its configuration without a session (SIGHUP):
        append its file's network settings (`value`), which every node takes at that entry."""
        if not self.detached:
            self._enqueue("conf", {"v": value, "by": by})

    def network_sessions(self) -> list[Session]:
        return [s for _, s in sorted(self.sessions.items()) if not s.closed]

    def connection_count(self) -> int:
        return len(self.sessions)  # (a KILLed one may be counted until the next prune)

    def next_msgid(self) -> str:
        n = self._msgids
        self._msgids += 1
        return f"{self._entry_id}-{n}"

    # -- leaving and reaping -----------------------------------------------------------------
    def reap(self, node: int, reason: str = NODE_GONE) -> None:
        """Append "node `node` is gone" (the caller made sure only one node does)."""
        if node in self.nodes and not self.detached:
            self._enqueue("gone", {"g": node, "r": reason})

    def leave(self, reason: str) -> None:
        """This node stops: its users QUIT with `reason` everywhere, once the log says so."""
        if not self.detached:
            self._enqueue("gone", {"g": self.node, "r": reason})

    def detach(self, reason: str) -> None:
        """Leave the log now, without it (lease lost, Redis gone): close every local client
        with `reason`. Nothing this node does from now on reaches the others; they reap it."""
        if self.detached:
            return
        self.detached = True
        self._outgoing.clear()
        with self._local():
            for sid in sorted(self._local_sessions()):
                self.sessions[sid].close(reason)

    def _local_sessions(self) -> list[int]:
        return [sid for sid, node in self.owner.items() if node == self.node]

    # -- the writer's side -------------------------------------------------------------------
    def _enqueue(self, kind: str, fields: dict[str, Any], session: Session | None = None) -> None:
        if self.detached:
            return
        if not self._outgoing:
            self.want_write()
        self._outgoing.append((kind, fields, session))

    def take_outgoing(self) -> list[bytes]:
        """The entries to append, in order, encoded (a connection's now: its certificate
        fingerprint and the like are known by the end of the loop turn that accepted it)."""
        out: list[bytes] = []
        pending, self._outgoing = self._outgoing, []
        for kind, fields, session in pending:
            if session is not None:  # conn
                fields = {
                    "s": session.id,
                    "ip": session.ip,
                    "port": session.port,
                    "host": session.host,
                    "sec": session.secure,
                    "via": session.kind,
                }
                if session.certfp:
                    fields["fp"] = session.certfp
            out.append(encode(kind, self.node, next(self._seq), **fields))
        return out

    # -- applying ----------------------------------------------------------------------------
    @contextmanager
    def _applying(self, entry_id: str, now: float, node: int) -> Iterator[None]:
        self.applying, self._now, self._entry_id, self._msgids = True, now, entry_id, 0
        self._entry_node = node
        try:
            yield
        finally:
            self.applying = False

    @contextmanager
    def _local(self) -> Iterator[None]:
        """Run the core as if applying, for what this node does alone once off the log."""
        if self.applying:
            yield
            return
        with self._applying(f"{self.node}~{next(self._local_ids)}", self.wall(), -1):
            yield

    def apply(self, entry_id: str, raw: bytes | str) -> None:
        """Apply one log entry (stream id `entry_id`). Never raises: a bad entry or a bug is
        logged, and the next entry is applied."""
        self.last_id = entry_id
        try:
            entry = decode(raw)
        except EntryError as exc:
            log.error("log entry %s skipped: %s", entry_id, exc)
            return
        if entry.node in self.gone or entry.seq <= self.last_seq.get(entry.node, 0):
            return  # a gone node's late write, or an append retried after a lost answer
        self.last_seq[entry.node] = entry.seq
        if self.detached:
            return
        try:
            with self._applying(entry_id, entry_time(entry_id), entry.node):
                getattr(self, "_apply_" + entry.kind)(entry)
        except Exception:
            log.exception("applying log entry %s (%s) failed", entry_id, entry.kind)
        self.applied += 1
        sid = entry.sid
        if sid and (s := self.sessions.get(sid)) is not None and s.closed:
            self._forget(sid)
        if self.applied % PRUNE_EVERY == 0:
            for closed in [sid for sid, s in self.sessions.items() if s.closed]:
                self._forget(closed)

    def _forget(self, sid: int) -> None:
        self.sessions.pop(sid, None)
        self.owner.pop(sid, None)
        self._closing.discard(sid)
        self.unlogged.discard(sid)

    def _apply_up(self, entry: Entry) -> None:
        self.nodes[entry.node] = str(entry.data.get("name", entry.node))
        log.info("cluster: node %s (%d) is up", self.nodes[entry.node], entry.node)

    def _apply_conn(self, entry: Entry) -> None:
        sid = entry.sid
        own = self.sessions.get(sid)
        if own is not None:  # our own connection, there since its accept: from now on its
            own.user.signon = own.user.last_message_at = self._now  # times are the log's too
            self.unlogged.discard(sid)
            return
        server, d = self._server(), entry.data
        s = Session(
            server,
            sid,
            SHADOW,
            str(d["ip"]),
            int(d["port"]),
            str(d["host"]),
            secure=bool(d.get("sec")),
            kind=str(d.get("via", "tcp")),
        )
        s.certfp = d.get("fp")
        self.sessions[sid] = s
        self.owner[sid] = entry.node
        server.per_ip[s.ip] = server.per_ip.get(s.ip, 0) + 1  # (disconnect counts it down)

    def _apply_line(self, entry: Entry) -> None:
        s = self.sessions.get(entry.sid)
        if s is None or s.closed:
            return
        msg = entry.message()
        waiting = self._waiting.get(s.id)
        if waiting is not None:
            waiting.queue.append(msg)
            return
        self._dispatch(s, msg)

    def _dispatch(self, s: Session, msg: Message | FramingError | ParseError) -> None:
        server = self._server()
        if isinstance(msg, Message):
            server.dispatcher.dispatch(server, s, msg)
        else:
            server.dispatcher.reject(server, s, msg)

    def _apply_close(self, entry: Entry) -> None:
        s = self.sessions.get(entry.sid)
        if s is not None and not s.closed:
            reason = str(entry.data.get("r", "Connection closed"))
            s.close(reason, quit_message=entry.data.get("m"))

    def _apply_res(self, entry: Entry) -> None:
        waiting = self._waiting.pop(entry.sid, None)
        if waiting is None:
            return
        s, server = waiting.session, self._server()
        if entry.data.get("e"):
            if not s.closed:
                s.close("Internal error")
        else:
            value = entry.data.get("v")
            server.dispatcher.resume(server, s, lambda: waiting.done(value))
        queue = waiting.queue
        while queue and not s.closed:
            again = self._waiting.get(s.id)
            if again is not None:  # a later line started more work: the rest waits for it
                again.queue.extendleft(reversed(queue))
                return
            self._dispatch(s, queue.popleft())

    def _apply_due(self, entry: Entry) -> None:
        s = self.sessions.get(entry.sid)
        p = persistence_of(self._server())
        if s is not None and not s.closed and p is not None:
            p.due(self._server(), s, str(entry.data.get("w", "")))

    def _apply_unpush(self, entry: Entry) -> None:
        p = persistence_of(self._server())
        if p is not None:  # (the store forgets it on every node, deletes it on the entry's)
            p.remove_push_subscription(str(entry.data["a"]), str(entry.data["e"]))

    def _apply_conf(self, entry: Entry) -> None:
        network = self._server().network_rehash
        if network is not None:
            network.apply(dict(entry.data.get("v", {})), str(entry.data.get("by", "?")))

    def _apply_gone(self, entry: Entry) -> None:
        node = int(entry.data["g"])
        if node in self.gone:
            return
        reason = str(entry.data.get("r", NODE_GONE))
        self.gone.add(node)
        name = self.nodes.pop(node, str(node))
        users = sorted(sid for sid, owner in self.owner.items() if owner == node)
        log.warning("cluster: node %s (%d) is gone: %d sessions end", name, node, len(users))
        for sid in users:
            self._waiting.pop(sid, None)
            s = self.sessions.get(sid)
            if s is not None and not s.closed:
                s.close(reason)
            self._forget(sid)
        if node == self.node:
            self.detached = True
            self._outgoing.clear()
            self.on_self_gone(reason)
