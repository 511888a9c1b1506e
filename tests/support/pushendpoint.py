"""A push service for tests: a real HTTP server on a free port that takes Web Push POSTs, and a
subscription made as a browser makes one (a P-256 key pair and a 16-byte auth secret), which
decrypts what arrives (RFC 8291 aes128gcm) and checks the VAPID signature (RFC 8292)."""

from __future__ import annotations

import base64
import json
import os
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece  # type: ignore[import-untyped]
import py_vapid  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class BrowserSubscription:
    """What `PushManager.subscribe` makes in a browser: a key pair and an auth secret."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = b64url(point)
        self.auth_secret = os.urandom(16)
        self.auth = b64url(self.auth_secret)

    @property
    def keys(self) -> str:
        """The `<keys>` parameter of WEBPUSH REGISTER."""
        return f"p256dh={self.p256dh};auth={self.auth}"

    def decrypt(self, body: bytes) -> bytes:
        return bytes(
            http_ece.decrypt(
                body,
                private_key=self.private_key,
                auth_secret=self.auth_secret,
                version="aes128gcm",
            )
        )


def vapid_claims(authorization: str, public_key: str) -> dict[str, object]:
    """The claims of a ``vapid t=...,k=...`` header, after checking its signature and that
    `k` is the server's advertised key."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(item.split("=", 1) for item in rest.split(","))
    assert parts["k"] == public_key
    assert py_vapid.Vapid02.verify(authorization), "bad VAPID signature"
    claims_b64 = parts["t"].split(".")[1]
    claims: dict[str, object] = json.loads(unb64url(claims_b64))
    return claims


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushEndpoint:
    port: int = 0
    scheme: str = "http"
    received: list[Received] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)  # path -> answer (default 201)
    hang: set[str] = field(default_factory=set)  # paths that never answer
    arrived: threading.Condition = field(default_factory=threading.Condition)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def wait(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until `count` pushes arrived (all of them so far)."""
        with self.arrived:
            ok = self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
        assert ok, f"{len(self.received)} pushes arrived, {count} expected"
        return list(self.received)


@contextmanager
def push_endpoint(tls: tuple[str, str] | None = None) -> Iterator[PushEndpoint]:
    """The push service, over https with `tls` (certificate, key), else plain http."""
    endpoint = PushEndpoint(scheme="https" if tls else "http")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if self.path in endpoint.hang:
                endpoint.release.wait(30)
                return
            with endpoint.arrived:
                endpoint.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                endpoint.arrived.notify_all()
            self.send_response(endpoint.status.get(self.path, 201))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*tls)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    endpoint.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="push-endpoint", daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        endpoint.release.set()
        server.shutdown()
        server.server_close()
