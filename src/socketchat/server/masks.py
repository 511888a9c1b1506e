"""Hostmask matching (`nick!user@host` against masks with `*` and `?`) for bans and WHO."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from socketchat.irc.casemap import casefold

if TYPE_CHECKING:
    from socketchat.server.session import Session
    from socketchat.server.state import Channel


@lru_cache(maxsize=4096)
def _compile(mask: str) -> re.Pattern[str]:
    pattern = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in casefold(mask)
    )
    return re.compile(pattern + r"\Z", re.DOTALL)


def match_mask(mask: str, value: str) -> bool:
    return _compile(mask).match(casefold(value)) is not None


def normalize_mask(mask: str) -> str:
    """'nick' -> 'nick!*@*', 'user@host' -> '*!user@host', as ircds do for +b."""
    if "!" not in mask and "@" not in mask:
        return mask + "!*@*"
    if "!" not in mask:
        return "*!" + mask
    if "@" not in mask:
        return mask + "@*"
    return mask


def is_banned(channel: Channel, session: Session) -> bool:
    if not channel.bans:
        return False
    prefix = session.prefix
    alt = f"{session.nick}!{session.user}@{session.ip}"
    return any(match_mask(b.mask, prefix) or match_mask(b.mask, alt) for b in channel.bans)
