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

Everything runs on the `websockets` asyncio server: its ``process_request`` hook answers plain
HTTP requests before any WebSocket handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import http
import json
import logging
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from websockets.asyncio.server import Server as WebSocketServer
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from socketchat import __version__
from socketchat.server.net.websocket import (
    BINARY,
    CLOSE_TIMEOUT,
    SUBPROTOCOLS,
    WebSocketLink,
    select_subprotocol,
    serve_websocket,
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
        self.links: set[WebSocketLink] = set()
        self.port = 0
        self._ws_server: WebSocketServer | None = None
        self._closed = False

    async def start(self) -> int:
        config = self.server.config
        limits = config.limits
        max_size = limits.max_line_bytes + limits.max_tag_bytes if limits.max_line_bytes else 0
        self._ws_server = await serve(
            self._handle,
            config.host,
            config.web_port,
            process_request=self._process_request,
            select_subprotocol=select_subprotocol,
            subprotocols=list(SUBPROTOCOLS),
            server_header=f"socketchat/{__version__}",
            compression=None,  # chat lines are short; per-connection zlib state costs memory
            max_size=max_size or 2**20,
            max_queue=16,
            ping_interval=30,
            ping_timeout=30,
            close_timeout=CLOSE_TIMEOUT,
            open_timeout=10,
            reuse_address=True,
        )
        self.port = int(next(iter(self._ws_server.sockets)).getsockname()[1])
        return self.port

    # -- HTTP --------------------------------------------------------------------------------
    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
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

    # -- WebSocket ---------------------------------------------------------------------------
    async def _handle(self, ws: ServerConnection) -> None:
        link = WebSocketLink(ws, binary=ws.subprotocol == BINARY)
        self.links.add(link)
        try:
            await serve_websocket(self.server, ws, link)
        finally:
            self.links.discard(link)

    # -- shutdown ----------------------------------------------------------------------------
    async def close(self) -> None:
        """Stop accepting; every client gets its ERROR line, then a close frame."""
        if self._closed or self._ws_server is None:
            return
        self._closed = True
        self._ws_server.close(close_connections=False)
        reason = getattr(self.runner, "stop_reason", "Server shutting down")
        for link in list(self.links):
            if link.session is not None:
                link.session.close(reason)
        self.server.flush()
        try:
            await asyncio.wait_for(self._ws_server.wait_closed(), CLOSE_TIMEOUT + 1)
        except TimeoutError:
            for link in list(self.links):
                link.abort()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ws_server.wait_closed(), 1)


async def start_web(runner: ServerRunner) -> WebListener:
    """Start the web listener on `config.web_port`; the runner stops it with the server."""
    web = WebListener(runner)
    runner.listening.web_port = await web.start()
    runner.add_closer(web.close)
    return web
