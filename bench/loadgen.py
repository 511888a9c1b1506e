"""The load generator: many raw IRC clients (TCP or WebSocket) in one asyncio loop.

Built not to be the bottleneck: clients are `asyncio.Protocol`s (no streams), receivers only
count channel messages with `bytes.count` on whole chunks; a few "probe" clients also parse
each message for its send timestamp (latency). Senders write their lines in batches.

Every message text is `<sender> <seq> <send time ns>`; CLOCK_MONOTONIC is shared by all
processes on the machine, so latency is receive time minus the embedded time.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import resource
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

PRIVMSG_MARK = b" PRIVMSG #"
MARK_TAIL = len(PRIVMSG_MARK) - 1
WS_SUBPROTOCOL = Subprotocol("text.ircv3.net")


def now_ns() -> int:
    return time.monotonic_ns()


def gen_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return float(sorted_values[k])


class Gen:
    """Shared state of one generator run."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.latencies: list[int] = []
        self.disconnects = 0
        self.errors: Counter[str] = Counter()
        self.clients: list[Client] = []
        #: seen[i]: channel messages client i received plus the ones it sent
        self.seen: list[int] = []
        self.phase = "setup"


class Client(asyncio.Protocol):
    """One IRC connection. Counts channel PRIVMSGs; probes also record latency."""

    def __init__(self, gen: Gen, idx: int, nick: str, probe: bool) -> None:
        self.gen = gen
        self.idx = idx
        self.nick = nick
        self.probe = probe
        self.transport: asyncio.Transport | None = None
        self.count = 0  # channel PRIVMSG lines received
        self.sent = 0  # channel PRIVMSG lines sent
        self.tail = b""
        self.buf = b""
        self.parse = True  # full line parsing (setup phase, probes)
        self.alive = True
        self.is_registered = False
        self.registered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.joined: asyncio.Future[None] | None = None
        self.joins_left = 0
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- transport ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.on_open()

    def on_open(self) -> None:
        self.write(self.hello())

    def hello(self) -> bytes:
        """What the client sends to register (subclasses add CAP negotiation)."""
        return b"NICK %s\r\nUSER b 0 * :bench\r\n" % self.nick.encode()

    def write(self, data: bytes) -> None:
        if self.transport is not None and self.alive:
            self.transport.write(data)

    def write_lines(self, lines: list[bytes]) -> None:
        """Write complete IRC lines (each ending in CRLF)."""
        self.write(b"".join(lines))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.on_irc_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.alive:
            self.alive = False
            if self.gen.phase != "closing":
                self.gen.disconnects += 1
                self.gen.errors["connection lost" + (f": {exc}" if exc else "")] += 1
        for fut in (self.registered, self.joined, self.closed):
            if fut is not None and not fut.done():
                fut.set_exception(ConnectionError(f"{self.nick}: connection lost"))
                fut.exception()  # mark retrieved

    # -- IRC ---------------------------------------------------------------------------------
    def on_irc_data(self, data: bytes) -> None:
        chunk = self.tail + data
        n = chunk.count(PRIVMSG_MARK)
        self.tail = chunk[-MARK_TAIL:]
        if n:
            self.count += n
            self.gen.seen[self.idx] += n
        if self.parse:
            self.parse_lines(data)
        elif b"PING" in data or b"ERROR" in data:
            self.parse_lines(data, partial=False)

    def parse_lines(self, data: bytes, partial: bool = True) -> None:
        if partial:
            data = self.buf + data
            lines = data.split(b"\n")
            self.buf = lines.pop()
        else:
            lines = data.split(b"\n")
        now = 0
        for line in lines:
            if PRIVMSG_MARK in line:
                if self.probe:
                    if not now:
                        now = now_ns()
                    try:
                        self.gen.latencies.append(now - int(line.rsplit(b" ", 1)[1]))
                    except (ValueError, IndexError):
                        pass
                continue
            self.on_line(line.rstrip(b"\r"))

    def on_line(self, line: bytes) -> None:
        if line.startswith(b"PING"):
            self.write(b"PONG" + line[4:] + b"\r\n")
            return
        if line.startswith(b"ERROR"):
            self.gen.errors[line.decode(errors="replace")[:80]] += 1
            return
        parts = line.split(b" ", 3)
        if len(parts) < 2:
            return
        cmd = parts[1]
        if cmd in (b"376", b"422"):  # end of MOTD: registration is complete
            self.is_registered = True
            if not self.registered.done():
                self.registered.set_result(None)
        elif cmd == b"366":  # end of NAMES: a join is complete
            self.joins_left -= 1
            if self.joins_left <= 0 and self.joined is not None and not self.joined.done():
                self.joined.set_result(None)
        elif cmd in (b"432", b"433", b"437", b"451", b"465", b"471", b"403", b"405"):
            self.gen.errors[line.decode(errors="replace")[:100]] += 1
            for fut in (self.registered, self.joined):
                if fut is not None and not fut.done():
                    fut.set_exception(RuntimeError(line.decode(errors="replace")))
                    fut.exception()

    def join(self, channels: Sequence[str]) -> asyncio.Future[None]:
        self.joined = asyncio.get_running_loop().create_future()
        self.joins_left = len(channels)
        self.write_lines([b"JOIN %s\r\n" % c.encode() for c in channels])
        return self.joined


