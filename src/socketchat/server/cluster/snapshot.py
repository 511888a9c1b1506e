"""A replica's whole state at one log position, as versioned JSON: what lets the log be trimmed.

Theory of operation
-------------------
Without snapshots a node that starts replays the network's log from its first entry, and the
log (a Redis Stream) grows forever. With them, a live node now and then writes `dump(replica)`
— everything applying the log has built, at the position `replica.last_id` — and the log is
trimmed below the oldest position still needed (`server/net/cluster.py`). A node that starts
`load`s the newest snapshot into its fresh replica and applies the log after it: it ends in the
same state as a node that replayed everything, field by field
(tests/server/cluster/test_snapshot.py checks that by walking the objects).

What is in it (version `VERSION`):

- the replica's own bookkeeping: the live nodes, the gone ones (their late writes stay
  ignored), the last sequence number applied from each node (retried appends stay dropped),
  which node owns each session, how many entries were applied (the prune cadence);
- every session of the network (a shadow on the loading node: its bytes are its own node's to
  write) with what applying entries reads of it: registration progress, capabilities, an open
  draft/multiline batch; closed ones not yet pruned only as closed (LUSERS counts them until
  the next prune, on every node alike);
- every user (nick, ident, host, real name, account, away, modes, which sessions, times);
- `ChatState`: the nick table in its order (with each holder's confusable skeleton), channels
  with members in their order and prefix modes, modes, key, limit, topic, bans, excepts, invite
  exceptions, invites, era; WHOWAS; MONITOR lists; metadata and subscriptions; read markers;
  accounts' connections; the most users at once;
- of the `Server`: connections per address, K-lines and D-lines, failed-login counters.
- with the shared store (`cluster/store.py`), what its layer keeps alike on every node: the
  deciding `Facts`, nick protection's running timers, account creation's and ChanServ's rate
  limits, ChanServ's registrations (in their order) and pending transfers. Its clocks are the
  log's, so the deadlines mean the same on every node. A node with the store refuses a
  snapshot without them (written by a node without the store).

What is not: anything a node keeps for its own connections only (links, framing, flood
control, SendQ, the registration and ping timers' clocks, labeled-response capture) — the
loading node has no connections yet — and the configuration (every node reads its own
file). A snapshot is refused (`SnapshotBusy`) while some session waits for blocking work (a
password check: its done-callback is code, not data) or is in the middle of a SASL exchange;
the writer tries again after the next batch.

Serialisation is deterministic: sets are sorted, dicts keep the order the log gave them (the
same on every node), so two replicas at one position dump the same bytes.
"""

from __future__ import annotations

import dataclasses
import gc
import json
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from socketchat.server import chanserv
from socketchat.server.cluster.store import ClusterStore, Facts
from socketchat.server.link import NULL_LINK
from socketchat.server.persistence import Persistence
from socketchat.server.session import Session
from socketchat.server.state import Ban, Channel, WhowasEntry
from socketchat.server.user import User
from socketchat.storage.base import ServerBan

if TYPE_CHECKING:
    from socketchat.server.cluster.replica import Replica
    from socketchat.server.core import Server

VERSION = 2  # 2: the shared store's deciding state (`store`)
# versions this node loads: 1 is 2 without `store` (a network without the shared store
# upgraded node by node goes on from its older writer's snapshots)
READS = (1, VERSION)


class SnapshotBusy(Exception):
    """The replica is in a state a snapshot cannot carry just now (try after the next batch)."""


class SnapshotError(ValueError):
    """A snapshot that cannot be loaded (another version, or damaged)."""


