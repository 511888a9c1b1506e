"""`python -m bench.soak` / `bench/run.sh --soak`: a long run of the real server under churn
with attacks beside it (issue 10: "a 10-minute soak of 1,000 clients with churn, with the
attacks above running beside it, keeps bystander p99 under 50 ms, RSS flat after warm-up, and
nothing acknowledged lost").

One `socketchat serve` with a product-like configuration (limits on, SQLite history in a temp
data dir, the web port on), pinned to core 0; this process (pinned to core 1) runs:

- **chatters**: ~1,000 clients, TCP and WebSocket, spread over many loopback source addresses
  (127.10.x.y, bound before connect) so the per-IP limit does not refuse them, in several
  channels, chatting at a modest total rate with `echo-message`;
- **churn**: every few seconds a fraction reconnect (QUIT, or no QUIT at all) and some part and
  rejoin a channel;
- **loss accounting**: a message is *acknowledged* when its echo reaches its sender; it must
  then reach every member who had joined (JOIN echo seen) before it was sent and had not asked to
  leave (PART/QUIT sent, or a PING whose PONG came back before an abort) before it was
  acknowledged. Anything else counts as lost. Checked per membership ("stint") when it ends;
- **attacks** (`ATTACKS`), each in its own tasks, bounded in connections and time, loopback only;
- **samplers**: server RSS and CPU every few seconds, the generator's CPU and event-loop lag.

A separate process (same core as the generator, its own event loop) runs the **bystander
pairs**: A sends `PRIVMSG B :<seq> <ns>`, B answers, A records the round trip, a few times a
second (below the flood-control rate, so fake lag never adds to it). A separate process keeps
the generator's own loop lag out of the round trips.

The report (Markdown on stdout, JSON in bench/results/soak-<timestamp>/) gives the bystander
p50/p95/p99/max per minute and overall, the RSS slope after warm-up, acknowledged vs lost
messages, how each attack's connections ended, and what the server logged.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import dataclasses
import math
import multiprocessing
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

from bench import loadgen, report
from bench.servers import REPO, Running, Socketchat, raise_nofile

SERVER_CORE = 0
GEN_CORE = 1
HOST = "127.0.0.1"

# A product-like configuration: every limit at its default (on), history in SQLite in the data
# dir (the default), the web port on (the command line gives the ports and the data dir).
PRODUCT_CONFIG = """\
[server]
name = "soak.socketchat"
"""


# -- configuration --------------------------------------------------------------------------------
@dataclass
class AttackSpec:
    """One attack: how many connections at once, how fast each sends (units per second: lines,
    frames, header lines; 0 = as fast as the socket takes), how many connections it may open in
    all (reconnects after being dropped included)."""

    name: str
    title: str
    connections: int
    rate: float
    max_connects: int
    reconnect_delay: float = 1.0


ATTACKS: dict[str, AttackSpec] = {
    a.name: a
    for a in (
        AttackSpec("masks", "VERSION/TIME/MOTD/WHO with many `*` masks (16 and 26)", 3, 8, 30),
        AttackSpec("banmask", "op of #soak0 sets 100 bans of 16 `*`s, cycles them", 1, 2, 5),
        AttackSpec("ping-flood", "PING flood", 10, 500, 100),
        AttackSpec("cap-flood", "`CAP LS 302` flood", 10, 500, 100),
        AttackSpec("join-flood", "JOIN of 50 channels alternating with JOIN 0", 10, 4, 100),
        AttackSpec("ws-continuation", "endless WebSocket continuation frames", 2, 5000, 20),
        AttackSpec("ws-ping-noread", "WebSocket PING frames, never reads", 2, 2000, 20),
        AttackSpec("noread-flood", "in #soak0, floods NAMES/WHO, never reads", 2, 10, 20),
        AttackSpec("slowloris", "half-sent HTTP requests on the web port", 1000, 0.1, 5000),
        AttackSpec("register-flood", "account creation flood (REGISTER)", 4, 0, 3000, 0.0),
        AttackSpec("chathistory-flood", "CHATHISTORY LATEST/BEFORE/TARGETS flood", 2, 10, 20),
        AttackSpec("bad-lines", "oversized, invalid UTF-8, NUL and tag-heavy lines", 2, 10, 20),
    )
}


@dataclass
class SoakConfig:
    duration: float = 600.0
    clients: int = 1000
    ws_fraction: float = 0.2
    channels: int = 10
    second_channel: float = 0.2  # fraction of chatters in a second channel too
    rate: float = 50.0  # channel messages per second, all chatters together
    churn_interval: float = 5.0
    churn_fraction: float = 0.01  # of the chatters reconnect every interval
    part_fraction: float = 0.01  # of the chatters part a channel (and rejoin) every interval
    abrupt_fraction: float = 0.3  # of reconnects: no QUIT, the connection is aborted
    clients_per_ip: int = 20
    bystander_pairs: int = 2  # pair 0 on TCP, pair 1 on WebSocket, …
    bystander_rate: float = 3.0  # round trips per second per pair
    bystander_timeout: float = 10.0
    attacks: tuple[str, ...] = tuple(ATTACKS)
    attack_start: float = 30.0
    attack_scale: float = 1.0
    stagger: float = 0.0  # > 0: attacks one after another, each alone this many seconds
    warmup: float = 120.0
    sample_interval: float = 2.0
    drain: float = 10.0
    setup_inflight: int = 50
    rss_slope_max_mib_per_min: float = 0.5
    p99_max_ms: float = 50.0
    seed: int = 1


def scaled_attacks(cfg: SoakConfig, opts: Sequence[str]) -> dict[str, AttackSpec]:
    """The chosen attacks, scaled by `attack_scale`, with `name.field=value` overrides."""
    out: dict[str, AttackSpec] = {}
    for name in cfg.attacks:
        a = ATTACKS[name]
        k = cfg.attack_scale
        out[name] = dataclasses.replace(
            a,
            connections=max(1, round(a.connections * k)),
            rate=a.rate * k if a.rate > 0.5 else a.rate,
            max_connects=max(1, round(a.max_connects * k)),
        )
    for opt in opts:
        key, _, value = opt.partition("=")
        name, _, fname = key.partition(".")
        if name not in out or fname not in {f.name for f in dataclasses.fields(AttackSpec)}:
            raise SystemExit(f"--attack-opt {opt!r}: no attack field {key!r}")
        kind = type(getattr(out[name], fname))
        out[name] = dataclasses.replace(out[name], **{fname: kind(value)})
    return out


# -- statistics -----------------------------------------------------------------------------------
def core_ticks() -> dict[str, tuple[int, int]]:
    """(busy, total) jiffies of each core from /proc/stat: how busy the machine was, others'
    work included (the server's share is its own CPU time)."""
    out: dict[str, tuple[int, int]] = {}
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("cpu") and line[3:4].isdigit():
                name, *values = line.split()
                v = [int(x) for x in values[:8]]
                idle = v[3] + v[4]  # idle + iowait
                out[name] = (sum(v) - idle, sum(v))
    except OSError:
        pass
    return out


def busy_pct(a: dict[str, tuple[int, int]], b: dict[str, tuple[int, int]], core: str) -> float:
    if core not in a or core not in b or b[core][1] <= a[core][1]:
        return float("nan")
    return 100.0 * (b[core][0] - a[core][0]) / (b[core][1] - a[core][1])


def stats_ms(values: Sequence[float]) -> dict[str, float]:
    v = sorted(values)
    return {
        "samples": float(len(v)),
        "p50_ms": loadgen.percentile(v, 0.50),
        "p95_ms": loadgen.percentile(v, 0.95),
        "p99_ms": loadgen.percentile(v, 0.99),
        "max_ms": v[-1] if v else float("nan"),
    }


def slope_per_min(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    if sxx == 0:
        return float("nan")
    return 60.0 * sum((t - mx) * (v - my) for t, v in points) / sxx


def loop_lag_monitor(
    lags: list[tuple[float, float]], t0: Callable[[], float], period: float = 0.05
) -> Awaitable[None]:
    """Record how late the event loop wakes up, as (seconds since t0(), ms): the generator's
    own latency (a busy machine shows here as much as in the round trips)."""

    async def run() -> None:
        while True:
            t = time.monotonic()
            await asyncio.sleep(period)
            now = time.monotonic()
            lags.append((now - t0(), 1000.0 * (now - t - period)))

    return run()


# -- bystanders (own process) ---------------------------------------------------------------------
class Bystander(loadgen.Client):
    """One side of a bystander pair. B answers every PRIVMSG from A; A resolves `waiting`."""

    def __init__(self, gen: loadgen.Gen, idx: int, nick: str) -> None:
        super().__init__(gen, idx, nick, probe=False)
        self.peer = b""
        self.answer = False
        self.waiting: dict[int, asyncio.Future[int]] = {}
        self.lost_reason = ""

    def on_irc_data(self, data: bytes) -> None:
        self.parse_lines(data)

    def parse_lines(self, data: bytes, partial: bool = True) -> None:
        data = self.buf + data
        lines = data.split(b"\n")
        self.buf = lines.pop()
        for raw in lines:
            line = raw.rstrip(b"\r")
            parts = line.split(b" ", 3)
            if len(parts) == 4 and parts[1] == b"PRIVMSG":
                text = parts[3][1:] if parts[3][:1] == b":" else parts[3]
                if self.answer:
                    self.write(b"PRIVMSG %s :%s\r\n" % (self.peer, text))
                else:
                    seq = text.split(b" ", 1)[0]
                    fut = self.waiting.pop(int(seq), None) if seq.isdigit() else None
                    if fut is not None and not fut.done():
                        fut.set_result(loadgen.now_ns())
            else:
                if line.startswith(b"ERROR"):
                    self.lost_reason = line.decode(errors="replace")[:120]
                self.on_line(line)

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        if not self.lost_reason:
            self.lost_reason = f"connection lost: {exc!r}" if exc else "closed by the server"
        for fut in (self.registered, self.closed):
            if not fut.done():
                fut.set_exception(ConnectionError(self.lost_reason))
                fut.exception()


class WSBystander(Bystander, loadgen.WSClient):
    def __init__(self, gen: loadgen.Gen, idx: int, nick: str, uri: str) -> None:
        loadgen.WSClient.__init__(self, gen, idx, nick, False, uri)
        self.peer = b""
        self.answer = False
        self.waiting = {}
        self.lost_reason = ""


def _same(protocol: asyncio.Protocol) -> asyncio.Protocol:
    return protocol


async def _bystander_pair(
    k: int,
    port: int,
    web_port: int,
    cfg: SoakConfig,
    t0: float,
    t_end: float,
    out: dict[str, Any],
) -> None:
    loop = asyncio.get_running_loop()
    gen = loadgen.Gen(HOST, port)
    ws = k % 2 == 1
    samples: list[tuple[float, float]] = []
    timeouts: list[float] = []
    disconnects: Counter[str] = Counter()
    out[f"pair{k}"] = {
        "transport": "websocket" if ws else "tcp",
        "samples": samples,
        "timeouts": timeouts,
        "disconnects": disconnects,
    }
    interval = 1.0 / cfg.bystander_rate
    seq = 0
    while time.monotonic() < t_end:
        a_nick, b_nick = f"by{k}a", f"by{k}b"
        pair: list[Bystander] = []
        try:
            for j, nick in enumerate((a_nick, b_nick)):
                c: Bystander
                if ws:
                    c = WSBystander(gen, j, nick, f"ws://{HOST}:{web_port}/ws")
                else:
                    c = Bystander(gen, j, nick)
                addr = (f"127.20.{k}.{j + 1}", 0)
                await loop.create_connection(
                    partial(_same, c), HOST, web_port if ws else port, local_addr=addr
                )
                await asyncio.wait_for(c.registered, 30)
                c.parse = True
                pair.append(c)
        except (OSError, ConnectionError, TimeoutError) as exc:
            disconnects[f"could not connect: {exc}"[:120]] += 1
            for c in pair:
                c.close()
            await asyncio.sleep(1.0)
            continue
        a, b = pair
        a.peer, b.peer, b.answer = b_nick.encode(), a_nick.encode(), True
        await asyncio.sleep(0.5)
        while time.monotonic() < t_end and a.alive and b.alive:
            seq += 1
            fut: asyncio.Future[int] = loop.create_future()
            a.waiting[seq] = fut
            sent = loadgen.now_ns()
            t_sent = time.monotonic()
            a.write(b"PRIVMSG %s :%d %d\r\n" % (a.peer, seq, sent))
            try:
                got = await asyncio.wait_for(fut, cfg.bystander_timeout)
                samples.append((t_sent - t0, (got - sent) / 1e6))
            except TimeoutError:
                a.waiting.pop(seq, None)
                timeouts.append(t_sent - t0)
            except ConnectionError:
                break
            await asyncio.sleep(max(0.0, t_sent + interval - time.monotonic()))
        for c in (a, b):
            if not c.alive:
                disconnects[c.lost_reason[:120]] += 1
            c.close()


def bystander_main(port: int, web_port: int, cfg: SoakConfig, conn: Connection) -> None:
    """Entry point of the bystander process: wait for (start, end) on `conn`, run the pairs,
    send the results back. (Started before the set-up: starting a process takes a while.)"""
    out: dict[str, Any] = {}
    lags: list[tuple[float, float]] = []
    t0, t_end = conn.recv()

    async def go() -> None:
        lag = asyncio.ensure_future(loop_lag_monitor(lags, lambda: t0))
        await asyncio.gather(
            *(
                _bystander_pair(k, port, web_port, cfg, t0, t_end, out)
                for k in range(cfg.bystander_pairs)
            )
        )
        lag.cancel()

    try:
        loadgen.run_in_loop(go)
    finally:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        for pair in out.values():
            pair["disconnects"] = dict(pair["disconnects"])
        conn.send(
            {
                "pairs": out,
                "cpu_s": ru.ru_utime + ru.ru_stime,
                "loop_lag": stats_ms([v for _, v in lags]),
                "loop_lags": lags,
            }
        )
        conn.close()


# -- chatters -------------------------------------------------------------------------------------
@dataclass
class Stint:
    """One membership of one chatter in one channel, from its JOIN echo until it asked to leave."""

    channel: bytes
    start: float
    end: float = 0.0  # when it asked to leave (PART/QUIT/PING before abort); 0 while in
    received: array[int] = field(default_factory=lambda: array("I"))


class ChatterMixin:
    """IRC handling of a soak chatter, on top of `loadgen.Client` (TCP) or `WSClient`."""

    soak: Soak
    idx: int
    nick: str
    buf: bytes
    alive: bool
    registered: asyncio.Future[None]
    closed: asyncio.Future[None]
    write: Callable[[bytes], None]

    def setup(self, soak: Soak) -> None:
        self.soak = soak
        self.stints: dict[bytes, Stint] = {}
        self.parting: set[bytes] = set()
        self.leaving = False
        self.error_reason = ""
        self.pong: asyncio.Future[None] | None = None
        self.mark = b":" + self.nick.encode() + b"!"
        self.t_connected = time.monotonic()

    def hello(self) -> bytes:
        return (
            b"CAP LS 302\r\nCAP REQ :echo-message\r\nNICK %s\r\nUSER s 0 * :soak\r\nCAP END\r\n"
            % self.nick.encode()
        )

    def on_irc_data(self, data: bytes) -> None:
        data = self.buf + data
        lines = data.split(b"\n")
        self.buf = lines.pop()
        soak = self.soak
        now = 0.0
        for raw in lines:
            parts = raw.rstrip(b"\r").split(b" ", 3)
            if len(parts) < 2:
                continue
            cmd = parts[1]
            if cmd == b"PRIVMSG" and len(parts) == 4:
                text = parts[3]
                head = text[1:].split(b" ", 1)[0] if text[:1] == b":" else text.split(b" ", 1)[0]
                if not head.isdigit():
                    soak.foreign += 1
                    continue
                m = int(head)
                if parts[0].startswith(self.mark):
                    if not now:
                        now = time.monotonic()
                    soak.ack(m, now)
                    continue
                st = self.stints.get(parts[2])
                if st is None:
                    soak.stray += 1
                else:
                    st.received.append(m)
            elif parts[0] == b"PING":
                self.write(b"PONG " + b" ".join(parts[1:]) + b"\r\n")
            elif cmd == b"JOIN" or cmd == b"PART":
                if parts[0].startswith(self.mark):
                    chan = parts[2].lstrip(b":")
                    now = now or time.monotonic()
                    if cmd == b"JOIN":
                        self.stints[chan] = Stint(chan, now)
                    else:
                        st = self.stints.pop(chan, None)
                        self.parting.discard(chan)
                        if st is not None:
                            soak.check_stint(self, st)
            elif cmd == b"PONG":
                if self.pong is not None and not self.pong.done():
                    self.pong.set_result(None)
            elif cmd == b"001":
                self.nick = parts[2].decode()
                self.mark = b":" + parts[2] + b"!"
            elif cmd in (b"376", b"422"):
                if not self.registered.done():
                    self.registered.set_result(None)
            elif cmd == b"433":
                self.nick = self.nick + "_"
                self.mark = b":" + self.nick.encode() + b"!"
                self.write(b"NICK %s\r\n" % self.nick.encode())
            elif parts[0] == b"ERROR":
                self.error_reason = raw.decode(errors="replace").strip()[:160]
            elif cmd[:1] in b"45" and cmd.isdigit() and cmd not in (b"401",):
                soak.numerics[raw.decode(errors="replace").split(" ", 2)[1]] += 1

    def connection_lost(self, exc: Exception | None) -> None:
        was = self.alive
        self.alive = False
        if not self.closed.done():
            self.closed.set_result(None)
        for fut in (self.registered, self.pong):
            if fut is not None and not fut.done():
                fut.set_exception(ConnectionError(self.error_reason or repr(exc)))
                fut.exception()
        if was and not self.leaving and not self.soak.stopping:
            self.soak.dropped(self, self.error_reason or f"connection lost: {exc!r}")


class TCPChatter(ChatterMixin, loadgen.Client):
    pass


class WSChatter(ChatterMixin, loadgen.WSClient):
    pass


Chatter = TCPChatter | WSChatter


# -- attacks --------------------------------------------------------------------------------------
@dataclass
class AttackStats:
    spec: AttackSpec
    connects: int = 0
    units: int = 0
    bytes_in: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    lifetimes: list[float] = field(default_factory=list)


def ws_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A client frame (masked with a zero key: the payload stays as it is)."""
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = bytes((b0, 0x80 | n))
    elif n < 65536:
        head = bytes((b0, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((b0, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


def ws_request(port: int) -> bytes:
    return (
        f"GET /ws HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n\r\n"
    ).encode()


_CLOSING = re.compile(r"^ERROR :(?:Closing link: \S+ \()?(.*?)\)?$")


class AttackConn(asyncio.Protocol):
    """A raw attacking connection: counts what it gets, notes how it ended."""

    def __init__(self, stats: AttackStats, watch: Sequence[bytes] = (), ws: bool = False) -> None:
        self.stats = stats
        self.watch = watch
        self.ws = ws
        self.ws_open = False
        self.transport: asyncio.Transport | None = None
        self.tail = b""
        self.head = b""
        self.error = ""
        self.ws_close = ""
        self.ours = False  # we closed it
        self.quit = False  # we sent QUIT
        self.alive = False
        self.writable = asyncio.Event()
        self.writable.set()
        self.opened = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.t_open = time.monotonic()
        self.blocked = False
        self.rbuf = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.alive = True
        self.stats.connects += 1
        if not self.ws:
            self.opened.set_result(None)

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def write(self, data: bytes) -> None:
        if self.alive and self.transport is not None:
            self.transport.write(data)

    def noread(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def data_received(self, data: bytes) -> None:
        self.stats.bytes_in += len(data)
        if self.ws and not self.ws_open:
            self.head += data
            if b"\r\n\r\n" in self.head:
                head, _, rest = self.head.partition(b"\r\n\r\n")
                status = head.split(b"\r\n", 1)[0].decode(errors="replace")
                if " 101 " in status:
                    self.ws_open = True
                    if not self.opened.done():
                        self.opened.set_result(None)
                    if rest:
                        self.frames(rest)
                else:
                    self.error = f"HTTP {status[9:40]}"
                    if not self.opened.done():
                        self.opened.set_exception(ConnectionError(self.error))
                        self.opened.exception()
            return
        if self.ws:
            self.frames(data)
            return
        self.scan(data)

    def scan(self, data: bytes) -> None:
        chunk = self.tail + data
        self.tail = chunk[-200:]
        for w in self.watch:
            n = data.count(w)
            if n:
                self.stats.notes[w.decode().strip()] += n
        if b"ERROR :" in chunk and not self.error:
            line = chunk[chunk.index(b"ERROR :") :].split(b"\r\n", 1)[0].decode(errors="replace")
            m = _CLOSING.match(line)
            self.error = (m.group(1) if m else line)[:80]

    def frames(self, data: bytes) -> None:
        """Server frames: text ones are IRC lines (scanned), a close frame gives its code."""
        buf = self.rbuf + data
        pos = 0
        texts = []
        while len(buf) - pos >= 2:
            n = buf[pos + 1] & 0x7F
            h = 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, h = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, h = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if pos + h + n > len(buf):
                break
            op = buf[pos] & 0x0F
            payload = buf[pos + h : pos + h + n]
            if op == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.ws_close = f"WebSocket close {code} {payload[2:60].decode(errors='replace')}"
            elif op <= 0x2:
                texts.append(payload)
            pos += h + n
        self.rbuf = buf[pos:]
        if texts:
            self.scan(b"\r\n".join(texts) + b"\r\n")

    def close(self) -> None:
        self.ours = True
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        self.writable.set()
        life = time.monotonic() - self.t_open
        self.stats.lifetimes.append(life)
        if self.quit:
            outcome = "QUIT after the answer"
        elif self.ours:
            outcome = "still open at the end" if not self.blocked else "open, writes blocked"
        elif self.ws_close:
            outcome = self.ws_close.strip()
        elif self.error:
            outcome = f"closed by server: {self.error}"
        elif exc is not None:
            outcome = f"connection lost: {exc.__class__.__name__}"
        else:
            outcome = "closed by server (no ERROR line)"
        if life < 1.0 and not self.ours:
            outcome += " (within 1 s)"
        self.stats.outcomes[outcome] += 1
        if not self.closed.done():
            self.closed.set_result(None)
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(outcome))
            self.opened.exception()


def register_lines(nick: str, caps: str = "") -> bytes:
    cap = f"CAP LS 302\r\nCAP REQ :{caps}\r\n" if caps else ""
    end = "CAP END\r\n" if caps else ""
    return f"{cap}NICK {nick}\r\nUSER a 0 * :attacker\r\n{end}".encode()


def _mask(wild: int, ch: str = "s", tail: str = "q") -> str:
    """A mask of `wild` `*`s that matches nothing real (it must end in `tail`)."""
    return ("*" + ch) * (wild - 1) + "*" + tail


class Attacks:
    """The attacks' behaviours. Each runs in `connections` workers; a worker opens a connection,
    runs the behaviour until it is dropped or time is up, then reconnects (bounded)."""

    def __init__(self, soak: Soak, specs: dict[str, AttackSpec]) -> None:
        self.soak = soak
        self.specs = specs
        self.stats = {name: AttackStats(spec) for name, spec in specs.items()}
        self.banmask_conn: AttackConn | None = None
        self.banmask_ready = asyncio.Event()
        self.seq = 0
        self.windows: dict[str, tuple[float, float]] = {}
        self.conns: dict[str, set[AttackConn]] = {name: set() for name in specs}

    def addr(self, name: str) -> tuple[str, int]:
        i = list(ATTACKS).index(name)
        return (f"127.66.{i}.1", 0)

    async def open(
        self, name: str, watch: Sequence[bytes] = (), ws: bool = False, port: int | None = None
    ) -> AttackConn:
        loop = asyncio.get_running_loop()
        stats = self.stats[name]
        conn = AttackConn(stats, watch, ws=ws)
        p = port if port is not None else (self.soak.web_port if ws else self.soak.port)
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: conn, HOST, p, local_addr=self.addr(name)), 10
            )
        except (OSError, TimeoutError) as exc:
            stats.outcomes[f"connect failed: {exc.__class__.__name__}"] += 1
            raise ConnectionError(str(exc)) from None
        if ws:
            conn.write(ws_request(p))
            try:
                await asyncio.wait_for(asyncio.shield(conn.opened), 15)
            except TimeoutError:
                conn.close()
                raise ConnectionError("no handshake answer") from None
        return conn

    def plan(self, begin: float, end: float, stagger: float) -> None:
        """Each attack's time window: all together, or (stagger > 0) one after another, each
        alone for `stagger` seconds (what did each one do to the bystanders?)."""
        for i, name in enumerate(self.specs):
            if stagger > 0:
                b = begin + i * stagger
                self.windows[name] = (b, min(b + stagger, end))
            else:
                self.windows[name] = (begin, end)

    def end(self, name: str) -> float:
        return self.windows[name][1]

    async def pump(self, conn: AttackConn, rate: float, unit: Callable[[int], bytes]) -> None:
        """Send `rate` units per second (0: as fast as the socket takes) until the connection
        is gone or the attack time is over."""
        tick = 0.05
        i = 0
        stats = conn.stats
        end = self.end(stats.spec.name)
        t_start = time.monotonic()
        while conn.alive and (now := time.monotonic()) < end:
            if not conn.writable.is_set():
                conn.blocked = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(conn.writable.wait(), max(0.01, end - now))
                continue
            conn.blocked = False
            n = int((now - t_start) * rate) + 1 - i if rate > 0 else 100
            if n > 0:
                conn.write(b"".join(unit(i + j) for j in range(n)))
                i += n
                stats.units += n
            await asyncio.sleep(tick if rate > 0 else 0)

    async def hold(self, conn: AttackConn) -> None:
        """Keep the connection until the server drops it or the attack time is over."""
        end = self.end(conn.stats.spec.name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(conn.closed), max(0.0, end - time.monotonic()))

    async def worker(self, name: str, k: int, behaviour: Callable[[int], Awaitable[None]]) -> None:
        spec = self.specs[name]
        stats = self.stats[name]
        first = True  # banmask's first connection was opened during the set-up
        while time.monotonic() < self.end(name) and (first or stats.connects < spec.max_connects):
            first = False
            try:
                await behaviour(k)
            except ConnectionError:
                pass
            except Exception as exc:  # a bug in an attack must not end the soak
                stats.outcomes[f"attack error: {exc.__class__.__name__}: {exc}"[:100]] += 1
            if time.monotonic() < self.end(name):
                await asyncio.sleep(spec.reconnect_delay)

    async def run(self) -> None:
        await asyncio.gather(*(self.run_one(name) for name in self.specs))

    async def run_one(self, name: str) -> None:
        """One attack in its window; what it still holds open at the end is closed then."""
        begin, end = self.windows[name]
        if begin >= end:
            self.stats[name].outcomes["not run: no time left in the soak"] += 1
            return
        await asyncio.sleep(max(0.0, begin - time.monotonic()))
        spec = self.specs[name]
        if name == "slowloris":
            coros = [self.slowloris(k) for k in range(spec.connections)]
        else:
            behaviour = getattr(self, "a_" + name.replace("-", "_"))
            coros = [self.worker(name, k, behaviour) for k in range(spec.connections)]
        await asyncio.gather(*coros)
        for conn in list(self.conns[name]):
            if conn.alive:
                conn.close()

    def finish(self) -> None:
        """Close what is still open (counted as "still open at the end")."""
        for conn in list(self.soak.attack_conns):
            if conn.alive:
                conn.close()

    def track(self, conn: AttackConn) -> AttackConn:
        mine = self.conns[conn.stats.spec.name]
        for group in (self.soak.attack_conns, mine):
            group.add(conn)
            conn.closed.add_done_callback(lambda _, g=group: g.discard(conn))  # type: ignore[misc]
        return conn

    # The behaviours ------------------------------------------------------------------------
    async def a_masks(self, k: int) -> None:
        spec = self.specs["masks"]
        conn = self.track(await self.open("masks", (b" 402 ", b" 351 ", b" 315 ", b"FAIL ")))
        self.seq += 1
        conn.write(register_lines(f"xm{k}n{self.seq}"))
        lines = []
        for wild in (16, 26):
            m = _mask(wild)
            lines += [f"VERSION {m}", f"TIME {m}", f"MOTD {m}", f"WHO {_mask(wild, 'c')}!*@*"]
        data = [(line + "\r\n").encode() for line in lines]
        await asyncio.sleep(1.0)
        await self.pump(conn, spec.rate, lambda i: data[i % len(data)])
        if conn.alive:
            conn.close()

    async def a_banmask(self, k: int) -> None:
        """Created #soak0 before the chatters joined (set-up): an op with bans."""
        spec = self.specs["banmask"]
        conn = self.banmask_conn
        if conn is None or not conn.alive:
            conn = self.track(await self.open("banmask", (b" 478 ", b"FAIL ", b" 482 ")))
            self.seq += 1
            conn.write(register_lines(f"xb{k}n{self.seq}") + b"JOIN #soak0\r\n")
        bans = [f"{_mask(16, 's', f'q{i}')}!*@*" for i in range(100)]
        for i in range(0, 100, 4):
            conn.write(f"MODE #soak0 +bbbb {' '.join(bans[i : i + 4])}\r\n".encode())
            conn.stats.units += 1
            await asyncio.sleep(0.3)
        over = _mask(26) + "!*@*"

        def unit(i: int) -> bytes:
            b = bans[i % 100]
            return f"MODE #soak0 -b {b}\r\nMODE #soak0 +b {b}\r\nMODE #soak0 +b {over}\r\n".encode()

        await self.pump(conn, spec.rate, unit)
        await self.hold(conn)
        for i in range(0, 100, 4):  # leave the channel as it was: the next window is another's
            conn.write(f"MODE #soak0 -bbbb {' '.join(bans[i : i + 4])}\r\n".encode())
        conn.write(f"MODE #soak0 -b {over}\r\n".encode())
        await asyncio.sleep(0.5)
        if conn.alive:
            conn.close()

    async def a_ping_flood(self, k: int) -> None:
        conn = self.track(await self.open("ping-flood"))
        self.seq += 1
        conn.write(register_lines(f"xp{k}n{self.seq}"))
        await self.pump(conn, self.specs["ping-flood"].rate, lambda i: b"PING :x%d\r\n" % i)
        if conn.alive:
            conn.close()

    async def a_cap_flood(self, k: int) -> None:
        conn = self.track(await self.open("cap-flood"))
        self.seq += 1
        conn.write(register_lines(f"xc{k}n{self.seq}"))
        await self.pump(conn, self.specs["cap-flood"].rate, lambda i: b"CAP LS 302\r\n")
        if conn.alive:
            conn.close()

    async def a_join_flood(self, k: int) -> None:
        conn = self.track(await self.open("join-flood", (b" 405 ",)))
        self.seq += 1
        conn.write(register_lines(f"xj{k}n{self.seq}"))
        many = ("JOIN " + ",".join(f"#flood{i}" for i in range(50)) + "\r\n").encode()
        await asyncio.sleep(0.5)
        await self.pump(
            conn, self.specs["join-flood"].rate, lambda i: many if i % 2 == 0 else b"JOIN 0\r\n"
        )
        if conn.alive:
            conn.close()

    async def a_ws_continuation(self, k: int) -> None:
        conn = self.track(await self.open("ws-continuation", ws=True))
        self.seq += 1
        nick = f"xw{k}n{self.seq}"
        conn.write(ws_frame(1, f"NICK {nick}".encode()) + ws_frame(1, b"USER a 0 * :x"))
        conn.write(ws_frame(1, b"PRIVMSG #soak0 :", fin=False))
        cont = ws_frame(0, b"0123456789abcdef", fin=False)
        await self.pump(conn, self.specs["ws-continuation"].rate, lambda i: cont)
        if conn.alive:
            conn.close()

    async def a_ws_ping_noread(self, k: int) -> None:
        conn = self.track(await self.open("ws-ping-noread", ws=True))
        self.seq += 1
        conn.write(ws_frame(1, f"NICK xq{k}n{self.seq}".encode()) + ws_frame(1, b"USER a 0 * :x"))
        conn.noread()
        ping = ws_frame(9, b"p" * 125)
        await self.pump(conn, self.specs["ws-ping-noread"].rate, lambda i: ping)
        if conn.alive:
            conn.close()

    async def a_noread_flood(self, k: int) -> None:
        conn = self.track(await self.open("noread-flood"))
        self.seq += 1
        conn.write(register_lines(f"xr{k}n{self.seq}") + b"JOIN #soak0\r\n")
        await asyncio.sleep(1.0)
        conn.noread()
        await self.pump(
            conn,
            self.specs["noread-flood"].rate,
            lambda i: b"NAMES #soak0\r\n" if i % 2 else b"WHO #soak0\r\n",
        )
        if conn.alive:
            conn.close()

    async def slowloris(self, k: int) -> None:
        """One slot: a request head that never ends, a header line every 1/rate seconds."""
        spec = self.specs["slowloris"]
        stats = self.stats["slowloris"]
        await asyncio.sleep(k / 100.0)  # open 100 a second
        end = self.end("slowloris")
        while time.monotonic() < end and stats.connects < spec.max_connects:
            try:
                conn = self.track(await self.open("slowloris", port=self.soak.web_port))
            except ConnectionError:
                await asyncio.sleep(spec.reconnect_delay)
                continue
            conn.write(f"GET /ws HTTP/1.1\r\nHost: {HOST}\r\n".encode())
            stats.units += 1
            interval = 1.0 / spec.rate if spec.rate > 0 else 10.0
            while conn.alive and time.monotonic() < end:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(conn.closed), interval)
                if conn.alive:
                    conn.write(b"X-Slow: %d\r\n" % stats.units)
                    stats.units += 1
            if conn.alive:
                conn.close()
            else:
                await asyncio.sleep(spec.reconnect_delay)

    async def a_register_flood(self, k: int) -> None:
        stats = self.stats["register-flood"]
        conn = await self.open("register-flood", (b"REGISTER SUCCESS",))
        self.seq += 1
        nick = f"rf{k}n{self.seq}"
        conn.write(
            f"CAP LS 302\r\nNICK {nick}\r\nUSER a 0 * :x\r\n"
            f"REGISTER * * pw-{nick}-secret\r\n".encode()
        )
        stats.units += 1
        deadline = time.monotonic() + 15
        while conn.alive and time.monotonic() < deadline:
            t = conn.tail
            if b"REGISTER SUCCESS" in t or b"FAIL REGISTER" in t:
                break
            await asyncio.sleep(0.01)
        t = conn.tail
        if b"FAIL REGISTER " in t:
            code = t[t.index(b"FAIL REGISTER ") + 14 :].split(b" ", 1)[0].decode(errors="replace")
            stats.notes[f"FAIL REGISTER {code}"] += 1
        elif b"REGISTER SUCCESS" not in t:
            stats.notes["no REGISTER answer in 15 s"] += 1
        conn.quit = True
        conn.write(b"QUIT\r\n")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(conn.closed), 5)
        if conn.alive:
            conn.close()

    async def a_chathistory_flood(self, k: int) -> None:
        conn = self.track(await self.open("chathistory-flood", (b"FAIL CHATHISTORY",)))
        self.seq += 1
        conn.write(
            register_lines(f"xh{k}n{self.seq}", "draft/chathistory batch server-time message-tags")
            + b"JOIN #soak0\r\n"
        )
        await asyncio.sleep(1.0)
        cmds = [
            b"CHATHISTORY LATEST #soak0 * 100\r\n",
            b"CHATHISTORY BEFORE #soak0 timestamp=2100-01-01T00:00:00.000Z 100\r\n",
            b"CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z "
            b"timestamp=2100-01-01T00:00:00.000Z 50\r\n",
            b"CHATHISTORY AROUND #soak0 timestamp=2030-01-01T00:00:00.000Z 100\r\n",
        ]
        await self.pump(conn, self.specs["chathistory-flood"].rate, lambda i: cmds[i % len(cmds)])
        if conn.alive:
            conn.close()

    async def a_bad_lines(self, k: int) -> None:
        conn = self.track(await self.open("bad-lines", (b" 417 ", b"FAIL ", b" 421 ")))
        self.seq += 1
        conn.write(register_lines(f"xl{k}n{self.seq}"))
        await asyncio.sleep(0.5)
        lines = [
            b"PRIVMSG #soak0 :" + b"x" * 600 + b"\r\n",
            b"PRIVMSG #soak0 :" + b"y" * 5000 + b"\r\n",
            b"PRIVMSG #soak0 :\xff\xfe\xc3\x28 invalid\r\n",
            b"PRIVMSG #soak0 :nul\x00inside\r\n",
            b"@" + b";".join(b"t%d=%s" % (i, b"v" * 60) for i in range(80)) + b" PING :x\r\n",
            b"\xc0\xaf\xed\xa0\x80 \xff\r\n",
            b"CHATHISTORY LATEST #soak0 * \xc2\xb2\r\n",
            b"AUTHENTICATE \xc3\xa9\r\n",
        ]
        await self.pump(conn, self.specs["bad-lines"].rate, lambda i: lines[i % len(lines)])
        if conn.alive:
            conn.close()


