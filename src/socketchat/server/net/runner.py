"""Run a `Server` on asyncio: listeners, the flush-per-loop-turn hook, the tick timer, blocking
work (password hashing) on a small thread pool, shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import ssl
import sys
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from socketchat.server.audit import audit
from socketchat.server.config import ConfigError, ServerConfig
from socketchat.server.core import Server
from socketchat.server.net.proxy import ProxyListener
from socketchat.server.net.stream import StreamLink
from socketchat.server.net.tls import TlsListener
from socketchat.server.proxies import TrustedNetworks
from socketchat.server.rehash import RehashResult, apply_config

log = logging.getLogger("socketchat.server")

# Runners started in this process (tests stop in-process servers through it).
ACTIVE_RUNNERS: weakref.WeakSet[ServerRunner] = weakref.WeakSet()

# Threads for blocking work. hashlib.scrypt releases the GIL, so two checks run while the loop
# goes on; more would only take CPU from the loop on a small machine (each check is CPU-bound).
OFFLOAD_WORKERS = 2
WORKER_NICENESS = 10  # how much lower their CPU priority is than the loop's

T = TypeVar("T")

LAG_PROBE_INTERVAL = 0.5  # seconds between event-loop lag probes (metrics)


@dataclass
class Listening:
    """Where a running server listens (ports resolved when 0 was asked for)."""

    host: str
    port: int | None = None
    tls_port: int | None = None
    web_port: int | None = None
    extra: dict[str, int] = field(default_factory=dict)


def make_tls_context(cert: str, key: str, client_ca: str = "") -> ssl.SSLContext:
    """The server's context. With `client_ca`, clients may present a certificate signed by it
    (optional: others connect as before); its fingerprint is for SASL EXTERNAL. Python's ssl
    cannot accept a certificate no CA vouches for, hence the CA."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    if client_ca:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(client_ca)
    return ctx


def _lower_priority() -> None:
    """Worker threads yield the CPU to the event loop (Linux: nice is per thread)."""
    if sys.platform == "linux":
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
        except OSError:
            pass


