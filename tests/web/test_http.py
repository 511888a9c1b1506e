"""The web listener as plain HTTP: files, headers, 404s, no traversal, /healthz."""

from __future__ import annotations

import http.client
import json

from tests.support import wait_for
from tests.support.irc import IRCClient
from tests.support.server import RunningServer


def get(
    server: RunningServer, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.web_port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_index_page_has_type_cache_and_security_headers(web_server: RunningServer) -> None:
    status, headers, body = get(web_server, "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["etag"].startswith('"')
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert f"ws://127.0.0.1:{web_server.web_port}/ws" in csp  # the page may reach its WebSocket
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert b'<script type="module" src="/app.js">' in body
    assert get(web_server, "/index.html")[2] == body


def test_assets_have_their_content_types_and_etags(web_server: RunningServer) -> None:
    expected = {
        "/app.js": "text/javascript; charset=utf-8",
        "/client.js": "text/javascript; charset=utf-8",
        "/irc.js": "text/javascript; charset=utf-8",
        "/style.css": "text/css; charset=utf-8",
        "/favicon.svg": "image/svg+xml",
    }
    for path, content_type in expected.items():
        status, headers, body = get(web_server, path)
        assert status == 200, path
        assert headers["content-type"] == content_type
        assert headers["x-content-type-options"] == "nosniff"
        assert "max-age" in headers["cache-control"]
        assert body
        again = get(web_server, path, {"If-None-Match": headers["etag"]})
        assert again[0] == 304 and again[2] == b""


def test_unknown_paths_are_404(web_server: RunningServer) -> None:
    for path in ("/nope", "/app.js.map", "/static/app.js", "/__init__.py", "/healthz/x"):
        status, headers, _ = get(web_server, path)
        assert status == 404, path
        assert headers["x-content-type-options"] == "nosniff"


def test_no_directory_traversal(web_server: RunningServer) -> None:
    for path in (
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fpyproject.toml",
        "/./index.html/../../__init__.py",
        "//etc/passwd",
        "/%2F..%2F..%2Fetc%2Fpasswd",
    ):
        status, _, body = get(web_server, path)
        assert status in (400, 404), path
        assert b"root:" not in body


def test_healthz_reports_users_and_channels(web_server: RunningServer) -> None:
    status, headers, body = get(web_server, "/healthz")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"
    health = json.loads(body)
    assert health["status"] == "ok"
    assert health["users"] == 0 and health["channels"] == 0
    assert health["uptime"] >= 0
    alice = IRCClient(web_server.port).register("alice")
    alice.send("JOIN #lobby")
    alice.expect("366")

    def counted() -> bool:
        h = json.loads(get(web_server, "/healthz")[2])
        return bool(h["users"] == 1 and h["channels"] == 1)

    wait_for(counted, timeout=5)
    alice.close()


def test_plain_get_on_the_websocket_path_asks_for_an_upgrade(web_server: RunningServer) -> None:
    status, _, _ = get(web_server, "/ws")
    assert status == 426
