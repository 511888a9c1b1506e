"""`socketchat serve`: configuration, logging, storage, listeners, and a clean exit on signals."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import logging
import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from socketchat.server import chanserv
from socketchat.server.cluster.replica import Replica
from socketchat.server.cluster.store import ClusterStore, Facts
from socketchat.server.commands.admin import load_bans
from socketchat.server.commands.devices import restore_present
from socketchat.server.compose import build_server
from socketchat.server.config import (
    ConfigError,
    ServerConfig,
    deciding,
    load_config,
    validate,
    with_settings,
)
from socketchat.server.logformat import TEXT_FORMAT, apply_log_format
from socketchat.server.net.certs import CertificateError, ensure_self_signed, fingerprint
from socketchat.server.net.cluster import ClusterError, ClusterNode
from socketchat.server.net.runner import ServerRunner
from socketchat.server.net.web import METRICS_MISSING, start_web
from socketchat.server.persistence import Persistence
from socketchat.storage.base import Backend, StorageError
from socketchat.storage.datadir import DataDirLock, load_secret, prepare_data_dir
from socketchat.storage.postgres import is_postgres_url, open_postgres, redact_url
from socketchat.storage.sqlite import open_storage

try:  # the extra [push] (py-vapid, http-ece); without it draft/webpush is not offered
    from socketchat.server.net.webpush import PushSender, VapidKeys

    HAVE_WEBPUSH = True
except ImportError:
    HAVE_WEBPUSH = False

if TYPE_CHECKING:
    from socketchat.server.user import User

log = logging.getLogger("socketchat.server")

WEBPUSH_MISSING = "web push is off: it needs pip install 'socketchat[push]' (py-vapid, http-ece)"

WEBPUSH_NO_STORE = (
    "web push is off: a cluster node needs the shared store (--storage postgresql://...)"
)

CLOAK_KEY_FILE = "cloak.key"  # in the data dir: the key of cloaked hosts (cloak_hosts)


def default_data_dir() -> str:
    from platformdirs import user_data_dir

    return user_data_dir("socketchat", appauthor=False)


def open_backend(config: ServerConfig, directory: Path) -> Backend:
    """History and accounts: SQLite in the data directory (the embedded default), or the
    PostgreSQL server that `storage_url` names (shared by several nodes). Raises `StorageError`
    with one sentence when it cannot be used (unreachable, refused, a newer schema)."""
    if not config.storage_url:
        return open_storage(directory)
    if is_postgres_url(config.storage_url):
        return open_postgres(config.storage_url)
    raise StorageError(
        f"the storage URL {config.storage_url.split('://')[0]}://... is not supported"
        " (postgresql://USER@HOST:PORT/DATABASE, or none for SQLite in the data directory)"
    )


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    config = load_config(
        args.config,
        host=args.host,
        port=args.port,
        tls_port=args.tls_port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        web_port=args.web_port,
        data_dir=args.data_dir,
        storage_url=getattr(args, "storage", None),
        name=args.name,
        log_level=args.log_level,
        tls_self_signed=getattr(args, "tls_self_signed", None),
    )
    if not config.data_dir:
        config = config.with_overrides(data_dir=default_data_dir())
    redis_url, node_id = getattr(args, "redis", None), getattr(args, "node_id", None)
    if redis_url is not None or node_id is not None:
        cluster = dataclasses.replace(
            config.cluster,
            **{k: v for k, v in (("redis_url", redis_url), ("node_id", node_id)) if v is not None},
        )
        config = validate(config.with_overrides(cluster=cluster))
    if config.tls_self_signed and not config.tls_cert:
        try:
            cert, key = ensure_self_signed(config.data_dir, config.host)
        except CertificateError as exc:
            raise ConfigError(str(exc)) from exc
        config = config.with_overrides(
            tls_cert=cert, tls_key=key, tls_port=config.tls_port or 6697, web_tls=True
        )
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together")
    if config.tls_port and not config.tls_cert:
        raise ConfigError("--tls-port needs --tls-cert and --tls-key (or --tls-self-signed)")
    if config.web_tls and not config.tls_cert:
        raise ConfigError("web_tls needs tls_cert and tls_key (or --tls-self-signed)")
    return config


def _follow_log_level(config: ServerConfig) -> None:
    """After a rehash: the root logger at the new level, in the new format."""
    logging.getLogger().setLevel(getattr(logging, config.log_level.upper(), logging.INFO))
    apply_log_format(config.log_format)


def _announce_metrics(config: ServerConfig, port: int) -> None:
    """Say where /metrics is, or clearly that it cannot work without its library."""
    try:
        import prometheus_client  # noqa: F401  (the optional extra [metrics])
    except ImportError:
        print(f"socketchat serve: {METRICS_MISSING}; /metrics answers 503", file=sys.stderr)
        return
    guarded = " (bearer token required)" if config.metrics_token else ""
    print(f"socketchat: metrics on http://{config.host}:{port}/metrics{guarded}", flush=True)


async def run_server(
    config: ServerConfig,
    *,
    install_signals: bool = True,
    reload: Callable[[], ServerConfig] | None = None,
    config_source: str = "",
) -> int:
    """Run until stopped. `reload` builds the configuration again (file, then flags) for
    SIGHUP and REHASH; `config_source` names the file in messages."""
    with DataDirLock() as lock:  # one server per data directory, released when it ends
        return await _run_server(
            config,
            lock,
            install_signals=install_signals,
            reload=reload,
            config_source=config_source,
        )


async def _run_server(
    config: ServerConfig,
    lock: DataDirLock,
    *,
    install_signals: bool,
    reload: Callable[[], ServerConfig] | None,
    config_source: str,
) -> int:
    node: ClusterNode | None = None
    try:
        directory = prepare_data_dir(config.data_dir)  # created/checked: 0700, files 0600
        lock.acquire(directory)  # before the database is opened
        if config.cluster.redis_url:
            # a cluster node: storage is the shared PostgreSQL seen through the log
            # (server/cluster/store.py), or none; the cloak secret and the VAPID key are the
            # network's
            node, storage, vapid = await _open_cluster_node(config, directory)
            cloak_secret = node.cloak_secret
            # the network's settings where this node starts applying the log (its file's,
            # unless a REHASH since: then the ones before it, until its entry is applied)
            config = validate(with_settings(config, node.start_settings))
            if storage is not None:  # (it was made with the file's)
                storage.config = config
        else:
            cloak_secret = load_secret(directory, CLOAK_KEY_FILE)
            # the VAPID key (draft/webpush): made once, or every browser would have to
            # subscribe again after a restart
            vapid = (
                VapidKeys.load(str(directory)) if config.webpush.enabled and HAVE_WEBPUSH else None
            )
            storage = Persistence(open_backend(config, directory), config)
    except (StorageError, ClusterError, ConfigError) as exc:  # one sentence; no traceback
        print(f"socketchat serve: {exc}", file=sys.stderr, flush=True)
        return 1
    if node is not None:  # every node stamps what it applies with the log entry's time
        clock = node.replica.clock
        server = build_server(config, clock=clock, monotonic=clock, storage=storage)
        server.started_at = node.created  # one server: created when the network was
    else:
        server = build_server(config, storage=storage)
    # the same key after every restart, so cloaked hosts (and bans on them) stay the same
    server.cloak_secret = cloak_secret
    if config.webpush.enabled and vapid is None:
        log.info(WEBPUSH_MISSING if not HAVE_WEBPUSH else WEBPUSH_NO_STORE)
    elif vapid is not None:
        server.push.enable(vapid.public_key)
    # a cluster node starting from a replica snapshot finds all of this (and the store's
    # deciding state) in it: done by the network's first nodes, in the log's order since
    if node is None or node.replica_snapshot is None:
        booting = (
            node.replica.boot(server, node.snapshot_time) if node is not None else nullcontext()
        )
        with booting:  # (a cluster node: from the store's snapshot, as every node: the same)
            load_bans(server)  # K-lines and D-lines kept in storage
            chanserv.start(server)  # registered channels; the ones ChanServ guards exist at once
            if restored := restore_present(server):
                log.info("always-on: %d users are back, with no device yet", restored)
    runner = ServerRunner(server)
    runner.reload_config = reload  # (before the log: a REHASH in it reads this node's file)
    runner.config_source = config_source
    if node is not None:
        try:
            await node.start(server, runner)  # the log so far, before any listener opens
        except ClusterError as exc:
            print(f"socketchat serve: {exc}", file=sys.stderr, flush=True)
            await node.leave()
            return 1
    runner.on_rehash.append(_follow_log_level)
    try:
        listening = await runner.start()
    except OSError as exc:
        log.error("cannot listen: %s", exc)
        return 1
    if vapid is not None:
        sender = PushSender(server, vapid)  # POSTs pushes off the event loop
        sender.start()
        runner.add_closer(sender.stop)
    if config.web_port:
        try:
            await start_web(runner)
        except OSError as exc:
            log.error("cannot listen for the web client: %s", exc)
            await runner.stop()
            return 1
    if install_signals:
        runner.install_signal_handlers()
    print(f"socketchat: IRC on {config.host}:{listening.port}", flush=True)
    if listening.tls_port:
        print(f"socketchat: IRC over TLS on {config.host}:{listening.tls_port}", flush=True)
    if listening.tls_port and config.tls_cert:
        print(f"socketchat: TLS certificate SHA-256 {fingerprint(config.tls_cert)}", flush=True)
    if listening.web_port:
        scheme = "https" if config.web_tls else "http"
        print(
            f"socketchat: web client on {scheme}://{config.host}:{listening.web_port}/", flush=True
        )
        if config.metrics:
            _announce_metrics(config, listening.web_port)
    if node is not None:
        print(
            f"socketchat: cluster node {node.name} ({node.number}) on {config.cluster.redis_url}",
            flush=True,
        )
    print(f"socketchat: data in {config.data_dir}", flush=True)
    if config.storage_url:
        where = redact_url(config.storage_url)
        print(f"socketchat: history and accounts in {where}", flush=True)
    await runner.wait_stopped()
    print("socketchat: stopped", flush=True)
    return node.exit_status if node is not None else 0


CLUSTER_STORE = (
    "a cluster node's --storage must be the PostgreSQL database shared by every node"
    " (postgresql://...): SQLite on each node would give each node a different history and"
    " different accounts"
)
CLUSTER_NO_STORE = (
    "socketchat serve: warning: a cluster node without --storage postgresql://... has no"
    " history, accounts or ChanServ (docs/cluster.md)"
)


async def _open_cluster_node(
    config: ServerConfig, directory: Path
) -> tuple[ClusterNode, Persistence | None, VapidKeys | None]:
    """Join the cluster; with a PostgreSQL store, open it and load the network's snapshot of
    what decides (accounts, registered channels, push subscriptions...:
    `server/cluster/store.py`), and the network's VAPID key (web push needs the store: its
    subscriptions are an account's). Raises `StorageError` or `ClusterError` with one
    sentence."""
    replica = Replica()
    node = ClusterNode(config.cluster, replica)
    settings = deciding(config)  # the network's must be these, or the node does not start
    if not config.storage_url:
        await node.open(settings=settings)
        print(CLUSTER_NO_STORE, file=sys.stderr, flush=True)  # (once Redis answered)
        return node, None, None
    if not is_postgres_url(config.storage_url):
        raise StorageError(CLUSTER_STORE)
    backend = open_postgres(config.storage_url)
    vapid: VapidKeys | None = None
    try:
        if config.webpush.enabled and HAVE_WEBPUSH:
            vapid = VapidKeys.for_network(backend, str(directory))
        await node.open(snapshot=lambda: Facts.dump(backend), settings=settings)
        assert node.store_snapshot is not None
        facts = Facts.load(node.store_snapshot)
    except BaseException:
        backend.close()
        raise
    node.snapshot_time = facts.taken_at
    storage = Persistence(ClusterStore(backend, facts, replica), config)
    salt = node.cloak_secret + repr(node.created).encode()

    def token(user: User) -> str:
        """A party without an account: its connection's network-wide id, unguessable."""
        first = min((s.id for s in user.sessions), default=0)
        return hashlib.sha256(salt + str(first).encode()).hexdigest()[:24]

    storage.connection_token = token
    return node, storage, vapid


def serve_main(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(f"socketchat serve: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=getattr(logging, config.log_level.upper(), logging.INFO),
        format=TEXT_FORMAT,
        stream=sys.stderr,
    )
    apply_log_format(config.log_format)  # "json": one object per line (server/logformat.py)
    # The server logs a line per connection event (connect, registered, disconnect). Records
    # need no caller, thread or process information (the format shows none): skipping those
    # lookups makes a line ~20% cheaper (the logging HOWTO's "Optimization" section).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    log.debug("debug logging on; IRC lines and WebSocket frames are never logged (passwords)")
    try:
        import uvloop  # optional: socketchat[fast]

        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(
                run_server(
                    config, reload=lambda: config_from_args(args), config_source=args.config or ""
                )
            )
    except KeyboardInterrupt:
        return 0
