"""ChanServ: registered channels, as a pseudo-user beside NickServ (`/msg ChanServ`, `CS`).

    /msg ChanServ REGISTER <#channel> [description]   you must be logged in and its operator
    /msg ChanServ DROP <#channel> [code]              the founder; the code confirms
    /msg ChanServ INFO <#channel>
    /msg ChanServ OP|DEOP|VOICE|DEVOICE <#channel> [nick]
    /msg ChanServ AMODE <#channel> [+o|-o|+v|-v <account>]
    /msg ChanServ ACCESS <#channel> LIST | ADD <account> <op|voice> | DEL <account>
    /msg ChanServ SET <#channel> DESCRIPTION <text> | TOPICLOCK <on|off> | GUARD <on|off>
    /msg ChanServ TRANSFER <#channel> <account> [code] | TRANSFER ACCEPT <#channel>

Why a registered channel is different (ergo's behaviour):

* It keeps its topic (with setter and time), flag modes, key, limit and +b/+e/+I lists while
  empty and across restarts. They live in the `Channel` while it exists, and every change is
  copied into its `RegisteredChannel` record and queued for storage (`Backend.save_channel`),
  written by the loop turn's group commit, never by a commit of its own. When someone joins the
  empty channel again it is rebuilt from that record (`restore`) before the JOIN is checked, so
  its key, +i, limit and bans apply to the first joiner too.
* Who gets which mode is decided by its access list (by account), not by who came first: the
  founder and accounts with AMODE +o get operator status on every join, +v accounts voice, and
  the first joiner of an empty registered channel gets nothing else. Access-list accounts also
  get past its key, limit, +i and bans (as ergo's AMODE holders do).
* History: a registered channel has one incarnation (`Channel.era`) for its whole registered
  life, kept in its record, so lines said while it was closed (+s/+i/+k) stay readable by its
  members after it empties and after a restart, and by nobody else (`Persistence.channel_view`
  decides from the era and membership; `restore` gives the rebuilt channel its era back).
  Dropping the registration ends that incarnation: the channel gets a fresh era at once.
* GUARD: ChanServ holds the channel (`Channel.guarded`, shown as @ChanServ in NAMES), so it
  never empties: it stays listed, with its invites, and is recreated at start (`start`).

The records are keyed by folded name in a `Registry` per `Persistence` (read from storage once);
pending TRANSFERs and the REGISTER throttle are in memory only (a restart forgets them).
Register, drop, transfer and access-list changes are written to the audit log
(`server/audit.py`). ChanServ exists only when the server has storage.
"""

from __future__ import annotations

import hashlib
import secrets
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold, is_channel
from socketchat.irc.message import Message
from socketchat.irc.servertime import format_time
from socketchat.server.audit import audit
from socketchat.server.persistence import Persistence, is_closed, persistence_of
from socketchat.server.state import Ban
from socketchat.storage.base import ChannelAccess, MaskEntry, RegisteredChannel

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel
    from socketchat.server.user import User
    from socketchat.storage.base import Backend

CHANSERV = "ChanServ"
CHANSERV_PREFIX = "ChanServ!ChanServ@services."
_FOLDED = casefold(CHANSERV)

MAX_ACCESS = 100  # access-list entries per channel
MAX_DESCRIPTION = 300
TRANSFER_SECONDS = 3600.0  # a TRANSFER offer waits this long (monotonic clock) for ACCEPT
_LEVEL_NAMES = {"o": "op", "v": "voice"}


