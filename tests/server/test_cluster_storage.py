"""Three real `socketchat serve --redis ... --storage postgresql://...` nodes on a real
redis-server and a real PostgreSQL are one server with one history and one set of accounts:
a line said on one node is in CHATHISTORY on another exactly once (and stored once); an account
registered on one node logs in with SASL on the second and NickServ IDENTIFY on the third; a
registered nick is protected, and renamed alike, everywhere; ChanServ's channels, offline
messages and read markers cross nodes. The nodes share one cluster for the module; each test
uses its own nicks, accounts and channels.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.cluster import CONFIG, Cluster, running_cluster
from tests.support.irc import IRCClient
from tests.support.postgres import fresh_database

PASSWORD = "correct-horse-battery"
CAPS = "batch server-time message-tags draft/chathistory"
STORE_CONFIG = CONFIG.replace(
    '[server]\nname = "cluster.test"\n',
    '[server]\nname = "cluster.test"\nalways_on = false\nnick_protect_seconds = 1.0\n',
).replace("[limits]\n", "[limits]\naccounts_per_ip_per_hour = 0\n")  # (all from 127.0.0.1)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with fresh_database() as u:
        yield u


@pytest.fixture(scope="module")
def cluster(url: str) -> Iterator[Cluster]:
    with running_cluster(3, STORE_CONFIG, extra=("--storage", url)) as running:
        yield running


def on(cluster: Cluster, index: int, nick: str, caps: str = "") -> IRCClient:
    return IRCClient(cluster.nodes[index].port).register(nick, caps)


def registered(cluster: Cluster, index: int, name: str) -> IRCClient:
    """A client on node `index` that registered the account `name` (REGISTER)."""
    c = IRCClient(cluster.nodes[index].port)
    c.send("CAP LS 302", "CAP REQ :draft/account-registration")
    c.send(f"NICK {name}", f"USER {name} 0 * :{name}", f"REGISTER * * {PASSWORD}")
    c.expect("REGISTER", lambda m: m.param(0) == "SUCCESS")
    c.send("CAP END")
    c.expect("001")
    c.nick = name
    return c


def sasl(cluster: Cluster, index: int, name: str, caps: str = "") -> IRCClient:
    c = IRCClient(cluster.nodes[index].port)
    c.send("CAP LS 302", f"CAP REQ :sasl {caps}".strip(), f"NICK {name}", f"USER {name} 0 * :x")
    c.expect("CAP", lambda m: m.param(1) == "ACK")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    token = base64.b64encode(f"{name}\0{name}\0{PASSWORD}".encode()).decode()
    c.send(f"AUTHENTICATE {token}")
    c.expect("903")
    c.send("CAP END")
    c.expect("001")
    c.nick = name
    return c


def barrier(c: IRCClient, token: str) -> None:
    c.send(f"PING :{token}")
    c.expect("PONG", lambda m: m.param(-1) == token)


def history(c: IRCClient, target: str) -> list[str]:
    start = len(c.log)
    c.send(f"CHATHISTORY LATEST {target} * 100")
    barrier(c, "hist")
    return [m.param(1) for m in c.log[start:] if m.command == "PRIVMSG"]


def chanserv(c: IRCClient, text: str, answer: str) -> str:
    c.send(f"PRIVMSG ChanServ :{text}")
    got = c.expect("NOTICE", lambda m: m.nick == "ChanServ")
    assert answer in got.param(1), got
    return got.param(1)


def rows(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as db:
        return db.execute(sql, params).fetchall()  # type: ignore[arg-type]


def test_a_line_said_on_one_node_is_in_history_on_another_exactly_once(
    cluster: Cluster, url: str
) -> None:
    ann = on(cluster, 0, "ann", CAPS)
    ben = on(cluster, 1, "ben", CAPS)
    cid = on(cluster, 2, "cid", CAPS)
    try:
        for c in (ann, ben, cid):
            c.send("JOIN #once")
            c.expect("366")
        ann.send("PRIVMSG #once :said on node one")
        heard = cid.expect("PRIVMSG", lambda m: m.param(1) == "said on node one")
        ben.expect("PRIVMSG", lambda m: m.param(1) == "said on node one")
        assert history(cid, "#once") == ["said on node one"]
        assert history(ben, "#once") == ["said on node one"]
        assert history(ann, "#once") == ["said on node one"]
        # one row, by one node, with the msgid every node gave the line
        found = rows(url, "SELECT msgid FROM messages WHERE text = %s", "said on node one")
        assert found == [(heard.tags["msgid"],)]
    finally:
        for c in (ann, ben, cid):
            c.close()


def test_register_on_one_node_sasl_on_another_identify_on_the_third(
    cluster: Cluster, url: str
) -> None:
    dora = registered(cluster, 0, "dora")
    dora.send("QUIT")
    dora.closed_by_server()
    again = sasl(cluster, 1, "dora")
    barrier(again, "in")
    again.send("QUIT")
    again.closed_by_server()
    third = on(cluster, 2, "dora")
    third.send(f"PRIVMSG NickServ :IDENTIFY {PASSWORD}")
    third.expect("900")  # RPL_LOGGEDIN
    third.send("QUIT")
    third.closed_by_server()
    assert rows(url, "SELECT name FROM accounts WHERE folded = %s", "dora") == [("dora",)]
    # the name is taken on every node, at once
    for index in (0, 1, 2):
        c = IRCClient(cluster.nodes[index].port)
        c.send("CAP LS 302", "CAP REQ :draft/account-registration")
        c.send("NICK dora", "USER d 0 * :d", f"REGISTER * * {PASSWORD}x")
        assert c.expect("FAIL").params[:2] == ("REGISTER", "ACCOUNT_EXISTS")
        c.close()


def test_a_registered_nick_is_protected_and_renamed_alike_on_every_node(
    cluster: Cluster,
) -> None:
    registered(cluster, 0, "eve").close()
    watcher = on(cluster, 1, "watcher")
    impostor = on(cluster, 2, "eve_")
    try:
        watcher.send("MONITOR + eve")
        watcher.expect("731")  # offline, once the owner left
        impostor.send("NICK eve")
        warned = impostor.expect("NOTICE", lambda m: m.nick == "NickServ")
        assert "registered nickname" in warned.param(1)
        renamed = impostor.expect("NICK", timeout=10)  # after the 1 s grace, through the log
        guest = renamed.param(0)
        assert guest.startswith("Guest")
        watcher.expect("731")  # eve is offline again, seen on another node
        watcher.send(f"WHOIS {guest}")
        assert watcher.expect("311").param(1) == guest  # the same Guest nick there
    finally:
        watcher.close()
        impostor.close()


def test_chanserv_keeps_a_channel_and_gives_access_on_another_node(cluster: Cluster) -> None:
    fay = registered(cluster, 0, "fay")
    fay.send("JOIN #kept")
    fay.expect("366")
    chanserv(fay, "REGISTER #kept", "successfully registered")
    fay.send("MODE #kept +m", "TOPIC #kept :kept across nodes")
    fay.expect("MODE")
    fay.expect("TOPIC")
    fay.send("QUIT :bye")
    fay.closed_by_server()
    gus = on(cluster, 1, "gus")
    gus.send("JOIN #kept")
    assert gus.expect("332").param(-1) == "kept across nodes"
    assert gus.expect("353").param(-1).split() == ["gus"]  # not op: it is fay's channel
    gus.send("MODE #kept")
    assert gus.expect("324").params[2] == "+mnt"
    fay = sasl(cluster, 2, "fay")
    fay.send("JOIN #kept")
    fay.expect("366")
    mode = gus.expect("MODE")
    assert (mode.nick, mode.params) == ("ChanServ", ("#kept", "+o", "fay"))
    for c in (fay, gus):
        c.close()


def test_an_offline_message_sent_on_one_node_is_delivered_at_login_on_another(
    cluster: Cluster,
) -> None:
    hal = registered(cluster, 0, "hal")
    hal.send("QUIT")
    hal.closed_by_server()
    ivy = on(cluster, 1, "ivy")
    ivy.send("PRIVMSG hal :call me back")
    assert ivy.expect("301").param(1) == "hal"  # kept for when hal returns
    ivy.close()
    hal = sasl(cluster, 2, "hal")
    got = hal.expect("PRIVMSG", lambda m: m.param(1).endswith("call me back"))
    assert got.nick == "ivy"
    hal.close()


def test_a_read_marker_set_on_one_node_is_seen_on_another(cluster: Cluster) -> None:
    registered(cluster, 0, "jo").close()
    first = sasl(cluster, 1, "jo", "draft/read-marker server-time")
    first.send("MARKREAD #notes timestamp=2026-01-02T03:04:05.678Z")
    first.expect("MARKREAD")
    first.send("QUIT")
    first.closed_by_server()
    second = sasl(cluster, 2, "jo", "draft/read-marker server-time")
    second.send("MARKREAD #notes")
    assert second.expect("MARKREAD").params == ("#notes", "timestamp=2026-01-02T03:04:05.678Z")
    second.close()


def test_a_redaction_on_one_node_reaches_the_other_nodes_and_leaves_history(
    cluster: Cluster,
) -> None:
    caps = CAPS + " echo-message draft/message-redaction"
    kim = on(cluster, 0, "kim", caps)
    lee = on(cluster, 1, "lee", caps)
    try:
        for c in (kim, lee):
            c.send("JOIN #oops")
            c.expect("366")
        kim.send("PRIVMSG #oops :wrong window")
        msgid = kim.expect("PRIVMSG").tags["msgid"]
        lee.expect("PRIVMSG", lambda m: m.param(1) == "wrong window")
        kim.send(f"REDACT #oops {msgid}")
        assert kim.expect("REDACT").params == ("#oops", msgid)
        assert lee.expect("REDACT").params == ("#oops", msgid)  # decided once, on kim's node
        assert history(lee, "#oops") == []
    finally:
        kim.close()
        lee.close()


def test_a_node_started_later_knows_the_accounts_and_the_history(
    cluster: Cluster, url: str
) -> None:
    registered(cluster, 0, "max").close()
    talker = sasl(cluster, 1, "max", CAPS)
    talker.send("JOIN #late", "PRIVMSG #late :before the fourth node")
    talker.expect("366")
    late = cluster.start_node("n4", "--storage", url)  # the store's snapshot, then the log
    try:
        again = sasl(cluster, 3, "max", CAPS)  # (its second device, on the new node)
        again.send("JOIN #late")
        again.expect("366")
        assert history(again, "#late") == ["before the fourth node"]
        again.close()
    finally:
        talker.close()
        late.process.terminate()
        late.process.wait(timeout=20)
        cluster.nodes.remove(late)


def test_always_on_users_are_back_on_every_node_after_the_whole_network_restarted() -> None:
    config = STORE_CONFIG.replace("always_on = false\n", "")
    with (
        fresh_database() as url,  # (its own: node numbers start again with the new Redis)
        running_cluster(2, config, extra=("--storage", url)) as first,
    ):
        sara = registered(first, 0, "sara")
        sara.send("JOIN #class")
        sara.expect("366")
        sara.send("QUIT :home")
        sara.closed_by_server()
        on(first, 1, "probe").close()  # (every node has applied the QUIT)
        for node in first.nodes:
            node.process.terminate()  # the whole network stops (SIGTERM)
            node.process.wait(timeout=20)
        with running_cluster(2, config, extra=("--storage", url)) as second:  # a new Redis
            for index in (0, 1):
                c = on(second, index, f"reza{index}")
                c.send("JOIN #class")
                names = c.expect("353").param(-1).replace("@", "").split()
                assert "sara" in names, names
                c.send("PRIVMSG sara :homework")
                assert c.expect("301").param(1) == "sara"  # away: kept for her
                c.close()


def test_a_cluster_node_refuses_a_store_of_its_own(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "socketchat", "serve", "--port", "0", "--data-dir", str(tmp_path)]
    cmd += ["--redis", "redis://127.0.0.1:1/0", "--storage", "sqlite:///tmp/x.db"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "must be the PostgreSQL database shared by every node" in done.stderr
