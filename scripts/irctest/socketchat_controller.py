"""irctest controller for socketchat: the shared command-template controller
(../shared/irctest-controller/cmd_server_controller.py), plus what irctest asks a controller to
say about its server, and faked time.

irctest cannot discover a mute extban's letter (there is no ISUPPORT token for it), so each
controller declares it (`extban_mute_char`: "m" for ergo and InspIRCd); socketchat's is `m`
(EXTBAN=,am, see src/socketchat/server/bans.py).

Some irctest cases ask for a server whose clock runs fast (`faketime = "+1y x30"`:
FaketimeListTestCase checks LIST C<n / T<n, in minutes). irctest's own controllers run those
servers under libfaketime when it is installed and then tell the test so
(`faketime_enabled`); without it the test sleeps 3 real minutes and hits the 60 s timeout. This
controller does the same for `socketchat serve`. libfaketime shifts the wall clock and speeds
up the monotonic one the event loop uses, so timers, PINGs and timestamps stay consistent.
Through the cluster (`conformance.sh --nodes N`) the command is tests/support/proxied_nodes.py,
which runs redis-server (the network's clock) and the nodes under it on one shared origin.
scripts/conformance.sh puts this folder and the shared controller on PYTHONPATH.
"""

from __future__ import annotations

import contextlib
import glob
import os
from typing import Any

from cmd_server_controller import CmdServerController  # type: ignore[import-not-found]

# Debian's faketime package (scripts/setup.sh --test): what its `faketime` tool preloads
LIBFAKETIME = next(iter(sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))), "")


class SocketchatController(CmdServerController):  # type: ignore[misc]
    extban_mute_char = "m"
    _faketime: str | None = None
    # irctest's barrier (`getMessage` sends a PING and reads up to its PONG) assumes that what
    # another client sent a moment before was processed first. Through several cluster nodes
    # two clients' lines reach the log from different nodes, and lines sent within a
    # millisecond of each other are concurrent: either order is one server's order. irctest's
    # own controller for a distributed server (sable) waits 0.1 s before each barrier for
    # this; conformance.sh sets it for --nodes > 1 (docs/cluster.md, Ordering).
    sync_sleep_time = float(os.environ.get("SOCKETCHAT_IRCTEST_SYNC_SLEEP", "0") or 0)

    def run(self, hostname: str, port: int, **kwargs: Any) -> None:
        faketime = kwargs.get("faketime")
        self._faketime = faketime if faketime and LIBFAKETIME else None
        self.faketime_enabled = self._faketime is not None
        super().run(hostname, port, **kwargs)

    def execute(self, command: Any, proc_name: str | None = None, **kwargs: Any) -> Any:
        if self._faketime is not None:
            # What `faketime -f SPEC` does, without its wrapper process: irctest waits for the
            # process it started, then deletes the data dir; through the wrapper that was
            # `faketime`, which could exit while the server (signalled with its group) still
            # closed SQLite and removed its -shm: a teardown error now and then.
            env = dict(kwargs.pop("env", None) or os.environ)
            env["LD_PRELOAD"] = ":".join(p for p in (LIBFAKETIME, env.get("LD_PRELOAD")) if p)
            env["FAKETIME"] = self._faketime
            kwargs["env"] = env
        return super().execute(command, proc_name or "socketchat", **kwargs)

    def kill_proc(self) -> None:
        pid = self.proc.pid if self.proc is not None else None
        super().kill_proc()
        if self._faketime is not None and pid is not None:
            # libfaketime, preloaded into `sh` (which execs the server), made a shared clock
            # named after that pid; the process that made it was exec'd, so nothing removes it
            for name in (f"sem.faketime_sem_{pid}", f"faketime_shm_{pid}"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"/dev/shm/{name}")


def get_irctest_controller_class() -> type[SocketchatController]:
    return SocketchatController
