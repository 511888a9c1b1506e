"""Changes to a user that their peers hear about: AWAY, SETNAME, and host changes (CHGHOST).

Each one notifies only the peers that negotiated the matching capability (away-notify, setname,
chghost); CHGHOST falls back to QUIT + JOIN (+ MODE) for peers without the cap, as the spec asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.message import Message
from socketchat.server.commands.channels import announce_join
from socketchat.server.commands.modeparse import ModeChange, format_modes
from socketchat.server.monitor import audience

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

REALNAME_MAX = 100  # the same bound USER applies


def handle_away(server: Server, s: Session, m: Message) -> None:
    """AWAY [text]. Before registration only with draft/pre-away, and nobody is told then (the
    client is not on the network yet). `AWAY *` (pre-away: "not present for an unspecified
    reason") is stored and relayed as `*`, which clients with the cap understand."""
    if not s.registered and "draft/pre-away" not in s.caps:
        s.numeric(rpl.ERR_NOTREGISTERED, "You have not registered")
        return
    text = m.param(0)[: server.config.awaylen]
    user = s.user
    user.auto_away = False  # whatever it was, it is the person's own choice now
    if not s.registered:
        user.away = text or None
        if text:
            s.numeric(rpl.RPL_NOWAWAY, "You have been marked as being away")
        else:
            s.numeric(rpl.RPL_UNAWAY, "You are no longer marked as being away")
        return
    if text:
        user.away = text
        s.numeric(rpl.RPL_NOWAWAY, "You have been marked as being away")
        params: tuple[str, ...] = (text,)
    else:
        was_away = user.away is not None
        user.away = None
        s.numeric(rpl.RPL_UNAWAY, "You are no longer marked as being away")
        if not was_away:
            return
        params = ()
    msg = Message("AWAY", params, s.prefix, server.relay_tags(s))
    server.deliver(msg, audience(server, user, "away-notify"))


def handle_setname(server: Server, s: Session, m: Message) -> None:
    realname = m.params[0]
    if not realname or len(realname) > REALNAME_MAX:
        s.fail("SETNAME", "INVALID_REALNAME", "Realname is not valid")
        return
    s.user.realname = realname
    msg = Message("SETNAME", (realname,), s.prefix, server.relay_tags(s))
    server.deliver(msg, audience(server, s.user, "setname", include_self=True))


def change_host(
    server: Server, s: Session, user: str | None = None, host: str | None = None
) -> None:
    """Give `s` a new username and/or host (e.g. an operator's vhost) and tell its peers.

    Peers with `chghost` get `:old!prefix CHGHOST <user> <host>`; the others see the user quit and
    rejoin each shared channel (with its op/voice restored by MODE), so their view stays right.
    """
    person = s.user
    new_user = user or person.username
    new_host = host or person.host
    if (new_user, new_host) == (person.username, person.host):
        return
    old_prefix = person.prefix
    person.username, person.host = new_user, new_host
    tags = server.relay_tags(s)
    peers = server.peers_of(person, include_self=True)
    with_cap = audience(server, person, "chghost", include_self=True)
    server.deliver(Message("CHGHOST", (new_user, new_host), old_prefix, tags), with_cap)
    without = {u for u in server.sessions_among(peers, without=person) if "chghost" not in u.caps}
    if not without:
        return
    server.deliver(Message("QUIT", ("Changing host",), old_prefix, tags), without)
    for channel in person.channels.values():
        here = [u for u in server.sessions_among(list(channel.members)) if u in without]
        announce_join(server, person, channel, here, tags)
        held = channel.members.get(person, "")
        if held:
            changes = [ModeChange(True, mode, person.nick) for mode in held]
            mode_msg = Message("MODE", (channel.name, *format_modes(changes)), server.name, tags)
            server.deliver(mode_msg, here)
