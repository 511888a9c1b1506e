"""Server administration by operators: REHASH (reload the config file without a restart),
KLINE/UNKLINE and DLINE/UNDLINE (server bans, `server/klines.py`), STATS (k, d, u).

  KLINE [<duration>] <user@host | $a:account> [:<reason>]
  DLINE [<duration>] <ip | cidr> [:<reason>]
  UNKLINE <mask>, UNDLINE <ip | cidr>

A duration is minutes (``30``) or has a unit (``90s``, ``2h``, ``1d``, ``1w``); without one, or
``0``, the ban is permanent. Every action is answered with a NOTICE and written to the audit log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from socketchat.irc import numerics as rpl
from socketchat.server import klines
from socketchat.server.audit import audit
from socketchat.server.persistence import persistence_of
from socketchat.storage.base import ServerBan

if TYPE_CHECKING:
    from socketchat.irc.message import Message
    from socketchat.server.core import Server
    from socketchat.server.rehash import RehashResult
    from socketchat.server.session import Session

RPL_REHASHING = "382"
RPL_STATSKLINE = "216"
RPL_ENDOFSTATS = "219"
RPL_STATSDLINE = "225"
RPL_STATSUPTIME = "242"


def actor(s: Session) -> str:
    return f"{s.nick}!{s.username}@{s.ip}"


def handle_rehash(server: Server, s: Session, m: Message) -> None:
    """REHASH: 382 when the file was taken; a NOTICE with the reason when it was refused (the
    old configuration stays). The runner logs both, with who asked."""
    network = server.network_rehash
    if network is not None:  # a cluster node: the asker's node reads, the log carries it
        who = actor(s)

        def done(value: dict[str, Any]) -> None:
            _answer_rehash(s, network.apply(value, who))

        server.decide(lambda: network.read(who), done, session=s)
        return
    hook = server.rehash_hook
    if hook is None:
        s.notice("REHASH: this server has no configuration it can reload")
        return
    _answer_rehash(s, hook(actor(s)))


def _answer_rehash(s: Session, result: RehashResult) -> None:
    if result.error is not None:
        s.notice(f"REHASH refused, the old configuration stays: {result.error}")
        return
    s.numeric(RPL_REHASHING, result.source or "(no file)", "Rehashing")
    if result.kept:
        s.notice("REHASH: these settings need a restart and were kept: " + ", ".join(result.kept))


def _describe_duration(seconds: float) -> str:
    if not seconds:
        return "permanent"
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{int(seconds)} seconds"


def _add_ban(server: Server, s: Session, m: Message, kind: str) -> None:
    params = list(m.params)
    duration = klines.parse_duration(params[0]) if len(params) > 1 else None
    if duration is not None:
        params.pop(0)
    raw = params[0]
    reason = (params[1] if len(params) > 1 and params[1] else "No reason given")[
        : klines.MAX_REASON
    ]
    name = "KLINE" if kind == klines.KLINE else "DLINE"
    normalize = klines.normalize_kline if kind == klines.KLINE else klines.normalize_dline
    mask, why = normalize(raw)
    if mask is None:
        s.fail(name, "INVALID_MASK", why or "Invalid mask", raw)
        return
    now = server.clock()
    ban = ServerBan(kind, mask, reason, actor(s), now, now + duration if duration else 0.0)
    server.bans.add(ban)
    p = persistence_of(server)
    if p is not None:
        p.backend.add_server_ban(ban)
    hit = klines.enforce(server, ban)
    length = _describe_duration(duration or 0.0)
    s.notice(
        f"Added {kind}-line for {mask} ({length}): {reason}; {len(hit)} client(s) disconnected"
    )
    audit(
        name.lower(),
        f"{actor(s)} added {kind}-line {mask} ({length}): {reason}; disconnected {len(hit)}",
        actor=actor(s),
        mask=mask,
        reason=reason,
        duration=duration or 0.0,
        disconnected=len(hit),
    )


def _remove_ban(server: Server, s: Session, m: Message, kind: str) -> None:
    raw = m.params[0]
    normalize = klines.normalize_kline if kind == klines.KLINE else klines.normalize_dline
    mask, _ = normalize(raw)
    ban = server.bans.remove(kind, mask or raw)
    name = "UNKLINE" if kind == klines.KLINE else "UNDLINE"
    if ban is None:
        s.fail(name, "NO_SUCH_BAN", f"No {kind}-line for {raw}", raw)
        return
    p = persistence_of(server)
    if p is not None:
        p.backend.remove_server_ban(kind, ban.mask)
    s.notice(f"Removed {kind}-line for {ban.mask}")
    audit(
        name.lower(),
        f"{actor(s)} removed {kind}-line {ban.mask}",
        actor=actor(s),
        mask=ban.mask,
    )


def handle_kline(server: Server, s: Session, m: Message) -> None:
    _add_ban(server, s, m, klines.KLINE)


def handle_dline(server: Server, s: Session, m: Message) -> None:
    _add_ban(server, s, m, klines.DLINE)


def handle_unkline(server: Server, s: Session, m: Message) -> None:
    _remove_ban(server, s, m, klines.KLINE)


def handle_undline(server: Server, s: Session, m: Message) -> None:
    _remove_ban(server, s, m, klines.DLINE)


def expire_bans(server: Server) -> None:
    """Drop the bans whose time is up, from memory and storage."""
    gone = server.bans.expired(server.clock())
    p = persistence_of(server)
    for ban in gone:
        if p is not None:
            p.backend.remove_server_ban(ban.kind, ban.mask)
        audit("ban_expired", f"{ban.kind}-line {ban.mask} expired", mask=ban.mask)


def handle_stats(server: Server, s: Session, m: Message) -> None:
    """STATS k / d (operators): the K-lines and D-lines, with time left and who set them;
    STATS u: uptime. Other letters: just the end of the report."""
    query = (m.param(0) or "*")[:1]
    letter = query.lower()
    if letter in ("k", "d"):
        if "o" not in s.modes:
            s.numeric(rpl.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator")
            s.numeric(RPL_ENDOFSTATS, query, "End of /STATS report")
            return
        expire_bans(server)
        now = server.clock()
        table = server.bans.klines if letter == "k" else server.bans.dlines
        code = RPL_STATSKLINE if letter == "k" else RPL_STATSDLINE
        for ban in sorted(table.values(), key=lambda b: b.set_at):
            left = str(int(ban.expires_at - now)) if ban.expires_at else "0"
            s.numeric(code, ban.kind, ban.mask, left, ban.set_by, ban.reason)
    elif letter == "u":
        up = int(server.clock() - server.started_at)
        days, rest = divmod(up, 86400)
        hours, rest = divmod(rest, 3600)
        clock = f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        s.numeric(RPL_STATSUPTIME, f"Server Up {days} days {clock}")
    s.numeric(RPL_ENDOFSTATS, query, "End of /STATS report")


def load_bans(server: Server) -> None:
    """At start: the bans kept in storage (expired ones are dropped)."""
    p = persistence_of(server)
    if p is not None:
        server.bans.load(p.backend.server_bans())
        expire_bans(server)
