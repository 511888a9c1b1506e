"""A second device of a person, and a person coming back: multiclient and always-on.

A connection that finishes registering logged in to an account (SASL, or PASS/NickServ before
the welcome) and asking for the nick of a user of the same account who is here — connected on
other devices, or always-on with none — does not get 433: it attaches to that user
(`attach_target`, `attach`). The provisional user it had while registering is dropped.

The attached session then gets what a client needs to show the user's state as if it had been
there all along: the welcome burst with the user's nick, a JOIN of each of the user's channels
(with topic, read marker, names), and — for clients that do not fetch history themselves — the
lines it missed: channel lines since the account's replay marker (`Persistence.joined`, never a
line twice), and private messages received while no device was connected. A user returning
from always-on is no longer away (unless it set AWAY itself).

NickServ SET MULTICLIENT OFF makes each connection of the account a user of its own again (433
for a nick already in use, as before).

Offline messages: a PRIVMSG or NOTICE to the nick of a registered account that nobody is using
(its always-on is off, or the server restarted) is not 401: it is stored as a private message to
the account, the sender is told (301, as for someone away), push subscriptions hear of it, and
the account's next device gets it (`replay_missed`: everything since its last device left,
`Persistence.user_left`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold, valid_channel
from socketchat.irc.message import Message
from socketchat.server import chanserv, monitor
from socketchat.server.accounts import always_on_for, multiclient_for
from socketchat.server.commands import history, metadata, readmarker
from socketchat.server.commands.channels import announce_join, send_names, send_topic
from socketchat.server.persistence import persistence_of
from socketchat.server.user import User
from socketchat.server.welcome import send_welcome

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

PM_REPLAY_CONVERSATIONS = 100  # private conversations replayed on return, at most
PM_REPLAY_LINES = 100  # lines per conversation


def attach_target(server: Server, s: Session, nick: str) -> User | None:
    """The user `s` would attach to by asking for `nick`: one of the same account, here (with
    devices or always-on), multiclient allowed. None: `nick` is someone else's (or free)."""
    p = persistence_of(server)
    holder = server.state.find_nick(nick)
    if p is None or holder is None or holder is s.user or not holder.registered:
        return None
    if not s.account or not holder.account or casefold(s.account) != casefold(holder.account):
        return None
    if not multiclient_for(server, p, holder.account):
        return None
    return holder


def attach(server: Server, s: Session, user: User) -> None:
    """Registration of `s` ends by attaching it to `user` (see the module docstring)."""
    provisional = s.user
    if provisional is not user:
        server.state.release_nick(provisional)  # a nick it may have claimed while registering
        provisional.sessions.remove(s)
        s.user = user
        user.sessions.append(s)
    returning = len(user.sessions) == 1  # nobody else was connected: back from always-on
    p = persistence_of(server)
    if p is not None and provisional is not user:
        p.restore_metadata(server, s)  # (the login restored them to the provisional user)
    send_welcome(server, s)
    if returning and user.auto_away:
        user.away, user.auto_away = None, False
        msg = Message("AWAY", (), user.prefix, server.relay_tags(user))
        server.deliver(msg, monitor.audience(server, user, "away-notify"))
    elif user.away is not None:
        s.numeric(rpl.RPL_NOWAWAY, "You have been marked as being away")
    for channel in list(user.channels.values()):
        announce_join(server, user, channel, [s], server.relay_tags(user))
        if channel.topic:
            send_topic(server, s, channel)
        readmarker.send_on_join(server, s, channel.name)
        metadata.send_on_join(server, s, channel)
        if "draft/no-implicit-names" not in s.caps:
            send_names(server, s, channel)
        if server.storage is not None and (rows := server.storage.joined(server, s, channel)):
            history.send_history(server, s, channel.name, rows, replay=True)
    if returning:
        replay_missed(server, s)
    user.left_at = 0.0


def offline_account(server: Server, nick: str) -> str | None:
    """The registered account named `nick`, when nobody holds that nick (offline messages)."""
    p = persistence_of(server)
    if p is None:
        return None
    account = p.backend.get_account(nick)
    return None if account is None else account.name


OFFLINE_TEXT = "is offline; your message is kept and delivered when they return"


def offline_message(server: Server, s: Session, out: Message, account: str) -> None:
    """`out` (PRIVMSG/NOTICE) to `account`, whom nobody is using: kept for its return."""
    if server.storage is not None:
        server.storage.store_message(out, account, s, account)
    if out.command == "PRIVMSG":
        s.numeric(rpl.RPL_AWAY, account, OFFLINE_TEXT)
    server.fanout(out, [s.user], skip=s)  # the sender's other devices
    if "echo-message" in s.caps:
        s.send(out)
    server.push.private_message(s, account, out)  # draft/webpush


def replay_missed(server: Server, s: Session) -> None:
    """Private messages that arrived while no device of `s`'s account was connected (kept by
    an always-on user, or offline messages), to a client that does not fetch history itself
    (CHATHISTORY clients ask with TARGETS)."""
    p = persistence_of(server)
    user = s.user
    if p is None or not user.account or "draft/chathistory" in s.caps:
        return
    seen = p.last_seen_ms(user.account)
    if seen is None:
        return
    me = p.identity(user)
    since = (seen, 0)  # (a line in the very ms it left is replayed)
    now_ms = int(server.clock() * 1000) + 1
    # one query for every conversation (it was two per conversation: an account with
    # hundreds of them cost hundreds of round trips to PostgreSQL at each return)
    missed = p.backend.missed_private(me, since, now_ms, PM_REPLAY_CONVERSATIONS, PM_REPLAY_LINES)
    for conv, rows in missed:
        history.send_history(server, s, conv.other_nick(me), rows, replay=True)


def restore_present(server: Server) -> int:
    """At start: the always-on users who were here when the server stopped (or crashed) are
    here again, with no device (away), holding their nicks, in their channels (a registered
    channel comes back as ChanServ keeps it, with their access-list modes). Returns how many.
    A nick someone else holds, or an account that turned always-on off, is not restored."""
    p = persistence_of(server)
    if p is None:
        return 0
    now, mono, count = server.clock(), server.monotonic(), 0
    limit = server.config.limits.max_channels_per_client
    for folded, state in p.present_users():
        account = p.backend.get_account(folded)
        if account is None or not always_on_for(server, p, account.name):
            p.set_account_value(folded, "present", None)
            continue
        ip = str(state.get("ip") or "0.0.0.0")
        user = User(server.new_id(), ip, str(state.get("host") or server.host_for(ip)), now, mono)
        user.username = str(state.get("username") or "~user")
        user.realname = str(state.get("realname") or account.name)
        user.account, user.always_on, user.left_at = account.name, True, now
        if not server.state.claim_nick(user, str(state["nick"])):
            continue
        server.state.add_user(user)
        own_away = state.get("away")
        user.away = str(own_away) if own_away else server.config.always_on_away
        user.auto_away = not own_away
        names = [n for n in state.get("channels") or () if isinstance(n, str)]
        for name in names[: limit or None]:
            if not valid_channel(name, server.config.channellen):
                continue
            channel = server.state.find_channel(name)
            modes = ""
            if channel is None:
                channel = server.state.create_channel(name, now)
                chanserv.restore(server, channel)
                modes = chanserv.creator_modes(server, channel)
            record = chanserv.registration(server, channel)
            if record is not None:
                wanted = chanserv.level(record, account.name)
                modes = "o" if wanted in ("founder", "o") else wanted
            server.state.add_member(channel, user, modes)
        count += 1
    return count
