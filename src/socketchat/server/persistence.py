"""History and accounts for the server: the `Storage` hooks, on top of any storage `Backend`.

Who may read which history (the privacy rule)
---------------------------------------------
Every stored message belongs to one *conversation key*:

* a channel message to the folded channel name (``#lobby``). Each line also records the
  channel's *era* — its incarnation, a random id made when the channel is created and gone
  when it empties (or the server stops), unless the channel is registered — and whether the channel
  was *closed* (+s, +i or +k) when the line was said. A line said in the open is readable by
  the channel's current members, and only by them: reading an open channel back without
  joining would be lurking that nobody in the member list sees (whoever wants it joins; CHATHISTORY
  answers a non-member INVALID_TARGET, as for a missing channel, which is what irctest's
  testInvalidTargets expects too). A line said while the channel was
  closed is readable only by members of the same incarnation: whoever the channel admitted
  then (by invite, key, or being there). Once that channel has ceased to exist, nobody reads
  those lines again; whoever recreates ``#vault`` later (and is made op) gets a new era and
  sees none of them, and neither does anyone after a restart. They only wait for retention.
  (History stored before schema version 2 did not record this, so its channel lines count as
  closed.) CHATHISTORY, replay on join and SEARCH read through `HistoryView`, which
  `channel_view` makes: the one place that decides (`search_scope` gathers them for SEARCH).
  A registered channel (ChanServ, `server/chanserv.py`) has one era for its whole registered
  life, kept with its registration and given back to the channel whenever it is rebuilt
  (after it emptied, after a restart): its closed lines stay readable by its members — whom
  its kept key, +i, bans and access list let in — and by nobody else; dropping the
  registration gives the channel a fresh era.
* a private message to the pair of its parties' *identities*, ``p:<id> <id>`` (sorted). An
  identity is ``a:<account>`` for a client logged in to an account, else ``c:<random token>``
  made for that one connection. So a private conversation is readable only by its two parties:
  by account across reconnects and nick changes, and for a client without an account only from
  the connection that took part in it. A newcomer who later takes the same nick gets a new
  token and sees nothing of the previous holder's conversations; nobody can ever name an old
  connection's token again, so such history is unreachable and only waits for retention.
  (Logging in mid-conversation moves a client to its account identity from then on.)

CHATHISTORY names the other party of a private conversation by nick: the identity of whoever
holds that nick now, else the account of that name.

When storage fails (a full disk)
--------------------------------
Chat never waits for storage. If a commit fails, the server goes on relaying everything live
(PING, numerics, messages), and:

* CRITICAL is logged once per outage, naming the file and the cause;
* every client whose line could not be stored — in the failed transaction or later in the
  outage — is told once per outage (``WARN <command> HISTORY_PAUSED`` with standard-replies,
  else a server NOTICE), and told again when history resumes;
* the lines are kept in memory (up to `SqliteBackend.MAX_PENDING_BYTES`, about 4 MiB: several
  thousand lines; beyond that they are relayed but not stored, and the count is logged) and are
  written, in order, when a retry succeeds. Retries run every `STORAGE_RETRY_INTERVAL` seconds
  from `tick`; meanwhile CHATHISTORY and replay show what is on disk, retention waits, and
  account registration answers TEMPORARILY_UNAVAILABLE (`accounts._refusal`);
* on shutdown a last commit is tried; what it cannot write is counted in the log, and the
  server stops anyway.

Replay on join (clients without draft/chathistory)
--------------------------------------------------
Plain clients (irssi, WeeChat) show replayed lines as if they were live, so a line must never
reach them twice. A client logged in to an account gets what was said since that account last
saw the channel: a marker per account and channel (`Backend.set_marker`), moved to the newest
line when it leaves (PART, KICK, QUIT) and after each replay — at most
`history_replay_on_join` lines — and nothing while another connection of the same account is
in the channel (it got every line live: another device, or the old connection of a client
that reconnected before the server noticed the old one was dead; lines that went to a dead
connection are not replayed then, only CHATHISTORY has them). A client without an account
cannot be recognised on its next connection, so it gets no replay unless
`history_replay_unidentified` is set (then the last lines each time it joins; on a PART and
rejoin within one connection only what it missed).
Replayed lines come in a chathistory batch for clients with batch, and otherwise between
NOTICEs "--- history ---" and "--- end of history ---" (and, without server-time, each line
prefixed with its time).
"""

