"""The IRC TLS port, counted from the TCP accept.

asyncio's own TLS server shows a connection to its protocol only once the handshake is done, so
a flood of connections that never finish one held descriptors without counting against
`max_clients` or `max_clients_per_ip`. This listener accepts the sockets itself (the accept loop
of `net/proxy.py`, without a PROXY header): each connection counts as pending from its accept
(`Server.accept_pending`, refused ones are closed at once), the handshake has
`TLS_HANDSHAKE_TIMEOUT` seconds, and the session takes over the count when it starts.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from typing import TYPE_CHECKING

from socketchat.server.net.proxy import ProxyListener
from socketchat.server.net.stream import TLS_HANDSHAKE_TIMEOUT, StreamLink
from socketchat.server.proxies import TrustedNetworks

if TYPE_CHECKING:
    from socketchat.server.core import Server

log = logging.getLogger("socketchat.server")


class TlsListener(ProxyListener):
    """Accepts TLS connections on one address; each counts against the limits from accept."""

    def __init__(self, server: Server, tls: ssl.SSLContext) -> None:
        super().__init__(server, TrustedNetworks(()), tls=tls)

    async def _handle(self, sock: socket.socket, peer_ip: str, peer_port: int) -> None:
        server = self.server
        # too fast: closed before the handshake (an ERROR line would not be TLS)
        if server.reconnect_too_fast(peer_ip) or not server.accept_pending(peer_ip):
            sock.close()
            return
        counted = True

        def handed_over() -> None:
            """The handshake is done (the session counts now) or failed: not pending."""
            nonlocal counted
            if counted:
                counted = False
                server.pending_done(peer_ip)

        loop = asyncio.get_running_loop()
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await loop.connect_accepted_socket(
                lambda: StreamLink(server, secure=True, on_made=handed_over, throttled=True),
                sock,
                ssl=self.tls,
                ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT,
            )
        except (OSError, ssl.SSLError, TimeoutError) as exc:
            log.debug("tls: handshake with %s:%d failed: %s", peer_ip, peer_port, exc)
            sock.close()
        finally:
            handed_over()
