"""IRC over WebSocket with a real client (`websockets`): the same sessions, limits and flood
control as TCP, the IRCv3 framing rules, Origin checks and shutdown."""

from __future__ import annotations

import signal
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support import free_port, wait_for, wait_for_port
from tests.support.irc import IRCClient
from tests.support.server import RunningServer, _stop_in_loop, running_server, spawned_server
from tests.web.wsclient import WSClient


@pytest.mark.parametrize("subprotocol", ["binary.ircv3.net", "text.ircv3.net", None])
def test_registration_one_line_per_frame(
    web_server: RunningServer, subprotocol: str | None
) -> None:
    ws = WSClient(web_server.web_port, subprotocol=subprotocol)
    assert ws.ws.subprotocol == subprotocol
    ws.register("webby", caps="server-time message-tags")
    frame = ws.frames[-1]
    expected_type = bytes if subprotocol == "binary.ircv3.net" else str
    assert all(isinstance(f, expected_type) for f in ws.frames)
    text = frame.decode() if isinstance(frame, bytes) else frame
    assert "\r" not in text and "\n" not in text  # one line per frame, without CRLF
    assert any(m.command == "001" and m.param(0) == "webby" for m in ws.log)
    ws.close()


@pytest.mark.parametrize(
    "offered",
    [
        ["binary.ircv3.net", "text.ircv3.net"],
        ["text.ircv3.net", "binary.ircv3.net"],
        ["chat.example", "text.ircv3.net", "binary.ircv3.net"],
    ],
)
def test_the_clients_order_of_preference_wins(
    web_server: RunningServer, offered: list[str]
) -> None:
    url = f"ws://127.0.0.1:{web_server.web_port}/ws"
    with connect(url, subprotocols=offered) as ws:  # type: ignore[arg-type]
        assert ws.subprotocol == next(p for p in offered if p.endswith(".ircv3.net"))


def test_unknown_subprotocol_is_refused(web_server: RunningServer) -> None:
    url = f"ws://127.0.0.1:{web_server.web_port}/ws"
    with pytest.raises(InvalidStatus) as info, connect(url, subprotocols=["chat.example"]):
        pass
    assert info.value.response.status_code == 400


def test_websocket_and_tcp_clients_chat(web_server: RunningServer) -> None:
    ws = WSClient(web_server.web_port).register("webby", caps="server-time echo-message")
    tcp = IRCClient(web_server.port).register("tcpy")
    ws.send("JOIN #lobby")
    ws.expect("366")
    tcp.send("JOIN #lobby")
    tcp.expect("366")
    ws.expect("JOIN", lambda m: m.nick == "tcpy")
    ws.send("PRIVMSG #lobby :héllo from the browser")
    got = tcp.expect("PRIVMSG")
    assert got.nick == "webby" and got.params == ("#lobby", "héllo from the browser")
    echo = ws.expect("PRIVMSG")
    assert echo.nick == "webby" and "time" in echo.tags
    tcp.send("PRIVMSG #lobby :hi from a terminal")
    got = ws.expect("PRIVMSG")
    assert got.nick == "tcpy" and got.param(1) == "hi from a terminal"
    tcp.send("PRIVMSG webby :private")
    assert ws.expect("PRIVMSG").params == ("webby", "private")
    ws.send("QUIT :bye")
    quit_msg = tcp.expect("QUIT")
    assert quit_msg.nick == "webby" and "bye" in quit_msg.param(0)
    assert ws.closed_by_server()
    tcp.close()