class Registry:
    """The registered channels of one server, by folded name: in memory, read from storage
    once, every change queued to storage at once (written at the next commit)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.records = {casefold(r.name): r for r in backend.registered_channels()}
        # folded channel -> (folded account offered it, monotonic deadline)
        self.transfers: dict[str, tuple[str, float]] = {}
        self.registered_times: dict[str, deque[float]] = {}  # folded account -> REGISTERs

    def get(self, name: str) -> RegisteredChannel | None:
        return self.records.get(casefold(name))

    def reads_closed(self, session: Session, channel: Channel) -> bool:
        """Does member `session` read what `channel` said while closed (+s/+i/+k)?

        An unregistered channel: yes (its incarnation ends when it empties). A registered one
        keeps its incarnation for good, so an operator who opens it (-i, -k) must not open its
        past to whoever walks in then: its closed lines are read while it is still closed
        (everyone in it was let in by its rules), and always by its access list."""
        record = self.get(channel.name)
        return record is None or is_closed(channel) or level(record, session.account) != ""

    def put(self, record: RegisteredChannel) -> None:
        self.records[casefold(record.name)] = record
        self.backend.save_channel(record)

    def drop(self, name: str) -> None:
        self.records.pop(casefold(name), None)
        self.transfers.pop(casefold(name), None)
        self.backend.drop_channel(name)

    def founded_by(self, account: str) -> list[RegisteredChannel]:
        folded = casefold(account)
        return [r for r in self.records.values() if casefold(r.founder) == folded]


_registries: weakref.WeakKeyDictionary[Persistence, Registry] = weakref.WeakKeyDictionary()


def registry_of(server: Server) -> Registry | None:
    """The server's registered channels (None without storage: no ChanServ then)."""
    p = persistence_of(server)
    if p is None:
        return None
    registry = _registries.get(p)
    if registry is None:
        registry = _registries[p] = Registry(p.backend)
        p.reads_closed = registry.reads_closed  # (before any channel exists: JOIN asks here)
    return registry


def start(server: Server) -> None:
    """At start: read the registrations, and recreate the channels ChanServ guards."""
    registry = registry_of(server)
    if registry is None:
        return
    for record in list(registry.records.values()):
        if record.guard and server.state.find_channel(record.name) is None:
            channel = server.state.create_channel(record.name, server.clock())
            restore(server, channel)


# -- the state a registered channel keeps ---------------------------------------------------
def registration(server: Server, channel: Channel) -> RegisteredChannel | None:
    registry = registry_of(server)
    return None if registry is None else registry.get(channel.name)


def restore(server: Server, channel: Channel) -> bool:
    """`channel` was just created: if it is registered, it comes back as it was kept (topic,
    modes, key, limit, lists, incarnation, guard). False if it is not registered."""
    record = registration(server, channel)
    if record is None:
        return False
    channel.created = record.created or record.registered_at
    channel.era = record.era
    channel.topic, channel.topic_setter = record.topic, record.topic_setter
    channel.topic_time = record.topic_time
    channel.modes = set(record.modes)
    channel.key = record.key or None
    channel.limit = record.limit
    for entry in record.masks:
        channel.mask_list(entry.mode).append(Ban(entry.mask, entry.setter, entry.set_at))
    channel.guarded = record.guard
    return True


def _snapshot(record: RegisteredChannel, channel: Channel) -> RegisteredChannel:
    masks = tuple(
        MaskEntry(mode, ban.mask, ban.setter, ban.set_at)
        for mode in "beI"
        for ban in channel.mask_list(mode)
    )
    return replace(
        record,
        name=channel.name,
        topic=channel.topic,
        topic_setter=channel.topic_setter,
        topic_time=channel.topic_time,
        modes="".join(sorted(channel.modes)),
        key=channel.key or "",
        limit=channel.limit,
        masks=masks,
    )


def changed(server: Server, channel: Channel) -> None:
    """`channel`'s topic, modes or lists changed (MODE, TOPIC): a registered one keeps them."""
    registry = registry_of(server)
    if registry is None:
        return
    record = registry.get(channel.name)
    if record is not None:
        registry.put(_snapshot(record, channel))


# -- who gets what --------------------------------------------------------------------------
def level(record: RegisteredChannel, account: str | None) -> str:
    """The access of `account`: "founder", "o", "v", or "" (none)."""
    if not account:
        return ""
    folded = casefold(account)
    if casefold(record.founder) == folded:
        return "founder"
    for entry in record.access:
        if casefold(entry.account) == folded:
            return entry.mode
    return ""


def _is_chanop_level(record: RegisteredChannel, account: str | None) -> bool:
    return level(record, account) in ("founder", "o")


def creator_modes(server: Server, channel: Channel) -> str:
    """The modes the first joiner of a just-created `channel` gets: operator, unless it is
    registered (then its access list decides, in `joined`)."""
    return "" if registration(server, channel) is not None else "o"


