"""draft/webpush over real sockets: a local push service (an HTTP server started here) gets the
encrypted push with VAPID headers, and decrypts it with the browser-made subscription keys to
the IRC line; gone subscriptions are removed; a push service that never answers stalls nobody;
the VAPID key is made once, 0600, and kept across restarts; a cluster's is one, in the shared
database (the first node's)."""

from __future__ import annotations

import asyncio
import os
import ssl
import stat
import time
from pathlib import Path

import pytest

from socketchat.irc.message import parse_message
from socketchat.server.compose import build_server
from socketchat.server.config import ServerConfig, WebPushSettings
from socketchat.server.core import Server
from socketchat.server.net import runner as runner_module
from socketchat.server.net.webpush import VAPID_KEY_FILE, PushRefused, PushSender, VapidKeys
from socketchat.server.webpush import PushJob
from socketchat.storage.postgres import PostgresBackend
from socketchat.storage.sqlite import SqliteBackend
from tests.support import free_port, wait_for
from tests.support.irc import IRCClient
from tests.support.postgres import fresh_database
from tests.support.pushendpoint import BrowserSubscription, push_endpoint, vapid_claims
from tests.support.server import RunningServer, running_server
from tests.support.tls import cert_in
from tests.web.test_metrics import scrape

PASSWORD = "correct-horse-battery"
LOCAL = WebPushSettings(allowed_hosts=("127.0.0.1",), delay=0.0, timeout=2.0)


def server_of(srv: RunningServer) -> Server:
    [runner] = [r for r in runner_module.ACTIVE_RUNNERS if r.loop is srv.loop]
    return runner.server


def registered(port: int, nick: str) -> IRCClient:
    c = IRCClient(port)
    caps = "draft/account-registration server-time message-tags draft/webpush"
    c.send("CAP LS 302", f"CAP REQ :{caps}")
    c.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}", f"REGISTER * * {PASSWORD}")
    c.expect("REGISTER")
    c.send("CAP END")
    c.expect("001")
    c.expect("376")
    return c


def vapid_of(c: IRCClient) -> str:
    tokens = [p for m in c.log if m.command == "005" for p in m.params[1:-1]]
    [key] = [t.removeprefix("VAPID=") for t in tokens if t.startswith("VAPID=")]
    return key


def test_a_mention_reaches_the_push_service_encrypted_and_signed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with push_endpoint() as endpoint, running_server(data_dir=str(data), webpush=LOCAL) as srv:
        alice = registered(srv.port, "alice")
        key = vapid_of(alice)
        browser = BrowserSubscription()
        url = endpoint.url("/push/alice-laptop")
        alice.send(f"WEBPUSH REGISTER {url} {browser.keys}")
        assert alice.expect("WEBPUSH").params == ("REGISTER", url, browser.keys)
        alice.send("JOIN #class")
        bob = IRCClient(srv.port).register("bob", "server-time")
        bob.send("JOIN #class")
        bob.expect("366")
        text = "alice: جلسه ساعت 10:30 در room B است، OK?"
        bob.send(f"PRIVMSG #class :{text}")
        live = alice.expect("PRIVMSG")
        [got] = endpoint.wait(1)
        assert got.path == "/push/alice-laptop"
        assert got.headers["content-encoding"] == "aes128gcm"
        assert got.headers["content-type"] == "application/octet-stream"
        assert int(got.headers["ttl"]) == 86400
        assert got.headers["urgency"] == "high"
        claims = vapid_claims(got.headers["authorization"], key)
        assert claims["aud"] == f"http://127.0.0.1:{endpoint.port}"
        assert isinstance(claims["exp"], int) and claims["exp"] > time.time()
        assert claims["sub"] == "https://socketchat.local"
        assert text.encode() not in got.body  # encrypted
        line = browser.decrypt(got.body).decode()
        msg = parse_message(line)
        assert (msg.command, msg.params) == ("PRIVMSG", ("#class", text))
        assert msg.source.startswith("bob!")
        assert msg.tags["msgid"] == live.tags["msgid"] and msg.tags["time"] == live.tags["time"]
        # a private message too
        bob.send("PRIVMSG alice :سلام")
        second = endpoint.wait(2)[1]
        assert parse_message(browser.decrypt(second.body).decode()).params == ("alice", "سلام")
        wait_for(lambda: server_of(srv).push.sent == 2)
        # the key is made once, private, and the same after a restart
    key_file = data / VAPID_KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(key_file.read_bytes()) == 32
    with running_server(data_dir=str(data), webpush=LOCAL) as srv:
        again = IRCClient(srv.port).register("carol")
        assert vapid_of(again) == key


