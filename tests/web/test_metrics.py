"""`/metrics` on a real server's web port, scraped over HTTP and read with prometheus_client's
own parser: counters move with real traffic; a token guards it; off by default."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from socketchat.server.config import Operator
from socketchat.server.passwords import hash_password
from tests.support import free_port, wait_for, wait_for_port
from tests.support.irc import IRCClient
from tests.support.server import running_server
from tests.web.wsclient import WSClient

TOKEN = "s3cret-scrape-token"


def scrape(
    port: int, token: str | None = TOKEN
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def status_of(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_metrics_follow_real_traffic() -> None:
    ops = (Operator("admin", hash_password("pw", log2_n=4)),)
    with running_server(
        web_port=free_port(), metrics=True, metrics_token=TOKEN, operators=ops
    ) as srv:
        before = scrape(srv.web_port)
        assert ("socketchat_registrations_total", ()) in before
        tcp = IRCClient(srv.port).register("alice")
        web = WSClient(srv.web_port).register("bob")
        for c in (tcp, web):
            c.send("JOIN #lobby")
            c.expect("366")
        web.send("PING :joined")
        web.expect("PONG")
        stored = scrape(srv.web_port)[("socketchat_history_messages", ())]  # (joins may be)
        for i in range(5):
            tcp.send(f"PRIVMSG #lobby :hello {i}")
            web.expect("PRIVMSG")
        tcp.send("OPER admin pw")
        tcp.expect("381")
        tcp.send("DLINE 127.0.0.3 :no")
        tcp.expect("NOTICE")
        refused = IRCClient(srv.port, source="127.0.0.3")
        assert refused.closed_by_server()

        def counted() -> bool:
            m = scrape(srv.web_port)
            return m.get(("socketchat_refused_connections_total", (("reason", "dline"),))) == 1

        wait_for(counted)
        after = scrape(srv.web_port)
        assert after[("socketchat_connections_total", (("transport", "tcp"),))] >= 2
        assert after[("socketchat_connections_total", (("transport", "ws"),))] == 1
        assert after[("socketchat_connections_open", (("transport", "ws"),))] == 1
        assert after[("socketchat_registrations_total", ())] == 2
        assert after[("socketchat_users", ())] == 2
        received = after[("socketchat_messages_received_total", ())]
        assert received >= before[("socketchat_messages_received_total", ())] + 10
        assert after[("socketchat_deliveries_total", ())] >= 5 + 2 * 3  # relays and the welcome
        assert after[("socketchat_history_messages", ())] == stored + 5
        assert after[("socketchat_server_bans", (("kind", "dline"),))] == 1
        commits = after[("socketchat_storage_commit_seconds_count", ())]
        assert commits > 0
        assert after[("socketchat_storage_commit_seconds_bucket", (("le", "+Inf"),))] == commits
        assert after[("socketchat_sendq_drops_total", ())] == 0
        assert after[("socketchat_flood_disconnects_total", ())] == 0
        assert after[("socketchat_event_loop_lag_seconds", ())] >= 0
        assert after[("process_resident_memory_bytes", ())] > 0

        url = f"http://127.0.0.1:{srv.web_port}/metrics"
        assert status_of(url) == 401
        assert status_of(url, "wrong") == 401
        assert status_of(url, TOKEN) == 200


def test_metrics_are_off_by_default() -> None:
    with running_server(web_port=free_port()) as srv:
        assert status_of(f"http://127.0.0.1:{srv.web_port}/metrics") == 404


def test_serve_says_when_the_metrics_library_is_missing(tmp_path: Path) -> None:
    """A `prometheus_client` that cannot be imported (as when the extra is not installed)."""
    blocker = tmp_path / "blocked" / "prometheus_client"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('not installed')\n")
    config = tmp_path / "socketchat.toml"
    config.write_text("[server]\nmetrics = true\n")
    web_port = free_port()
    env = dict(
        os.environ, PYTHONPATH=f"{blocker.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    )
    cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(free_port())]
    cmd += ["--web-port", str(web_port), "--config", str(config), "--data-dir", str(tmp_path / "d")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(web_port, timeout=20)
        assert status_of(f"http://127.0.0.1:{web_port}/metrics") == 503
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert "metrics = true needs the prometheus-client library" in err
    assert "pip install 'socketchat[metrics]'" in err