def may_bypass(server: Server, channel: Channel, s: Session) -> bool:
    """Access-list accounts join past the key, the limit, +i and bans (ergo's AMODE holders)."""
    record = registration(server, channel)
    return record is not None and level(record, s.account) != ""


def joined(server: Server, s: Session, channel: Channel) -> None:
    """`s` has just joined `channel`: its access-list modes, set by ChanServ for all to see."""
    record = registration(server, channel)
    if record is None:
        return
    wanted = level(record, s.account)
    mode = "o" if wanted in ("founder", "o") else wanted
    if mode:
        _set_member_modes(server, s, channel, [(True, mode, s.user)])


def topic_refusal(server: Server, channel: Channel, s: Session) -> str | None:
    """Why `s` may not set `channel`'s topic although MODE would allow it (TOPICLOCK)."""
    record = registration(server, channel)
    if record is None or not record.topic_lock or _is_chanop_level(record, s.account):
        return None
    return f"The topic of {channel.name} is locked by ChanServ"


def is_registered_name(server: Server, name: str) -> bool:
    """Is `name` a registered channel (RENAME may neither move one nor take its name)?"""
    registry = registry_of(server)
    return registry is not None and registry.get(name) is not None


def names_entries(channel: Channel, *, multi: bool, full: bool) -> list[str]:
    """ChanServ in NAMES while it guards `channel`."""
    if not channel.guarded:
        return []
    return ["@" + (CHANSERV_PREFIX if full else CHANSERV)]


# -- the pseudo-user ------------------------------------------------------------------------
def is_chanserv(server: Server, nick: str) -> bool:
    return casefold(nick) == _FOLDED and persistence_of(server) is not None


def notice(server: Server, s: Session, text: str) -> None:
    s.send(Message("NOTICE", (s.nick, text), CHANSERV_PREFIX, {"time": server.now_tag()}))


def receive(server: Server, s: Session, msg: Message, target: str) -> bool:
    """A PRIVMSG/NOTICE to `target`: True if it was for ChanServ (NOTICEs are never answered)."""
    if not is_chanserv(server, target):
        return False
    if msg.command == "PRIVMSG":
        run(server, s, msg.param(1))
    return True


def handle_cs(server: Server, s: Session, m: Message) -> None:
    """The `CS <command> ...` and `CHANSERV <command> ...` shortcuts (as ergo's)."""
    if registry_of(server) is None:
        s.numeric(rpl.ERR_UNKNOWNCOMMAND, m.command, "Unknown command")
        return
    run(server, s, " ".join(m.params))


def whois(server: Server, s: Session) -> None:
    s.numeric(rpl.RPL_WHOISUSER, CHANSERV, CHANSERV, "services.", "*", "Channel services")
    s.numeric(rpl.RPL_WHOISSERVER, CHANSERV, server.name, "Channel services")


def run(server: Server, s: Session, text: str) -> None:
    registry = registry_of(server)
    if registry is None:
        return
    words = text.split()
    command = words[0].upper() if words else "HELP"
    command = _ALIASES.get(command, command)
    entry = _COMMANDS.get(command)
    if entry is None:
        notice(server, s, f"Unknown command {command}. Try: /msg ChanServ HELP")
        return
    handler, _syntax, _text = entry
    handler(server, registry, s, words[1:])


# -- commands -------------------------------------------------------------------------------
Handler = Callable[["Server", Registry, "Session", list[str]], None]


def _usage(server: Server, s: Session, command: str) -> None:
    notice(server, s, f"Usage: {_COMMANDS[command][1]}")


def _lookup(
    server: Server, registry: Registry, s: Session, name: str
) -> tuple[RegisteredChannel | None, Channel | None]:
    """The registration of `name` and the live channel, if any; tells `s` when it is not
    registered. A +s channel reads as unregistered to whoever is neither in it nor on its
    access list (nothing about a secret channel is answered to outsiders)."""
    record = registry.get(name)
    channel = server.state.find_channel(name)
    hidden = (
        record is not None
        and "s" in record.modes
        and not (channel is not None and s.user in channel.members)
        and not level(record, s.account)
        and "o" not in s.modes
    )
    if record is None or hidden:
        notice(server, s, f"Channel {name} is not registered.")
        return None, channel
    return record, channel


