"""How fast one source address may open connections: a token bucket per address (issue 10).

`max_clients_per_ip` bounds how many connections an address holds at once, not how fast it opens
them: a flooder disconnected for Excess Flood that reconnects at once, over and over, kept the
server busy registering it and cost bystanders latency. Like InspIRCd's connflood or ngIRCd's
reconnect delay, each address has a bucket of `burst` tokens that refills at `per_minute` tokens a
minute; a connection costs one, and an address with less than one is refused at the accept
("Trying to reconnect too fast"). The burst is large (by default that of `max_clients_per_ip`) so
that a classroom behind one NAT address, all reconnecting after a server restart, gets in at once.

An address whose connection ends in Excess Flood pays `FLOOD_COST` tokens more, and its bucket may
go into debt (bounded: down to -burst): once its burst is spent, a flooder that keeps coming back
gets one connection per 1 + FLOOD_COST tokens (22 s at 30 a minute) instead of one per token,
while one student's accidental paste costs the rest of a classroom only a few tokens. Only the
monotonic clock is used, injected (sans-I/O). The table is bounded: it keeps the `MAX_ADDRESSES`
most recently seen addresses (least recently seen first, in dict order), and an address whose
bucket is full again is forgotten (`forget_idle`, at the server's periodic sweep), as a full
bucket is what an unknown address gets anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# what a refused IRC connection reads before the close (the web port answers 429 instead)
TOO_FAST_LINE = b"ERROR :Trying to reconnect too fast\r\n"
FLOOD_COST = 10.0  # tokens an Excess Flood disconnect costs its address on top of its connection
MAX_ADDRESSES = 4096  # addresses remembered at most (the least recently seen is forgotten first)


@dataclass(slots=True)
class ConnectThrottle:
    """Token buckets of connections per source address (mutable: it counts)."""

    per_minute: float
    burst: float
    max_addresses: int = MAX_ADDRESSES
    # address -> (tokens, when they were counted); least recently touched first
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0 and self.burst > 0

    def _tokens(self, ip: str, now: float) -> float:
        """The address's tokens now (refilled since it was last seen), its entry removed."""
        entry = self.buckets.pop(ip, None)
        if entry is None:
            return self.burst
        tokens, then = entry
        return min(self.burst, tokens + max(0.0, now - then) * self.per_minute / 60.0)

    def _store(self, ip: str, tokens: float, now: float) -> None:
        if tokens >= self.burst:
            return  # full: the same as not known
        self.buckets[ip] = (max(tokens, -self.burst), now)
        while len(self.buckets) > self.max_addresses:
            del self.buckets[next(iter(self.buckets))]

    def admit(self, ip: str, now: float) -> bool:
        """May `ip` open one more connection now? If so it costs a token."""
        if not self.enabled:
            return True
        tokens = self._tokens(ip, now)
        admitted = tokens >= 1.0
        self._store(ip, tokens - 1.0 if admitted else tokens, now)
        return admitted

    def penalize(self, ip: str, now: float, cost: float = FLOOD_COST) -> None:
        """A connection from `ip` ended badly (Excess Flood): take `cost` tokens, into debt."""
        if self.enabled:
            self._store(ip, self._tokens(ip, now) - cost, now)

    def forget_idle(self, now: float) -> None:
        """Forget every address whose bucket has refilled (the server's sweep calls this)."""
        for ip in [ip for ip, entry in self.buckets.items() if self._refilled(entry, now)]:
            del self.buckets[ip]

    def _refilled(self, entry: tuple[float, float], now: float) -> bool:
        tokens, then = entry
        return tokens + max(0.0, now - then) * self.per_minute / 60.0 >= self.burst