class WSClient(Client):
    """The same client over WebSocket: subprotocol text.ircv3.net, one IRC line per message."""

    def __init__(
        self, gen: Gen, idx: int, nick: str, probe: bool, uri: str, origin: str | None = None
    ) -> None:
        super().__init__(gen, idx, nick, probe)
        self.ws = ClientProtocol(
            parse_uri(uri),
            subprotocols=[WS_SUBPROTOCOL],
            origin=None if origin is None else origin,  # type: ignore[arg-type]
            max_size=None,
        )
        self.handshake_done = False
        self.wbuf = b""  # the start of a frame not yet complete (after the handshake)

    def on_open(self) -> None:
        self.ws.send_request(self.ws.connect())
        self.flush()

    def flush(self) -> None:
        if self.transport is not None and self.alive:
            for chunk in self.ws.data_to_send():
                if chunk:
                    self.transport.write(chunk)

    def write_lines(self, lines: list[bytes]) -> None:
        for line in lines:
            self.ws.send_text(line.rstrip(b"\r\n"))
        self.flush()

    def write(self, data: bytes) -> None:
        self.write_lines([line for line in data.split(b"\r\n") if line])

    def data_received(self, data: bytes) -> None:
        if self.handshake_done:
            self.frames_received(data)
            return
        self.ws.receive_data(data)
        texts: list[bytes] = []
        for event in self.ws.events_received():
            if isinstance(event, Frame):
                if event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
                    texts.append(event.data)
                elif event.opcode is Opcode.CLOSE:
                    self.gen.errors["websocket closed by server"] += 1
            elif isinstance(event, Response):
                if event.status_code != 101 or self.ws.handshake_exc is not None:
                    self.gen.errors[f"websocket handshake: HTTP {event.status_code}"] += 1
                    self.close()
                    return
                self.handshake_done = True
                super().on_open()  # NICK/USER
        self.flush()
        if texts:
            self.on_irc_data(b"\r\n".join(t.rstrip(b"\r\n") for t in texts) + b"\r\n")

    def frames_received(self, data: bytes) -> None:
        """After the handshake, a minimal reader of the server's frames (unmasked, RFC 6455
        5.2): `ClientProtocol`'s generator-based parser costs several microseconds per frame,
        which made the generator, not the server, the limit of WebSocket fan-out. Pings are
        answered through `ClientProtocol` (it masks what the client sends)."""
        buf = self.wbuf + data if self.wbuf else data
        pos, end = 0, len(buf)
        texts: list[bytes] = []
        while end - pos >= 2:
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if end - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if end - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if buf[pos + 1] & 0x80:
                self.gen.errors["websocket: masked frame from the server"] += 1
                self.close()
                return
            stop = pos + head + length
            if stop > end:
                break
            opcode = buf[pos] & 0x0F
            if opcode <= Opcode.BINARY:  # continuation, text, binary: IRC lines
                texts.append(buf[pos + head : stop])
            elif opcode == Opcode.PING:
                self.ws.send_pong(buf[pos + head : stop])
            elif opcode == Opcode.CLOSE:
                self.gen.errors["websocket closed by server"] += 1
            pos = stop
        self.wbuf = buf[pos:]
        self.flush()
        if texts:
            self.on_irc_data(b"\r\n".join(texts) + b"\r\n")