def _help(server: Server, registry: Registry, s: Session, args: list[str]) -> None:
    if args:
        command = _ALIASES.get(args[0].upper(), args[0].upper())
        entry = _COMMANDS.get(command)
        if entry is None:
            notice(server, s, f"No help for {args[0]}. Try: /msg ChanServ HELP")
            return
        notice(server, s, f"Syntax: {entry[1]}")
        for line in entry[2].splitlines():
            notice(server, s, line)
        return
    notice(server, s, "ChanServ registers channels: they keep their topic, modes and bans")
    notice(server, s, "while empty and across restarts, and give their people their modes.")
    for _handler, syntax, _text in _COMMANDS.values():
        notice(server, s, syntax)
    notice(
        server, s, "HELP <command> tells more. Clients may also send the commands CS or CHANSERV."
    )


def _register(server: Server, registry: Registry, s: Session, args: list[str]) -> None:
    if not args or not is_channel(args[0]):
        _usage(server, s, "REGISTER")
        return
    if not s.account:
        notice(server, s, "You must be logged in to an account to register a channel.")
        return
    channel = server.state.find_channel(args[0])
    if channel is None or s.user not in channel.members:
        notice(server, s, f"You must be in {args[0]} to register it.")
        return
    if registry.get(channel.name) is not None:
        notice(server, s, f"Channel {channel.name} is already registered.")
        return
    if not channel.is_op(s.user):
        notice(server, s, f"You must be an operator of {channel.name} to register it.")
        return
    p = persistence_of(server)
    if p is not None and p.paused:  # a registration now could vanish at a restart
        notice(server, s, "Channels cannot be registered until storage works again.")
        return
    limits = server.config.limits
    most = limits.registered_channels_per_account
    if most and len(registry.founded_by(s.account)) >= most:
        notice(
            server,
            s,
            f"You have already registered {most} channels, the most one account may; "
            "drop one with /msg ChanServ DROP first.",
        )
        return
    per_hour = limits.channel_registrations_per_hour
    now = server.monotonic()
    times = registry.registered_times.setdefault(casefold(s.account), deque())
    while times and times[0] <= now - 3600:
        times.popleft()
    if per_hour and len(times) >= per_hour:
        notice(server, s, "You have registered too many channels recently; try again later.")
        return
    times.append(now)
    description = " ".join(args[1:])[:MAX_DESCRIPTION]
    record = RegisteredChannel(
        channel.name,
        s.account,
        server.clock(),
        channel.era,  # this incarnation becomes the channel's for good
        created=channel.created,
        description=description,
    )
    registry.put(_snapshot(record, channel))
    audit(
        "channel_registered",
        f"channel {channel.name} registered by {s.nick} (account {s.account})",
        channel=channel.name,
        account=s.account,
        actor=s.nick,
    )
    notice(server, s, f"Channel {channel.name} successfully registered to {s.account}.")


def confirmation_code(record: RegisteredChannel, *context: str) -> str:
    """A code that confirms DROP or TRANSFER: the same for the same channel registration (and
    target), unguessable for other registrations (it includes the channel's era)."""
    text = "\0".join((casefold(record.name), record.era, repr(record.registered_at), *context))
    return str(int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % 10**8).zfill(8)


def _founder_or_oper(server: Server, record: RegisteredChannel, s: Session) -> bool:
    if level(record, s.account) == "founder" or "o" in s.modes:
        return True
    notice(server, s, f"Only the founder of {record.name} may do that.")
    return False


def _drop(server: Server, registry: Registry, s: Session, args: list[str]) -> None:
    if not args or len(args) > 2:
        _usage(server, s, "DROP")
        return
    record, channel = _lookup(server, registry, s, args[0])
    if record is None or not _founder_or_oper(server, record, s):
        return
    code = confirmation_code(record, "drop")
    if len(args) < 2 or args[1] != code:
        if len(args) == 2:
            notice(server, s, "That confirmation code is wrong.")
        notice(
            server, s, f"Dropping {record.name} forgets its founder, access list and kept state."
        )
        notice(server, s, f"To confirm, type: /msg ChanServ DROP {record.name} {code}")
        return
    registry.drop(record.name)
    if channel is not None:
        # its registered incarnation ends here (a cluster node takes the id the others do)
        new_era = server.state.new_era
        channel.era = new_era() if new_era is not None else secrets.token_hex(8)
        if channel.guarded:
            _unguard(server, channel)
    audit(
        "channel_dropped",
        f"channel {record.name} dropped by {s.nick} (account {s.account or '*'})",
        channel=record.name,
        founder=record.founder,
        actor=s.nick,
    )
    notice(server, s, f"Channel {record.name} is no longer registered.")