def test_a_gone_subscription_is_removed_and_a_hung_service_stalls_nobody(tmp_path: Path) -> None:
    data = tmp_path / "data"
    web = {"web_port": free_port(), "metrics": True}
    with (
        push_endpoint() as endpoint,
        running_server(data_dir=str(data), webpush=LOCAL, **web) as srv,
    ):
        endpoint.status["/gone"] = 410
        endpoint.hang.add("/hang")
        alice = registered(srv.port, "alice")
        for path in ("/gone", "/hang", "/ok"):
            alice.send(f"WEBPUSH REGISTER {endpoint.url(path)} {BrowserSubscription().keys}")
            alice.expect("WEBPUSH")
        bob = IRCClient(srv.port).register("bob")
        started = time.monotonic()
        bob.send("PRIVMSG alice :one")
        # (sent at once by workers: in whatever order they finish)
        assert sorted(r.path for r in endpoint.wait(2)) == ["/gone", "/ok"]
        # the hung POST holds one worker; the server answers everyone meanwhile
        bob.send("PING :still-here")
        assert bob.expect("PONG").params[-1] == "still-here"
        alice.expect("PRIVMSG")
        push = server_of(srv).push
        wait_for(lambda: push.failed == 1, timeout=10)  # the 2 s timeout of the hung one
        assert time.monotonic() - started >= 1.5
        assert push.removed == 1
        samples = scrape(srv.web_port, token=None)
        outcomes = {
            dict(labels)["outcome"]: value
            for (name, labels), value in samples.items()
            if name == "socketchat_webpush_total"
        }
        assert outcomes == {"sent": 1, "failed": 1, "removed": 1, "dropped": 0, "read_elsewhere": 0}
        assert samples[("socketchat_webpush_pending", ())] == 0
        alice.send("QUIT")
        alice.expect("ERROR")
    db = SqliteBackend(data / "socketchat.db")
    assert sorted(s.endpoint for s in db.push_subscriptions("alice")) == [
        endpoint.url("/hang"),
        endpoint.url("/ok"),
    ]
    db.close()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_internal_addresses_are_refused_unless_allowed(tmp_path: Path, host: str) -> None:
    """The check when sending: a name (or address) that resolves to this machine is not
    connected to, even if it got past the check at REGISTER; allowed hosts are."""
    with push_endpoint() as endpoint:
        keys = VapidKeys.load(str(tmp_path))
        browser = BrowserSubscription()
        url = f"http://{host}:{endpoint.port}/x"
        job = PushJob("alice", url, browser.p256dh, browser.auth, b"PING webpush")
        strict = build_server(ServerConfig())
        with pytest.raises(PushRefused):
            await PushSender(strict, keys).send(job)
        assert endpoint.received == []
        allowed = build_server(ServerConfig(webpush=WebPushSettings(allowed_hosts=(host,))))
        assert await PushSender(allowed, keys).send(job) == 201
        assert browser.decrypt(endpoint.wait(1)[0].body) == b"PING webpush"
        await asyncio.sleep(0)


async def test_https_endpoints_are_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An https push service must show a certificate the system trusts for its name: one
    signed by nobody is refused (nothing sent); trusted (here: made the system's CA file), the
    push goes over TLS."""
    cert, key = cert_in(tmp_path, alt_names="IP:127.0.0.1,DNS:localhost")
    with push_endpoint(tls=(cert, key)) as endpoint:
        keys = VapidKeys.load(str(tmp_path))
        browser = BrowserSubscription()
        job = PushJob("alice", endpoint.url("/tls"), browser.p256dh, browser.auth, b"PING webpush")
        server = build_server(ServerConfig(webpush=WebPushSettings(allowed_hosts=("127.0.0.1",))))
        with pytest.raises(ssl.SSLCertVerificationError):
            await PushSender(server, keys).send(job)
        assert endpoint.received == []
        monkeypatch.setenv("SSL_CERT_FILE", cert)  # read when the sender makes its context
        assert await PushSender(server, keys).send(job) == 201
        assert browser.decrypt(endpoint.wait(1)[0].body) == b"PING webpush"


def test_a_clusters_key_is_the_first_nodes_for_every_node(tmp_path: Path) -> None:
    """`VapidKeys.for_network`: one key in the shared database; the first node's `vapid.key`
    when it has one (a single server become a cluster keeps its subscribers), and that one for
    every later node, whatever its data dir holds."""
    (tmp_path / "single").mkdir()
    single = VapidKeys.load(str(tmp_path / "single"))  # (a single server's data dir: made)
    with fresh_database() as url:
        first, later = PostgresBackend(url), PostgresBackend(url)
        try:
            kept = VapidKeys.for_network(first, str(tmp_path / "single"))
            assert kept.public_key == single.public_key
            (tmp_path / "other").mkdir()
            other = VapidKeys.load(str(tmp_path / "other"))
            assert other.public_key != single.public_key
            assert (
                VapidKeys.for_network(later, str(tmp_path / "other")).public_key == kept.public_key
            )
        finally:
            first.close()
            later.close()
    with fresh_database() as url:  # a first node without one: a new key, valid
        db = PostgresBackend(url)
        try:
            made = VapidKeys.for_network(db, str(tmp_path / "empty"))
            assert made.public_key not in (single.public_key, other.public_key)
            assert VapidKeys.for_network(db, str(tmp_path / "empty")).public_key == made.public_key
        finally:
            db.close()
