"""The audit trail: one log line per operator action and account event, on its own logger.

Everything an administrator may have to answer for later — who became an operator (and who
tried), KILL, KLINE/DLINE and their removal, REHASH, accounts created, failed logins — goes to
the logger ``socketchat.audit`` at INFO (failures at WARNING), so it can be routed or kept apart
from the connection chatter of ``socketchat.server``. Each record carries its fields in
``record.audit`` (event, actor, target...), which the JSON log format (`log_format = "json"`,
`server/logformat.py`) writes as keys; the text format shows the message alone. Passwords and
message text are never in them.
"""

from __future__ import annotations

import logging

log = logging.getLogger("socketchat.audit")

Field = str | int | float


def audit(event: str, message: str, *, failure: bool = False, **fields: Field) -> None:
    """Log one audit event, e.g. ``audit("kline", "...", actor=..., mask=...)``."""
    level = logging.WARNING if failure else logging.INFO
    if log.isEnabledFor(level):
        log.log(level, "%s: %s", event, message, extra={"audit": {"event": event, **fields}})
