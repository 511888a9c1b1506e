"""The storage interfaces: what the server core calls, and what a storage backend implements.

Two layers, so that another backend (e.g. PostgreSQL or Redis) can follow SQLite:

* `Backend` — plain data, no IRC: append and page through history by conversation key, keep
  accounts, commit, prune. `storage/sqlite.py` is the default implementation. It knows nothing
  about sessions, channels or who may read what.
* `Storage` — the hooks the server core calls (`store_message`, `joined`, `commit`, `tick`, ...).
  `server/persistence.py` implements it once, on top of any `Backend`: it decides the
  conversation keys (and with them who may read which private history), replays history on join
  and protects registered nicks.

The core appends to history while handling a command and calls `commit()` once per event-loop
turn, *before* any relayed message is written to a socket (see `Server.flush`): a message that any
client received is durable, and many messages share one transaction (group commit).

Positions in history are `(time_ms, seq)` pairs: milliseconds since the epoch, and a number that
orders messages with the same millisecond (their insertion order). Timestamp selectors become
`(ts, 0)` ("just before anything at ts") or `(ts, MAX_SEQ)` ("just after").
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from socketchat.irc.message import Message
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel
    from socketchat.server.user import User

Position = tuple[int, int]  # (time in ms since the epoch, sequence number)
MAX_SEQ = 2**62


class StorageError(Exception):
    """Storage cannot be used (bad data dir at start; a write that failed: full disk, I/O error).

    The text is one sentence naming the path and the cause, fit for an operator to read.
    """


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One PRIVMSG or NOTICE in history, with every tag it was relayed with (time, msgid, account,
    client-only tags such as +reply).

    `key` is the conversation it belongs to (a folded channel name, or a private pair: see
    `server/persistence.py`); `sender_id` is the identity of who said it (also in channels:
    authors may redact their own lines; "" for lines stored before that was kept) and
    `recipient_id` the other party of a private message ("" for channels); `seq` is assigned
    by the backend (0 before that).
    `era` names the channel's incarnation (from its creation until it empties) and
    `restricted` says whether the channel was closed (+s, +i or +k) when the line was said: a
    restricted line is readable only through a query that names its era (`eras=`).
    """

    key: str
    time_ms: int
    msgid: str
    command: str
    source: str
    target: str
    text: str
    tags: Mapping[str, str]
    sender_id: str = ""
    recipient_id: str = ""
    seq: int = 0
    era: str = ""
    restricted: bool = False

    @property
    def position(self) -> Position:
        return (self.time_ms, self.seq)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a search asks for (soju.im/search). Every given part must match.

    `text`: words that must all occur, each as the start of a word (`storage/fulltext.py`;
    "" matches every line); `sender`: the nick it was said with ("" anyone; ASCII letters
    compared without case); `after_ms`/`before_ms`: the time it was said, inclusive (None: no
    bound). The `limit` newest matches come back, or the oldest ones from `after_ms` when only
    that bound is given ("search from that time"); oldest first either way.
    """

    text: str = ""
    sender: str = ""
    after_ms: int | None = None
    before_ms: int | None = None
    limit: int = 100

    @property
    def from_start(self) -> bool:
        return self.after_ms is not None and self.before_ms is None


class SearchTimeout(Exception):
    """A search ran longer than the backend allows (a word that matches millions of lines in
    conversations the asker cannot read): it was stopped, and nothing is returned."""


@dataclass(frozen=True, slots=True)
class Conversation:
    """A private conversation: its key, the two parties' identities, and their latest nicks."""

    key: str
    party_a: str
    party_b: str
    nick_a: str
    nick_b: str

    def other_nick(self, party: str) -> str:
        return self.nick_b if party == self.party_a else self.nick_a


def group_missed(
    rows: Iterable[Sequence[Any]], line: Callable[[Sequence[Any]], StoredMessage]
) -> list[tuple[Conversation, list[StoredMessage]]]:
    """`missed_private`'s rows (a conversation's five columns, then a line's), ordered by
    conversation, grouped into each conversation and its lines; `line` decodes a line's
    columns (each backend has its own)."""
    out: list[tuple[Conversation, list[StoredMessage]]] = []
    for row in rows:
        if not out or out[-1][0].key != row[0]:
            out.append((Conversation(*row[:5]), []))
        out[-1][1].append(line(row[5:]))
    return out


@dataclass(frozen=True, slots=True)
class Account:
    name: str  # as registered (display case); looked up case-insensitively
    password_hash: str  # `server.passwords.hash_password` output, never the password
    email: str = ""
    created: float = 0.0


