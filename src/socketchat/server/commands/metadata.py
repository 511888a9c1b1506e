"""METADATA (IRCv3 draft/metadata-3): key/value metadata on users and channels.

    METADATA <target> GET <key>...     a `metadata` batch: 761 per set key, 766 per unset one
    METADATA <target> LIST             a `metadata` batch of 761s
    METADATA <target> SET <key> [value]   761 with the new value, or 766 when it was removed
    METADATA <target> CLEAR            a `metadata` batch of 766s, one per removed key
    METADATA * SUB|UNSUB <key>...      770/771; SUBS lists them (772)
    METADATA <target> SYNC             a `metadata` batch of the subscribed keys (a channel's
                                       members' too)

`*` is oneself. A user sets only its own keys, a channel's operators its keys. Anyone may read a
user's keys; a channel's keys are read by its members and, for a channel anyone may walk into
(not +s, +i or +k), by everyone; a +s channel is as missing. Whoever subscribed to a key hears
(761, or 766 when it goes) when it changes on a user it shares a channel with or on a channel it
is in, and on JOIN gets the channel's and its members' subscribed keys. The setter gets only its
reply. Values are UTF-8 (an invalid line is refused by the framer: `FAIL METADATA INVALID_UTF8`),
at most `MAX_VALUE_BYTES`. Everything is kept in `ChatState`, and goes with the user or channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import is_channel
from socketchat.irc.message import Message
from socketchat.server.commands.visibility import is_hidden_from
from socketchat.server.persistence import persistence_of

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel
    from socketchat.server.user import User

CAP = "draft/metadata-3"
MAX_SUBS = 50
MAX_KEYS = 20
MAX_VALUE_BYTES = 300
CAP_VALUE = (
    f"before-connect,max-subs={MAX_SUBS},max-keys={MAX_KEYS},max-value-bytes={MAX_VALUE_BYTES}"
)
_KEY = re.compile(r"[a-z0-9_.:-]+")


def valid_key(key: str) -> bool:
    return bool(_KEY.fullmatch(key)) and not key.startswith(":")


def handle_metadata(server: Server, s: Session, m: Message) -> None:
    if not s.registered and (CAP not in s.caps or m.param(0) != "*"):
        # before-connect: a client with the capability may set up its own keys (and its
        # subscriptions) while registering; nothing else exists for it yet
        s.numeric(rpl.ERR_NOTREGISTERED, "You have not registered")
        return
    if len(m.params) < 2:
        s.fail("METADATA", "NEED_MORE_PARAMS", "Missing parameters")
        return
    target_name, sub, args = m.params[0], m.params[1].upper(), list(m.params[2:])
    if sub in ("SUB", "UNSUB", "SUBS"):
        _subscriptions(server, s, sub, args)
        return
    shown = s.nick if target_name == "*" else target_name
    target = _find(server, s, target_name)
    if target is None:
        s.fail("METADATA", "INVALID_TARGET", "Invalid target", target_name)
        return
    if sub == "GET":
        if not args:
            s.fail("METADATA", "NEED_MORE_PARAMS", "Missing parameters")
            return
        lines = [_get_line(server, s, target, shown, key.lower()) for key in args]
        s.send_batch("metadata", (), lines)
    elif sub == "LIST":
        if not _may_read(s, target):
            s.fail("METADATA", "KEY_NO_PERMISSION", "You may not read that", shown, "*")
            return
        s.send_batch(
            "metadata", (), [_keyvalue(server, s, shown, k, v) for k, v in _items(server, target)]
        )
    elif sub == "SET":
        _set(server, s, target, shown, args)
    elif sub == "CLEAR":
        if not _may_write(s, target):
            s.fail("METADATA", "KEY_NO_PERMISSION", "You may not change that", shown, "*")
            return
        removed = list(_items(server, target))
        server.state.metadata_clear(target)
        for key, _ in removed:
            _keep(server, target, key, None)
        s.send_batch("metadata", (), [_keynotset(server, s, shown, k) for k, _ in removed])
        for key, _ in removed:
            _notify(server, s, target, shown, key, None)
    elif sub == "SYNC":
        if not _may_read(s, target):
            s.fail("METADATA", "KEY_NO_PERMISSION", "You may not read that", shown, "*")
            return
        s.send_batch("metadata", (), _sync_lines(server, s, target))
    else:
        s.fail("METADATA", "SUBCOMMAND_INVALID", "Unknown subcommand", sub)


def send_on_registration(server: Server, s: Session) -> None:
    """After the welcome: a client with the capability gets its own keys (set before connecting)
    in a `metadata` batch naming it."""
    if CAP not in s.caps or "batch" not in s.caps:
        return
    items = server.state.metadata_items(s.user)
    s.send_batch("metadata", (s.nick,), [_keyvalue(server, s, s.nick, k, v) for k, v in items])


def send_on_join(server: Server, s: Session, channel: Channel) -> None:
    """A joiner with subscriptions gets the channel's and its members' subscribed keys."""
    if CAP in s.caps and server.state.metadata_subs(s):
        for line in _sync_lines(server, s, channel):
            s.send(line)


def send_whois(server: Server, s: Session, user: User) -> None:
    """760 RPL_WHOISKEYVALUE for each of `user`'s keys."""
    for key, value in server.state.metadata_items(user):
        s.numeric(rpl.RPL_WHOISKEYVALUE, user.nick, key, "*", value)


# -- the parts ------------------------------------------------------------------------------
def _find(server: Server, s: Session, name: str) -> User | Channel | None:
    if name == "*":
        return s.user
    if is_channel(name):
        channel = server.state.find_channel(name)
        return None if channel is None or is_hidden_from(s, channel) else channel
    user = server.state.find_nick(name)
    return user if user is not None and user.registered else None


