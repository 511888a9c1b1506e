"""Limits and defence: flood control, SendQ, timeouts, connection limits, bad input.

The first tests drive the sans-I/O core with a fake clock (exact timing); the rest run the real
server over real sockets.
"""

from __future__ import annotations

import random
import socket
import threading
import time

import pytest

from socketchat.irc.message import parse_message
from tests.server.harness import Net
from tests.support.irc import IRCClient
from tests.support.server import running_server

# -- flood control, sans-I/O ------------------------------------------------------------------


def test_flood_burst_passes_then_input_is_delayed_and_released_in_order() -> None:
    net = Net(flood_burst=5, flood_rate=4.0, flood_max_queued=100)
    target = net.client("target")
    flooder = net.client("flooder")
    net.clock.advance(100)  # registration spent some credit; start fresh
    flooder.send(*[f"PRIVMSG target :m{i}" for i in range(12)])
    got = [m.param(1) for m in target.received() if m.command == "PRIVMSG"]
    assert got == [f"m{i}" for i in range(5)]
    assert flooder.link.paused
    released: list[str] = []
    for _ in range(40):
        wait = net.server.tick()
        if flooder.session.inbox:
            assert 0.2 < wait <= 0.25 + 1e-5  # the next release, not a 1 s sweep
        net.clock.advance(wait)
        net.server.flush()
        released += [m.param(1) for m in target.received() if m.command == "PRIVMSG"]
        if len(released) == 7:
            break
    assert released == [f"m{i}" for i in range(5, 12)]
    net.server.tick()
    assert not flooder.link.paused and not flooder.session.closed


def test_delay_asks_the_adapter_for_a_prompt_tick() -> None:
    net = Net(flood_burst=2, flood_rate=10.0)
    wanted: list[float] = []
    net.server.tick_wanted = wanted.append
    c = net.client("c")
    net.clock.advance(100)
    c.send("PRIVMSG c :1", "PRIVMSG c :2", "PRIVMSG c :3")
    assert wanted and 0 <= wanted[0] <= 0.1 + 1e-5


def test_persistent_flooder_is_disconnected_by_line_count() -> None:
    net = Net(flood_burst=5, flood_rate=1.0, flood_max_queued=20)
    c = net.client("c")
    c.send(*[f"PRIVMSG c :{i}" for i in range(40)])
    assert c.session.closed
    assert c.received()[-1].command == "ERROR"
    assert "Excess Flood" in c.session.close_reason


def test_delayed_input_is_bounded_in_bytes_too() -> None:
    net = Net(flood_burst=2, flood_rate=1.0, flood_max_queued=1000, flood_max_queued_bytes=4000)
    c = net.client("c")
    line = "PRIVMSG c :" + "x" * 400
    c.send(*[line] * 9)  # 9 * 411 bytes: still under 4000 waiting
    assert not c.session.closed
    c.send(*[line] * 3)
    assert c.session.closed and c.session.close_reason == "Excess Flood"


def test_flood_control_off_with_zero_rate_or_burst() -> None:
    for limits in ({"flood_rate": 0.0}, {"flood_burst": 0}):
        net = Net(**limits)  # type: ignore[arg-type]
        target = net.client("t")
        c = net.client("c")
        c.send(*[f"PRIVMSG t :{i}" for i in range(500)])
        assert len([m for m in target.received() if m.command == "PRIVMSG"]) == 500
        assert not c.link.paused and not c.session.closed


def test_ping_and_registration_timeouts_with_fake_clock() -> None:
    net = Net(registration_timeout=5.0, ping_interval=10.0, ping_timeout=5.0)
    idle = net.client()
    alive = net.client("alive")
    silent = net.client("silent")
    net.clock.advance(6)
    net.server.tick()
    assert idle.session.closed and idle.session.close_reason == "Registration timed out"
    net.clock.advance(5)
    net.server.tick()
    net.server.flush()
    assert "PING" in alive.commands() and "PING" in silent.commands()
    alive.send("PONG :x")
    net.clock.advance(6)
    net.server.tick()
    assert not alive.session.closed
    assert silent.session.closed and silent.session.close_reason.startswith("Ping timeout")


def test_nul_and_lone_cr_are_refused_not_relayed() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    a.send_raw(b"PRIVMSG b :hi\rQUIT :x\r\n")
    a.send_raw(b"PRIVMSG b :nul\x00byte\r\n")
    assert [m.command for m in b.received()] == []
    fails = [m for m in a.received() if m.command == "FAIL"]
    assert len(fails) == 2 and all(m.param(1) == "INVALID_MESSAGE" for m in fails)
    a.send("PRIVMSG b :fine")
    assert [m.param(1) for m in b.received()] == ["fine"]


