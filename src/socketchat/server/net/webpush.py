"""Web Push, the I/O half: VAPID keys in the data dir (a cluster's in its shared database),
and the worker that POSTs pushes.

`server/webpush.py` (sans-I/O) decides what to push and puts `PushJob`s in its queue; this
module takes them from there on the event loop and sends each one:

1. encrypts the payload for the subscription (RFC 8291, ``aes128gcm``, with `http_ece`: a new
   ephemeral P-256 key and salt per message) and signs a VAPID token (RFC 8292, with
   `py_vapid`: ``Authorization: vapid t=<JWT>,k=<public key>``, the JWT's ``aud`` the
   endpoint's origin, valid 12 hours) — CPU work, done on a worker thread;
2. resolves the endpoint's host and refuses it if any address is internal (loopback, private,
   link-local...; `webpush.is_internal`) unless the host is in `[webpush] allowed_hosts`, then
   connects to the checked address itself (no second lookup a DNS rebinding could change), with
   TLS verified against the host name for https;
3. POSTs (HTTP/1.1, ``Connection: close``, TTL and Urgency headers), reads only the status line,
   and reports it back (`PushNotifier.delivered`): 201 is done; 404/410 removes the
   subscription; anything else is logged. Redirects are not followed.

`concurrency` workers run at once, each send bounded by `timeout` seconds from start to status
line; at most `max_queue` jobs wait (the rest are dropped and counted). Nothing here can raise
into the event loop or make it wait: a hung or hostile push service costs one worker its
timeout.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import http_ece  # type: ignore[import-untyped]
import py_vapid  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from socketchat.server.core import Server
from socketchat.server.webpush import PushJob, decode_b64url, host_allowed, is_internal
from socketchat.storage.base import StorageError
from socketchat.storage.datadir import load_secret

if TYPE_CHECKING:
    from socketchat.storage.postgres import PostgresBackend

log = logging.getLogger("socketchat.webpush")

VAPID_KEY_FILE = "vapid.key"  # in the data dir: the VAPID private key (32 bytes, 0600)
NETWORK_SECRET = "vapid"  # a cluster's: in the shared database (`VapidKeys.for_network`)
TOKEN_LIFETIME = 12 * 3600  # seconds a VAPID token is valid (RFC 8292: at most 24 hours)
USER_AGENT = "socketchat-webpush"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class VapidKeys:
    """The server's VAPID key pair (P-256), made once and kept in the data dir like the cloak
    key: subscriptions are tied to the public key, so a new key would silence every device."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self.private_key = private_key
        point = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.public_key = b64url(point)  # what ISUPPORT VAPID= and the browser get
        self._vapid = py_vapid.Vapid02(private_key)

    @classmethod
    def load(cls, directory: str) -> VapidKeys:
        """The key in `directory/vapid.key`, made on first use (raises `StorageError`)."""
        raw = load_secret(directory, VAPID_KEY_FILE, 32)
        return cls.from_secret(raw, f"the key file {directory}/{VAPID_KEY_FILE}")

    @classmethod
    def from_secret(cls, raw: bytes, where: str) -> VapidKeys:
        """The key whose private scalar is `raw` (32 bytes, big-endian), kept in `where`."""
        try:
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        except ValueError:  # 0 or >= the group order: about one in 2**32 random keys
            raise StorageError(
                f"{where} is not a P-256 key: remove it to make a new one (browsers then"
                " subscribe again)"
            ) from None
        return cls(key)

    @classmethod
    def for_network(cls, backend: PostgresBackend, directory: str) -> VapidKeys:
        """A cluster's one key, kept in the shared database (`network_secret`): every node
        signs with it, so a browser subscribed through one node is pushed to by any. The
        first node to start keeps its data dir's `vapid.key` there if it has one (a single
        server that becomes a cluster keeps its browsers' subscriptions), else a new key.
        In the database, not in Redis: the subscriptions it signs for live there too, and a
        Redis that restarts empty must not silence every browser."""
        path = Path(directory) / VAPID_KEY_FILE
        try:
            candidate = path.read_bytes()
        except OSError:
            candidate = b""
        if len(candidate) != 32:
            value = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
            candidate = value.to_bytes(32, "big")
        raw = backend.network_secret(NETWORK_SECRET, candidate)
        return cls.from_secret(raw, f"the network's VAPID key ({NETWORK_SECRET!r} in the database)")

    def authorization(self, endpoint: str, subscriber: str, now: float) -> str:
        """The ``Authorization`` header for a POST to `endpoint`."""
        url = urlsplit(endpoint)
        claims = {
            "aud": f"{url.scheme}://{url.netloc}",
            "exp": int(now) + TOKEN_LIFETIME,
            "sub": subscriber,
        }
        return str(self._vapid.sign(claims)["Authorization"])


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """`payload` encrypted for one subscription (RFC 8291 aes128gcm: the body's header holds
    the salt, record size and the sender's ephemeral public key)."""
    dh, secret = decode_b64url(p256dh), decode_b64url(auth)
    if dh is None or secret is None:
        raise ValueError("bad subscription keys")
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    return bytes(
        http_ece.encrypt(
            payload, private_key=ephemeral, dh=dh, auth_secret=secret, version="aes128gcm"
        )
    )


