"""Live reload with a real `socketchat serve` process: SIGHUP and REHASH re-read the config file
while a connected client stays connected; a bad file is refused and the old config stays."""

from __future__ import annotations

import signal
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from socketchat.server.passwords import hash_password
from tests.support import free_port, wait_for, wait_for_port
from tests.support.irc import IRCClient
from tests.support.server import RunningServer, spawned_server
from tests.support.tls import make_cert

OPER_HASH = hash_password("sekrit", log2_n=4)


def write_config(path: Path, motd: str, per_ip: int = 50, extra: str = "") -> None:
    path.write_text(
        f'[server]\nmotd = "{motd}"\n{extra}\n'
        f"[limits]\nmax_clients_per_ip = {per_ip}\n\n"
        f'[[operators]]\nname = "admin"\npassword_hash = "{OPER_HASH}"\n'
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    config = tmp_path / "socketchat.toml"
    write_config(config, "first motd")
    with spawned_server("--config", str(config), data_dir=str(tmp_path / "data")) as server:
        yield server, config


def current_motd(client: IRCClient) -> str:
    client.send("MOTD")
    line = client.expect("372").params[-1]
    client.expect("376")
    return line


def refused(server: RunningServer) -> bool:
    """A new connection from 127.0.0.1 is closed at once (max_clients_per_ip)."""
    extra = IRCClient(server.port)
    try:
        extra.send("NICK late", "USER late 0 * :late")
        return extra.closed_by_server(timeout=3)
    finally:
        extra.close()


def test_sighup_reloads_motd_and_limits_without_dropping(
    served: tuple[RunningServer, Path],
) -> None:
    server, config = served
    assert server.process is not None
    client = IRCClient(server.port).register("alice")
    assert current_motd(client) == "- first motd"
    assert not refused(server)

    write_config(config, "second motd", per_ip=1)
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: current_motd(client) == "- second motd")
    assert refused(server)  # the limit: alice holds the one connection 127.0.0.1 may have
    client.send("PING :still-here")
    assert client.expect("PONG").params[-1] == "still-here"
    client.close()


def test_rehash_command_and_refused_file(served: tuple[RunningServer, Path]) -> None:
    server, config = served
    assert server.process is not None
    client = IRCClient(server.port).register("admin")
    client.send("REHASH")
    assert client.expect("481").command == "481"  # not an operator yet
    client.send("OPER admin sekrit")
    client.expect("381")

    write_config(config, "rehashed motd", extra='port = 7000\nname = "other.name"')
    client.send("REHASH")
    assert client.expect("382").params[-1] == "Rehashing"
    kept = client.expect("NOTICE", lambda m: "need a restart" in m.params[-1]).params[-1]
    assert "port" not in kept  # the flag --port wins over the file: nothing changed there
    assert "name" in kept
    assert current_motd(client) == "- rehashed motd"

    config.write_text('[server]\nmotd = "broken\n')  # not TOML
    client.send("REHASH")
    notice = client.expect("NOTICE", lambda m: "REHASH refused" in m.params[-1]).params[-1]
    assert "cannot read config" in notice
    config.write_text('[server]\nmotd = "x"\nno_such_setting = 1\n')
    client.send("REHASH")
    notice = client.expect("NOTICE", lambda m: "REHASH refused" in m.params[-1]).params[-1]
    assert "no_such_setting" in notice
    assert current_motd(client) == "- rehashed motd"  # the old config stays

    server.process.send_signal(signal.SIGHUP)  # refused too, in the log
    time.sleep(0.5)
    client.send("PING :alive")
    client.expect("PONG")
    client.close()
    server.process.terminate()
    server.process.wait(timeout=10)
    out = server.output()
    assert "rehash by admin!~admin@127.0.0.1" in out
    assert "rehash by SIGHUP refused, the old configuration stays" in out
    assert "no_such_setting" in out


def presented_cert(port: int) -> bytes:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        return der


def test_sighup_loads_a_renewed_certificate_for_new_connections(tmp_path: Path) -> None:
    """A renewed certificate written over the old files (as certbot does) is served after
    SIGHUP; a TLS client connected before stays connected."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_cert(cert, key, "first")
    tls_port = free_port()
    args = ("--tls-port", str(tls_port), "--tls-cert", str(cert), "--tls-key", str(key))
    config = tmp_path / "socketchat.toml"
    write_config(config, "tls")
    with spawned_server("--config", str(config), *args, data_dir=str(tmp_path / "d")) as server:
        assert server.process is not None
        wait_for_port(tls_port)
        first = presented_cert(tls_port)
        client = IRCClient(tls_port, tls=True).register("secure")
        make_cert(cert, key, "second")
        server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: presented_cert(tls_port) != first)
        assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE")
        client.send("PING :kept")
        assert client.expect("PONG").params[-1] == "kept"
        client.close()


def test_sighup_reloads_web_origins_and_trusted_proxies(tmp_path: Path) -> None:
    from websockets.exceptions import InvalidStatus

    from tests.web.wsclient import WSClient

    config = tmp_path / "socketchat.toml"
    write_config(config, "web")
    web_port = free_port()
    args = ("--config", str(config), "--web-port", str(web_port))
    with spawned_server(*args, data_dir=str(tmp_path / "d")) as server:
        assert server.process is not None
        wait_for_port(web_port)
        with pytest.raises(InvalidStatus):
            WSClient(web_port, origin="http://chat.example")
        forwarded = {"X-Forwarded-For": "203.0.113.9"}
        before = WSClient(web_port, headers=forwarded).register("before")
        before.send("WHOIS before")
        assert "203.0.113.9" not in " ".join(m.params[-1] for m in before.collect(0.5))

        write_config(
            config,
            "web",
            extra='web_origins = ["http://chat.example"]\ntrusted_proxies = ["127.0.0.1"]',
        )
        server.process.send_signal(signal.SIGHUP)

        def allowed() -> bool:
            try:
                WSClient(web_port, origin="http://chat.example").close()
            except InvalidStatus:
                return False
            return True

        wait_for(allowed)
        after = WSClient(web_port, headers=forwarded).register("after")
        after.send("WHOIS after")
        after.expect("318")
        assert any("203.0.113.9" in m.params[-1] for m in after.log if m.command == "378")
        before.send("PING :stays")
        before.expect("PONG")
