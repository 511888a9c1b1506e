"""Web Push (IRCv3 `draft/webpush`), sans-I/O: what is pushed, to whom, and when.

The core only decides and enqueues. A mention of a nick in a channel, or a private message,
to a person logged in to an account with subscriptions (`WEBPUSH REGISTER`, see
`commands/webpush.py`) becomes a *pending push* here:

* when no device (connection) of the account is connected, it is due at once;
* when one is, it is due `delay` seconds later (`[webpush] delay`): the device may be looking
  at that conversation, and a client that shows it says so with MARKREAD.

When it is due (`tick`, on the injected monotonic clock), the account's read marker of that
conversation (draft/read-marker, shared by all its devices and kept in storage) is read again:
if any device has read up to the message's time, nothing is pushed — never a notification for
what another device already read. Otherwise one `PushJob` per subscription goes into `queue`,
and `on_queued` tells the transport (`net/webpush.py`), which encrypts (RFC 8291, aes128gcm),
signs (VAPID, RFC 8292) and POSTs off the event loop, then reports each outcome back with
`delivered` on the core's thread: a 404 or 410 from the push service means the subscription is
gone, so it is removed. Both the pending list and the queue are bounded; what does not fit is
dropped and counted, never waited for.

In a cluster (docs/cluster.md) every node applies every line, and a push is a side effect that
must happen once: the sender's node alone decides, delays and sends it (its session is the only
one in its `Server.sessions`), from what every node holds alike — the account's devices on
every node (`ChatState.sessions_of` counts the shadows of other nodes' connections), its
subscriptions and read markers (in memory on every node, `server/cluster/store.py`), the
network's one VAPID key (`server/main.py`). A pending push lives only in that node's memory: if
the node stops or dies before it is due, it is not sent (and never twice: no other node knows
of it). A 404/410 is heard by that node only, so it goes through the log (``unpush``) and every
node forgets the subscription.

The payload is the IRC line itself, as the spec says (one message, no CRLF), with only the
`time`, `msgid` and `account` tags: push services take about 4 KiB, and the browser client's
service worker parses the line to show "#channel" or the nick, and the text.

Endpoints are checked when registered (`check_endpoint`): an https URL with a host, no user
info, at most `MAX_ENDPOINT` bytes; a plain http URL or an internal address (loopback, private,
link-local...) only for a host in `[webpush] allowed_hosts`. The transport checks the addresses
a name resolves to again when it connects (`is_internal`), so a DNS name cannot point the server
at its own network either.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import ipaddress
import logging
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from socketchat.irc.casemap import casefold
from socketchat.irc.message import Message, parse_tags
from socketchat.irc.servertime import parse_ms
from socketchat.server.persistence import persistence_of
from socketchat.storage.base import PushSubscription

if TYPE_CHECKING:
    from socketchat.server.config import WebPushSettings
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel

log = logging.getLogger("socketchat.webpush")

CAP = "draft/webpush"
MAX_ENDPOINT = 1024  # bytes of an endpoint URL (browsers' are ~200)
MAX_PENDING = 10_000  # pushes waiting for their delay, server-wide
# the tags a push keeps: the spec lets a server drop tags but never msgid
_PUSH_TAGS = ("time", "msgid", "account")
# characters that join a nick to the word around it (as weechat's highlight_regex, and ergo)
_JOINERS = frozenset("-_|")


@dataclass(frozen=True, slots=True)
class PushJob:
    """One push to send: the subscription it goes to and the plaintext (the IRC line)."""

    account: str  # folded
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    urgency: str = "high"  # RFC 8030 Urgency: a mention or a message is "high"
    ttl: int = 86400


@dataclass(order=True, slots=True)
class _Pending:
    due: float
    seq: int
    account: str = field(compare=False)
    target: str = field(compare=False)  # the conversation as the account names it (MARKREAD)
    time_ms: int = field(compare=False)
    payload: bytes = field(compare=False)


# -- checks on what a client registers ------------------------------------------------------


def decode_b64url(value: str) -> bytes | None:
    """URL-safe base64, padded or not (browsers send it unpadded); None if it is not."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def parse_keys(raw: str) -> tuple[str, str] | None:
    """The `<keys>` of WEBPUSH REGISTER (message-tag syntax: ``p256dh=...;auth=...``) as
    (p256dh, auth), or None unless p256dh is an uncompressed P-256 point (65 bytes, 0x04
    first) and auth is 16 bytes, both URL-safe base64 (RFC 8291)."""
    try:
        tags = parse_tags(raw)
    except ValueError:
        return None
    p256dh, auth = tags.get("p256dh", ""), tags.get("auth", "")
    point, secret = decode_b64url(p256dh), decode_b64url(auth)
    if point is None or len(point) != 65 or point[0] != 4 or secret is None or len(secret) != 16:
        return None
    return p256dh, auth


