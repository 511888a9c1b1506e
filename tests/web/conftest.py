"""Fixtures for the tests in this folder: a server with the web listener on a free port, and
Chromium pages that must log no JavaScript error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.support import free_port
from tests.support.server import RunningServer, running_server
from tests.web.browser import Pages, chromium


@pytest.fixture
def web_server() -> Iterator[RunningServer]:
    with running_server(web_port=free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def pages(browser: Browser) -> Iterator[Pages]:
    """Opens pages for a test; afterwards, no JavaScript error may have been logged."""
    opened = Pages(browser)
    yield opened
    assert opened.close() == []
