"""Client batches of IRCv3 draft/multiline: one message of several lines.

    BATCH +<ref> draft/multiline <target>       (client-only tags ride on this line)
    @batch=<ref> PRIVMSG <target> :<line>       (with draft/multiline-concat: no line feed)
    BATCH -<ref>

The lines wait in the connection's open batch (`Session.multiline`, input state like its
framing: nobody else looks at it) until `BATCH -`, then go out as one message with one msgid
and one time:

* to clients with `draft/multiline` (and batch): as a `draft/multiline` batch, the msgid, time,
  account and client tags on the opening BATCH, the lines as the sender composed them;
* to the others: the lines one by one, blank ones left out, the first with every tag (msgid
  included) and the rest with time, account and client tags (the spec's fallback);
* to history: one stored message whose text is the combined value (lines joined by line feeds,
  concat lines joined directly), with the line composition in a server-only tag
  (`LINES_TAG`), so CHATHISTORY and replay send it back the same two ways (`expand`).

Limits are in the capability value (`max-bytes`, the combined value's bytes with the line
feeds; `max-lines`); a batch past one is answered `FAIL BATCH MULTILINE_MAX_BYTES|LINES <limit>`
and dropped, its remaining lines swallowed until its `BATCH -`. Other errors are
`MULTILINE_INVALID_TARGET` (a line to another target) and `MULTILINE_INVALID` (a line for
another batch, a blank concat line, only blank lines, an unknown batch type, a batch without
the capability, any other command while the batch is open: that command still runs). One FAIL
per batch: a failed batch swallows its own lines and its `BATCH -`, so none of them is relayed
on its own. A labeled `BATCH +` is answered at `BATCH -` (dispatch hands the label over): the
label goes on the echo's opening BATCH (or an ACK without echo-message).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold, is_channel
from socketchat.irc.message import MAX_BODY, Message, fit_text
from socketchat.server import services
from socketchat.server.commands.visibility import channel_to_speak_in

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.user import User
    from socketchat.storage.base import StoredMessage

CAP = "draft/multiline"
BATCH_TYPE = "draft/multiline"
CONCAT = "draft/multiline-concat"
MAX_BYTES = 4096
MAX_LINES = 32
CAP_VALUE = f"max-bytes={MAX_BYTES},max-lines={MAX_LINES}"
LINES_TAG = "socketchat/lines"  # stored only: where the concat lines start (never sent)


@dataclass(slots=True)
class OpenBatch:
    """A client's multiline batch between `BATCH +` and `BATCH -`."""

    ref: str
    target: str
    tags: dict[str, str]  # client-only tags of the opening line
    label: str | None
    command: str = ""
    lines: list[tuple[str, bool]] = field(default_factory=list)  # (text, concat)
    size: int = 0  # bytes of the combined value so far
    failed: bool = False  # answered with a FAIL: swallow the rest until BATCH -


def handle_batch(server: Server, s: Session, m: Message, label: str | None) -> None:
    """BATCH from a client (dispatch hands it here with its label: answered at the end)."""
    ref = m.param(0)
    if ref.startswith("+"):
        if len(m.params) < 3 or m.params[1] != BATCH_TYPE or len(ref) < 2 or CAP not in s.caps:
            _fail(s, label, "MULTILINE_INVALID", "Only draft/multiline batches, with the cap")
            return
        if s.multiline is not None and not s.multiline.failed:
            s.multiline = None
            _fail(s, label, "MULTILINE_INVALID", "A multiline batch is already open")
            return
        client_tags = {k: v for k, v in m.tags.items() if k.startswith("+")} if m.tags else {}
        s.multiline = OpenBatch(ref[1:], m.params[2], client_tags, label)
        return
    batch = s.multiline
    if not ref.startswith("-") or batch is None or ref[1:] != batch.ref:
        s.multiline = None
        _fail(s, label, "MULTILINE_INVALID", "No such multiline batch is open")
        return
    s.multiline = None
    if batch.failed:
        return  # answered when it failed
    if not batch.lines or all(not text for text, _ in batch.lines):
        _fail(s, batch.label, "MULTILINE_INVALID", "A multiline message needs some text")
        return
    _deliver(server, s, batch)


