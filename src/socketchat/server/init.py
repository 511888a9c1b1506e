"""`socketchat init [DIR]`: a commented configuration file to start from, and what to do next.

The file sets nothing that differs from the defaults except the data directory (beside the
config, so one directory holds everything); every other setting is there, commented out, with
its default and a word on what it does. docs/configuration.md has the full table.
"""

from __future__ import annotations

import sys
from pathlib import Path

CONFIG_NAME = "socketchat.toml"

TEMPLATE = """\
# socketchat configuration. Uncomment and change what you need; the values shown are the
# defaults. Reload a running server with `kill -HUP <pid>` (systemd: `systemctl reload
# socketchat`) or the REHASH operator command; ports and the data dir need a restart.
# Every setting: docs/configuration.md. Operating it: docs/operations.md.

[server]
data_dir = "{data_dir}"           # history, accounts, bans, the cloak key
# name = "socketchat.local"       # the server's name in every reply
# network = "socketchat"
# host = "127.0.0.1"              # "0.0.0.0": every interface (a classroom, a LAN)
# port = 6667                     # IRC
# web_port = 8080                 # the browser client and WebSocket; 0: off
# tls_port = 0                    # IRC over TLS (6697) with tls_cert and tls_key
# tls_cert = ""                   # PEM certificate chain
# tls_key = ""                    # PEM private key
# tls_self_signed = false         # make and keep a self-signed certificate in data_dir
# web_tls = false                 # HTTPS/WSS on web_port with the same certificate
# web_origins = []                # extra pages allowed to open the WebSocket
# trusted_proxies = []            # reverse proxies whose X-Forwarded-For we believe
# motd = "Welcome to socketchat. Be kind; #lobby is where everyone meets."
# default_channel = "#lobby"
# cloak_hosts = false             # show a hash instead of each client's address
# log_level = "INFO"
# log_format = "text"             # "json": one JSON object per line (log shippers)
# metrics = false                 # /metrics on web_port (Prometheus; socketchat[metrics])
# metrics_token = ""              # if set, Authorization: Bearer <token> is required
# history_max_age_days = 0.0      # 0: keep history forever

[limits]
# max_clients = 10000
# max_clients_per_ip = 50         # a classroom behind one NAT address needs more
# connects_per_ip_per_minute = 30 # new connections per address, after a burst of
# connects_per_ip_burst = 50      # (Excess Flood costs an address 10 more)
# flood_burst = 20
# flood_rate = 4.0

[webpush]                         # push notifications to browsers (socketchat[push])
# enabled = true
# subscriber = ""                 # how push services reach you: "mailto:you@example.org"
# delay = 30.0                    # seconds to wait while a device is connected (MARKREAD)

# Operators (OPER name password): make the hash with `socketchat hash-password`.
# [[operators]]
# name = "admin"
# password_hash = "scrypt$..."
"""


def _how_called() -> str:
    """The command as the user typed it (`.venv/bin/socketchat` is often not on PATH)."""
    arg0 = sys.argv[0] if sys.argv else ""
    if not arg0 or arg0.endswith("__main__.py"):
        return f"{Path(sys.executable).name} -m socketchat"
    return arg0


def init_main(directory: str) -> int:
    target = Path(directory).expanduser().resolve()
    config = target / CONFIG_NAME
    if config.exists():
        print(f"socketchat init: {config} exists; not overwriting it", file=sys.stderr)
        return 1
    try:
        target.mkdir(parents=True, exist_ok=True)
        config.write_text(TEMPLATE.format(data_dir=target / "data"))
    except OSError as exc:
        print(f"socketchat init: cannot write {config}: {exc}", file=sys.stderr)
        return 1
    exe = _how_called()
    print(f"Wrote {config}")
    print("Next:")
    print('  1. Edit it: at least `host` ("0.0.0.0" for a LAN) and an [[operators]] entry;')
    print(f"     `{exe} hash-password` makes the password hash.")
    print(f"  2. Start: {exe} serve --config {config}")
    print("  3. Open the web client at http://<host>:8080/ or connect an IRC client to port 6667.")
    print("  4. Under systemd: contrib/socketchat.service (docs/operations.md).")
    return 0
