"""A server with the web listener on a free port, for the tests in this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import free_port
from tests.support.server import RunningServer, running_server


@pytest.fixture
def web_server() -> Iterator[RunningServer]:
    with running_server(web_port=free_port()) as server:
        yield server
