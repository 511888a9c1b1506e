"""The one transport interface the server core writes to: TCP, TLS and WebSocket all implement it.

Like ergo's IRCConn it is message-oriented: the core hands over whole lines (each ending in CRLF);
a stream transport concatenates them, a WebSocket transport sends one frame per line. The core
never reads from a Link: adapters push received bytes or lines into the session themselves.
"""

from __future__ import annotations

from typing import Protocol


class Link(Protocol):
    def send(self, lines: list[bytes]) -> None:
        """Queue lines for sending without blocking. Each line ends in CRLF."""

    def buffered(self) -> int:
        """Bytes handed to `send` that the peer has not yet taken."""

    def close(self) -> None:
        """Send what is queued, then close. Idempotent."""

    def abort(self) -> None:
        """Close now, dropping what is queued (a peer that stopped reading). Idempotent."""

    def pause_reading(self) -> None:
        """Stop delivering input (flood control); `resume_reading` undoes it."""

    def resume_reading(self) -> None: ...


class NullLink:
    """A Link that drops everything: the link of a session whose bytes are not this process's
    to write (a cluster node's shadow of another node's session, `server/cluster/`).
    `Session.write` knows it and drops a line before it reaches the outbox, so fan-out to
    shadows costs a check per recipient, not an outbox and a flush."""

    __slots__ = ()

    def send(self, lines: list[bytes]) -> None:
        pass

    def buffered(self) -> int:
        return 0

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


NULL_LINK = NullLink()