def is_internal(address: str) -> bool:
    """Is `address` (an IP) one the server must not send to unless allowed: loopback,
    private, link-local (cloud metadata at 169.254.169.254), CGNAT, multicast, unspecified,
    reserved?"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
        or ip in ipaddress.ip_network("100.64.0.0/10")
        or not ip.is_global
    )


def host_allowed(host: str, port: int | None, allowed: tuple[str, ...]) -> bool:
    """Is `host` (or `host:port`) in `[webpush] allowed_hosts`?"""
    host = host.lower()
    for entry in allowed:
        entry = entry.lower().strip()
        if entry == host or (port is not None and entry == f"{host}:{port}"):
            return True
        if entry.startswith("[") and entry.rstrip("]") == f"[{host}":  # [::1]
            return True
    return False


def check_endpoint(endpoint: str, allowed: tuple[str, ...]) -> str | None:
    """Why `endpoint` cannot be a push endpoint (one sentence), or None if it can."""
    if len(endpoint.encode("utf-8", "replace")) > MAX_ENDPOINT:
        return "the endpoint URL is too long"
    try:
        url = urlsplit(endpoint)
        port = url.port
    except ValueError:
        return "the endpoint is not a URL"
    host = url.hostname or ""
    if not host or url.username is not None or url.password is not None:
        return "the endpoint needs a host and no user name"
    if any(c.isspace() or ord(c) < 32 for c in endpoint):
        return "the endpoint is not a URL"
    exempt = host_allowed(host, port, allowed)
    if url.scheme != "https" and not (url.scheme == "http" and exempt):
        return "the endpoint must be an https URL"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        literal = False
    else:
        literal = True
    if literal and is_internal(host) and not exempt:
        return "the endpoint is an internal address"
    if not literal and (host == "localhost" or host.endswith(".localhost")) and not exempt:
        return "the endpoint is an internal address"
    return None


# -- mentions ---------------------------------------------------------------------------------


def _joins(c: str) -> bool:
    """Does `c` continue a word (so a nick next to it is not mentioned on its own)?"""
    return c in _JOINERS or unicodedata.category(c)[0] in "LNM"


def mentions(text: str, nick: str) -> bool:
    """Does `text` mention `nick` as a word (case-insensitively, not inside a longer word nor
    a URL's scheme)? ``alice: hi``, ``hi @alice!`` and ``سلام alice`` do; ``malice``,
    ``alice_bot`` and ``alice://x`` do not."""
    if not nick:
        return False
    haystack, needle = text.casefold(), nick.casefold()
    start = 0
    while (i := haystack.find(needle, start)) >= 0:
        end = i + len(needle)
        before = haystack[i - 1] if i else " "
        after = haystack[end] if end < len(haystack) else " "
        if not _joins(before) and not _joins(after) and not haystack.startswith("://", end):
            return True
        start = i + 1
    return False


def _text_of(msg: Message) -> str | None:
    """The words of a PRIVMSG that may mention someone: its text, or an ACTION's; None for
    other CTCP (VERSION, PING...), which is no one's concern."""
    text = msg.param(1)
    if text.startswith("\x01"):
        if not text.startswith("\x01ACTION"):
            return None
        return text[len("\x01ACTION") :].strip("\x01 ")
    return text


def payload_of(msg: Message) -> bytes:
    """The push payload: the IRC line with only time, msgid and account, without CRLF."""
    tags = {k: msg.tags[k] for k in _PUSH_TAGS if k in msg.tags}
    return msg.to_bytes(tags)[:-2]


# -- the notifier -----------------------------------------------------------------------------


class PushNotifier:
    """The server's side of Web Push: decides, delays, enqueues; told the outcomes.

    Off (every method a no-op, WEBPUSH refused) until `enable` is given the VAPID public key:
    `server/main.py` does that when the keys and the library are there and storage is on.
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        self.vapid_public_key = ""  # URL-safe base64 of the uncompressed P-256 point
        self._pending: list[_Pending] = []
        self._seq = 0
        self.queue: deque[PushJob] = deque()  # for the transport (net/webpush.py)
        self.on_queued: Callable[[], None] = lambda: None
        # counters (logged at shutdown, asserted by tests)
        self.queued = 0
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self.removed = 0
        self.suppressed = 0  # due, but read on another device by then

    @property
    def settings(self) -> WebPushSettings:
        return self.server.config.webpush

    @property
    def enabled(self) -> bool:
        return bool(self.vapid_public_key) and self.settings.enabled

    def enable(self, vapid_public_key: str) -> None:
        """Start offering draft/webpush with this VAPID key (ISUPPORT VAPID=<key>)."""
        self.vapid_public_key = vapid_public_key
        self.server.static_numerics.clear()  # ISUPPORT gains VAPID
        self.server.add_caps({CAP: ""})

    def isupport(self) -> list[str]:
        return [f"VAPID={self.vapid_public_key}"] if self.enabled else []

    # -- decisions --------------------------------------------------------------------------
    def channel_message(self, sender: Session, channel: Channel, msg: Message) -> None:
        """A PRIVMSG `msg` was relayed to `channel`: push it to members it mentions.

        Only on the sender's own node: in a cluster every node applies every line
        (`server/cluster/replica.py`), and a push is a side effect that must happen once;
        other nodes' connections are not in `Server.sessions`."""
        if not self.enabled or msg.command != "PRIVMSG" or sender not in self.server.sessions:
            return
        text = _text_of(msg)
        if not text:
            return
        seen: set[str] = set()
        skip = casefold(sender.account) if sender.account else None
        for member in channel.members:
            account = member.account
            if not account or member is sender.user:
                continue
            folded = casefold(account)
            if folded == skip or folded in seen or not mentions(text, member.nick):
                continue
            seen.add(folded)
            self._consider(folded, channel.name, msg)

    def private_message(self, sender: Session, account: str | None, msg: Message) -> None:
        """A PRIVMSG `msg` went to a person logged in to `account` (connected or not: an
        always-on account or one that takes offline messages may call this too)."""
        if not self.enabled or not account or msg.command != "PRIVMSG":
            return
        if sender not in self.server.sessions:
            return  # a cluster's other node relayed it: that node pushes (once)
        if _text_of(msg) is None:
            return
        folded = casefold(account)
        if sender.account and casefold(sender.account) == folded:
            return  # one's own devices (multiclient) saw it
        self._consider(folded, sender.nick, msg)

    def _consider(self, account: str, target: str, msg: Message) -> None:
        persistence = persistence_of(self.server)
        if persistence is None or not persistence.push_subscriptions(account):
            return
        time_ms = parse_ms(msg.tags.get("time", "")) or int(self.server.clock() * 1000)
        online = bool(self.server.state.sessions_of(account))
        now = self.server.monotonic()
        due = now + (self.settings.delay if online else 0.0)
        if len(self._pending) >= MAX_PENDING:
            self._dropped(account)
            return
        self._seq += 1
        heapq.heappush(
            self._pending, _Pending(due, self._seq, account, target, time_ms, payload_of(msg))
        )
        if due <= now:
            self.tick()
        else:
            self.server.tick_wanted(due - now)

    def pending_count(self) -> int:
        """Pushes waiting for their delay, or in the queue for the transport."""
        return len(self._pending) + len(self.queue)

    def next_due(self) -> float | None:
        """Monotonic time of the next pending push, if any."""
        return self._pending[0].due if self._pending else None

    def tick(self) -> None:
        """Send what is due and still unread (called by `Server.tick`, and at once for a
        push that needs no delay)."""
        now = self.server.monotonic()
        ready = False
        while self._pending and self._pending[0].due <= now:
            item = heapq.heappop(self._pending)
            ready = self._release(item) or ready
        if ready:
            self.on_queued()

    def _release(self, item: _Pending) -> bool:
        persistence = persistence_of(self.server)
        if persistence is None or not self.enabled:
            return False
        marker = persistence.read_marker(item.account, item.target)
        if marker is not None and marker >= item.time_ms:
            self.suppressed += 1
            return False
        queued = False
        settings = self.settings
        for sub in persistence.push_subscriptions(item.account):
            if len(self.queue) >= settings.max_queue:
                self._dropped(item.account)
                continue
            self.queue.append(
                PushJob(
                    sub.account,
                    sub.endpoint,
                    sub.p256dh,
                    sub.auth,
                    item.payload,
                    "high",
                    settings.ttl,
                )
            )
            self.queued += 1
            queued = True
        return queued

    def _dropped(self, account: str) -> None:
        self.dropped += 1
        if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
            log.warning("webpush: %d pushes dropped so far (queue full)", self.dropped)

    # -- outcomes (from the transport, on the core's thread) -------------------------------
    def delivered(self, job: PushJob, status: int | None, error: str = "") -> None:
        """The push service answered `status` (None: no answer — `error` says why)."""
        if status is not None and 200 <= status < 300:
            self.sent += 1
            return
        if status in (404, 410):  # RFC 8030 §7.3: the subscription has expired or is gone
            persistence = persistence_of(self.server)
            sequencer = self.server.sequencer
            if sequencer is not None:  # a cluster: every node forgets it, through the log
                sequencer.push_gone(job.account, job.endpoint)
                self.removed += 1
            elif persistence is not None:
                persistence.remove_push_subscription(job.account, job.endpoint)
                self.removed += 1
                self.server.wakeup()  # commit it with the next flush
            log.info("webpush: %s's subscription answered %d: removed", job.account, status)
            return
        self.failed += 1
        log.info(
            "webpush: push to %s's device failed: %s",
            job.account,
            f"HTTP {status}" if status is not None else error or "no answer",
        )

    # -- subscriptions (WEBPUSH REGISTER/UNREGISTER) -----------------------------------------
    def register(self, account: str, endpoint: str, p256dh: str, auth: str) -> bool:
        """Keep a subscription of `account`; False if it has `max_subscriptions` already."""
        persistence = persistence_of(self.server)
        if persistence is None:
            return False
        folded = casefold(account)
        have = persistence.push_subscriptions(folded)
        replacing = any(sub.endpoint == endpoint for sub in have)
        limit = self.settings.max_subscriptions
        if not replacing and limit and len(have) >= limit:
            return False
        persistence.add_push_subscription(
            PushSubscription(folded, endpoint, p256dh, auth, self.server.clock())
        )
        return True

    def unregister(self, account: str, endpoint: str) -> None:
        persistence = persistence_of(self.server)
        if persistence is not None:
            persistence.remove_push_subscription(casefold(account), endpoint)