def _info(server: Server, registry: Registry, s: Session, args: list[str]) -> None:
    if len(args) != 1:
        _usage(server, s, "INFO")
        return
    record, _channel = _lookup(server, registry, s, args[0])
    if record is None:
        return
    notice(server, s, f"Channel {record.name} is registered.")
    notice(server, s, f"Founder: {record.founder}")
    notice(server, s, f"Registered: {format_time(record.registered_at)}")
    if record.description:
        notice(server, s, f"Description: {record.description}")
    flags = [f for f, on in (("TOPICLOCK", record.topic_lock), ("GUARD", record.guard)) if on]
    notice(server, s, f"Settings: {', '.join(flags) if flags else 'none'}")
    notice(server, s, f"Access list: {len(record.access)} account(s)")


def _set_member_modes(
    server: Server,
    s: Session,
    channel: Channel,
    changes: list[tuple[bool, str, User]],
) -> None:
    """Give or take member modes as ChanServ: one MODE line to the channel (and history)."""
    applied = [
        (adding, mode, who)
        for adding, mode, who in changes
        if who in channel.members and channel.has_mode(who, mode) != adding
    ]
    if not applied:
        return
    letters, params, sign = "", [], ""
    for adding, mode, who in applied:
        channel.set_member_mode(who, mode, adding)
        want = "+" if adding else "-"
        letters += ("" if want == sign else want) + mode
        sign = want
        params.append(who.nick)
    tags = {"time": server.now_tag(), "msgid": server.next_msgid()}
    msg = Message("MODE", (channel.name, letters, *params), CHANSERV_PREFIX, tags)
    server.fanout(msg, list(channel.members))
    if server.storage is not None:
        server.storage.store_event(msg, channel, s.user)


def _member_command(mode: str, adding: bool) -> Handler:
    """OP, DEOP, VOICE, DEVOICE: `#channel [nick]` (yourself by default)."""
    command = {("o", True): "OP", ("o", False): "DEOP", ("v", True): "VOICE"}.get(
        (mode, adding), "DEVOICE"
    )

    def handler(server: Server, registry: Registry, s: Session, args: list[str]) -> None:
        if not args or len(args) > 2:
            _usage(server, s, command)
            return
        if not s.account and "o" not in s.modes:
            notice(server, s, "You must be logged in to an account to do that.")
            return
        record, channel = _lookup(server, registry, s, args[0])
        if record is None:
            return
        target = server.state.find_nick(args[1]) if len(args) > 1 else s.user
        if channel is None or target is None or target not in channel.members:
            notice(server, s, f"{args[1] if len(args) > 1 else s.nick} is not in {record.name}.")
            return
        mine = level(record, s.account)
        allowed = (
            "o" in s.modes
            or mine in ("founder", "o")
            or (target is s.user and not adding)  # anyone may step down
            or (target is s.user and mode == "v" and mine == "v")
        )
        if not allowed:
            notice(server, s, f"You do not have access to do that in {record.name}.")
            return
        _set_member_modes(server, s, channel, [(adding, mode, target)])
        done = "given" if adding else "taken from"
        notice(server, s, f"+{mode} {done} {target.nick} in {record.name}.")

    return handler


