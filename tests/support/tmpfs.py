"""A small real filesystem for a test: a size-limited tmpfs, mounted and unmounted by the test.

Needs root (mount). Locally a non-root run skips; in CI (CI=true) it fails loudly, since the
storage-failure tests are the only proof that a full or read-only disk is survived.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import IN_CI, require_tool


def require_root() -> None:
    if os.geteuid() != 0:
        message = "mounting a tmpfs needs root (run the test suite as root, as CI does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def small_tmpfs(size: str = "8m") -> Iterator[Path]:
    """A fresh tmpfs of `size` on a temporary mount point; unmounted (lazily if busy) after."""
    require_root()
    mount = require_tool("mount")
    umount = require_tool("umount")
    with tempfile.TemporaryDirectory(prefix="socketchat-tmpfs-") as point:
        subprocess.run(
            [mount, "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", point], check=True
        )
        try:
            yield Path(point)
        finally:
            if subprocess.run([umount, point], check=False).returncode != 0:
                subprocess.run([umount, "-l", point], check=False)


def remount_read_only(point: Path) -> None:
    subprocess.run([require_tool("mount"), "-o", "remount,ro", str(point)], check=True)


def fill(directory: Path, name: str = "filler") -> Path:
    """Fill the filesystem of `directory` to the last byte with dd; return the filler file."""
    dd = require_tool("dd")
    path = directory / name
    # dd stops with "No space left on device" (exit 1): that is the point
    subprocess.run([dd, "if=/dev/zero", f"of={path}", "bs=64k"], capture_output=True, check=False)
    subprocess.run(
        [dd, "if=/dev/zero", f"of={path}.tail", "bs=512"], capture_output=True, check=False
    )
    st = os.statvfs(directory)
    assert st.f_bavail * st.f_frsize < 64 * 1024, "the filesystem did not fill up"
    return path


def unfill(path: Path) -> None:
    path.unlink()
    Path(f"{path}.tail").unlink(missing_ok=True)