# ------------------------------------------------------------------------------------------------
@dataclass
class Target:
    host: str
    port: int
    ws_uri: str | None = None  # ws://host:port/path for WebSocket clients
    cpu: Callable[[], float] = lambda: float("nan")  # server CPU seconds
    alive: Callable[[], bool] = lambda: True
    # several nodes of one server (the cluster targets): client i connects to ports[i % n]
    ports: tuple[int, ...] = ()
    node_cpus: Callable[[], list[float]] = lambda: []  # CPU seconds of each node
    redis_cpu: Callable[[], float] = lambda: float("nan")  # of the target's redis-server

    def port_for(self, index: int) -> int:
        return self.ports[index % len(self.ports)] if self.ports else self.port


@dataclass
class Progress:
    """What the progress display shows; the orchestrator reads it."""

    phase: str = ""
    detail: str = ""


@dataclass
class Window:
    """CPU and delivery counters over the measurement window."""

    t0: float = 0.0
    t1: float = 0.0
    server_cpu0: float = 0.0
    server_cpu1: float = 0.0
    gen_cpu0: float = 0.0
    gen_cpu1: float = 0.0
    n0: int = 0
    n1: int = 0
    # a cluster target's side: deliveries to the clients of each node, each node's CPU, Redis'
    node_n0: list[int] = field(default_factory=list)
    node_n1: list[int] = field(default_factory=list)
    node_cpu0: list[float] = field(default_factory=list)
    node_cpu1: list[float] = field(default_factory=list)
    redis_cpu0: float = float("nan")
    redis_cpu1: float = float("nan")

    @staticmethod
    def _per_node(target: Target, members: Sequence[Client]) -> list[int]:
        counts = [0] * len(target.ports)
        for c in members if target.ports else ():
            counts[c.idx % len(counts)] += c.count
        return counts

    def start(self, target: Target, n: int, members: Sequence[Client] = ()) -> None:
        self.t0, self.server_cpu0, self.gen_cpu0, self.n0 = (
            time.monotonic(),
            target.cpu(),
            gen_cpu_seconds(),
            n,
        )
        self.node_n0 = self._per_node(target, members)
        self.node_cpu0, self.redis_cpu0 = target.node_cpus(), target.redis_cpu()

    def stop(self, target: Target, n: int, members: Sequence[Client] = ()) -> None:
        self.t1, self.server_cpu1, self.gen_cpu1, self.n1 = (
            time.monotonic(),
            target.cpu(),
            gen_cpu_seconds(),
            n,
        )
        self.node_n1 = self._per_node(target, members)
        self.node_cpu1, self.redis_cpu1 = target.node_cpus(), target.redis_cpu()

    @property
    def seconds(self) -> float:
        return max(1e-9, self.t1 - self.t0)

    def metrics(self) -> dict[str, float]:
        out = {
            "server_cpu_pct": 100.0 * (self.server_cpu1 - self.server_cpu0) / self.seconds,
            "gen_cpu_pct": 100.0 * (self.gen_cpu1 - self.gen_cpu0) / self.seconds,
        }
        if not math.isnan(self.redis_cpu0):
            out["redis_cpu_pct"] = 100.0 * (self.redis_cpu1 - self.redis_cpu0) / self.seconds
        if len(self.node_cpu0) > 1 and len(self.node_cpu1) == len(self.node_cpu0):
            for i, (a, b) in enumerate(zip(self.node_cpu0, self.node_cpu1, strict=True)):
                out[f"node{i}_cpu_pct"] = 100.0 * (b - a) / self.seconds
        if self.node_n0 and len(self.node_n1) == len(self.node_n0):
            for i, (a, b) in enumerate(zip(self.node_n0, self.node_n1, strict=True)):
                out[f"node{i}_deliveries_per_s"] = (b - a) / self.seconds
        return out


