"""Channel membership and information: JOIN, PART, NAMES, TOPIC."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold, valid_channel
from socketchat.irc.message import Message
from socketchat.server import chanserv
from socketchat.server.bans import is_banned, is_invex
from socketchat.server.commands import history, metadata, readmarker
from socketchat.server.commands.visibility import is_hidden_from
from socketchat.server.link import NULL_LINK

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel
    from socketchat.server.user import User


def handle_join(server: Server, s: Session, m: Message) -> None:
    if m.params[0] == "0":
        for channel in list(s.channels.values()):
            part(server, s, channel, "Left all channels")
        return
    names = m.params[0].split(",")
    keys = m.param(1).split(",") if len(m.params) > 1 else []
    for i, name in enumerate(names):
        if name:
            join(server, s, name, keys[i] if i < len(keys) else "")


def join(server: Server, s: Session, name: str, key: str = "") -> None:
    config = server.config
    if not valid_channel(name, config.channellen):
        s.numeric(rpl.ERR_NOSUCHCHANNEL, name, "No such channel")
        return
    channel = server.state.find_channel(name)
    user = s.user
    if channel is not None and user in channel.members:
        return
    limit = config.limits.max_channels_per_client
    if limit and len(s.channels) >= limit:
        s.numeric(rpl.ERR_TOOMANYCHANNELS, name, "You have joined too many channels")
        return
    modes = ""
    if channel is None:
        channel = server.state.create_channel(name, server.clock())
        # a registered channel comes back as kept (its key, +i, bans apply to this joiner
        # too); its first joiner is op only by its access list (`chanserv.joined`)
        chanserv.restore(server, channel)
        modes = chanserv.creator_modes(server, channel)
    if not modes:
        refusal = (
            None if chanserv.may_bypass(server, channel, s) else _join_refusal(channel, s, key)
        )
        if refusal is not None:
            s.numeric(refusal[0], channel.name, refusal[1])
            server.state.drop_channel_if_empty(channel)
            return
        channel.use_invite(s)
    server.state.add_member(channel, user, modes)
    tags = server.relay_tags(s, msgid=True)
    members = list(channel.members)
    announce_join(server, user, channel, server.sessions_among(members), tags)
    chanserv.joined(server, s, channel)  # access-list modes, from ChanServ
    if server.storage is not None:  # for draft/event-playback
        msg = Message("JOIN", (channel.name,), s.prefix, tags)
        server.storage.store_event(msg, channel, user)
    if s.away is not None:
        away = Message("AWAY", (s.away,), s.prefix, tags)
        server.deliver(away, server.sessions_among(members, "away-notify", without=user))
    for device in user.sessions:  # the user's other devices are in the channel too now
        if device is not s:
            if channel.topic:
                send_topic(server, device, channel)
            send_names(server, device, channel)
    if channel.topic:
        send_topic(server, s, channel)
    readmarker.send_on_join(server, s, channel.name)  # before the names, as the spec asks
    metadata.send_on_join(server, s, channel)
    if "draft/no-implicit-names" not in s.caps:  # IRCv3 no-implicit-names: NAMES on request only
        send_names(server, s, channel)
    if server.storage is not None and (rows := server.storage.joined(server, s, channel)):
        history.send_history(server, s, channel.name, rows, replay=True)


def announce_join(
    server: Server, who: User, channel: Channel, to: list[Session], tags: dict[str, str]
) -> None:
    """JOIN of `who` to the sessions `to`: with account and realname for those with
    extended-join."""
    plain = Message("JOIN", (channel.name,), who.prefix, tags)
    extended = Message("JOIN", (channel.name, who.account or "*", who.realname), who.prefix, tags)
    server.deliver(plain, [u for u in to if "extended-join" not in u.caps])
    server.deliver(extended, [u for u in to if "extended-join" in u.caps])


def _join_refusal(channel: Channel, s: Session, key: str) -> tuple[str, str] | None:
    invited = channel.is_invited(s)
    if channel.key and not hmac.compare_digest(channel.key.encode(), key.encode()):
        return rpl.ERR_BADCHANNELKEY, "Cannot join channel (+k)"
    if channel.limit and len(channel.members) >= channel.limit and not invited:
        return rpl.ERR_CHANNELISFULL, "Cannot join channel (+l)"
    if "i" in channel.modes and not invited and not is_invex(channel, s):
        return rpl.ERR_INVITEONLYCHAN, "Cannot join channel (+i)"
    if is_banned(channel, s) and not invited:
        return rpl.ERR_BANNEDFROMCHAN, "Cannot join channel (+b)"
    return None


def handle_part(server: Server, s: Session, m: Message) -> None:
    reason = m.param(1)
    for name in m.params[0].split(","):
        channel = server.state.find_channel(name)
        if channel is None or is_hidden_from(s, channel):
            s.numeric(rpl.ERR_NOSUCHCHANNEL, name, "No such channel")
        elif s.user not in channel.members:
            s.numeric(rpl.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        else:
            part(server, s, channel, reason)


def part(server: Server, s: Session, channel: Channel, reason: str) -> None:
    params = (channel.name, reason) if reason else (channel.name,)
    msg = Message("PART", params, s.prefix, server.relay_tags(s, msgid=True))
    server.fanout(msg, list(channel.members))  # (every device of `s`'s user leaves)
    if server.storage is not None:
        server.storage.store_event(msg, channel, s.user)
        server.storage.left(server, s.user, channel)
    server.state.remove_member(channel, s.user)


def handle_names(server: Server, s: Session, m: Message) -> None:
    if not m.params or not m.params[0]:
        # RFC 1459/2812: every channel the client can see, then one 366 for "*". (Their
        # trailing list of users on no visible channel, as channel "*", is left out, as Modern
        # allows: it would name people whatever their channels' secrecy.)
        for visible in server.state.channels():
            if not is_hidden_from(s, visible):
                send_names(server, s, visible, end=False)
        s.numeric(rpl.RPL_ENDOFNAMES, "*", "End of /NAMES list")
        return
    names = [n for n in m.params[0].split(",") if n]
    max_targets = server.config.limits.max_targets
    if max_targets and len(names) > max_targets:
        s.numeric("407", m.params[0], f"Too many targets. Only {max_targets} allowed.")
        return
    if len(names) != 1:
        # several channels (TARGMAX NAMES): their 353s, then one 366 naming them all, as ergo
        for name in names:
            channel = server.state.find_channel(name)
            if channel is not None and not is_hidden_from(s, channel):
                send_names(server, s, channel, end=False)
        s.numeric(rpl.RPL_ENDOFNAMES, m.params[0], "End of /NAMES list")
        return
    channel = server.state.find_channel(names[0])
    if channel is None or is_hidden_from(s, channel):
        s.numeric(rpl.RPL_ENDOFNAMES, names[0], "End of /NAMES list")
    else:
        send_names(server, s, channel)


def send_names(server: Server, s: Session, channel: Channel, *, end: bool = True) -> None:
    if s.link is NULL_LINK:  # a cluster node's shadow: its own node answers (half a JOIN's
        return  # cost on the others, for lines nobody would read)
    multi = "multi-prefix" in s.caps
    full = "userhost-in-names" in s.caps
    visible = s.user in channel.members
    kind = "@" if "s" in channel.modes else "="
    entries = [
        channel.prefix_of(u, multi) + (u.prefix if full else u.nick)
        for u in channel.members
        if visible or "i" not in u.modes
    ]
    entries += chanserv.names_entries(channel, multi=multi, full=full)
    head = len(server.name) + len(s.nick) + len(channel.name) + 16
    line: list[str] = []
    size = head
    for entry in entries:
        if line and size + len(entry) + 1 > 500:
            s.numeric(rpl.RPL_NAMREPLY, kind, channel.name, " ".join(line))
            line, size = [], head
        line.append(entry)
        size += len(entry) + 1
    if line:
        s.numeric(rpl.RPL_NAMREPLY, kind, channel.name, " ".join(line))
    if end:
        s.numeric(rpl.RPL_ENDOFNAMES, channel.name, "End of /NAMES list")


def handle_topic(server: Server, s: Session, m: Message) -> None:
    channel = server.state.find_channel(m.params[0])
    if channel is None or is_hidden_from(s, channel):
        s.numeric(rpl.ERR_NOSUCHCHANNEL, m.params[0], "No such channel")
        return
    if len(m.params) < 2:
        if channel.topic:
            send_topic(server, s, channel)
        else:
            s.numeric(rpl.RPL_NOTOPIC, channel.name, "No topic is set")
        return
    if s.user not in channel.members:
        s.numeric(rpl.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        return
    if "t" in channel.modes and not channel.is_op(s.user):
        s.numeric(rpl.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        return
    locked = chanserv.topic_refusal(server, channel, s)
    if locked is not None:
        s.numeric(rpl.ERR_CHANOPRIVSNEEDED, channel.name, locked)
        return
    channel.topic = m.params[1][: server.config.topiclen]
    channel.topic_setter = s.prefix
    channel.topic_time = server.clock()
    chanserv.changed(server, channel)  # a registered channel keeps it
    msg = Message(
        "TOPIC", (channel.name, channel.topic), s.prefix, server.relay_tags(s, msgid=True)
    )
    if server.storage is not None:
        server.storage.store_event(msg, channel, s.user)
    server.fanout(msg, list(channel.members))


def send_topic(server: Server, s: Session, channel: Channel) -> None:
    s.numeric(rpl.RPL_TOPIC, channel.name, channel.topic)
    s.numeric(
        rpl.RPL_TOPICWHOTIME, channel.name, channel.topic_setter, str(int(channel.topic_time))
    )


def handle_rename(server: Server, s: Session, m: Message) -> None:
    """RENAME <channel> <new name> [reason] (IRCv3 draft/channel-rename), by a channel operator.

    Members with the capability get RENAME; the others see themselves PART the old name and JOIN
    the new one (with its topic and names), as the spec's fallback (not when only the case
    changes: the spec says so, and the channel is the same to everyone). History follows the new
    name (storage moves it: CHATHISTORY on the new name reads the whole channel, replayed events
    name it as it is called now); the channel's modes, lists, topic and metadata go with it."""
    old_name, new_name = m.params[0], m.params[1]
    reason = m.param(2)
    channel = server.state.find_channel(old_name)
    if channel is None or is_hidden_from(s, channel):
        s.numeric(rpl.ERR_NOSUCHCHANNEL, old_name, "No such channel")
        return
    if not channel.is_op(s.user):
        s.numeric(rpl.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        return
    if not valid_channel(new_name, server.config.channellen) or new_name[0] != channel.name[0]:
        s.fail("RENAME", "CANNOT_RENAME", "That name cannot be used", channel.name, new_name)
        return
    existing = server.state.find_channel(new_name)
    registered = chanserv.is_registered_name(server, new_name)
    if (existing is not None and existing is not channel) or (
        registered and casefold(new_name) != channel.folded
    ):
        s.fail("RENAME", "CHANNEL_NAME_IN_USE", "That name is taken", channel.name, new_name)
        return
    if chanserv.is_registered_name(server, channel.name) and casefold(new_name) != channel.folded:
        why = "A registered channel keeps its name (ChanServ)"
        s.fail("RENAME", "CANNOT_RENAME", why, channel.name, new_name)
        return
    old, old_folded = channel.name, channel.folded
    server.state.rename_channel(channel, new_name)
    if server.storage is not None:
        server.storage.renamed(channel, old_folded)
    tags = server.relay_tags(s)
    for member in server.sessions_among(list(channel.members)):
        if "draft/channel-rename" in member.caps:
            # the reason is always there, empty when none was given (MUST, the spec)
            member.send(Message("RENAME", (old, channel.name, reason), s.prefix, tags))
            continue
        if channel.folded == old_folded:
            continue  # only the case changed: no PART and JOIN for that (the spec)
        own = server.relay_tags(member)
        part = (old, f"Renamed to {channel.name}" + (f": {reason}" if reason else ""))
        member.send(Message("PART", part, member.prefix, own))
        announce_join(server, member.user, channel, [member], own)
        if channel.topic:
            send_topic(server, member, channel)
        send_names(server, member, channel)
