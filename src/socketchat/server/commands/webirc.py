"""WEBIRC: a web IRC gateway (KiwiIRC, gamja's proxy, The Lounge) tells the real client's address.

``WEBIRC <password> <gateway> <hostname> <ip> [:<options>]`` before registration
(ircv3.net/specs/extensions/webirc). It is believed only from a ``[[webirc]]`` gateway's
``hosts`` (or, when it lists none, from ``trusted_proxies``) and with that gateway's password
(checked with scrypt, off the event loop; the session's next lines wait for the answer). Then
the session has the client's address for everything: per-IP limits, bans, cloaks, WHO hosts.
The hostname is not used: the server shows addresses (or cloaks), never names it did not look
up itself. Anything else ends the connection with an ERROR: a gateway that gets it wrong must
not have its users registered under its own address by accident.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.message import Message
from socketchat.server.passwords import verify_password
from socketchat.server.proxies import TrustedNetworks, parse_ip

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

log = logging.getLogger("socketchat.server")


def handle_webirc(server: Server, s: Session, m: Message) -> None:
    if s.registered:
        s.numeric(rpl.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    password, gateway, _hostname, ip = m.params[:4]
    options = m.param(4).split()
    entry = next((g for g in server.config.webirc if g.name == gateway), None)
    hosts = TrustedNetworks(entry.hosts or server.config.trusted_proxies) if entry else None
    address = parse_ip(ip)
    if entry is None or hosts is None or not hosts.contains(s.ip) or address is None:
        log.warning("webirc: refused id=%d from %s (gateway %r)", s.id, s.ip, gateway)
        s.close("WEBIRC not allowed")
        return

    def checked(right: bool) -> None:
        if s.closed or s.registered:
            return
        if not right:
            log.warning("webirc: wrong password id=%d from %s (gateway %r)", s.id, s.ip, gateway)
            s.close("WEBIRC not allowed")
            return
        _rehost(server, s, str(address), secure="secure" in options)

    server.offload(lambda: verify_password(password, entry.password_hash), checked, session=s)


def _rehost(server: Server, s: Session, ip: str, *, secure: bool) -> None:
    """The session is the client at `ip` from now on (counted there for per-IP limits)."""
    log.info("webirc: id=%d from %s is %s", s.id, s.ip, ip)
    count = server.per_ip.get(s.ip, 1) - 1
    if count > 0:
        server.per_ip[s.ip] = count
    else:
        server.per_ip.pop(s.ip, None)
    s.ip = s.user.ip = ip  # (the person is this one connection: not registered yet)
    s.host = server.host_for(ip)
    s.secure = s.secure or secure
    server.per_ip[ip] = server.per_ip.get(ip, 0) + 1
    limit = server.config.limits.max_clients_per_ip
    if limit and server.per_ip[ip] > limit:
        log.warning("refused id=%d from %s: too many connections", s.id, ip)
        s.close("Too many connections from your IP")
