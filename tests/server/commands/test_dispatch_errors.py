"""A handler bug answers FAIL INTERNAL_ERROR every time, but its traceback is logged only a few
times per connection and a bounded number of times per minute for the whole server."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from socketchat.irc.message import Message
from socketchat.server.commands import table
from socketchat.server.core import Server
from socketchat.server.errorlog import (
    BAD_INPUT_PER_MINUTE,
    TRACEBACKS_PER_MINUTE,
    TRACEBACKS_PER_SESSION,
)
from socketchat.server.session import Session
from tests.server.harness import Net


def _boom(server: Server, s: Session, m: Message) -> None:
    raise RuntimeError("a handler bug")


@pytest.fixture
def buggy(monkeypatch: pytest.MonkeyPatch) -> None:
    """TIME's handler raises."""
    monkeypatch.setitem(
        table.COMMANDS, "TIME", dataclasses.replace(table.COMMANDS["TIME"], handler=_boom)
    )


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info is not None]


@pytest.mark.usefixtures("buggy")
def test_one_connection_logs_a_few_tracebacks_and_every_line_is_answered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    net = Net(flood_rate=0.0)
    a = net.client("alice")
    for _ in range(50):
        a.send("TIME")
    fails = [m for m in a.received() if m.command == "FAIL"]
    assert len(fails) == 50 and all(m.params[:2] == ("TIME", "INTERNAL_ERROR") for m in fails)
    logged = _tracebacks(caplog)
    assert len(logged) == TRACEBACKS_PER_SESSION
    assert "further errors of this connection are not logged" in logged[-1].getMessage()
    assert caplog.text.count("Traceback") == TRACEBACKS_PER_SESSION


@pytest.mark.usefixtures("buggy")
def test_many_connections_are_capped_per_minute_then_logged_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    net = Net(flood_rate=0.0, max_clients_per_ip=0)
    clients = [net.client(f"u{i}") for i in range(TRACEBACKS_PER_MINUTE * 2)]
    for c in clients:
        c.send("TIME", "TIME")
    assert len(_tracebacks(caplog)) == TRACEBACKS_PER_MINUTE
    caplog.clear()
    net.clock.advance(61)
    clients[0].send("TIME")
    (record,) = _tracebacks(caplog)
    assert f"({TRACEBACKS_PER_MINUTE * 3} earlier errors not logged)" in record.getMessage()


def test_bad_input_warnings_are_capped_per_session_and_per_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    net = Net(flood_rate=0.0, max_clients_per_ip=0)
    caplog.set_level(logging.WARNING, "socketchat.server")
    clients = [net.client(f"u{i}") for i in range(60)]
    for c in clients:
        c.send_raw(b"\xff\xfe\r\n" * 5)  # not UTF-8: answered, and logged a few times only
    warned = [r for r in caplog.records if "bad input" in r.getMessage()]
    assert len(warned) == BAD_INPUT_PER_MINUTE
    assert all(c.commands().count("FAIL") == 5 for c in clients)
    caplog.clear()
    net.clock.advance(61)
    net.client("late").send_raw(b"\xff\r\n")
    (record,) = [r for r in caplog.records if "bad input" in r.getMessage()]
    assert "earlier bad lines not logged)" in record.getMessage()  # counted, not lost