# -- the soak -------------------------------------------------------------------------------------
class Soak:
    def __init__(self, cfg: SoakConfig, specs: dict[str, AttackSpec], running: Running) -> None:
        self.cfg = cfg
        self.running = running
        self.port = running.port
        assert running.web_port is not None
        self.web_port = running.web_port
        self.rng = random.Random(cfg.seed)
        self.gen = loadgen.Gen(HOST, self.port)
        self.channels = [f"#soak{i}".encode() for i in range(cfg.channels)]
        self.chan_index = {c: i for i, c in enumerate(self.channels)}
        self.homes: list[list[bytes]] = []
        for idx in range(cfg.clients):
            home = [self.channels[idx % cfg.channels]]
            if self.rng.random() < cfg.second_channel and cfg.channels > 1:
                step = 1 + self.rng.randrange(cfg.channels - 1)
                home.append(self.channels[(idx + step) % cfg.channels])
            self.homes.append(home)
        self.clients: list[Chatter | None] = [None] * cfg.clients
        # messages, by id m
        self.t_send = array("d")
        self.t_ack = array("d")
        self.m_sender = array("I")
        self.chan_msgs = [array("I") for _ in self.channels]
        self.chan_t = [array("d") for _ in self.channels]
        self.acked = 0
        self.dup_acks = 0
        self.expected = 0
        self.lost = 0
        self.lost_examples: list[dict[str, Any]] = []
        self.stints_checked = 0
        self.stints_unchecked = 0
        self.foreign = 0
        self.stray = 0
        self.numerics: Counter[str] = Counter()
        self.drops: Counter[str] = Counter()
        self.churn: Counter[str] = Counter()
        self.stopping = False
        self.attack_conns: set[AttackConn] = set()
        self.samples: list[dict[str, float]] = []
        self.ticks: list[dict[str, tuple[int, int]]] = []  # /proc/stat with each sample
        self.lags: list[tuple[float, float]] = []
        self.t0 = 0.0
        self.attack_begin = 0.0
        self.attack_end = 0.0
        self.attacks = Attacks(self, specs)
        self.attack_error = ""
        self.tasks: set[asyncio.Future[Any]] = set()

    # -- bookkeeping -------------------------------------------------------------------------
    def ack(self, m: int, now: float) -> None:
        if m >= len(self.t_ack):
            self.foreign += 1
        elif self.t_ack[m] == 0.0:
            self.t_ack[m] = now
            self.acked += 1
        else:
            self.dup_acks += 1

    def check_stint(self, c: ChatterMixin, st: Stint) -> None:
        """Every acknowledged message of the stint's channel, sent after its JOIN echo and
        acknowledged before it asked to leave, must have been received."""
        end = st.end or time.monotonic()
        ci = self.chan_index.get(st.channel)
        if ci is None:
            return
        ms, ts = self.chan_msgs[ci], self.chan_t[ci]
        got = set(st.received)
        idx = cast(Any, c).idx
        for j in range(bisect.bisect_left(ts, st.start), len(ms)):
            if ts[j] > end:
                break
            m = ms[j]
            ta = self.t_ack[m]
            if ta == 0.0 or ta > end or self.m_sender[m] == idx:
                continue
            self.expected += 1
            if m not in got:
                self.lost += 1
                if len(self.lost_examples) < 10:
                    self.lost_examples.append(
                        {
                            "message": m,
                            "channel": st.channel.decode(),
                            "receiver": c.nick,
                            "sent_s": round(ts[j] - self.t0, 3),
                            "acked_s": round(ta - self.t0, 3),
                            "stint_s": [round(st.start - self.t0, 3), round(end - self.t0, 3)],
                        }
                    )
        self.stints_checked += 1

    def dropped(self, c: ChatterMixin, reason: str) -> None:
        """The server dropped a chatter we did not ask to leave: its stints cannot be checked
        (what was written after the server decided is gone); it reconnects."""
        self.drops[reason[:120]] += 1
        self.stints_unchecked += len(c.stints)
        c.stints.clear()
        idx = cast(Any, c).idx
        self.spawn(self.reconnect(idx, delay=1.0, already_gone=True))

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- chatters ----------------------------------------------------------------------------
    def make_client(self, idx: int) -> Chatter:
        cfg = self.cfg
        nick = f"c{idx:04d}"
        ws = (idx * 7919) % 1000 < cfg.ws_fraction * 1000
        c: Chatter
        if ws:
            c = WSChatter(self.gen, idx, nick, False, f"ws://{HOST}:{self.web_port}/ws")
        else:
            c = TCPChatter(self.gen, idx, nick, False)
        c.setup(self)
        return c

    def addr_of(self, idx: int) -> tuple[str, int]:
        k = idx // self.cfg.clients_per_ip
        return (f"127.10.{k // 250}.{k % 250 + 1}", 0)

    async def connect(self, idx: int) -> Chatter:
        """Connect, register and join the home channels (raises on failure)."""
        loop = asyncio.get_running_loop()
        c = self.make_client(idx)
        port = self.web_port if isinstance(c, WSChatter) else self.port
        await asyncio.wait_for(
            loop.create_connection(lambda: c, HOST, port, local_addr=self.addr_of(idx)), 15
        )
        try:
            await asyncio.wait_for(asyncio.shield(c.registered), 30)
            homes = self.homes[idx]
            c.write(b"".join(b"JOIN %s\r\n" % ch for ch in homes))
            deadline = time.monotonic() + 30
            while len(c.stints) < len(homes) and c.alive:
                if time.monotonic() > deadline:
                    raise TimeoutError("no JOIN echo in 30 s")
                await asyncio.sleep(0.02)
            if not c.alive:
                raise ConnectionError(c.error_reason or "closed while joining")
        except BaseException:
            c.leaving = True
            c.close()
            raise
        self.clients[idx] = c
        return c

    async def reconnect(self, idx: int, delay: float = 0.0, already_gone: bool = False) -> None:
        await asyncio.sleep(delay)
        for attempt in range(5):
            if self.stopping:
                return
            try:
                await self.connect(idx)
                self.churn["reconnected"] += 1
                return
            except (OSError, ConnectionError, TimeoutError) as exc:
                self.churn[f"reconnect failed: {exc.__class__.__name__}: {exc}"[:120]] += 1
                await asyncio.sleep(1.0 + attempt)
        self.churn["gave up reconnecting"] += 1

    async def leave(self, c: Chatter, abrupt: bool) -> bool:
        """End a connection so that its stints can be checked; True if they were."""
        c.leaving = True
        t = time.monotonic()
        for st in c.stints.values():
            if not st.end:  # a PART already sent ends its stint earlier
                st.end = t
        try:
            if abrupt:  # all that was fanned out before the PING is here when its PONG is
                c.pong = asyncio.get_running_loop().create_future()
                c.write(b"PING :sync\r\n")
                await asyncio.wait_for(asyncio.shield(c.pong), 15)
            else:  # QUIT: read until the server closes
                c.write(b"QUIT :churn\r\n")
                await asyncio.wait_for(asyncio.shield(c.closed), 15)
        except (ConnectionError, TimeoutError) as exc:
            self.churn[f"leave failed: {exc.__class__.__name__}"] += 1
            self.stints_unchecked += len(c.stints)
            c.stints.clear()
            c.close()
            return False
        for st in list(c.stints.values()):
            self.check_stint(c, st)
        c.stints.clear()
        c.close()
        return True

    async def churn_one(self, idx: int) -> None:
        c = self.clients[idx]
        if c is None or not c.alive or c.leaving:
            return
        self.clients[idx] = None
        abrupt = self.rng.random() < self.cfg.abrupt_fraction
        self.churn["aborted (no QUIT)" if abrupt else "quit"] += 1
        await self.leave(c, abrupt)
        await self.reconnect(idx, delay=self.rng.uniform(0.2, 2.0))

    async def part_one(self, idx: int) -> None:
        c = self.clients[idx]
        if c is None or not c.alive or c.leaving:
            return
        open_ = [ch for ch in c.stints if ch not in c.parting]
        if not open_:
            return
        ch = self.rng.choice(open_)
        c.parting.add(ch)
        c.stints[ch].end = time.monotonic()
        c.write(b"PART %s :churn\r\n" % ch)
        self.churn["parted"] += 1
        await asyncio.sleep(self.rng.uniform(1.0, 3.0))
        if c.alive and not c.leaving and ch not in c.stints:
            c.write(b"JOIN %s\r\n" % ch)
            self.churn["rejoined"] += 1

    async def churn_loop(self, until: float) -> None:
        cfg = self.cfg
        while time.monotonic() + cfg.churn_interval < until:
            await asyncio.sleep(cfg.churn_interval)
            n = cfg.clients
            for idx in self.rng.sample(range(n), min(n, round(n * cfg.churn_fraction))):
                self.spawn(self.churn_one(idx))
            for idx in self.rng.sample(range(n), min(n, round(n * cfg.part_fraction))):
                self.spawn(self.part_one(idx))

    async def chat_loop(self, until: float) -> None:
        rate = self.cfg.rate
        t_start = time.monotonic()
        sent = 0
        rng = self.rng
        clients = self.clients
        while True:
            now = time.monotonic()
            if now >= until:
                break
            due = int((now - t_start) * rate) - sent
            for _ in range(due):
                sent += 1
                for _try in range(20):
                    c = clients[rng.randrange(len(clients))]
                    if c is None or not c.alive or c.leaving:
                        continue
                    chans = [ch for ch in c.stints if ch not in c.parting]
                    if chans:
                        self.send(c, rng.choice(chans), now)
                        break
            await asyncio.sleep(0.01)

    def send(self, c: Chatter, ch: bytes, now: float) -> None:
        m = len(self.t_send)
        self.t_send.append(now)
        self.t_ack.append(0.0)
        self.m_sender.append(c.idx)
        ci = self.chan_index[ch]
        self.chan_msgs[ci].append(m)
        self.chan_t[ci].append(now)
        c.write(b"PRIVMSG %s :%d %d soak chat line\r\n" % (ch, m, loadgen.now_ns()))

    async def sampler(self, until: float) -> None:
        while True:
            now = time.monotonic()
            self.samples.append(
                {
                    "t": now - self.t0,
                    "rss_kib": float(self.running.rss_kib()),
                    "server_cpu_s": self.running.cpu_seconds(),
                    "gen_cpu_s": loadgen.gen_cpu_seconds(),
                    "load1": os.getloadavg()[0],
                    "server_conns": float(len(self.attack_conns)),
                }
            )
            self.ticks.append(core_ticks())
            if now >= until or not self.running.alive():
                return
            await asyncio.sleep(min(self.cfg.sample_interval, max(0.1, until - now)))

    # -- the run -----------------------------------------------------------------------------
    async def run(self, bystanders: Callable[[float, float], None]) -> dict[str, Any]:
        cfg = self.cfg
        lag = asyncio.ensure_future(loop_lag_monitor(self.lags, lambda: self.t0))
        self.t0 = time.monotonic()
        setup: dict[str, Any] = {}
        # the ban attacker creates #soak0 before anyone else (it must be its op)
        if "banmask" in self.attacks.specs:
            conn = await self.attacks.open("banmask", (b" 478 ", b"FAIL ", b" 482 "))
            self.attacks.track(conn)
            conn.write(register_lines("xbop") + b"JOIN #soak0\r\n")
            self.attacks.banmask_conn = conn
            await asyncio.sleep(1.0)
        sem = asyncio.Semaphore(cfg.setup_inflight)
        failures: Counter[str] = Counter()

        async def first(idx: int) -> None:
            async with sem:
                try:
                    await self.connect(idx)
                except (OSError, ConnectionError, TimeoutError) as exc:
                    failures[f"{exc.__class__.__name__}: {exc}"[:120]] += 1
                    self.spawn(self.reconnect(idx, delay=2.0))

        t_setup = time.monotonic()
        await asyncio.gather(*(first(i) for i in range(cfg.clients)))
        setup["connect_s"] = time.monotonic() - t_setup
        setup["failures"] = dict(failures)
        # the measured run starts now
        self.t0 = time.monotonic()
        t_end = self.t0 + cfg.duration
        chat_end = t_end - cfg.drain
        self.attack_begin = self.t0 + min(cfg.attack_start, cfg.duration / 4)
        self.attack_end = chat_end
        self.attacks.plan(self.attack_begin, chat_end, cfg.stagger)
        bystanders(self.t0, chat_end)
        self.samples.clear()
        self.ticks.clear()
        self.lags.clear()
        cpu0 = loadgen.gen_cpu_seconds()
        sampler = asyncio.ensure_future(self.sampler(t_end))
        attacks = asyncio.ensure_future(self.attacks.run())
        await asyncio.gather(self.chat_loop(chat_end), self.churn_loop(chat_end))
        gen_cpu_chat = loadgen.gen_cpu_seconds() - cpu0
        self.attacks.finish()
        try:
            await asyncio.wait_for(attacks, 10)
        except TimeoutError:
            pass
        except Exception as exc:  # reported, never the end of the soak
            setup["attack_error"] = f"{exc.__class__.__name__}: {exc}"
        # drain: let the last echoes come back, then sync every live chatter and check
        deadline = time.monotonic() + cfg.drain
        while time.monotonic() < deadline and self.acked < len(self.t_send):
            await asyncio.sleep(0.1)
        self.stopping = True
        live = [c for c in self.clients if c is not None and c.alive and not c.leaving]
        await asyncio.gather(*(self.leave(c, abrupt=True) for c in live))
        for task in list(self.tasks):
            task.cancel()
        await sampler
        lag.cancel()
        for c in self.clients:
            if c is not None:
                c.close()
        await asyncio.sleep(0.1)
        setup["gen_cpu_pct"] = 100.0 * gen_cpu_chat / max(1e-9, chat_end - self.t0)
        return setup


