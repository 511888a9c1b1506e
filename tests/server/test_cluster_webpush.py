"""draft/webpush on two real `socketchat serve --redis ... --storage postgresql://...` nodes (a
real redis-server, a real PostgreSQL) and a local push service (an HTTP server started here,
`tests/support/pushendpoint.py`): the network is one server to a browser. Both nodes advertise
draft/webpush with one VAPID key, kept in the database; a browser-style subscription registered
through one node is pushed to, exactly once, by the other node, with a payload that decrypts
with the subscription's keys to the line; a device connected to a node that reads in time
stops the push the other node was waiting to send; a 410 removes the subscription for the
whole network.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import psycopg
import pytest

from socketchat.irc.message import parse_message
from socketchat.server.net.webpush import NETWORK_SECRET, VapidKeys
from tests.server.test_cluster_storage import STORE_CONFIG
from tests.support import wait_for
from tests.support.cluster import Cluster, running_cluster
from tests.support.irc import IRCClient
from tests.support.postgres import fresh_database
from tests.support.pushendpoint import (
    BrowserSubscription,
    PushEndpoint,
    push_endpoint,
    vapid_claims,
)

PASSWORD = "correct-horse-battery"
DELAY = 2.0  # [webpush] delay: how long a push waits while a device of the account is connected
CONFIG = (
    STORE_CONFIG
    + f"""