def _is_user(target: User | Channel) -> bool:
    return not hasattr(target, "members")


def _may_read(s: Session, target: User | Channel) -> bool:
    if _is_user(target):
        return True
    channel: Channel = target  # type: ignore[assignment]
    if s.user in channel.members:
        return True
    return not (channel.key or "s" in channel.modes or "i" in channel.modes)


def _may_write(s: Session, target: User | Channel) -> bool:
    if _is_user(target):
        return target is s.user
    channel: Channel = target  # type: ignore[assignment]
    return channel.is_op(s.user)


def _items(server: Server, target: User | Channel) -> list[tuple[str, str]]:
    return server.state.metadata_items(target)


def _get_line(server: Server, s: Session, target: User | Channel, shown: str, key: str) -> Message:
    if not valid_key(key):
        return Message("FAIL", ("METADATA", "KEY_INVALID", key, "Invalid key"), server.name)
    if not _may_read(s, target):
        reason = "You may not read that"
        return Message("FAIL", ("METADATA", "KEY_NO_PERMISSION", shown, key, reason), server.name)
    value = server.state.metadata_get(target, key)
    if value is None:
        return _keynotset(server, s, shown, key)
    return _keyvalue(server, s, shown, key, value)


def _set(server: Server, s: Session, target: User | Channel, shown: str, args: list[str]) -> None:
    if not args:
        s.fail("METADATA", "NEED_MORE_PARAMS", "Missing parameters")
        return
    key = args[0].lower()
    if not valid_key(key):
        s.fail("METADATA", "KEY_INVALID", "Invalid key", args[0])
        return
    if not _may_write(s, target):
        s.fail("METADATA", "KEY_NO_PERMISSION", "You may not change that", shown, key)
        return
    value = args[1] if len(args) > 1 else None
    if value is None or value == "":
        if server.state.metadata_get(target, key) is None:
            s.send(_keynotset(server, s, shown, key))
            return
        server.state.metadata_set(target, key, None)
        _keep(server, target, key, None)
        s.send(_keynotset(server, s, shown, key))
        _notify(server, s, target, shown, key, None)
        return
    if len(value.encode()) > MAX_VALUE_BYTES:
        s.fail("METADATA", "INVALID_VALUE", f"Values are at most {MAX_VALUE_BYTES} bytes", key)
        return
    current = dict(_items(server, target))
    if key not in current and len(current) >= MAX_KEYS:
        s.fail("METADATA", "LIMIT_REACHED", f"At most {MAX_KEYS} keys", shown)
        return
    server.state.metadata_set(target, key, value)
    _keep(server, target, key, value)
    s.send(_keyvalue(server, s, shown, key, value))
    _notify(server, s, target, shown, key, value)


def _keep(server: Server, target: User | Channel, key: str, value: str | None) -> None:
    """A logged-in user's own keys are kept for its account (they come back at each login)."""
    p = persistence_of(server)
    if p is not None and _is_user(target):
        p.metadata_changed(target, key, value)  # type: ignore[arg-type]


def _notify(
    server: Server,
    s: Session,
    target: User | Channel,
    shown: str,
    key: str,
    value: str | None,
) -> None:
    """Tell the subscribers of `key` who see `target` (not the one who changed it)."""
    if _is_user(target):
        user: User = target  # type: ignore[assignment]
        hearers: Iterable[Session] = server.sessions_among(server.peers_of(user, include_self=True))
        name = user.nick
    else:
        channel: Channel = target  # type: ignore[assignment]
        hearers = server.sessions_among(list(channel.members))
        name = channel.name
    for u in hearers:
        if u is s or CAP not in u.caps or key not in server.state.metadata_subs(u):
            continue
        if value is None:
            u.send(_keynotset(server, u, name, key))
        else:
            u.send(_keyvalue(server, u, name, key, value))


def _sync_lines(server: Server, s: Session, target: User | Channel) -> list[Message]:
    subs = server.state.metadata_subs(s)
    targets: list[User | Channel] = [target]
    if not _is_user(target):
        channel: Channel = target  # type: ignore[assignment]
        targets += [u for u in channel.members if u is not s.user]
    lines: list[Message] = []
    for t in targets:
        name = t.nick if _is_user(t) else t.name  # type: ignore[union-attr]
        for key, value in _items(server, t):
            if key in subs:
                lines.append(_keyvalue(server, s, name, key, value))
    return lines


def _subscriptions(server: Server, s: Session, sub: str, keys: list[str]) -> None:
    subs = server.state.metadata_subs(s)
    if sub == "SUBS":
        if subs:
            s.numeric(rpl.RPL_METADATASUBS, *sorted(subs))
        return
    if not keys:
        s.fail("METADATA", "NEED_MORE_PARAMS", "Missing parameters")
        return
    done: list[str] = []
    for raw in keys:
        key = raw.lower()
        if not valid_key(key):
            s.fail("METADATA", "KEY_INVALID", "Invalid key", raw)
            continue
        if sub == "SUB":
            if key not in subs and len(subs) >= MAX_SUBS:
                s.fail("METADATA", "TOO_MANY_SUBS", f"At most {MAX_SUBS} keys", raw)
                break
            subs.add(key)
        else:
            subs.discard(key)
        done.append(key)
    if done:
        s.numeric(rpl.RPL_METADATASUBOK if sub == "SUB" else rpl.RPL_METADATAUNSUBOK, *done)


def _keyvalue(server: Server, s: Session, target: str, key: str, value: str) -> Message:
    return Message(rpl.RPL_KEYVALUE, (s.nick, target, key, "*", value), server.name)


def _keynotset(server: Server, s: Session, target: str, key: str) -> Message:
    return Message(rpl.RPL_KEYNOTSET, (s.nick, target, key, "key not set"), server.name)
