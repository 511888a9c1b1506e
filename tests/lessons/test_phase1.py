"""Phase 1: one client says Hello Server, the server answers in Persian, both exit."""

from __future__ import annotations

from collections.abc import Callable

from tests.lessons.programs import Program


def test_hello_exchange(start: Callable[[str], Program]) -> None:
    server = start("phase1/server.py")
    # The server accepts exactly one client, so we must not probe the port with a
    # connection: we wait for it to say it is listening instead.
    server.expect("listening on 127.0.0.1:")

    client = start("phase1/client.py")
    client.expect("سلام مشتری")
    assert client.wait() == 0

    server.expect("Hello Server")
    assert server.wait() == 0
    assert client.stderr == "" and server.stderr == ""
