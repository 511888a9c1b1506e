"""Phase 3: broadcast to everyone but the sender, /exit, and a client that vanishes."""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from tests.lessons.programs import Program
from tests.support import wait_for_port

Start = Callable[[str], Program]


def join(start: Start, server: Program) -> tuple[Program, str]:
    """Start a client and wait until the server has it in its list."""
    client = start("phase3/client.py")
    addr = client.expect("connected as ").split()[-1]
    server.expect(f"* {addr} joined")
    return client, addr


@pytest.fixture
def room(start: Start, port: int) -> tuple[Program, list[Program], list[str]]:
    server = start("phase3/server.py")
    wait_for_port(port)
    joined = [join(start, server) for _ in range(3)]
    return server, [c for c, _ in joined], [a for _, a in joined]


def test_broadcast_reaches_others_never_sender(
    room: tuple[Program, list[Program], list[str]],
) -> None:
    server, (a, b, c), (addr_a, addr_b, _) = room
    # Earlier clients are told about later ones.
    a.expect(f"* {addr_b} joined")

    a.send("hello from A — سلام")
    b.expect(f"[{addr_a}] hello from A — سلام")
    c.expect(f"[{addr_a}] hello from A — سلام")
    server.expect(f"[{addr_a}] hello from A — سلام")

    # A later message from B reaches A, so A's connection works: A just never gets its own line.
    b.send("hi A, B here")
    a.expect(f"[{addr_b}] hi A, B here")
    c.expect(f"[{addr_b}] hi A, B here")
    assert not [line for line in a.drain() if "hello from A" in line]
    assert not [line for line in b.drain() if "hi A, B here" in line]


def test_exit_leaves_and_the_others_carry_on(
    room: tuple[Program, list[Program], list[str]],
) -> None:
    server, (a, b, c), (addr_a, addr_b, addr_c) = room

    a.send("/exit")
    assert a.wait() == 0
    server.expect(f"* {addr_a} left")
    b.expect(f"* {addr_a} left")
    c.expect(f"* {addr_a} left")
    assert not [line for line in server.lines if "/exit" in line]  # /exit is not relayed

    b.send("still here?")
    c.expect(f"[{addr_b}] still here?")
    c.send("yes")
    b.expect(f"[{addr_c}] yes")


def test_end_of_input_is_like_exit(room: tuple[Program, list[Program], list[str]]) -> None:
    server, (a, b, _), (addr_a, _, _) = room
    a.close_stdin()
    assert a.wait() == 0
    server.expect(f"* {addr_a} left")
    b.expect(f"* {addr_a} left")


def test_killed_client_is_removed(room: tuple[Program, list[Program], list[str]]) -> None:
    server, (a, b, c), (addr_a, addr_b, addr_c) = room

    a.kill()  # SIGKILL: no /exit, the socket just goes away
    server.expect(f"* {addr_a} left")
    b.expect(f"* {addr_a} left")

    b.send("A is gone")
    c.expect(f"[{addr_b}] A is gone")
    c.send("and we carry on")
    b.expect(f"[{addr_c}] and we carry on")
    assert server.proc.poll() is None


def test_ctrl_c_leaves_like_exit(room: tuple[Program, list[Program], list[str]]) -> None:
    server, (a, b, _), (addr_a, _, _) = room
    a.proc.send_signal(signal.SIGINT)
    assert a.wait() == 0
    server.expect(f"* {addr_a} left")
    b.expect(f"* {addr_a} left")
    a.kill()  # reap the reader threads so stderr has been read in full
    assert "Traceback" not in a.stderr
