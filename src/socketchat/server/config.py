"""Server settings: defaults, the TOML file, and command-line flags on top.

A TOML file looks like::

    [server]
    name = "chat.example"
    host = "0.0.0.0"
    port = 6667
    motd = "Welcome!"

    [limits]
    enabled = true          # false switches every limit below off
    sendq = 1048576         # 0 switches one limit off

    [[operators]]
    name = "admin"
    password_hash = "scrypt$..."   # from `socketchat hash-password`

Every key of `ServerConfig` and `Limits` may appear in its table; unknown keys are an error, so a
typo does not silently change nothing.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socketchat.irc.casemap import CASEMAPPINGS
from socketchat.server.proxies import FORWARDED_HEADERS, parse_networks


class ConfigError(ValueError):
    """The configuration file or flags are invalid."""


# Settings in `Limits` that are not defences and stay as they are when limits are switched off:
# the server still pings idle clients (without timing them out), WHOWAS keeps its memory, and
# lines keep the protocol's lengths (RFC 1459's 512 bytes, IRCv3 message-tags' 4096 bytes of
# client tags): a client that sends more must still get 417, not have its line relayed.
_NOT_LIMITS = frozenset({"ping_interval", "whowas_history", "max_line_bytes", "max_tag_bytes"})


@dataclass(frozen=True, slots=True)
class Limits:
    """Defensive limits. 0 (or `enabled = false` for all of them) switches a limit off."""

    # Flood control ("fake lag"): each command costs 1/flood_rate seconds of credit; a client may
    # run flood_burst commands ahead of the clock, then its commands are delayed; a client that
    # keeps more than flood_max_queued lines (or flood_max_queued_bytes bytes) waiting is
    # disconnected ("Excess Flood"). flood_rate = 0 or flood_burst = 0 switches flood control off.
    flood_burst: int = 20
    flood_rate: float = 4.0
    flood_max_queued: int = 200
    flood_max_queued_bytes: int = 64 * 1024
    # Bytes waiting to be written to one client before it is dropped ("SendQ exceeded").
    sendq: int = 1024 * 1024
    registration_timeout: float = 30.0
    ping_interval: float = 90.0
    ping_timeout: float = 60.0
    max_clients_per_ip: int = 50
    # New connections per source address (connthrottle.py): a token bucket of
    # connects_per_ip_burst that refills at connects_per_ip_per_minute; Excess Flood costs more.
    connects_per_ip_per_minute: int = 30
    connects_per_ip_burst: int = 50
    max_clients: int = 10000
    max_channels_per_client: int = 50
    max_line_bytes: int = 512
    max_tag_bytes: int = 4096
    max_targets: int = 4
    # Accounts created (REGISTER, NickServ REGISTER) per source address and in total, in any
    # hour: each costs a password hash, and a flood of them would keep the CPUs hashing.
    accounts_per_ip_per_hour: int = 5
    accounts_per_hour: int = 200
    # ChanServ: channels one account may found, and REGISTERs per account in any hour.
    registered_channels_per_account: int = 10
    channel_registrations_per_hour: int = 5
    whowas_history: int = 1000

    def disabled(self) -> Limits:
        """The same limits with every one switched off (benchmarks, conformance suites).

        Every field becomes 0 except those in `_NOT_LIMITS`, so a limit added later is
        switched off here too without anyone remembering to list it.
        """
        off = {
            f.name: type(getattr(self, f.name))(0)  # 0 or 0.0, as the field is
            for f in dataclasses.fields(self)
            if f.name not in _NOT_LIMITS
        }
        return dataclasses.replace(self, **off)


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class WebircGateway:
    """A web IRC gateway allowed to send ``WEBIRC password gateway hostname ip`` before
    registration, so its users get their own addresses (`server/proxies.py`)."""

    name: str
    password_hash: str
    hosts: tuple[str, ...] = ()  # addresses/CIDRs it connects from; () means trusted_proxies


@dataclass(frozen=True, slots=True)
class WebPushSettings:
    """Web Push (IRCv3 draft/webpush): mentions and private messages pushed to the browsers
    and apps of an account that are not looking (`server/webpush.py`, `net/webpush.py`).

    Needs the `push` extra (py-vapid, http-ece) and storage (subscriptions belong to
    accounts); without either it is off, and said so once at start. Restart to change.
    """

    enabled: bool = True
    # the VAPID `sub` claim (RFC 8292): how a push service reaches the operator, a
    # "mailto:" or "https:" URL; "" means mailto:<admin_email>, else https://<name>
    subscriber: str = ""
    max_subscriptions: int = 4  # per account (devices); a fifth REGISTER is refused
    # seconds to wait before pushing while a device of the account is connected: if one
    # of them marks the conversation read meanwhile (MARKREAD), nothing is pushed
    delay: float = 30.0
    timeout: float = 10.0  # seconds for one POST to a push service, connect to answer
    ttl: int = 86400  # seconds a push service keeps a message for a device that is off
    concurrency: int = 8  # POSTs under way at once
    max_queue: int = 1000  # pushes waiting to be sent; beyond it they are dropped (counted)
    # hosts (or host:port) whose endpoints may be plain http:// and may resolve to loopback
    # or private addresses: for tests and a push service on the LAN. Every other endpoint
    # must be https:// and resolve only to public addresses (checked when sending).
    allowed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Several `socketchat serve` nodes on one Redis behave as one server (docs/cluster.md).

    Empty `redis_url` (the default): one process, nothing shared, no Redis needed."""

    redis_url: str = ""  # redis://HOST:PORT/DB
    node_id: str = ""  # this node's name in the cluster; "" means one is made at start
    # how long a node may go without renewing its lease before the others reap its users
    lease_seconds: float = 5.0
    # a snapshot of the state (and the log trimmed below it) after this many entries, or after
    # this many seconds with at least one new entry; 0 and 0: never (the log grows forever)
    snapshot_entries: int = 1_000_000
    snapshot_seconds: float = 600.0


