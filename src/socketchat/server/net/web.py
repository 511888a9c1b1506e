"""The web listener: the browser client's files, `/healthz`, and IRC over WebSocket on `/ws`.

One HTTP port (``--web-port``, 0 turns it off) serves:

* ``/`` and the files of `socketchat/web/static/` (read once at start; an unknown path is 404, so
  no path can reach outside that folder), with ETags, ``Cache-Control`` and a restrictive
  Content-Security-Policy;
* ``/healthz``: JSON for operators (status, users, channels, connections, uptime);
* ``/ws``: the IRCv3 WebSocket transport (`net/websocket.py`), into the same sessions, limits and
  flood control as TCP. A browser's ``Origin`` must be this page's own origin (scheme + the
  ``Host`` it asked for) or one of ``config.web_origins``; a request without ``Origin`` (not a
  browser) is allowed.

Each connection is a `net/websocket.py` protocol driven by `websockets`' sans-I/O server: it
parses the request, asks `handle_request` for a plain HTTP answer, and otherwise completes the
WebSocket handshake. One request per connection (``Connection: close``).
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import http
import json
import logging
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from socketchat import __version__
from socketchat.server.net.websocket import (
    CLOSE_TIMEOUT,
    PING_INTERVAL,
    WebEndpoint,
    WebSocketConnection,
)

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.net.runner import ServerRunner

log = logging.getLogger("socketchat.server")

WS_PATH = "/ws"
HEALTH_PATH = "/healthz"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}

# Scripts, styles and images only from this server; network access only to this server (the
# WebSocket); no frames, plugins, forms or <base>.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' {ws}; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    content_type: str
    etag: str
    cache_control: str


def load_static(folder: Traversable | None = None) -> dict[str, StaticFile]:
    """URL path → file, for every file with a known type under the static folder."""
    root = folder if folder is not None else resources.files("socketchat.web") / "static"
    files: dict[str, StaticFile] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name.startswith("."):
                continue
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
                continue
            suffix = "." + child.name.rpartition(".")[2] if "." in child.name else ""
            content_type = CONTENT_TYPES.get(suffix)
            if content_type is None:
                continue
            body = child.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            # The page itself is always revalidated; assets may be reused for a minute.
            cache = "no-cache" if suffix == ".html" else "public, max-age=60"
            files[f"{prefix}{child.name}"] = StaticFile(body, content_type, etag, cache)

    walk(root, "/")
    if "/index.html" in files:
        files["/"] = files["/index.html"]
    return files


def http_response(
    status: int, body: bytes, content_type: str, extra: tuple[tuple[str, str], ...] = ()
) -> Response:
    code = http.HTTPStatus(status)
    headers = Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Connection", "close"),
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            *SECURITY_HEADERS,
            *extra,
        ]
    )
    return Response(code.value, code.phrase, headers, body)


def text_response(status: int, text: str) -> Response:
    return http_response(
        status, text.encode(), "text/plain; charset=utf-8", (("Cache-Control", "no-store"),)
    )


class WebListener:
    """The HTTP + WebSocket listener of one server."""

    def __init__(self, runner: ServerRunner, files: dict[str, StaticFile] | None = None) -> None:
        self.runner = runner
        self.server: Server = runner.server
        self.files = files if files is not None else load_static()
        limits = self.server.config.limits
        max_size = limits.max_line_bytes + limits.max_tag_bytes if limits.max_line_bytes else 0
        self.endpoint = WebEndpoint(
            self.server,
            self.handle_request,
            max_size=max_size or 2**20,
            server_header=f"socketchat/{__version__}",
        )
        self.port = 0
        self._listener: asyncio.base_events.Server | None = None
        self._keepalive: asyncio.TimerHandle | None = None
        self._closed = False

    @property
    def links(self) -> set[WebSocketConnection]:
        """The WebSocket connections that carry an IRC session."""
        return self.endpoint.open_links

    async def start(self) -> int:
        config = self.server.config
        loop = asyncio.get_running_loop()
        endpoint = self.endpoint
        self._listener = await loop.create_server(
            lambda: WebSocketConnection(endpoint),
            config.host,
            config.web_port,
            reuse_address=True,
        )
        self.port = int(self._listener.sockets[0].getsockname()[1])
        self._keepalive = loop.call_later(PING_INTERVAL, self._ping_all)
        return self.port

    def _ping_all(self) -> None:
        for link in list(self.endpoint.open_links):
            link.keepalive()
        self._keepalive = asyncio.get_running_loop().call_later(PING_INTERVAL, self._ping_all)

    # -- HTTP --------------------------------------------------------------------------------
    def handle_request(self, request: Request) -> Response | None:
        """A plain HTTP answer, or None to go on with the WebSocket handshake on `/ws`."""
        path = request.path.partition("?")[0]
        if path == WS_PATH:
            origin = request.headers.get("Origin")
            if origin is not None and not self.origin_allowed(origin, request.headers.get("Host")):
                log.info("web: refused WebSocket from origin %r", origin)
                return text_response(403, "Origin not allowed\n")
            return None  # go on with the WebSocket handshake
        if path == HEALTH_PATH:
            return self._health()
        file = self.files.get(path)
        if file is None:
            return text_response(404, "Not found\n")
        cache: tuple[tuple[str, str], ...] = (
            ("Cache-Control", file.cache_control),
            ("ETag", file.etag),
        )
        if file.etag in (request.headers.get("If-None-Match") or "").replace(" ", "").split(","):
            return http_response(304, b"", file.content_type, cache)
        if file.content_type.startswith("text/html"):
            cache += (("Content-Security-Policy", self._csp(request)),)
        return http_response(200, file.body, file.content_type, cache)

    def origin_allowed(self, origin: str, host: str | None) -> bool:
        if origin in self.server.config.web_origins:
            return True
        if not host:
            return False
        return origin.lower() in (f"http://{host}".lower(), f"https://{host}".lower())

    def _csp(self, request: Request) -> str:
        host = request.headers.get("Host") or ""
        safe = host and all(c.isalnum() or c in ".-:[]" for c in host)
        ws = f"ws://{host}{WS_PATH} wss://{host}{WS_PATH}" if safe else ""
        return CSP.format(ws=ws).replace("  ", " ")

    def _health(self) -> Response:
        server = self.server
        body = {
            "status": "ok",
            "users": server.state.user_count(),
            "channels": server.state.channel_count(),
            "connections": len(server.sessions),
            "websocket_connections": len(self.links),
            "uptime": round(server.clock() - server.started_at, 3),
            "version": __version__,
        }
        return http_response(
            200,
            json.dumps(body).encode(),
            "application/json",
            (("Cache-Control", "no-store"),),
        )

    # -- shutdown ----------------------------------------------------------------------------
    async def close(self) -> None:
        """Stop accepting; every client gets its ERROR line, then a close frame."""
        if self._closed or self._listener is None:
            return
        self._closed = True
        endpoint = self.endpoint
        endpoint.closing = True
        self._listener.close()
        if self._keepalive is not None:
            self._keepalive.cancel()
        reason = getattr(self.runner, "stop_reason", "Server shutting down")
        for link in list(endpoint.open_links):
            if link.session is not None:
                link.session.close(reason)
        self.server.flush()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CLOSE_TIMEOUT + 1
        while endpoint.connections and loop.time() < deadline:
            await asyncio.sleep(0.02)
        for connection in list(endpoint.connections):
            connection.abort()


async def start_web(runner: ServerRunner) -> WebListener:
    """Start the web listener on `config.web_port`; the runner stops it with the server."""
    web = WebListener(runner)
    runner.listening.web_port = await web.start()
    runner.add_closer(web.close)
    return web
