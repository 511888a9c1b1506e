"""Who may see whom: invisible users (+i), secret channels (+s), and operators who see all."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socketchat.server.session import Session
    from socketchat.server.state import Channel


def is_oper(s: Session) -> bool:
    return "o" in s.modes


def shares_channel(a: Session, b: Session) -> bool:
    small, other = (a, b) if len(a.channels) <= len(b.channels) else (b, a)
    return any(other in ch.members for ch in small.channels.values())


def can_see_user(viewer: Session, user: Session) -> bool:
    """+i users show up in WHO/NAMES only to themselves, opers, and people sharing a channel."""
    if "i" not in user.modes or viewer is user or is_oper(viewer):
        return True
    return shares_channel(viewer, user)


def can_see_channel(viewer: Session, channel: Channel) -> bool:
    """+s channels are hidden from LIST, WHOIS and WHO for non-members (opers see them)."""
    return "s" not in channel.modes or viewer in channel.members or is_oper(viewer)


def is_hidden_from(viewer: Session, channel: Channel) -> bool:
    """A +s channel `viewer` is not in (and is no operator): every answer about it must read as
    if it did not exist (403 ERR_NOSUCHCHANNEL) — no modes, creation time, topic, ban list, 442."""
    return not can_see_channel(viewer, channel)


def public_setter(viewer: Session, channel: Channel, setter: str) -> str:
    """Who set a ban, as `viewer` may see it: members get the full ``nick!user@host``; outsiders
    (who may ask for any visible channel's ban list) only the nick, since the address of the op
    who set it is none of their business."""
    if viewer in channel.members or is_oper(viewer):
        return setter
    return setter.split("!", 1)[0]
