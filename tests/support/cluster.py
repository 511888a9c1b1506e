"""Several real `socketchat serve --redis` processes on one real redis-server (the cluster tests).

Each node is the real command in its own process (so SIGKILL and SIGSTOP are real), with its own
data directory and port, its output kept in a file to show when a test fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import free_port, wait_for_port
from tests.support.processes import die_with_parent, stop_process
from tests.support.redis import RunningRedis, running_redis

# every test client comes from 127.0.0.1 and the races open many connections at once
CONFIG = """
[server]
name = "cluster.test"
cloak_hosts = false

[limits]
connects_per_ip_per_minute = 0
connects_per_ip_burst = 0
max_clients_per_ip = 0

[[operators]]
name = "root"
password_hash = "scrypt$4$8$1$Co7E0ZbKA_9VamnCW26lPA$yEexukHUBuyCzi9yA-PEdfL_wRGnbNjuReUVVzTVf04"
"""
OPER_PASSWORD = "opersecret"  # (of the [[operators]] entry above: a cheap scrypt, tests only)


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    output: Path
    args: list[str] = field(default_factory=list)

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@dataclass
class Cluster:
    redis: RunningRedis
    nodes: list[Node]
    directory: Path

    def start_node(self, name: str, *extra: str) -> Node:
        node = _spawn(self.redis, self.directory, name, list(extra))
        self.nodes.append(node)
        return node

    def logs(self) -> str:
        return "\n".join(f"--- {n.name} ---\n{n.log()[-4000:]}" for n in self.nodes)


def _spawn(redis: RunningRedis, directory: Path, name: str, extra: list[str]) -> Node:
    port = free_port()
    data = directory / name
    data.mkdir(mode=0o700, exist_ok=True)
    config = directory / "socketchat.toml"
    if not config.exists():
        config.write_text(CONFIG)
    output = directory / f"{name}.log"
    cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(port), "--web-port", "0"]
    cmd += ["--data-dir", str(data), "--config", str(config), "--redis", redis.url]
    cmd += ["--node-id", name, *extra]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(output, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=die_with_parent
        )
    try:
        wait_for_port(port, timeout=20)
    except BaseException:
        stop_process(proc)
        raise AssertionError(f"node {name} did not start:\n{output.read_text()}") from None
    return Node(name, port, proc, output, extra)


@contextmanager
def running_cluster(
    count: int = 3,
    config: str = CONFIG,
    *,
    persistent: bool = False,
    extra: tuple[str, ...] = (),
) -> Iterator[Cluster]:
    """`count` nodes (n1, n2, ...) on a fresh redis-server (with an fsynced append-only file
    when `persistent`), all with the `config` file and the options `extra` (`--storage URL`:
    the shared store)."""
    with (
        running_redis(persistent) as redis,
        tempfile.TemporaryDirectory(prefix="socketchat-cl-") as tmp,
    ):
        cluster = Cluster(redis, [], Path(tmp))
        (cluster.directory / "socketchat.toml").write_text(config)
        try:
            for i in range(count):
                cluster.start_node(f"n{i + 1}", *extra)
            yield cluster
        except BaseException:
            print(cluster.logs())
            raise
        finally:
            for node in cluster.nodes:
                if node.process.poll() is None:
                    node.resume()
                    stop_process(node.process)