@dataclass(frozen=True, slots=True)
class ServerConfig:
    name: str = "socketchat.local"
    network: str = "socketchat"
    description: str = "socketchat IRC server"  # server info: LINKS, ADMIN
    admin_email: str = ""  # ADMIN's contact address
    host: str = "127.0.0.1"
    port: int = 6667
    tls_port: int = 0
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""  # CA (PEM) whose client certificates the TLS port asks for
    tls_self_signed: bool = False  # make and keep a certificate in the data dir (net/certs.py)
    web_tls: bool = False  # the web port serves HTTPS/WSS with tls_cert/tls_key
    sts_duration: int = 2592000  # IRCv3 STS policy (seconds) while TLS is on; 0: not advertised
    web_port: int = 8080
    web_origins: tuple[str, ...] = ()  # extra allowed Origins for the web client
    data_dir: str = ""  # "" means the per-user data directory
    # history and accounts: "" is SQLite in data_dir; "postgresql://..." a shared PostgreSQL
    # (`[storage] url` in the file, --storage on the command line; storage/postgres.py)
    storage_url: str = ""
    password: str = ""  # server password (PASS); "" means none
    motd: str = "Welcome to socketchat. Be kind; #lobby is where everyone meets."
    default_channel: str = "#lobby"
    cloak_hosts: bool = False  # hide client IPs behind a hash
    log_level: str = "INFO"
    metrics: bool = False  # /metrics on the web port (Prometheus; needs prometheus-client)
    metrics_token: str = ""  # if set, /metrics needs "Authorization: Bearer <token>"
    log_format: str = "text"  # or "json": one JSON object per line (server/logformat.py)
    history_replay_on_join: int = 50
    history_replay_unidentified: bool = False  # replay to plain clients without an account too
    history_max_age_days: float = 0.0  # 0: keep forever
    history_max_messages: int = 0  # per target; 0: no limit
    # one account on several devices (user.py): a second connection logged in to the account
    # of a user who is here, asking for its nick, attaches to it (else 433)
    multiclient: bool = True
    # a registered account's user stays (channels, nick, reachable) when its last device
    # leaves, marked away with `always_on_away`; each account may change it (NickServ SET)
    always_on: bool = True
    always_on_away: str = "Not connected (messages are kept until I return)"
    nick_protect_seconds: float = 30.0  # a registered nick: time to identify before rename; 0: off
    # "precis": Unicode nicks and channels (RFC 8265 + UTS #39); "ascii": the classic rules
    casemapping: str = "precis"
    nicklen: int = 30
    channellen: int = 64
    topiclen: int = 390
    awaylen: int = 200
    kicklen: int = 390
    min_password_length: int = 6  # REGISTER / NickServ REGISTER; shorter is WEAK_PASSWORD
    trusted_proxies: tuple[str, ...] = ()  # addresses/CIDRs whose forwarded addresses we believe
    trusted_proxy_header: str = "x-forwarded-for"  # or "forwarded" (RFC 7239)
    proxy_protocol: bool = False  # the IRC port expects a PROXY v1/v2 header from a proxy
    tls_proxy_protocol: bool = False  # the same for the TLS port (the header comes before TLS)
    limits: Limits = field(default_factory=Limits)
    operators: tuple[Operator, ...] = ()
    webirc: tuple[WebircGateway, ...] = ()
    webpush: WebPushSettings = field(default_factory=WebPushSettings)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)

    def with_overrides(self, **changes: Any) -> ServerConfig:
        """A copy with the given (non-None) settings changed."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


# -- what a cluster node may have of its own, and what must be the network's ----------------
#
# A cluster's nodes apply every log entry with the same core (docs/cluster.md), so every
# setting the core reads while it applies one must be the same on every node, or the nodes
# silently diverge (one lets a JOIN in that another refuses). Every leaf setting — a field of
# `ServerConfig`, or of its tables `limits`, `webpush` and `cluster`, named by its dotted path —
# is in exactly one of the two sets below (tests/server/test_config_deciding.py fails on a field
# in neither). One that is not node-local is the network's: `deciding` compares it at start and
# REHASH carries it to every node.

# A node's own: its sockets, files, process and the work it does alone (its own connections'
# framing, flood control, SendQ, timers, accept-time throttles; the pushes it sends).
NODE_LOCAL = frozenset(
    {
        "host",
        "port",
        "tls_port",
        "tls_cert",
        "tls_key",
        "tls_client_ca",  # (a client certificate's fingerprint enters the log with its conn)
        "tls_self_signed",
        "web_tls",
        "sts_duration",  # the policy of this node's TLS port
        "web_port",
        "web_origins",
        "trusted_proxy_header",  # how this node's web port reads its proxies
        "proxy_protocol",
        "tls_proxy_protocol",
        "data_dir",
        "storage_url",  # the one shared database, perhaps by another address or credentials
        "log_level",
        "log_format",
        "metrics",
        "metrics_token",
        # flood control, SendQ, line framing and the timeouts act on a node's own connections
        # before the log (a close they decide is an entry); connection throttles at accept
        "limits.flood_burst",
        "limits.flood_rate",
        "limits.flood_max_queued",
        "limits.flood_max_queued_bytes",
        "limits.sendq",
        "limits.registration_timeout",
        "limits.ping_interval",
        "limits.ping_timeout",
        "limits.connects_per_ip_per_minute",
        "limits.connects_per_ip_burst",
        "limits.max_clients",  # (a node's own connections: docs/cluster.md)
        "limits.max_line_bytes",
        "limits.max_tag_bytes",
        # the pushes a node sends for the lines it appended: their timing and transport
        "webpush.subscriber",
        "webpush.delay",
        "webpush.timeout",
        "webpush.ttl",
        "webpush.concurrency",
        "webpush.max_queue",
        "webpush.allowed_hosts",
        "cluster.redis_url",
        "cluster.node_id",
        "cluster.lease_seconds",
        "cluster.snapshot_entries",
        "cluster.snapshot_seconds",
    }
)

# The network's: read by the core while it applies the log (or shown alike by every node as
# one server's: its name, MOTD, ADMIN).
DECIDING = frozenset(
    {
        "name",
        "network",
        "description",
        "admin_email",
        "password",
        "motd",
        "default_channel",
        "cloak_hosts",
        "history_replay_on_join",
        "history_replay_unidentified",
        "history_max_age_days",
        "history_max_messages",
        "multiclient",
        "always_on",
        "always_on_away",
        "nick_protect_seconds",
        "casemapping",
        "nicklen",
        "channellen",
        "topiclen",
        "awaylen",
        "kicklen",
        "min_password_length",
        "trusted_proxies",  # WEBIRC's gateways' default hosts, checked as the log is applied
        "limits.max_clients_per_ip",  # (WEBIRC checks it as the log is applied)
        "limits.max_channels_per_client",
        "limits.max_targets",
        "limits.accounts_per_ip_per_hour",
        "limits.accounts_per_hour",
        "limits.registered_channels_per_account",
        "limits.channel_registrations_per_hour",
        "limits.whowas_history",
        "operators",
        "webirc",
        "webpush.enabled",
        "webpush.max_subscriptions",
    }
)

# a value that is never shown in a message (the diff names the key only)
SECRET = frozenset({"password", "operators", "webirc", "metrics_token"})

_TABLES = {"limits": Limits, "webpush": WebPushSettings, "cluster": ClusterConfig}


def setting_paths() -> list[str]:
    """Every leaf setting's dotted path, in declaration order (tables' keys as `table.key`)."""
    paths: list[str] = []
    for f in dataclasses.fields(ServerConfig):
        table = _TABLES.get(f.name)
        if table is None:
            paths.append(f.name)
        else:
            paths.extend(f"{f.name}.{g.name}" for g in dataclasses.fields(table))
    return paths


def _get(config: ServerConfig, path: str) -> Any:
    value: Any = config
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _to_json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def deciding(config: ServerConfig) -> dict[str, Any]:
    """The network's part of `config`, as JSON values by dotted path: every setting that is
    not `NODE_LOCAL` (one in neither set counts as the network's: the safe side)."""
    return {
        path: _to_json(_get(config, path)) for path in setting_paths() if path not in NODE_LOCAL
    }


def canonical(settings: dict[str, Any]) -> str:
    """`deciding`'s dict as the one text every node writes and compares (sorted JSON)."""
    return json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _from_json(path: str, value: Any) -> Any:
    if path == "operators":
        return tuple(Operator(**op) for op in value)
    if path == "webirc":
        return tuple(WebircGateway(**{**gw, "hosts": tuple(gw["hosts"])}) for gw in value)
    if isinstance(value, list):
        return tuple(value)
    return value


def with_settings(config: ServerConfig, settings: dict[str, Any]) -> ServerConfig:
    """`config` with the given dotted-path settings (JSON values, as `deciding` makes them)
    put in: a node's own file with the network's part on top. Raises `ConfigError` for a
    path `config` has no such setting for (a network written by another version)."""
    known = set(setting_paths())
    unknown = set(settings) - known
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    top: dict[str, Any] = {}
    tables: dict[str, dict[str, Any]] = {}
    for path, value in settings.items():
        table, _, key = path.partition(".")
        if key:
            tables.setdefault(table, {})[key] = _from_json(path, value)
        else:
            top[path] = _from_json(path, value)
    for table, values in tables.items():
        top[table] = dataclasses.replace(getattr(config, table), **values)
    return dataclasses.replace(config, **top)


def _shown(path: str, value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def differences(here: dict[str, Any], network: dict[str, Any]) -> list[str]:
    """The settings whose values differ, each as ``path (HERE here, NET in the network)``
    (secrets only named), in path order. A setting one side lacks (another version) counts."""
    out: list[str] = []
    for path in sorted(set(here) | set(network)):
        mine, theirs = here.get(path), network.get(path)
        if path in here and path in network and mine == theirs:
            continue
        if path in SECRET:
            out.append(f"{path} (differs)")
        elif path not in network:
            out.append(f"{path} ({_shown(path, mine)} here, not in the network's)")
        elif path not in here:
            out.append(f"{path} (not here, {_shown(path, theirs)} in the network)")
        else:
            out.append(f"{path} ({_shown(path, mine)} here, {_shown(path, theirs)} in the network)")
    return out


def _check_keys(table: dict[str, Any], cls: type, where: str) -> None:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"unknown key(s) in [{where}]: {', '.join(sorted(unknown))}")


def _entry(entry: Any, cls: type, where: str) -> dict[str, Any]:
    """One entry of an array of tables (``[[operators]]``), its keys checked as a table's are:
    TOML puts every key after a ``[[operators]]`` line into that entry, so a key meant for
    another table, appended at the end of the file, lands here, and the dataclass's own
    TypeError ("Operator.__init__() got an unexpected keyword argument") named no table."""
    if not isinstance(entry, dict):
        raise ConfigError(f"[[{where}]] must be a table")
    _check_keys(entry, cls, f"[{where}]")
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in entry
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"[[{where}]] needs {', '.join(missing)}")
    return entry