def position(data: bytes) -> str:
    """The log position (stream id) a dumped snapshot was taken at, without loading it."""
    try:
        head = json.loads(data)
        return str(head["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"bad snapshot: {exc}") from None


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic collector off while a snapshot is built or read: it makes hundreds of
    thousands of small lists and dicts, and each young-generation pass would walk a heap of
    millions of objects (3-4 times slower with it on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- writing ------------------------------------------------------------------------------------
def dump(replica: Replica) -> bytes:
    """The replica's state at `replica.last_id` (see the module's doc). Raises `SnapshotBusy`."""
    with _no_gc():
        return _dump(replica)


def check(replica: Replica) -> None:
    """Raise `SnapshotBusy` if the replica's state cannot be dumped just now."""
    if replica._waiting:
        raise SnapshotBusy("blocking work in flight")
    if any(s.sasl is not None for s in replica.sessions.values() if not s.closed):
        raise SnapshotBusy("a SASL exchange in progress")


def _dump(replica: Replica) -> bytes:
    check(replica)
    server = replica._server()
    # in the order the log made them; a local one whose "conn" is still on its way to the
    # log is not in the state at this position yet
    sessions = [s for sid, s in replica.sessions.items() if sid not in replica.unlogged]
    per_ip = dict(server.per_ip)
    for sid in replica.unlogged:  # (counted at accept here, at their "conn" elsewhere)
        s = replica.sessions.get(sid)
        if s is not None and not s.closed and per_ip.get(s.ip):
            per_ip[s.ip] -= 1
            if not per_ip[s.ip]:
                del per_ip[s.ip]
    state = server.state
    users: dict[int, User] = {}
    for s in sessions:
        if not s.closed:
            users.setdefault(s.user.id, s.user)
    for user in (*state._nicks.values(), *state._skeleton_of, *state._user_metadata):
        users.setdefault(user.id, user)
    for channel in state._channels.values():
        for user in channel.members:
            users.setdefault(user.id, user)
    doc = {
        "v": VERSION,
        "id": replica.last_id,
        "applied": replica.applied,
        "replica": {
            "nodes": [[n, name] for n, name in sorted(replica.nodes.items())],
            "gone": sorted(replica.gone),
            "last_seq": [[n, q] for n, q in sorted(replica.last_seq.items())],
        },
        "sessions": [_session(s, replica.owner.get(s.id, 0)) for s in sessions],
        "users": [_user(users[uid]) for uid in sorted(users)],
        "state": _chat_state(server),
        "server": {
            "per_ip": list(per_ip.items()),
            "bans": [
                dataclasses.asdict(b)
                for b in (*server.bans.klines.values(), *server.bans.dlines.values())
            ],
            "login_throttle": _throttle(server),
        },
    }
    if (stored := _store(server, {s.id for s in sessions})) is not None:
        doc["store"] = stored
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _session(s: Session, owner: int) -> dict[str, Any]:
    if s.closed:
        return {"id": s.id, "node": owner, "closed": True}
    out: dict[str, Any] = {
        "id": s.id,
        "node": owner,
        "ip": s.ip,
        "port": s.port,
        "secure": s.secure,
        "kind": s.kind,
        "certfp": s.certfp,
        "user": s.user.id,
        "registered": s.registered,
        "wanted_nick": s.wanted_nick,
        "pending_433": s.pending_433,
        "pass_given": s.pass_given,
        "cap_negotiating": s.cap_negotiating,
        "cap_version": s.cap_version,
        "caps": sorted(s.caps),
    }
    if s.multiline is not None:
        out["multiline"] = dataclasses.asdict(s.multiline)
    return out


def _user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "nick": u.nick,
        "folded": u.folded,
        "username": u.username,
        "realname": u.realname,
        "ip": u.ip,
        "host": u.host,
        "account": u.account,
        "away": u.away,
        "auto_away": u.auto_away,
        "modes": sorted(u.modes),
        "registered": u.registered,
        "always_on": u.always_on,
        "signon": u.signon,
        "last_message_at": u.last_message_at,
        "left_at": u.left_at,
        "sessions": [s.id for s in u.sessions],
        "channels": list(u.channels),  # (in the order joined: WHOIS lists them so)
    }


def _bans(bans: list[Ban]) -> list[list[Any]]:
    return [[b.mask, b.setter, b.set_at] for b in bans]


def _channel(c: Channel) -> dict[str, Any]:
    return {
        "name": c.name,
        "created": c.created,
        "era": c.era,
        "topic": c.topic,
        "topic_setter": c.topic_setter,
        "topic_time": c.topic_time,
        "members": [[u.id, modes] for u, modes in c.members.items()],
        "modes": sorted(c.modes),
        "key": c.key,
        "limit": c.limit,
        "bans": _bans(c.bans),
        "excepts": _bans(c.excepts),
        "invexes": _bans(c.invexes),
        "invites": sorted(c.invites),
        "guarded": c.guarded,
    }


def _chat_state(server: Server) -> dict[str, Any]:
    st = server.state
    return {
        "nicks": [[folded, u.id] for folded, u in st._nicks.items()],
        "skeletons": [[k, sorted(u.id for u in us)] for k, us in st._skeletons.items()],
        "skeleton_of": [[u.id, k] for u, k in st._skeleton_of.items()],
        "users": sorted(u.id for u in st._users),
        "max_users": st.max_users,
        "user_modes": [[m, sorted(u.id for u in us)] for m, us in st._user_modes.items()],
        "read_markers": [[owner, list(m.items())] for owner, m in st._read_markers.items()],
        "user_metadata": [[u.id, list(m.items())] for u, m in st._user_metadata.items()],
        "channel_metadata": [[c, list(m.items())] for c, m in st._channel_metadata.items()],
        "metadata_subs": sorted([s.id, sorted(keys)] for s, keys in st._metadata_subs.items()),
        "accounts": [[a, sorted(s.id for s in ss)] for a, ss in sorted(st._accounts.items())],
        "channels": [_channel(c) for c in st._channels.values()],
        "whowas": [dataclasses.astuple(e) for e in st._whowas],
        "monitoring": sorted([s.id, list(m.items())] for s, m in st._monitoring.items()),
    }


def _throttle(server: Server) -> dict[str, Any]:
    t = server.login_throttle
    return {
        "failures": [[k, list(v)] for k, v in t._failures.items()],
        "locked_until": list(t._locked_until.items()),
        "checking": list(t._checking.items()),
        "good": [[k, list(v)] for k, v in t._good.items()],
    }


def cluster_store(server: Server) -> tuple[Persistence, ClusterStore] | None:
    """The server's storage, if it is a cluster's shared store (else None: nothing to carry)."""
    p = server.storage
    if isinstance(p, Persistence) and isinstance(p.backend, ClusterStore):
        return p, p.backend
    return None


def _store(server: Server, logged: set[int]) -> dict[str, Any] | None:
    """What the store layer keeps in memory alike on every node: the deciding state
    (`Facts`), nick protection's timers, account creation's and ChanServ's rate limits,
    ChanServ's pending transfers (their clocks are the log's: the same on every node)."""
    found = cluster_store(server)
    if found is None:
        return None
    p, store = found
    registry = chanserv.registry_of(server)
    assert registry is not None
    return {
        "facts": store.facts.rows(),
        "nick_guard": [
            [s.id, folded, deadline]
            for s, (folded, deadline) in p.guard.pending.items()
            if s.id in logged and not s.closed
        ],
        "registrations": [list(x) for x in p.registrations.recent],
        "registrations_per_ip": list(p.registrations.per_ip.items()),
        "channels": list(registry.records),  # (their order: as registered)
        "transfers": [[c, a, t] for c, (a, t) in registry.transfers.items()],
        "registered_times": [[a, list(ts)] for a, ts in registry.registered_times.items()],
    }


# -- loading ------------------------------------------------------------------------------------
def load(replica: Replica, data: bytes, *, open_batch: Callable[..., Any] | None = None) -> None:
    """Make a fresh replica (attached, nothing applied yet) the state of the snapshot `data`.

    `open_batch` makes a draft/multiline batch in progress (`commands.multiline.OpenBatch`:
    the commands are a layer above this one, so the caller hands the class in)."""
    if replica.applied or replica.sessions:
        raise SnapshotError("a snapshot loads into a fresh replica only")
    with _no_gc():  # (parsing makes as many objects as building)
        try:
            doc = json.loads(data)
            version = doc.get("v")
        except (ValueError, AttributeError) as exc:
            raise SnapshotError(f"bad snapshot: {exc}") from None
        if version not in READS:
            raise SnapshotError(f"snapshot version {version!r} (this node reads {READS})")
        try:
            _load(replica, doc, open_batch)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SnapshotError(f"bad snapshot: {exc!r}") from None


def _load(replica: Replica, doc: dict[str, Any], open_batch: Callable[..., Any] | None) -> None:
    server = replica._server()
    st = server.state
    rep = doc["replica"]
    replica.last_id = str(doc["id"])
    replica.applied = int(doc["applied"])
    replica.nodes = {int(n): str(name) for n, name in rep["nodes"]}
    replica.gone = {int(n) for n in rep["gone"]}
    replica.last_seq = {int(n): int(q) for n, q in rep["last_seq"]}
    sessions: dict[int, Session] = {}
    for d in doc["sessions"]:
        sid, node = int(d["id"]), int(d["node"])
        if d.get("closed"):
            s = Session(server, sid, NULL_LINK, "", 0, "")
            s.user.sessions.clear()
            s.closed = True
        else:
            s = Session(
                server,
                sid,
                NULL_LINK,
                d["ip"],
                int(d["port"]),
                "",
                secure=bool(d["secure"]),
                kind=d["kind"],
            )
            s.certfp = d["certfp"]
            s.registered = d["registered"]
            s.wanted_nick = d["wanted_nick"]
            s.pending_433 = d["pending_433"]
            s.pass_given = d["pass_given"]
            s.cap_negotiating = d["cap_negotiating"]
            s.cap_version = d["cap_version"]
            s.set_caps(d["caps"])
            if (batch := d.get("multiline")) is not None:
                if open_batch is None:
                    raise SnapshotError("an open multiline batch, and no way to make one")
                batch["lines"] = [tuple(x) for x in batch["lines"]]
                s.multiline = open_batch(**batch)
        sessions[sid] = s
        replica.sessions[sid] = s
        replica.owner[sid] = node
    users: dict[int, User] = {}
    for d in doc["users"]:
        u = User(int(d["id"]), d["ip"], d["host"], d["signon"], d["last_message_at"])
        for key in ("nick", "folded", "username", "realname", "account", "away", "auto_away"):
            setattr(u, key, d[key])
        u.modes = set(d["modes"])
        u.registered, u.always_on, u.left_at = d["registered"], d["always_on"], d["left_at"]
        u.sessions = [sessions[sid] for sid in d["sessions"]]
        for s in u.sessions:
            s.user = u
        users[u.id] = u
    _load_state(server, doc["state"], sessions, users)
    for d in doc["users"]:  # each user's channels in the order it joined them
        u = users[int(d["id"])]
        u.channels = {folded: st._channels[folded] for folded in d["channels"]}
    srv = doc["server"]
    server.per_ip = {ip: int(n) for ip, n in srv["per_ip"]}
    for ban in srv["bans"]:
        server.bans.add(ServerBan(**ban))
    t, lt = server.login_throttle, srv["login_throttle"]
    t._failures = {k: deque(v) for k, v in lt["failures"]}
    t._locked_until = {k: float(v) for k, v in lt["locked_until"]}
    t._checking = {k: int(v) for k, v in lt["checking"]}
    t._good = {k: deque(v, maxlen=8) for k, v in lt["good"]}
    found = cluster_store(server)
    if found is not None:
        if "store" not in doc:
            raise SnapshotError("written by a node without the shared store, which this node has")
        _load_store(server, *found, doc["store"], sessions)


def _load_store(
    server: Server,
    p: Persistence,
    store: ClusterStore,
    d: dict[str, Any],
    sessions: dict[int, Session],
) -> None:
    store.facts = Facts.from_rows(d["facts"])
    p.guard.pending = {
        sessions[int(sid)]: (str(folded), float(deadline))
        for sid, folded, deadline in d["nick_guard"]
    }
    limit = p.registrations
    limit.recent = deque((float(t), str(ip)) for t, ip in d["registrations"])
    limit.per_ip = {str(ip): int(n) for ip, n in d["registrations_per_ip"]}
    registry = chanserv.registry_of(server)  # (made now, from the facts just loaded)
    assert registry is not None
    registry.records = {key: store.facts.channels[key] for key in d["channels"]}
    registry.transfers = {str(c): (str(a), float(t)) for c, a, t in d["transfers"]}
    registry.registered_times = {str(a): deque(ts) for a, ts in d["registered_times"]}


def _load_state(
    server: Server, d: dict[str, Any], sessions: dict[int, Session], users: dict[int, User]
) -> None:
    st = server.state
    st._nicks = {folded: users[uid] for folded, uid in d["nicks"]}
    st._skeletons = {k: {users[uid] for uid in ids} for k, ids in d["skeletons"]}
    st._skeleton_of = {users[uid]: k for uid, k in d["skeleton_of"]}
    st._users = {users[uid] for uid in d["users"]}
    st.max_users = int(d["max_users"])
    st._user_modes = {m: {users[uid] for uid in ids} for m, ids in d["user_modes"]}
    st._read_markers = {owner: dict(items) for owner, items in d["read_markers"]}
    st._user_metadata = {users[uid]: dict(items) for uid, items in d["user_metadata"]}
    st._channel_metadata = {folded: dict(items) for folded, items in d["channel_metadata"]}
    st._metadata_subs = {sessions[sid]: set(keys) for sid, keys in d["metadata_subs"]}
    st._accounts = {a: {sessions[sid] for sid in ids} for a, ids in d["accounts"]}
    st._channels = {}
    for c in d["channels"]:
        channel = Channel(c["name"], c["created"])
        channel.era = c["era"]
        channel.topic, channel.topic_setter = c["topic"], c["topic_setter"]
        channel.topic_time = c["topic_time"]
        channel.modes = set(c["modes"])
        channel.key, channel.limit = c["key"], int(c["limit"])
        channel.bans = [Ban(*b) for b in c["bans"]]
        channel.excepts = [Ban(*b) for b in c["excepts"]]
        channel.invexes = [Ban(*b) for b in c["invexes"]]
        channel.invites = set(c["invites"])
        channel.guarded = bool(c["guarded"])
        st._channels[channel.folded] = channel
        for uid, modes in c["members"]:
            st.add_member(channel, users[uid], modes)
    st._whowas.clear()
    st._whowas.extend(WhowasEntry(*e) for e in d["whowas"])
    st._monitoring, st._watchers = {}, {}
    for sid, items in d["monitoring"]:
        for _folded, nick in items:
            st.monitor_add(sessions[sid], nick)
