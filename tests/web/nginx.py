"""Debian's nginx as a reverse proxy in front of the web port, run by the test itself."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import free_port, require_tool, wait_for_port
from tests.support.processes import die_with_parent, stop_process

CONFIG = """
worker_processes 1;
error_log {tmp}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For {xff};
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


@contextmanager
def nginx_proxy(upstream: int, *, xff: str = "$proxy_add_x_forwarded_for") -> Iterator[int]:
    """nginx on a free port, proxying HTTP and WebSocket to 127.0.0.1:`upstream`; yields its
    port. `xff` is what it puts in X-Forwarded-For ($proxy_add_x_forwarded_for appends the
    client's address to what the client sent, as most deployments do)."""
    binary = require_tool("nginx")
    with tempfile.TemporaryDirectory(prefix="socketchat-nginx-") as tmp:
        port = free_port()
        user = "user root;" if os.geteuid() == 0 else ""
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(CONFIG.format(tmp=tmp, port=port, upstream=upstream, xff=xff, user=user))
        proc = subprocess.Popen(
            [binary, "-p", tmp, "-c", str(conf), "-g", f"daemon off; pid {tmp}/nginx.pid;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=die_with_parent,
        )
        try:
            try:
                wait_for_port(port, timeout=10)
            except Exception:
                proc.kill()
                _, err = proc.communicate(timeout=5)
                message = f"nginx did not start: {err.decode(errors='replace')}"
                raise AssertionError(message) from None
            yield port
        finally:
            stop_process(proc, timeout=10)
            if proc.stderr:
                proc.stderr.close()
