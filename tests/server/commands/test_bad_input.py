"""Odd parameters to every command get a reply (or nothing), never an internal error."""

import itertools

import pytest

from socketchat.server.commands.table import COMMANDS
from tests.server.commands.helpers import joined
from tests.server.harness import Net

ODD = [
    "",
    "*",
    "0",
    "#",
    "#c",
    "²",
    "٣",
    "-1",
    "99999999999999999999",
    ":",
    "+",
    "-",
    "%",
    "a,b,,",
    ">²",
    "<-5",
    "%tcuihsnfdlaor,²",
    "+lkbov",
    "-kb",
    "+" + "b" * 20,
    "x" * 300,
    "!@",
    "*!*@*",
]
SKIP = {"QUIT", "KILL", "CAP", "USER", "PASS", "AUTHENTICATE", "REGISTER", "VERIFY", "OPER"}


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - SKIP))
def test_no_internal_errors(command: str, caplog: pytest.LogCaptureFixture) -> None:
    net = Net(flood_rate=0.0)
    a, b = net.client("a"), net.client("b")
    joined(net, "#c", a, b)
    net.server.state.set_user_mode(a.session, "o", True)  # reach the operator-only paths too
    for x, y in itertools.product(ODD, repeat=2):
        a.send(f"{command} {x} {y} :{y}" if x else f"{command} :{y}")
        a.send(f"{command} #c {x} {y}")
    got = a.received()
    assert not [m for m in got if m.command == "FAIL" and "INTERNAL_ERROR" in m.params]
    assert not a.session.closed
    assert "Traceback" not in caplog.text
