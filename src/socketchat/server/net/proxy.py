"""IRC and TLS listeners behind a TCP proxy that speaks the PROXY protocol (v1 or v2).

With ``proxy_protocol`` (IRC port) or ``tls_proxy_protocol`` (TLS port) on, every connection
must come from an address in ``trusted_proxies`` and start with a PROXY header; the session then
gets the client's address from it. Anything else is refused and logged: a peer that is not a
trusted proxy, a header that is invalid, longer than the protocol allows, or not complete within
`PROXY_HEADER_TIMEOUT` seconds.

The header comes before TLS, so it cannot be read by an asyncio protocol above a TLS transport.
This listener accepts raw sockets itself, reads exactly the header's bytes (never past them:
what follows is the TLS handshake or the first IRC line), and only then hands the socket to
asyncio (`loop.connect_accepted_socket`, with TLS if the listener has it), with a `StreamLink`
that knows the client's address.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Coroutine
from typing import TYPE_CHECKING

from socketchat.server.net.stream import StreamLink
from socketchat.server.proxies import (
    PROXY_HEADER_TIMEOUT,
    PROXY_V1_MAX,
    ProxyHeader,
    ProxyHeaderError,
    TrustedNetworks,
    parse_proxy_header,
    proxy_bytes_wanted,
)

if TYPE_CHECKING:
    from socketchat.server.core import Server

log = logging.getLogger("socketchat.server")


async def read_proxy_header(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> ProxyHeader:
    """Read one PROXY header from a non-blocking socket, consuming nothing after it."""
    data = b""
    while True:
        header = parse_proxy_header(data)
        if header is not None:
            return header
        wanted = proxy_bytes_wanted(data)
        if wanted is not None:  # v2 (or the first byte): these bytes are surely the header's
            chunk = await loop.sock_recv(sock, wanted)
        else:  # v1: up to its LF, found by peeking, never past it
            chunk = await loop.sock_recv(sock, 1)
            if chunk and chunk != b"\n":
                try:
                    peeked = sock.recv(PROXY_V1_MAX - len(data) - 1, socket.MSG_PEEK)
                except (BlockingIOError, InterruptedError):
                    peeked = b""
                end = peeked.find(b"\n")
                take = end + 1 if end >= 0 else len(peeked)
                if take:
                    chunk += sock.recv(take)
        if not chunk:
            raise ProxyHeaderError("connection closed before the PROXY header ended")
        data += chunk


class ProxyListener:
    """Accepts connections on one address, reads their PROXY header, starts their sessions."""

    def __init__(
        self,
        server: Server,
        trusted: TrustedNetworks,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.server = server
        self.trusted = trusted
        self.tls = tls
        self.sockets: list[socket.socket] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on every address `host` resolves to; the port actually bound."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        for family, type_, proto, _name, address in infos:
            sock = socket.socket(family, type_, proto)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address if not self.sockets else (address[0], port, *address[2:]))
            sock.listen(1024)
            sock.setblocking(False)
            port = sock.getsockname()[1]
            self.sockets.append(sock)
            self._spawn(self._accept_loop(sock))
        return port

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept_loop(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, peer = await loop.sock_accept(listener)
            except OSError as exc:
                log.warning("proxy listener: accept failed: %s", exc)
                await asyncio.sleep(0.1)
                continue
            sock.setblocking(False)
            self._spawn(self._handle(sock, str(peer[0]), int(peer[1])))

    async def _handle(self, sock: socket.socket, peer_ip: str, peer_port: int) -> None:
        loop = asyncio.get_running_loop()
        if not self.trusted.contains(peer_ip):
            log.warning(
                "refused %s:%d: not a trusted proxy (PROXY protocol port)", peer_ip, peer_port
            )
            sock.close()
            return
        try:
            header = await asyncio.wait_for(read_proxy_header(loop, sock), PROXY_HEADER_TIMEOUT)
        except (ProxyHeaderError, TimeoutError, OSError) as exc:
            reason = "no PROXY header in time" if isinstance(exc, TimeoutError) else str(exc)
            log.warning("refused %s:%d: %s", peer_ip, peer_port, reason)
            sock.close()
            return
        client = (header.ip, header.port) if header.ip is not None else (peer_ip, peer_port)
        log.debug("proxy: %s:%d forwards %s:%d", peer_ip, peer_port, *client)
        server, secure = self.server, self.tls is not None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await loop.connect_accepted_socket(
                lambda: StreamLink(server, secure=secure, peer=client), sock, ssl=self.tls
            )
        except (OSError, ssl.SSLError) as exc:
            log.info("proxied connection from %s:%d failed: %s", client[0], client[1], exc)
            sock.close()

    async def close(self) -> None:
        """Stop accepting; connections still reading their header are dropped."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sock in self.sockets:
            sock.close()
        self.sockets.clear()
