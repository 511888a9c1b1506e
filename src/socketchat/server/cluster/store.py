"""A cluster node's storage: the shared PostgreSQL backend, seen through the log (docs/cluster.md).

Every node applies every log entry with the ordinary core, and the core calls storage as it
goes: a PRIVMSG is stored, a JOIN replays, a SASL attempt looks the account up. Through the
log, each of those calls would run on every node. `ClusterStore` is the `Backend` that
`Persistence` sees on a cluster node; it wraps the shared backend and lets each call through
where, and only where, it belongs:

- **Writes happen once**, by the node that appended the entry being applied (`Replica.ours`):
  the node of the session whose line, close or blocking work's result it is, or the node that
  reaped a dead one ("node N is gone"). The row carries the entry's msgid and time, which
  every node computes alike. Outside any entry (storage timers: retention) only one node
  writes, the live node with the lowest number (`Replica.maintains`).
- **Reads whose answer goes to one session** — history (CHATHISTORY, SEARCH, replay on join,
  offline messages at login, replay markers) — run only on that session's node, for the
  entry it appended; elsewhere they answer "nothing", which goes to a shadow, whose output is
  dropped anyway. So a CHATHISTORY costs one query in the network, not one per node.
  Such a read must see the writes of every earlier entry, which other nodes make when *they*
  apply it — maybe after this node (a busy or descheduled node lags by milliseconds). Every
  node knows which earlier entries wrote, and whose they were (it applied them too: `_owed`);
  each node records, in the transaction of its writes, the last entry it wrote for
  (`PostgresBackend.mark_applied`). So before such a read, this node waits until every node
  it owes has committed that far (`_settle`: one small query, a few milliseconds of waiting
  when a node lags, `SETTLE_SECONDS` at most — a node that stopped answering is reaped).
  Past that, the read goes ahead but its entry is marked `behind` and the node stays owed:
  CHATHISTORY answers an error then (`Persistence.history_behind`), not a short history.
  One history read decides: REDACT's lookup of the line (is it there, whose is it), which
  says whether the REDACT is relayed. The redactor's node reads it and the log carries the
  answer (`Server.decide`, a ``res`` entry, as for a password check).
- **State that decides** — accounts and their password hashes, lookalike names, client
  certificates, account metadata and settings (always-on, multiclient, when last seen), read
  markers, registered channels (ChanServ), server bans, push subscriptions — is *never read
  from the database while the log is applied*: nodes apply an entry at different moments, and
  one that reads the database then may see a write of a later entry, or miss one of an
  earlier entry that its node has not committed yet. Every node keeps that state in memory
  instead (`Facts`): loaded once, from one snapshot (`Facts.load`: the database as it was
  when the network's first node started, kept in Redis beside the log), and changed only by
  the writes of the entries it applies, on every node alike (the database write itself only
  on the entry's node). So REGISTER's uniqueness, a nick's protection, SASL's account
  lookup, ChanServ's access at JOIN and a registered channel's kept modes are the same
  answer on every node, in the log's order. (Password checks still run once, on the
  session's node, off the loop; the result is a log entry: `Replica.offload`.)

Web Push subscriptions (``WEBPUSH REGISTER``) are in `Facts` too, though only one node at a
time uses them — the sender's node, which alone decides and sends a push (`server/webpush.py`).
Reading them from the database there instead was the other way, and is worse on each count:
REGISTER's `max_subscriptions` is a check-then-set that must be decided in the log's order (a
node's read while it applies may see a later entry's write, or miss an earlier one's not yet
committed); the read would be on the event loop at every mention and private message to an
account, behind a wait for the other nodes' commits (`_settle`), where memory answers at once;
and "a push service answered 410" must reach every node that might push to that device next,
which a log entry (``unpush``, `Replica.push_gone`) does in order with the REGISTERs around
it. A subscription costs ~300 bytes of memory on every node.

The price: every node holds every account, certificate, metadata key, read marker and push
subscription in memory (a few hundred bytes per account), and the snapshot is as large in
Redis.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from socketchat.irc import casemap
from socketchat.irc.casemap import casefold
from socketchat.storage.base import (
    Account,
    ChannelAccess,
    Conversation,
    MaskEntry,
    Position,
    PushSubscription,
    RegisteredChannel,
    SearchQuery,
    ServerBan,
    StoredMessage,
)

if TYPE_CHECKING:
    from socketchat.server.cluster.replica import Replica
    from socketchat.storage.postgres import PostgresBackend

log = logging.getLogger("socketchat.cluster")

SETTLE_SECONDS = 1.0  # how long a history read waits at most for other nodes' writes
SETTLE_POLL = 0.002


def _skeleton(name: str) -> str:
    return casemap._unicode_skeleton(name)  # (what the PostgreSQL backend stores, too)


@dataclass
class Facts:
    """The deciding state of storage, in memory, the same on every node (see the module doc).
    Names of accounts are folded keys; `accounts` keeps the display name in `Account.name`."""

    accounts: dict[str, Account] = field(default_factory=dict)
    skeletons: dict[str, set[str]] = field(default_factory=dict)  # skeleton -> folded names
    certs: dict[str, str] = field(default_factory=dict)  # fingerprint -> folded account
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)  # folded account -> keys
    read_markers: dict[tuple[str, str], int] = field(default_factory=dict)
    channels: dict[str, RegisteredChannel] = field(default_factory=dict)  # folded name
    bans: dict[tuple[str, str], ServerBan] = field(default_factory=dict)  # (kind, mask)
    # folded account -> endpoint -> its subscription, oldest REGISTER first (as the database
    # orders them); and endpoint -> folded account: an endpoint is one account's at a time
    push: dict[str, dict[str, PushSubscription]] = field(default_factory=dict)
    push_owners: dict[str, str] = field(default_factory=dict)
    taken_at: float = 0.0  # when the snapshot was read (the network's start)

    # -- the snapshot ----------------------------------------------------------------------
    @staticmethod
    def dump(backend: PostgresBackend) -> str:
        """The database's deciding state now, as the JSON every node loads (`load`)."""
        rows: dict[str, Any] = backend.account_rows()
        rows["channels"] = [dataclasses.asdict(c) for c in backend.registered_channels()]
        rows["bans"] = [dataclasses.asdict(b) for b in backend.server_bans()]
        rows["time"] = time.time()
        return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))

    def rows(self) -> dict[str, Any]:
        """This state as `dump` writes the database's (`from_rows` reads it back): what a
        replica snapshot carries (`cluster/snapshot.py`), in memory's order."""
        return {
            "accounts": [
                [a.name, a.password_hash, a.email, a.created] for a in self.accounts.values()
            ],
            "certs": list(self.certs.items()),
            "metadata": [[a, k, v] for a, keys in self.metadata.items() for k, v in keys.items()],
            "read_markers": [[a, t, ms] for (a, t), ms in self.read_markers.items()],
            "channels": [dataclasses.asdict(c) for c in self.channels.values()],
            "bans": [dataclasses.asdict(b) for b in self.bans.values()],
            "push_subscriptions": [
                [p.account, p.endpoint, p.p256dh, p.auth, p.created]
                for subs in self.push.values()
                for p in subs.values()
            ],
            "time": self.taken_at,
        }

    @classmethod
    def load(cls, raw: str | bytes) -> Facts:
        return cls.from_rows(json.loads(raw))

    @classmethod
    def from_rows(cls, data: dict[str, Any]) -> Facts:
        facts = cls(taken_at=float(data.get("time", 0.0)))
        for name, password_hash, email, created in data.get("accounts", ()):
            facts.add_account(Account(str(name), str(password_hash), str(email), float(created)))
        for fingerprint, account in data.get("certs", ()):
            facts.certs[str(fingerprint)] = str(account)
        for account, key, value in data.get("metadata", ()):
            facts.metadata.setdefault(str(account), {})[str(key)] = str(value)
        for account, target, time_ms in data.get("read_markers", ()):
            facts.read_markers[(str(account), str(target))] = int(time_ms)
        for c in data.get("channels", ()):
            masks = tuple(MaskEntry(**m) for m in c.pop("masks", ()))
            access = tuple(ChannelAccess(**a) for a in c.pop("access", ()))
            record = RegisteredChannel(**c, masks=masks, access=access)
            facts.channels[casefold(record.name)] = record
        for b in data.get("bans", ()):
            ban = ServerBan(**b)
            facts.bans[(ban.kind, ban.mask)] = ban
        for account, endpoint, p256dh, auth, created in data.get("push_subscriptions", ()):
            sub = PushSubscription(str(account), str(endpoint), str(p256dh), str(auth), 0.0)
            facts.add_push(dataclasses.replace(sub, created=float(created)))
        return facts

    # -- accounts --------------------------------------------------------------------------
    def add_account(self, account: Account) -> None:
        folded = casefold(account.name)
        self.accounts[folded] = account
        self.skeletons.setdefault(_skeleton(account.name), set()).add(folded)

    # -- push subscriptions ----------------------------------------------------------------
    def add_push(self, sub: PushSubscription) -> None:
        """As the database's upsert: the endpoint moves to `sub.account` if another account had
        it, and goes last (its REGISTER is the newest)."""
        previous = self.push_owners.get(sub.endpoint)
        if previous is not None:
            self.remove_push(previous, sub.endpoint)
        self.push.setdefault(sub.account, {})[sub.endpoint] = sub
        self.push_owners[sub.endpoint] = sub.account

    def remove_push(self, account: str, endpoint: str) -> None:
        subs = self.push.get(account)
        if subs is None or subs.pop(endpoint, None) is None:
            return  # (not that account's: the database deletes nothing either)
        del self.push_owners[endpoint]
        if not subs:
            del self.push[account]

    def account_like(self, name: str) -> Account | None:
        """As `PostgresBackend.account_like`: the account `name`, or one that looks like it."""
        found = self.accounts.get(casefold(name))
        if found is not None or casemap.current() != "precis":
            return found
        for folded in sorted(self.skeletons.get(_skeleton(name), ())):
            account = self.accounts.get(folded)
            if account is not None and casemap.clash(name, account.name):
                return account
        return None


