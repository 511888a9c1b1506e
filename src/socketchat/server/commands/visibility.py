"""Who may see whom: invisible users (+i), secret channels (+s), and operators who see all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.server.bans import may_speak

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel
    from socketchat.server.user import User


def is_oper(s: Session | User) -> bool:
    return "o" in s.modes


def shares_channel(a: User, b: User) -> bool:
    small, other = (a, b) if len(a.channels) <= len(b.channels) else (b, a)
    return any(other in ch.members for ch in small.channels.values())


def can_see_user(viewer: Session, user: User) -> bool:
    """+i users show up in WHO/NAMES only to themselves, opers, and people sharing a channel."""
    if "i" not in user.modes or viewer.user is user or is_oper(viewer):
        return True
    return shares_channel(viewer.user, user)


def can_see_channel(viewer: Session, channel: Channel) -> bool:
    """+s channels are hidden from LIST, WHOIS and WHO for non-members (opers see them)."""
    return "s" not in channel.modes or viewer.user in channel.members or is_oper(viewer)


def is_hidden_from(viewer: Session, channel: Channel) -> bool:
    """A +s channel `viewer` is not in (and is no operator): every answer about it must read as
    if it did not exist (403 ERR_NOSUCHCHANNEL) — no modes, creation time, topic, ban list, 442."""
    return not can_see_channel(viewer, channel)


def public_setter(viewer: Session, channel: Channel, setter: str) -> str:
    """Who set a ban, as `viewer` may see it: members get the full ``nick!user@host``; outsiders
    (who may ask for any visible channel's ban list) only the nick, since the address of the op
    who set it is none of their business."""
    if viewer.user in channel.members or is_oper(viewer):
        return setter
    return setter.split("!", 1)[0]


def channel_to_speak_in(server: Server, s: Session, name: str, *, quiet: bool) -> Channel | None:
    """The channel a message of `s` to `name` goes to (PRIVMSG, NOTICE, TAGMSG, a multiline
    batch), or None once `s` is told why not — unless `quiet` (NOTICE: never an error reply).

    A +s channel `s` may not see is 403 like a missing one, unless `s` may speak there anyway
    (an outsider of a -n channel); one it may not speak in is 404."""
    channel = server.state.find_channel(name)
    if channel is None or (is_hidden_from(s, channel) and not may_speak(s, channel)):
        if not quiet:
            s.numeric(rpl.ERR_NOSUCHCHANNEL, name, "No such channel")
        return None
    if not may_speak(s, channel):
        if not quiet:
            s.numeric(rpl.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel")
        return None
    return channel
