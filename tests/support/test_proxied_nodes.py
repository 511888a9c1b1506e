"""The conformance runner's wrapper: real `socketchat serve` nodes behind the round-robin proxy,
started and stopped as one process."""

from __future__ import annotations

import calendar
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import free_port, require_tool, wait_for_port
from tests.support.irc import IRCClient

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def wrapper(tmp_path: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    port, web_port = free_port(), free_port()
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}:{ROOT}", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "tests.support.proxied_nodes", *args]
    cmd += ["--port", str(port), "--web-port", str(web_port), "--data-dir", str(tmp_path)]
    cmd += ["--", "--log-level", "WARNING"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, text=True, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, timeout=60)
        yield proc, port, web_port
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()


def accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def node_ports(proc: subprocess.Popen[str]) -> list[int]:
    """The IRC ports the wrapper's `socketchat serve` children listen on (from their argv)."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    ports = []
    for pid in children:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        if "serve" in argv:
            ports.append(int(argv[argv.index("--port") + 1]))
    return ports


def children_of(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def preload(pid: int) -> str:
    """The LD_PRELOAD a process runs with ("" when none)."""
    for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
        if item.startswith(b"LD_PRELOAD="):
            return item.split(b"=", 1)[1].decode()
    return ""


def test_one_node_behind_the_proxy_is_a_whole_server_and_sigterm_stops_it(tmp_path: Path) -> None:
    with wrapper(tmp_path, "--nodes", "1") as (proc, port, web_port):
        [node] = node_ports(proc)
        alice = IRCClient(port).register("alice")
        bob = IRCClient(port).register("bob")
        alice.send("JOIN #t")
        alice.expect("366")
        bob.send("JOIN #t")
        bob.expect("366")
        alice.send("PRIVMSG #t :hello through the proxy")
        assert bob.expect("PRIVMSG").param(1) == "hello through the proxy"
        bob.send("QUIT :bye")
        assert bob.expect("ERROR")  # the half-close after QUIT still brings the ERROR
        assert accepting(web_port)  # the web port is proxied too
        alice.close()
        bob.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert not accepting(port)
        assert not accepting(node)  # the node went with it
        assert (tmp_path / "socketchat.db").exists()  # one node: the data dir itself


def test_connections_alternate_between_the_nodes(tmp_path: Path) -> None:
    """Two independent nodes (no Redis): the 1st and 3rd client share a node, the 2nd is alone
    on the other, so WHOIS tells where each landed."""
    with wrapper(tmp_path, "--nodes", "2") as (proc, port, _):
        ports = node_ports(proc)
        assert len(ports) == 2
        for p in ports:
            wait_for_port(p)
        a = IRCClient(port).register("a")
        b = IRCClient(port).register("b")
        c = IRCClient(port).register("c")
        a.send("WHOIS c")
        a.expect("311")
        a.send("WHOIS b")
        a.expect("401")
        b.send("WHOIS a")
        b.expect("401")
        for client in (a, b, c):
            client.close()
        assert {p.name for p in tmp_path.iterdir()} >= {"node0", "node1"}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert not any(accepting(p) for p in ports)


def test_a_node_that_dies_ends_the_cluster(tmp_path: Path) -> None:
    with wrapper(tmp_path, "--nodes", "2") as (proc, port, _):
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        os.kill(int(children[0]), signal.SIGKILL)
        assert proc.wait(timeout=20) == 1
        assert proc.stderr is not None
        assert "a node or Redis exited" in proc.stderr.read()
        assert not accepting(port)


def test_three_nodes_on_one_redis_are_one_server_through_the_proxy(tmp_path: Path) -> None:
    """The cluster (`serve --redis`): three clients land on three nodes, and still share one
    channel and see each other, as irctest's clients will."""
    require_tool("redis-server")
    with wrapper(tmp_path, "--nodes", "3", "--redis") as (proc, port, _):
        ports = node_ports(proc)
        assert len(ports) == 3
        for p in ports:
            wait_for_port(p, timeout=30)
        clients = [IRCClient(port).register(nick) for nick in ("ann", "ben", "cy")]
        for c in clients:
            c.send("JOIN #all")
            c.expect("366")
        ann, ben, cy = clients
        ann.send("PRIVMSG #all :one server")
        assert ben.expect("PRIVMSG").param(1) == "one server"
        assert cy.expect("PRIVMSG").param(1) == "one server"
        cy.send("WHOIS ann")
        cy.expect("311")
        for c in clients:
            c.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not any(accepting(p) for p in ports)