class ClusterStore:
    """The `Backend` of a cluster node: `shared` (PostgreSQL) behind the gates of the module
    doc, `facts` the deciding state in memory, `replica` says whose entry is being applied."""

    def __init__(self, shared: PostgresBackend, facts: Facts, replica: Replica) -> None:
        self.shared = shared
        self.facts = facts
        self.replica = replica
        # node -> the last entry of that node that wrote, not yet seen committed (`_settle`)
        self._owed: dict[int, tuple[int, int]] = {}
        self._wrote: tuple[int, int] | None = None  # our last entry that wrote (`commit`)
        self._gave_up: set[int] = set()  # owed nodes a read already waited for in vain
        self._behind_at: tuple[int, int] | None = None  # the entry whose reads went ahead

    # -- the gates -------------------------------------------------------------------------
    def _writes(self) -> bool:
        """Does this node write now? For its own entries; outside entries, the maintainer.
        (Another node's entry that writes is remembered: reads wait for it, `_settle`.)"""
        replica = self.replica
        if not replica.applying:
            return replica.maintains()
        if replica.ours():
            self._wrote = replica.entry_position
            return True
        if replica.entry_node > 0:
            self._owed[replica.entry_node] = replica.entry_position
        return False

    def _reads(self) -> bool:
        """Does this node read history now? For its own entries (once the earlier entries'
        writes are committed: `_settle`), and outside the log."""
        replica = self.replica
        if not replica.applying:
            return True
        if not replica.ours():
            return False
        if self._owed and not self._settle():
            self._behind_at = replica.entry_position
        return True

    @property
    def behind(self) -> bool:
        """Did a history read of the entry being applied go ahead without some node's writes
        (`_settle` gave up)? Its answer may lack lines that a client was told were delivered,
        so CHATHISTORY answers an error instead (`Persistence.history_behind`)."""
        replica = self.replica
        return replica.applying and self._behind_at == replica.entry_position

    def _settle(self) -> bool:
        """Wait until every node that wrote for an earlier entry has committed it; False if
        some had not after `SETTLE_SECONDS`. Those stay owed: the next read checks them again
        (a read that forgot them would miss their lines without knowing). It waits for a
        node only once: while a node is still behind after a wait, later reads look once and
        go on (behind), so that a node whose storage is down (its commits wait for it to come
        back) does not stall every other node's loop a second per read."""
        owed = {n: pos for n, pos in self._owed.items() if n in self.replica.nodes}
        self._gave_up &= owed.keys()
        patient = not owed.keys() <= self._gave_up
        deadline = time.monotonic() + (SETTLE_SECONDS if patient else 0.0)
        while owed:
            done = self.shared.applied(owed)
            self._gave_up -= {n for n, pos in owed.items() if done.get(n, (0, 0)) >= pos}
            owed = {n: pos for n, pos in owed.items() if done.get(n, (0, 0)) < pos}
            if not owed:
                break
            if time.monotonic() >= deadline:
                if patient:
                    log.warning(
                        "storage: nodes %s have not committed their writes yet", sorted(owed)
                    )
                self._gave_up |= owed.keys()
                self._owed = owed  # (nothing else was recorded meanwhile: this is the loop)
                return False
            time.sleep(SETTLE_POLL)
        self._owed = {}
        return True

    # -- history: written once, read by the asker's node ------------------------------------
    def append(self, message: StoredMessage) -> bool:
        return self.shared.append(message) if self._writes() else True

    def rename_key(self, old_key: str, new_key: str, target: str) -> None:
        if self._writes():
            self.shared.rename_key(old_key, new_key, target)

    def delete(self, key: str, msgid: str) -> None:
        if self._writes():
            self.shared.delete(key, msgid)

    def set_marker(self, account: str, key: str, pos: Position) -> None:
        if self._writes():
            self.shared.set_marker(account, key, pos)

    def prune(self, *, before_ms: int = 0, keep_per_key: int = 0) -> int:
        if not self._writes():
            return 0
        return self.shared.prune(before_ms=before_ms, keep_per_key=keep_per_key)

    def prune_batches(self, *, before_ms: int = 0, keep_per_key: int = 0) -> Iterator[int]:
        if not self._writes():
            return iter(())
        return self.shared.prune_batches(before_ms=before_ms, keep_per_key=keep_per_key)

    def find(
        self, key: str, msgid: str, *, eras: Collection[str] = (), events: bool = False
    ) -> Position | None:
        return self.shared.find(key, msgid, eras=eras, events=events) if self._reads() else None

    def message(self, key: str, msgid: str, *, eras: Collection[str] = ()) -> StoredMessage | None:
        return self.shared.message(key, msgid, eras=eras) if self._reads() else None

    def before(
        self,
        key: str,
        pos: Position | None,
        limit: int,
        *,
        stop: Position | None = None,
        eras: Collection[str] = (),
        events: bool = False,
    ) -> list[StoredMessage]:
        if not self._reads():
            return []
        return self.shared.before(key, pos, limit, stop=stop, eras=eras, events=events)

    def after(
        self,
        key: str,
        pos: Position,
        limit: int,
        *,
        stop: Position | None = None,
        eras: Collection[str] = (),
        events: bool = False,
    ) -> list[StoredMessage]:
        if not self._reads():
            return []
        return self.shared.after(key, pos, limit, stop=stop, eras=eras, events=events)

    def latest_time(
        self,
        key: str,
        start_ms: int,
        end_ms: int,
        *,
        eras: Collection[str] = (),
        events: bool = False,
    ) -> int | None:
        if not self._reads():
            return None
        return self.shared.latest_time(key, start_ms, end_ms, eras=eras, events=events)

    def last_position(self, key: str) -> Position | None:
        return self.shared.last_position(key) if self._reads() else None

    def get_marker(self, account: str, key: str) -> Position | None:
        return self.shared.get_marker(account, key) if self._reads() else None

    def conversations(self, party: str) -> list[Conversation]:
        return self.shared.conversations(party) if self._reads() else []

    def search(
        self, scope: Mapping[str, Collection[str]], party: str, query: SearchQuery
    ) -> list[StoredMessage]:
        return self.shared.search(scope, party, query) if self._reads() else []

    def missed_private(
        self, party: str, since: Position, before_ms: int, conversations: int, lines: int
    ) -> list[tuple[Conversation, list[StoredMessage]]]:
        if not self._reads():
            return []
        return self.shared.missed_private(party, since, before_ms, conversations, lines)

    def latest_times(
        self,
        channels: Mapping[str, tuple[str, str]],
        party: str,
        after_ms: int,
        before_ms: int,
        limit: int,
    ) -> list[tuple[int, str]]:
        if not self._reads():
            return []
        return self.shared.latest_times(channels, party, after_ms, before_ms, limit)

    def search_indexing(self) -> float | None:
        return self.shared.search_indexing()

    def message_count(self) -> int:
        return self.shared.message_count() if self._reads() else 0

    # -- push subscriptions: from memory, written once (see the module's doc) -----------------
    def push_subscriptions(self, account: str) -> list[PushSubscription]:
        return list(self.facts.push.get(account, {}).values())

    def add_push_subscription(self, subscription: PushSubscription) -> None:
        self.facts.add_push(subscription)
        if self._writes():
            self.shared.add_push_subscription(subscription)

    def remove_push_subscription(self, account: str, endpoint: str) -> None:
        self.facts.remove_push(account, endpoint)
        if self._writes():
            self.shared.remove_push_subscription(account, endpoint)

    # -- accounts: decided from memory, written once ----------------------------------------
    def get_account(self, name: str) -> Account | None:
        return self.facts.accounts.get(casefold(name))

    def account_like(self, name: str) -> Account | None:
        return self.facts.account_like(name)

    def create_account(self, account: Account) -> bool:
        if self.facts.account_like(account.name) is not None:
            return False
        self.facts.add_account(account)
        if self._writes() and not self.shared.create_account(account):
            log.error(
                "storage: account %r is new to the cluster but the database refused it"
                " (written outside the cluster, or storage is failing)",
                account.name,
            )
        return True

    def set_password(self, name: str, password_hash: str) -> None:
        folded = casefold(name)
        account = self.facts.accounts.get(folded)
        if account is not None:
            self.facts.accounts[folded] = dataclasses.replace(account, password_hash=password_hash)
        if self._writes():
            self.shared.set_password(name, password_hash)

    def account_for_cert(self, fingerprint: str) -> Account | None:
        folded = self.facts.certs.get(fingerprint)
        return None if folded is None else self.facts.accounts.get(folded)

    def certs_of(self, account: str) -> list[str]:
        folded = casefold(account)
        return sorted(fp for fp, owner in self.facts.certs.items() if owner == folded)

    def add_cert(self, account: str, fingerprint: str) -> None:
        self.facts.certs[fingerprint] = casefold(account)
        if self._writes():
            self.shared.add_cert(account, fingerprint)

    def remove_cert(self, account: str, fingerprint: str) -> None:
        if self.facts.certs.get(fingerprint) == casefold(account):
            del self.facts.certs[fingerprint]
        if self._writes():
            self.shared.remove_cert(account, fingerprint)

    def account_metadata(self, account: str) -> dict[str, str]:
        return dict(sorted(self.facts.metadata.get(account, {}).items()))

    def accounts_with_metadata(self, key: str) -> list[tuple[str, str]]:
        found = [(a, keys[key]) for a, keys in self.facts.metadata.items() if key in keys]
        return sorted(found)

    def set_account_metadata(self, account: str, key: str, value: str | None) -> None:
        if value is None:
            keys = self.facts.metadata.get(account)
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del self.facts.metadata[account]
        else:
            self.facts.metadata.setdefault(account, {})[key] = value
        if self._writes():
            self.shared.set_account_metadata(account, key, value)

    def get_read_marker(self, account: str, target: str) -> int | None:
        return self.facts.read_markers.get((account, target))

    def set_read_marker(self, account: str, target: str, time_ms: int) -> None:
        current = self.facts.read_markers.get((account, target))
        if current is None or time_ms > current:  # forward only, as the backends
            self.facts.read_markers[(account, target)] = time_ms
        if self._writes():
            self.shared.set_read_marker(account, target, time_ms)

    # -- registered channels and server bans: from memory, written once ---------------------
    def registered_channels(self) -> list[RegisteredChannel]:
        return [self.facts.channels[k] for k in sorted(self.facts.channels)]

    def save_channel(self, channel: RegisteredChannel) -> None:
        self.facts.channels[casefold(channel.name)] = channel
        if self._writes():
            self.shared.save_channel(channel)

    def drop_channel(self, name: str) -> None:
        self.facts.channels.pop(casefold(name), None)
        if self._writes():
            self.shared.drop_channel(name)

    def server_bans(self) -> list[ServerBan]:
        return sorted(self.facts.bans.values(), key=lambda b: (b.set_at, b.kind, b.mask))

    def add_server_ban(self, ban: ServerBan) -> None:
        self.facts.bans[(ban.kind, ban.mask)] = ban
        if self._writes():
            self.shared.add_server_ban(ban)

    def remove_server_ban(self, kind: str, mask: str) -> None:
        self.facts.bans.pop((kind, mask), None)
        if self._writes():
            self.shared.remove_server_ban(kind, mask)

    # -- the node's own connection ----------------------------------------------------------
    def commit(self) -> None:
        if self._wrote is not None:  # (with the writes, in their transaction)
            self.shared.mark_applied(self.replica.node, *self._wrote)
            self._wrote = None
        self.shared.commit()

    def checkpoint(self) -> None:
        self.shared.checkpoint()  # (this node's statistics: thread-safe, see the backend)

    def scrub(self) -> bool:
        return self.shared.scrub()

    def unsaved(self) -> tuple[int, int]:
        return self.shared.unsaved()

    def close(self) -> None:
        self.shared.close()