from __future__ import annotations

import json
import logging
import secrets
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from socketchat.irc.casemap import casefold, is_channel
from socketchat.irc.message import Message
from socketchat.irc.servertime import parse_ms
from socketchat.server.accounts import (
    NickGuard,
    RegistrationLimit,
    check_nick,
    enforce_nicks,
    expire_nick,
)
from socketchat.storage.base import (
    Backend,
    Position,
    PushSubscription,
    StorageError,
    StoredMessage,
)

if TYPE_CHECKING:
    from socketchat.server.config import ServerConfig
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel
    from socketchat.server.user import User

log = logging.getLogger("socketchat.storage")

EVENT_PLAYBACK = "draft/event-playback"
SETTING_PREFIX = "!"  # account settings among account metadata (`account_setting`)
PARAMS_TAG = "socketchat/params"  # stored only: an event's parameters, as relayed (JSON)
METADATA_MAX_KEYS = 20  # a user's keys at most (commands/metadata.py MAX_KEYS)
CHATHISTORY_MAX = 100  # the most messages one CHATHISTORY request returns (ISUPPORT)
RETENTION_INTERVAL = 300.0  # seconds between retention runs
STORAGE_RETRY_INTERVAL = 5.0  # seconds between attempts to write history while writes fail
CHECKPOINT_INTERVAL = 1.0  # seconds between storage checkpoints, run off the event loop


@dataclass(frozen=True, slots=True)
class HistoryView:
    """What one reader may read of one conversation: the lines of `key` said in the open, and
    those said while closed in one of `eras` (see the module docstring)."""

    key: str
    eras: tuple[str, ...] = ()
    events: bool = False  # draft/event-playback: JOIN, TOPIC, TAGMSG... too, not only messages