[webpush]
allowed_hosts = ["127.0.0.1"]
delay = {DELAY}
timeout = 2.0
max_subscriptions = 1
"""
)
CAPS = "draft/account-registration sasl draft/webpush draft/read-marker server-time message-tags"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with fresh_database() as u:
        yield u


@pytest.fixture(scope="module")
def cluster(url: str) -> Iterator[Cluster]:
    with running_cluster(2, CONFIG, extra=("--storage", url)) as running:
        yield running


@pytest.fixture
def endpoint() -> Iterator[PushEndpoint]:
    with push_endpoint() as e:
        yield e


def client(cluster: Cluster, index: int, name: str, *, new: bool = False) -> IRCClient:
    """A client on node `index` logged in to the account `name` (REGISTERed when `new`)."""
    c = IRCClient(cluster.nodes[index].port)
    c.send("CAP LS 302", f"CAP REQ :{CAPS}", f"NICK {name}", f"USER {name} 0 * :{name}")
    c.expect("CAP", lambda m: m.param(1) == "ACK")
    if new:
        c.send(f"REGISTER * * {PASSWORD}")
        c.expect("REGISTER", lambda m: m.param(0) == "SUCCESS")
    else:
        c.send("AUTHENTICATE PLAIN")
        c.expect("AUTHENTICATE")
        token = base64.b64encode(f"{name}\0{name}\0{PASSWORD}".encode()).decode()
        c.send(f"AUTHENTICATE {token}")
        c.expect("903")
    c.send("CAP END")
    c.expect("376")
    c.nick = name
    return c


def subscribe(c: IRCClient, url: str, browser: BrowserSubscription) -> None:
    c.send(f"WEBPUSH REGISTER {url} {browser.keys}")
    answer = c.expect("WEBPUSH", timeout=5)
    assert answer.params == ("REGISTER", url, browser.keys), answer


def vapid_of(c: IRCClient) -> str:
    tokens = [p for m in c.log if m.command == "005" for p in m.params[1:-1]]
    [key] = [t.removeprefix("VAPID=") for t in tokens if t.startswith("VAPID=")]
    return key


def leave(c: IRCClient) -> None:
    c.send("QUIT")
    c.expect("ERROR")


def subscriptions(url: str, account: str) -> list[str]:
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT endpoint FROM push_subscriptions WHERE account = %s ORDER BY endpoint",
            (account,),
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_every_node_offers_webpush_with_the_networks_one_key(cluster: Cluster, url: str) -> None:
    keys = []
    for node in cluster.nodes:
        c = IRCClient(node.port)
        c.send("CAP LS 302")
        assert "draft/webpush" in c.cap_ls()
        c.send("CAP END")
        c.register(f"ls{node.name}")
        keys.append(vapid_of(c))
        leave(c)
    with psycopg.connect(url) as db:
        [(raw,)] = db.execute(
            "SELECT value FROM network_secrets WHERE name = %s", (NETWORK_SECRET,)
        ).fetchall()
    kept = VapidKeys.from_secret(bytes(raw), "the test's").public_key
    assert keys == [kept] * len(cluster.nodes)


def test_a_browser_subscribed_through_one_node_gets_one_push_from_the_other(
    cluster: Cluster, url: str, endpoint: PushEndpoint
) -> None:
    alice = client(cluster, 0, "alice", new=True)
    key = vapid_of(alice)
    browser = BrowserSubscription()
    subscribe(alice, endpoint.url("/alice-laptop"), browser)
    leave(alice)  # no device of alice connected anywhere: a message is pushed at once
    bob = IRCClient(cluster.nodes[1].port).register("bob", "echo-message message-tags server-time")
    text = "alice: جلسه ساعت 10:30 است، OK?"
    bob.send(f"PRIVMSG alice :{text}")
    echo = bob.expect("PRIVMSG")
    [got] = endpoint.wait(1)
    assert got.path == "/alice-laptop"
    claims = vapid_claims(got.headers["authorization"], key)  # the key node 1 advertised
    assert claims["aud"] == f"http://127.0.0.1:{endpoint.port}"
    msg = parse_message(browser.decrypt(got.body).decode())
    assert (msg.command, msg.params) == ("PRIVMSG", ("alice", text))
    assert msg.source is not None and msg.source.startswith("bob!")
    assert msg.tags["msgid"] == echo.tags["msgid"] and msg.tags["time"] == echo.tags["time"]
    time.sleep(1.0)  # (a second push, from the node that did not send it, would be here now)
    assert len(endpoint.received) == 1
    leave(bob)


def test_a_device_on_one_node_that_reads_in_time_stops_the_push_of_the_other(
    cluster: Cluster, url: str, endpoint: PushEndpoint
) -> None:
    registering = client(cluster, 0, "carol", new=True)
    browser = BrowserSubscription()
    subscribe(registering, endpoint.url("/carol-phone"), browser)
    leave(registering)
    laptop = client(cluster, 1, "carol")  # carol's device: on node 2
    laptop.send("JOIN #team")
    laptop.expect("366")
    dan = IRCClient(cluster.nodes[0].port).register("dan")  # the sender: on node 1
    dan.send("JOIN #team")
    dan.expect("366")
    dan.send("PRIVMSG #team :carol: the minutes, please")
    heard = laptop.expect("PRIVMSG")
    laptop.send(f"MARKREAD #team timestamp={heard.tags['time']}")  # read on node 2, in time
    laptop.expect("MARKREAD")
    time.sleep(DELAY + 1.0)
    assert endpoint.received == []  # node 1 waited, saw node 2's marker, sent nothing
    # not read this time: node 1 pushes it once the delay is over, and only then
    dan.send("PRIVMSG #team :carol: and the agenda")
    said = time.monotonic()
    [got] = endpoint.wait(1, timeout=DELAY + 5)
    assert time.monotonic() - said >= DELAY - 0.5
    line = parse_message(browser.decrypt(got.body).decode())
    assert line.params == ("#team", "carol: and the agenda")
    for c in (laptop, dan):
        leave(c)


def test_a_410_removes_the_subscription_for_the_whole_network(
    cluster: Cluster, url: str, endpoint: PushEndpoint
) -> None:
    endpoint.status["/gone"] = 410
    erin = client(cluster, 0, "erin", new=True)
    subscribe(erin, endpoint.url("/gone"), BrowserSubscription())
    # (max_subscriptions is 1: a second device is refused while the first is kept)
    erin.send(f"WEBPUSH REGISTER {endpoint.url('/other')} {BrowserSubscription().keys}")
    assert erin.expect("FAIL").params[:2] == ("WEBPUSH", "MAX_REGISTRATIONS")
    leave(erin)
    assert subscriptions(url, "erin") == [endpoint.url("/gone")]
    fred = IRCClient(cluster.nodes[1].port).register("fred")
    fred.send("PRIVMSG erin :are you still there?")  # pushed by node 2, answered 410
    endpoint.wait(1)
    wait_for(lambda: subscriptions(url, "erin") == [])  # deleted in the database...
    # ...and forgotten by every node: each takes a new device again (max_subscriptions 1)
    for index in (0, 1):
        device = client(cluster, index, "erin")
        new = BrowserSubscription()
        subscribe(device, endpoint.url(f"/new{index}"), new)
        if index == 0:
            device.send(f"WEBPUSH UNREGISTER {endpoint.url('/new0')}")
            device.expect("WEBPUSH")
        leave(device)
    assert subscriptions(url, "erin") == [endpoint.url("/new1")]
    fred.send("PRIVMSG erin :and now?")
    got = endpoint.wait(2)
    assert [r.path for r in got] == ["/gone", "/new1"]  # never /gone again
    time.sleep(0.5)
    assert len(endpoint.received) == 2
    leave(fred)
