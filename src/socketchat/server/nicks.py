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
    from socketchat.server.user import User


def change_nick(server: Server, user: User, nick: str) -> None:
    """Rename registered `user` to `nick` (valid and free: the caller checked); tell its peers
    and every one of its devices, its watchers (MONITOR) and storage (event-playback history,
    nick protection); remember the old nick (WHOWAS)."""
    old_prefix, old_nick = user.prefix, user.nick
    server.state.remember(WhowasEntry.of(user, server.clock()))
    server.state.claim_nick(user, nick)
    msg = Message("NICK", (nick,), old_prefix, server.relay_tags(user, msgid=True))
    server.fanout(msg, server.peers_of(user, include_self=True))
    if server.storage is not None:
        for channel in user.channels.values():
            server.storage.store_event(msg, channel, user)  # draft/event-playback
    monitor.nick_changed(server, user, old_nick)
    if server.storage is not None:
        for s in user.sessions:
            server.storage.nick_changed(server, s)  # nick protection
