"""`/metrics` on the web port: the server's counters in the Prometheus text format.

Off unless ``metrics = true`` in ``[server]``; with ``metrics_token`` set, a scrape must send
``Authorization: Bearer <token>`` (Prometheus: ``authorization: {credentials: ...}``).
Needs the optional ``prometheus-client`` (``pip install 'socketchat[metrics]'``).

Nothing here runs per message. The core counts in plain ints (`server/stats.py`); this custom
collector turns them into metric families only when Prometheus asks, on the event loop's
thread, so it reads a consistent picture without locks. History size is one SQLite
``count(*)`` per scrape (about a millisecond per 100,000 lines).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry

from socketchat.server.persistence import persistence_of

if TYPE_CHECKING:
    from socketchat.server.core import Server


class ServerCollector(Collector):
    """Reads one server's `ServerStats` (and a few sizes) at scrape time."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def collect(self) -> Iterator[Metric]:
        server = self.server
        stats = server.stats
        opened = CounterMetricFamily(
            "socketchat_connections", "Connections accepted, by transport", labels=["transport"]
        )
        for kind, n in sorted(stats.connections.items()):
            opened.add_metric([kind], n)
        yield opened
        open_now: dict[str, int] = {}
        for s in server.sessions:
            open_now[s.kind] = open_now.get(s.kind, 0) + 1
        current = GaugeMetricFamily(
            "socketchat_connections_open",
            "Connections open now, by transport",
            labels=["transport"],
        )
        for kind, n in sorted(open_now.items()):
            current.add_metric([kind], n)
        yield current
        yield GaugeMetricFamily("socketchat_users", "Registered users", server.state.user_count())
        yield GaugeMetricFamily("socketchat_channels", "Channels", server.state.channel_count())
        yield CounterMetricFamily(
            "socketchat_registrations", "Clients that completed registration", stats.registrations
        )
        yield CounterMetricFamily(
            "socketchat_messages_received", "Commands read from clients", stats.messages_in
        )
        yield CounterMetricFamily(
            "socketchat_deliveries", "Lines handed to clients' transports", stats.deliveries_out
        )
        yield CounterMetricFamily(
            "socketchat_sendq_drops", "Clients dropped for SendQ exceeded", stats.sendq_drops
        )
        yield CounterMetricFamily(
            "socketchat_flood_disconnects",
            "Clients dropped for Excess Flood",
            stats.flood_disconnects,
        )
        refused = CounterMetricFamily(
            "socketchat_refused_connections", "Connections refused, by reason", labels=["reason"]
        )
        for reason, n in sorted(stats.refused.items()):
            refused.add_metric([reason], n)
        yield refused
        hist = stats.commit_latency
        yield HistogramMetricFamily(
            "socketchat_storage_commit_seconds",
            "Storage commit (group commit per loop turn) latency",
            buckets=hist.cumulative(),
            sum_value=hist.total,
        )
        p = persistence_of(server)
        if p is not None:
            yield GaugeMetricFamily(
                "socketchat_history_messages", "Lines kept in history", p.backend.message_count()
            )
        bans = GaugeMetricFamily("socketchat_server_bans", "K-lines and D-lines", labels=["kind"])
        bans.add_metric(["kline"], len(server.bans.klines))
        bans.add_metric(["dline"], len(server.bans.dlines))
        yield bans
        push = server.push
        if push.enabled:  # draft/webpush (server/webpush.py)
            pushes = CounterMetricFamily(
                "socketchat_webpush", "Web Push messages, by outcome", labels=["outcome"]
            )
            for outcome, n in (
                ("sent", push.sent),  # the push service took it (2xx)
                ("failed", push.failed),  # an error, a timeout, or another status
                ("removed", push.removed),  # 404/410: the subscription went with it
                ("dropped", push.dropped),  # the queue was full
                ("read_elsewhere", push.suppressed),  # read on another device in time
            ):
                pushes.add_metric([outcome], n)
            yield pushes
            yield GaugeMetricFamily(
                "socketchat_webpush_pending",
                "Pushes waiting for their delay or to be sent",
                push.pending_count(),
            )
        yield GaugeMetricFamily(
            "socketchat_event_loop_lag_seconds",
            "How late the event loop ran a timer",
            stats.loop_lag,
        )
        yield GaugeMetricFamily(
            "socketchat_event_loop_lag_max_seconds",
            "The largest event-loop lag seen since start",
            stats.loop_lag_max,
        )


class Metrics:
    """One server's registry: its collector and the process's CPU and memory."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, server: Server) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ServerCollector(server))
        self.registry.register(ProcessCollector(registry=None))

    def render(self) -> bytes:
        return generate_latest(self.registry)