# -- the report -----------------------------------------------------------------------------------
def scan_log(path: Path) -> dict[str, Any]:
    """Tracebacks, errors and warnings (grouped: digits and addresses folded) in the server log."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return {"missing": True}
    lines = text.splitlines()
    kinds: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    examples: list[str] = []
    for line in lines:
        m = re.search(r"\b(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b", line)
        level = m.group(1) if m else "other"
        levels[level] += 1
        if level in ("WARNING", "ERROR", "CRITICAL"):
            msg = line[m.end() :] if m else line
            key = re.sub(r"\d+(\.\d+)*", "N", msg).strip()[:100]
            kinds[f"{level} {key}"] += 1
            if level != "WARNING" and len(examples) < 10:
                examples.append(line[:300])
    tracebacks = sum(1 for line in lines if line.startswith("Traceback"))
    return {
        "lines": len(lines),
        "bytes": len(text),
        "levels": dict(levels),
        "tracebacks": tracebacks,
        "kinds": dict(kinds.most_common(40)),
        "examples": examples,
    }


def per_minute(
    samples: list[tuple[float, float]], timeouts: list[float], server: list[dict[str, float]]
) -> list[dict[str, Any]]:
    if not samples and not timeouts:
        return []
    last = max([t for t, _ in samples] + timeouts)
    rows = []
    for minute in range(int(last // 60) + 1):
        lo, hi = minute * 60.0, (minute + 1) * 60.0
        row: dict[str, Any] = {"minute": minute + 1}
        row.update(stats_ms([v for t, v in samples if lo <= t < hi]))
        row["timeouts"] = sum(1 for t in timeouts if lo <= t < hi)
        ss = [s for s in server if lo <= s["t"] < hi + 1e-9]
        if len(ss) >= 2:
            dt = ss[-1]["t"] - ss[0]["t"]
            row["server_cpu_pct"] = 100 * (ss[-1]["server_cpu_s"] - ss[0]["server_cpu_s"]) / dt
            row["gen_cpu_pct"] = 100 * (ss[-1]["gen_cpu_s"] - ss[0]["gen_cpu_s"]) / dt
        if ss:
            row["rss_mib"] = ss[-1]["rss_kib"] / 1024
            row["load1"] = ss[-1]["load1"]
        rows.append(row)
    return rows


def phase_rows(
    soak: Soak,
    samples: list[tuple[float, float]],
    timeouts: list[float],
    by_lags: list[tuple[float, float]],
) -> list[dict[str, Any]]:
    """Bystander round trips, CPU and loop lags per phase: before the attacks, during each
    attack's window (all together, or one by one with --stagger), after them."""
    t0 = soak.t0
    begin, end = soak.attack_begin - t0, soak.attack_end - t0
    windows: list[tuple[str, float, float]] = [("before attacks", 0.0, begin)]
    spans = sorted({(b - t0, e - t0) for b, e in soak.attacks.windows.values()})
    if not soak.attacks.windows:
        windows = [("no attacks", 0.0, end)]
    elif len(spans) == 1:
        windows.append(("all attacks", *spans[0]))
    else:
        for name, (b, e) in soak.attacks.windows.items():
            if e > b:
                windows.append((name, b - t0, e - t0))
    last = max((e for _, _, e in windows), default=end)
    windows.append(("after attacks", last, end))
    rows = []
    for name, lo, hi in windows:
        if hi - lo < 1.0:
            continue
        row: dict[str, Any] = {"phase": name, "from_s": round(lo, 1), "to_s": round(hi, 1)}
        row.update(stats_ms([v for t, v in samples if lo <= t < hi]))
        row["timeouts"] = sum(1 for t in timeouts if lo <= t < hi)
        ii = [i for i, x in enumerate(soak.samples) if lo - 1e-9 <= x["t"] <= hi + 1e-9]
        if len(ii) >= 2 and soak.samples[ii[-1]]["t"] > soak.samples[ii[0]]["t"]:
            s0, s1 = soak.samples[ii[0]], soak.samples[ii[-1]]
            dt = s1["t"] - s0["t"]
            row["server_cpu_pct"] = 100 * (s1["server_cpu_s"] - s0["server_cpu_s"]) / dt
            row["rss_mib"] = s1["rss_kib"] / 1024
            if len(soak.ticks) > ii[-1]:
                ta, tb = soak.ticks[ii[0]], soak.ticks[ii[-1]]
                row["core0_busy_pct"] = busy_pct(ta, tb, f"cpu{SERVER_CORE}")
                row["core1_busy_pct"] = busy_pct(ta, tb, f"cpu{GEN_CORE}")
        row["gen_lag_p99_ms"] = stats_ms([v for t, v in soak.lags if lo <= t < hi])["p99_ms"]
        row["bystander_lag_p99_ms"] = stats_ms([v for t, v in by_lags if lo <= t < hi])["p99_ms"]
        rows.append(row)
    return rows