@dataclass(frozen=True, slots=True)
class ServerBan:
    """A ban by an operator on the whole server: a K-line or a D-line (`server/klines.py`)."""

    kind: str  # "K": a user@host mask or an account ($a:name); "D": an IP address or CIDR
    mask: str  # as the operator gave it (normalised: lower-case host, networks in CIDR form)
    reason: str
    set_by: str  # nick!user@host of the operator
    set_at: float  # Unix time
    expires_at: float = 0.0  # Unix time; 0 means never

    def expired(self, now: float) -> bool:
        return bool(self.expires_at) and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class ChannelAccess:
    """One entry of a registered channel's access list: an account and the mode it gets."""

    account: str  # as registered (display case); compared case-insensitively
    mode: str  # "o" (operator) or "v" (voice)
    set_by: str  # the account that added it
    set_at: float


@dataclass(frozen=True, slots=True)
class MaskEntry:
    """One +b, +e or +I entry of a registered channel, as kept across restarts."""

    mode: str  # "b", "e" or "I"
    mask: str
    setter: str
    set_at: float


@dataclass(frozen=True, slots=True)
class RegisteredChannel:
    """A channel registered with ChanServ (`server/chanserv.py`): who owns it, who gets which
    mode on join, its settings, and the state it keeps while empty and across restarts.

    `era` is the channel's one incarnation for its whole registered life (history said while it
    was closed stays readable by its members, see `server/persistence.py`); `created` the
    channel's creation time (329) when it was registered.
    """

    name: str
    founder: str  # account name
    registered_at: float
    era: str
    created: float = 0.0
    description: str = ""
    topic: str = ""
    topic_setter: str = ""
    topic_time: float = 0.0
    modes: str = "nt"  # flag modes, e.g. "mnt"
    key: str = ""
    limit: int = 0
    masks: tuple[MaskEntry, ...] = ()
    access: tuple[ChannelAccess, ...] = ()
    topic_lock: bool = False
    guard: bool = False


class ChannelStore(Protocol):
    """Registered channels survive restarts: written with the next commit (group commit)."""

    def registered_channels(self) -> list[RegisteredChannel]:
        """Every registered channel (read once, at start)."""

    def save_channel(self, channel: RegisteredChannel) -> None:
        """Store `channel`, replacing the one of the same (folded) name; durable at commit."""

    def drop_channel(self, name: str) -> None:
        """Forget the registration of `name` (any case)."""


class BanStore(Protocol):
    """Server bans survive restarts: written with the next commit, like accounts."""

    def server_bans(self) -> list[ServerBan]:
        """Every ban stored (expired ones included: the server drops those)."""

    def add_server_ban(self, ban: ServerBan) -> None:
        """Store `ban`, replacing one of the same kind and mask."""

    def remove_server_ban(self, kind: str, mask: str) -> None: ...