class ServerRunner:
    """Owns the asyncio side of one server: start listeners, pump flush/tick, stop cleanly."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.listeners: list[asyncio.base_events.Server] = []
        self.listening = Listening(server.config.host)
        self._flush_scheduled = False
        self._tick_handle: asyncio.TimerHandle | None = None
        self._stopped = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._signal_task: asyncio.Future[None] | None = None
        self.stop_reason = "Server shutting down"  # what closers tell their clients
        self._executor: ThreadPoolExecutor | None = None
        # live reload (SIGHUP, REHASH): how to build the config again, and who follows it
        self.reload_config: Callable[[], ServerConfig] | None = None
        self.config_source = ""  # the file it reads, for messages
        self.on_rehash: list[Callable[[ServerConfig], None]] = []
        self.sighup: Callable[[str], None] | None = None  # (a cluster node's: net/cluster.py)
        self._tls_contexts: list[tuple[ssl.SSLContext, bool]] = []  # (context, IRC port?)
        self._proxy_listeners: list[ProxyListener] = []
        self._lag_handle: asyncio.TimerHandle | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop this runner was started in (None before `start`)."""
        return self._loop

    async def start(self) -> Listening:
        loop = asyncio.get_running_loop()
        self._loop = loop
        ACTIVE_RUNNERS.add(self)
        self.server.wakeup = self._schedule_flush
        self.server.tick_wanted = self._want_tick
        self._executor = ThreadPoolExecutor(
            OFFLOAD_WORKERS, thread_name_prefix="socketchat-work", initializer=_lower_priority
        )
        self.server.offloader = self._offload
        if self.reload_config is not None:
            self.server.rehash_hook = self.rehash
        config = self.server.config
        host = config.host
        trusted = TrustedNetworks(config.trusted_proxies)
        if config.proxy_protocol:
            proxied = ProxyListener(self.server, trusted)
            self._proxy_listeners.append(proxied)
            self.listening.port = await proxied.start(host, config.port)
            self.add_closer(proxied.close)
        else:
            plain = await loop.create_server(
                lambda: StreamLink(self.server), host, config.port, reuse_address=True
            )
            self.listeners.append(plain)
            self.listening.port = plain.sockets[0].getsockname()[1]
        if config.tls_cert and config.tls_key and config.tls_proxy_protocol:
            ctx = make_tls_context(config.tls_cert, config.tls_key, config.tls_client_ca)
            self._tls_contexts.append((ctx, True))
            proxied_tls = ProxyListener(self.server, trusted, tls=ctx)
            self._proxy_listeners.append(proxied_tls)
            self.listening.tls_port = await proxied_tls.start(host, config.tls_port or 6697)
            self.add_closer(proxied_tls.close)
        elif config.tls_cert and config.tls_key:
            ctx = make_tls_context(config.tls_cert, config.tls_key, config.tls_client_ca)
            self._tls_contexts.append((ctx, True))
            # (its own accept loop: a connection counts against the limits from its accept,
            # not only once its handshake is done; see net/tls.py)
            secure = TlsListener(self.server, ctx)
            self.listening.tls_port = await secure.start(host, config.tls_port or 6697)
            self.add_closer(secure.close)
        self._tick_handle = loop.call_later(1.0, self._tick)
        self._set_sts(config)
        self.server.commit_timer = time.perf_counter
        self._lag_handle = loop.call_later(LAG_PROBE_INTERVAL, self._probe_lag, loop.time())
        return self.listening

    def tls_context(self) -> ssl.SSLContext:
        """A context with the configured certificate that rehash keeps current (web port)."""
        config = self.server.config
        ctx = make_tls_context(config.tls_cert, config.tls_key)  # browsers: no client certs
        self._tls_contexts.append((ctx, False))
        return ctx

    def _set_sts(self, config: ServerConfig) -> None:
        """Offer STS while TLS listens, unless the certificate is self-signed (a client that
        checks certificates could then not connect at all for the policy's duration)."""
        port = self.listening.tls_port
        if port and config.sts_duration > 0 and not config.tls_self_signed:
            self.server.sts = (port, config.sts_duration)
        else:
            self.server.sts = None

    def _probe_lag(self, started: float) -> None:
        """Event-loop lag: how late this callback runs after it was due (metrics)."""
        if self._loop is None or self._stopped.is_set():
            return
        now = self._loop.time()
        lag = max(0.0, now - started - LAG_PROBE_INTERVAL)
        stats = self.server.stats
        stats.loop_lag = lag
        stats.loop_lag_max = max(stats.loop_lag_max, lag)
        self._lag_handle = self._loop.call_later(LAG_PROBE_INTERVAL, self._probe_lag, now)

    def read_config(self) -> ServerConfig:
        """The configuration built again (file, then flags), its TLS certificate and key
        loaded into a scratch context: raises `ConfigError` with why it cannot be taken."""
        if self.reload_config is None:
            raise ConfigError("this server has no configuration file to reload")
        try:
            new = self.reload_config()
            if new.tls_cert and new.tls_key:
                make_tls_context(new.tls_cert, new.tls_key, new.tls_client_ca)
        except (ConfigError, OSError, ssl.SSLError) as exc:
            raise ConfigError(str(exc) or type(exc).__name__) from None
        return new

    def refused(self, by: str, error: str) -> RehashResult:
        """A reload that is not taken: logged and audited; the old configuration stays."""
        log.error("rehash by %s refused, the old configuration stays: %s", by, error)
        audit("rehash_refused", f"by {by}: {error}", failure=True, actor=by, error=error)
        return RehashResult(self.config_source, error)

    def rehash(self, by: str) -> RehashResult:
        """Reload the configuration (`server/rehash.py`): all of it, or nothing if it is bad.

        The TLS certificate and key are loaded into a scratch context first; only when the
        whole file is good are they loaded into the listeners' contexts, which new handshakes
        use while established connections keep theirs.
        """
        if self.reload_config is None:
            return RehashResult(
                self.config_source, "this server has no configuration file to reload"
            )
        try:
            new = self.read_config()
        except ConfigError as exc:
            return self.refused(by, str(exc))
        return self.take(new, by)

    def take(self, new: ServerConfig, by: str) -> RehashResult:
        """Make `new` (read and checked) the running configuration: the listeners' TLS
        contexts, trusted proxies, STS and the followers (log level, web) follow it."""
        source = self.config_source
        kept = tuple(apply_config(self.server, new))
        config = self.server.config
        if config.tls_cert and config.tls_key:
            for ctx, irc in self._tls_contexts:
                ctx.load_cert_chain(config.tls_cert, config.tls_key)
                if irc and config.tls_client_ca:
                    ctx.verify_mode = ssl.CERT_OPTIONAL
                    ctx.load_verify_locations(config.tls_client_ca)
        trusted = TrustedNetworks(config.trusted_proxies)
        for proxied in self._proxy_listeners:
            proxied.trusted = trusted
        self._set_sts(config)
        for follower in self.on_rehash:
            follower(config)
        log.info("rehash by %s: configuration reloaded from %s", by, source or "flags")
        audit("rehash", f"by {by}: reloaded {source or 'flags'}", actor=by, source=source)
        if kept:
            log.warning("rehash: these settings need a restart and were kept: %s", ", ".join(kept))
        return RehashResult(source, None, kept)

    def add_closer(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Something else (the web listener) to stop with the server."""
        self._closers.append(closer)

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        try:
            self.server.flush()
        except Exception:
            log.exception("flush failed")

    def _offload(self, work: Callable[[], T], done: Callable[[T], None]) -> None:
        """The server's `Offloader`: `work` on the pool, `done` back on the loop, then a flush."""
        loop, executor = self._loop, self._executor
        if loop is None or executor is None or self._stopped.is_set():
            done(work())  # not running (or stopped): nothing else to keep responsive
            return

        def back_on_loop(future: Future[T]) -> None:
            if future.cancelled():
                return  # shutdown dropped it: its session is gone
            try:
                loop.call_soon_threadsafe(self._finish, future, done)
            except RuntimeError:
                pass  # the loop closed meanwhile

        executor.submit(work).add_done_callback(back_on_loop)

    def _finish(self, future: Future[T], done: Callable[[T], None]) -> None:
        if self._stopped.is_set():
            return  # storage is closed, every session is gone
        try:
            done(future.result())
        except Exception:
            log.exception("offloaded work: completion failed")
        self._schedule_flush()

    def _want_tick(self, seconds: float) -> None:
        """Tick in `seconds` if the next tick is due later than that (flood release)."""
        if self._loop is None or self._stopped.is_set():
            return
        when = self._loop.time() + seconds
        if self._tick_handle is not None:
            if self._tick_handle.when() <= when:
                return
            self._tick_handle.cancel()
        self._tick_handle = self._loop.call_at(when, self._tick)

    def _tick(self) -> None:
        try:
            delay = self.server.tick()
        except Exception:
            log.exception("tick failed")
            delay = 1.0
        self._flush()
        if self._loop is not None and not self._stopped.is_set():
            self._tick_handle = self._loop.call_later(delay, self._tick)

    async def stop(self, reason: str = "Server shutting down") -> None:
        """Stop accepting, tell every client why, give the writes a moment, close."""
        if self._stopped.is_set():
            return
        self.stop_reason = reason
        for listener in self.listeners:
            listener.close()
        for closer in self._closers:
            await closer()
        self.server.shutdown(reason)
        self._flush()
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        if self._lag_handle is not None:
            self._lag_handle.cancel()
        if self._executor is not None:
            # queued checks are dropped (their sessions are closed); running ones finish
            # in their threads, and their results are ignored
            self._executor.shutdown(wait=False, cancel_futures=True)
        await asyncio.sleep(0.1)
        try:
            if self.server.storage is not None:
                self.server.storage.close()  # logs what it could not write; never hangs
        except Exception:
            log.exception("closing storage failed")
        finally:
            self._stopped.set()

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._signal_received, sig)
        loop.add_signal_handler(signal.SIGHUP, self._sighup)

    def _sighup(self) -> None:
        """SIGHUP: reload the configuration (as REHASH does), then flush what it sent. On a
        cluster node, `sighup` sends it through the log instead (`net/cluster.py`)."""
        if self.sighup is not None:
            self.sighup("SIGHUP")
        else:
            self.rehash("SIGHUP")
        self._schedule_flush()

    def _signal_received(self, sig: int) -> None:
        self._signal_task = asyncio.ensure_future(self._on_signal(sig))

    async def _on_signal(self, sig: int) -> None:
        log.info("received %s, shutting down", signal.Signals(sig).name)
        await self.stop("Server shutting down")