def _change_access(
    server: Server,
    registry: Registry,
    s: Session,
    record: RegisteredChannel,
    account_name: str,
    mode: str | None,
) -> None:
    """Set (`mode` "o"/"v") or remove (None) `account_name`'s entry; members logged in to it
    get or lose the mode at once."""
    p = persistence_of(server)
    account = p.backend.get_account(account_name) if p is not None else None
    if account is None:
        notice(server, s, f"There is no account {account_name}.")
        return
    if casefold(account.name) == casefold(record.founder):
        notice(server, s, f"{account.name} is the founder of {record.name}: always an operator.")
        return
    mine = level(record, s.account)
    current = level(record, account.name)
    touches_op = mode == "o" or current == "o"
    if not ("o" in s.modes or mine == "founder" or (mine == "o" and not touches_op)):
        why = "Only the founder may change operators" if mine == "o" else "You may not do that"
        notice(server, s, f"{why} in {record.name}'s access list.")
        return
    others = tuple(a for a in record.access if casefold(a.account) != casefold(account.name))
    if mode is None:
        if not current:
            notice(server, s, f"{account.name} is not on {record.name}'s access list.")
            return
        updated = replace(record, access=others)
    else:
        if current == mode:
            notice(server, s, f"{account.name} already has +{mode} in {record.name}.")
            return
        if not current and len(record.access) >= MAX_ACCESS:
            notice(server, s, f"{record.name}'s access list is full ({MAX_ACCESS} entries).")
            return
        entry = ChannelAccess(account.name, mode, s.account or s.nick, server.clock())
        updated = replace(record, access=(*others, entry))
    registry.put(updated)
    audit(
        "channel_access",
        f"{record.name}: {account.name} "
        + (f"given +{mode}" if mode else f"removed (was +{current})")
        + f" by {s.nick}",
        channel=record.name,
        account=account.name,
        mode=mode or "",
        previous=current,
        actor=s.nick,
    )
    channel = server.state.find_channel(record.name)
    if channel is not None:
        changes = []
        for member in channel.members:
            if member.account and casefold(member.account) == casefold(account.name):
                if current and current != mode:
                    changes.append((False, current, member))
                if mode:
                    changes.append((True, mode, member))
        _set_member_modes(server, s, channel, changes)
    if mode:
        notice(server, s, f"{account.name} now gets +{mode} in {record.name}.")
    else:
        notice(server, s, f"{account.name} was removed from {record.name}'s access list.")


def _list_access(server: Server, s: Session, record: RegisteredChannel) -> None:
    notice(server, s, f"Access list of {record.name} ({len(record.access) + 1} entries):")
    notice(server, s, f"{record.founder} founder")
    for entry in record.access:
        when = format_time(entry.set_at)
        notice(server, s, f"{entry.account} {_LEVEL_NAMES[entry.mode]} (by {entry.set_by}, {when})")
    notice(server, s, "End of the access list.")


def _amode(server: Server, registry: Registry, s: Session, args: list[str]) -> None:
    if not args or len(args) == 2 or len(args) > 3:
        _usage(server, s, "AMODE")
        return
    record, _channel = _lookup(server, registry, s, args[0])
    if record is None:
        return
    if len(args) == 1:
        _list_access(server, s, record)
        return
    change = args[1]
    if len(change) != 2 or change[0] not in "+-" or change[1] not in "ov":
        notice(server, s, "AMODE takes one change: +o, -o, +v or -v, then an account.")
        return
    if change[0] == "-" and level(record, args[2]) != change[1]:
        notice(server, s, f"{args[2]} does not have +{change[1]} in {record.name}.")
        return
    _change_access(server, registry, s, record, args[2], change[1] if change[0] == "+" else None)


def _access(server: Server, registry: Registry, s: Session, args: list[str]) -> None:
    sub = args[1].upper() if len(args) > 1 else "LIST"
    shapes = {"LIST": (1, 2), "ADD": (4,), "DEL": (3,)}
    if not args or sub not in shapes or len(args) not in shapes[sub]:
        _usage(server, s, "ACCESS")
        return
    record, _channel = _lookup(server, registry, s, args[0])
    if record is None:
        return
    if sub == "LIST":
        _list_access(server, s, record)
    elif sub == "DEL":
        _change_access(server, registry, s, record, args[2], None)
    else:
        levels = {"OP": "o", "VOICE": "v", "+O": "o", "+V": "v"}
        mode = levels.get(args[3].upper())
        if mode is None:
            notice(server, s, "The level is op or voice.")
            return
        _change_access(server, registry, s, record, args[2], mode)


