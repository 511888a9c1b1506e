"""A cluster node's Redis side (docs/cluster.md): the log's writer and reader, and the leases.

Keys (in the Redis database of `redis_url`):

- ``socketchat:log``: the Stream that is the network's ordered input log (`server/cluster/`).
- ``socketchat:nodes``: a counter; each node start takes the next number (its incarnation).
- ``socketchat:lease:<n>``: node n's lease, ``SET ... PX lease`` renewed every lease/5.
- ``socketchat:gone:<n>``: set once (``SET NX``) by the node that reaps n, so that one
  "node n is gone" is appended however many nodes notice.
- ``socketchat:cloak``: the network's cloak secret (``SET NX`` by the first node).
- ``socketchat:created``: when the network's first node started (003 says so on every node).
- ``socketchat:config``: the network's settings (`config.deciding`, as `config.canonical`
  text): written by the network's first node (``SET NX``), compared by every node that starts
  (one whose file differs refuses to start, naming the settings), and rewritten by every
  node as it applies a REHASH or SIGHUP (``socketchat:config:id``: that entry's position, so
  that a node that lags does not write older settings over newer ones).
- ``socketchat:store``: the shared store's deciding state (accounts, registered channels, ...)
  as the network's first node read it from the database (`server/cluster/store.py: Facts`):
  every node loads it, then applies the log's changes to it.
- ``socketchat:snapshot``, ``socketchat:snapshot:id``: the newest snapshot of the state
  (`cluster/snapshot.py`) and the log position it was taken at.
- ``socketchat:applied``: a hash, node number -> the last log position that node applied
  (published with each lease renewal; "0-0" while a starting node looks for the snapshot).

Three tasks run beside the server: the writer appends what the replica queued, once per
event-loop turn, in one call (`APPEND_SCRIPT`: only while this node's lease exists); the
reader applies the log in order (``XREAD BLOCK``) and flushes; the lease task renews this
node's lease, publishes how far this node applied the log, and reaps nodes whose lease
expired.

Snapshots and trimming: the live node with the lowest number, every `snapshot_entries`
entries or `snapshot_seconds` seconds, dumps its replica between two batches (in a forked
child, `start_dump`: the node goes on meanwhile) and hands it to `SNAPSHOT_SCRIPT`, which in
one step (so no node starting meanwhile can miss entries) keeps it only if it is newer than
the one there and this node still holds its lease, then trims the log (``XTRIM MINID``)
below the oldest position still needed: the snapshot's, and that of every node with a lease
(a node that lags keeps what it has not applied; a starting node publishes "0-0" before it
reads the snapshot, so nothing is trimmed under it). A starting node loads the snapshot,
then reads the log after its position.

A node that cannot renew its lease in time — Redis unreachable or restarted empty, or the
process was paused — closes its own clients at once and exits with status 1, before or while
the others reap it: it resurrects nothing, and a supervisor (systemd's Restart=) starts a
fresh incarnation, which loads the snapshot and replays the log after it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from socketchat.server.cluster import snapshot
from socketchat.server.cluster.replica import Replica
from socketchat.server.commands.multiline import OpenBatch
from socketchat.server.config import (
    ConfigError,
    ServerConfig,
    canonical,
    deciding,
    differences,
    validate,
    with_settings,
)
from socketchat.server.rehash import RehashResult

try:  # the optional extra [redis]
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - without the extra, --redis says what to install
    aioredis = None  # type: ignore[assignment]
    RedisError = OSError  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from socketchat.server.config import ClusterConfig
    from socketchat.server.core import Server
    from socketchat.server.net.runner import ServerRunner

log = logging.getLogger("socketchat.cluster")

PREFIX = "socketchat:"
LOG_KEY = PREFIX + "log"
NODES_KEY = PREFIX + "nodes"
CLOAK_KEY = PREFIX + "cloak"
CREATED_KEY = PREFIX + "created"  # when the network's first node started (RPL_CREATED)
CONFIG_KEY = PREFIX + "config"  # the network's settings (`config.DECIDING`), sorted JSON
CONFIG_ID_KEY = PREFIX + "config:id"  # the position of the entry that set them (none: start)
CONFIG_START_KEY = PREFIX + "config:start"  # the settings the log began with
STORE_KEY = PREFIX + "store"  # the snapshot of the shared store's deciding state
SNAPSHOT_KEY = PREFIX + "snapshot"
SNAPSHOT_ID_KEY = PREFIX + "snapshot:id"
SNAPSHOT_CONFIG_KEY = PREFIX + "snapshot:config"  # the network's settings at its position
APPLIED_KEY = PREFIX + "applied"
READ_COUNT = 1000  # entries per XREAD
READ_BLOCK_MS = 1000
RETRY_SECONDS = 0.2
LEAVE_TIMEOUT = 2.0  # how long a stopping node waits for its "gone" to come back
LOST = "Lost contact with the cluster"
# Append a batch of entries only while the appending node's lease exists, atomically: a node
# that was reaped (paused past its lease) or whose Redis restarted empty can never write to
# the log again, and a batch is all in the log or none of it.
APPEND_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
for _, entry in ipairs(ARGV) do redis.call('XADD', KEYS[2], '*', 'e', entry) end
return #ARGV
"""  # what a node's clients read when it cut itself off
# Keep a snapshot and trim the log below what is still needed, atomically (see the module's
# doc). KEYS: the writer's lease, the snapshot, its position, the applied hash, the log, the
# network's settings at the snapshot's position; ARGV: the lease keys' prefix, the live nodes
# the writer knows (comma-separated), then the position, the snapshot and the settings (none:
# only trim, below the snapshot there). A live node that has
# published no position (it runs a version before snapshots) keeps the whole log. Returns -1
# (no lease), 0 (an as new or newer snapshot is there, or nothing to trim below), else 1 +
# the number of entries trimmed.
SNAPSHOT_SCRIPT = """
local function older(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local keep = redis.call('GET', KEYS[3])
if ARGV[4] then
  if keep and not older(keep, ARGV[3]) then return 0 end
  redis.call('SET', KEYS[2], ARGV[4])
  redis.call('SET', KEYS[3], ARGV[3])
  redis.call('SET', KEYS[6], ARGV[5])
  keep = ARGV[3]
end
if not keep then return 0 end
for node in string.gmatch(ARGV[2], '%d+') do
  if redis.call('HEXISTS', KEYS[4], node) == 0 and redis.call('EXISTS', ARGV[1] .. node) == 1 then
    return 1
  end
end
local applied = redis.call('HGETALL', KEYS[4])
for i = 1, #applied, 2 do
  if redis.call('EXISTS', ARGV[1] .. applied[i]) == 1 then
    if older(applied[i + 1], keep) then keep = applied[i + 1] end
  else
    redis.call('HDEL', KEYS[4], applied[i])
  end
end
return 1 + redis.call('XTRIM', KEYS[5], 'MINID', keep)
"""