def test_invalid_utf8_on_binary_is_refused_like_tcp(web_server: RunningServer) -> None:
    ws = WSClient(web_server.web_port).register("webby")
    tcp = IRCClient(web_server.port).register("tcpy")
    for c in (ws, tcp):
        c.send("JOIN #lobby")
        c.expect("366")
    ws.ws.send(b"PRIVMSG #lobby :caf\xe9 latin-1")
    fail = ws.expect("FAIL")
    assert fail.params[:2] == ("PRIVMSG", "INVALID_UTF8")
    tcp.send_raw(b"PRIVMSG #lobby :caf\xe9 latin-1\r\n")
    tcp_fail = tcp.expect("FAIL")
    assert tcp_fail.params == fail.params  # the same refusal as on TCP
    ws.send("PRIVMSG #lobby :still here")  # and the connection goes on
    assert tcp.expect("PRIVMSG").param(1) == "still here"
    ws.close()
    tcp.close()


def test_invalid_utf8_text_frame_closes(web_server: RunningServer) -> None:
    ws = WSClient(web_server.web_port, subprotocol="text.ircv3.net").register("webby")
    ws.ws.send(b"PRIVMSG #lobby :caf\xe9", text=True)
    assert ws.closed_by_server()
    assert ws.ws.close_code == 1007


def test_oversize_frame_is_closed(web_server: RunningServer) -> None:
    ws = WSClient(web_server.web_port).register("webby")
    ws.send("PRIVMSG #lobby :" + "x" * 20000)
    assert ws.closed_by_server()
    assert ws.ws.close_code == 1009  # message too big


def test_line_too_long_but_within_frame_limit_gets_417(web_server: RunningServer) -> None:
    ws = WSClient(web_server.web_port).register("webby")
    ws.send("PRIVMSG #lobby :" + "x" * 600)
    assert ws.expect("417").param(0) == "webby"


def test_crlf_inside_a_message_is_refused(web_server: RunningServer) -> None:
    ws = WSClient(web_server.web_port).register("webby")
    ws.send("PRIVMSG #lobby :hi\r\nQUIT :smuggled")
    err = ws.expect("ERROR")
    assert "Line break" in err.param(0)
    assert ws.closed_by_server()


def test_trailing_crlf_is_tolerated(web_server: RunningServer) -> None:
    ws = WSClient(web_server.web_port)
    ws.send("NICK webby\r\n", "USER w 0 * :w\n")
    ws.expect("001")
    ws.close()


def test_origin_is_checked(web_server: RunningServer) -> None:
    port = web_server.web_port
    with pytest.raises(InvalidStatus) as info:
        WSClient(port, origin="http://evil.example")
    assert info.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        WSClient(port, origin=f"http://127.0.0.1:{port + 1}")
    WSClient(port, origin=f"http://127.0.0.1:{port}").register("same").close()
    WSClient(port, origin=None).register("nobrowser").close()


def test_configured_origins_are_allowed() -> None:
    with running_server(web_port=free_port(), web_origins=("https://chat.example",)) as server:
        WSClient(server.web_port, origin="https://chat.example").register("other").close()
        with pytest.raises(InvalidStatus):
            WSClient(server.web_port, origin="https://evil.example")


def test_flood_control_applies_to_websocket_clients() -> None:
    limits = {"flood_burst": 3, "flood_rate": 2.0, "flood_max_queued": 100}
    with running_server(limits=limits, web_port=free_port()) as server:
        ws = WSClient(server.web_port).register("flooder")
        tcp = IRCClient(server.port).register("watcher")
        for c in (ws, tcp):
            c.send("JOIN #lobby")
            c.expect("366")
        time.sleep(2)  # registration and JOIN used some credit: let it come back
        ws.send(*(f"PRIVMSG #lobby :line {i}" for i in range(10)))
        early = [m for m in tcp.collect(0.6) if m.command == "PRIVMSG"]
        assert 2 <= len(early) <= 6  # the burst, then fake lag
        rest = [m.param(1) for m in tcp.collect(4.5) if m.command == "PRIVMSG"]
        assert [m.param(1) for m in early] + rest == [f"line {i}" for i in range(10)]
        ws.close()
        tcp.close()