def build_report(
    cfg: SoakConfig,
    specs: dict[str, AttackSpec],
    soak: Soak,
    setup: dict[str, Any],
    by: dict[str, Any],
    log: dict[str, Any],
    exit_info: dict[str, Any],
    meta: dict[str, Any],
) -> dict[str, Any]:
    pairs = by.get("pairs", {})
    all_samples: list[tuple[float, float]] = []
    all_timeouts: list[float] = []
    pair_rows = {}
    for name, p in pairs.items():
        s = [(float(t), float(v)) for t, v in p["samples"]]
        all_samples += s
        all_timeouts += p["timeouts"]
        pair_rows[name] = {
            "transport": p["transport"],
            **stats_ms([v for _, v in s]),
            "timeouts": len(p["timeouts"]),
            "disconnects": p["disconnects"],
        }
    overall = {**stats_ms([v for _, v in all_samples]), "timeouts": len(all_timeouts)}
    warm = min(cfg.warmup, cfg.duration / 3)
    # until the chat ends: the final drain and the PING sync of every chatter are not the soak
    chat_s = cfg.duration - cfg.drain + 0.5
    rss_points = [
        (s["t"], s["rss_kib"] / 1024) for s in soak.samples if s["rss_kib"] > 0 and s["t"] <= chat_s
    ]
    after = [p for p in rss_points if p[0] >= warm]
    slope = slope_per_min(after)
    rss = {
        "samples": [[round(t, 1), round(v, 2)] for t, v in rss_points],
        "start_mib": rss_points[0][1] if rss_points else float("nan"),
        "at_warmup_mib": after[0][1] if after else float("nan"),
        "end_mib": rss_points[-1][1] if rss_points else float("nan"),
        "max_mib": max((v for _, v in rss_points), default=float("nan")),
        "warmup_s": warm,
        "slope_mib_per_min_after_warmup": slope,
        # growth that levels off (caches, WHOWAS filling up) shows as a smaller slope here
        "slope_mib_per_min_last_half": slope_per_min(
            [p for p in rss_points if p[0] >= cfg.duration / 2]
        ),
    }
    dur = max(1e-9, soak.samples[-1]["t"] - soak.samples[0]["t"]) if len(soak.samples) > 1 else 1
    server_cpu = (
        100 * (soak.samples[-1]["server_cpu_s"] - soak.samples[0]["server_cpu_s"]) / dur
        if len(soak.samples) > 1
        else float("nan")
    )
    gen = {
        "cpu_pct": setup.get("gen_cpu_pct", float("nan")),
        "bystander_process_cpu_pct": 100 * by.get("cpu_s", float("nan")) / max(1, cfg.duration),
        "loop_lag": stats_ms([v for _, v in soak.lags]),
        "bystander_loop_lag": by.get("loop_lag", {}),
    }
    sent = len(soak.t_send)
    messages = {
        "sent": sent,
        "acknowledged": soak.acked,
        "unacknowledged": sent - soak.acked,
        "duplicate_echoes": soak.dup_acks,
        "deliveries_checked": soak.expected,
        "lost": soak.lost,
        "lost_examples": soak.lost_examples,
        "stints_checked": soak.stints_checked,
        "stints_unchecked": soak.stints_unchecked,
        "stray_or_foreign_lines": soak.foreign + soak.stray,
        "chatters_dropped_by_server": dict(soak.drops),
        "error_numerics": dict(soak.numerics),
    }
    attacks = {}
    for name, st in soak.attacks.stats.items():
        life = sorted(st.lifetimes)
        attacks[name] = {
            "title": st.spec.title,
            "spec": dataclasses.asdict(st.spec),
            "connects": st.connects,
            "units_sent": st.units,
            "bytes_received": st.bytes_in,
            "outcomes": dict(st.outcomes.most_common()),
            "replies": dict(st.notes),
            "lifetime_s_p50": loadgen.percentile(life, 0.5),
            "lifetime_s_max": life[-1] if life else float("nan"),
        }
    p99_ok = overall["p99_ms"] <= cfg.p99_max_ms and not all_timeouts
    rss_ok = not math.isnan(slope) and slope <= cfg.rss_slope_max_mib_per_min
    verdict = {
        "bystander_p99_under_limit": p99_ok,
        "rss_flat_after_warmup": rss_ok,
        "nothing_acknowledged_lost": soak.lost == 0 and soak.expected > 0,
        "no_tracebacks": log.get("tracebacks", 0) == 0,
        "server_stopped_on_sigterm": exit_info.get("sigterm_ok", False),
    }
    return {
        "meta": meta,
        "config": dataclasses.asdict(cfg),
        "setup": setup,
        "verdict": verdict,
        "bystanders": {
            "overall": overall,
            "pairs": pair_rows,
            "per_minute": per_minute(all_samples, all_timeouts, soak.samples),
            "phases": phase_rows(
                soak, all_samples, all_timeouts, [tuple(x) for x in by.get("loop_lags", [])]
            ),
        },
        "rss": rss,
        "server_cpu_pct": server_cpu,
        "generator": gen,
        "messages": messages,
        "churn": dict(soak.churn),
        "attacks": attacks,
        "server_log": log,
        "server_exit": exit_info,
    }


