"""Run our server for a test: in a background thread (fast) or as the real `socketchat serve`."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from socketchat.server.config import Limits, ServerConfig
from socketchat.server.main import run_server
from tests.support import free_port, wait_for_port


@dataclass
class RunningServer:
    host: str
    port: int
    config: ServerConfig
    data_dir: str
    loop: asyncio.AbstractEventLoop | None = None
    process: subprocess.Popen[str] | None = None
    # what a spawned server printed, read as it comes by a thread (`output`): a server whose
    # stdout nobody reads blocks on its next log line once the pipe's 64 KB are full
    _printed: list[str] = dataclasses.field(default_factory=list)
    _drain: threading.Thread | None = None

    def lines_until(self, start: str, timeout: float = 20.0) -> list[str]:
        """The lines a spawned server has printed, up to the first one starting with `start`
        (waiting for it while the server runs)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line.rstrip("\n") for line in list(self._printed)]
            for i, line in enumerate(lines):
                if line.startswith(start):
                    return lines[: i + 1]
            ended = self._drain is None or not self._drain.is_alive()
            if ended or time.monotonic() > deadline:
                raise AssertionError(f"no line starting {start!r}: {lines}")
            time.sleep(0.02)

    def output(self, timeout: float = 10.0) -> str:
        """Everything a spawned server printed, once it has exited (call after `wait`)."""
        if self._drain is not None:
            self._drain.join(timeout)
        return "".join(self._printed)

    @property
    def web_port(self) -> int:
        return self.config.web_port

    @property
    def tls_port(self) -> int:
        return self.config.tls_port


def make_config(
    data_dir: str, limits: dict[str, Any] | None = None, **settings: Any
) -> ServerConfig:
    settings.setdefault("web_port", 0)
    settings.setdefault("port", free_port())
    settings.setdefault("host", "127.0.0.1")
    config = ServerConfig(data_dir=data_dir, **settings)
    # Every test client comes from 127.0.0.1, and many tests open more connections than a
    # real address should: the reconnect throttle is off unless a test sets it.
    throttle_off = {"connects_per_ip_per_minute": 0, "connects_per_ip_burst": 0}
    limits = throttle_off | (limits or {})
    return dataclasses.replace(config, limits=dataclasses.replace(Limits(), **limits))


@contextmanager
def running_server(
    limits: dict[str, Any] | None = None, data_dir: str | None = None, **settings: Any
) -> Iterator[RunningServer]:
    """Our server on free ports in a background thread, with its own event loop."""
    with tempfile.TemporaryDirectory(prefix="socketchat-test-") as tmp:
        config = make_config(data_dir or tmp, limits, **settings)
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(run_server(config, install_signals=False))

        thread = threading.Thread(target=run, name="socketchat-server", daemon=True)
        thread.start()
        # every listener, so that a test may connect to any at once (the TLS port opened a
        # moment after the plain one: a client connecting first was refused now and then)
        for port in (config.port, config.tls_port, config.web_port):
            if port:
                wait_for_port(port)
        handle = RunningServer("127.0.0.1", config.port, config, config.data_dir, loop=loop)
        try:
            yield handle
        finally:
            _stop_in_loop(loop)
            thread.join(timeout=10)
            loop.close()


def _stop_in_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Ask the runner(s) started in `loop` to stop; servers in other loops keep running."""
    from socketchat.server.net import runner as runner_module

    async def stop() -> None:
        for r in [r for r in runner_module.ACTIVE_RUNNERS if r.loop is loop]:
            await r.stop("Server shutting down")

    if loop.is_running():
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)


@contextmanager
def spawned_server(*args: str, data_dir: str | None = None) -> Iterator[RunningServer]:
    """The real `socketchat serve` command as a subprocess (for CLI, signal and kill -9 tests)."""
    with tempfile.TemporaryDirectory(prefix="socketchat-test-") as tmp:
        port = free_port()
        ddir = data_dir or tmp
        cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(port)]
        cmd += ["--data-dir", ddir]
        if "--web-port" not in args:
            cmd += ["--web-port", "0"]
        cmd += list(args)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        printed: list[str] = []
        stdout = proc.stdout
        assert stdout is not None
        drain = threading.Thread(target=lambda: printed.extend(stdout), daemon=True)
        drain.start()
        try:
            wait_for_port(port, timeout=20)
            config = ServerConfig(host="127.0.0.1", port=port, data_dir=ddir)
            yield RunningServer(
                "127.0.0.1", port, config, ddir, process=proc, _printed=printed, _drain=drain
            )
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            drain.join(timeout=10)
            stdout.close()
