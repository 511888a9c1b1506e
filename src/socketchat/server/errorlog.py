"""How many tracebacks a server writes: a few per connection, and a bounded number per minute.

A handler bug answers `FAIL <command> INTERNAL_ERROR` (see `commands/dispatch.py`) and logs its
traceback, which is what an operator needs to fix it. But a client that found such a bug can
repeat the line as fast as flood control lets it, and a traceback is ~2 KB: the fuzz runs wrote
about 2,600 of them, and a few clients could fill a disk or bury every other log line. So each
connection logs at most `per_session` tracebacks, and the whole server at most `per_minute` in
any fixed one-minute window; what is not logged is counted, and the next line that is logged
says how many were left out. The clock is the server's (sans-I/O: injected). Warnings about
unparsable input lines (`Session`) are bounded the same way, with their own budget.
"""

from __future__ import annotations

from dataclasses import dataclass

TRACEBACKS_PER_SESSION = 3
TRACEBACKS_PER_MINUTE = 20
BAD_INPUT_PER_MINUTE = 100  # one-line warnings about unparsable input (session.py), same scheme
REFUSALS_PER_MINUTE = 10  # connections refused by max_clients / max_clients_per_ip (core.py)
INCIDENTS_PER_MINUTE = 30  # clients dropped for Excess Flood or SendQ (session.py, core.py)


@dataclass(slots=True)
class LogBudget:
    """A fixed-window budget of log lines for the whole server (mutable: it counts)."""

    per_minute: int = TRACEBACKS_PER_MINUTE
    per_session: int = TRACEBACKS_PER_SESSION
    window_start: float = float("-inf")
    logged: int = 0
    suppressed: int = 0

    def admit(self, now: float, session_count: int) -> tuple[bool, int]:
        """May one more traceback be logged? `session_count` is how many this connection already
        had. Returns (log it, how many were left out before it) and counts what it refuses."""
        if now - self.window_start >= 60.0:
            self.window_start = now
            self.logged = 0
        if session_count >= self.per_session or self.logged >= self.per_minute:
            self.suppressed += 1
            return False, 0
        self.logged += 1
        left_out, self.suppressed = self.suppressed, 0
        return True, left_out
