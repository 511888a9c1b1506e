"""The cluster replica without Redis: several `Server`s, each with its `Replica`, fed one log.

The log here is a list: what every replica queued is appended in turn (with stream ids of a
fake clock), and every replica applies all of it in order — what `server/net/cluster.py` does
with a Redis Stream. So these tests show the sans-I/O half: one order, one decision, shadows.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from socketchat.irc.message import Message
from socketchat.server.cluster.entries import decode, encode
from socketchat.server.cluster.replica import NODE_GONE, Replica
from socketchat.server.compose import build_server
from socketchat.server.config import Operator, ServerConfig, WebircGateway
from socketchat.server.core import Server
from socketchat.server.passwords import hash_password
from socketchat.server.rehash import RehashResult
from tests.server.harness import Client, FakeClock, FakeLink


class Cluster:
    """`count` nodes on one list-log (see the module's doc)."""

    def __init__(self, count: int = 2, config: ServerConfig | None = None) -> None:
        self.clock = FakeClock()
        self.config = config  # every node's, also one added later (test_snapshot.add_node)
        self.log: list[tuple[str, bytes]] = []
        self.replicas: list[Replica] = []
        self.servers: list[Server] = []
        self.read = [0] * count
        self.ms = int(self.clock.now * 1000)
        self.work_done = [0] * count  # blocking work each node ran
        for i in range(count):
            replica = Replica(wall=self.clock)
            server = self._build(replica, config)

            def offloader(work, done, i=i):  # type: ignore[no-untyped-def]
                self.work_done[i] += 1
                done(work())

            server.offloader = offloader
            replica.attach(server, i + 1, f"n{i + 1}")
            self.replicas.append(replica)
            self.servers.append(server)
        self.pump()

    def _build(self, replica: Replica, config: ServerConfig | None) -> Server:
        return build_server(config, clock=replica.clock, monotonic=replica.clock)

    def append(self, raw: bytes) -> None:
        self.ms += 1
        self.log.append((f"{self.ms}-0", raw))

    def pump(self) -> None:
        """Append what every node queued, apply everything everywhere, until nothing moves."""
        while True:
            moved = False
            for replica in self.replicas:
                for raw in replica.take_outgoing():
                    self.append(raw)
                    moved = True
            for i, replica in enumerate(self.replicas):
                for entry_id, raw in self.log[self.read[i] :]:
                    replica.apply(entry_id, raw)
                self.read[i] = len(self.log)
            for server in self.servers:
                server.flush()
            if not moved:
                return

    def client(self, node: int, nick: str = "", caps: str = "") -> NodeClient:
        c = NodeClient(self, node)
        if nick:
            c.register(nick, caps)
        return c


class NodeClient(Client):
    """A fake connection to one node of the list-log cluster."""

    def __init__(self, cluster: Cluster, node: int) -> None:
        self.cluster = cluster
        self.link = FakeLink()
        self.session = cluster.servers[node].connect(self.link, "127.0.0.1", 40000)
        self._read = 0

    def send(self, *lines: str) -> None:
        for line in lines:
            self.session.receive_data(line.encode() + b"\r\n")
        self.cluster.pump()

    def register(self, nick: str, caps: str = "") -> NodeClient:
        if caps:
            self.send("CAP LS 302", f"CAP REQ :{caps}")
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        if caps:
            self.send("CAP END")
        assert any(m.command == "001" for m in self.received())
        return self


def of(messages: list[Message], command: str) -> list[Message]:
    return [m for m in messages if m.command == command]


def test_a_local_line_waits_for_the_log_and_runs_on_every_node_in_its_order() -> None:
    net = Cluster(2)
    alice = net.client(0)
    alice.session.receive_data(b"NICK alice\r\nUSER a 0 * :a\r\n")
    assert alice.received() == []  # not dispatched yet: it is in the log's queue
    assert net.servers[0].state.find_nick("alice") is None
    net.pump()
    assert of(alice.received(), "001")
    for server in net.servers:  # the same person on both replicas, with the same id
        found = server.state.find_nick("alice")
        assert found is not None and found.id == alice.session.id
    shadow = net.servers[1].state.find_nick("alice")
    assert shadow is not None and shadow is not alice.session.user
    assert not set(shadow.sessions) & net.servers[1].sessions  # (the node's timers skip it)


def test_one_message_has_one_msgid_and_time_everywhere() -> None:
    net = Cluster(2)
    alice = net.client(0, "alice", "echo-message message-tags server-time")
    bob = net.client(1, "bob", "message-tags server-time")
    alice.send("JOIN #c")
    bob.send("JOIN #c")
    net.clock.advance(5)  # the nodes' clocks do not matter: the entry's time does
    alice.send("PRIVMSG #c :hi")
    echo, heard = of(alice.received(), "PRIVMSG")[0], of(bob.received(), "PRIVMSG")[0]
    assert echo.tags["msgid"] == heard.tags["msgid"]
    assert echo.tags["time"] == heard.tags["time"]
    # and the channel's incarnation is the same on both replicas
    eras = {s.state.find_channel("#c").era for s in net.servers}  # type: ignore[union-attr]
    assert len(eras) == 1


def test_simultaneous_claims_are_decided_by_the_log_order_on_every_node() -> None:
    net = Cluster(3)
    first, second = net.client(2), net.client(0)
    second.session.receive_data(b"NICK same\r\nUSER b 0 * :b\r\n")  # node 1 queued it...
    first.session.receive_data(b"NICK same\r\nUSER a 0 * :a\r\n")  # ...node 3 too
    first.session.receive_data(b"JOIN #new\r\n")
    second.session.receive_data(b"JOIN #new\r\n")
    net.pump()  # node 1's queue goes into the log first
    assert of(second.received(), "001") and of(first.received(), "433")
    for server in net.servers:
        holder = server.state.find_nick("same")
        assert holder is not None and holder.id == second.session.id


def test_a_gone_node_s_users_quit_everywhere_and_its_later_entries_are_ignored() -> None:
    net = Cluster(3)
    alice = net.client(0, "alice")
    bob = net.client(1, "bob")
    carol = net.client(2, "carol")
    for c in (alice, bob, carol):
        c.send("JOIN #c")
    alice.received(), bob.received()
    net.replicas[0].reap(2)  # node 1 saw node 2's lease expire
    net.pump()
    assert [m.params for m in of(alice.received(), "QUIT")] == [(NODE_GONE,)]
    assert [m.params for m in of(carol.received(), "QUIT")] == [(NODE_GONE,)]
    assert net.replicas[1].detached  # node 2 itself applied it: it is off the log
    for server in net.servers[0::2]:
        assert server.state.find_nick("bob") is None
    # a late write of node 2 (it was paused) changes nothing anywhere
    net.append(encode("line", 2, 10_000, s=bob.session.id, c="PRIVMSG", p=["#c", "back"]))
    net.pump()
    assert not of(alice.received(), "PRIVMSG") and not of(carol.received(), "PRIVMSG")


def test_an_append_retried_after_a_lost_answer_is_applied_once() -> None:
    net = Cluster(2)
    alice = net.client(0, "alice")
    bob = net.client(1, "bob")
    bob.send("JOIN #c")
    alice.send("JOIN #c")
    bob.received()
    alice.session.receive_data(b"PRIVMSG #c :once\r\n")
    batch = net.replicas[0].take_outgoing()
    for raw in batch + batch:  # the writer did not hear back and sent the batch again
        net.append(raw)
    net.pump()
    assert [m.params for m in of(bob.received(), "PRIVMSG")] == [("#c", "once")]
    assert decode(batch[0]).seq > 0


def test_blocking_work_runs_on_the_owner_and_every_node_waits_for_its_result() -> None:
    gateway = WebircGateway("kiwi", hash_password("pw", log2_n=4), ("127.0.0.1",))
    net = Cluster(2, ServerConfig(webirc=(gateway,)))
    web = net.client(0)
    web.send("WEBIRC pw kiwi somehost 10.9.8.7", "NICK webby", "USER w 0 * :w")
    assert of(web.received(), "001")
    assert net.work_done == [1, 0]  # the password check ran once, on the client's node
    for server in net.servers:  # NICK/USER waited behind the result on both replicas
        found = server.state.find_nick("webby")
        assert found is not None and found.ip == "10.9.8.7"


def test_a_local_close_enters_the_log_and_frees_the_nick_everywhere() -> None:
    net = Cluster(2)
    alice = net.client(0, "alice")
    alice.session.connection_lost("Connection closed")
    assert not alice.session.closed  # not yet: the log decides when
    net.pump()
    assert alice.session.closed and alice.link.closed
    for server in net.servers:
        assert server.state.find_nick("alice") is None
    assert net.client(1, "alice")  # free on the other node


def test_a_kline_on_one_node_drops_its_match_on_every_node() -> None:
    oper = Operator("root", hash_password("pw", log2_n=4))
    net = Cluster(2, ServerConfig(operators=(oper,)))
    op = net.client(0, "op")
    troll = net.client(1)
    troll.send("NICK troll", "USER troll 0 * :t")
    op.send("OPER root pw")  # the check runs on node 1, node 2 waits for its result
    assert of(op.received(), "381")
    op.send("KLINE *troll@* :be nice")
    assert troll.session.closed and troll.link.closed
    assert "be nice" in of(troll.received(), "ERROR")[0].params[0]
    for server in net.servers:
        assert server.state.find_nick("troll") is None
    assert net.work_done == [1, 0]


def test_pong_stays_on_its_node() -> None:
    net = Cluster(2)
    alice = net.client(0, "alice")
    alice.session.ping_sent_at = 123.0
    alice.session.receive_data(b"PONG :x\r\n")
    assert alice.session.ping_sent_at == 0.0  # at once, without the log
    assert net.replicas[0].take_outgoing() == []


def test_a_damaged_or_unknown_entry_is_skipped_and_the_next_one_applied() -> None:
    net = Cluster(2)
    alice = net.client(0, "alice")
    for raw in (b"not json", b'{"k":"later-version","n":1,"q":999}', b'{"k":"line"}'):
        net.append(raw)
    alice.send("JOIN #after")  # (the entries after the bad ones)
    assert of(alice.received(), "JOIN")
    for server in net.servers:
        assert server.state.find_channel("#after") is not None


def test_a_bad_line_is_answered_in_its_place_after_the_lines_before_it() -> None:
    net = Cluster(2)
    alice = net.client(0, "alice", "echo-message")
    alice.send("JOIN #c")
    alice.received()
    too_long = "PRIVMSG #c :" + "x" * 600
    alice.session.receive_data(f"PRIVMSG #c :first\r\n{too_long}\r\n".encode())
    alice.session.receive_data(b"\xff\xfe bad utf-8\r\nPRIVMSG #c :last\r\n")
    assert alice.received() == []  # nothing answered before the log
    net.pump()
    got = [(m.command, m.params[-1]) for m in alice.received()]
    assert [c for c, _ in got] == ["PRIVMSG", "417", "FAIL", "PRIVMSG"]
    assert got[0][1] == "first" and got[-1][1] == "last"


class FakeRehash:
    """A node's `NetworkRehash` (net/cluster.py reads files; here: what was asked, when)."""

    def __init__(self, server: Server, nicklen: int) -> None:
        self.server, self.nicklen = server, nicklen
        self.reads: list[str] = []
        self.applied: list[tuple[dict[str, object], str]] = []

    def read(self, by: str) -> dict[str, Any]:
        self.reads.append(by)
        return {"config": {"nicklen": self.nicklen}}

    def apply(self, value: dict[str, Any], by: str) -> RehashResult:
        self.applied.append((value, by))
        nicklen = int(value["config"]["nicklen"])
        self.server.config = dataclasses.replace(self.server.config, nicklen=nicklen)
        return RehashResult("n.toml")


def test_rehash_is_read_on_the_askers_node_and_applied_alike_on_every_node() -> None:
    oper = Operator("root", hash_password("pw", log2_n=4))
    net = Cluster(2, ServerConfig(operators=(oper,)))
    # each node's own file would say something else: node 2's is never read
    hooks = [FakeRehash(net.servers[0], 20), FakeRehash(net.servers[1], 99)]
    for server, hook in zip(net.servers, hooks, strict=True):
        server.network_rehash = hook
    op = net.client(0, "op")
    op.send("OPER root pw")
    op.send("REHASH", "NICK abcdefghijklmnopqrstuvwxyz")  # (26 > 20: after the REHASH)
    got = op.received()
    assert of(got, "382") and of(got, "432")
    assert [len(h.reads) for h in hooks] == [1, 0]
    assert hooks[0].applied == hooks[1].applied
    [(value, by)] = hooks[0].applied
    assert value == {"config": {"nicklen": 20}} and by.startswith("op!")
    assert [s.config.nicklen for s in net.servers] == [20, 20]
    # SIGHUP: no session; a `conf` entry, taken at its place in the log by every node
    hooks[0].nicklen = 25
    net.replicas[0].rehash(hooks[0].read("SIGHUP"), "SIGHUP")
    [queued] = net.replicas[0].take_outgoing()
    assert decode(queued).kind == "conf"
    net.append(queued)
    net.pump()
    assert [h.applied[-1] for h in hooks] == [({"config": {"nicklen": 25}}, "SIGHUP")] * 2
    assert [s.config.nicklen for s in net.servers] == [25, 25]