def _on_off(value: str) -> bool | None:
    return {"ON": True, "OFF": False}.get(value.upper())


def _set(server: Server, registry: Registry, s: Session, args: list[str]) -> None:
    if len(args) < 3:
        _usage(server, s, "SET")
        return
    record, channel = _lookup(server, registry, s, args[0])
    if record is None:
        return
    if not ("o" in s.modes or _is_chanop_level(record, s.account)):
        notice(server, s, f"You do not have access to change {record.name}'s settings.")
        return
    setting = args[1].upper()
    if setting in ("DESCRIPTION", "DESC"):
        text = " ".join(args[2:])[:MAX_DESCRIPTION]
        registry.put(replace(record, description="" if text == "-" else text))
        notice(server, s, f"The description of {record.name} is set.")
        return
    if setting not in ("TOPICLOCK", "GUARD") or len(args) != 3 or _on_off(args[2]) is None:
        _usage(server, s, "SET")
        return
    on = bool(_on_off(args[2]))
    if setting == "TOPICLOCK":
        registry.put(replace(record, topic_lock=on))
        state = "locked: only its founder and operators on its access list may change it"
        notice(server, s, f"The topic of {record.name} is {state if on else 'unlocked'}.")
        return
    registry.put(replace(record, guard=on))
    if on:
        if channel is None:
            channel = server.state.create_channel(record.name, server.clock())
            restore(server, channel)
        if not channel.guarded:
            _guard(server, channel)
        notice(server, s, f"ChanServ now holds {record.name}: it stays open when everyone leaves.")
    else:
        if channel is not None and channel.guarded:
            _unguard(server, channel)
        notice(server, s, f"ChanServ no longer holds {record.name}.")


def _guard(server: Server, channel: Channel) -> None:
    channel.guarded = True
    tags = {"time": server.now_tag()}
    members = list(channel.members)
    server.fanout(Message("JOIN", (channel.name,), CHANSERV_PREFIX, tags), members)
    mode = Message("MODE", (channel.name, "+o", CHANSERV), server.name, tags)
    server.fanout(mode, members)


def _unguard(server: Server, channel: Channel) -> None:
    channel.guarded = False
    tags = {"time": server.now_tag()}
    server.fanout(Message("PART", (channel.name,), CHANSERV_PREFIX, tags), list(channel.members))
    server.state.drop_channel_if_empty(channel)


def _transfer(server: Server, registry: Registry, s: Session, args: list[str]) -> None:
    if len(args) == 2 and args[0].upper() == "ACCEPT":
        _accept(server, registry, s, args[1])
        return
    if len(args) not in (2, 3):
        _usage(server, s, "TRANSFER")
        return
    record, _channel = _lookup(server, registry, s, args[0])
    if record is None or not _founder_or_oper(server, record, s):
        return
    p = persistence_of(server)
    account = p.backend.get_account(args[1]) if p is not None else None
    if account is None:
        notice(server, s, f"There is no account {args[1]}.")
        return
    folded = casefold(record.name)
    if casefold(account.name) == casefold(record.founder):
        if registry.transfers.pop(folded, None) is not None:
            notice(server, s, f"The pending transfer of {record.name} is cancelled.")
        else:
            notice(server, s, f"{account.name} already owns {record.name}.")
        return
    code = confirmation_code(record, "transfer", casefold(account.name))
    if len(args) < 3 or args[2] != code:
        if len(args) == 3:
            notice(server, s, "That confirmation code is wrong.")
        notice(server, s, f"You are about to give {record.name} to {account.name}.")
        notice(
            server,
            s,
            f"To confirm, type: /msg ChanServ TRANSFER {record.name} {account.name} {code}",
        )
        return
    registry.transfers[folded] = (casefold(account.name), server.monotonic() + TRANSFER_SECONDS)
    audit(
        "channel_transfer_offered",
        f"channel {record.name} offered by {s.nick} (account {s.account or '*'}) to {account.name}",
        channel=record.name,
        founder=record.founder,
        account=account.name,
        actor=s.nick,
    )
    notice(
        server,
        s,
        f"{record.name} is offered to {account.name}; it is theirs once they accept"
        " (within an hour).",
    )
    offer = (
        f"{s.nick} offers you the channel {record.name}. To accept: "
        f"/msg ChanServ TRANSFER ACCEPT {record.name}"
    )
    for other in server.state.sessions_of(account.name):
        notice(server, other, offer)


