"""WebSocket frames spend the connection's budget: every frame (data, continuation, ping) costs
flood credit, waiting frames are capped, a message assembled from fragments is bounded (1009),
and the PONGs the protocol writes count against the SendQ. Real sockets, raw frames."""

from __future__ import annotations

import socket
import time

from tests.support import free_port
from tests.support.attack import Bystanders, attacking, p50_ms, ws_frame, ws_upgrade
from tests.support.irc import IRCClient
from tests.support.server import running_server, spawned_server


class RawFrames:
    """A WebSocket client that writes frames by hand and reads only when asked to."""

    def __init__(self, port: int, nick: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(ws_upgrade(port))
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n", 1)[0]
        for line in (f"NICK {nick}", f"USER {nick} 0 * :{nick}", "JOIN #calm"):
            self.sock.sendall(ws_frame(0x1, line.encode()))

    def blast(self, data: bytes, seconds: float, stall: float = 2.0) -> str:
        """Send `data` over and over (never reading) for up to `seconds`: "closed" once the
        server hangs up, "stalled" once it has taken no byte for `stall` seconds (it stopped
        reading us), "open" if it kept taking everything."""
        self.sock.settimeout(0.1)
        deadline = time.monotonic() + seconds
        pending = memoryview(data)
        last_progress = time.monotonic()
        while time.monotonic() < deadline:
            try:
                sent = self.sock.send(pending)
            except TimeoutError:
                if time.monotonic() - last_progress > stall:
                    return "stalled"
                continue
            except OSError:
                return "closed"
            last_progress = time.monotonic()
            pending = pending[sent:] if sent < len(pending) else memoryview(data)
        return "open"

    def read_close_code(self, timeout: float = 10) -> int | None:
        """Read until the server's close frame (or EOF); its status code."""
        self.sock.settimeout(timeout)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except (TimeoutError, OSError):
                break
            if not chunk:
                break
            data += chunk
            while len(data) >= 2:
                length = data[1] & 0x7F
                start = 2
                if length == 126:
                    length, start = int.from_bytes(data[2:4], "big"), 4
                if len(data) < start + length:
                    break
                if data[0] & 0x0F == 0x8:
                    return int.from_bytes(data[start : start + 2], "big")
                data = data[start + length :]
        return None


def _watcher(port: int) -> IRCClient:
    w = IRCClient(port).register("watcher")
    w.send("JOIN #calm")
    w.expect("366")
    return w


def test_endless_empty_continuation_frames_are_slowed_to_the_flood_rate() -> None:
    """Each continuation frame costs credit: past the burst the server stops reading the
    flooder (before, it parsed them as fast as they came: 93 % CPU)."""
    with running_server(web_port=free_port()) as srv:
        watcher = _watcher(srv.port)
        raw = RawFrames(srv.web_port, "cont")
        watcher.expect("JOIN", lambda m: m.nick == "cont")
        start = ws_frame(0x1, b"PRIVMSG #calm :", fin=False)
        raw.sock.sendall(start)
        assert raw.blast(ws_frame(0x0, b"", fin=False) * 5000, 15) == "stalled"
        watcher.send("PING :alive")
        watcher.expect("PONG")


def test_a_message_of_too_many_fragments_closes_with_1009_without_flood_control() -> None:
    with running_server(limits={"flood_rate": 0.0}, web_port=free_port()) as srv:
        raw = RawFrames(srv.web_port, "frag")
        start = ws_frame(0x1, b"PRIVMSG #calm :", fin=False)
        raw.sock.sendall(start + ws_frame(0x0, b"", fin=False) * 20_000)
        assert raw.read_close_code() == 1009


def test_ping_frames_cost_credit() -> None:
    with running_server(web_port=free_port()) as srv:
        raw = RawFrames(srv.web_port, "pinger")
        assert raw.blast(ws_frame(0x9, b"p") * 5000, 15) == "stalled"


def test_pongs_a_client_never_reads_count_against_the_sendq() -> None:
    """Flood control off: only the SendQ stands between PING frames and the server's memory."""
    limits = {"flood_rate": 0.0, "sendq": 65536}
    with running_server(limits=limits, web_port=free_port()) as srv:
        watcher = _watcher(srv.port)
        raw = RawFrames(srv.web_port, "deaf")
        watcher.expect("JOIN", lambda m: m.nick == "deaf")
        assert raw.blast(ws_frame(0x9, b"p" * 120) * 500, 30, stall=10) == "closed"
        assert watcher.expect("QUIT", lambda m: m.nick == "deaf").param(0) == "SendQ exceeded"


def test_ping_frames_from_a_client_that_never_reads_over_tcp_irc_too() -> None:
    """The same for IRC PING lines on the TCP port (this one held before: replies were always
    checked against the SendQ after each flush)."""
    limits = {"flood_rate": 0.0, "sendq": 65536}
    with running_server(limits=limits) as srv:
        watcher = _watcher(srv.port)
        deaf = socket.create_connection(("127.0.0.1", srv.port))
        deaf.sendall(b"NICK deaf\r\nUSER d 0 * :d\r\nJOIN #calm\r\n")
        watcher.expect("JOIN", lambda m: m.nick == "deaf")
        deaf.settimeout(0.2)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                deaf.sendall((b"PING :" + b"p" * 100 + b"\r\n") * 500)
            except TimeoutError:
                continue
            except OSError:
                break  # dropped
        quit_ = watcher.expect("QUIT", lambda m: m.nick == "deaf")
        assert quit_.param(0) == "SendQ exceeded"
        deaf.close()


def _bystanders_survive_ws(mode: str, count: int) -> None:
    web_port = free_port()
    with spawned_server("--log-level", "ERROR", "--web-port", str(web_port)) as srv:
        pair = Bystanders(srv.port)
        quiet = pair.round_trips(20)
        with attacking(mode, web_port, count) as attack:
            during = pair.round_trips(40, pause=0.3)
            assert attack.poll() is None, "the attack process died: nothing was tested"
        print(f"\n{mode} x{count}: bystander p50 {p50_ms(quiet)} ms, {p50_ms(during)} ms attacked")
        pair.close()


def test_continuation_frame_flood_leaves_bystanders_answered() -> None:
    _bystanders_survive_ws("ws-cont", 10)


def test_ping_frame_flood_leaves_bystanders_answered() -> None:
    _bystanders_survive_ws("ws-ping", 10)