def test_sendq_counts_what_the_peer_has_not_taken_not_one_big_turn() -> None:
    net = Net(sendq=65536, flood_rate=0.0)
    reader, stalled, sender = net.client("reader"), net.client("stalled"), net.client("sender")
    for c in (reader, stalled, sender):
        c.send("JOIN #busy")
    stalled.link.backlog = 70000  # its kernel and transport buffers are full
    sender.send(*["PRIVMSG #busy :" + "x" * 400] * 300)  # ~130 KB in one loop turn
    assert not reader.session.closed  # took it all at once: fine
    assert stalled.session.closed and stalled.session.close_reason == "SendQ exceeded"
    assert stalled.link.aborted
    net.server.flush()  # the QUIT it caused goes out on the next loop turn
    quits = [m for m in reader.received() if m.command == "QUIT"]
    assert [m.param(0) for m in quits] == ["SendQ exceeded"]


# -- over real sockets ------------------------------------------------------------------------


def _pair(port: int, channel: str = "#lobby") -> tuple[IRCClient, IRCClient]:
    a = IRCClient(port).register("alice")
    b = IRCClient(port).register("bob")
    for c in (a, b):
        c.send(f"JOIN {channel}")
        c.expect("366")
    a.expect("JOIN", lambda m: m.nick == "bob")
    return a, b


def _ping_pong(a: IRCClient, b: IRCClient, rounds: int, timeout: float = 3.0) -> None:
    """a and b take turns; every line must arrive within `timeout` (a stall fails the test)."""
    for i in range(rounds):
        a.send(f"PRIVMSG bob :ping {i}")
        b.expect("PRIVMSG", lambda m, i=i: m.param(1) == f"ping {i}", timeout=timeout)
        b.send(f"PRIVMSG alice :pong {i}")
        a.expect("PRIVMSG", lambda m, i=i: m.param(1) == f"pong {i}", timeout=timeout)


def test_fake_lag_slows_a_burst_down_without_disconnecting() -> None:
    with running_server(limits={"flood_burst": 10, "flood_rate": 20.0}) as srv:
        a, b = _pair(srv.port)
        time.sleep(0.6)  # registration credit comes back
        start = time.monotonic()
        a.send(*[f"PRIVMSG #lobby :line {i}" for i in range(40)])
        arrivals = []
        for i in range(40):
            b.expect("PRIVMSG", lambda m, i=i: m.param(1) == f"line {i}", timeout=5)
            arrivals.append(time.monotonic() - start)
        assert arrivals[9] < 0.5  # the burst goes straight through
        assert arrivals[-1] >= 1.2  # the other 30 at ~20 lines/s
        _ping_pong(a, b, 1)  # and nobody was disconnected