class Persistence:
    """The server's `Storage`: stores and replays history, keeps accounts, guards nicks."""

    def __init__(self, backend: Backend, config: ServerConfig) -> None:
        self.backend = backend
        self.config = config
        self._connection_ids: weakref.WeakKeyDictionary[User, str] = weakref.WeakKeyDictionary()
        # how far a client without an account saw each channel, for this connection only
        self._seen: weakref.WeakKeyDictionary[User, dict[str, Position]] = (
            weakref.WeakKeyDictionary()
        )
        # draft/read-marker of clients without an account: this connection only
        self._read: weakref.WeakKeyDictionary[Session, dict[str, int]] = weakref.WeakKeyDictionary()
        self._next_retention = 0.0
        self._retention: Iterator[int] | None = None  # a retention pass under way, in batches
        self._retention_removed = 0
        self._next_checkpoint = 0.0
        self._checkpointing = False  # a checkpoint is under way on a worker thread
        self.guard = NickGuard()
        # ChanServ's word on who, of a registered channel's members, reads its closed lines
        # (`server/chanserv.py: Registry.reads_closed`); None: every member (today's rule)
        self.reads_closed: Callable[[Session, Channel], bool] | None = None
        self.registrations = RegistrationLimit()  # accounts created per address and in total
        # who a party without an account is (`identity`); None: a random token. A cluster
        # node sets it to one every node computes alike (the connection's network-wide id).
        self.connection_token: Callable[[User], str] | None = None
        # storage outages (see the module docstring)
        self.paused = False  # a commit failed; history waits in memory until a retry works
        self._retry_at: float | None = None  # monotonic clock; None: set at the next tick
        self._paused_at: float | None = None
        self._senders: weakref.WeakSet[Session] = weakref.WeakSet()  # lines not yet committed
        self._told: weakref.WeakSet[Session] = weakref.WeakSet()  # told "paused" this outage
        self._queue_full_logged = False
        # Logins under way: account (folded) -> its stored values (metadata, the settings
        # among them) and the sessions logging in to it (`login_started`)
        self._logins: dict[str, tuple[dict[str, str], list[Session]]] = {}

    # -- Storage hooks ---------------------------------------------------------------------
    def capabilities(self) -> dict[str, str]:
        return {
            "draft/chathistory": "",
            "draft/message-redaction": "",
            "draft/event-playback": "",
            "soju.im/search": "",
            "draft/account-registration": "before-connect",
            "sasl": "PLAIN,EXTERNAL",
        }

    def isupport(self) -> list[str]:
        return [f"CHATHISTORY={CHATHISTORY_MAX}", "MSGREFTYPES=msgid,timestamp"]

    def store_message(
        self, msg: Message, target: str, sender: Session, recipient: User | str | None
    ) -> None:
        tags = msg.tags
        time_ms = parse_ms(tags.get("time", "")) or int(sender.server.clock() * 1000)
        era, restricted = "", False
        if recipient is None:
            key, sender_id, recipient_id = casefold(target), self.identity(sender.user), ""
            channel = sender.server.state.find_channel(target)
            if channel is not None:
                era, restricted = channel.era, is_closed(channel)
        else:
            sender_id = self.identity(sender.user)
            recipient_id = (  # an absent account's name: an offline message (`user_left`)
                "a:" + casefold(recipient)
                if isinstance(recipient, str)
                else self.identity(recipient)
            )
            key = private_key(sender_id, recipient_id)
        kept = self.backend.append(
            StoredMessage(
                key,
                time_ms,
                tags.get("msgid", ""),
                msg.command,
                msg.source or "",
                msg.param(0),
                msg.param(1),
                dict(tags),
                sender_id,
                recipient_id,
                era=era,
                restricted=restricted,
            )
        )
        if self.paused:
            if not kept and not self._queue_full_logged:
                self._queue_full_logged = True
                log.error(
                    "storage: the memory queue for unstored history is full; from now on lines"
                    " are relayed but not stored until storage works again"
                )
            self._tell_paused(sender, msg.command, kept)
        else:
            self._senders.add(sender)

    def renamed(self, channel: Channel, old_key: str) -> None:
        self.backend.rename_key(old_key, channel.folded, channel.name)

    def store_event(self, msg: Message, channel: Channel, sender: User) -> None:
        tags = dict(msg.tags)
        tags[PARAMS_TAG] = json.dumps(list(msg.params), ensure_ascii=False)
        time_ms = parse_ms(tags.get("time", "")) or 0  # (relay_tags always stamps it)
        kept = self.backend.append(
            StoredMessage(
                channel.folded,
                time_ms,
                tags.get("msgid", ""),
                msg.command,
                msg.source or "",
                channel.name,
                msg.params[-1] if len(msg.params) > 1 else "",
                tags,
                self.identity(sender),
                era=channel.era,
                restricted=is_closed(channel),
            )
        )
        if self.paused:
            for session in sender.sessions:
                self._tell_paused(session, msg.command, kept)

    def joined(self, server: Server, session: Session, channel: Channel) -> list[StoredMessage]:
        count = self.config.history_replay_on_join
        if count <= 0 or "draft/chathistory" in session.caps:
            return []  # chathistory clients ask for what they want
        if not session.account and not self.config.history_replay_unidentified:
            return []  # we could not tell on its next connection what it has already seen
        view = self.channel_view(session, channel)
        if view is None:
            return []
        if session.account and self._account_present(session, channel):
            self._mark_seen(session.user, channel.folded)
            return []  # its other connection got everything live (e.g. one not yet timed out)
        since = self._seen_up_to(session.user, channel.folded)
        rows = self.backend.before(view.key, None, count, stop=since, eras=view.eras)
        self._mark_seen(session.user, channel.folded)  # the caller (JOIN) sends them at once
        return rows

    def left(self, server: Server, user: User, channel: Channel) -> None:
        self._mark_seen(user, channel.folded)

    @staticmethod
    def _account_present(session: Session, channel: Channel) -> bool:
        """Another connection of `session`'s account is in `channel` right now (a device of
        its own user, or of another user logged in to the account)."""
        mine = casefold(session.account or "")
        return any(
            member.account
            and casefold(member.account) == mine
            and any(other is not session for other in member.sessions)
            for member in channel.members
        )

    def _seen_up_to(self, user: User, key: str) -> Position | None:
        if user.account:
            return self.backend.get_marker(casefold(user.account), key)
        return self._seen.get(user, {}).get(key)

    def _mark_seen(self, user: User, key: str) -> None:
        """`user` has seen `key` up to its newest line (replayed, or delivered live)."""
        if not user.account and not self.config.history_replay_unidentified:
            return  # nobody will ask: no query on every PART and QUIT
        newest = self.backend.last_position(key)
        if newest is None:
            return
        if user.account:
            self.backend.set_marker(casefold(user.account), key, newest)
        elif self.config.history_replay_unidentified:
            self._seen.setdefault(user, {})[key] = newest

    # -- an account's stored values, read once per login -----------------------------------
    def login_started(self, session: Session, account: str) -> None:
        """`session` logs in to `account`: its values (settings and metadata) are read once,
        here, and what the rest of the login asks (always-on and metadata at the login;
        multiclient, always-on, when last seen and metadata again when registration ends or
        attaches to the account's user) is answered from them until `login_over`: a login
        read them up to five times. Every write of them through here keeps them up to date
        (a device of the account leaving meanwhile moves "seen"). Logins whose sessions
        closed before registering are forgotten here and in `login_over`."""
        folded = casefold(account)
        self._forget_closed()
        entry = self._logins.get(folded)
        if entry is None:
            entry = self._logins[folded] = (self.backend.account_metadata(folded), [])
        if session not in entry[1]:
            entry[1].append(session)

    def login_over(self, session: Session) -> None:
        """`session`'s login is over (registered, or logged in while registered already):
        its account's values are read from storage again from now on."""
        for _, sessions in self._logins.values():
            if session in sessions:
                sessions.remove(session)
        self._forget_closed()

    def _forget_closed(self) -> None:
        """Logins with no session left logging in (registered, or closed before)."""
        for key, (_, sessions) in list(self._logins.items()):
            sessions[:] = [x for x in sessions if not x.closed]
            if not sessions:
                del self._logins[key]

    def _values(self, folded: str) -> dict[str, str]:
        entry = self._logins.get(folded)
        return dict(entry[0]) if entry is not None else self.backend.account_metadata(folded)

    def _write_value(self, folded: str, key: str, value: str | None) -> None:
        entry = self._logins.get(folded)
        if entry is not None:
            if value is None:
                entry[0].pop(key, None)
            else:
                entry[0][key] = value
        self.backend.set_account_metadata(folded, key, value)

    # -- metadata of accounts (draft/metadata) ----------------------------------------------
    def metadata_changed(self, user: User, key: str, value: str | None) -> None:
        """A logged-in user set (None: removed) one of its own keys: the account keeps it."""
        if user.account:
            self._write_value(casefold(user.account), key, value)

    def restore_metadata(self, server: Server, session: Session) -> None:
        """`session` logged in: the account's keys come back (those it has not set itself on
        this connection, which win and are kept for the account from now on)."""
        if not session.account:
            return
        account = casefold(session.account)
        stored = self._values(account)
        user = session.user
        stored = {k: v for k, v in sorted(stored.items()) if not k.startswith(SETTING_PREFIX)}
        for key, value in server.state.metadata_items(user):
            if stored.get(key) != value:
                self._write_value(account, key, value)
        have = len(server.state.metadata_items(user))
        for key, value in stored.items():
            if have >= METADATA_MAX_KEYS:
                break
            if server.state.metadata_get(user, key) is None:
                server.state.metadata_set(user, key, value)
                have += 1

    # -- account settings (NickServ SET) ----------------------------------------------------
    def account_value(self, account: str, name: str) -> str | None:
        """What the server keeps about `account` under `name` (a setting, when it was last
        seen), None: nothing.

        These ride on the account's metadata store under keys no client can set (metadata
        keys are lowercase letters, digits and ``_.:/-``; these start with ``!``), so they need
        no table of their own and travel wherever account metadata does."""
        return self._values(casefold(account)).get(SETTING_PREFIX + name)

    def set_account_value(self, account: str, name: str, value: str | None) -> None:
        self._write_value(casefold(account), SETTING_PREFIX + name, value)

    def account_setting(self, account: str, name: str) -> bool | None:
        """The account's own choice for `name` (e.g. "always-on"), None: the server default."""
        value = self.account_value(account, name)
        return None if value is None else value == "on"

    def set_account_setting(self, account: str, name: str, value: bool | None) -> None:
        self.set_account_value(account, name, None if value is None else ("on" if value else "off"))

    def user_left(self, server: Server, user: User, *, stays: bool = False) -> None:
        if not user.account:
            return
        if self._present_holder(server, user.account) not in (None, user):
            return  # a second user of the account (`accounts.stays_for`): the record is not its
        self.set_account_value(user.account, "seen", str(int(server.clock() * 1000)))
        if stays:  # what brings it back after a restart (`present_users`)
            state = {
                "nick": user.nick,
                "username": user.username,
                "realname": user.realname,
                "host": user.host,
                "ip": user.ip,
                "away": None if user.auto_away else user.away,
                "channels": [channel.name for channel in user.channels.values()],
            }
            self.set_account_value(user.account, "present", json.dumps(state, ensure_ascii=False))
        elif not server.shutting_down:  # (at a shutdown the always-on stay: in any order)
            self.set_account_value(user.account, "present", None)

    def _present_holder(self, server: Server, account: str) -> User | None:
        """The user here that the account's "present" record is of (by its nick), if any."""
        value = self.account_value(account, "present")
        if value is None:
            return None
        try:
            nick = json.loads(value).get("nick")
        except (ValueError, AttributeError):
            return None
        holder = server.state.find_nick(nick) if isinstance(nick, str) else None
        if (
            holder is None
            or holder.account is None
            or casefold(holder.account) != casefold(account)
        ):
            return None
        return holder

    def another_user_of(self, server: Server, user: User, account: str) -> bool:
        """Is someone other than `user` the person of `account` here: connected (a session
        logged in to it), or always-on with no device (the user its record is of)?"""
        if any(other.user is not user for other in server.state.sessions_of(account)):
            return True
        return self._present_holder(server, account) not in (None, user)

    def present_users(self) -> list[tuple[str, dict[str, Any]]]:
        """The always-on users that were here when the server stopped (or crashed), with what
        they were: `(account, {nick, username, realname, host, away, channels})`."""
        found: list[tuple[str, dict[str, Any]]] = []
        for account, value in self.backend.accounts_with_metadata(SETTING_PREFIX + "present"):
            try:
                state = json.loads(value)
            except ValueError:
                continue
            if isinstance(state, dict) and isinstance(state.get("nick"), str):
                found.append((account, state))
        return found

    def last_seen_ms(self, account: str) -> int | None:
        """When the last device of `account` left (ms), if it ever did."""
        value = self.account_value(account, "seen")
        return int(value) if value is not None and value.isdigit() else None

    # -- read markers (draft/read-marker) --------------------------------------------------
    def read_marker(self, account: str, target: str) -> int | None:
        """How far (ms) the person behind `account` has read `target`, if it ever said."""
        return self.backend.get_read_marker(casefold(account), casefold(target))

    def set_read_marker(self, account: str, target: str, time_ms: int) -> bool:
        """Move the account's marker forward to `time_ms`; False if it was there or past."""
        current = self.read_marker(account, target)
        if current is not None and current >= time_ms:
            return False
        self.backend.set_read_marker(casefold(account), casefold(target), time_ms)
        return True

    # -- push subscriptions (draft/webpush: server/webpush.py) -----------------------------
    def push_subscriptions(self, account: str) -> list[PushSubscription]:
        """The Web Push subscriptions of `account` (folded)."""
        return self.backend.push_subscriptions(account)

    def add_push_subscription(self, subscription: PushSubscription) -> None:
        self.backend.add_push_subscription(subscription)

    def remove_push_subscription(self, account: str, endpoint: str) -> None:
        self.backend.remove_push_subscription(account, endpoint)

    def nick_changed(self, server: Server, session: Session) -> None:
        check_nick(server, self, session)

    def due(self, server: Server, session: Session, what: str) -> None:
        """A timer of `session` that a cluster node saw due and put in the log (`enforce_nicks`
        asks `Server.sequencer.due`): every node acts on it here, at that entry."""
        kind, _, arg = what.partition(":")
        if kind == "nick":
            expire_nick(server, self, session, arg)

    def tick(self, server: Server) -> None:
        # deadlines and intervals on the monotonic clock; retention's cut-off is wall time
        now = server.monotonic()
        enforce_nicks(server, self, now)
        if not self._checkpointing and _due(self._next_checkpoint, now, CHECKPOINT_INTERVAL):
            self._next_checkpoint = now + CHECKPOINT_INTERVAL
            self._checkpointing = True
            server.offload(self.backend.checkpoint, self._checkpointed)
        if self.paused:
            if self._retry_at is None:
                self._paused_at, self._retry_at = now, now + STORAGE_RETRY_INTERVAL
            elif _due(self._retry_at, now, STORAGE_RETRY_INTERVAL):
                self._retry(now)
            return
        if self._retention is None and _due(self._next_retention, now, RETENTION_INTERVAL):
            self._next_retention = now + RETENTION_INTERVAL
            self._retention = self._retention_batches(server.clock())
            self._retention_removed = 0
        if self._retention is not None:
            self._retention_step(server)
        elif self.backend.scrub():  # one step, committed by this turn's flush, as retention
            server.tick_wanted(0.0)

    def commit(self) -> None:
        if self.paused:
            return  # retried from tick, not at every loop turn
        try:
            self.backend.commit()
        except StorageError as exc:
            self._pause(exc)
            return
        if self._senders:
            self._senders.clear()

    def close(self) -> None:
        waiting, dropped = self.backend.unsaved()
        try:
            self.backend.close()
        except StorageError as exc:
            log.error(
                "storage: %s; %d lines of history were not stored at shutdown",
                exc,
                waiting + dropped,
            )

    # -- outages ---------------------------------------------------------------------------
    def _pause(self, exc: StorageError) -> None:
        self.paused = True
        self._queue_full_logged = False
        self._retry_at = None
        waiting, _ = self.backend.unsaved()
        log.critical(
            "storage: %s; history is paused: chat goes on live, %d lines wait in memory and"
            " are written when storage works again; retrying every %g s",
            exc,
            waiting,
            STORAGE_RETRY_INTERVAL,
        )
        senders, self._senders = list(self._senders), weakref.WeakSet()
        for session in senders:
            self._tell_paused(session, "*", True)

    def _tell_paused(self, session: Session, command: str, kept: bool) -> None:
        if session in self._told or session.closed:
            return
        self._told.add(session)
        text = (
            "History is paused: the server cannot write to its storage. Messages are still"
            " delivered live"
            + (" and are kept in memory until storage works again" if kept else "")
            + ("" if kept else ", but are not being stored")
            + "."
        )
        _tell(session, command, "HISTORY_PAUSED", text)

    def _retry(self, now: float) -> None:
        waiting, dropped = self.backend.unsaved()
        try:
            self.backend.commit()
        except StorageError:
            self._retry_at = now + STORAGE_RETRY_INTERVAL
            return
        self.paused = False
        self._retry_at = None
        outage = now - (self._paused_at or now)
        self._paused_at = None
        log.warning(
            "storage: history resumed after about %d s: %d lines said meanwhile written, %d"
            " not stored (memory limit)",
            outage,
            waiting,
            dropped,
        )
        told, self._told = list(self._told), weakref.WeakSet()
        text = "History resumed: storage works again."
        if dropped:
            text += f" {dropped} lines said during the outage could not be kept."
        for session in told:
            if not session.closed:
                _tell(session, "*", "HISTORY_RESUMED", text)

    # -- history ---------------------------------------------------------------------------
    def _retention_batches(self, now: float) -> Iterator[int] | None:
        max_age = self.config.history_max_age_days
        before_ms = int((now - max_age * 86400) * 1000) if max_age > 0 else 0
        keep = self.config.history_max_messages
        if not before_ms and not keep:
            return None
        return self.backend.prune_batches(before_ms=before_ms, keep_per_key=keep)

    def _checkpointed(self, _: None) -> None:
        self._checkpointing = False

    @property
    def retention_running(self) -> bool:
        """A retention pass is under way (`tick` asks to be called again at once meanwhile)."""
        return self._retention is not None

    def _retention_step(self, server: Server) -> None:
        """One small batch of retention per tick, committed by the loop turn's flush; the next
        tick is asked for at once, so a long pass runs in small slices between other work."""
        assert self._retention is not None
        try:
            self._retention_removed += next(self._retention)
        except StopIteration:
            self._retention = None
            if self._retention_removed:
                log.info("retention: removed %d old messages", self._retention_removed)
            return
        server.tick_wanted(0.0)

    def apply_retention(self, now: float) -> int:
        """A whole retention pass at once (tests, tools); `tick` runs it in batches."""
        batches = self._retention_batches(now)
        removed = sum(batches) if batches is not None else 0
        if removed:
            log.info("retention: removed %d old messages", removed)
        return removed

    def history_behind(self) -> bool:
        """Did this command's history reads go ahead without some cluster node's commits? On a
        cluster node a read first waits for the other nodes' writes of earlier entries
        (`server/cluster/store.py: ClusterStore._settle`), at most a second; past that its
        answer may lack lines a client was told were delivered. Never on one server."""
        return bool(getattr(self.backend, "behind", False))

    def identity(self, user: User) -> str:
        """Who a party of a private conversation is: its account, else this user (who, with
        no account, is one connection)."""
        if user.account:
            return "a:" + casefold(user.account)
        token = self._connection_ids.get(user)
        if token is None:
            made = self.connection_token
            token = "c:" + (made(user) if made is not None else secrets.token_hex(12))
            self._connection_ids[user] = token
        return token

    def history_view(self, server: Server, session: Session, target: str) -> HistoryView | None:
        """What `session` may read of the conversation it means by `target` (None: nothing)."""
        if is_channel(target):
            channel = server.state.find_channel(target)
            return None if channel is None else self.channel_view(session, channel)
        me = self.identity(session.user)
        peer = self.peer_identity(server, target) or self.former_peer(me, target)
        if peer is None:
            return None
        return HistoryView(private_key(me, peer), events=EVENT_PLAYBACK in session.caps)

    def former_peer(self, me: str, nick: str) -> str | None:
        """The party of `me`'s conversation with whoever last used `nick`, when nobody holds it
        now and it is no account: a client without an account has no identity once it left,
        but CHATHISTORY TARGETS names that conversation by the nick (its latest), and a
        client must be able to read what TARGETS lists. `me`'s own conversation: the newest
        one with that nick."""
        folded = casefold(nick)
        best: tuple[Position, str] | None = None
        for conv in self.backend.conversations(me):
            if casefold(conv.other_nick(me)) != folded:
                continue
            pos = self.backend.last_position(conv.key)
            other = conv.party_b if conv.party_a == me else conv.party_a
            if pos is not None and (best is None or pos > best[0]):
                best = (pos, other)
        return None if best is None else best[1]

    def search_scope(
        self, server: Server, session: Session, target: str = ""
    ) -> tuple[dict[str, tuple[str, ...]], str] | None:
        """What SEARCH (soju.im/search) may look through for `session`: the scope and party of
        `Backend.search`. With a `target`, that one conversation, exactly as CHATHISTORY reads
        it (`history_view`; None: not readable, or no such thing); without, every channel it
        is in (`channel_view` of each) and all its own private conversations."""
        if target:
            view = self.history_view(server, session, target)
            return None if view is None else ({view.key: view.eras}, "")
        scope: dict[str, tuple[str, ...]] = {}
        for channel in session.channels.values():
            view = self.channel_view(session, channel)
            if view is not None:
                scope[view.key] = view.eras
        return scope, self.identity(session.user)

    def channel_view(self, session: Session, channel: Channel) -> HistoryView | None:
        """Who reads a channel's history, decided in one place (see the module docstring).

        Members read its open lines and the closed lines of this incarnation; nobody else reads
        anything. For a registered channel, whose incarnation lasts as long as its registration,
        `reads_closed` (set by ChanServ) decides whether a member reads the closed lines too.
        """
        if session.user in channel.members:
            closed_too = self.reads_closed is None or self.reads_closed(session, channel)
            eras = (channel.era,) if closed_too else ()
            return HistoryView(channel.folded, eras, EVENT_PLAYBACK in session.caps)
        return None

    def peer_identity(self, server: Server, nick: str) -> str | None:
        holder = server.state.find_nick(nick)
        if holder is not None and holder.registered:
            return self.identity(holder)
        account = self.backend.get_account(nick)
        if account is not None:
            return "a:" + casefold(account.name)
        return None


def _due(when: float, now: float, interval: float) -> bool:
    """A timer set `interval` ahead of some earlier `now` is due: the time came, or the (wall)
    clock stepped back by more than `interval`, which must not stop checkpoints, retries or
    retention for as long as the step."""
    return now >= when or when - now > interval


def _tell(session: Session, command: str, code: str, text: str) -> None:
    """A standard reply (WARN/NOTE) for clients that negotiated it, else a server NOTICE."""
    if "standard-replies" in session.caps:
        verb = "WARN" if code == "HISTORY_PAUSED" else "NOTE"
        session.send(Message(verb, (command, code, text), session.server.name))
    else:
        session.notice(text)


def private_key(a: str, b: str) -> str:
    return "p:" + " ".join(sorted((a, b)))


def is_closed(channel: Channel) -> bool:
    """Not everyone may walk in (+s, +i or +k): what is said there is for its members."""
    return bool(channel.key) or "s" in channel.modes or "i" in channel.modes


def persistence_of(server: Server) -> Persistence | None:
    """The server's persistence, when it has one (commands that need accounts or history)."""
    storage = server.storage
    return storage if isinstance(storage, Persistence) else None