def stop_under_faketime(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the wrapper under `faketime`, which passes no signal on (terminated itself, it
    would leave the wrapper and its nodes running, and its shared clock's files in /dev/shm);
    it exits once its child has."""
    if proc.poll() is None:
        for pid in children_of(proc.pid):
            os.kill(int(pid), signal.SIGTERM)
        proc.wait(timeout=30)


def test_under_faketime_the_nodes_get_the_faked_clock_and_the_wrapper_keeps_real_time(
    tmp_path: Path,
) -> None:
    """irctest runs its faked-clock tests as `faketime -f '+1y x30' CMD`: the node's clock is
    a year ahead, while the wrapper's own timeouts (and Redis) stay in real time."""
    faketime = require_tool("faketime")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}:{ROOT}", PYTHONUNBUFFERED="1")
    cmd = [faketime, "-f", "+1y x30", sys.executable, "-m", "tests.support.proxied_nodes"]
    cmd += ["--nodes", "1", "--port", str(port), "--data-dir", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=60)
        c = IRCClient(port).register("clock")
        c.send("TIME")
        reply = c.expect("391").params[-1]
        c.close()
        assert str(time.gmtime().tm_year + 1) in reply
        # faketime forks: its child is the wrapper, whose child is the node
        [wrapper_pid] = [int(p) for p in children_of(proc.pid)]
        assert "faketime" not in preload(wrapper_pid)  # the wrapper: real time
        nodes = children_of(wrapper_pid)
        assert nodes and all("faketime" in preload(int(pid)) for pid in nodes)
    finally:
        stop_under_faketime(proc)


def environ_of(pid: int) -> dict[str, str]:
    items = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(i.decode().split("=", 1) for i in items if b"=" in i)


def test_under_faketime_redis_and_the_nodes_run_on_one_faked_clock(tmp_path: Path) -> None:
    """Through the cluster the network's time is Redis' (every entry's time), and the lease
    is renewed on the node's clock and expired on Redis': all four run under the faked clock,
    from one origin (Redis' shared clock), and the lease is scaled so that it is as long in
    real time as without the fake (the nodes outlive many unscaled leases)."""
    import redis

    faketime = require_tool("faketime")
    require_tool("redis-server")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}:{ROOT}", PYTHONUNBUFFERED="1")
    cmd = [faketime, "-f", "+1y x30", sys.executable, "-m", "tests.support.proxied_nodes"]
    cmd += ["--nodes", "3", "--redis", "--port", str(port), "--data-dir", str(tmp_path)]
    cmd += ["--", "--log-level", "WARNING"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    try:
        wait_for_port(port, timeout=60)
        [wrapper_pid] = [int(p) for p in children_of(proc.pid)]
        children = [int(p) for p in children_of(wrapper_pid)]
        argvs = {p: Path(f"/proc/{p}/cmdline").read_bytes().decode().split("\0") for p in children}
        [redis_pid] = [p for p, argv in argvs.items() if "redis-server" in argv[0]]
        nodes = [p for p in children if p != redis_pid]
        assert len(nodes) == 3
        url = argvs[nodes[0]][argvs[nodes[0]].index("--redis") + 1]
        shared = f"/faketime_sem_{redis_pid} /faketime_shm_{redis_pid}"
        for node in nodes:
            assert "faketime" in environ_of(node)["LD_PRELOAD"]
            assert environ_of(node)["FAKETIME_SHARED"] == shared  # Redis' clock
        db = redis.Redis.from_url(url)
        # (start-up took seconds: own origins would now be tens of faked seconds apart)
        time.sleep(max(0.0, started + 3 - time.monotonic()))
        probe = subprocess.run(  # a process with a node's environment: the nodes' clock
            [sys.executable, "-c", "import time; print(time.time())"],
            env=environ_of(nodes[0]),
            capture_output=True,
            text=True,
            check=True,
        )
        secs, micros = db.time()
        redis_now = secs + micros / 1e6
        assert time.gmtime(redis_now).tm_year == time.gmtime().tm_year + 1  # Redis is faked
        assert abs(float(probe.stdout) - redis_now) < 20  # one origin (20 s: 0.7 real s)
        leases = [db.pttl(k) for k in db.keys("socketchat:lease:*")]
        assert len(leases) == 3 and all(ms > 30_000 for ms in leases)  # 150 s, faked
        clients = [IRCClient(port).register(nick) for nick in ("ann", "ben", "cy")]
        for c in clients:
            c.send("CAP REQ :server-time")
            c.expect("CAP")
            c.send("JOIN #clock")
            c.expect("366")
        time.sleep(2)  # 60 faked seconds: twelve unscaled leases
        ann, ben, cy = clients
        ann.send("PRIVMSG #clock :still one network")
        for c in (ben, cy):
            msg = c.expect("PRIVMSG")
            assert msg.param(1) == "still one network"
            stamp = calendar.timegm(time.strptime(msg.tags["time"][:19], "%Y-%m-%dT%H:%M:%S"))
            secs, _ = db.time()
            assert abs(stamp - secs) < 20  # the entry's time: Redis' clock
        for c in clients:
            c.close()
        assert all(Path(f"/proc/{p}").exists() for p in nodes)
        stop_under_faketime(proc)
        assert proc.returncode == 0
        assert not Path(f"/dev/shm/faketime_shm_{redis_pid}").exists()  # Redis removed it
    finally:
        stop_under_faketime(proc)


def test_pg_admin_gives_the_nodes_a_fresh_schema_and_drops_it(tmp_path: Path) -> None:
    """`--pg-admin URL`: the nodes keep history and accounts in PostgreSQL, in a schema made
    for the run (the conformance runner's --storage postgresql), gone after it."""
    import psycopg

    from tests.support.postgres import shared_postgres

    admin = shared_postgres().admin_url

    def schemas() -> set[str]:
        with psycopg.connect(admin) as conn:
            rows = conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sc\\_%'"
            ).fetchall()
        return {r[0] for r in rows}

    before = schemas()
    with wrapper(tmp_path, "--nodes", "1", "--pg-admin", admin) as (proc, port, _):
        c = IRCClient(port)
        c.send("CAP LS 302", "CAP REQ :draft/account-registration")
        c.send("NICK dana", "USER dana 0 * :dana", "REGISTER * * dana-password")
        c.expect("REGISTER", lambda m: m.param(0) == "SUCCESS")
        c.close()
        [schema] = schemas() - before
        with psycopg.connect(admin) as conn:
            row = conn.execute(f'SELECT name FROM "{schema}".accounts').fetchone()
        assert row == ("dana",)
        assert not (tmp_path / "socketchat.db").exists()  # not SQLite
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert schemas() == before
