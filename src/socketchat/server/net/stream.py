"""TCP and TLS connections: an asyncio Protocol that is also the session's `Link`."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from socketchat.server.connthrottle import TOO_FAST_LINE

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session


# A TLS handshake that takes longer is dropped (asyncio's default is 60 s): a connection that
# never finishes one holds a descriptor without being a session yet.
TLS_HANDSHAKE_TIMEOUT = 10.0


class StreamLink(asyncio.Protocol):
    """One TCP/TLS client. asyncio calls the Protocol half; the server core calls the Link half."""

    __slots__ = (
        "_closed",
        "_on_made",
        "_peer",
        "_server",
        "_throttled",
        "_transport",
        "secure",
        "session",
    )

    def __init__(
        self,
        server: Server,
        *,
        secure: bool = False,
        peer: tuple[str, int] | None = None,
        on_made: Callable[[], None] | None = None,
        throttled: bool = False,
    ) -> None:
        self._server = server
        self._on_made = on_made  # called first in connection_made (net/tls.py: stop pending)
        self._peer = peer  # the client's address when a proxy told us (PROXY protocol)
        # its address was already asked about (`Server.reconnect_too_fast`) at the accept
        self._throttled = throttled
        self.secure = secure
        self._transport: asyncio.Transport | None = None
        self.session: Session | None = None
        self._closed = False

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have the same methods.
        # (asyncio and uvloop both set TCP_NODELAY on TCP connections: nothing to do here.)
        self._transport = cast(asyncio.Transport, transport)
        if self._on_made is not None:
            self._on_made()
        peer = self._peer or transport.get_extra_info("peername") or ("0.0.0.0", 0)
        kind = "tls" if self.secure else "tcp"
        if not self._throttled and self._server.reconnect_too_fast(str(peer[0])):
            # refused before it is a session: cheap for a flooder that keeps reconnecting
            self._closed = True
            self._transport.write(TOO_FAST_LINE)
            self._transport.close()
            return
        self.session = self._server.connect(
            self, str(peer[0]), int(peer[1]), secure=self.secure, kind=kind
        )
        if self.secure:  # a client certificate (tls_client_ca): its fingerprint, for EXTERNAL
            tls = transport.get_extra_info("ssl_object")
            der = tls.getpeercert(binary_form=True) if tls is not None else None
            if der:
                self.session.certfp = hashlib.sha256(der).hexdigest()

    def data_received(self, data: bytes) -> None:
        if self.session is not None:
            self.session.receive_data(data)

    def eof_received(self) -> bool | None:
        return None  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self.session is not None:
            reason = "Connection closed" if exc is None else f"Connection error: {exc}"
            self.session.connection_lost(reason)

    # -- Link ----------------------------------------------------------------------------
    def send(self, lines: list[bytes]) -> None:
        if self._transport is not None and not self._closed:
            self._transport.write(lines[0] if len(lines) == 1 else b"".join(lines))

    def buffered(self) -> int:
        if self._transport is None or self._closed:
            return 0
        return self._transport.get_write_buffer_size()

    def close(self) -> None:
        if self._transport is not None and not self._closed:
            self._closed = True
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None and not self._closed:
            self._closed = True
            self._transport.abort()

    def pause_reading(self) -> None:
        if self._transport is not None and not self._closed:
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._transport is not None and not self._closed:
            self._transport.resume_reading()