class HistoryStore(Protocol):
    """History by conversation key. Every read sees the unrestricted lines of `key` plus the
    restricted lines of the eras in `eras` (none by default: a caller that forgets to ask
    sees only what was said in the open)."""

    def append(self, message: StoredMessage) -> bool:
        """Add a message; visible to queries at once, durable after `commit()`.

        False: not kept at all (writes are failing and the memory queue for them is full)."""

    def find(
        self, key: str, msgid: str, *, eras: Collection[str] = (), events: bool = False
    ) -> Position | None:
        """Where the message with this msgid sits in conversation `key`, if it is there.

        Reads (`find`, `before`, `after`, `latest_time`) see only PRIVMSG and NOTICE unless
        `events`: then also the JOIN, PART, QUIT, KICK, MODE, TOPIC, NICK and TAGMSG kept
        for draft/event-playback."""

    def message(self, key: str, msgid: str, *, eras: Collection[str] = ()) -> StoredMessage | None:
        """The message with this msgid in conversation `key`, if it is there (REDACT)."""

    def rename_key(self, old_key: str, new_key: str, target: str) -> None:
        """Move conversation `old_key` to `new_key` (a renamed channel, now called `target`):
        its messages, and the replay and read markers of it (where an account already has one
        for `new_key`, that one stays)."""

    def delete(self, key: str, msgid: str) -> None:
        """Remove the message with this msgid from `key` (redaction): gone from every query
        at once, from disk at commit."""

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
        """The last `limit` messages strictly before `pos` (None: the end) and strictly after
        `stop` (None: the beginning), oldest first. PRIVMSG and NOTICE only, unless `events`
        (draft/event-playback: channel events and TAGMSG too)."""

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
        """The first `limit` messages strictly after `pos` and strictly before `stop`, oldest
        first (`events` as in `before`)."""

    def latest_time(
        self,
        key: str,
        start_ms: int,
        end_ms: int,
        *,
        eras: Collection[str] = (),
        events: bool = False,
    ) -> int | None:
        """The time of the newest message of `key` strictly between the two times."""

    def last_position(self, key: str) -> Position | None:
        """Where the newest message of `key` sits, restricted or not (read markers)."""

    def get_marker(self, account: str, key: str) -> Position | None:
        """How far `account` has seen conversation `key` (see `set_marker`)."""

    def set_marker(self, account: str, key: str, pos: Position) -> None:
        """Remember that `account` has seen `key` up to `pos` (replay starts after it)."""

    def get_read_marker(self, account: str, target: str) -> int | None:
        """draft/read-marker: the time (ms) up to which `account` has read `target` (a folded
        channel name or nick), as its clients said with MARKREAD; None if never said."""

    def account_metadata(self, account: str) -> dict[str, str]:
        """draft/metadata: the keys `account` (folded) keeps, key -> value."""

    def accounts_with_metadata(self, key: str) -> list[tuple[str, str]]:
        """`(account (folded), value)` of every account that keeps `key`, by account."""

    def set_account_metadata(self, account: str, key: str, value: str | None) -> None:
        """Keep (None: forget) one metadata key of `account`."""

    def set_read_marker(self, account: str, target: str, time_ms: int) -> None:
        """Move `account`'s read marker of `target` forward to `time_ms` (never backward)."""

    def message_count(self) -> int:
        """How many lines history holds (metrics)."""

    def conversations(self, party: str) -> list[Conversation]:
        """The private conversations `party` (an identity) takes part in."""

    def missed_private(
        self, party: str, since: Position, before_ms: int, conversations: int, lines: int
    ) -> list[tuple[Conversation, list[StoredMessage]]]:
        """What `party` (an identity) missed in private since `since`: of its private
        conversations with a readable line (unrestricted PRIVMSG or NOTICE) after `since` and
        before `before_ms`, the `conversations` whose newest such line is the most recent,
        ordered by that time (oldest first, ties by key), each with its first `lines`
        readable lines after `since`, oldest first. One statement however many
        conversations there are (a device coming back, `devices.replay_missed`, made two
        queries per conversation)."""

    def prune(self, *, before_ms: int = 0, keep_per_key: int = 0) -> int:
        """Retention: delete messages older than `before_ms` and all but the newest
        `keep_per_key` of each conversation (0: no such limit). Returns how many went."""

    def prune_batches(self, *, before_ms: int = 0, keep_per_key: int = 0) -> Iterator[int]:
        """`prune` in small bounded batches, one per `next()` (each yields how many went), so
        that the caller can commit and serve others in between. Same result as `prune`."""

    def search(
        self, scope: Mapping[str, Collection[str]], party: str, query: SearchQuery
    ) -> list[StoredMessage]:
        """Full-text search (soju.im/search): the PRIVMSG and NOTICE lines matching `query` in
        the conversations of `scope` (key -> the eras whose restricted lines the asker may
        read, as `eras` elsewhere) and, unless `party` is "", in every private conversation
        of `party` (an identity). Oldest first, at most `query.limit`. Raises `SearchTimeout`
        when it would take too long. The results follow every append, delete, prune and
        rename at once."""

    def search_indexing(self) -> float | None:
        """None when search sees all of history; else the share of it indexed so far (SQLite,
        after an upgrade: the index is built in the background, and searches may miss older
        lines until it is done)."""

    def latest_times(
        self,
        channels: Mapping[str, tuple[str, str]],
        party: str,
        after_ms: int,
        before_ms: int,
        limit: int,
    ) -> list[tuple[int, str]]:
        """CHATHISTORY TARGETS: `(time, name)`, oldest first (ties by name), at most `limit`,
        of the conversations whose newest readable message after `after_ms` is before
        `before_ms`: the channel keys in `channels` (mapped to `(era, name)`) and the private
        conversations of `party` (named by the other party's nick). One query, however many
        conversations."""


class AccountStore(Protocol):
    def get_account(self, name: str) -> Account | None:
        """The account called `name` (case-insensitive), if any."""

    def account_like(self, name: str) -> Account | None:
        """The account called `name`, or else one whose name looks like it (the same
        confusable skeleton, `casemap.clash`): Cyrillic ``рау`` finds the account ``pay``."""

    def create_account(self, account: Account) -> bool:
        """Register a new account. False if the name is taken, or a name that looks like it
        (`account_like`)."""

    def set_password(self, name: str, password_hash: str) -> None: ...

    def account_for_cert(self, fingerprint: str) -> Account | None:
        """The account a client certificate (SHA-256, hex) was added to (SASL EXTERNAL)."""

    def certs_of(self, account: str) -> list[str]:
        """The fingerprints added to `account` (NickServ CERT LIST)."""

    def add_cert(self, account: str, fingerprint: str) -> None:
        """Tie a fingerprint to `account` (taking it from any other account)."""

    def remove_cert(self, account: str, fingerprint: str) -> None: ...


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """A Web Push subscription (draft/webpush) of an account: where its push service takes
    messages for one browser or app, and the keys that only that device can decrypt with
    (RFC 8291: `p256dh`, its P-256 public key, and `auth`, a 16-byte secret; both URL-safe
    base64 as the client sent them). An endpoint belongs to one account at a time."""

    account: str  # folded account name
    endpoint: str  # https URL of the push service (validated by server/webpush.py)
    p256dh: str
    auth: str
    created: float = 0.0  # Unix time of the latest WEBPUSH REGISTER


