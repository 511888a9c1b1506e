"""A round-robin TCP proxy: each new connection goes to the next backend, bytes are copied both
ways unchanged.

Why it exists: to run a test suite (irctest, our own tests, the benchmark) against several
socketchat nodes as if they were one server, one address in front of them, with one test's
clients spread over the nodes (the first client to node 1, the second to node 2, ...). A load
balancer such as HAProxy would do the same; this one has no dependency and starts in-process.

What it guarantees, since a test through it must not see anything a direct connection would not:
- bytes are copied as they come, in order, with backpressure (a slow reader on one side stops
  the proxy reading the other side, so the server's SendQ sees the slow client);
- a half-close is passed on: EOF from one side becomes a `shutdown(SHUT_WR)` towards the other,
  and the connection ends only when both directions have ended (a client that sends QUIT and
  then EOF still gets the server's ERROR);
- a reset (or any error) on one side aborts the other side at once;
- a backend that refuses is skipped for the next one (every backend refusing: the client's
  connection is closed), so a dead node does not fail every n-th connection.

    python -m tests.support.rrproxy --listen 127.0.0.1:6667 --backend 127.0.0.1:7001 \
        --backend 127.0.0.1:7002 --backend 127.0.0.1:7003
(several --listen/--backends groups: see `main`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

CHUNK = 65536


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"not HOST:PORT: {text!r}")
        return cls(host.strip("[]"), int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class RoundRobinProxy:
    """One listening address in front of `backends`; `start()` then `close()`.

    `connections` counts the connections handed to each backend (by index), for tests and logs.
    """

    backends: Sequence[Address]
    host: str = "127.0.0.1"
    port: int = 0
    connect_timeout: float = 5.0
    connections: list[int] = field(default_factory=list)
    _next: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.backends:
            raise ValueError("a proxy needs at least one backend")
        self.connections = [0] * len(self.backends)

    async def start(self) -> RoundRobinProxy:
        self._server = await asyncio.start_server(
            self._accepted, self.host, self.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        """Stop listening and cut every proxied connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    def _pick(self) -> list[int]:
        """The backends to try for this connection, in order: the next one first."""
        first = self._next
        self._next = (self._next + 1) % len(self.backends)
        return [(first + i) % len(self.backends) for i in range(len(self.backends))]

    async def _accepted(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(client_reader, client_writer)
        finally:
            self._tasks.discard(task)

    async def _serve(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        backend: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for index in self._pick():
            address = self.backends[index]
            try:
                backend = await asyncio.wait_for(
                    asyncio.open_connection(address.host, address.port), self.connect_timeout
                )
            except (OSError, TimeoutError):
                continue
            self.connections[index] += 1
            break
        if backend is None:
            _reset(client_writer)
            return
        server_reader, server_writer = backend
        for writer in (client_writer, server_writer):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream = asyncio.create_task(_copy(client_reader, server_writer))
        downstream = asyncio.create_task(_copy(server_reader, client_writer))
        try:
            pending: set[asyncio.Task[bool]] = {upstream, downstream}
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if not all(task.result() for task in done):
                    break  # an error on one side: abort both at once (below)
            else:
                client_writer.close()
                server_writer.close()
                return
        except asyncio.CancelledError:
            pass
        finally:
            upstream.cancel()
            downstream.cancel()
        _reset(client_writer)
        _reset(server_writer)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as the far side's reset did: a plain close would
    send FIN, and the other side would take an error for an orderly end."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """Copy until EOF, then half-close the writer. True on EOF, False on an error."""
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        return True
    except (OSError, RuntimeError):
        return False


async def serve_forever(groups: Sequence[tuple[Address, Sequence[Address]]]) -> None:
    """Proxies for each (listen, backends) group until SIGTERM or SIGINT."""
    proxies = [
        await RoundRobinProxy(backends, listen.host, listen.port).start()
        for listen, backends in groups
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for proxy in proxies:
        await proxy.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--listen",
        action="append",
        required=True,
        help="HOST:PORT to listen on; each --listen takes the --backend options after it",
    )
    parser.add_argument("--backend", action="append", default=[], help="HOST:PORT")
    # --listen A --backend x --backend y --listen B --backend z: regroup by position
    args_list = list(argv) if argv is not None else None
    parser.parse_args(args_list)  # validates and answers --help
    tokens = args_list if args_list is not None else sys.argv[1:]
    groups: list[tuple[Address, list[Address]]] = []
    it = iter(tokens)
    for token in it:
        name, _, inline = token.partition("=")
        value = inline or next(it)
        if name == "--listen":
            groups.append((Address.parse(value), []))
        elif name == "--backend":
            if not groups:
                parser.error("--backend before any --listen")
            groups[-1][1].append(Address.parse(value))
    for listen, backends in groups:
        if not backends:
            parser.error(f"--listen {listen} has no --backend")
    asyncio.run(serve_forever(groups))


if __name__ == "__main__":
    main()
