"""Phase 2: several clients at once, each gets its own echoes, the server logs addresses."""

from __future__ import annotations

from collections.abc import Callable

from tests.lessons.programs import Program
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