_NODE_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def validate(config: ServerConfig) -> ServerConfig:
    """Reject values that cannot work: negative limits, bad ports, unknown log levels."""
    for name in ("port", "tls_port", "web_port"):
        value = getattr(config, name)
        if not isinstance(value, int) or not 0 <= value <= 65535:
            raise ConfigError(f"{name} must be a port number (0-65535), not {value!r}")
    if str(config.log_level).upper() not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
    if config.log_format not in ("text", "json"):
        raise ConfigError(f'log_format must be "text" or "json", not {config.log_format!r}')
    try:
        parse_networks(config.trusted_proxies)
        for gateway in config.webirc:
            parse_networks(gateway.hosts)
    except ValueError as exc:
        raise ConfigError(f"trusted_proxies / [[webirc]] hosts: {exc}") from None
    if config.casemapping not in CASEMAPPINGS:
        raise ConfigError(f"casemapping must be one of {', '.join(CASEMAPPINGS)}")
    if config.trusted_proxy_header.lower() not in FORWARDED_HEADERS:
        raise ConfigError(f"trusted_proxy_header must be one of {', '.join(FORWARDED_HEADERS)}")
    if (config.proxy_protocol or config.tls_proxy_protocol) and not config.trusted_proxies:
        raise ConfigError("proxy_protocol needs trusted_proxies: the proxies it accepts")
    cluster = config.cluster
    if cluster.redis_url and not cluster.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"[cluster] redis_url must look like redis://HOST:PORT/DB, not {cluster.redis_url!r}"
        )
    if cluster.node_id and not _NODE_ID.fullmatch(cluster.node_id):
        raise ConfigError("[cluster] node_id: 1-32 letters, digits, '-' or '_'")
    if not 1.0 <= cluster.lease_seconds <= 600.0:
        raise ConfigError("[cluster] lease_seconds must be between 1 and 600")
    if cluster.snapshot_entries < 0 or cluster.snapshot_seconds < 0:
        raise ConfigError("[cluster] snapshot_entries and snapshot_seconds must be 0 or more")
    for f in dataclasses.fields(Limits):
        value = getattr(config.limits, f.name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"[limits] {f.name} must be a number >= 0, not {value!r}")
    push = config.webpush
    for name in ("max_subscriptions", "delay", "timeout", "ttl", "concurrency", "max_queue"):
        value = getattr(push, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"[webpush] {name} must be a number >= 0, not {value!r}")
    if push.subscriber and not push.subscriber.startswith(("mailto:", "https://")):
        raise ConfigError('[webpush] subscriber must be a "mailto:" or "https://" URL')
    if push.timeout <= 0 or push.concurrency < 1:
        raise ConfigError("[webpush] timeout must be > 0 and concurrency >= 1")
    return config


