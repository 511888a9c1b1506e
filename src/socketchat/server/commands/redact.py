"""REDACT (IRCv3 draft/message-redaction): take back a message that was said.

    REDACT <target> <msgid> [:reason]

Who may: the author (the same account, or the same connection for a client without one: the
sender's identity is stored with each line), a channel operator for any line of the channel,
and a server operator for any line they can read. The line is deleted from history (it leaves
CHATHISTORY and replay at once: the spec's preferred choice, and nothing of it stays on disk),
and the REDACT goes to whoever negotiated `draft/message-redaction` among the channel's members
(or the two parties of a private conversation) — never to clients without it, which keep
what they saw (the spec allows no fallback; a notice about every deletion would be noise).

A message can only be found where the redactor may read history (`Persistence.history_view`:
members for a channel, the two parties for a private conversation), so the FAIL codes tell
nobody whether a message exists somewhere they cannot see:

* INVALID_TARGET: not a channel you are in, nor anyone you have a conversation with;
* UNKNOWN_MSGID: no such message there (or it is no longer kept);
* REDACT_FORBIDDEN: it is there, but not yours and you are not an operator there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc.casemap import casefold, is_channel
from socketchat.irc.message import Message
from socketchat.server.persistence import HistoryView, persistence_of

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.persistence import Persistence
    from socketchat.server.session import Session

CAP = "draft/message-redaction"


def handle_redact(server: Server, s: Session, m: Message) -> None:
    target, msgid = m.params[0], m.params[1]
    reason = m.param(2)
    p = persistence_of(server)
    view = p.history_view(server, s, target) if p is not None else None
    if p is not None and view is None and "o" in s.modes and is_channel(target):
        channel = server.state.find_channel(target)  # server operators need not be members
        if channel is not None:
            view = HistoryView(channel.folded, (channel.era,))
    if p is None or view is None:
        s.fail("REDACT", "INVALID_TARGET", f"You cannot delete messages from {target}", target)
        return
    found = view  # (for the closure: mypy)

    def lookup() -> dict[str, str] | None:
        """Whose the line is: it decides whether the REDACT is relayed to everyone, so on a
        cluster the redactor's node reads it and the log carries the answer (`decide`)."""
        row = p.backend.message(found.key, msgid, eras=found.eras)
        if row is None:
            return None
        return {"sender": row.sender_id, "account": row.tags.get("account", "")}

    server.decide(
        lookup,
        lambda row: _redact(server, p, s, target, msgid, reason, found, row),
        session=s,
    )


def _redact(
    server: Server,
    p: Persistence,
    s: Session,
    target: str,
    msgid: str,
    reason: str,
    view: HistoryView,
    row: dict[str, str] | None,
) -> None:
    if s.closed:
        return
    if row is None:
        gone = "This message does not exist or is too old"
        s.fail("REDACT", "UNKNOWN_MSGID", gone, target, msgid)
        return
    if not _may_redact(server, p, s, target, row):
        s.fail(
            "REDACT",
            "REDACT_FORBIDDEN",
            "You are not authorised to delete this message",
            target,
            msgid,
        )
        return
    p.backend.delete(view.key, msgid)
    params = (target, msgid, reason) if reason else (target, msgid)
    tags = server.relay_tags(s, msgid=True)
    channel = server.state.find_channel(target) if is_channel(target) else None
    if channel is not None:
        out = Message("REDACT", (channel.name, *params[1:]), s.prefix, tags)
        hearers = list(channel.members)
    else:
        out = Message("REDACT", params, s.prefix, tags)
        peer = server.state.find_nick(target)
        hearers = [s.user] if peer is None or peer is s.user else [peer, s.user]
    server.deliver(out, [u for u in server.sessions_among(hearers, CAP) if u is not s])
    s.send(out)  # the redactor's confirmation (and labeled-response answer)


def _may_redact(
    server: Server, p: Persistence, s: Session, target: str, row: dict[str, str]
) -> bool:
    if "o" in s.modes:
        return True  # server operators
    if row["sender"] and row["sender"] == p.identity(s.user):
        return True  # the author: same account, or same connection
    author_account = row["account"]
    if s.account and author_account and casefold(author_account) == casefold(s.account):
        return True  # (lines stored before the sender was kept)
    if is_channel(target):
        channel = server.state.find_channel(target)
        return channel is not None and channel.is_op(s.user)
    return False
