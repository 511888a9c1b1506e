"""Phase 2: several clients at once, each gets its own echoes, the server logs addresses."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable

from tests.lessons.programs import TIMEOUT, Program
from tests.support import wait_for_port


def address(client: Program) -> str:
    """The client's own host:port, from its 'connected as ...' line."""
    return client.expect("connected as ").split()[-1]


def test_three_clients_at_once(start: Callable[[str], Program], port: int) -> None:
    server = start("phase2/server.py")
    wait_for_port(port)
    clients = [start("phase2/client.py") for _ in range(3)]
    addresses = [address(c) for c in clients]  # all three are connected now

    # Interleave the clients, so each server thread serves while the others wait.
    for round_ in range(2):
        for n, client in enumerate(clients):
            client.send(f"line {round_} from client {n} ✓")
    for n, client in enumerate(clients):
        for round_ in range(2):
            client.expect(f"echo: line {round_} from client {n} ✓")
        server.expect(f"[{addresses[n]}] line 0 from client {n} ✓")
        server.expect(f"[{addresses[n]}] line 1 from client {n} ✓")

    for n, client in enumerate(clients):
        client.close_stdin()  # end of input: the client hangs up
        assert client.wait() == 0
        echoes = [line for line in client.lines if line.startswith("echo:")]
        assert echoes == [f"echo: line {r} from client {n} ✓" for r in range(2)]
        server.expect(f"{addresses[n]} disconnected")

    assert server.proc.poll() is None  # still serving


def test_lines_split_and_joined_across_packets(start: Callable[[str], Program], port: int) -> None:
    """TCP has no message boundaries: half a line, or two lines, may come in one recv()."""
    server = start("phase2/server.py")
    wait_for_port(port)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"par")
        time.sleep(0.05)  # let the half line arrive on its own
        sock.sendall("tial ✓\nsecond\n".encode())
        reader = sock.makefile("r", encoding="utf-8", newline="\n")
        assert reader.readline() == "echo: partial ✓\n"
        assert reader.readline() == "echo: second\n"
        reader.close()
    server.expect("] partial ✓")
    server.expect("] second")


def test_ctrl_c_stops_the_server_quietly(start: Callable[[str], Program], port: int) -> None:
    server = start("phase2/server.py")
    wait_for_port(port)
    server.proc.send_signal(signal.SIGINT)
    assert server.wait() == 0
    server.kill()  # reap the reader threads so stderr has been read in full
    assert "Traceback" not in server.stderr
