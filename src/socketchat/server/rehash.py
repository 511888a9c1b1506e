"""Live reload of the configuration (SIGHUP, REHASH), sans-I/O.

Reading the file is the runner's job (`net/runner.py: ServerRunner.rehash`): it builds the new
`ServerConfig` exactly as at start (file, then the command-line flags on top), checks the TLS
certificate and key load, and only then hands the result here. A file that does not parse, has
an unknown key or a bad value, or names a certificate that does not load, is refused as a whole:
the old configuration stays, nobody notices.

What changes at once: the MOTD, operators, limits (read live by every session), web origins,
trusted proxies and WEBIRC gateways, history settings, the TLS certificate (for new
connections), the log level. What needs a restart — listening addresses, ports, the data dir,
the server's name, host cloaking (bans name cloaks) — keeps its old value, and the operator is
told which ones were ignored, so a change is never silently half-applied.

On a cluster node (docs/cluster.md) the network's settings (`config.DECIDING`) must stay the
same on every node, so REHASH does not make each node read its own file: the asker's node
reads its file and the log carries that file's network part to every node
(`NetworkRehash`, implemented by `net/cluster.py`), which takes it, and only its own
node-local settings from its own file. A single server is unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Protocol

from socketchat.server.persistence import persistence_of

if TYPE_CHECKING:
    from socketchat.server.config import ServerConfig
    from socketchat.server.core import Server

# Settings a running server cannot take over: sockets are bound, the data dir is open, names
# and cloaks are in every client's view. A change to one of them waits for a restart.
RESTART_ONLY = (
    "name",
    "host",
    "port",
    "tls_port",
    "web_port",
    "data_dir",
    "storage_url",
    "proxy_protocol",
    "tls_proxy_protocol",
    "cloak_hosts",
    "webpush",  # its keys, capability and sender start with the server
    "cluster",  # the Redis and node identity of a cluster node (docs/cluster.md)
)


def restart_only_changes(old: ServerConfig, new: ServerConfig) -> list[str]:
    """The names of restart-only settings that differ, plus TLS switched on or off."""
    changed = [name for name in RESTART_ONLY if getattr(old, name) != getattr(new, name)]
    if bool(old.tls_cert) != bool(new.tls_cert):
        changed.append("tls_cert")  # no TLS listener to give a certificate to (or to take)
    return changed


def apply_config(server: Server, new: ServerConfig) -> list[str]:
    """Make `new` the running configuration, keeping restart-only settings; return those kept.

    Cached replies built from the configuration (MOTD, ISUPPORT) are dropped so the next
    client, or the next MOTD command, sees the new text.
    """
    old = server.config
    kept = restart_only_changes(old, new)
    restore = {name: getattr(old, name) for name in kept}
    if "tls_cert" in kept:
        restore["tls_key"] = old.tls_key
    server.config = dataclasses.replace(new, **restore)
    server.static_numerics.clear()
    follow_config(server)
    return kept


def follow_config(server: Server) -> None:
    """What keeps its own reference to the configuration takes the server's: storage reads
    the history settings (replay on join, retention) from its own."""
    storage = persistence_of(server)
    if storage is not None:
        storage.config = server.config


@dataclasses.dataclass(frozen=True, slots=True)
class RehashResult:
    """What a reload did: refused (`error`), or taken with some restart-only settings `kept`."""

    source: str  # the file read ("" when the server runs on defaults and flags alone)
    error: str | None = None
    kept: tuple[str, ...] = ()


class NetworkRehash(Protocol):
    """REHASH on a cluster node (`Server.network_rehash`): `read` runs on the asker's node
    only and its answer (JSON) goes through the log; `apply` runs on every node with it."""

    def read(self, by: str) -> dict[str, Any]:
        """This node's file's network settings (``{"config": ...}``) or ``{"error": why}``."""
        ...

    def apply(self, value: dict[str, Any], by: str) -> RehashResult:
        """Take `read`'s answer (the same on every node): the network's settings from it,
        this node's own from its own file."""
        ...