def test_persistent_flooder_is_dropped_and_never_slows_the_others() -> None:
    limits = {"flood_burst": 10, "flood_rate": 5.0, "flood_max_queued": 100}
    with running_server(limits=limits) as srv:
        a, b = _pair(srv.port)
        flooder = IRCClient(srv.port).register("flooder")
        flooder.send("JOIN #lobby")
        flooder.expect("366")
        stop = threading.Event()

        def flood() -> None:
            payload = b"".join(b"PRIVMSG #lobby :spam %d\r\n" % i for i in range(500))
            try:
                while not stop.is_set():
                    flooder.send_raw(payload)
                    time.sleep(0.01)
            except OSError:
                pass  # the server hung up on us

        thread = threading.Thread(target=flood, daemon=True)
        thread.start()
        try:
            _ping_pong(a, b, 20)
            quits = [m for m in a.log if m.command == "QUIT" and m.nick == "flooder"]
            if not quits:
                quits.append(a.expect("QUIT", lambda m: m.nick == "flooder", timeout=10))
            assert quits[0].param(0) == "Excess Flood"
        finally:
            stop.set()
            thread.join(timeout=5)
        spam = [m for m in a.log if m.command == "PRIVMSG" and m.param(1).startswith("spam")]
        assert len(spam) <= 20  # the burst plus a few: slowed, then cut off
        _ping_pong(a, b, 3)


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_stalled_reader_is_dropped_for_sendq_and_memory_stays_flat(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.server import spawned_server

    config = tmp_path / "server.toml"
    config.write_text("[limits]\nflood_rate = 0\nsendq = 262144\n")
    with spawned_server("--config", str(config), "--log-level", "WARNING") as srv:
        assert srv.process is not None
        sender = IRCClient(srv.port).register("sender")
        reader = IRCClient(srv.port).register("reader")
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", srv.port))
        stalled.sendall(b"NICK stalled\r\nUSER s 0 * :s\r\nJOIN #busy\r\n")
        for c in (sender, reader):
            c.send("JOIN #busy")
            c.expect("366")
        time.sleep(0.2)
        rss_before = _rss_kib(srv.process.pid)
        text = "x" * 380
        total, window = 60_000, 1_000  # ~25 MB through the channel
        received = 0
        sent = 0
        buf = b""
        reader.sock.settimeout(10)
        while received < total:
            if sent < total and sent - received < window:
                batch = min(200, total - sent)
                sender.send_raw(
                    b"".join(
                        b"PRIVMSG #busy :%d %s\r\n" % (sent + k, text.encode())
                        for k in range(batch)
                    )
                )
                sent += batch
            data = reader.sock.recv(1 << 20)
            assert data, "reader was disconnected"
            buf += data
            lines = buf.split(b"\r\n")
            buf = lines.pop()
            for line in lines:
                if b" PRIVMSG #busy :" in line:
                    n = int(line.split(b" :", 1)[1].split(b" ", 1)[0])
                    assert n == received, "out of order or lost"
                    received += 1
                elif b" QUIT " in line:
                    assert line.startswith(b":stalled!")
                    assert line.endswith(b":SendQ exceeded")
                    reader.log.append(parse_message(line.decode()))
        rss_after = _rss_kib(srv.process.pid)
        assert any(m.command == "QUIT" for m in reader.log), "stalled reader never dropped"
        # 25 MB went to the channel; the stalled peer may pin at most ~SendQ plus kernel buffers.
        assert rss_after - rss_before < 16 * 1024, (rss_before, rss_after)
        stalled.close()


def test_registration_and_ping_timeouts_over_sockets() -> None:
    limits = {"registration_timeout": 1.0, "ping_interval": 1.0, "ping_timeout": 1.0}
    with running_server(limits=limits) as srv:
        lurker = IRCClient(srv.port)  # never registers
        alive = IRCClient(srv.port).register("alive")  # answers PINGs (IRCClient does)
        # A peer that registered and then vanished without a FIN looks, from the server, exactly
        # like one that is still connected and never says anything again.
        vanished = socket.create_connection(("127.0.0.1", srv.port))
        vanished.sendall(b"NICK ghost\r\nUSER g 0 * :g\r\n")
        assert lurker.expect("ERROR", timeout=5).param(0).endswith("(Registration timed out)")
        assert lurker.closed_by_server()
        alive.collect(4.5)  # PINGs come and get answered
        assert any(m.command == "PING" for m in alive.log)
        alive.send("PING :still-here")
        alive.expect("PONG", lambda m: m.param(1) == "still-here")
        vanished.settimeout(5)
        data = b""
        while chunk := vanished.recv(65536):
            data += chunk
        assert b"PING " in data and b"(Ping timeout: " in data
        vanished.close()


def test_connection_limits_per_ip_and_global() -> None:
    with running_server(limits={"max_clients_per_ip": 2}) as srv:
        first = IRCClient(srv.port).register("first")
        second = IRCClient(srv.port)
        third = IRCClient(srv.port)
        assert "Too many connections" in third.expect("ERROR").param(0)
        assert third.closed_by_server()
        # another address is counted on its own
        other_ip = socket.create_connection(
            ("127.0.0.1", srv.port), source_address=("127.0.0.2", 0)
        )
        other_ip.sendall(b"NICK fromtwo\r\nUSER t 0 * :t\r\n")
        other_ip.settimeout(5)
        assert b" 001 fromtwo " in other_ip.recv(65536)
        first.send("QUIT")
        assert first.closed_by_server()
        time.sleep(0.2)
        IRCClient(srv.port).register("again")  # the slot came back
        second.register("second")
        other_ip.close()
    with running_server(limits={"max_clients": 2, "max_clients_per_ip": 0}) as srv:
        keep = [IRCClient(srv.port).register(f"u{i}") for i in range(2)]
        full = IRCClient(srv.port)
        assert "Server is full" in full.expect("ERROR").param(0)
        keep[0].send("QUIT")
        assert keep[0].closed_by_server()
        time.sleep(0.2)
        IRCClient(srv.port).register("u9")


BAD_INPUTS: list[tuple[str, bytes]] = [
    ("oversized line", b"PRIVMSG alice :" + b"x" * 2000 + b"\r\n"),
    ("oversized line without newline", b"PRIVMSG alice :" + b"y" * 20000),
    ("NUL bytes", b"PRIVMSG alice :a\x00b\r\n\x00\x00\x00\r\n"),
    ("lone CRs", b"PRIVMSG alice :a\rb\r\r\r\n\r\r\r\n"),
    ("invalid UTF-8", b"PRIVMSG alice :\xff\xfe\xc3\x28\r\n"),
    ("overlong UTF-8", b"PRIVMSG alice :\xc0\xaf\r\n"),
    ("many params", b"PRIVMSG " + b"a " * 240 + b"\r\n"),
    ("many tags", b"@" + b";".join(b"+t%d=v" % i for i in range(700)) + b" PING x\r\n"),
    ("tag section too long", b"@+x=" + b"z" * 9000 + b" PING x\r\n"),
    ("only tags", b"@a=b\r\n"),
    ("only source", b":nick!u@h\r\n"),
    ("bad command", b"\xe2\x82\xac\xe2\x82\xac 1 2\r\n"),
    ("numeric command", b"001 alice :fake welcome\r\n"),
    ("empty params", b"PRIVMSG  :\r\nJOIN\r\nJOIN :\r\nNICK :\r\nTOPIC\r\nCAP\r\n"),
    ("absurd CAP", b"CAP LS 99999999999999999999999\r\nCAP REQ :" + b"x" * 400 + b"\r\n"),
    ("bare newlines", b"\n\n\n\n\r\n\r\n"),
]


@pytest.mark.parametrize("name,data", BAD_INPUTS, ids=[n for n, _ in BAD_INPUTS])
def test_bad_input_gets_a_reply_or_a_clean_close_and_never_hurts_others(
    name: str, data: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with running_server() as srv:
        a, b = _pair(srv.port)
        bad = IRCClient(srv.port).register("mallory")
        bad.send_raw(data)
        if not data.endswith(b"\n"):
            time.sleep(0.1)  # the rest of the over-long line arrives later
            bad.send_raw(b" still the same line\r\n")
        bad.send("PING :after")
        try:
            bad.expect("PONG", lambda m: m.param(1) == "after", timeout=5)
        except AssertionError:
            assert bad.closed_by_server(), f"{name}: neither answered nor closed"
        if name == "oversized line":
            assert any(m.command == "417" for m in bad.log)
        _ping_pong(a, b, 2)
        assert not [m for m in a.log + b.log if m.command == "PRIVMSG" and m.nick == "mallory"]
    crashes = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not crashes, [r.getMessage() for r in crashes]


def test_random_binary_garbage_never_crashes_the_server(caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(1234)
    with running_server() as srv:
        a, b = _pair(srv.port)
        for round_ in range(5):
            junk = IRCClient(srv.port)
            if round_ % 2:
                junk.register(f"junk{round_}")
            try:
                junk.send_raw(rng.randbytes(64 * 1024))
                junk.send("PING :alive")
                junk.expect("PONG", timeout=5)
            except (AssertionError, OSError):
                pass  # a clean disconnect (e.g. Excess Flood) is fine too
            junk.close()
            _ping_pong(a, b, 1)
    crashes = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not crashes, [r.getMessage() for r in crashes]


def test_cloaked_hosts_hide_the_ip_and_are_stable() -> None:
    with running_server(cloak_hosts=True) as srv:
        a, b = _pair(srv.port)
        b.send("PRIVMSG #lobby :who am i")
        host = a.expect("PRIVMSG").source.split("@", 1)[1]  # type: ignore[union-attr]
        assert "127.0.0.1" not in host and host.endswith(".cloak.socketchat")
        c = IRCClient(srv.port).register("carol")
        c.send("JOIN #lobby")
        join = a.expect("JOIN", lambda m: m.nick == "carol")
        assert join.source.endswith("@" + host)  # type: ignore[union-attr]
    with running_server() as srv:
        a, b = _pair(srv.port)
        b.send("PRIVMSG #lobby :who am i")
        assert a.expect("PRIVMSG").source == "bob!~bob@127.0.0.1"


def test_every_client_socket_has_tcp_nodelay() -> None:
    from socketchat.server.net.runner import ACTIVE_RUNNERS

    with running_server() as srv:
        clients = [IRCClient(srv.port).register(f"n{i}") for i in range(3)]
        (runner,) = [r for r in ACTIVE_RUNNERS if r.listening.port == srv.port]
        links = [s.link for s in list(runner.server.sessions)]
        assert len(links) == 3
        for link in links:
            sock = link._transport.get_extra_info("socket")  # type: ignore[attr-defined]
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        for c in clients:
            c.close()
