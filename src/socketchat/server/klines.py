"""Server bans by operators, sans-I/O: K-lines (user@host masks, accounts) and D-lines (IP
addresses and networks), with reasons and optional expiry.

A D-line refuses an address before registration: at `Server.connect` (TCP, TLS, WebSocket —
the address after a trusted proxy's header) and again when registration completes (WEBIRC may
have changed the address). A K-line is checked when registration completes (by then the user
name is known, and a SASL login its account) and when an account is identified later. A new
ban disconnects everyone it matches at once, with its reason.

Bans live in memory here (checked on every connection: a dict of exact addresses, a short list
of networks and masks) and in storage (`storage.base.BanStore`), written with the next commit,
so they survive a restart. An expired ban is ignored from its expiry on (time comes from the
server's injected clock) and removed from storage when next seen.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from socketchat.server.masks import mask_problem, match_mask
from socketchat.storage.base import ServerBan

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

KLINE, DLINE = "K", "D"
ACCOUNT_PREFIX = "$a:"
MAX_REASON = 200
_DURATION = re.compile(r"(\d{1,6})([smhdw]?)")
_UNITS = {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_duration(text: str) -> float | None:
    """Seconds for ``30`` (minutes, as ircds count), ``90s``, ``2h``, ``1d``, ``1w``; ``0`` is
    permanent; None when `text` is not a duration (then it is the mask)."""
    found = _DURATION.fullmatch(text.lower())
    if found is None:
        return None
    return float(int(found.group(1)) * _UNITS[found.group(2)])


def normalize_kline(raw: str) -> tuple[str | None, str | None]:
    """(mask, None) for ``user@host``, ``nick!user@host`` (the nick is dropped) or
    ``$a:account``; (None, why) otherwise. A mask that would ban everybody is refused."""
    if raw.lower().startswith(ACCOUNT_PREFIX):
        account = raw[len(ACCOUNT_PREFIX) :]
        if not account or mask_problem(account):
            return None, "Invalid account mask"
        return ACCOUNT_PREFIX + account, None
    mask = raw.split("!", 1)[1] if "!" in raw else raw
    if "@" not in mask:
        mask = "*@" + mask
    user, _, host = mask.rpartition("@")
    if not user or not host or " " in mask or "@" in user:
        return None, "A K-line mask is user@host"
    if host.strip("*?.") == "" and user.strip("*?") == "":
        return None, "That mask would ban everybody"
    problem = mask_problem(mask)
    return (None, problem) if problem else (f"{user}@{host.lower()}", None)


def parse_network(raw: str) -> Network | None:
    try:
        return ipaddress.ip_network(raw, strict=False)
    except ValueError:
        return None


def normalize_dline(raw: str) -> tuple[str | None, str | None]:
    """(the network in CIDR form, None) for an address or a network; (None, why) otherwise.
    A single address is kept as the address (``10.0.0.1``), a network as ``10.0.0.0/8``."""
    network = parse_network(raw)
    if network is None:
        return None, "A D-line is an IP address or a network (CIDR)"
    if network.prefixlen < (8 if network.version == 4 else 16):
        return None, "That network is too wide"
    single = network.prefixlen == network.max_prefixlen
    return (str(network.network_address) if single else str(network)), None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class ServerBans:
    """The bans in force, indexed for the checks on each connection."""

    def __init__(self) -> None:
        self.klines: dict[str, ServerBan] = {}
        self.dlines: dict[str, ServerBan] = {}
        self._networks: list[tuple[Network, ServerBan]] = []

    def load(self, bans: list[ServerBan]) -> None:
        for ban in bans:
            self.add(ban)

    def add(self, ban: ServerBan) -> None:
        if ban.kind == KLINE:
            self.klines[ban.mask] = ban
        else:
            self.dlines[ban.mask] = ban
            self._reindex()

    def remove(self, kind: str, mask: str) -> ServerBan | None:
        table = self.klines if kind == KLINE else self.dlines
        ban = table.pop(mask, None)
        if kind == DLINE:
            self._reindex()
        return ban

    def _reindex(self) -> None:
        self._networks = [
            (network, ban)
            for mask, ban in self.dlines.items()
            if "/" in mask and (network := parse_network(mask)) is not None
        ]

    def expired(self, now: float) -> list[ServerBan]:
        """Take out (and return) every ban whose time is up."""
        gone = [b for b in (*self.klines.values(), *self.dlines.values()) if b.expired(now)]
        for ban in gone:
            self.remove(ban.kind, ban.mask)
        return gone

    def dline_for(self, ip: str, now: float) -> ServerBan | None:
        if not self.dlines:
            return None
        address = _ip(ip)
        if address is None:
            return None
        ban = self.dlines.get(str(address))
        if ban is not None and not ban.expired(now):
            return ban
        for network, ban in self._networks:
            if address.version == network.version and address in network and not ban.expired(now):
                return ban
        return None

    def kline_for(self, s: Session, now: float) -> ServerBan | None:
        if not self.klines:
            return None
        user = s.username or "~u"
        for ban in self.klines.values():
            if ban.expired(now):
                continue
            if ban.mask.startswith(ACCOUNT_PREFIX):
                account = ban.mask[len(ACCOUNT_PREFIX) :]
                if s.account is not None and match_mask(account, s.account):
                    return ban
            elif match_mask(ban.mask, f"{user}@{s.host}") or match_mask(ban.mask, f"{user}@{s.ip}"):
                return ban
        return None

    def ban_for(self, s: Session, now: float) -> ServerBan | None:
        """The D-line or K-line that keeps `s` out, if any."""
        return self.dline_for(s.ip, now) or self.kline_for(s, now)


def refusal(ban: ServerBan) -> str:
    """What a banned client is told (in ERROR and its QUIT)."""
    what = "K-lined" if ban.kind == KLINE else "D-lined"
    return f"{what}: {ban.reason}"


def check_connect(server: Server, s: Session) -> bool:
    """At accept: close a D-lined address at once. True when `s` was refused."""
    ban = server.bans.dline_for(s.ip, server.clock())
    if ban is None:
        return False
    server.stats.count_refused("dline")
    s.close(refusal(ban))
    return True


def check_registration(server: Server, s: Session) -> bool:
    """When registration completes (or an account is identified): close a banned user."""
    bans = server.bans
    if not bans.klines and not bans.dlines:
        return False
    ban = bans.ban_for(s, server.clock())
    if ban is None:
        return False
    server.stats.count_refused("kline" if ban.kind == KLINE else "dline")
    s.close(refusal(ban))
    return True


def enforce(server: Server, ban: ServerBan) -> list[Session]:
    """A new ban: disconnect everyone it matches, now, with its reason."""
    probe = ServerBans()
    probe.add(ban)
    now = server.clock()
    hit = [s for s in server.network_sessions() if not s.closed and probe.ban_for(s, now)]
    for s in hit:
        s.close(refusal(ban))
    return hit