class PushStore(Protocol):
    """Push subscriptions per account, kept across restarts (written with the next commit).

    The server reads them when a mention or a private message may be pushed, so a lookup by
    account must be cheap (an index)."""

    def push_subscriptions(self, account: str) -> list[PushSubscription]:
        """The subscriptions of `account` (folded), oldest first."""

    def add_push_subscription(self, subscription: PushSubscription) -> None:
        """Keep `subscription`, replacing any with the same endpoint (of any account: the
        device now belongs to this one)."""

    def remove_push_subscription(self, account: str, endpoint: str) -> None:
        """Forget `account`'s subscription at `endpoint`; nothing if there is none."""


class Backend(HistoryStore, AccountStore, BanStore, PushStore, ChannelStore, Protocol):
    """A complete storage backend: history, accounts, server bans, push subscriptions and
    registered channels in one transactional store."""

    def commit(self) -> None:
        """Make everything appended so far durable (one transaction). Cheap when idle.

        Raises `StorageError` when the write fails (full disk, I/O error): what it held stays
        queued in memory, queries read what is on disk meanwhile, and calling again retries."""

    def checkpoint(self) -> None:
        """Slow housekeeping that may run on a worker thread (SQLite: the WAL checkpoint, with
        its fsync). Thread-safe; never raises."""

    def scrub(self) -> bool:
        """One bounded step (milliseconds) of wiping deleted lines' remains from the files, in
        the open transaction; True while there is more to do. Cheap when nothing is due.
        SQLite: the search index's change log (`SqliteBackend.scrub`; its worker thread
        scrubs the index file itself)."""

    def unsaved(self) -> tuple[int, int]:
        """(messages queued but not yet durable, messages dropped since writes began failing)."""

    def close(self) -> None:
        """Commit what is queued and close; raises `StorageError` (after closing) if that
        last commit failed."""


class Storage(Protocol):
    """The hooks the server core calls. Implemented by `server.persistence.Persistence`."""

    def capabilities(self) -> dict[str, str]:
        """Extra IRCv3 capabilities this storage enables (e.g. draft/chathistory, sasl)."""

    def isupport(self) -> list[str]:
        """Extra ISUPPORT tokens (e.g. CHATHISTORY=100)."""

    def store_message(
        self, msg: Message, target: str, sender: Session, recipient: User | str | None
    ) -> None:
        """Append a PRIVMSG/NOTICE (with its msgid and time tags) to history, durable at commit.

        `target` is the channel name or the recipient's nick; `recipient` is None for channels,
        an account's name for an offline message to an account nobody is using.
        """

    def renamed(self, channel: Channel, old_key: str) -> None:
        """`channel` was called `old_key` (folded) until now (draft/channel-rename): its history
        and the read and replay markers of it follow the new name."""

    def store_event(self, msg: Message, channel: Channel, sender: User) -> None:
        """Append a channel event (JOIN, PART, QUIT, KICK, MODE, TOPIC, NICK) as relayed, for
        draft/event-playback clients' CHATHISTORY."""

    def joined(self, server: Server, session: Session, channel: Channel) -> list[StoredMessage]:
        """`session` has just joined `channel`: the recent lines to replay to it, oldest first
        (none: nothing it has not seen, or it asks itself). JOIN sends them (the command layer
        knows how: `commands/history.py`), so storage and persistence know no command."""

    def user_left(self, server: Server, user: User, *, stays: bool = False) -> None:
        """The last device of `user` left: messages to its account from now on are what it
        will have missed; `stays` (always-on, and at shutdown): keep what brings it back
        after a restart, else forget that."""

    def left(self, server: Server, user: User, channel: Channel) -> None:
        """`user` is about to leave `channel` (PART, KICK, QUIT), or its last device is (it
        stays, always-on): it has seen everything so far (e.g. remember that, so the next
        replay starts after it)."""

    def nick_changed(self, server: Server, session: Session) -> None:
        """`session` has just registered or changed its nick (nick protection starts here)."""

    def tick(self, server: Server) -> None:
        """Called from `Server.tick`: timers (nick protection, periodic retention)."""

    def commit(self) -> None:
        """Make everything appended so far durable. Called once per loop turn; cheap when idle."""

    def close(self) -> None: ...
