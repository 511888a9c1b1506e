"""Channel operators at work: KICK and INVITE (with invite-notify)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.message import Message
from socketchat.server.commands.visibility import is_hidden_from

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel


def _channel_for_op(server: Server, s: Session, name: str, *, need_op: bool) -> Channel | None:
    """The channel if it exists, `s` is on it and (when asked) an op; else the error numeric."""
    channel = server.state.find_channel(name)
    if channel is None or is_hidden_from(s, channel):
        s.numeric(rpl.ERR_NOSUCHCHANNEL, name, "No such channel")
    elif s.user not in channel.members:
        s.numeric(rpl.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
    elif need_op and not channel.is_op(s.user):
        s.numeric(rpl.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
    else:
        return channel
    return None


def handle_kick(server: Server, s: Session, m: Message) -> None:
    channels = m.params[0].split(",")
    nicks = [n for n in m.params[1].split(",") if n]
    reason = (m.param(2) or s.nick)[: server.config.kicklen]
    if len(channels) == 1:
        pairs = [(channels[0], n) for n in nicks]
    elif len(channels) == len(nicks):
        pairs = list(zip(channels, nicks, strict=True))
    else:
        s.numeric(rpl.ERR_NEEDMOREPARAMS, "KICK", "Not enough parameters")
        return
    max_targets = server.config.limits.max_targets
    if max_targets and len(pairs) > max_targets:
        s.numeric("407", m.params[1], f"Too many targets. Only {max_targets} allowed.")
        return
    for name, nick in pairs:
        channel = _channel_for_op(server, s, name, need_op=True)
        if channel is None:
            continue
        target = server.state.find_nick(nick)
        if target is None:
            s.numeric(rpl.ERR_NOSUCHNICK, nick, "No such nick/channel")
        elif target not in channel.members:
            s.numeric(
                rpl.ERR_USERNOTINCHANNEL, target.nick, channel.name, "They aren't on that channel"
            )
        else:
            tags = server.relay_tags(s, msgid=True)
            msg = Message("KICK", (channel.name, target.nick, reason), s.prefix, tags)
            server.fanout(msg, list(channel.members))
            if server.storage is not None:
                server.storage.store_event(msg, channel, s.user)
                server.storage.left(server, target, channel)
            server.state.remove_member(channel, target)


def handle_invite(server: Server, s: Session, m: Message) -> None:
    """INVITE <nick> <channel>; INVITE alone lists the channels one is invited to (336/337)."""
    if not m.params:
        for invited in server.state.channels():
            if invited.is_invited(s):
                s.numeric(rpl.RPL_INVITELIST, invited.name)
        s.numeric(rpl.RPL_ENDOFINVITELIST, "End of /INVITE list")
        return
    if len(m.params) < 2:
        s.numeric(rpl.ERR_NEEDMOREPARAMS, "INVITE", "Not enough parameters")
        return
    nick, name = m.params[0], m.params[1]
    target = server.state.find_nick(nick)
    if target is None or not target.registered:
        s.numeric(rpl.ERR_NOSUCHNICK, nick, "No such nick/channel")
        return
    existing = server.state.find_channel(name)
    invite_only = existing is not None and "i" in existing.modes  # else any member may invite
    channel = _channel_for_op(server, s, name, need_op=invite_only)
    if channel is None:
        return
    if target in channel.members:
        s.numeric(rpl.ERR_USERONCHANNEL, target.nick, channel.name, "is already on channel")
        return
    channel.invite(target)
    s.numeric(rpl.RPL_INVITING, target.nick, channel.name)
    if target.away is not None:
        s.numeric(rpl.RPL_AWAY, target.nick, target.away)
    msg = Message("INVITE", (target.nick, channel.name), s.prefix, server.relay_tags(s))
    target.send(msg)
    ops = [u for u in channel.members if channel.is_op(u)]
    server.deliver(msg, [u for u in server.sessions_among(ops, "invite-notify") if u is not s])