def load_config(path: str | Path | None = None, **overrides: Any) -> ServerConfig:
    """Defaults, then the TOML file (if any), then the non-None `overrides`; validated."""
    config = ServerConfig()
    if path is not None:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        config = config_from_dict(data)
    return validate(config.with_overrides(**overrides))


def config_from_dict(data: dict[str, Any]) -> ServerConfig:
    tables = {"server", "limits", "operators", "webirc", "webpush", "cluster", "storage"}
    extra = set(data) - tables
    if extra:
        raise ConfigError(f"unknown table(s): {', '.join(sorted(extra))}")
    server = dict(data.get("server", {}))
    _check_keys(server, ServerConfig, "server")
    storage = dict(data.get("storage", {}))
    unknown = set(storage) - {"url"}
    if unknown:
        raise ConfigError(f"unknown key(s) in [storage]: {', '.join(sorted(unknown))}")
    if "url" in storage:
        if not isinstance(storage["url"], str):
            raise ConfigError("[storage] url must be a string (postgresql://...)")
        server["storage_url"] = storage["url"]
    for reserved in ("limits", "operators", "webirc", "webpush", "cluster"):
        if reserved in server:
            raise ConfigError(f"[server] may not contain {reserved!r}")
    for key in ("web_origins", "trusted_proxies"):
        if key in server:
            server[key] = tuple(server[key])
    limits_table = dict(data.get("limits", {}))
    enabled = limits_table.pop("enabled", True)
    _check_keys(limits_table, Limits, "limits")
    try:
        limits = Limits(**limits_table)
        if not enabled:
            limits = dataclasses.replace(limits.disabled(), **limits_table)
        operators = tuple(
            Operator(**_entry(op, Operator, "operators")) for op in data.get("operators", [])
        )
        webirc = tuple(
            WebircGateway(**{**gw, "hosts": tuple(gw.get("hosts", ()))})
            for gw in (_entry(gw, WebircGateway, "webirc") for gw in data.get("webirc", []))
        )
        push_table = dict(data.get("webpush", {}))
        _check_keys(push_table, WebPushSettings, "webpush")
        if "allowed_hosts" in push_table:
            push_table["allowed_hosts"] = tuple(push_table["allowed_hosts"])
        webpush = WebPushSettings(**push_table)
        cluster_table = dict(data.get("cluster", {}))
        _check_keys(cluster_table, ClusterConfig, "cluster")
        cluster = ClusterConfig(**cluster_table)
        return ServerConfig(
            **server,
            limits=limits,
            operators=operators,
            webirc=webirc,
            webpush=webpush,
            cluster=cluster,
        )
    except TypeError as exc:
        raise ConfigError(str(exc)) from exc
