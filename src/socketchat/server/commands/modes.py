"""MODE: user modes (+i, -o) and channel modes (bans, key, limit, flags, op/voice).

Parsing is `modeparse.py`'s job; this module checks permissions and parameters, applies what is
allowed, and broadcasts the changes that really changed something, normalised, in one MODE line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold, is_channel
from socketchat.irc.message import Message
from socketchat.irc.numbers import parse_number
from socketchat.server import chanserv
from socketchat.server.bans import normalize
from socketchat.server.commands.modeparse import (
    ModeChange,
    ParsedModes,
    format_modes,
    parse_channel_modes,
    parse_user_modes,
)
from socketchat.server.commands.visibility import is_hidden_from, public_setter
from socketchat.server.state import Ban

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel

MAX_BANS = 100
KEY_MAX = 23
_KEY_FORBIDDEN = set(" ,:\x00\r\n\t")


def handle_mode(server: Server, s: Session, m: Message) -> None:
    target = m.params[0]
    if is_channel(target):
        channel = server.state.find_channel(target)
        if channel is None or is_hidden_from(s, channel):
            s.numeric(rpl.ERR_NOSUCHCHANNEL, target, "No such channel")
        elif len(m.params) < 2:
            send_channel_modes(server, s, channel)
        else:
            change_channel_modes(server, s, channel, m.params[1], m.params[2:])
        return
    user = server.state.find_nick(target)
    if user is None:
        s.numeric(rpl.ERR_NOSUCHNICK, target, "No such nick/channel")
    elif user is not s.user:
        s.numeric(rpl.ERR_USERSDONTMATCH, "Can't change mode for other users")
    elif len(m.params) < 2:
        s.numeric(rpl.RPL_UMODEIS, "+" + "".join(sorted(s.modes)))
    else:
        change_user_modes(server, s, parse_user_modes(m.params[1]))


# -- user modes -----------------------------------------------------------------------------
def change_user_modes(server: Server, s: Session, parsed: ParsedModes) -> None:
    if parsed.unknown:
        s.numeric(rpl.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
    applied: list[ModeChange] = []
    for ch in parsed.changes:
        if ch.mode == "o" and ch.adding:
            continue  # only OPER grants +o
        if server.state.set_user_mode(s.user, ch.mode, ch.adding):
            applied.append(ch)
    if applied:  # to every device of the user: they share its modes
        s.user.send(Message("MODE", (s.nick, *format_modes(applied)), s.prefix))


# -- channel modes --------------------------------------------------------------------------
def send_channel_modes(server: Server, s: Session, channel: Channel) -> None:
    show_key = s.user in channel.members
    s.numeric(rpl.RPL_CHANNELMODEIS, channel.name, *channel.mode_string(show_key))
    s.numeric(rpl.RPL_CREATIONTIME, channel.name, str(int(channel.created)))


# list mode -> (entry numeric, end numeric, what the list holds)
_LISTS = {
    "b": (rpl.RPL_BANLIST, rpl.RPL_ENDOFBANLIST, "ban"),
    "e": (rpl.RPL_EXCEPTLIST, rpl.RPL_ENDOFEXCEPTLIST, "exception"),
    "I": (rpl.RPL_INVEXLIST, rpl.RPL_ENDOFINVEXLIST, "invite exception"),
}


def send_ban_list(s: Session, channel: Channel, mode: str = "b") -> None:
    """367/368 for +b, 348/349 for +e, 346/347 for +I: mask, setter, time."""
    entry, end, kind = _LISTS[mode]
    for ban in channel.mask_list(mode):
        setter = public_setter(s, channel, ban.setter)
        s.numeric(entry, channel.name, ban.mask, setter, str(int(ban.set_at)))
    s.numeric(end, channel.name, f"End of channel {kind} list")


def change_channel_modes(
    server: Server, s: Session, channel: Channel, modestring: str, params: tuple[str, ...]
) -> None:
    parsed = parse_channel_modes(modestring, params)
    for c in parsed.unknown:
        s.numeric(rpl.ERR_UNKNOWNMODE, c, "is unknown mode char to me")
    for c in parsed.missing_param:
        s.numeric(rpl.ERR_INVALIDMODEPARAM, channel.name, c, "*", "Mode needs a parameter")
    changes = [ch for ch in parsed.changes if not ch.is_list_query]
    for mode in dict.fromkeys(ch.mode for ch in parsed.changes if ch.is_list_query):
        send_ban_list(s, channel, mode)
    if not changes:
        return
    if not channel.is_op(s.user):
        if s.user in channel.members:
            s.numeric(rpl.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        else:
            s.numeric(rpl.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        return
    applied = [done for ch in changes if (done := _apply(server, s, channel, ch)) is not None]
    if applied:
        tags = server.relay_tags(s, msgid=True)
        msg = Message("MODE", (channel.name, *format_modes(applied)), s.prefix, tags)
        server.fanout(msg, list(channel.members))
        if server.storage is not None:
            server.storage.store_event(msg, channel, s.user)
        chanserv.changed(server, channel)  # a registered channel keeps its modes and lists


def _apply(server: Server, s: Session, channel: Channel, ch: ModeChange) -> ModeChange | None:
    """Apply one change; the normalised change if it changed anything, else None."""
    mode, adding, param = ch.mode, ch.adding, ch.param
    if mode in "ov":
        return _apply_prefix(server, s, channel, ch)
    if mode in _LISTS:
        return _apply_list(server, s, channel, ch)
    if mode == "k":
        if not adding:
            if channel.key is None:
                return None
            channel.key = None
            return ModeChange(False, "k", "*")
        key = param or ""
        if not key or len(key) > KEY_MAX or any(c in _KEY_FORBIDDEN for c in key):
            s.numeric(rpl.ERR_INVALIDKEY, channel.name, "Key is not well-formed")
            return None
        if channel.key == key:
            return None
        channel.key = key
        return ch
    if mode == "l":
        if not adding:
            if not channel.limit:
                return None
            channel.limit = 0
            return ch
        text = param or ""
        limit = parse_number(text, max_digits=7)
        if limit is None or not 0 < limit <= 1_000_000:
            # 696 <channel> <mode> <param> <text>: an empty parameter cannot be a middle one
            shown = text[:20] or "*"
            s.numeric(rpl.ERR_INVALIDMODEPARAM, channel.name, "l", shown, "Invalid limit")
            return None
        if channel.limit == limit:
            return None
        channel.limit = limit
        return ModeChange(True, "l", str(channel.limit))
    if (mode in channel.modes) == adding:
        return None
    (channel.modes.add if adding else channel.modes.discard)(mode)
    return ch


def _apply_prefix(
    server: Server, s: Session, channel: Channel, ch: ModeChange
) -> ModeChange | None:
    nick = ch.param or ""
    target = server.state.find_nick(nick)
    if target is None:
        s.numeric(rpl.ERR_NOSUCHNICK, nick, "No such nick/channel")
        return None
    if target not in channel.members:
        s.numeric(
            rpl.ERR_USERNOTINCHANNEL, target.nick, channel.name, "They aren't on that channel"
        )
        return None
    if channel.has_mode(target, ch.mode) == ch.adding:
        return None
    channel.set_member_mode(target, ch.mode, ch.adding)
    return ModeChange(ch.adding, ch.mode, target.nick)


def _apply_list(server: Server, s: Session, channel: Channel, ch: ModeChange) -> ModeChange | None:
    """+b/-b, +e/-e, +I/-I: an entry normalised and checked by `bans.normalize`."""
    raw = ch.param or ""
    mask, problem = normalize(raw, ch.mode)
    if mask is None:
        why = problem or "Invalid mask"
        s.numeric(rpl.ERR_INVALIDMODEPARAM, channel.name, ch.mode, raw[:50] or "*", why)
        return None
    entries = channel.mask_list(ch.mode)
    folded = casefold(mask)
    existing = next((b for b in entries if casefold(b.mask) == folded), None)
    if ch.adding:
        if existing is not None:
            return None
        if len(entries) >= MAX_BANS:
            s.numeric("478", channel.name, mask, f"Channel {_LISTS[ch.mode][2]} list is full")
            return None
        entries.append(Ban(mask, s.prefix, server.clock()))
        return ModeChange(True, ch.mode, mask)
    if existing is None:
        return None
    entries.remove(existing)
    return ModeChange(False, ch.mode, existing.mask)
