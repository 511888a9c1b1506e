"""The servers under test: how to install, configure, start, watch and stop each one.

Every server gets a benchmark-friendly configuration: flood protection, per-IP and connection
limits off (or as high as they go), large send queues, no DNS/ident lookups, loopback only.
Servers run pinned to one core with `taskset`; CPU time and RSS are read from /proc.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

# Open files for the servers and the generator (10,000 idle connections need > 10,000 fds).
WANT_NOFILE = 65536


def raise_nofile() -> int:
    """Raise RLIMIT_NOFILE of this process as far as allowed; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, WANT_NOFILE)
    if os.geteuid() == 0:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
            return want
        except (ValueError, OSError):
            pass
    new = min(want, hard) if hard != resource.RLIM_INFINITY else want
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    except (ValueError, OSError):
        return soft
    return new


def set_nofile(soft: int) -> None:
    """Set RLIMIT_NOFILE's soft limit (within the hard limit): a server with the usual 1,024."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class ServerError(RuntimeError):
    """A server could not be installed or started."""


@dataclass
class Running:
    """A started server process."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    web_port: int | None
    workdir: Path
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all its threads)."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return float("nan")
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[0] is field 3 (state); utime is field 14, stime field 15.
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def node_cpu_seconds(self) -> list[float]:
        """CPU seconds of each node of a cluster target (one entry for a single process)."""
        return [self.cpu_seconds()]

    def redis_cpu_seconds(self) -> float:
        """CPU seconds of the target's redis-server (NaN: it has none)."""
        return float("nan")

    def rss_kib(self) -> int:
        """Resident set size (VmRSS) in KiB."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return -1

    def log_tail(self, n: int = 15) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@dataclass
class Server:
    """A server under test. Subclasses write the config and build the command line."""

    name: str = "server"
    label: str = "server"
    #: the most connections it can take (None: no own limit below RLIMIT_NOFILE)
    max_clients: int | None = None
    #: speaks IRC over WebSocket (text.ircv3.net) on the web port
    websocket: bool = False
    ws_path: str = "/ws"
    #: handshakes in flight while a scenario sets up its clients
    setup_inflight: int = 200
    notes: list[str] = field(default_factory=list)

    def missing(self) -> str | None:
        """Why the server cannot run here, or None when it can."""
        return None

    def install(self) -> None:
        """Install the server if it is missing (may raise ServerError)."""

    def version(self) -> str:
        return ""

    def command(self, port: int, web_port: int | None, workdir: Path) -> list[str]:
        raise NotImplementedError

    def start(
        self,
        workdir: Path,
        core: int | None,
        timeout: float = 20.0,
        nofile: int | None = None,
    ) -> Running:
        """Start the server on free loopback ports; `nofile` sets its RLIMIT_NOFILE soft limit
        (default: raised as far as allowed, like the generator's)."""
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        web_port = free_port() if self.websocket else None
        cmd = self.command(port, web_port, workdir)
        if core is not None and shutil.which("taskset"):
            cmd = ["taskset", "-c", str(core), *cmd]
        log = workdir / "server.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_nofile if nofile is None else partial(set_nofile, nofile),
                start_new_session=True,
            )
        running = Running(self.name, proc, port, web_port, workdir, log)
        deadline = time.monotonic() + timeout
        while not (port_open(port) and (web_port is None or port_open(web_port))):
            if proc.poll() is not None or time.monotonic() > deadline:
                running.stop()
                raise ServerError(
                    f"{self.name} did not start (exit {proc.poll()}): {' '.join(cmd)}\n"
                    + running.log_tail()
                )
            time.sleep(0.05)
        return running


def _apt_install(package: str) -> None:
    if shutil.which("apt-get") is None:
        raise ServerError(f"{package} is missing and apt-get is not available")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print(f"bench: installing {package} with apt-get", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=False, env=env)
    result = subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise ServerError(f"apt-get install {package} failed")
    # Some packages start a system daemon on install; the benchmark runs its own instances.
    for stop in (["systemctl", "stop", package], [f"/etc/init.d/{package}", "stop"]):
        if shutil.which(stop[0]) or Path(stop[0]).exists():
            subprocess.run(
                [*sudo, *stop], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )


