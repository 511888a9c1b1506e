"""Helper processes of the tests (nginx, ngircd): tied to the test run's life, stopped politely."""

from __future__ import annotations

import ctypes
import signal
import subprocess


def die_with_parent() -> None:
    """Popen's preexec_fn: the child gets SIGTERM when the test run dies (even by SIGKILL), so no
    nginx or ngircd outlives it holding a port. Where prctl is missing, nothing is done."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """SIGTERM, `timeout` seconds to exit, then SIGKILL (and its exit waited for)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