# Keep the network's settings a REHASH (or SIGHUP) set, written by every node that applies it:
# only if its entry is newer than that of the settings there (a node that lags writes an older
# one after a newer one was written: it is not taken). KEYS: the settings, their position;
# ARGV: the entry's position, the settings.
SETTINGS_SCRIPT = """
local at = redis.call('GET', KEYS[2])
if at then
  local am, as = string.match(at, '^(%d+)-(%d+)$')
  local bm, bs = string.match(ARGV[1], '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  if not (am < bm or (am == bm and as < bs)) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
return 1
"""


class Dumping:
    """A snapshot being dumped by a forked child (`start_dump`): `result` reads it back."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd

    async def result(self) -> bytes:
        """The child's snapshot, read from its pipe off the loop; the child reaped."""
        loop = asyncio.get_running_loop()
        try:
            raw = await loop.run_in_executor(None, _read_all, self.fd)
        finally:
            await loop.run_in_executor(None, _reap, self.pid)
        size = int.from_bytes(raw[:8], "big")
        if len(raw) < 8 or len(raw) != 8 + size:
            raise snapshot.SnapshotError("the process dumping the snapshot failed")
        return raw[8:]


def start_dump(replica: Replica) -> bytes | Dumping:
    """`snapshot.dump(replica)` without holding the event loop for it (at 100,000 users it
    takes seconds, past what the lease allows): `fork` copies the state as it is now (copy on
    write, as Redis' BGSAVE: the child's reads copy pages, up to the heap's size at worst),
    the child dumps it into a pipe and exits, the node goes on at once. Without `fork` (not
    POSIX), the dump is made inline and returned."""
    if not hasattr(os, "fork"):
        return snapshot.dump(replica)
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # the child: nothing of the parent's loop, threads or sockets is touched
        status = 1
        try:
            os.close(read_end)
            data = snapshot.dump(replica)
            _write_all(write_end, len(data).to_bytes(8, "big"))
            _write_all(write_end, data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return Dumping(pid, read_end)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # (reaped by someone else: the pipe told us the outcome)
        pass


def lease_key(node: int) -> str:
    return f"{PREFIX}lease:{node}"


def gone_key(node: int) -> str:
    return f"{PREFIX}gone:{node}"


class ClusterError(Exception):
    """The cluster cannot be joined (Redis unreachable, the extra missing): one sentence."""


def _settings(raw: bytes | str | None) -> dict[str, Any]:
    """The network's settings as kept in Redis (`config.canonical`), checked: this version
    knows every one of them."""
    try:
        settings = json.loads(raw or b"")
        if not isinstance(settings, dict):
            raise ValueError("not an object")
        with_settings(ServerConfig(), settings)
    except (ValueError, TypeError) as exc:  # (ConfigError too: a setting it does not know)
        raise ClusterError(f"the network's configuration in Redis cannot be read: {exc}") from None
    return settings


def mismatch(differing: list[str]) -> str:
    """Why a node whose configuration differs from the network's does not start."""
    return (
        "this node's configuration differs from the network's: "
        + ", ".join(differing)
        + " (every node needs the same settings but its own ports, files and node_id:"
        " docs/cluster.md)"
    )


class ClusterNode:
    """This process as one node: `open` (Redis, number, lease, cloak secret), then `start`."""

    def __init__(self, config: ClusterConfig, replica: Replica) -> None:
        self.config = config
        self.replica = replica
        self.redis: Any = None
        self.number = 0
        self.name = ""
        self.cloak_secret = b""
        self.created = 0.0
        self.store_snapshot: bytes | None = None  # (`open` with a snapshot)
        # the newest snapshot of the replica as `open` found it (None: none, start from the
        # log's beginning), loaded by `start`
        self.replica_snapshot: bytes | None = None
        self.snapshot_time = 0.0  # when it was taken (what every node boots at)
        self.exit_status = 0
        self._server: Server | None = None
        self._runner: ServerRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._renewed = 0.0
        self._stopping = False  # the tasks end
        self._leaving = False  # we asked the network to let us go (our "gone" is expected)
        self._lease_ms = int(config.lease_seconds * 1000)
        self._append: Any = None  # the APPEND_SCRIPT, registered in `open`
        self._keep_snapshot: Any = None  # the SNAPSHOT_SCRIPT
        self._snapshot_applied = 0  # `replica.applied` at this node's last snapshot
        self._snapshot_at = 0.0  # (loop time) when it was taken
        self._snapshot_task: asyncio.Task[None] | None = None  # one being made and kept
        # the network's settings as this node last took them (at start: from Redis)
        self.network_settings: dict[str, Any] | None = None
        # the network's settings where this node starts applying the log (`open`): the node's
        # server is built with them (`run_server`), its own settings from its own file
        self.start_settings: dict[str, Any] = {}
        self._own_settings: dict[str, Any] = {}  # this node's file's, at start
        self._settings_text = ""  # what `_write_settings` keeps in Redis, and its position
        self._settings_at = ""
        self._keep_settings: Any = None  # the SETTINGS_SCRIPT
        self._settings_task: asyncio.Task[None] | None = None

    async def open(
        self,
        snapshot: Callable[[], str] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """Reach Redis, take a node number and a lease, read the network's cloak secret; with
        `snapshot` (the shared store's deciding state, read from the database), the network's
        one snapshot of it: made by this node if it is the network's first. With `settings`
        (this node's `config.deciding`), first check that they are the network's: a
        `ClusterError` naming the settings that differ, before this node takes a number."""
        url = self.config.redis_url
        if aioredis is None:
            raise ClusterError("--redis needs the redis extra: pip install 'socketchat[redis]'")
        self.redis = aioredis.from_url(
            url,
            socket_timeout=self.config.lease_seconds,
            socket_connect_timeout=2.0,
        )
        try:
            await self.redis.ping()
            if settings is not None:
                await self._check_settings(settings)
            self.number = int(await self.redis.incr(NODES_KEY))
            self.name = self.config.node_id or f"node{self.number}"
            await self.redis.set(lease_key(self.number), self.name, px=self._lease_ms)
            await self.redis.set(CLOAK_KEY, os.urandom(16).hex(), nx=True)
            secret = await self.redis.get(CLOAK_KEY)
            await self.redis.set(CREATED_KEY, repr(time.time()), nx=True)
            self.created = float(await self.redis.get(CREATED_KEY))
            # keep the whole log from now until the snapshot is loaded (`start`): a snapshot
            # written meanwhile cannot trim what follows the one read here
            await self.redis.hset(APPLIED_KEY, str(self.number), "0-0")
            pipe = self.redis.pipeline(transaction=True)  # (one snapshot and its settings)
            pipe.get(SNAPSHOT_KEY)
            pipe.get(SNAPSHOT_CONFIG_KEY)
            pipe.get(CONFIG_START_KEY)
            self.replica_snapshot, at_snapshot, at_start = await pipe.execute()
            if snapshot is not None:
                if not await self.redis.exists(STORE_KEY):
                    await self.redis.set(STORE_KEY, snapshot(), nx=True)
                self.store_snapshot = await self.redis.get(STORE_KEY)
        except (RedisError, OSError) as exc:
            await self._close_redis()
            raise ClusterError(f"cannot reach Redis at {url}: {exc}") from None
        except ClusterError:
            await self._close_redis()
            raise
        self.cloak_secret = bytes.fromhex(secret.decode())
        if settings is not None:
            # what the entries from this node's starting point on were applied with: the
            # snapshot's (a snapshot of an older version has none: the network's now), or,
            # from the log's beginning, the first node's
            raw = at_snapshot if self.replica_snapshot is not None else at_start
            try:
                self.start_settings = (
                    dict(self.network_settings or {}) if raw is None else _settings(raw)
                )
            except ClusterError:
                await self._close_redis()
                raise
        self._append = self.redis.register_script(APPEND_SCRIPT)
        self._keep_snapshot = self.redis.register_script(SNAPSHOT_SCRIPT)
        self._keep_settings = self.redis.register_script(SETTINGS_SCRIPT)
        self._renewed = asyncio.get_running_loop().time()

    async def _check_settings(self, settings: dict[str, Any]) -> None:
        """The network's settings are `settings` (this node is the first: it writes them), or
        this node refuses to start (`mismatch`)."""
        text = canonical(settings)
        await self.redis.set(CONFIG_KEY, text, nx=True)
        await self.redis.set(CONFIG_START_KEY, text, nx=True)
        network = _settings(await self.redis.get(CONFIG_KEY))
        differing = differences(settings, network)
        if differing:
            raise ClusterError(mismatch(differing))
        self.network_settings = network
        self._own_settings = settings

    # -- REHASH and SIGHUP: the network's settings through the log (`rehash.NetworkRehash`) --
    def read(self, by: str) -> dict[str, Any]:
        """This node's file, read again: its network settings, or why it cannot be taken."""
        assert self._runner is not None
        try:
            new = self._runner.read_config()
        except ConfigError as exc:
            return {"error": str(exc)}
        return {"config": deciding(new)}

    def apply(self, value: dict[str, Any], by: str) -> RehashResult:
        """Take the network settings one node read (every node, at the same entry): those from
        `value`, this node's own (`config.NODE_LOCAL`) from its own file. A node whose file
        then differs from the network's says which settings, and runs the network's."""
        assert self._runner is not None and self._server is not None
        runner, server = self._runner, self._server
        ours = self.replica.ours()
        settings = value.get("config")
        if "error" in value or not isinstance(settings, dict):
            error = str(value.get("error", "no configuration was read"))
            if ours:  # (logged once: by the node that read it)
                runner.refused(by, error)
            return RehashResult(runner.config_source, error)
        try:
            own = runner.read_config()
        except ConfigError as exc:
            log.error(
                "rehash by %s: this node's own configuration cannot be read (%s): it keeps"
                " its node-local settings and takes the network's",
                by,
                exc,
            )
            own = server.config
        try:
            new = validate(with_settings(own, settings))
        except ConfigError as exc:  # (a network setting this version does not know)
            log.error("rehash by %s: the network's settings cannot be taken: %s", by, exc)
            return RehashResult(runner.config_source, str(exc))
        result = runner.take(new, by)
        self.network_settings = deciding(server.config)  # (restart-only ones kept as they were)
        differing = differences(deciding(own), self.network_settings)
        if differing and self.replica.caught_up:  # (else: said once caught up, if still so)
            log.warning(
                "rehash: this node's configuration file differs from the network's, which it"
                " runs: %s",
                ", ".join(differing),
            )
        if self.replica.applying:  # (every node: the network's settings outlive any node)
            ms, seq = self.replica.entry_position
            self._store_settings(canonical(self.network_settings), f"{ms}-{seq}")
        return result

    def _sighup(self, by: str) -> None:
        """SIGHUP on a cluster node: its file read now; taken by every node at its entry."""
        value = self.read(by)
        if "error" in value:
            assert self._runner is not None
            self._runner.refused(by, str(value["error"]))
            return
        self.replica.rehash(value, by)

    def _store_settings(self, text: str, position: str) -> None:
        """Keep `text`, set at log `position`, as the network's settings in Redis (the newest
        this node applied, if several come before it is written)."""
        self._settings_text, self._settings_at = text, position
        if self._settings_task is None:
            self._settings_task = asyncio.get_running_loop().create_task(self._write_settings())

    async def _write_settings(self) -> None:
        try:
            while not self._stopping:
                text, position = self._settings_text, self._settings_at
                try:
                    await self._keep_settings(
                        keys=[CONFIG_KEY, CONFIG_ID_KEY], args=[position, text]
                    )
                except (RedisError, OSError) as exc:
                    log.warning("cluster: storing the network's settings failed: %s", exc)
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                if position == self._settings_at:
                    return
        finally:
            self._settings_task = None

    async def start(self, server: Server, runner: ServerRunner) -> None:
        """Replay the log so far (before any listener opens), then run the three tasks."""
        self._server, self._runner = server, runner
        replica = self.replica
        replica.attach(server, self.number, self.name)
        replica.want_write = self._wake.set
        replica.on_self_gone = self._self_gone
        if self.network_settings is not None:  # (`open` checked this node's settings)
            server.network_rehash = self
            runner.sighup = self._sighup
        loop = asyncio.get_running_loop()
        # the lease is renewed while the log is replayed (a long log takes longer than the
        # lease); the other nodes are reaped only once this replica has caught up
        leases = loop.create_task(self._leases())
        leases.add_done_callback(self._task_ended)
        self._tasks.append(leases)
        try:
            await self._load_snapshot()
            while entries := await self._read(block=False):
                self._apply(entries)
                await asyncio.sleep(0)  # (let the lease task run)
        except (RedisError, OSError) as exc:
            raise ClusterError(f"cannot read the cluster log: {exc}") from None
        except snapshot.SnapshotError as exc:
            raise ClusterError(f"cannot load the cluster's snapshot: {exc}") from None
        if replica.detached:
            raise ClusterError("lost the lease while replaying the cluster log")
        replica.caught_up = True
        if self.network_settings is not None:
            self.network_settings = deciding(server.config)
            differing = differences(self._own_settings, self.network_settings)
            if differing:  # (a REHASH between this node's check and its catching up)
                log.warning(
                    "cluster: this node's configuration file differs from the network's,"
                    " which it runs: %s",
                    ", ".join(differing),
                )
        self._snapshot_applied, self._snapshot_at = replica.applied, loop.time()
        log.info(
            "cluster: node %s (%d) joined after %d log entries",
            self.name,
            self.number,
            replica.applied,
        )
        self._wake.set()  # our "up" first
        for coro in (self._writer(), self._reader()):
            task = loop.create_task(coro)
            task.add_done_callback(self._task_ended)
            self._tasks.append(task)
        runner.add_closer(self.leave)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        """A task that ends by a bug leaves this node unable to follow the log: cut off."""
        if task.cancelled() or self._stopping:
            return
        exc = task.exception()
        if exc is not None:
            log.error("cluster: task %s failed", task.get_coro(), exc_info=exc)
            self._lost("an internal error")

    # -- the log -----------------------------------------------------------------------------
    async def _load_snapshot(self) -> None:
        """Start from the newest snapshot, if there is one (the log after it is read next)."""
        # (read by `open`, which has kept the whole log after it since)
        data, self.replica_snapshot = self.replica_snapshot, None
        if data is None:
            return
        # in a thread: at 100,000 users it takes seconds, and the lease task must go on
        # (nothing else touches the replica before the log is read)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            None, functools.partial(snapshot.load, self.replica, data, open_batch=OpenBatch)
        )
        await self.redis.hset(APPLIED_KEY, str(self.number), self.replica.last_id)
        log.info(
            "cluster: loaded the snapshot at %s (%d sessions, %d bytes)",
            self.replica.last_id,
            len(self.replica.sessions),
            len(data),
        )

    def _snapshot_due(self) -> bool:
        config, replica = self.config, self.replica
        if not replica.caught_up or replica.applied == self._snapshot_applied:
            return False
        if not self._writes_snapshots():
            return False
        if config.snapshot_entries and (
            replica.applied - self._snapshot_applied >= config.snapshot_entries
        ):
            return True
        elapsed = asyncio.get_running_loop().time() - self._snapshot_at
        return bool(config.snapshot_seconds) and elapsed >= config.snapshot_seconds

    async def _trim(self) -> None:
        """Trim the log below the snapshot there and every live node's position: after a
        snapshot, a lagging node's position held entries back; now it may have caught up."""
        config = self.config
        if not (config.snapshot_entries or config.snapshot_seconds) or not self._writes_snapshots():
            return
        trimmed = await self._keep_snapshot(
            keys=self._snapshot_keys(),
            args=[PREFIX + "lease:", self._live()],
        )
        if trimmed > 1:
            log.debug("cluster: %d log entries trimmed", trimmed - 1)

    def _live(self) -> str:
        """The live nodes as the snapshot script reads them."""
        return ",".join(str(n) for n in sorted(self.replica.nodes))

    def _writes_snapshots(self) -> bool:
        """The lowest live node writes the snapshots (one writer at a time)."""
        nodes = self.replica.nodes
        return bool(nodes) and min(nodes) == self.number and not self.replica.detached

    def _snapshot(self) -> None:
        """Start a snapshot at the position applied so far (between two batches): the state
        is copied by `fork` at once and dumped by the child while this node goes on; the
        snapshot is then kept and the log trimmed below it (`_keep`)."""
        replica = self.replica
        try:
            snapshot.check(replica)
        except snapshot.SnapshotBusy as exc:
            log.debug("cluster: snapshot put off (%s)", exc)
            return
        self._snapshot_applied = replica.applied
        self._snapshot_at = asyncio.get_running_loop().time()
        try:
            started = start_dump(replica)
        except OSError as exc:
            log.warning("cluster: cannot make a snapshot: %s", exc)
            return
        # the network's settings the state was made with: a node that starts from it runs
        # them for the entries after it (those of a later REHASH only from its entry on)
        assert self._server is not None
        settings = canonical(deciding(self._server.config))
        keep = self._keep(replica.last_id, started, settings)
        task = asyncio.get_running_loop().create_task(keep)
        self._snapshot_task = task
        task.add_done_callback(self._snapshot_done)

    def _snapshot_done(self, task: asyncio.Task[None]) -> None:
        self._snapshot_task = None
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("cluster: a snapshot failed", exc_info=exc)

    def _snapshot_keys(self) -> list[str]:
        return [
            lease_key(self.number),
            SNAPSHOT_KEY,
            SNAPSHOT_ID_KEY,
            APPLIED_KEY,
            LOG_KEY,
            SNAPSHOT_CONFIG_KEY,
        ]

    async def _keep(self, position: str, started: bytes | Dumping, settings: str) -> None:
        try:
            data = started if isinstance(started, bytes) else await started.result()
        except (OSError, snapshot.SnapshotError) as exc:
            log.warning("cluster: making a snapshot failed: %s", exc)
            return
        try:
            kept = await self._keep_snapshot(
                keys=self._snapshot_keys(),
                args=[PREFIX + "lease:", self._live(), position, data, settings],
            )
        except (RedisError, OSError) as exc:
            log.warning("cluster: writing a snapshot failed: %s", exc)
            return
        if kept > 0:
            log.info(
                "cluster: snapshot at %s (%d bytes); %d log entries trimmed",
                position,
                len(data),
                kept - 1,
            )

    async def _read(self, *, block: bool) -> list[tuple[bytes, dict[bytes, bytes]]]:
        resp = await self.redis.xread(
            {LOG_KEY: self.replica.last_id},
            count=READ_COUNT,
            block=READ_BLOCK_MS if block else None,
        )
        entries: list[tuple[bytes, dict[bytes, bytes]]] = []
        for _stream, items in resp or ():
            entries.extend(items)
        return entries

    def _apply(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        for entry_id, fields in entries:
            self.replica.apply(entry_id.decode(), fields.get(b"e", b""))

    async def _writer(self) -> None:
        """Append what the replica queued, in order; one pipeline at a time (so the order of
        the appends is the order of the log), retried until it is in (appliers drop doubles)."""
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            batch = self.replica.take_outgoing()
            while batch and not self.replica.detached:
                try:
                    appended = await self._append(
                        keys=[lease_key(self.number), LOG_KEY], args=batch
                    )
                except (RedisError, OSError) as exc:
                    log.warning("cluster: appending to the log failed (retrying): %s", exc)
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                if appended < 0:
                    self._lost("the lease is gone: the log refuses this node's entries")
                    return
                break

    async def _reader(self) -> None:
        """Apply the log in order, then hand the output to the clients."""
        while not self._stopping:
            try:
                entries = await self._read(block=True)
            except (RedisError, OSError) as exc:
                if self._stopping:
                    return
                log.warning("cluster: reading the log failed (retrying): %s", exc)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if entries:
                self._apply(entries)
                self._flush()
                if self._snapshot_task is None and self._snapshot_due():
                    self._snapshot()

    def _flush(self) -> None:
        if self._server is not None:
            try:
                self._server.flush()
            except Exception:
                log.exception("flush failed")

    # -- leases ------------------------------------------------------------------------------
    async def _leases(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.config.lease_seconds / 5
        while not self._stopping:
            await asyncio.sleep(interval)
            if self._stopping or self.replica.detached:
                return
            late = loop.time() - self._renewed
            if late >= self.config.lease_seconds * 0.8:  # (paused, or Redis away too long)
                self._lost(f"lease not renewed for {late:.1f} s")
                return
            try:
                pipe = self.redis.pipeline(transaction=False)
                pipe.set(lease_key(self.number), self.name, px=self._lease_ms, xx=True)
                pipe.hset(APPLIED_KEY, str(self.number), self.replica.last_id)
                renewed, _ = await pipe.execute()
            except (RedisError, OSError) as exc:
                log.warning("cluster: renewing the lease failed: %s", exc)
                continue
            if not renewed:
                self._lost("the lease expired")
                return
            self._renewed = loop.time()
            if not self.replica.caught_up:
                continue
            try:
                await self._reap()
                await self._trim()
            except (RedisError, OSError) as exc:
                log.warning("cluster: checking the other nodes' leases failed: %s", exc)

    async def _reap(self) -> None:
        """Append "node N is gone" once for each node whose lease expired."""
        others = [n for n in self.replica.live_nodes() if n != self.number]
        if not others:
            return
        pipe = self.redis.pipeline(transaction=False)
        for node in others:
            pipe.exists(lease_key(node))
        alive = await pipe.execute()
        for node, exists in zip(others, alive, strict=True):
            if not exists and await self.redis.set(gone_key(node), self.number, nx=True, ex=3600):
                log.warning("cluster: node %d's lease expired: reaping it", node)
                self.replica.reap(node)

    def _lost(self, why: str) -> None:
        """This node cannot be sure it is still in the cluster: close its clients, exit 1."""
        log.error("cluster: node %s (%d) cut itself off: %s", self.name, self.number, why)
        self.replica.detach(LOST)
        self._flush()
        self._stop(1)

    def _self_gone(self, reason: str) -> None:
        """Our own "gone" was applied: expected when stopping, else we were reaped."""
        if not self._leaving:
            log.error("cluster: the others reaped this node (%s): stopping", reason)
            self._flush()
            self._stop(1)

    def _stop(self, status: int) -> None:
        self.exit_status = status
        if self._runner is not None and self.replica.caught_up:  # (else `start` raises)
            runner = self._runner
            asyncio.get_running_loop().create_task(runner.stop(LOST))

    async def leave(self) -> None:
        """A closer of the runner: tell the network we go (our users QUIT everywhere with the
        stop reason), wait for it to come back, then stop the tasks."""
        replica = self.replica
        self._leaving = True
        if not replica.detached and self._runner is not None:
            replica.leave(self._runner.stop_reason)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + LEAVE_TIMEOUT
            while not replica.detached and loop.time() < deadline:
                await asyncio.sleep(0.02)
            self._flush()
        self._stopping = True
        replica.detached = True
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        try:
            await self.redis.delete(lease_key(self.number))
            await self.redis.hdel(APPLIED_KEY, str(self.number))
        except (RedisError, OSError):
            pass
        await self._close_redis()

    async def _close_redis(self) -> None:
        if self.redis is not None:
            try:
                await self.redis.aclose()
            except (RedisError, OSError):
                pass