@dataclass
class RunResult:
    metrics: dict[str, float] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


async def connect_clients(
    gen: Gen,
    target: Target,
    n: int,
    probe_every: int,
    progress: Progress,
    inflight: int = 200,
    websocket: bool = False,
    timeout: float = 60.0,
    prefix: str = "b",
    tolerate: bool = False,
) -> list[Client]:
    """Open and register n clients, at most `inflight` handshakes at a time."""
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(inflight)
    base = len(gen.clients)
    clients: list[Client] = []
    # at least a few probes even in small runs
    every = min(probe_every, max(1, n // 10)) if probe_every > 0 else 0
    for i in range(n):
        idx = base + i
        probe = every > 0 and i % every == every // 2
        nick = f"{prefix}{idx:05d}"
        c: Client
        if websocket:
            assert target.ws_uri is not None
            c = WSClient(gen, idx, nick, probe, target.ws_uri)
        else:
            c = Client(gen, idx, nick, probe)
        clients.append(c)
        gen.clients.append(c)
        gen.seen.append(0)
    done = 0

    async def one(c: Client) -> None:
        nonlocal done
        async with sem:
            if websocket:
                await loop.create_connection(lambda: c, target.host, _ws_port(target))
            else:
                await loop.create_connection(lambda: c, target.host, target.port_for(c.idx))
            await c.registered
            done += 1
            progress.detail = f"{done}/{n} registered"

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(one(c) for c in clients), return_exceptions=tolerate), timeout
    )
    for outcome in outcomes if tolerate else ():
        if isinstance(outcome, BaseException):
            gen.errors[f"registration failed: {outcome.__class__.__name__}"[:100]] += 1
    return clients


def _ws_port(target: Target) -> int:
    assert target.ws_uri is not None
    port = parse_uri(target.ws_uri).port
    return int(port)


async def join_all(
    clients: Sequence[Client],
    channels_of: Callable[[Client], list[str]],
    progress: Progress,
    inflight: int = 50,
    timeout: float = 120.0,
) -> None:
    sem = asyncio.Semaphore(inflight)
    done = 0

    async def one(c: Client) -> None:
        nonlocal done
        async with sem:
            await c.join(channels_of(c))
            done += 1
            progress.detail = f"{done}/{len(clients)} joined"

    await asyncio.wait_for(asyncio.gather(*(one(c) for c in clients)), timeout)


async def drain(
    gen: Gen, expected: Callable[[Client], int], progress: Progress, timeout: float
) -> int:
    """Wait until every client got what it should (or no progress for `timeout` s)."""
    last_total = -1
    last_change = time.monotonic()
    while True:
        short = 0
        total = 0
        for c in gen.clients:
            total += c.count
            if c.count < expected(c):
                short += expected(c) - c.count
        progress.detail = f"draining, {short} deliveries outstanding"
        if short == 0:
            return 0
        if total != last_total:
            last_total, last_change = total, time.monotonic()
        elif time.monotonic() - last_change > timeout:
            return short
        await asyncio.sleep(0.02)


def _msg(channel: bytes, sender: int, seq: int, ts: int) -> bytes:
    return b"PRIVMSG %s :%d %d %d\r\n" % (channel, sender, seq, ts)


def _finish(
    result: RunResult, gen: Gen, window: Window, lost: int, sent: int, deliveries: int
) -> RunResult:
    lat = sorted(gen.latencies)
    result.metrics.update(window.metrics())
    result.metrics.update(
        {
            "messages_sent": float(sent),
            "deliveries": float(deliveries),
            "lost": float(lost),
            "disconnects": float(gen.disconnects),
            "lat_p50_ms": percentile(lat, 0.50) / 1e6,
            "lat_p99_ms": percentile(lat, 0.99) / 1e6,
            "lat_samples": float(len(lat)),
        }
    )
    result.errors = dict(gen.errors)
    return result