def test_flooding_websocket_client_is_lagged_without_stalling_others() -> None:
    # Like a TCP client whose socket is not read, a delayed WebSocket client's further frames
    # wait unread (the server stops receiving while it is paused); everyone else is served.
    limits = {"flood_burst": 2, "flood_rate": 2.0, "flood_max_queued": 5}
    with running_server(limits=limits, web_port=free_port()) as server:
        ws = WSClient(server.web_port).register("flooder")
        tcp = IRCClient(server.port).register("watcher")
        time.sleep(1.5)
        started = time.monotonic()
        ws.send(*(f"PRIVMSG watcher :{i}" for i in range(40)))
        tcp.send("PING :alive")
        # served long before the flood is through (40 lines at 2/s take 20 s)
        assert tcp.expect("PONG", timeout=5).param(1) == "alive"
        tcp.collect(2.5)
        got = [m.param(1) for m in tcp.log if m.command == "PRIVMSG"]  # before and after PONG
        elapsed = time.monotonic() - started
        assert got == [str(i) for i in range(len(got))]  # in order, nothing lost
        # burst + 2 per second (+1 for the tick that may fall at either end), not all 40
        assert 3 <= len(got) <= 2 + 2 * elapsed + 1
        ws.close()
        tcp.close()


def test_slow_websocket_reader_does_not_stall_others_and_is_dropped() -> None:
    limits = {"sendq": 64 * 1024, "flood_rate": 0}
    with running_server(limits=limits, web_port=free_port()) as server:
        slow = WSClient(server.web_port).register("slow")
        slow.send("JOIN #lobby")
        slow.expect("366")
        fast = IRCClient(server.port).register("fast")
        sender = IRCClient(server.port).register("sender")
        for c in (fast, sender):
            c.send("JOIN #lobby")
            c.expect("366")
        # `slow` stops reading now: its client library buffers a few frames, then TCP backs up.
        # As for a TCP client, the kernel's socket buffers take a few MB before the SendQ
        # (bytes left in the transport) fills; the others are served all along.
        payload = "y" * 400
        sent = 0

        def slow_dropped() -> bool:
            return any(m.command == "QUIT" and m.nick == "slow" for m in fast.log)

        while sent < 40_000 and not slow_dropped():  # at most ~17 MB
            sender.send(*(f"PRIVMSG #lobby :{sent + i} {payload}" for i in range(500)))
            sent += 500
            last = f"{sent - 1} "
            fast.expect("PRIVMSG", lambda m, last=last: m.param(1).startswith(last), timeout=20)
        quits = [m for m in fast.log if m.command == "QUIT" and m.nick == "slow"]
        assert quits and "SendQ exceeded" in quits[0].param(0)
        got = [m.param(1).split()[0] for m in fast.log if m.command == "PRIVMSG"]
        assert got == [str(i) for i in range(sent)]  # in order, nothing lost or stalled
        for c in (fast, sender):
            c.close()


def test_shutdown_sends_error_then_close_frame() -> None:
    with running_server(web_port=free_port()) as server:
        ws = WSClient(server.web_port).register("webby")
        tcp = IRCClient(server.port).register("tcpy")
        assert server.loop is not None
        _stop_in_loop(server.loop)
        err = ws.expect("ERROR")
        assert "Server shutting down" in err.param(0)
        tcp_err = tcp.expect("ERROR")
        assert tcp_err.param(0) == err.param(0)
        assert ws.closed_by_server()
        assert ws.ws.close_code == 1000
        assert ws.log[-1].command == "ERROR"
        wait_for(lambda: not server.loop.is_running())  # (so the fixture does not stop it again)


def test_the_serve_command_serves_the_web_port_and_stops_cleanly() -> None:
    web_port = free_port()
    with spawned_server("--web-port", str(web_port)) as server:
        wait_for_port(web_port)
        ws = WSClient(web_port).register("webby")
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        assert "Server shutting down" in ws.expect("ERROR").param(0)
        assert ws.closed_by_server()
        assert server.process.wait(timeout=10) == 0
        output = server.output()
        assert f"web client on http://127.0.0.1:{web_port}/" in output
