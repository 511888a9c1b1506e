"""N `socketchat serve` nodes (optionally on one Redis) behind round-robin proxies, as one command.

Why: irctest's controller (and anything else that starts "a server" from a command) starts one
process and connects to one port. This wrapper is that process: it starts a redis-server (with
`--redis`), N nodes on free ports, waits until every node listens, and only then opens the proxy
on the IRC port (and one on the web port when it is not 0), so "the port accepts" still means
"the server is ready". SIGTERM or SIGINT tears everything down: proxies first, then the nodes
(SIGTERM, 5 s, SIGKILL), then Redis. Every child also gets SIGTERM if the wrapper itself dies
(PR_SET_PDEATHSIG), and they stay in the wrapper's process group, which irctest signals as a whole.
A node that exits on its own ends the whole cluster with status 1 (a half-dead cluster would
give confusing test failures).

    python -m tests.support.proxied_nodes --nodes 3 --redis --host 127.0.0.1 --port 6667 \
        --web-port 8080 --data-dir DIR -- --name My.Little.Server --config irctest.toml

Arguments after `--` go to every node's `socketchat serve`; `{node}` in them is replaced by the
node's number (0, 1, ...). Each node gets `--data-dir DIR/node<i>` (DIR itself with one node),
its own `--port` and `--web-port`, and with `--redis` the `--redis redis://127.0.0.1:P/0` and
`--node-id n<i>` options.
With `--pg-admin URL` (a PostgreSQL server's maintenance database, e.g.
postgresql://postgres@127.0.0.1:5432/postgres), a fresh schema is created for this run, every
node gets `--storage` pointing at it (its search_path), and it is dropped at the end.

Under libfaketime (irctest's faked-clock tests, `FAKETIME="+1y x30"`) the network runs as one
server whose clock runs fast: redis-server and every node under the same spec and one shared
origin, while this wrapper (its readiness timeout, the proxies) stays in real time
(`FakeClock`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from socketchat.server.config import ClusterConfig
from tests.support.processes import die_with_parent, stop_process
from tests.support.rrproxy import Address, RoundRobinProxy

READY_TIMEOUT = 60.0
PRELOAD_KEPT = "PROXIED_NODES_LD_PRELOAD"
# glibc's malloc behind its debugging interposer (glibc >= 2.34): see FakeClock.redis_env
MALLOC_DEBUG = next(
    iter(
        sorted(p for d in ("/lib", "/usr/lib") for p in glob.glob(f"{d}*/*/libc_malloc_debug.so.0"))
    ),
    "",
)
SHM = Path("/dev/shm")


@dataclass(frozen=True, slots=True)
class FakeClock:
    """The libfaketime settings this wrapper was started with, for the network's processes.

    irctest's faked-clock tests (LIST C<n / T<n, in minutes) want a server whose clock runs
    30 times fast. Through the cluster, every command's time is the log entry's, from Redis'
    clock, and a node's durations (ping timeouts, nick protection's deadlines, its lease) are
    measured on its own: so redis-server runs under the same spec as the nodes, and all of them
    share one origin. libfaketime computes a process's time as origin + offset + rate x (now -
    origin), with the origin its own start unless `FAKETIME_SHARED` names a shared one; four
    processes started a second apart would be 29 faked seconds apart per second of start-up.
    redis-server, started first without `FAKETIME_SHARED`, makes that shared clock (libfaketime
    names it after its pid and removes it when Redis exits) and the nodes are given it.

    What the rate changes in real time is made to stay as without it: the lease (renewed by the
    node on its monotonic clock, expired by Redis on its own, both faked) is `lease_seconds` x
    rate, so a node still has 5 real seconds before it is reaped, not 0.17 on a loaded machine;
    Redis' background cycle (`hz`) is divided by the rate, as often in real time as usual.
    """

    preload: str  # the LD_PRELOAD the wrapper was given (libfaketime's, and others)
    spec: str  # FAKETIME, e.g. "+1y x30"

    @staticmethod
    def from_environ(environ: dict[str, str] | os._Environ[str]) -> FakeClock | None:
        preload = environ.get(PRELOAD_KEPT, "")
        return FakeClock(preload, environ.get("FAKETIME", "")) if preload else None

    @property
    def rate(self) -> float:
        """The spec's speed-up ("x30"); 1 without one."""
        m = re.search(r"x\s*([0-9]*[.,]?[0-9]+)", self.spec)
        return float(m.group(1).replace(",", ".")) if m else 1.0

    def redis_env(self) -> dict[str, str]:
        """redis-server under libfaketime, making the network's shared clock.

        Debian's redis-server is linked with jemalloc, whose start-up calls clock_gettime
        before libfaketime is initialized; libfaketime's initialization allocates, and the two
        deadlock (a known incompatibility: wolfcw/libfaketime#130). glibc's
        libc_malloc_debug.so, preloaded first, gives Redis glibc's malloc, free, realloc and
        malloc_usable_size; jemalloc is left to answer mallctl (stats) and nallocx (a size
        class: a hint), which do not touch that memory."""
        if not MALLOC_DEBUG:
            raise SystemExit(
                "proxied_nodes: redis-server cannot run under libfaketime without glibc's "
                "libc_malloc_debug.so.0 (glibc 2.34 or later)"
            )
        env = {k: v for k, v in os.environ.items() if k not in (PRELOAD_KEPT, "FAKETIME_SHARED")}
        env["LD_PRELOAD"] = f"{MALLOC_DEBUG}:{self.preload}"
        return env

    @staticmethod
    def shared_by(pid: int) -> tuple[str, tuple[Path, ...]]:
        """The `FAKETIME_SHARED` value of the clock process `pid` made, and its files."""
        sem, shm = f"faketime_sem_{pid}", f"faketime_shm_{pid}"
        return f"/{sem} /{shm}", (SHM / f"sem.{sem}", SHM / shm)

    @staticmethod
    def fresh_clock() -> None:
        """redis-server's preexec_fn: files a killed process of the same pid left would stop
        libfaketime from making its clock (it then runs on its own origin, silently), and the
        nodes would be given the stale one."""
        die_with_parent()
        for path in FakeClock.shared_by(os.getpid())[1]:
            path.unlink(missing_ok=True)

    def node_env(self, shared: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != PRELOAD_KEPT}
        env["LD_PRELOAD"] = self.preload
        if shared:
            env["FAKETIME_SHARED"] = shared
        return env

    def lease_args(self, serve_args: Sequence[str], data_dir: Path) -> list[str]:
        """`serve_args` with a `--config` whose `[cluster] lease_seconds` is scaled by the
        rate (a copy of the given file, or a new one), so the lease is as long in real time."""
        args, text, at = list(serve_args), "", -1
        if "--config" in args:
            at = args.index("--config")
            text = Path(args[at + 1]).read_text()
        data = tomllib.loads(text)
        if "lease_seconds" in data.get("cluster", {}):
            raise SystemExit("proxied_nodes: under a faked clock the wrapper sets lease_seconds")
        lease = min(600.0, ClusterConfig().lease_seconds * self.rate)  # (600: the config's most)
        line = f"lease_seconds = {lease}\n"
        if "cluster" in data:
            text = re.sub(r"(?m)^\[cluster\][ \t]*\n", lambda m: m.group(0) + line, text, count=1)
        else:
            text += f"\n[cluster]\n{line}"
        path = data_dir / "faketime-lease.toml"
        path.write_text(text)
        if at < 0:
            return [*args, "--config", str(path)]
        args[at + 1] = str(path)
        return args


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Cluster:
    """The processes of one run, so that `stop` can end them in order."""

    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    redis: subprocess.Popen[bytes] | None = None
    node_ports: list[int] = field(default_factory=list)
    node_web_ports: list[int] = field(default_factory=list)
    database: tuple[str, str] | None = None  # (admin url, schema name) to drop at the end
    clock_files: tuple[Path, ...] = ()  # the shared faked clock's, removed by Redis at exit

    def stop(self) -> None:
        for proc in self.nodes:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.nodes:
            stop_process(proc)
        if self.redis is not None:
            stop_process(self.redis)
        for path in self.clock_files:  # (left when Redis was killed)
            path.unlink(missing_ok=True)
        if self.database is not None:
            admin, name = self.database
            with contextlib.suppress(Exception):
                _admin_sql(admin, f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _admin_sql(admin_url: str, sql: str) -> None:
    import psycopg  # only with --pg-admin: the postgres extra

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _schema_url(admin_url: str, name: str) -> str:
    """The admin URL with its search_path set to schema `name`: the nodes' tables live there
    (a schema is made in no time; a database takes half a second, per test)."""
    sep = "&" if "?" in admin_url else "?"
    return f"{admin_url}{sep}options=-csearch_path%3D{name}"


def start_cluster(
    args: argparse.Namespace, serve_args: Sequence[str], clock: FakeClock | None = None
) -> Cluster:
    cluster = Cluster()
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    common: list[str] = []
    shared = ""  # FAKETIME_SHARED: the network's one faked clock
    try:
        if args.redis:
            redis_server = shutil.which("redis-server")
            if redis_server is None:
                raise SystemExit("proxied_nodes: redis-server is not installed")
            redis_port = _free_port()
            redis_dir = data_dir / "redis"
            redis_dir.mkdir(exist_ok=True)
            redis_cmd = [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1"]
            redis_cmd += ["--save", "", "--appendonly", "no", "--dir", str(redis_dir)]
            if clock is not None:
                redis_cmd += ["--hz", str(max(1, round(10 / clock.rate)))]  # (10: the default)
            cluster.redis = subprocess.Popen(
                redis_cmd,
                stdout=subprocess.DEVNULL,
                preexec_fn=die_with_parent if clock is None else FakeClock.fresh_clock,
                env=None if clock is None else clock.redis_env(),
            )
            if clock is not None:
                shared, cluster.clock_files = FakeClock.shared_by(cluster.redis.pid)
            _wait_ready(cluster, [redis_port], [cluster.redis])
            if clock is not None:
                if not all(p.exists() for p in cluster.clock_files):
                    raise SystemExit(
                        "proxied_nodes: redis-server's libfaketime made no shared clock"
                    )
                serve_args = clock.lease_args(serve_args, data_dir)
            common += ["--redis", f"redis://127.0.0.1:{redis_port}/0"]
        if args.pg_admin:
            name = "sc_" + secrets.token_hex(6)
            _admin_sql(args.pg_admin, f'CREATE SCHEMA "{name}"')
            cluster.database = (args.pg_admin, name)
            common += ["--storage", _schema_url(args.pg_admin, name)]
        for i in range(args.nodes):
            port = _free_port()
            web_port = _free_port() if args.web_port else 0
            node_dir = data_dir / f"node{i}" if args.nodes > 1 else data_dir
            cmd = [sys.executable, "-m", "socketchat", "serve", "--host", "127.0.0.1"]
            cmd += ["--port", str(port), "--web-port", str(web_port)]
            cmd += ["--data-dir", str(node_dir), *common]
            if args.redis:
                cmd += ["--node-id", f"n{i}"]
            cmd += [a.replace("{node}", str(i)) for a in serve_args]
            env = None if clock is None else clock.node_env(shared)
            node = subprocess.Popen(cmd, preexec_fn=die_with_parent, env=env)
            cluster.nodes.append(node)
            cluster.node_ports.append(port)
            if web_port:
                cluster.node_web_ports.append(web_port)
        _wait_ready(cluster, cluster.node_ports + cluster.node_web_ports, cluster.nodes)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _wait_ready(cluster: Cluster, ports: list[int], procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    waiting = list(ports)
    while waiting:
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"proxied_nodes: {proc.args[0]} exited with {proc.returncode}")
        waiting = [p for p in waiting if not _accepting(p)]
        if time.monotonic() > deadline:
            raise SystemExit(f"proxied_nodes: ports {waiting} not listening after {READY_TIMEOUT}s")
        if waiting:
            time.sleep(0.05)


async def _run(args: argparse.Namespace, cluster: Cluster) -> int:
    proxies = [
        await RoundRobinProxy(
            [Address("127.0.0.1", p) for p in cluster.node_ports], args.host, args.port
        ).start()
    ]
    if cluster.node_web_ports:
        backends = [Address("127.0.0.1", p) for p in cluster.node_web_ports]
        proxies.append(await RoundRobinProxy(backends, args.host, args.web_port).start())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    status = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
        dead = [p for p in cluster.nodes if p.poll() is not None]
        if dead or (cluster.redis is not None and cluster.redis.poll() is not None):
            print("proxied_nodes: a node or Redis exited; stopping the cluster", file=sys.stderr)
            status = 1
            break
    for proxy in proxies:
        await proxy.close()
    return status


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="proxied_nodes", description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=3, help="how many nodes (default 3)")
    p.add_argument("--redis", action="store_true", help="start a redis-server for the nodes")
    p.add_argument("--pg-admin", default=None, help="PostgreSQL URL to create a database with")
    p.add_argument("--host", default="127.0.0.1", help="where the proxies listen")
    p.add_argument("--port", type=int, required=True, help="the IRC proxy's port")
    p.add_argument("--web-port", type=int, default=0, help="the web proxy's port (0: none)")
    p.add_argument("--data-dir", required=True, help="nodes' data directories go under it")
    return p


def _leave_faketime(argv: Sequence[str]) -> None:
    """Under libfaketime (irctest runs the servers of its faked-clock tests with `faketime -f
    '+1y x30' CMD`, or with it preloaded), run this wrapper itself in real time: its readiness
    timeout would pass 30 times too fast. The library is given back to Redis and the nodes
    (`FakeClock`), whose clocks are the ones the tests mean."""
    preload = os.environ.get("LD_PRELOAD", "")
    if "faketime" not in preload:
        return
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    env[PRELOAD_KEPT] = preload
    os.execve(sys.executable, [sys.executable, "-m", "tests.support.proxied_nodes", *argv], env)


def main(argv: Sequence[str] | None = None) -> int:
    tokens = list(sys.argv[1:] if argv is None else argv)
    _leave_faketime(tokens)
    serve_args: list[str] = []
    if "--" in tokens:
        at = tokens.index("--")
        tokens, serve_args = tokens[:at], tokens[at + 1 :]
    args = build_parser().parse_args(tokens)
    if args.nodes < 1:
        raise SystemExit("proxied_nodes: --nodes must be at least 1")
    # SIGTERM during start-up must still stop what was started: make it an exception until the
    # event loop takes the signal over.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    cluster = start_cluster(args, serve_args, FakeClock.from_environ(os.environ))
    try:
        return asyncio.run(_run(args, cluster))
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