def _f(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def markdown(r: dict[str, Any]) -> str:
    cfg, meta, v = r["config"], r["meta"], r["verdict"]
    by = r["bystanders"]
    o = by["overall"]
    mark = {True: "✓", False: "✗"}
    lines = [
        f"# socketchat soak — {meta['started']}",
        "",
        f"`{meta['command']}` — {cfg['duration']:.0f} s, {cfg['clients']} chatters "
        f"({cfg['ws_fraction']:.0%} WebSocket) in {cfg['channels']} channels, "
        f"{cfg['rate']:g} msg/s; churn every {cfg['churn_interval']:g} s: "
        f"{cfg['churn_fraction']:.1%} reconnect, {cfg['part_fraction']:.1%} part/rejoin; "
        f"attacks from {cfg['attack_start']:g} s: {', '.join(cfg['attacks']) or 'none'}.",
        "",
        f"Machine: {meta['cpu']}, {meta['cores']} cores; {meta['pinning']} Load average "
        f"(1 min) at start {meta['load_start']:.2f}, at end {meta.get('load_end', 0):.2f}. "
        f"Server RLIMIT_NOFILE: {meta['server_nofile']}. socketchat {meta['version']}.",
        "",
        "## Verdict (issue 10)",
        "",
        f"- {mark[v['bystander_p99_under_limit']]} bystander p99 {_f(o['p99_ms'])} ms "
        f"(limit {cfg['p99_max_ms']:g} ms), {o['timeouts']} round trips unanswered "
        f"in {cfg['bystander_timeout']:g} s",
        f"- {mark[v['rss_flat_after_warmup']]} RSS slope after {r['rss']['warmup_s']:.0f} s: "
        f"{_f(r['rss']['slope_mib_per_min_after_warmup'], 2)} MiB/min (limit "
        f"{cfg['rss_slope_max_mib_per_min']:g}); {_f(r['rss']['start_mib'])} → "
        f"{_f(r['rss']['end_mib'])} MiB, max {_f(r['rss']['max_mib'])} MiB; slope over the "
        f"last half {_f(r['rss']['slope_mib_per_min_last_half'], 2)} MiB/min",
        f"- {mark[v['nothing_acknowledged_lost']]} lost {r['messages']['lost']} of "
        f"{r['messages']['deliveries_checked']} deliveries of acknowledged messages",
        f"- {mark[v['no_tracebacks']]} {r['server_log'].get('tracebacks', '?')} tracebacks "
        "in the server log",
        f"- {mark[v['server_stopped_on_sigterm']]} SIGTERM: exit "
        f"{r['server_exit'].get('returncode')} after {r['server_exit'].get('stop_s')} s"
        + (
            f" (SIGKILL after {r['server_exit']['killed_after_s']} s)"
            if r["server_exit"].get("killed_after_s")
            else ""
        ),
        "",
        "## Bystander round trips (ms) and the server, per minute",
        "",
        "| minute | samples | unanswered | p50 | p95 | p99 | max | server CPU % | "
        "generator CPU % | RSS MiB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in by["per_minute"]:
        lines.append(
            f"| {row['minute']} | {row['samples']:.0f} | {row['timeouts']} | "
            f"{_f(row['p50_ms'], 2)} | {_f(row['p95_ms'], 2)} | {_f(row['p99_ms'], 2)} | "
            f"{_f(row['max_ms'])} | {_f(row.get('server_cpu_pct'), 0)} | "
            f"{_f(row.get('gen_cpu_pct'), 0)} | {_f(row.get('rss_mib'))} | "
            f"{_f(row.get('load1'), 2)} |"
        )
    lines.append(
        f"| all | {o['samples']:.0f} | {o['timeouts']} | {_f(o['p50_ms'], 2)} | "
        f"{_f(o['p95_ms'], 2)} | {_f(o['p99_ms'], 2)} | {_f(o['max_ms'])} | "
        f"{_f(r['server_cpu_pct'], 0)} | {_f(r['generator']['cpu_pct'], 0)} | | |"
    )
    lines.append("")
    for name, p in by["pairs"].items():
        lines.append(
            f"- {name} ({p['transport']}): p50 {_f(p['p50_ms'], 2)}, p99 {_f(p['p99_ms'], 2)}, "
            f"max {_f(p['max_ms'])} ms, {p['timeouts']} unanswered, disconnects "
            f"{p['disconnects'] or 'none'}"
        )
    lines += [
        "",
        "## Bystander round trips by phase (ms)",
        "",
        "Loop lag: how late the generator's and the bystander process's own event loops woke "
        "(a busy machine shows there too; round trips above it are the server's). Core busy: "
        "everyone's work on the server's core 0 and the generator's core 1 (others' too); "
        "core 0 busy far above server CPU means the server was waiting for the CPU.",
        "",
        "| phase | s | samples | unanswered | p50 | p95 | p99 | max | server CPU % "
        "| core 0 / 1 busy % | RSS MiB | gen lag p99 | bystander lag p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in by.get("phases", []):
        lines.append(
            f"| {row['phase']} | {row['from_s']:.0f}–{row['to_s']:.0f} | {row['samples']:.0f} | "
            f"{row['timeouts']} | {_f(row['p50_ms'], 2)} | {_f(row['p95_ms'], 2)} | "
            f"{_f(row['p99_ms'], 2)} | {_f(row['max_ms'])} | "
            f"{_f(row.get('server_cpu_pct'), 0)} | {_f(row.get('core0_busy_pct'), 0)} / "
            f"{_f(row.get('core1_busy_pct'), 0)} | {_f(row.get('rss_mib'))} | "
            f"{_f(row['gen_lag_p99_ms'])} | {_f(row['bystander_lag_p99_ms'])} |"
        )
    lines.append("")
    g = r["generator"]
    lines += [
        f"- generator: {_f(g['cpu_pct'], 0)} % CPU (100 % = one core), loop lag p99 "
        f"{_f(g['loop_lag']['p99_ms'])} ms, max {_f(g['loop_lag']['max_ms'])} ms; bystander "
        f"process {_f(g['bystander_process_cpu_pct'], 0)} % CPU, loop lag p99 "
        f"{_f(g['bystander_loop_lag'].get('p99_ms'))} ms",
        "",
        "## Messages and churn",
        "",
    ]
    m = r["messages"]
    lines += [
        f"- sent {m['sent']}, acknowledged (echo) {m['acknowledged']}, unacknowledged "
        f"{m['unacknowledged']}, duplicate echoes {m['duplicate_echoes']}",
        f"- deliveries checked {m['deliveries_checked']} over {m['stints_checked']} memberships "
        f"({m['stints_unchecked']} not checkable: the server dropped the chatter); "
        f"**lost {m['lost']}**",
        f"- chatters dropped by the server: {m['chatters_dropped_by_server'] or 'none'}",
        f"- error numerics to chatters: {m['error_numerics'] or 'none'}",
        f"- churn: {r['churn'] or 'none'}; set-up: {r['setup']}",
    ]
    for ex in m["lost_examples"][:5]:
        lines.append(f"  - lost: {ex}")
    lines += [
        "",
        "## Attacks: how their connections ended",
        "",
        "| attack | conns × rate/s | connects | sent | lifetime p50 / max s | outcomes "
        "| replies seen |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, a in r["attacks"].items():
        outcomes = "; ".join(f"{k}: {n}" for k, n in a["outcomes"].items()) or "–"
        replies = "; ".join(f"{k.strip()}: {n}" for k, n in a["replies"].items()) or "–"
        lines.append(
            f"| {name} — {a['title']} | {a['spec']['connections']} × {a['spec']['rate']:g} | "
            f"{a['connects']} | {a['units_sent']} | {_f(a['lifetime_s_p50'])} / "
            f"{_f(a['lifetime_s_max'])} | {outcomes} | {replies} |"
        )
    lg = r["server_log"]
    lines += [
        "",
        "## Server log",
        "",
        f"{lg.get('lines', 0)} lines; levels {lg.get('levels', {})}; "
        f"tracebacks {lg.get('tracebacks', 0)}.",
        "",
    ]
    for k, n in list(lg.get("kinds", {}).items())[:25]:
        lines.append(f"- {n} × `{k}`")
    for ex in lg.get("examples", [])[:5]:
        lines.append(f"- e.g. `{ex[:200]}`")
    lines.append("")
    return "\n".join(lines)


# -- command line ---------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> tuple[SoakConfig, argparse.Namespace]:
    d = SoakConfig()
    p = argparse.ArgumentParser(
        prog="bench/run.sh --soak",
        description="Soak socketchat: ~1,000 chatters with churn, attacks beside them, "
        "bystander round trips, RSS, lost messages (bench/README.md).",
    )
    for f in dataclasses.fields(SoakConfig):
        if f.name == "attacks":
            continue
        default = getattr(d, f.name)
        p.add_argument(
            "--" + f.name.replace("_", "-"),
            type=type(default),
            default=default,
            help=f"default {default}",
        )
    p.add_argument(
        "--attacks",
        default="all",
        help="comma-separated attacks, 'all' or 'none' (" + ", ".join(ATTACKS) + ")",
    )
    p.add_argument(
        "--attack-opt",
        action="append",
        default=[],
        metavar="NAME.FIELD=VALUE",
        help="override one attack's connections, rate, max_connects or reconnect_delay",
    )
    p.add_argument("--server-config", type=Path, default=None, help="TOML file instead of ours")
    p.add_argument("--log-level", default="INFO", help="server log level (default INFO)")
    p.add_argument(
        "--server-nofile", type=int, default=None, help="server RLIMIT_NOFILE (default: raised)"
    )
    p.add_argument("--out", type=Path, default=None, help="results directory")
    p.add_argument("--no-pin", action="store_true", help="do not pin to cores")
    p.add_argument("--keep", action="store_true", help="keep the server's work dir (log, data)")
    args = p.parse_args(argv)
    names = [f.name for f in dataclasses.fields(SoakConfig) if f.name != "attacks"]
    values = {name: getattr(args, name) for name in names}
    if args.attacks == "all":
        attacks = tuple(ATTACKS)
    elif args.attacks in ("none", ""):
        attacks = ()
    else:
        attacks = tuple(a.strip() for a in args.attacks.split(",") if a.strip())
        unknown = set(attacks) - set(ATTACKS)
        if unknown:
            p.error(f"unknown attack(s): {', '.join(sorted(unknown))}")
    return SoakConfig(**values, attacks=attacks), args


def stop_server(running: Running, grace: float = 30.0) -> dict[str, Any]:
    """SIGTERM, then up to `grace` s for the server to exit (SIGKILL after): how long it took."""
    alive = running.alive()
    t = time.monotonic()
    killed = False
    if alive:
        running.proc.send_signal(signal.SIGTERM)
        try:
            running.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            killed = True
            running.proc.kill()
            running.proc.wait(timeout=10)
    stop_s = round(time.monotonic() - t, 2)
    return {
        "alive_at_end": alive,
        "returncode": running.proc.returncode,
        "stop_s": stop_s,
        "killed_after_s": grace if killed else None,
        "sigterm_ok": alive and not killed and running.proc.returncode == 0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    cfg, args = parse_args(argv)
    specs = scaled_attacks(cfg, args.attack_opt)
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    affinity = os.sched_getaffinity(0)
    try:
        if pin:
            os.sched_setaffinity(0, {GEN_CORE})
        return _main(cfg, specs, args, pin, argv)
    finally:
        os.sched_setaffinity(0, affinity)


def _main(
    cfg: SoakConfig,
    specs: dict[str, AttackSpec],
    args: argparse.Namespace,
    pin: bool,
    argv: Sequence[str] | None,
) -> int:
    from bench.cli import machine_meta

    raise_nofile()
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    out = args.out or REPO / "bench" / "results" / ("soak-" + time.strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="socketchat-soak-"))
    config_toml = args.server_config.read_text() if args.server_config else PRODUCT_CONFIG
    server = Socketchat(config_toml=config_toml, log_level=args.log_level)
    meta: dict[str, Any] = {
        "started": started,
        "command": " ".join(
            shlex.quote(a) for a in ["bench/run.sh", "--soak", *(argv or sys.argv[1:])]
        ),
        "pinning": (
            f"Server pinned to core {SERVER_CORE}, generator and bystanders to core {GEN_CORE}."
            if pin
            else "No CPU pinning."
        ),
        "load_start": os.getloadavg()[0],
        "server_nofile": args.server_nofile or "raised (65536 or the hard limit)",
        "version": server.version(),
        "server_config": config_toml,
        **machine_meta(),
    }
    running = server.start(work / "server", SERVER_CORE if pin else None, nofile=args.server_nofile)
    print(
        f"soak: server pid {running.pid} on :{running.port} (web :{running.web_port}), "
        f"{cfg.duration:.0f} s; log {running.log}",
        file=sys.stderr,
    )
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(
        target=bystander_main, args=(running.port, running.web_port, cfg, child), daemon=True
    )
    proc.start()
    soak = Soak(cfg, specs, running)

    def start_bystanders(t0: float, t_end: float) -> None:
        parent.send((t0, t_end))

    by: dict[str, Any] = {}
    exit_info: dict[str, Any] = {}
    try:
        setup = loadgen.run_in_loop(lambda: soak.run(start_bystanders))
        if parent.poll(cfg.bystander_timeout + 30):
            by = parent.recv()
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    finally:
        meta["load_end"] = os.getloadavg()[0]
        exit_info = stop_server(running)
        log = scan_log(running.log)
        if args.keep:
            print(f"soak: kept {work}", file=sys.stderr)
        else:
            with contextlib.suppress(OSError):
                shutil.copy(running.log, out / "server.log")
            shutil.rmtree(work, ignore_errors=True)
    meta["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    result = build_report(cfg, specs, soak, setup, by, log, exit_info, meta)
    md = markdown(result)
    (out / "soak.md").write_text(md)
    report.write_json(out / "soak.json", result)
    print(md)
    print(f"soak: results in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
