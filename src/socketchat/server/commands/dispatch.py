"""Route a parsed message to its handler, doing the checks every command shares exactly once.

The checks, in order: known command (421), registered unless the command may run before (451),
enough parameters (461), operator privilege (481). Labeled-response is handled here too: while a
labeled command runs, everything sent to its session is captured and then sent back as one
labeled message, a labeled BATCH, or an ACK. A command whose blocking work was offloaded
(`Server.offload`) ends later, in `resume`: its label waits for that.

A handler that raises (a bug) answers `FAIL <command> INTERNAL_ERROR`; its traceback is logged
only within `server.tracebacks` (a few per connection, a bounded number per minute, see
`server/errorlog.py`), so that a client repeating the line cannot flood the logs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.framing import FramingError
from socketchat.irc.message import Message, ParseError
from socketchat.server.commands import multiline
from socketchat.server.commands.spec import Command
from socketchat.server.commands.table import COMMANDS

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

log = logging.getLogger("socketchat.server")


def dispatch(server: Server, session: Session, msg: Message) -> int:
    """Run one command. Returns its flood-control cost (`spec.Cost`), measured on what it did:
    the channels it joined or left and the lines it sent back.

    The shared checks' error replies (421, 451, 461, 481) answer the command, so they are
    labeled as any handler's reply would be.
    """
    spec = COMMANDS.get(msg.command)
    server.stats.messages_in += 1
    label = msg.tags.get("label") if msg.tags else None
    if session.registered and msg.command == "BATCH":
        # A client batch answers at its end: the label of its opening line goes on the echo
        # (commands/multiline.py), so it is not wrapped here.
        labeled = label if "labeled-response" in session.caps else None
        multiline.handle_batch(server, session, msg, labeled)
        return 1
    if session.multiline is not None and multiline.add_line(server, session, msg):
        return 1
    if label is None or "labeled-response" not in session.caps:
        if not _admissible(session, msg, spec):
            return 1
        assert spec is not None
        if not spec.measured:  # the common case: nothing to measure
            _run(server, session, msg, spec.handler)
            return spec.fixed if spec.fixed > 0 else spec.cost.charge(msg, 0, 0)
        channels, lines = len(session.channels), len(session.outbox)
        _run(server, session, msg, spec.handler)
        return _charge(spec, session, msg, channels, lines)
    channels, lines = len(session.channels), len(session.outbox)
    session.capture = []
    admitted = False
    try:
        admitted = _admissible(session, msg, spec)
        if admitted:
            assert spec is not None
            _run(server, session, msg, spec.handler)
    finally:
        captured, session.capture = session.capture, None
    if session.held and not session.closed:
        session.deferred_label = (label, captured or [])  # the answer comes in `resume`
    elif not session.closed:
        _send_labeled(server, session, label, captured or [])
    return _charge(spec, session, msg, channels, lines) if admitted and spec is not None else 1


def _charge(spec: Command, session: Session, msg: Message, channels: int, lines: int) -> int:
    """The cost of a command that ran, from the channel count and outbox length before it."""
    changed = abs(len(session.channels) - channels)
    return spec.cost.charge(msg, changed, max(0, len(session.outbox) - lines))


def _admissible(session: Session, msg: Message, spec: Command | None) -> bool:
    """The checks every command shares; False (after the error reply) when one fails."""
    if spec is None:
        if session.registered:
            session.numeric(rpl.ERR_UNKNOWNCOMMAND, msg.command, "Unknown command")
        else:
            session.numeric(rpl.ERR_NOTREGISTERED, "You have not registered")
        return False
    if not session.registered and not spec.before_registration:
        session.numeric(rpl.ERR_NOTREGISTERED, "You have not registered")
        return False
    if len(msg.params) < spec.min_params or (spec.min_params and not msg.params[0]):
        session.numeric(rpl.ERR_NEEDMOREPARAMS, msg.command, "Not enough parameters")
        return False
    if spec.oper_only and "o" not in session.modes:
        session.numeric(rpl.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator")
        return False
    return True


def resume(server: Server, session: Session, rest: Callable[[], None]) -> None:
    """Run `rest`, the end of a command whose blocking work ran elsewhere, as part of that
    command: when it was labeled, its replies are captured and labeled now."""
    deferred, session.deferred_label = session.deferred_label, None
    if deferred is None or session.closed:
        rest()
        return
    label, captured = deferred
    session.capture = captured
    try:
        rest()
    finally:
        captured, session.capture = session.capture or [], None
    if not session.closed:
        _send_labeled(server, session, label, captured)


def _run(server: Server, session: Session, msg: Message, handler: object) -> None:
    try:
        handler(server, session, msg)  # type: ignore[operator]
    except Exception:  # a bug in one handler must not take the server down
        admitted, left_out = server.tracebacks.admit(server.monotonic(), session.internal_errors)
        session.internal_errors += 1
        if admitted:
            last = session.internal_errors == server.tracebacks.per_session
            log.exception(
                "error handling %s from %r%s%s",
                msg.command,
                session,
                f" ({left_out} earlier errors not logged)" if left_out else "",
                " (further errors of this connection are not logged)" if last else "",
            )
        session.send(
            Message("FAIL", (msg.command, "INTERNAL_ERROR", "Internal error"), server.name)
        )


def _send_labeled(server: Server, session: Session, label: str, captured: list[Message]) -> None:
    if not captured:
        session.send(Message("ACK", (), server.name, {"label": label}))
        return
    if len(captured) == 1:
        only = captured[0]
        session.send(only.with_tags({**only.tags, "label": label}))
        return
    # A batch among the replies (CHATHISTORY's) nests: its lines keep their own batch tag.
    session.send_batch("labeled-response", (), captured, tags={"label": label})


def reject(server: Server, session: Session, error: FramingError | ParseError) -> int:
    """A line that could not be framed or parsed: reply, never relay."""
    if isinstance(error, FramingError):
        if error.kind == "too-long":
            session.numeric(rpl.ERR_INPUTTOOLONG, "Input line was too long")
        else:
            session.fail(error.command, "INVALID_UTF8", "Message rejected: it is not valid UTF-8")
    else:
        session.fail("*", "INVALID_MESSAGE", f"Could not parse your message: {error}")
    return 1


class TableDispatcher:
    """The `core.Dispatcher` of the command table: the server is composed with it
    (`server/compose.py`), so that the core needs no import of the commands."""

    __slots__ = ()
    dispatch = staticmethod(dispatch)
    reject = staticmethod(reject)
    resume = staticmethod(resume)


TABLE_DISPATCHER = TableDispatcher()
