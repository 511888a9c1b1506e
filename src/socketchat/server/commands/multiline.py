"""Client batches for IRCv3 draft/multiline: one message of several lines.

    BATCH +<ref> draft/multiline <target>      (client tags and a label go on this line)
    @batch=<ref> PRIVMSG <target> :<line>      ... each line, `draft/multiline-concat` to join
    BATCH -<ref>                               the message goes out

Recipients with the capability get it as one `draft/multiline` batch carrying the msgid and
time; the others get its non-blank lines as separate messages, the first one with the msgid
(the spec's fallback). The sender's echo is the batch, labeled with the opening line's label.
Limits (`max-bytes`, `max-lines` in the capability's value) and malformed batches are
`FAIL BATCH MULTILINE_*`, and the whole batch is dropped. History keeps the fallback lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold, is_channel
from socketchat.irc.message import Message
from socketchat.server.commands.messaging import may_speak
from socketchat.server.commands.visibility import is_hidden_from

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

CAP = "draft/multiline"
BATCH_TYPE = "draft/multiline"
CONCAT = "draft/multiline-concat"
MAX_BYTES = 4096
MAX_LINES = 32
CAP_VALUE = f"max-bytes={MAX_BYTES},max-lines={MAX_LINES}"


@dataclass
class OpenBatch:
    ref: str
    target: str
    client_tags: dict[str, str]
    label: str | None
    command: str = ""
    lines: list[tuple[str, bool]] = field(default_factory=list)  # (text, concat)
    size: int = 0


def handle_batch(server: Server, s: Session, m: Message, label: str | None) -> None:
    """BATCH from a client (only draft/multiline batches exist for clients)."""
    ref = m.param(0)
    if ref.startswith("+"):
        if len(m.params) < 3 or m.params[1] != BATCH_TYPE or CAP not in s.caps:
            _fail(s, "MULTILINE_INVALID", "Only draft/multiline batches, with the capability")
            return
        if s.multiline is not None:
            _fail(s, "MULTILINE_INVALID", "A batch is already open")
            s.multiline = None
            return
        tags = {k: v for k, v in m.tags.items() if k.startswith("+")} if m.tags else {}
        s.multiline = OpenBatch(ref[1:], m.params[2], tags, label)
        return
    batch = s.multiline
    s.multiline = None
    if batch is None or ref != "-" + batch.ref:
        _fail(s, "MULTILINE_INVALID", "No such batch is open")
        return
    if not batch.lines or all(not text for text, _ in batch.lines):
        _fail(s, "MULTILINE_INVALID", "The batch holds no message")
        return
    _deliver(server, s, batch)


def handle_batch_command(server: Server, s: Session, m: Message) -> None:
    """The table's entry (dispatch hands BATCH to `handle_batch` itself, with the label)."""
    handle_batch(server, s, m, None)


def add_line(server: Server, s: Session, m: Message) -> None:
    """A line while a batch is open: it must belong to it, else the batch is dropped."""
    batch = s.multiline
    assert batch is not None
    s.multiline = None  # until the line proves good
    tag = m.tags.get("batch") if m.tags else None
    if tag != batch.ref or m.command not in ("PRIVMSG", "NOTICE") or len(m.params) < 2:
        _fail(s, "MULTILINE_INVALID", "Lines of a batch carry its tag and are PRIVMSG or NOTICE")
        return
    if casefold(m.params[0]) != casefold(batch.target) or batch.command not in ("", m.command):
        _fail(s, "MULTILINE_INVALID", "Every line goes to the batch's target, as one command")
        return
    text = m.params[1]
    concat = CONCAT in m.tags
    if concat and not text:
        _fail(s, "MULTILINE_INVALID", "A blank line cannot be concatenated")
        return
    if len(batch.lines) >= MAX_LINES:
        _fail(s, "MULTILINE_MAX_LINES", "Too many lines", str(MAX_LINES))
        return
    batch.size += len(text.encode())
    if batch.size > MAX_BYTES:
        _fail(s, "MULTILINE_MAX_BYTES", "The message is too long", str(MAX_BYTES))
        return
    batch.command = m.command
    batch.lines.append((text, concat))
    s.multiline = batch


def _fail(s: Session, code: str, text: str, *context: str) -> None:
    s.fail("BATCH", code, text, *context)


def _deliver(server: Server, s: Session, batch: OpenBatch) -> None:
    command = batch.command or "PRIVMSG"
    target = batch.target
    if is_channel(target):
        channel = server.state.find_channel(target)
        if channel is None or (is_hidden_from(s, channel) and not may_speak(s, channel)):
            s.numeric(rpl.ERR_NOSUCHCHANNEL, target, "No such channel")
            return
        if not may_speak(s, channel):
            s.numeric(rpl.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel")
            return
        recipients = [u for u in channel.members if u is not s]
        history_target, history_user = channel.name, None
    else:
        user = server.state.find_nick(target)
        if user is None or not user.registered:
            s.numeric(rpl.ERR_NOSUCHNICK, target, "No such nick/channel")
            return
        recipients = [user] if user is not s else []
        history_target, history_user = user.nick, user
    tags = server.relay_tags(s, msgid=True)
    tags.update(batch.client_tags)
    plain_tags = {k: v for k, v in tags.items() if k != "msgid"}
    fallback = []
    for text, _concat in batch.lines:
        if text:
            fallback.append(Message(command, (target, text), s.prefix, plain_tags))
    fallback[0] = fallback[0].with_tags(tags)
    if server.storage is not None:
        for line in fallback:
            server.storage.store_message(line, history_target, s, history_user)
    for u in recipients:
        _send_to(server, u, s, batch, command, tags, fallback, None)
    if "echo-message" in s.caps or (not recipients and history_user is s):
        _send_to(server, s, s, batch, command, tags, fallback, batch.label)


def _send_to(
    server: Server,
    u: Session,
    sender: Session,
    batch: OpenBatch,
    command: str,
    tags: dict[str, str],
    fallback: list[Message],
    label: str | None,
) -> None:
    if CAP not in u.caps or "batch" not in u.caps:
        for line in fallback:
            u.send(line)
        return
    ref = server.next_msgid()
    start_tags = dict(tags)
    if label is not None and "labeled-response" in u.caps:
        start_tags["label"] = label
    u.send(Message("BATCH", ("+" + ref, BATCH_TYPE, batch.target), sender.prefix, start_tags))
    for text, concat in batch.lines:
        line_tags = {"batch": ref, **({CONCAT: ""} if concat else {})}
        u.send(Message(command, (batch.target, text), sender.prefix, line_tags))
    u.send(Message("BATCH", ("-" + ref,), sender.prefix))
