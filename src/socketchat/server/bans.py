"""Who a channel's lists let in or keep quiet: bans (+b), ban exceptions (+e), invite
exceptions (+I), and the extbans that may stand in any of them.

An entry is a hostmask (`nick!user@host`, normalised from `nick` or `user@host` as ircds do) or
an extban, written the way ergo writes them (ISUPPORT `EXTBAN=,am`: no prefix character):

- `a:<account>` matches a user logged in to that account (a glob: `a:bob*`); never a user who
  is not logged in, whatever their nick (IRCv3 account-extban, ISUPPORT `ACCOUNTEXTBAN=a`);
- `m:<entry>` (in +b and +e only) is a mute: in +b it does not keep the user out, it keeps them
  from speaking; in +e it lifts mutes only. `<entry>` is a hostmask or an `a:` extban.

A plain +e entry lifts bans and mutes alike; ops and voiced members always speak. Every
hostmask and account glob is matched by `masks.match_mask` (linear time, bounded masks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.server.masks import mask_problem, match_mask, normalize_mask

if TYPE_CHECKING:
    from socketchat.server.session import Session
    from socketchat.server.state import Ban, Channel

ACCOUNT = "a"
MUTE = "m"
EXTBAN_TYPES = ACCOUNT + MUTE
ISUPPORT = ("ACCOUNTEXTBAN=" + ACCOUNT, "EXCEPTS=e", "EXTBAN=," + EXTBAN_TYPES, "INVEX=I")


def _extban(entry: str) -> tuple[str, str] | None:
    """('a', 'bob') for 'a:bob'; None for a hostmask. Nicks hold no ':', so no mask is taken."""
    if len(entry) >= 2 and entry[1] == ":" and entry[0].isalpha():
        return entry[0].lower(), entry[2:]
    return None


def normalize(raw: str, mode: str) -> tuple[str | None, str | None]:
    """(entry, None) for a valid entry of list `mode` ('b', 'e' or 'I'), else (None, why)."""
    if not raw or " " in raw or raw[0] == ":":  # (a ':' first could not be sent in 367)
        return None, "Invalid mask"
    ext = _extban(raw)
    if ext is None:
        mask = normalize_mask(raw)
        problem = mask_problem(mask)
        return (None, problem) if problem else (mask, None)
    kind, rest = ext
    if kind == MUTE:
        if mode == "I":
            return None, "A mute (m:) belongs in +b or +e"
        inner_ext = _extban(rest)
        if inner_ext is not None and inner_ext[0] == MUTE:
            return None, "A mute of a mute means nothing"
        inner, why = normalize(rest, mode)
        return (None, why) if inner is None else (MUTE + ":" + inner, None)
    if kind == ACCOUNT:
        if not rest:
            return None, "An account extban needs an account name"
        problem = mask_problem(rest)
        return (None, problem) if problem else (ACCOUNT + ":" + rest, None)
    return None, f"Unknown extban type {kind!r} (EXTBAN=,{EXTBAN_TYPES})"


def matches(entry: str, session: Session) -> bool:
    """Does one entry (a hostmask or an `a:` extban; not `m:`) match `session`?"""
    ext = _extban(entry)
    if ext is not None:
        kind, rest = ext
        if kind == ACCOUNT:
            return session.account is not None and match_mask(rest, session.account)
        return False
    if match_mask(entry, session.prefix):
        return True
    return match_mask(entry, f"{session.nick}!{session.username}@{session.ip}")


def _any(entries: list[Ban], session: Session, *, mutes: bool) -> bool:
    """Does any entry match: the plain ones (mutes=False), or the `m:` ones (mutes=True)?"""
    for ban in entries:
        is_mute = ban.mask[:2] == MUTE + ":"
        if is_mute == mutes and matches(ban.mask[2:] if is_mute else ban.mask, session):
            return True
    return False


def is_banned(channel: Channel, session: Session) -> bool:
    """Kept out by +b (mutes aside), unless a +e entry exempts them."""
    if not channel.bans or not _any(channel.bans, session, mutes=False):
        return False
    return not _any(channel.excepts, session, mutes=False)


def is_muted(channel: Channel, session: Session) -> bool:
    """Kept quiet: banned, or matched by a mute, and not exempted by +e (plain or `m:`)."""
    if not channel.bans:
        return False
    if _any(channel.bans, session, mutes=False):
        return not _any(channel.excepts, session, mutes=False)
    if not _any(channel.bans, session, mutes=True):
        return False
    return not (
        _any(channel.excepts, session, mutes=False) or _any(channel.excepts, session, mutes=True)
    )


def is_invex(channel: Channel, session: Session) -> bool:
    """May join while +i without an INVITE: a +I entry matches."""
    return _any(channel.invexes, session, mutes=False)


def may_speak(s: Session, channel: Channel) -> bool:
    """May `s` send to `channel` now (membership, +n, +m, voice, bans)? PRIVMSG/NOTICE
    (`commands/messaging.py`) and multiline batches (`commands/multiline.py`) both ask."""
    held = channel.members.get(s.user)
    if held is None:
        if "n" in channel.modes:
            return False
    elif held:
        return True  # ops and voiced users may always speak
    if "m" in channel.modes:
        return False
    return not is_muted(channel, s)  # banned or muted (m:), and not excepted (+e)
