"""Graceful shutdown of the real `socketchat serve` process on SIGINT and SIGTERM."""

from __future__ import annotations

import signal
import socket
import time

import pytest

from tests.support.irc import IRCClient
from tests.support.server import spawned_server


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_tells_every_client_why_and_exits_zero(sig: signal.Signals) -> None:
    with spawned_server() as srv:
        proc = srv.process
        assert proc is not None
        clients = [IRCClient(srv.port).register(f"user{i}") for i in range(5)]
        for c in clients:
            c.send("JOIN #lobby")
            c.expect("366")
        unregistered = IRCClient(srv.port)
        # one peer that never reads must not hold the exit up
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", srv.port))
        stalled.sendall(b"NICK stalled\r\nUSER s 0 * :s\r\nJOIN #lobby\r\n")
        time.sleep(0.2)
        started = time.monotonic()
        proc.send_signal(sig)
        for c in [*clients, unregistered]:
            err = c.expect("ERROR", timeout=5)
            assert "Server shutting down" in err.param(0)
            assert c.closed_by_server()
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 5
        out = srv.output()
        assert f"IRC on 127.0.0.1:{srv.port}" in out
        assert "socketchat: stopped" in out
        assert "Traceback" not in out
        stalled.close()


def test_second_signal_during_shutdown_is_harmless() -> None:
    with spawned_server() as srv:
        proc = srv.process
        assert proc is not None
        c = IRCClient(srv.port).register("twice")
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGINT)
        assert "shutting down" in c.expect("ERROR").param(0)
        assert proc.wait(timeout=5) == 0