class Ngircd(Server):
    def __init__(self) -> None:
        super().__init__(name="ngircd", label="ngIRCd")
        self.setup_inflight = 8  # it listens with a backlog of 10
        self.notes = [
            "MaxPenaltyTime=0 and DefaultUserModes=F (relaxed flood protection) switch its "
            "flood throttling off; MaxConnectionsIP=0, MaxJoins=0, MaxNickLength=30; "
            "its 32 KiB per-client write buffer is compiled in (the generator keeps "
            "in-flight data below it)."
        ]

    def binary(self) -> str | None:
        return shutil.which("ngircd") or (
            "/usr/sbin/ngircd" if Path("/usr/sbin/ngircd").exists() else None
        )

    def missing(self) -> str | None:
        return None if self.binary() else "ngircd is not installed"

    def install(self) -> None:
        if self.binary() is None:
            _apt_install("ngircd")

    def version(self) -> str:
        binary = self.binary()
        if binary is None:
            return ""
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
        first = out.stdout.splitlines()[0] if out.stdout else ""
        return first.split("-")[0].removeprefix("ngIRCd").strip()

    def command(self, port: int, web_port: int | None, workdir: Path) -> list[str]:
        conf = workdir / "ngircd.conf"
        conf.write_text(
            textwrap.dedent(
                f"""\
                [Global]
                Name = bench.ngircd
                Info = socketchat benchmark
                Listen = 127.0.0.1
                Ports = {port}
                MotdPhrase = benchmark
                [Limits]
                MaxConnections = 0
                MaxConnectionsIP = 0
                MaxJoins = 0
                MaxNickLength = 30
                MaxPenaltyTime = 0
                MaxListSize = 100000
                PingTimeout = 3600
                PongTimeout = 3600
                ConnectRetry = 60
                [Options]
                DNS = no
                Ident = no
                PAM = no
                DefaultUserModes = F
                MorePrivacy = no
                OperCanUseMode = yes
                """
            )
        )
        binary = self.binary()
        assert binary is not None
        return [binary, "--nodaemon", "--passive", "--config", str(conf)]


class Inspircd(Server):
    def __init__(self) -> None:
        super().__init__(name="inspircd", label="InspIRCd")
        # It completes registrations in its once-a-second background pass, so set-up needs
        # many handshakes in flight to be quick.
        self.setup_inflight = 1000
        self.notes = [
            "<connect> class: localmax/globalmax/limit 1000000, commandrate 1e9, threshold 1e9, "
            "fakelag off, hardsendq 1G, recvq 1M, no DNS/ident; <performance softlimit> "
            "raised to the fd limit."
        ]

    def binary(self) -> str | None:
        return shutil.which("inspircd") or (
            "/usr/sbin/inspircd" if Path("/usr/sbin/inspircd").exists() else None
        )

    def missing(self) -> str | None:
        return None if self.binary() else "inspircd is not installed"

    def install(self) -> None:
        if self.binary() is None:
            _apt_install("inspircd")

    def version(self) -> str:
        binary = self.binary()
        if binary is None:
            return ""
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
        return out.stdout.strip().split("-")[1] if "-" in out.stdout else out.stdout.strip()

    def command(self, port: int, web_port: int | None, workdir: Path) -> list[str]:
        conf = workdir / "inspircd.conf"
        motd = workdir / "motd.txt"
        motd.write_text("benchmark\n")
        big = 1_000_000
        conf.write_text(
            textwrap.dedent(
                f"""\
                <server name="bench.inspircd" description="socketchat benchmark" network="bench">
                <admin name="bench" nick="bench" email="bench@localhost">
                <bind address="127.0.0.1" port="{port}" type="clients">
                <connect name="main" allow="*" timeout="120" pingfreq="3600"
                         hardsendq="1G" softsendq="100M" recvq="1M"
                         threshold="1000000000" commandrate="1000000000" fakelag="no"
                         localmax="{big}" globalmax="{big}" limit="{big}" maxconnwarn="no"
                         maxchans="1000" resolvehostnames="no" useident="no" modes="">
                <performance netbuffersize="65536" somaxconn="4096"
                             softlimit="{WANT_NOFILE - 64}" clonesonconnect="no"
                             quietbursts="yes" timeskipwarn="0">
                <limits maxnick="30" maxchan="64" maxuser="15" maxhost="64">
                <options defaultmodes="nt" hostintopic="no" maxtargets="20">
                <security hidesplits="no" announceinvites="dynamic">
                <files motd="{motd}">
                <pid file="{workdir / "inspircd.pid"}">
                <dns timeout="3">
                """
            )
        )
        binary = self.binary()
        assert binary is not None
        cmd = [binary, "--nofork", "--nolog", "--config", str(conf)]
        if os.geteuid() == 0:
            cmd.append("--runasroot")
        return cmd


