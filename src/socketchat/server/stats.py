"""What the server counts for its metrics, as plain ints (sans-I/O, and cheap on the hot path).

The core only adds to these attributes — one integer addition per command read, per session
flushed, per connection — and never calls a metrics library. `server/net/metrics.py` reads them
when Prometheus scrapes `/metrics` (a custom collector), so a message fanned out to 1,000 members
costs no more than before.
"""

from __future__ import annotations

import bisect

# Storage commit latency buckets (seconds): a commit is usually well under a millisecond
# (WAL, synchronous=NORMAL); a checkpoint or a slow disk shows in the upper buckets.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Histogram:
    """Counts per bucket (cumulative only when read), like a Prometheus histogram."""

    __slots__ = ("bounds", "count", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def cumulative(self) -> list[tuple[str, int]]:
        """[(upper bound as Prometheus writes it, observations <= it)], ending with +Inf."""
        out, running = [], 0
        for bound, n in zip((*map(str, self.bounds), "+Inf"), self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out


class ServerStats:
    """Counters since the server started. Connections and refusals are keyed by transport
    (tcp, tls, ws) and by reason (full, per_ip, dline, kline, origin...)."""

    __slots__ = (
        "commit_latency",
        "connections",
        "deliveries_out",
        "flood_disconnects",
        "loop_lag",
        "loop_lag_max",
        "messages_in",
        "refused",
        "registrations",
        "sendq_drops",
    )

    def __init__(self) -> None:
        self.connections: dict[str, int] = {}
        self.registrations = 0
        self.messages_in = 0  # commands read from clients (every line dispatched)
        self.deliveries_out = 0  # lines handed to clients' transports
        self.sendq_drops = 0
        self.flood_disconnects = 0
        self.refused: dict[str, int] = {}
        self.commit_latency = Histogram(COMMIT_BUCKETS)
        self.loop_lag = 0.0  # seconds the event loop was late at the last probe (the runner)
        self.loop_lag_max = 0.0

    def count_connection(self, kind: str) -> None:
        self.connections[kind] = self.connections.get(kind, 0) + 1

    def count_refused(self, reason: str) -> None:
        self.refused[reason] = self.refused.get(reason, 0) + 1
