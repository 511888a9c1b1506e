"""The round-robin proxy over real sockets: order of backends, bytes both ways, half-close,
resets and refused backends."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.support import free_port
from tests.support.rrproxy import Address, RoundRobinProxy

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def start_backend(handler: Handler) -> tuple[asyncio.Server, Address]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, Address("127.0.0.1", int(server.sockets[0].getsockname()[1]))


def named(name: bytes) -> Handler:
    """A backend that says its name, then echoes until EOF, then says "bye" and closes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(name + b"\n")
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.write(b"bye")
        await writer.drain()
        writer.close()

    return handler


@pytest.fixture
async def three() -> AsyncIterator[tuple[RoundRobinProxy, list[asyncio.Server]]]:
    started = [await start_backend(named(n)) for n in (b"zero", b"one", b"two")]
    proxy = await RoundRobinProxy([a for _, a in started]).start()
    yield proxy, [s for s, _ in started]
    await proxy.close()
    for server, _ in started:
        server.close()


async def test_each_new_connection_goes_to_the_next_backend(
    three: tuple[RoundRobinProxy, list[asyncio.Server]],
) -> None:
    proxy, _ = three
    names = []
    for _ in range(7):
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        names.append(await reader.readline())
        writer.close()
    assert names == [b"zero\n", b"one\n", b"two\n"] * 2 + [b"zero\n"]
    assert proxy.connections == [3, 2, 2]


async def test_bytes_are_copied_unchanged_both_ways_and_half_close_is_passed_on(
    three: tuple[RoundRobinProxy, list[asyncio.Server]],
) -> None:
    """The client sends 4 MiB and then only EOF (SHUT_WR): the backend sees the EOF, and its
    answer after it ("bye") still arrives before the client's EOF."""
    proxy, _ = three
    payload = os.urandom(4 << 20)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    assert await reader.readline() == b"zero\n"

    async def send() -> None:
        writer.write(payload)
        await writer.drain()
        writer.write_eof()

    sending = asyncio.create_task(send())
    received = await asyncio.wait_for(reader.read(), 30)  # until EOF
    await sending
    assert received == payload + b"bye"
    writer.close()


async def test_backend_half_close_leaves_the_client_able_to_send() -> None:
    """The backend shuts its side down first; the client still writes, and the backend reads it."""
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"closing my side\n")
        writer.write_eof()
        got.set_result(await reader.read())
        writer.close()

    server, address = await start_backend(handler)
    proxy = await RoundRobinProxy([address]).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        assert await reader.read() == b"closing my side\n"  # then EOF
        writer.write(b"still here")
        writer.write_eof()
        assert await asyncio.wait_for(got, 10) == b"still here"
        writer.close()
    finally:
        await proxy.close()
        server.close()


async def test_a_backend_reset_resets_the_client() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(4)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # RST

    server, address = await start_backend(handler)
    proxy = await RoundRobinProxy([address]).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"ping")
        await writer.drain()
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(), 10)
        writer.close()
    finally:
        await proxy.close()
        server.close()


async def test_a_refusing_backend_is_skipped_and_none_left_closes_the_client() -> None:
    server, alive = await start_backend(named(b"alive"))
    dead = Address("127.0.0.1", free_port())  # nothing listens there
    proxy = await RoundRobinProxy([dead, alive]).start()
    try:
        for _ in range(3):
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
            assert await reader.readline() == b"alive\n"
            writer.close()
        assert proxy.connections == [0, 3]
        server.close()
        await server.wait_closed()
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
            await asyncio.wait_for(reader.readexactly(1), 10)
        writer.close()
    finally:
        await proxy.close()


async def test_close_cuts_the_proxied_connections(
    three: tuple[RoundRobinProxy, list[asyncio.Server]],
) -> None:
    proxy, _ = three
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    assert await reader.readline() == b"zero\n"
    await proxy.close()
    with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
        await asyncio.wait_for(reader.readexactly(1), 10)
    writer.close()