def handle_batch_command(server: Server, s: Session, m: Message) -> None:
    """The table's entry (dispatch hands BATCH to `handle_batch` itself, with the label)."""
    handle_batch(server, s, m, None)


def add_line(server: Server, s: Session, m: Message) -> bool:
    """Any line while a batch is open. True: it was the batch's (taken, or swallowed when the
    batch already failed); False: another command, to be run as usual (it fails the batch)."""
    batch = s.multiline
    assert batch is not None
    ref = m.tags.get("batch", "") if m.tags else ""
    ours = m.command in ("PRIVMSG", "NOTICE") and ref == batch.ref
    if batch.failed:
        return ours
    if not ours:
        batch.failed = True  # its BATCH - is swallowed; this line is run as usual
        _fail(s, batch.label, "MULTILINE_INVALID", "Only the batch's PRIVMSG lines, until its end")
        return ref != "" and m.command in ("PRIVMSG", "NOTICE")  # another batch's: dropped
    if len(m.params) < 2 or casefold(m.params[0]) != casefold(batch.target):
        batch.failed = True
        s.fail(
            "BATCH",
            "MULTILINE_INVALID_TARGET",
            "Invalid multiline target",
            batch.target,
            m.param(0),
        )
        return True
    text, concat = m.params[1], CONCAT in m.tags
    if (batch.command and m.command != batch.command) or (concat and not text):
        batch.failed = True
        _fail(s, batch.label, "MULTILINE_INVALID", "Invalid multiline batch")
        return True
    batch.command = m.command
    batch.size += len(text.encode("utf-8", "replace")) + (1 if batch.lines and not concat else 0)
    if len(batch.lines) >= MAX_LINES:
        batch.failed = True
        _fail(s, batch.label, "MULTILINE_MAX_LINES", "Too many lines", str(MAX_LINES))
        return True
    if batch.size > MAX_BYTES:
        batch.failed = True
        _fail(s, batch.label, "MULTILINE_MAX_BYTES", "Message too long", str(MAX_BYTES))
        return True
    batch.lines.append((text, concat))
    return True


def stray_line(s: Session) -> None:
    """A PRIVMSG/NOTICE tagged for a batch while none is open: not relayed on its own."""
    _fail(s, None, "MULTILINE_INVALID", "That line belongs to no open multiline batch")


def _fail(s: Session, label: str | None, code: str, text: str, *context: str) -> None:
    msg = Message("FAIL", ("BATCH", code, *context, text), s.server.name)
    s.send(msg.with_tags({"label": label}) if label else msg)