class Miniircd(Server):
    def __init__(self) -> None:
        super().__init__(name="miniircd", label="miniircd")
        # select() only watches fds < FD_SETSIZE (1024): the listening socket, stdio and
        # about 1,015 clients.
        self.max_clients = 1015
        self.setup_inflight = 4  # it listens with a backlog of 5
        self.notes = [
            "No flood or connection limits. It uses select(), so it cannot hold more than "
            "~1,015 connections (FD_SETSIZE 1024): scenarios that need more are skipped."
        ]

    def binary(self) -> str | None:
        exe = VENV_BIN / "miniircd"
        return str(exe) if exe.exists() else shutil.which("miniircd")

    def missing(self) -> str | None:
        return None if self.binary() else "miniircd is not installed (pip install miniircd)"

    def install(self) -> None:
        if self.binary() is None:
            print("bench: installing miniircd with pip", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "miniircd"], check=True)

    def version(self) -> str:
        binary = self.binary()
        if binary is None:
            return ""
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
        return out.stdout.strip()

    def command(self, port: int, web_port: int | None, workdir: Path) -> list[str]:
        binary = self.binary()
        assert binary is not None
        cmd = [binary, "--listen", "127.0.0.1", "--ports", str(port)]
        if os.geteuid() == 0:
            cmd += ["--setuid", "root"]  # it refuses to run as root without this
        return cmd


