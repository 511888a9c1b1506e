"""Run a `Connection` in a background thread, for GUI toolkits with their own main loop (Tk).

    client = ThreadedClient(ClientConfig(nick="alice"), "127.0.0.1", 6667)
    client.start()
    root.after(50, poll)            # in poll(): for event in client.drain(): update widgets
    client.send_input("hello")      # from the GUI thread; thread-safe
    client.stop()                   # /exit and join the thread (call before destroying Tk)

The background thread owns the socket, the asyncio loop and the core; it talks to the GUI only
through the thread-safe `events` queue. It holds no reference to the GUI (a thread that drops the
last reference to a Tk object crashes Tcl), so keep GUI objects out of `on_event`-style callbacks.
The core's state must not be read from the GUI thread: the events carry everything a view needs
(member lists, topics, unread counts, status).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable

from socketchat.client.connection import Backoff, Connection
from socketchat.client.core import ClientConfig, ClientCore
from socketchat.client.events import Event

__all__ = ["ThreadedClient"]


def _thread_main(loop: asyncio.AbstractEventLoop, connection: Connection) -> None:
    # Deliberately a module-level function: the thread sees only the loop and the connection.
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(connection.run())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


class ThreadedClient:
    """A `ClientCore` + `Connection` on a private asyncio loop in a daemon thread."""

    def __init__(
        self,
        config: ClientConfig,
        host: str = "127.0.0.1",
        port: int = 6667,
        *,
        tls: bool = False,
        tls_insecure: bool = False,
        backoff: Backoff | None = None,
    ) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._connection = Connection(
            ClientCore(config),
            host,
            port,
            tls=tls,
            tls_insecure=tls_insecure,
            on_event=self.events.put,
            backoff=backoff,
        )
        self._thread = threading.Thread(
            target=_thread_main,
            args=(self._loop, self._connection),
            name="socketchat-client",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def send_input(self, text: str, buffer: str | None = None) -> None:
        """Thread-safe: a typed line (text or /command) for `buffer` (default: current)."""
        self._call(self._connection.send_input, text, buffer)

    def set_current(self, buffer: str) -> None:
        """Thread-safe: the user switched to `buffer` (clears its unread count)."""
        self._call(self._connection.set_current, buffer)

    def composing(self, text: str, buffer: str) -> None:
        """Thread-safe: the composer of `buffer` now holds `text` (typing notifications)."""
        self._call(self._connection.composing, text, buffer)

    def choose_nick(self, nick: str) -> None:
        """Thread-safe: the user's answer to `NickRefused` (another nick to try)."""
        self._call(self._connection.choose_nick, nick)

    def close_buffer(self, buffer: str) -> None:
        """Thread-safe: close a tab (a channel is left first)."""
        self._call(self._connection.close_buffer, buffer)

    def load_older(self, buffer: str) -> None:
        """Thread-safe: the user scrolled to the top of `buffer` (fetch older history)."""
        self._call(self._connection.load_older, buffer)

    def reconnect_now(self) -> None:
        """Thread-safe: skip the rest of the current reconnect wait."""
        self._call(self._connection.reconnect_now)

    def drain(self, limit: int = 1000) -> list[Event]:
        """Events waiting in the queue (at most `limit`), without blocking. Call from the GUI."""
        out: list[Event] = []
        while len(out) < limit:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                break
        return out

    def stop(self, reason: str = "Leaving", timeout: float = 5.0) -> None:
        """/exit (QUIT, no reconnect) and wait for the thread to end."""
        if self._thread.is_alive():
            self._call(self._connection.exit, reason)
            self._thread.join(timeout)

    def _call(self, func: Callable[..., object], *args: object) -> None:
        if self._loop.is_closed():
            return
        try:
            self._loop.call_soon_threadsafe(func, *args)
        except RuntimeError:  # the loop closed in between
            pass