def _deliver(server: Server, s: Session, batch: OpenBatch) -> None:
    target, command = batch.target, batch.command
    quiet = command == "NOTICE"
    s.user.last_message_at = server.monotonic()
    recipients: list[User]
    channel = None
    if is_channel(target):
        channel = channel_to_speak_in(server, s, target, quiet=quiet)
        if channel is None:
            return
        target, recipients, peer = channel.name, list(channel.members), None
    else:
        peer = server.state.find_nick(target)
        if services.is_service(server, target) or peer is None or not peer.registered:
            if not quiet:
                s.numeric(rpl.ERR_NOSUCHNICK, target, "No such nick/channel")
            return
        if command == "PRIVMSG" and peer.away is not None:
            s.numeric(rpl.RPL_AWAY, peer.nick, peer.away)
        recipients = [peer] if peer is s.user else [peer, s.user]  # (its other devices)
    # each relayed line fits in 512 bytes with this sender's prefix (as single lines do)
    budget = MAX_BODY - len(s.prefix.encode("utf-8", "replace")) - len(command) - 7
    budget -= len(target.encode("utf-8", "replace"))
    lines = [(fit_text(text, budget), concat) for text, concat in batch.lines]
    tags = server.relay_tags(s, msgid=True)
    tags.update(batch.tags)
    if server.storage is not None:
        combined, marker = compose(lines)
        stored_msg = Message(command, (target, combined), s.prefix, {**tags, LINES_TAG: marker})
        server.storage.store_message(stored_msg, target, s, peer)
    batched = build(server, command, s.prefix, target, lines, tags)
    fallback = build_fallback(command, s.prefix, target, lines, tags)
    others = [u for u in server.sessions_among(recipients) if u is not s]
    if peer is s.user:
        others.append(s)  # a message to oneself arrives (and is echoed below, as PRIVMSG is)
    wants = [u for u in others if CAP in u.caps and "batch" in u.caps]
    plain = [u for u in others if not (CAP in u.caps and "batch" in u.caps)]
    for line in batched:
        server.deliver(line, wants)
    for line in fallback:
        server.deliver(line, plain)
    # draft/webpush: the whole message as one line (a push carries one), cut to fit
    text = "".join(("" if concat or i == 0 else " ") + t for i, (t, concat) in enumerate(lines))
    pushed = Message(command, (target, fit_text(text, budget)), s.prefix, tags)
    if channel is not None:
        server.push.channel_message(s, channel, pushed)
    elif peer is not None:
        server.push.private_message(s, peer.account, pushed)
    if "echo-message" not in s.caps:
        if batch.label:
            s.send(Message("ACK", (), server.name, {"label": batch.label}))
        return
    echo = batched if CAP in s.caps and "batch" in s.caps else fallback
    for i, line in enumerate(echo):
        s.send(
            line.with_tags({**line.tags, "label": batch.label}) if i == 0 and batch.label else line
        )


def build(
    server: Server,
    command: str,
    source: str,
    target: str,
    lines: list[tuple[str, bool]],
    tags: dict[str, str],
) -> list[Message]:
    """The message as a draft/multiline batch: tags on the opening BATCH."""
    ref = server.next_msgid()
    out = [Message("BATCH", ("+" + ref, BATCH_TYPE, target), source, tags)]
    for text, concat in lines:
        line_tags = {"batch": ref, CONCAT: ""} if concat else {"batch": ref}
        out.append(Message(command, (target, text), source, line_tags))
    out.append(Message("BATCH", ("-" + ref,), source))
    return out


def build_fallback(
    command: str, source: str, target: str, lines: list[tuple[str, bool]], tags: dict[str, str]
) -> list[Message]:
    """The message as separate lines, blank ones left out; only the first has the msgid."""
    rest = {k: v for k, v in tags.items() if k != "msgid"}
    kept = [text for text, _ in lines if text]
    return [
        Message(command, (target, text), source, tags if i == 0 else rest)
        for i, text in enumerate(kept)
    ]


def compose(lines: list[tuple[str, bool]]) -> tuple[str, str]:
    """The combined value, and where in it its concat lines start (comma-separated)."""
    combined = ""
    starts: list[str] = []
    for i, (text, concat) in enumerate(lines):
        if i and concat:
            starts.append(str(len(combined)))
        elif i:
            combined += "\n"
        combined += text
    return combined, ",".join(starts)


def decompose(combined: str, marker: str) -> list[tuple[str, bool]]:
    """The lines `compose` made `combined` and `marker` from."""
    cuts = {int(x) for x in marker.split(",") if x.isdigit()} - {0}
    lines: list[tuple[str, bool]] = []
    current, concat = "", False
    for i, ch in enumerate(combined):
        if i in cuts:
            lines.append((current, concat))
            current, concat = "", True
        if ch == "\n":
            lines.append((current, concat))
            current, concat = "", False
            continue
        current += ch
    lines.append((current, concat))
    return lines


def expand(server: Server, s: Session, row: StoredMessage, base: Message) -> list[Message] | None:
    """A stored multiline message as the lines to send `s` (None: not a multiline message).

    `base` is the single-line form history would send (its tags, with the server-only tag
    removed)."""
    marker = row.tags.get(LINES_TAG)
    if marker is None:
        return None
    lines = decompose(row.text, marker)
    tags = dict(base.tags)
    if CAP in s.caps and "batch" in s.caps:
        return build(server, row.command, row.source, row.target, lines, tags)
    return build_fallback(row.command, row.source, row.target, lines, tags)
