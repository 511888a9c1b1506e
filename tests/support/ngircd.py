"""A private ngircd (Debian package `ngircd`) for interop tests.

    with ngircd_server(tmp_path) as irc:       # started on a free port, killed at exit
        sock = socket.create_connection((irc.host, irc.port))
        irc.restart()                          # same port, fresh state (for reconnect tests)

The config is written into the given directory and does not read /etc/ngircd. Nick length is
raised to 30, and flood penalties and per-IP connection limits are off so tests run fast.
`options` adds or overrides settings: ``{"Limits": {"MaxNickLength": "9"}}``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.support import free_port, require_tool, wait_for_port
from tests.support.processes import die_with_parent, stop_process


class Ngircd:
    """One ngircd instance: `host`, `port`, `name`; `start()`, `stop()`, `restart()`."""

    def __init__(
        self,
        directory: Path,
        *,
        name: str = "irc.test.local",
        port: int | None = None,
        options: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.binary = require_tool("ngircd")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.name = name
        self.config_path = self.directory / "ngircd.conf"
        self.log_path = self.directory / "ngircd.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._write_config(options or {})

    def _write_config(self, options: Mapping[str, Mapping[str, str]]) -> None:
        include = self.directory / "conf.d"
        include.mkdir(exist_ok=True)
        sections: dict[str, dict[str, str]] = {
            "Global": {
                "Name": self.name,
                "Info": "socketchat test server",
                "AdminInfo1": "socketchat tests",
                "AdminInfo2": "localhost",
                "AdminEMail": "tests@localhost",
                "Listen": self.host,
                "Ports": str(self.port),
                "MotdPhrase": "socketchat test server",
                "PidFile": str(self.directory / "ngircd.pid"),
                "ServerUID": str(os.getuid()),
                "ServerGID": str(os.getgid()),
            },
            "Limits": {
                "MaxNickLength": "30",
                "MaxConnections": "0",
                "MaxConnectionsIP": "0",
                "MaxJoins": "0",
                "MaxPenaltyTime": "0",
                "PingTimeout": "120",
                "PongTimeout": "20",
                "ConnectRetry": "60",
            },
            "Options": {
                "DNS": "no",
                "Ident": "no",
                "PAM": "no",
                "MorePrivacy": "no",
                "RequireAuthPing": "no",
                "IncludeDir": str(include),
            },
        }
        for section, values in options.items():
            sections.setdefault(section, {}).update(values)
        text = "".join(
            f"[{section}]\n" + "".join(f"  {k} = {v}\n" for k, v in values.items()) + "\n"
            for section, values in sections.items()
        )
        self.config_path.write_text(text)

    def start(self) -> None:
        if self.proc is not None:
            return
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [self.binary, "-n", "-f", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        log.close()
        try:
            wait_for_port(self.port, self.host, timeout=10)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def ngircd_server(
    directory: Path,
    *,
    name: str = "irc.test.local",
    options: Mapping[str, Mapping[str, str]] | None = None,
) -> Iterator[Ngircd]:
    """Start ngircd with a config in `directory` on a free port; stop it at exit."""
    server = Ngircd(directory, name=name, options=options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
