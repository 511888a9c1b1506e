"""The asyncio adapter around `ClientCore`: sockets, TLS, keep-alive ticks and reconnects.

`Connection.run()` connects (TCP or TLS), feeds what arrives to the core, writes what the core
wants sent and hands the core's events to `on_event`. When the connection drops it reconnects
with exponential backoff (1, 2, 4 … 30 s, with jitter), announcing each wait through the core as a
``StatusChanged("reconnecting", retry_in=…)`` event, until the user leaves with /exit or /quit.
What the user types while offline is queued by the core and sent after the rejoin.

All methods must be called on the event loop's thread; from another thread use
`socketchat.client.threaded.ThreadedClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from collections.abc import Callable

from socketchat.client.core import ClientCore
from socketchat.client.events import Event

__all__ = ["Backoff", "Connection"]


class Backoff:
    """Reconnect delays: ``initial * 2**n`` capped at `maximum`, each varied by ±`jitter`."""

    def __init__(
        self,
        initial: float = 1.0,
        maximum: float = 30.0,
        jitter: float = 0.2,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
        self._rng = rng
        self.attempt = 0

    def next(self) -> float:
        base = min(self.maximum, self.initial * 2.0 ** min(self.attempt, 30))
        self.attempt += 1
        delay = base * (1 + self.jitter * (2 * self._rng() - 1))
        return float(max(0.0, min(delay, self.maximum)))

    def reset(self) -> None:
        self.attempt = 0


class Connection:
    """Runs one `ClientCore` over TCP/TLS until the user exits. Await `run()` in a task."""

    def __init__(
        self,
        core: ClientCore,
        host: str = "127.0.0.1",
        port: int = 6667,
        *,
        tls: bool = False,
        tls_insecure: bool = False,
        on_event: Callable[[Event], None] | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = 10.0,
        tick_interval: float = 1.0,
    ) -> None:
        self.core = core
        self.host = host
        self.port = port
        self.tls = tls
        self.tls_insecure = tls_insecure
        self.on_event = on_event
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.connect_timeout = connect_timeout
        self.tick_interval = tick_interval
        self._writer: asyncio.StreamWriter | None = None
        self._wake: asyncio.Event | None = None
        self._stopped = False
        self._close_reason = ""

    # ------------------------------------------------------------------ user side

    def send_input(self, text: str, buffer: str | None = None) -> None:
        """A line the user typed (text or /command) in `buffer` (default: current)."""
        self.core.handle_input(text, self.clock(), buffer)
        self._pump()

    def reply(self, buffer: str, msgid: str, text: str) -> None:
        """Send `text` in `buffer` as a reply to its line `msgid` (a view's reply action)."""
        self.core.reply(buffer, msgid, text, self.clock())
        self._pump()

    def react(self, buffer: str, msgid: str, emoji: str) -> None:
        """React to the line `msgid` of `buffer` with `emoji`; again: take it back."""
        self.core.react(buffer, msgid, emoji, self.clock())
        self._pump()

    def set_current(self, buffer: str) -> None:
        self.core.set_current(buffer)
        self._pump()

    def composing(self, text: str, buffer: str | None = None) -> None:
        """The composer now holds `text` (after every change): typing notifications."""
        self.core.composing(text, self.clock(), buffer)
        self._pump()

    def choose_nick(self, nick: str) -> None:
        """The user's answer to `NickRefused` (``ClientConfig.ask_nick``): try `nick`."""
        self.core.choose_nick(nick)
        self._pump()

    def close_buffer(self, buffer: str) -> None:
        self.core.close_buffer(buffer, self.clock())
        self._pump()

    def load_older(self, buffer: str) -> None:
        """The user scrolled to the top of `buffer`: fetch older history (HistoryInserted)."""
        self.core.load_older(buffer, self.clock())
        self._pump()

    def exit(self, reason: str = "Leaving") -> None:
        """Like typing /exit: QUIT, close, no reconnect; `run()` returns soon after."""
        if not self.core.exiting:
            self.send_input(f"/exit {reason}")
        self._stopped = True
        self._wakeup()

    def reconnect_now(self) -> None:
        """Skip the rest of the current reconnect wait (e.g. a "Reconnect" button)."""
        self._wakeup()

    @property
    def connected(self) -> bool:
        return self._writer is not None

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """Connect, and reconnect after every drop, until the user exits."""
        self._wake = asyncio.Event()
        server = f"{self.host}:{self.port}"
        try:
            while not self._done():
                self.core.connecting(self.clock(), server)
                self._pump()
                reason = await self._session()
                self.core.connection_lost(self.clock(), reason)
                self._pump()
                if self._done():
                    break
                delay = self.backoff.next()
                self.core.reconnect_scheduled(delay, self.clock())
                self._pump()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
        finally:
            self._close_writer()

    def _done(self) -> bool:
        return self._stopped or self.core.exiting

    async def _session(self) -> str | None:
        """One connection, from connect to close. Returns why it ended."""
        context: ssl.SSLContext | None = None
        if self.tls:
            context = ssl.create_default_context()
            if self.tls_insecure:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    self.host,
                    self.port,
                    ssl=context,
                    server_hostname=self.host if context else None,
                ),
                self.connect_timeout,
            )
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            return f"cannot connect to {self.host}:{self.port}: {exc or type(exc).__name__}"
        self._writer = writer
        self.core.connection_made(self.clock())
        self._pump()
        ticker = asyncio.create_task(self._ticker())
        reason: str | None = "connection closed by the server"
        try:
            while self._writer is not None:
                try:
                    data = await reader.read(65536)
                except (OSError, ssl.SSLError) as exc:
                    reason = str(exc) or type(exc).__name__
                    break
                if not data:
                    break
                self.core.receive_data(data, self.clock())
                if self.core.registered:
                    self.backoff.reset()
                self._pump()
            if self._writer is None:
                reason = None if self._done() else self._close_reason
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            if self._writer is not None:
                await self._drain_and_close()
        return reason

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            self.core.tick(self.clock())
            self._pump()

    # ------------------------------------------------------------------ plumbing

    def _pump(self) -> None:
        """Write what the core wants sent, deliver its events, honour a close request."""
        data = self.core.data_to_send()
        if data and self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)
        for event in self.core.pop_events():
            if self.on_event is not None:
                self.on_event(event)
        request = self.core.take_close_request()
        if request is not None:
            self._close_reason = request.reason
            if not request.reconnect:
                self._stopped = True
            self._close_writer()
            self._wakeup()

    def _wakeup(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None and not writer.is_closing():
            writer.close()  # flushes what is buffered (the QUIT) first

    async def _drain_and_close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        with contextlib.suppress(Exception):
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), 2)