async def close_all(gen: Gen) -> None:
    gen.phase = "closing"
    for c in gen.clients:
        c.close()
    await asyncio.sleep(0)


async def _send_loop(
    gen: Gen,
    target: Target,
    progress: Progress,
    members: Sequence[Client],
    senders: Sequence[Client],
    channel_of: Callable[[Client], bytes],
    due: Callable[[float, int], int],
    *,
    warmup: float,
    duration: float,
    pause: float,
) -> tuple[Window, int]:
    """The measured phase of the channel scenarios: every `pause` s, the `senders` take turns
    to send `due(seconds since start, sent so far)` messages, each to its `channel_of`; the
    window (deliveries to `members`, CPU) opens after `warmup` s and lasts `duration` s.
    Returns the window and how many messages were sent."""
    seen = gen.seen
    sent_total = 0
    win = Window()
    progress.phase = "measure"
    t_start = time.monotonic()
    t_win0 = t_start + warmup
    t_end = t_win0 + duration
    started = False
    rr = 0
    while True:
        now = time.monotonic()
        if not started and now >= t_win0:
            win.start(target, sum(c.count for c in members), members)
            started = True
        if now >= t_end:
            break
        n = due(now - t_start, sent_total)
        if n > 0:
            ts = now_ns()
            per: dict[int, list[bytes]] = {}
            for _ in range(n):
                s = senders[rr]
                rr = (rr + 1) % len(senders)
                s.sent += 1
                seen[s.idx] += 1
                per.setdefault(s.idx, []).append(_msg(channel_of(s), s.idx, s.sent, ts))
                sent_total += 1
            for idx, lines in per.items():
                gen.clients[idx].write_lines(lines)
        progress.detail = f"{sent_total} sent"
        await asyncio.sleep(pause)
        if not target.alive():
            raise RuntimeError("server died")
    win.stop(target, sum(c.count for c in members), members)
    return win, sent_total


# -- scenarios ------------------------------------------------------------------------------------
async def run_fanout(
    target: Target,
    progress: Progress,
    *,
    clients: int,
    senders: int,
    duration: float,
    warmup: float,
    window: int = 400,
    probe_every: int = 50,
    websocket: bool = False,
    drain_timeout: float = 5.0,
    setup_inflight: int = 200,
) -> RunResult:
    """`senders` of `clients` members of one channel flood it, at most `window` messages
    in flight (sent, not yet received by every member): deliveries/s and latency."""
    gen = Gen(target.host, target.port)
    result = RunResult()
    chan = b"#bench"
    try:
        progress.phase = "connect"
        t_setup = time.monotonic()
        members = await connect_clients(
            gen, target, clients, probe_every, progress, setup_inflight, websocket=websocket
        )
        result.metrics["connect_s"] = time.monotonic() - t_setup
        progress.phase = "join"
        await join_all(members, lambda c: ["#bench"], progress)
        result.metrics["setup_s"] = time.monotonic() - t_setup
        for c in members:
            c.parse = c.probe
        await asyncio.sleep(0.2)
        seen = gen.seen

        def allowance(elapsed: float, sent: int) -> int:
            """Keep at most `window` messages in flight (sent, not yet seen by every member)."""
            low = min(seen[c.idx] for c in members if c.alive) if gen.disconnects else min(seen)
            return low + window - sent

        win, sent_total = await _send_loop(
            gen,
            target,
            progress,
            members,
            members[:senders],
            lambda s: chan,
            allowance,
            warmup=warmup,
            duration=duration,
            pause=0.001,
        )
        progress.phase = "drain"
        t_drain = time.monotonic()
        lost = await drain(gen, lambda c: sent_total - c.sent, progress, drain_timeout)
        result.metrics["drain_s"] = time.monotonic() - t_drain
        result.metrics["deliveries_per_s"] = (win.n1 - win.n0) / win.seconds
        result.metrics["messages_per_s"] = result.metrics["deliveries_per_s"] / max(1, clients - 1)
        deliveries = sum(c.count for c in members)
        return _finish(result, gen, win, lost, sent_total, deliveries)
    finally:
        await close_all(gen)


