"""Helpers for the client tests: a client under test on the running loop, and a raw peer."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from socketchat.client.connection import Backoff, Connection
from socketchat.client.core import ClientConfig, ClientCore
from socketchat.client.events import ChatLine, Event, StatusChanged
from socketchat.irc.message import Message
from tests.support.irc import IRCClient


def fast_backoff() -> Backoff:
    return Backoff(initial=0.05, maximum=0.3, jitter=0.0)


@dataclass
class Running:
    """A Connection running in a task on the test's loop, with every event recorded."""

    connection: Connection
    task: asyncio.Task[None]
    events: list[Event] = field(default_factory=list)

    @property
    def core(self) -> ClientCore:
        return self.connection.core

    def lines(self, buffer: str | None = None) -> list[ChatLine]:
        return [
            e
            for e in self.events
            if isinstance(e, ChatLine) and (buffer is None or e.buffer == buffer)
        ]

    def states(self) -> list[str]:
        return [e.state for e in self.events if isinstance(e, StatusChanged)]

    async def wait(self, predicate: Callable[[], object], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.task.done():
                self.task.result()
                raise AssertionError("the connection ended while waiting")
            if time.monotonic() > deadline:
                tail = [repr(e)[:160] for e in self.events[-12:]]
                raise AssertionError(f"timed out waiting for {predicate!r}; last events: {tail}")
            await asyncio.sleep(0.02)

    async def joined(self, channel: str = "#lobby") -> None:
        await self.wait(
            lambda: (
                self.core.registered
                and any(m.nick == self.core.nick for m in self.core.members(channel))
            )
        )


@contextlib.asynccontextmanager
async def running_client(
    host: str, port: int, nick: str, backoff: Backoff | None = None, **config: object
) -> AsyncIterator[Running]:
    core = ClientCore(ClientConfig(nick=nick, **config))  # type: ignore[arg-type]
    events: list[Event] = []
    connection = Connection(
        core, host, port, on_event=events.append, backoff=backoff or fast_backoff()
    )
    task = asyncio.create_task(connection.run())
    running = Running(connection, task, events)
    try:
        yield running
    finally:
        if not task.done():
            connection.exit("test over")
            try:
                await asyncio.wait_for(task, 5)
            except TimeoutError:
                task.cancel()


class AsyncPeer:
    """tests.support.irc.IRCClient driven from async tests (blocking calls run in a thread)."""

    def __init__(self, client: IRCClient) -> None:
        self.client = client

    @classmethod
    async def connect(cls, port: int, nick: str, channel: str | None = "#lobby") -> AsyncPeer:
        client = await asyncio.to_thread(IRCClient, port)
        await asyncio.to_thread(client.register, nick)
        peer = cls(client)
        if channel:
            client.send(f"JOIN {channel}")
            await peer.expect("366")
        return peer

    def send(self, *lines: str) -> None:
        self.client.send(*lines)

    async def expect(
        self, command: str, where: Callable[[Message], bool] | None = None, timeout: float = 10
    ) -> Message:
        return await asyncio.to_thread(self.client.expect, command, where, timeout)

    async def privmsg(self, text: str, timeout: float = 10) -> Message:
        return await self.expect("PRIVMSG", lambda m: m.param(1) == text, timeout)

    def close(self) -> None:
        self.client.close()


@contextlib.asynccontextmanager
async def peer(port: int, nick: str, channel: str | None = "#lobby") -> AsyncIterator[AsyncPeer]:
    """An `AsyncPeer` (registered, in `channel`) for the length of the block."""
    connected = await AsyncPeer.connect(port, nick, channel)
    try:
        yield connected
    finally:
        connected.close()
