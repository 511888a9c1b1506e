"""The data directory: made usable (or refused with one sentence) before anything is opened.

What is checked at start, and why
---------------------------------
Everything the server keeps (``socketchat.db``, its search index ``socketchat-search.db``, their
``-wal``/``-shm`` files, the cloak key) is
private: message history, password hashes, the key that hides client addresses. So:

* the directory is created with mode 0700 (missing parents are created too, with the default
  mode, as ``mkdir -p`` would: the default per-user directory's parents may not exist yet);
* an existing directory that others may read or enter (group/other bits set) is **tightened to
  0700**, and each file we keep there to 0600, with one warning saying so (one that belongs to
  another user is left alone, with a warning; a directory everyone may write to, such as
  ``/tmp``, is refused: it is never chmod'ed). Loosening it again
  by hand does not survive a restart: the data is never meant to be shared while the server runs
  (copy it while the server is stopped to back it up);
* every file is created 0600 from the start (never chmod'ed after being world-readable for a
  moment). SQLite gives ``-wal`` and ``-shm`` the mode of the database file, which is why the
  database file is created by us, empty, before SQLite opens it.

A data directory that cannot work — not a directory, not creatable, read-only, full — is refused
at start with a `StorageError` whose text is one sentence naming the path and the cause;
`socketchat serve` prints it and exits 1 instead of showing a traceback. The "full" check is a
real write of `PROBE_BYTES` plus a look at the free space (`MIN_FREE_BYTES`), so that a server is
not started onto a disk that cannot take its first transactions.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import stat
from pathlib import Path

from socketchat.storage.base import StorageError

log = logging.getLogger("socketchat.storage")

DIR_MODE = 0o700
FILE_MODE = 0o600
MIN_FREE_BYTES = 1024 * 1024  # refuse to start with less free space than this in the data dir
PROBE_BYTES = 64 * 1024  # written (and removed) at start: can we really write there?
PROBE_NAME = ".socketchat-write-test"
# Files the server keeps in the data dir (tightened to FILE_MODE when found looser).
KNOWN_FILES = (
    "socketchat.db",
    "socketchat.db-wal",
    "socketchat.db-shm",
    "socketchat-search.db",  # the search index (storage/searchindex.py)
    "socketchat-search.db-wal",
    "socketchat-search.db-shm",
    "cloak.key",
    "socketchat.lock",  # held while a server uses the directory (`DataDirLock`)
)
LOCK_NAME = "socketchat.lock"


def describe(exc: OSError) -> str:
    """A short lower-case cause for an OS error ("the file system is read-only")."""
    causes = {
        errno.ENOSPC: "no space is left on the device",
        errno.EDQUOT: "the disk quota is exhausted",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission is denied",
        errno.EPERM: "the operation is not permitted",
        errno.ENOTDIR: "a part of the path is not a directory",
        errno.ENOENT: "a part of the path does not exist",
        errno.EEXIST: "it exists and is not a directory",
        errno.EIO: "an input/output error occurred",
    }
    if exc.errno in causes:
        return causes[exc.errno]
    return (exc.strerror or str(exc)).lower()


def prepare_data_dir(path: str | Path) -> Path:
    """Create or check the data directory; return it. Raises `StorageError` when it cannot work."""
    directory = Path(path).expanduser()
    if directory.exists() and not directory.is_dir():
        raise StorageError(f"data directory {directory} is not a directory")
    if not directory.exists():
        try:
            directory.parent.mkdir(parents=True, exist_ok=True)
            directory.mkdir(mode=DIR_MODE)
        except OSError as exc:
            raise StorageError(
                f"cannot create the data directory {directory}: {describe(exc)}"
            ) from None
    _tighten(directory)
    _probe(directory)
    return directory


def _tighten(directory: Path) -> None:
    """Make the directory 0700 and our files 0600, warning once when they were looser."""
    loosened: list[str] = []
    for target, mode in [(directory, DIR_MODE), *((directory / n, FILE_MODE) for n in KNOWN_FILES)]:
        try:
            st = target.stat()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StorageError(f"cannot read {target}: {describe(exc)}") from None
        current = stat.S_IMODE(st.st_mode)
        if target == directory and current & (stat.S_ISVTX | stat.S_IWOTH):
            # /tmp and the like: never chmod a directory everyone shares
            raise StorageError(
                f"data directory {directory} is shared (mode {current:04o}, writable by"
                " everyone): give the server a directory of its own"
            )
        if current & ~mode & 0o777 == 0:
            continue
        if st.st_uid != os.geteuid():  # not ours to change: say so, and go on
            log.warning(
                "storage: %s is readable by others (mode %04o) and belongs to uid %d, not to"
                " this server: it was left as it is",
                target,
                current,
                st.st_uid,
            )
            continue
        try:
            target.chmod(current & mode)
        except OSError as exc:
            if exc.errno == errno.EROFS:
                raise StorageError(
                    f"data directory {directory} is not writable: {describe(exc)}"
                ) from None
            log.warning(
                "storage: %s is readable by others (mode %04o) and could not be tightened: %s",
                target,
                current,
                describe(exc),
            )
            continue
        loosened.append(f"{target.name or target} {current:04o}")
    if loosened:
        log.warning(
            "storage: tightened permissions in %s (was: %s): history and password hashes are"
            " for the server only",
            directory,
            ", ".join(loosened),
        )


def _probe(directory: Path) -> None:
    """Write and remove a small file: is the directory writable, and is there room?"""
    probe = directory / PROBE_NAME
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    except OSError as exc:
        raise StorageError(f"data directory {directory} is not writable: {describe(exc)}") from None
    try:
        try:
            os.write(fd, b"\0" * PROBE_BYTES)
            os.fsync(fd)
        except OSError as exc:
            raise StorageError(
                f"data directory {directory} is not writable: {describe(exc)}"
            ) from None
    finally:
        os.close(fd)
        probe.unlink(missing_ok=True)
    try:
        st = os.statvfs(directory)
    except OSError:
        return
    # root may write into the blocks a filesystem reserves for it (ext4: 5 %), as SQLite will
    free = (st.f_bfree if os.geteuid() == 0 else st.f_bavail) * st.f_frsize
    if free < MIN_FREE_BYTES:
        raise StorageError(
            f"data directory {directory} is nearly full: {free // 1024} KiB free, at least"
            f" {MIN_FREE_BYTES // 1024} KiB needed"
        )


class DataDirLock:
    """An exclusive lock on the data directory (``flock`` on `LOCK_NAME`) while a server uses
    it. Two servers on one data directory (a second start by mistake, another port) would
    both write its database; a second one that failed later (its port taken) had already
    restored the always-on users and, stopping, stamped their "last seen" with its own time.
    The kernel releases the lock when the process ends, however it ends. Where there is no
    ``fcntl`` (not POSIX) nothing is locked."""

    def __init__(self) -> None:
        self.fd: int | None = None

    def acquire(self, directory: Path) -> None:
        """Raises `StorageError` when another process holds it (naming its pid)."""
        try:
            import fcntl
        except ImportError:
            return
        path = directory / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise StorageError(f"cannot open {path}: {describe(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise StorageError(
                f"data directory {directory} is in use by another socketchat serve{who}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # (the file stays: removing it would race with a new holder)
            self.fd = None

    def __enter__(self) -> DataDirLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist (never readable by others)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def load_secret(directory: str | Path, name: str, size: int = 32) -> bytes:
    """A random key kept in `directory/name` (0600): made once, the same after every restart.

    The cloak key lives here so that cloaked hosts (and with them bans on cloaks) stay the same
    across restarts. A file of the wrong size (truncated by a full disk, edited) is an error,
    not silently replaced: replacing it would change every cloak.
    """
    path = Path(directory) / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b""
        key = secrets.token_bytes(size)
        tmp = path.with_name(name + ".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            try:
                os.write(fd, key)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot write the key file {path}: {describe(exc)}") from None
        return key
    except OSError as exc:
        raise StorageError(f"cannot read the key file {path}: {describe(exc)}") from None
    if len(data) != size:
        raise StorageError(
            f"the key file {path} is damaged ({len(data)} bytes, {size} expected): restore it"
            " from a backup, or remove it to make a new one (cloaked hosts will change)"
        )
    return data