async def run_rate(
    target: Target,
    progress: Progress,
    *,
    clients: int,
    channel_size: int,
    talkers: int,
    rate: float,
    duration: float,
    warmup: float,
    probe_every: int = 1,
    drain_timeout: float = 5.0,
    setup_inflight: int = 200,
) -> RunResult:
    """`clients` connections in channels of `channel_size`; `talkers` of them (spread evenly
    over the channels) send `rate` messages/s in total: latency at a given load."""
    gen = Gen(target.host, target.port)
    result = RunResult()
    try:
        progress.phase = "connect"
        t_setup = time.monotonic()
        members = await connect_clients(gen, target, clients, probe_every, progress, setup_inflight)
        nchan = max(1, clients // channel_size)
        chan_of = [min(i // channel_size, nchan - 1) for i in range(clients)]
        names = [f"#bench{k}" for k in range(nchan)]
        progress.phase = "join"
        await join_all(members, lambda c: [names[chan_of[c.idx]]], progress)
        result.metrics["setup_s"] = time.monotonic() - t_setup
        for c in members:
            c.parse = c.probe
        by_chan: list[list[Client]] = [[] for _ in range(nchan)]
        for c in members:
            by_chan[chan_of[c.idx]].append(c)
        talking: list[Client] = []
        per_chan = max(1, talkers // nchan)
        for k in range(per_chan):  # interleave channels so load spreads evenly
            for chan in by_chan:
                if k < len(chan) and len(talking) < talkers:
                    talking.append(chan[k])
        bnames = [n.encode() for n in names]
        await asyncio.sleep(0.2)
        win, sent_total = await _send_loop(
            gen,
            target,
            progress,
            members,
            talking,
            lambda s: bnames[chan_of[s.idx]],
            lambda elapsed, sent: int(elapsed * rate) - sent,
            warmup=warmup,
            duration=duration,
            pause=0.002,
        )
        chan_sent = [0] * nchan
        for s in talking:
            chan_sent[chan_of[s.idx]] += s.sent
        progress.phase = "drain"
        lost = await drain(
            gen, lambda c: chan_sent[chan_of[c.idx]] - c.sent, progress, drain_timeout
        )
        result.metrics["deliveries_per_s"] = (win.n1 - win.n0) / win.seconds
        result.metrics["messages_per_s"] = rate
        deliveries = sum(c.count for c in members)
        return _finish(result, gen, win, lost, sent_total, deliveries)
    finally:
        await close_all(gen)


class Handshake(asyncio.Protocol):
    """Connect, register, wait for the end of MOTD, QUIT."""

    def __init__(self, nick: bytes, done: asyncio.Future[None]) -> None:
        self.nick = nick
        self.done = done
        self.transport: asyncio.Transport | None = None
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(b"NICK %s\r\nUSER b 0 * :bench\r\n" % self.nick)

    def data_received(self, data: bytes) -> None:
        chunk = self.tail + data
        self.tail = chunk[-6:]
        if not self.done.done() and (b" 376 " in chunk or b" 422 " in chunk):
            self.done.set_result(None)
            assert self.transport is not None
            self.transport.write(b"QUIT\r\n")
            self.transport.close()
        elif b"ERROR" in chunk and not self.done.done():
            self.done.set_exception(RuntimeError(chunk.decode(errors="replace")[-100:]))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError(str(exc or "closed before registration")))


async def run_connect(
    target: Target,
    progress: Progress,
    *,
    inflight: int,
    duration: float,
    warmup: float,
    handshake_timeout: float = 5.0,
) -> RunResult:
    """`inflight` handshakes at a time (connect, NICK/USER, end of MOTD, QUIT): registrations/s."""
    loop = asyncio.get_running_loop()
    result = RunResult()
    errors: Counter[str] = Counter()
    lat: list[int] = []
    state = {"done": 0, "counted": 0}
    t_start = time.monotonic()
    t_win0 = t_start + warmup
    t_end = t_win0 + duration
    win = Window()
    seq = 0

    async def worker(w: int) -> None:
        nonlocal seq
        while time.monotonic() < t_end:
            seq += 1
            fut: asyncio.Future[None] = loop.create_future()
            t0 = now_ns()
            transport = None
            try:
                transport, _ = await loop.create_connection(
                    partial(Handshake, b"c%d" % seq, fut), target.host, target.port_for(seq)
                )
                await asyncio.wait_for(fut, handshake_timeout)
            except Exception as exc:
                errors[f"{exc.__class__.__name__}: {exc}"[:100]] += 1
                if transport is not None:
                    transport.abort()
                await asyncio.sleep(0.01)
                continue
            t1 = now_ns()
            state["done"] += 1
            if win.t0 and time.monotonic() < t_end:
                state["counted"] += 1
                lat.append(t1 - t0)

    async def clock() -> None:
        await asyncio.sleep(max(0.0, t_win0 - time.monotonic()))
        win.start(target, 0)
        await asyncio.sleep(max(0.0, t_end - time.monotonic()))
        win.stop(target, state["counted"])

    progress.phase = "measure"

    async def show() -> None:
        while time.monotonic() < t_end:
            progress.detail = f"{state['done']} registrations"
            await asyncio.sleep(0.2)

    workers = [asyncio.ensure_future(worker(w)) for w in range(inflight)]
    await asyncio.gather(clock(), show())
    # Handshakes still running at the end get a short grace period, then count as failed.
    _, pending = await asyncio.wait(workers, timeout=1.0)
    for task in pending:
        task.cancel()
    if pending:  # not failures: they ran out of time (often a SYN waiting for a retransmit)
        errors["still in handshake at the end (cancelled)"] += len(pending)
        await asyncio.wait(pending)
    lat.sort()
    result.metrics.update(win.metrics())
    result.metrics.update(
        {
            "registrations_per_s": state["counted"] / win.seconds,
            "handshake_p50_ms": percentile(lat, 0.5) / 1e6,
            "handshake_p99_ms": percentile(lat, 0.99) / 1e6,
            "failed": float(sum(errors.values()) - len(pending)),
            "cut_off": float(len(pending)),
            "lost": 0.0,
        }
    )
    result.errors = dict(errors)
    return result


async def run_idle(
    target: Target,
    progress: Progress,
    *,
    clients: int,
    rss_kib: Callable[[], int],
    settle: float = 1.0,
    setup_inflight: int = 200,
) -> RunResult:
    """`clients` registered, idle connections: server memory per connection."""
    gen = Gen(target.host, target.port)
    result = RunResult()
    try:
        await asyncio.sleep(0.2)
        before = rss_kib()
        progress.phase = "connect"
        t0 = time.monotonic()
        cpu0 = target.cpu()
        await connect_clients(
            gen, target, clients, 0, progress, inflight=setup_inflight, timeout=300, tolerate=True
        )
        t1 = time.monotonic()
        cpu1 = target.cpu()
        progress.phase = "idle"
        await asyncio.sleep(settle)
        after = rss_kib()
        alive = sum(1 for c in gen.clients if c.alive and c.is_registered)
        result.metrics.update(
            {
                "rss_before_kib": float(before),
                "rss_after_kib": float(after),
                "kib_per_conn": (after - before) / clients,
                "connected": float(alive),
                "registrations_per_s": clients / max(1e-9, t1 - t0),
                "server_cpu_pct": 100.0 * (cpu1 - cpu0) / max(1e-9, t1 - t0),
                "lost": float(clients - alive),
            }
        )
        result.errors = dict(gen.errors)
        return result
    finally:
        await close_all(gen)


def run_in_loop(coro_factory: Callable[[], Any], use_uvloop: bool = True) -> Any:
    """Run a coroutine in a fresh event loop (uvloop when available)."""
    if use_uvloop:
        with contextlib.suppress(ImportError):
            import uvloop

            return uvloop.run(coro_factory())
    return asyncio.run(coro_factory())
