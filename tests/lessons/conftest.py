"""Fixtures for the lesson tests: start lesson programs, kill them all afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.lessons.programs import Program
from tests.support import free_port


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def start(port: int) -> Iterator[Callable[[str], Program]]:
    """start("phase2/server.py") runs that lesson program on this test's port."""
    programs: list[Program] = []

    def _start(script: str) -> Program:
        program = Program(script, port)
        programs.append(program)
        return program

    yield _start
    for program in programs:
        program.kill()
