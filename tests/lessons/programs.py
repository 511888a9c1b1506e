"""Run a lesson program as a real subprocess and read its output without ever hanging."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
TIMEOUT = 5.0  # seconds to wait for one expected line; normally it takes milliseconds


class Program:
    """A lesson program (e.g. "phase3/client.py") running with --host/--port."""

    def __init__(self, script: str, port: int) -> None:
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        self.name = script
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-u",
                str(LESSONS / script),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
        )
        self.lines: list[str] = []  # every stdout line so far
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.stderr = ""
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)  # end of output

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def expect(self, text: str, timeout: float = TIMEOUT) -> str:
        """Wait for a stdout line containing text (lines seen before count too)."""
        for line in self.lines:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                line = None
                remaining = -1
            if line is not None:
                self.lines.append(line)
                if text in line:
                    return line
                continue
            reason = "timed out" if remaining < 0 else "output ended"
            pytest.fail(
                f"{self.name}: {reason} waiting for {text!r}\n"
                f"stdout: {self.lines!r}\nstderr: {self.stderr!r}"
            )

    def drain(self, pause: float = 0.2) -> list[str]:
        """Collect whatever arrives within `pause` seconds; return all lines so far."""
        deadline = time.monotonic() + pause
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return self.lines

    def wait(self, timeout: float = TIMEOUT) -> int:
        """Wait for the program to exit and return its exit code."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} did not exit\nstdout: {self.drain(0)!r}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)
        for reader in self._readers:  # they end at EOF, now that the process is gone
            reader.join(timeout=TIMEOUT)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
