"""The benchmark scenarios and the scales they run at."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Scale:
    name: str
    clients: int  # members in the fan-out / light-load channels
    idle: int  # idle connections
    duration: float  # measurement window, seconds
    warmup: float  # load before the window opens, seconds
    reps: int
    light_rate: float  # msg/s into the big channel
    talk_rates: tuple[float, float]  # msg/s in total from the talkers
    talkers: int
    channel_size: int  # members per channel in the talk scenarios
    connect_inflight: tuple[int, int]
    fanout_senders: tuple[int, int] = (1, 10)


FULL = Scale(
    name="full",
    clients=1000,
    idle=10_000,
    duration=4.0,
    warmup=1.0,
    reps=3,
    light_rate=50,
    talk_rates=(500, 2000),
    talkers=100,
    channel_size=100,
    connect_inflight=(10, 200),
)
#: the full set at a fifth of the clients and half the time
QUICK = replace(FULL, name="quick", clients=200, idle=1000, duration=2.0, warmup=0.5, talkers=20)
#: seconds in all, for the test suite
SMOKE = Scale(
    name="smoke",
    clients=20,
    idle=40,
    duration=0.5,
    warmup=0.2,
    reps=1,
    light_rate=20,
    talk_rates=(50, 100),
    talkers=4,
    channel_size=10,
    connect_inflight=(2, 10),
    fanout_senders=(1, 3),
)
SCALES: dict[str, Scale] = {scale.name: scale for scale in (FULL, QUICK, SMOKE)}


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    kind: str  # fanout | rate | connect | idle
    metric: str  # the headline metric
    unit: str
    higher_better: bool
    params: dict[str, Any] = field(default_factory=dict)
    clients_needed: int = 0
    websocket: bool = False
    target: str = ""  # what socketchat has to reach (issue 7)
    #: the TCP scenario a WebSocket one is compared against
    compare_with: str | None = None


def build(scale: Scale, window: int = 400) -> list[Scenario]:
    s = scale
    timing = {"duration": s.duration, "warmup": s.warmup}
    fanouts = list(zip(("fanout-1", "fanout-10"), s.fanout_senders, strict=True))

    def fanout(name: str, senders: int, websocket: bool = False) -> Scenario:
        params = {"clients": s.clients, "senders": senders, "window": window, **timing}
        if websocket:
            return Scenario(
                name=f"ws-{name}",
                title=f"WebSocket fan-out: {senders} sender(s), 1 channel of {s.clients:,}",
                kind="fanout",
                metric="deliveries_per_s",
                unit="deliveries/s",
                higher_better=True,
                params={**params, "websocket": True},
                clients_needed=s.clients,
                websocket=True,
                target="(vs best peer over TCP)",
                compare_with=name,
            )
        return Scenario(
            name=name,
            title=f"fan-out: {senders} sender(s) flood 1 channel of {s.clients:,}",
            kind="fanout",
            metric="deliveries_per_s",
            unit="deliveries/s",
            higher_better=True,
            params=params,
            clients_needed=s.clients,
            target="≥ 1.0× best peer",
        )

    def rate(name: str, title: str, **params: Any) -> Scenario:
        return Scenario(
            name=name,
            title=title,
            kind="rate",
            metric="lat_p99_ms",
            unit="ms p99",
            higher_better=False,
            params={"clients": s.clients, **params, **timing},
            clients_needed=s.clients,
            target="≤ best peer",
        )

    out = [fanout(name, senders) for name, senders in fanouts]
    out.append(
        rate(
            "light",
            f"light load: {s.light_rate:g} msg/s into 1 channel of {s.clients:,}",
            channel_size=s.clients,
            talkers=1,
            rate=s.light_rate,
        )
    )
    for name, msg_rate in zip(("talk-low", "talk-high"), s.talk_rates, strict=True):
        out.append(
            rate(
                name,
                f"{s.talkers} talkers, {msg_rate:g} msg/s in total, "
                f"{s.clients:,} clients in channels of {s.channel_size}",
                channel_size=s.channel_size,
                talkers=s.talkers,
                rate=msg_rate,
                probe_every=1 if msg_rate * s.channel_size <= 100_000 else 4,
            )
        )
    for name, inflight in zip(("connect-10", "connect-200"), s.connect_inflight, strict=True):
        out.append(
            Scenario(
                name=name,
                title=f"connect: {inflight} handshakes in flight",
                kind="connect",
                metric="registrations_per_s",
                unit="registrations/s",
                higher_better=True,
                params={"inflight": inflight, **timing},
                clients_needed=inflight,
                target="≥ 1.0× best peer",
            )
        )
    out.append(
        Scenario(
            name="idle",
            title=f"idle: {s.idle:,} registered connections",
            kind="idle",
            metric="kib_per_conn",
            unit="KiB RSS/connection",
            higher_better=False,
            params={"clients": s.idle},
            clients_needed=s.idle,
            target="≤ 8 KiB",
        )
    )
    out += [fanout(name, senders, websocket=True) for name, senders in fanouts]
    return out
