"""irctest controller for socketchat: the shared command-template controller
(../shared/irctest-controller/cmd_server_controller.py), plus what irctest asks a controller to
say about its server, and faked time.

irctest cannot discover a mute extban's letter (there is no ISUPPORT token for it), so each
controller declares it (`extban_mute_char`: "m" for ergo and InspIRCd); socketchat's is `m`
(EXTBAN=,am, see src/socketchat/server/bans.py).

Some irctest cases ask for a server whose clock runs fast (`faketime = "+1y x30"`:
FaketimeListTestCase checks LIST C<n / T<n, in minutes). irctest's own controllers run those
servers under libfaketime when the `faketime` tool is installed and then tell the test so
(`faketime_enabled`); without it the test sleeps 3 real minutes and hits the 60 s timeout. This
controller does the same for `socketchat serve`. libfaketime shifts the wall clock and speeds
up the monotonic one the event loop uses, so timers, PINGs and timestamps stay consistent.
scripts/conformance.sh puts this folder and the shared controller on PYTHONPATH.
"""

from __future__ import annotations

import shutil
from typing import Any

from cmd_server_controller import CmdServerController  # type: ignore[import-not-found]


class SocketchatController(CmdServerController):  # type: ignore[misc]
    extban_mute_char = "m"
    _faketime: str | None = None

    def run(self, hostname: str, port: int, **kwargs: Any) -> None:
        faketime = kwargs.get("faketime")
        self._faketime = faketime if faketime and shutil.which("faketime") else None
        self.faketime_enabled = self._faketime is not None
        super().run(hostname, port, **kwargs)

    def execute(self, command: Any, proc_name: str | None = None, **kwargs: Any) -> Any:
        if self._faketime is not None:
            command = ["faketime", "-f", self._faketime, *command]
        return super().execute(command, proc_name or "socketchat", **kwargs)


def get_irctest_controller_class() -> type[SocketchatController]:
    return SocketchatController