def _accept(server: Server, registry: Registry, s: Session, name: str) -> None:
    record = registry.get(name)
    pending = registry.transfers.get(casefold(name))
    if (
        record is None
        or pending is None
        or not s.account
        or pending[0] != casefold(s.account)
        or server.monotonic() > pending[1]
    ):
        notice(server, s, f"Nobody offered you {name}.")
        return
    del registry.transfers[casefold(name)]
    old = record.founder
    others = tuple(a for a in record.access if casefold(a.account) != casefold(s.account))
    # the old founder stays an operator on the access list: they gave it away, not their seat
    keep = ChannelAccess(old, "o", s.account, server.clock())
    registry.put(replace(record, founder=s.account, access=(*others, keep)[:MAX_ACCESS]))
    audit(
        "channel_transferred",
        f"channel {record.name} transferred from {old} to {s.account}",
        channel=record.name,
        founder=s.account,
        previous=old,
        actor=s.nick,
    )
    notice(server, s, f"You are now the founder of {record.name}.")
    for other in server.state.sessions_of(old):
        notice(server, other, f"{s.account} accepted {record.name}: they are its founder now.")


_COMMANDS: dict[str, tuple[Handler, str, str]] = {
    "HELP": (_help, "HELP [command]", "Lists ChanServ's commands, or tells more about one."),
    "REGISTER": (
        _register,
        "REGISTER <#channel> [description]",
        "Registers a channel you are in and an operator of, to the account you are logged in"
        " to.\nIts topic, modes, key, limit and bans are kept while it is empty and across"
        " restarts;\nyou get operator status whenever you join, and nobody else takes it by"
        " joining first.",
    ),
    "DROP": (
        _drop,
        "DROP <#channel> [code]",
        "Forgets a registration (the founder only). Without the code it tells you the code"
        " that confirms it.",
    ),
    "INFO": (_info, "INFO <#channel>", "Who founded a registered channel, when, its settings."),
    "OP": (
        _member_command("o", True),
        "OP <#channel> [nick]",
        "Makes you (or nick) an operator: the founder and access-list operators may.",
    ),
    "DEOP": (
        _member_command("o", False),
        "DEOP <#channel> [nick]",
        "Takes operator status from you (or from nick: the founder and operators may).",
    ),
    "VOICE": (
        _member_command("v", True),
        "VOICE <#channel> [nick]",
        "Gives you (with voice access) or nick (the founder and operators may) voice.",
    ),
    "DEVOICE": (
        _member_command("v", False),
        "DEVOICE <#channel> [nick]",
        "Takes voice from you (or from nick: the founder and operators may).",
    ),
    "AMODE": (
        _amode,
        "AMODE <#channel> [+o|-o|+v|-v <account>]",
        "Lists the access list, or changes it: +o accounts get operator status and +v voice"
        " each time they join.\nThe founder changes operators; operators may change voices."
        " Accounts, not nicks.",
    ),
    "ACCESS": (
        _access,
        "ACCESS <#channel> LIST | ADD <account> <op|voice> | DEL <account>",
        "The access list again, in words (the same list as AMODE).",
    ),
    "SET": (
        _set,
        "SET <#channel> DESCRIPTION <text> | TOPICLOCK <on|off> | GUARD <on|off>",
        "DESCRIPTION: shown by INFO (- clears it).\nTOPICLOCK on: only the founder and"
        " access-list operators may change the topic.\nGUARD on: ChanServ stays in the channel,"
        " so it never empties (it stays listed, with its invites).",
    ),
    "TRANSFER": (
        _transfer,
        "TRANSFER <#channel> <account> [code] | TRANSFER ACCEPT <#channel>",
        "Gives a channel to another account (the founder only): without the code it tells the"
        " code that confirms it;\nthen the other account accepts with TRANSFER ACCEPT within an"
        " hour. The old founder stays an operator.\nTransferring to yourself cancels an offer.",
    ),
}
_ALIASES = {"UNREGISTER": "DROP"}
