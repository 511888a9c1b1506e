"""A registered user's nick change, as everyone sees it: below the commands and NickServ.

NICK (`commands/registration.py`, after its checks) and nick protection's rename to a guest nick
(`accounts.rename_to_guest`) both end here, so the second needs no import up into the commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc.message import Message
from socketchat.server import monitor
from socketchat.server.state import WhowasEntry

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session


def change_nick(server: Server, s: Session, nick: str) -> None:
    """Rename registered `s` to `nick` (valid and free: the caller checked); tell its peers,
    its watchers (MONITOR) and storage (event-playback history, nick protection); remember
    the old nick (WHOWAS)."""
    old_prefix, old_nick = s.prefix, s.nick
    server.state.remember(WhowasEntry.of(s, server.clock()))
    server.state.claim_nick(s, nick)
    msg = Message("NICK", (nick,), old_prefix, server.relay_tags(s, msgid=True))
    server.fanout(msg, server.peers_of(s, include_self=True))
    if server.storage is not None:
        for channel in s.channels.values():
            server.storage.store_event(msg, channel, s)  # draft/event-playback
    monitor.nick_changed(server, s, old_nick)
    if server.storage is not None:
        server.storage.nick_changed(server, s)  # nick protection
