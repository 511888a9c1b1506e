"""The web listener: the browser client's files, `/healthz`, and IRC over WebSocket.

One HTTP port (``--web-port``, 0 turns it off) serves:

* ``/`` and the files of `socketchat/web/static/` (read once at start; an unknown path is 404, so
  no path can reach outside that folder), with ETags, ``Cache-Control`` and a restrictive
  Content-Security-Policy; ``GET`` and ``HEAD`` only (other methods: 405 with ``Allow``);
* ``/healthz``: JSON for operators (status, users, channels, connections, uptime);
* a WebSocket upgrade on any path (the page uses ``/ws``; irctest, gamja and Kiwi IRC use ``/``
  or their own): the IRCv3 WebSocket transport (`net/websocket.py`), into the same sessions,
  limits and flood control as TCP.

A browser's ``Origin`` must be one of the addresses this server listens on (see
`OriginPolicy`), or one of ``config.web_origins``; a request without ``Origin`` (not a browser)
is allowed. It is never compared with the request's own ``Host``: under DNS rebinding an
attacker's page at ``http://evil.example`` reaches a 127.0.0.1-only server with
``Host: evil.example``, and would match.

Each connection is a `net/websocket.py` protocol: it splits the input into request heads
(`net/http.py`), asks `handle_request` for an answer to each, and on an upgrade hands the
connection to `websockets`' sans-I/O server for the handshake.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import socket
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from socketchat import __version__
from socketchat.server.net.http import (
    ALLOWED_METHODS,
    KNOWN_METHODS,
    HttpResponse,
    RequestHead,
    http_response,
    text_response,
)
from socketchat.server.net.stream import TLS_HANDSHAKE_TIMEOUT
from socketchat.server.net.websocket import (
    CLOSE_TIMEOUT,
    PING_INTERVAL,
    Upgrade,
    WebEndpoint,
    WebSocketConnection,
)
from socketchat.server.proxies import TrustedNetworks, forwarded_client, parse_ip

try:  # the extra [metrics]; without prometheus-client /metrics answers 503 (METRICS_MISSING)
    from socketchat.server.net.metrics import Metrics

    HAVE_METRICS = True
except ImportError:
    HAVE_METRICS = False

if TYPE_CHECKING:
    from socketchat.server.config import ServerConfig
    from socketchat.server.core import Server
    from socketchat.server.net.runner import ServerRunner

log = logging.getLogger("socketchat.server")

WS_PATH = "/ws"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"  # `metrics = true` (net/metrics.py)
METRICS_MISSING = (
    "metrics = true needs the prometheus-client library: pip install 'socketchat[metrics]'"
)

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
            # The page itself is always revalidated, and so is the service worker (a browser
            # checks it for updates; a stale one would keep old code); assets may be reused
            # for a minute.
            fresh = suffix == ".html" or child.name == "sw.js"
            cache = "no-cache" if fresh else "public, max-age=60"
            files[f"{prefix}{child.name}"] = StaticFile(body, content_type, etag, cache)

    walk(root, "/")
    if "/index.html" in files:
        files["/"] = files["/index.html"]
    if "/admin.html" in files:  # the operators' page (admin.js: IRC over the WebSocket)
        files["/admin"] = files["/admin.html"]
    return files


Origin = tuple[str, str, int]  # scheme, host (lower-case; IPv6 without brackets), port

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK_NAMES = ("localhost",)


def parse_origin(origin: str) -> Origin | None:
    """``scheme://host[:port]`` → its parts, or None for anything else (``null``, paths)."""
    try:
        parts = urlsplit(origin.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username is not None:
        return None
    return scheme, host.lower().rstrip("."), port if port is not None else _DEFAULT_PORTS[scheme]


def _is_wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


class OriginPolicy:
    """Which browser pages may open a WebSocket: the server's own addresses, and configured ones.

    Allowed, on the port the connection arrived on (http or https):

    * the IP address the connection arrived on (an IP literal cannot be rebound by DNS);
    * for a connection that arrived on a loopback address: any loopback address, ``localhost``
      and ``*.localhost`` (browsers resolve those to loopback themselves, RFC 6761);
    * the configured ``host`` when it is a name rather than an address;
    * when listening on every interface (``0.0.0.0``/``::``): also this machine's hostname
      and its mDNS name (``<hostname>.local``);
      any of the machine's addresses is covered by the first rule, since it is the one the
      connection arrived on.

    And every Origin in ``web_origins`` exactly (scheme, host and port; for a reverse proxy's
    public name). Everything else is refused, whatever the request's ``Host`` says.
    """

    def __init__(self, host: str, web_origins: tuple[str, ...]) -> None:
        self.configured = {o for o in (parse_origin(x) for x in web_origins) if o is not None}
        self.names: set[str] = set()
        if host and parse_ip(host) is None:
            self.names.add(host.lower().rstrip("."))
        if _is_wildcard(host):
            # the machine's name, as such and as its mDNS name on the LAN (a classroom's
            # http://teacher-pc.local:8080/); neither is a name a remote attacker controls
            hostname = socket.gethostname().lower().rstrip(".")
            self.names.update((hostname, hostname.split(".")[0] + ".local"))

    def allowed(self, origin: str, local: tuple[str, int]) -> bool:
        parsed = parse_origin(origin)
        if parsed is None:
            return False
        if parsed in self.configured:
            return True
        _scheme, host, port = parsed
        local_ip, local_port = local
        if port != local_port:
            return False
        if host in self.names:
            return True
        arrived = parse_ip(local_ip)
        if arrived is None:
            return False
        origin_ip = parse_ip(host)
        if origin_ip == arrived:
            return True
        if not arrived.is_loopback:
            return False
        if origin_ip is not None:
            return origin_ip.is_loopback  # a page of this machine's loopback (127.0.0.1, [::1])
        return host in _LOOPBACK_NAMES or host.endswith(".localhost")


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
        config = self.server.config
        self.origins = OriginPolicy(config.host, config.web_origins)
        self.trusted = TrustedNetworks(config.trusted_proxies)
        self.proxy_header = config.trusted_proxy_header.lower()
        self.endpoint.exempt = lambda ip: self.trusted.contains(ip)
        self.port = 0
        self._listener: asyncio.base_events.Server | None = None
        self._keepalive: asyncio.TimerHandle | None = None
        self._closed = False
        self._metrics_impl: Metrics | None = None

    def reconfigure(self, config: ServerConfig) -> None:
        """After a rehash: the new allowed Origins and trusted proxies, for the next request."""
        self.origins = OriginPolicy(config.host, config.web_origins)
        self.trusted = TrustedNetworks(config.trusted_proxies)
        self.proxy_header = config.trusted_proxy_header.lower()

    @property
    def links(self) -> set[WebSocketConnection]:
        """The WebSocket connections that carry an IRC session."""
        return self.endpoint.open_links

    async def start(self) -> int:
        config = self.server.config
        loop = asyncio.get_running_loop()
        endpoint = self.endpoint
        # HTTPS/WSS with the IRC TLS certificate (web_tls, --tls-self-signed): a LAN without
        # a reverse proxy; rehash reloads the certificate here too
        tls = self.runner.tls_context() if config.web_tls and config.tls_cert else None
        self._listener = await loop.create_server(
            lambda: WebSocketConnection(endpoint),
            config.host,
            config.web_port,
            ssl=tls,
            ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT if tls is not None else None,
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
    def handle_request(
        self, request: RequestHead, connection: WebSocketConnection
    ) -> HttpResponse | Upgrade:
        """The answer to one request, or `Upgrade` to go on with the WebSocket handshake."""
        method = request.method
        if request.is_upgrade and method == "GET":
            origins = request.get_all("origin")
            if origins and (
                len(origins) > 1 or not self.origins.allowed(origins[0], connection.local_address())
            ):
                log.info("web: refused WebSocket from origin %r", ", ".join(origins))
                return text_response(403, "Origin not allowed\n")
            # Behind a trusted reverse proxy, the client is who the proxy says it is
            peer = connection.peer_address()[0]
            forwarded = request.get_all(self.proxy_header)
            return Upgrade(forwarded_client(peer, forwarded, self.proxy_header, self.trusted))
        if method not in ALLOWED_METHODS:
            allow = (("Allow", ", ".join(ALLOWED_METHODS)),)
            if method in KNOWN_METHODS:
                return text_response(405, "Method not allowed\n", allow)
            return text_response(501, "Not implemented\n", allow)
        path = request.path
        if path == WS_PATH:
            upgrade = (("Upgrade", "websocket"),)
            return text_response(426, "This path is for WebSocket connections.\n", upgrade)
        if path == HEALTH_PATH:
            return self._health()
        if path == METRICS_PATH and self.server.config.metrics:
            return self._metrics(request)
        file = self.files.get(path)
        if file is None:
            return text_response(404, "Not found\n")
        cache: tuple[tuple[str, str], ...] = (
            ("Cache-Control", file.cache_control),
            ("ETag", file.etag),
        )
        if file.etag in (request.get("if-none-match") or "").replace(" ", "").split(","):
            return http_response(304, b"", file.content_type, cache)
        if file.content_type.startswith("text/html"):
            cache += (("Content-Security-Policy", self._csp(request)),)
        return http_response(200, file.body, file.content_type, cache)

    def _csp(self, request: RequestHead) -> str:
        host = request.get("host") or ""
        safe = host and all(c.isalnum() or c in ".-:[]" for c in host)
        ws = f"ws://{host}{WS_PATH} wss://{host}{WS_PATH}" if safe else ""
        return CSP.format(ws=ws).replace("  ", " ")

    def _metrics(self, request: RequestHead) -> HttpResponse:
        """Prometheus text format (`net/metrics.py`); behind a bearer token when configured."""
        token = self.server.config.metrics_token
        if token:
            given = request.get("authorization") or ""
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                challenge = (("WWW-Authenticate", 'Bearer realm="metrics"'),)
                return text_response(401, "A bearer token is needed for /metrics\n", challenge)
        if self._metrics_impl is None:
            if not HAVE_METRICS:
                return text_response(503, METRICS_MISSING + "\n")
            self._metrics_impl = Metrics(self.server)
        metrics = self._metrics_impl
        return http_response(
            200, metrics.render(), metrics.content_type, (("Cache-Control", "no-store"),)
        )

    def _health(self) -> HttpResponse:
        server = self.server
        body = {
            "status": "ok",
            "users": server.state.user_count(),
            "channels": server.state.channel_count(),
            "connections": len(server.sessions),
            "websocket_connections": len(self.links),
            "uptime": round(server.monotonic() - server.started_mono, 3),
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
    runner.on_rehash.append(web.reconfigure)
    return web