class Socketchat(Server):
    def __init__(
        self,
        ws_path: str = "/ws",
        config_toml: str = "[limits]\nenabled = false\n",
        log_level: str = "WARNING",
    ) -> None:
        """`config_toml` is the whole configuration file (the benchmark's switches limits off;
        the soak's is product-like, bench/soak.py)."""
        super().__init__(name="socketchat", label="socketchat", websocket=True, ws_path=ws_path)
        self.config_toml = config_toml
        self.log_level = log_level
        self.setup_inflight = 50
        self.notes = [
            "[limits] enabled = false; TCP and WebSocket (--web-port) listeners; "
            "--log-level WARNING (INFO adds a log line per connection event); "
            "history on (SQLite in a temp dir)."
        ]

    def binary(self) -> str | None:
        exe = VENV_BIN / "socketchat"
        return str(exe) if exe.exists() else shutil.which("socketchat")

    def missing(self) -> str | None:
        binary = self.binary()
        if binary is None:
            return "socketchat is not installed (scripts/setup.sh)"
        out = subprocess.run(
            [binary, "serve", "--help"], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            return (
                "`socketchat serve --help` fails: " + (out.stderr.strip().splitlines() or [""])[-1]
            )
        probe = subprocess.run(
            [str(VENV_BIN / "python"), "-c", "import socketchat.server.main"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode != 0:
            last = (probe.stderr.strip().splitlines() or ["?"])[-1]
            return f"socketchat.server.main cannot be imported ({last})"
        return None

    def version(self) -> str:
        try:
            import socketchat

            return str(socketchat.__version__)
        except Exception:
            return ""

    def command(self, port: int, web_port: int | None, workdir: Path) -> list[str]:
        conf = workdir / "socketchat.toml"
        conf.write_text(self.config_toml)
        binary = self.binary()
        assert binary is not None
        cmd = [binary, "serve", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--web-port", str(web_port if web_port is not None else 0)]
        cmd += ["--data-dir", str(workdir / "data"), "--config", str(conf)]
        cmd += ["--log-level", self.log_level]
        return cmd


@dataclass
class RunningWithRedis(Running):
    """A cluster node and the redis-server it runs on: stopped together."""

    redis: subprocess.Popen[bytes] | None = None

    def redis_cpu_seconds(self) -> float:
        return _cpu_of(self.redis.pid) if self.redis is not None else float("nan")

    def stop(self) -> None:
        super().stop()
        if self.redis is not None and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait(timeout=5)


class SocketchatNoHistory(Socketchat):
    """`socketchat serve` without storage (`bench/nostore.py`): the fair single server beside
    a cluster node, which has no storage yet (docs/cluster.md, Limits) — `socketchat` writes
    every line to SQLite, so against it a node's price would hide behind that work."""

    def __init__(self, ws_path: str = "/ws") -> None:
        super().__init__(ws_path)
        self.name = self.label = "socketchat-nohistory"
        self.notes = [
            "the same as socketchat without storage (no history, no accounts: bench/nostore.py),"
            " as a cluster node runs today: the baseline of the price of the cluster layer."
        ]

    def command(self, port: int, web_port: int | None, workdir: Path) -> list[str]:
        cmd = super().command(port, web_port, workdir)
        return [str(VENV_BIN / "python"), str(REPO / "bench" / "nostore.py"), *cmd[1:]]


class SocketchatRedis(Socketchat):
    """One cluster node (`--redis`, docs/cluster.md) on its own redis-server: what the
    log-replicated core costs against `socketchat-nohistory` (the same without Redis). Redis is
    pinned to the server's core, so its CPU counts against the node (on a real network it has
    a machine of its own). A cluster node has no storage yet, so it writes no history."""

    def __init__(self, ws_path: str = "/ws") -> None:
        super().__init__(ws_path)
        self.name = self.label = "socketchat-redis1"
        self.notes = [
            "the same as socketchat-nohistory, as one cluster node (--redis) on a redis-server"
            " (no persistence) pinned to the same core; no history (a cluster node has no"
            " storage yet)."
        ]
        self._redis_port = 0

    def missing(self) -> str | None:
        if shutil.which("redis-server") is None:
            return "redis-server is not installed (apt-get install redis-server)"
        return super().missing()

    def command(self, port: int, web_port: int | None, workdir: Path) -> list[str]:
        url = f"redis://127.0.0.1:{self._redis_port}/0"
        return [*super().command(port, web_port, workdir), "--redis", url]

    def start(
        self,
        workdir: Path,
        core: int | None,
        timeout: float = 20.0,
        nofile: int | None = None,
    ) -> Running:
        workdir.mkdir(parents=True, exist_ok=True)
        self._redis_port = free_port()
        cmd = ["redis-server", "--port", str(self._redis_port), "--bind", "127.0.0.1"]
        cmd += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
        if core is not None and shutil.which("taskset"):
            cmd = ["taskset", "-c", str(core), *cmd]
        redis = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while not port_open(self._redis_port):
            if redis.poll() is not None or time.monotonic() > deadline:
                redis.kill()
                raise ServerError("redis-server did not start")
            time.sleep(0.05)
        try:
            running = super().start(workdir, core, timeout, nofile)
        except BaseException:
            redis.kill()
            redis.wait(timeout=5)
            raise
        return RunningWithRedis(
            running.name,
            running.proc,
            running.port,
            running.web_port,
            running.workdir,
            running.log,
            redis=redis,
        )


@dataclass
class ClusterRunning(Running):
    """N socketchat nodes (and their redis-server): `port`/`web_port` are node 0's, `ports`
    every node's IRC port (the generator spreads its clients over them, client i to node
    i mod N, without a proxy in between whose CPU would be measured too); CPU and RSS are the
    sum over the nodes, Redis' CPU apart (`redis_cpu_seconds`)."""

    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: tuple[int, ...] = ()
    redis: subprocess.Popen[bytes] | None = None

    def _pids(self) -> list[int]:
        return [p.pid for p in self.nodes]

    def alive(self) -> bool:
        procs = [*self.nodes, *([self.redis] if self.redis else [])]
        return all(p.poll() is None for p in procs)

    def cpu_seconds(self) -> float:
        return sum(_cpu_of(pid) for pid in self._pids())

    def node_cpu_seconds(self) -> list[float]:
        return [_cpu_of(pid) for pid in self._pids()]

    def redis_cpu_seconds(self) -> float:
        return _cpu_of(self.redis.pid) if self.redis is not None else float("nan")

    def rss_kib(self) -> int:
        return sum(_rss_of(pid) for pid in self._pids())

    def stop(self) -> None:
        """The nodes first (SIGTERM, together), then Redis, each SIGKILLed after 5 s."""
        for proc in self.nodes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.nodes:
            _wait_or_kill(proc)
        if self.redis is not None:
            if self.redis.poll() is None:
                self.redis.send_signal(signal.SIGTERM)
            _wait_or_kill(self.redis)


def _wait_or_kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _cpu_of(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


class SocketchatCluster(Socketchat):
    """socketchat as a cluster (`serve --redis`, docs/cluster.md): `nodes` nodes on one
    redis-server started for the run, the generator's clients spread over them
    (`socketchat-redis3`: total throughput of three nodes, CPU summed over them; per node in
    the report's cluster table)."""

    def __init__(self, nodes: int, ws_path: str = "/ws") -> None:
        super().__init__(ws_path)
        self.nodes = nodes
        self.name = f"socketchat-redis{nodes}"
        self.label = self.name
        self.websocket = False  # the WebSocket scenarios measure one node's framing: not here
        self.notes = [
            f"{nodes} node(s) of `socketchat serve --redis` on one redis-server (no persistence),"
            " [limits] enabled = false, clients spread over the nodes (client i to node i mod"
            f" {nodes}); not pinned to a core; CPU and RSS summed over the nodes."
        ]

    def missing(self) -> str | None:
        why = super().missing()
        if why:
            return why
        if shutil.which("redis-server") is None:
            return "redis-server is not installed (scripts/setup.sh --test)"
        binary = self.binary()
        assert binary is not None
        out = subprocess.run(
            [binary, "serve", "--help"], capture_output=True, text=True, check=False
        )
        if "--redis" not in out.stdout:
            return "this socketchat has no `serve --redis` (the cluster) yet"
        return None

    def start(
        self,
        workdir: Path,
        core: int | None,
        timeout: float = 30.0,
        nofile: int | None = None,
    ) -> Running:
        workdir.mkdir(parents=True, exist_ok=True)
        log = workdir / "server.log"
        redis_port = free_port()
        redis_cmd = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"]
        redis_cmd += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
        limit = raise_nofile if nofile is None else partial(set_nofile, nofile)
        with log.open("wb") as out:
            redis = subprocess.Popen(
                redis_cmd, cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            deadline = time.monotonic() + timeout
            while not port_open(redis_port):
                if redis.poll() is not None or time.monotonic() > deadline:
                    raise ServerError(f"redis-server did not start (exit {redis.poll()})")
                time.sleep(0.05)
            nodes, ports = [], []
            for i in range(self.nodes):
                port = free_port()
                node_dir = workdir / f"node{i}"
                node_dir.mkdir(exist_ok=True)
                cmd = self.command(port, None, node_dir)
                cmd += ["--redis", f"redis://127.0.0.1:{redis_port}/0", "--node-id", f"n{i}"]
                node = subprocess.Popen(
                    cmd, cwd=node_dir, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, preexec_fn=limit, start_new_session=True,
                )  # fmt: skip
                nodes.append(node)
                ports.append(port)
        running = ClusterRunning(
            self.name, nodes[0], ports[0], None, workdir, log,
            nodes=nodes, ports=tuple(ports), redis=redis,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not all(port_open(p) for p in ports):
            if not running.alive() or time.monotonic() > deadline:
                running.stop()
                raise ServerError(f"{self.name} did not start:\n" + running.log_tail())
            time.sleep(0.05)
        return running


#: former names of the cluster targets
ALIASES = {"socketchat-redis": "socketchat-redis1", "socketchat-cluster3": "socketchat-redis3"}


def all_servers(ws_path: str = "/ws") -> dict[str, Server]:
    """Every server the benchmark knows; `bench/cli.py: DEFAULT_SERVERS` are run by default
    (the cluster targets only when asked for: `--servers
    socketchat-nohistory,socketchat-redis1,socketchat-redis3`)."""
    servers: list[Server] = [
        Socketchat(ws_path),
        SocketchatNoHistory(ws_path),
        SocketchatRedis(ws_path),
        Ngircd(),
        Inspircd(),
        Miniircd(),
        SocketchatCluster(3, ws_path),
    ]
    by_name = {s.name: s for s in servers}
    by_name.update({old: by_name[new] for old, new in ALIASES.items()})
    return by_name