class PushRefused(Exception):
    """The endpoint may not be sent to (an internal address that is not allowed)."""


class PushSender:
    """Takes the core's push queue and sends it, `concurrency` at a time (see the module)."""

    def __init__(self, server: Server, keys: VapidKeys) -> None:
        self.server = server
        self.keys = keys
        settings = server.config.webpush
        self.subscriber = settings.subscriber or (
            f"mailto:{server.config.admin_email}"
            if server.config.admin_email
            else f"https://{server.config.name}"
        )
        self._jobs: asyncio.Queue[PushJob] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        # made at the first https push: loading the system's CA certificates takes tens of
        # milliseconds, which start-up (before the signal handlers are in place) should not
        self._tls: ssl.SSLContext | None = None

    def start(self) -> None:
        settings = self.server.config.webpush
        self.server.push.on_queued = self._take
        self._workers = [
            asyncio.get_running_loop().create_task(self._work(), name=f"webpush-{i}")
            for i in range(max(1, settings.concurrency))
        ]
        self._take()

    async def stop(self) -> None:
        self.server.push.on_queued = lambda: None
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if self._jobs.qsize():
            log.info("webpush: %d pushes not sent at shutdown", self._jobs.qsize())

    def _take(self) -> None:
        """Move what the core queued to the workers (bounded: the core counts drops)."""
        queue = self.server.push.queue
        limit = self.server.config.webpush.max_queue
        while queue:
            job = queue.popleft()
            if self._jobs.qsize() >= limit:
                self.server.push.dropped += 1
                continue
            self._jobs.put_nowait(job)

    async def _work(self) -> None:
        while True:
            job = await self._jobs.get()
            status: int | None = None
            error = ""
            try:
                status = await asyncio.wait_for(self.send(job), self.server.config.webpush.timeout)
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                error = "timed out"
            except PushRefused as exc:
                error = str(exc)
            except (OSError, ssl.SSLError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            except Exception as exc:  # a bug: never let it end the worker
                log.exception("webpush: sending failed")
                error = f"{type(exc).__name__}"
            try:
                self.server.push.delivered(job, status, error)
                self.server.wakeup()
            except Exception:
                log.exception("webpush: recording the outcome failed")

    async def send(self, job: PushJob) -> int:
        """POST one push; the HTTP status of the answer."""
        loop = asyncio.get_running_loop()
        url = urlsplit(job.endpoint)
        https = url.scheme == "https"
        host = url.hostname or ""
        port = url.port or (443 if https else 80)
        body, authorization = await loop.run_in_executor(None, self._prepare, job)
        address = await self._address(host, port)
        if https and self._tls is None:
            self._tls = ssl.create_default_context()
        reader, writer = await asyncio.open_connection(
            address,
            port,
            ssl=self._tls if https else None,
            server_hostname=host if https else None,
        )
        try:
            path = url.path or "/"
            if url.query:
                path += "?" + url.query
            head = (
                f"POST {path} HTTP/1.1\r\n"
                f"Host: {url.netloc}\r\n"
                f"User-Agent: {USER_AGENT}\r\n"
                f"TTL: {job.ttl}\r\n"
                f"Urgency: {job.urgency}\r\n"
                "Content-Type: application/octet-stream\r\n"
                "Content-Encoding: aes128gcm\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"Authorization: {authorization}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + body)
            await writer.drain()
            line = await reader.readline()
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
                raise ValueError("not an HTTP answer")
            return int(parts[1])
        finally:
            writer.close()

    def _prepare(self, job: PushJob) -> tuple[bytes, str]:
        """Encrypt and sign (on a worker thread: ECDH, AES-GCM and ECDSA)."""
        body = encrypt(job.payload, job.p256dh, job.auth)
        return body, self.keys.authorization(job.endpoint, self.subscriber, time.time())

    async def _address(self, host: str, port: int) -> str:
        """The address to connect to: every one `host` resolves to must be public, unless the
        host is allowed (`[webpush] allowed_hosts`)."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [str(info[4][0]) for info in infos]
        if not addresses:
            raise PushRefused(f"{host} has no address")
        allowed = host_allowed(host, port, self.server.config.webpush.allowed_hosts)
        if not allowed and any(is_internal(a) for a in addresses):
            raise PushRefused(f"{host} resolves to an internal address")
        return addresses[0]
