"""The PROXY protocol (v1 and v2) on the IRC and TLS ports, over raw sockets: only a trusted
proxy's header is believed, a connection without a valid header is refused, and nothing after
the header is lost (the first IRC line, or the TLS handshake, follows it at once)."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import struct
import time
from pathlib import Path

import pytest

from socketchat.server.proxies import PROXY_V2_SIGNATURE
from tests.support import free_port, wait_for_port
from tests.support.irc import IRCClient, LineClient
from tests.support.server import running_server
from tests.support.tls import cert_in

PROXIED = {"proxy_protocol": True, "trusted_proxies": ("127.0.0.1",)}


def v1(ip: str, port: int = 4711) -> bytes:
    family = "TCP6" if ":" in ip else "TCP4"
    dest = "::1" if ":" in ip else "127.0.0.1"
    return f"PROXY {family} {ip} {dest} {port} 6667\r\n".encode()


def v2(ip: str, port: int = 4711, *, tlv: bytes = b"") -> bytes:
    address = ipaddress.ip_address(ip)
    family = 0x11 if address.version == 4 else 0x21
    body = address.packed + bytes(len(address.packed)) + struct.pack("!HH", port, 6667) + tlv
    return PROXY_V2_SIGNATURE + bytes((0x21, family)) + struct.pack("!H", len(body)) + body


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.settimeout(10)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


class SocketClient(IRCClient):
    """An `IRCClient` on a socket the test opened (and wrote the PROXY header to) itself."""

    def __init__(self, sock: socket.socket) -> None:
        LineClient.__init__(self, 10.0)
        self.sock = sock
        self.buffer = b""


def host_of(client: IRCClient) -> str:
    client.send(f"WHOIS {client.nick}")
    return client.expect("311").param(3)


def proxied_client(port: int, header: bytes, nick: str, *, split: bool = False) -> IRCClient:
    """Header and registration in one write (as a proxy sends them), or byte by byte."""
    sock = connect(port)
    first = header + f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode()
    if split:
        for i in range(len(header)):
            sock.sendall(header[i : i + 1])
            time.sleep(0.002)
        sock.sendall(first[len(header) :])
    else:
        sock.sendall(first)
    client = SocketClient(sock)
    client.expect("001")
    client.expect("376")
    client.nick = nick
    return client


def refused(sock: socket.socket) -> bool:
    """The server closed without a welcome (an ERROR line or nothing)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return b"001" not in data
        if not chunk:
            return b"001" not in data
        data += chunk


@pytest.mark.parametrize("make", [v1, v2], ids=["v1", "v2"])
@pytest.mark.parametrize("ip", ["203.0.113.5", "2001:db8::5"])
def test_a_trusted_proxy_header_gives_the_client_address(make: object, ip: str) -> None:
    with running_server(**PROXIED) as server:
        for split in (False, True):
            header = make(ip)  # type: ignore[operator]
            client = proxied_client(server.port, header, f"c{int(split)}", split=split)
            assert host_of(client) == ip
            client.close()


def test_v2_local_and_tlvs() -> None:
    local = PROXY_V2_SIGNATURE + bytes((0x20, 0x00, 0, 0))
    with running_server(**PROXIED) as server:
        client = proxied_client(server.port, local, "health")
        assert host_of(client) == "127.0.0.1"  # LOCAL: the proxy's own connection
        client.close()
        client = proxied_client(server.port, v2("203.0.113.9", tlv=b"\x03\x00\x04abcd"), "tlv")
        assert host_of(client) == "203.0.113.9"
        client.close()


@pytest.mark.parametrize(
    "data",
    [
        b"NICK direct\r\nUSER d 0 * :d\r\n",  # no header at all
        b"PROXY TCP4 203.0.113.5 127.0.0.1 4711\r\nNICK a\r\n",
        b"PROXY TCP4 " + b"1" * 200 + b"\r\n",
        PROXY_V2_SIGNATURE + b"\x21\x11\xff\xff" + bytes(100),  # announces 65535 bytes
        b"GET / HTTP/1.1\r\n\r\n",
    ],
)
def test_a_connection_without_a_valid_header_is_refused(data: bytes) -> None:
    with running_server(**PROXIED) as server:
        sock = connect(server.port)
        sock.sendall(data)
        assert refused(sock)
        sock.close()


def test_a_header_from_an_untrusted_address_is_refused() -> None:
    with running_server(**PROXIED) as server:
        sock = connect(server.port, source="127.0.0.2")
        sock.sendall(v1("203.0.113.5") + b"NICK a\r\nUSER a 0 * :a\r\n")
        assert refused(sock)
        sock.close()
        # the trusted one still works
        proxied_client(server.port, v1("203.0.113.5"), "ok").close()


def test_a_header_that_never_comes_times_out() -> None:
    with running_server(**PROXIED) as server:
        sock = connect(server.port)
        sock.sendall(b"PROXY TCP4 203.0")  # and then nothing
        assert refused(sock)
        sock.close()


def test_per_ip_limits_count_the_client_address() -> None:
    with running_server(limits={"max_clients_per_ip": 1}, **PROXIED) as server:
        a = proxied_client(server.port, v1("203.0.113.5"), "a")
        b = proxied_client(server.port, v2("203.0.113.6"), "b")  # another client: fine
        sock = connect(server.port)
        sock.sendall(v1("203.0.113.5") + b"NICK c\r\nUSER c 0 * :c\r\n")
        assert refused(sock)  # the same client address again: over its limit
        sock.close()
        a.close()
        b.close()


def whois_over_tls(port: int, header: bytes, cafile: str) -> bytes:
    """A PROXY `header`, then at once the TLS handshake on the same connection; registers and
    asks WHOIS of itself. What the server sent, up to its 311 (the address it believes)."""
    raw = connect(port)
    raw.sendall(header)
    tls = ssl.create_default_context(cafile=cafile).wrap_socket(raw, server_hostname="localhost")
    tls.sendall(b"NICK sec\r\nUSER s 0 * :s\r\nWHOIS sec\r\n")
    data = b""
    while b" 311 " not in data:
        chunk = tls.recv(4096)
        assert chunk, data
        data += chunk
    tls.close()
    return data


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return cert_in(tmp_path_factory.mktemp("cert"))


def test_tls_port_reads_the_header_before_the_handshake(cert: tuple[str, str]) -> None:
    cert_file, key_file = cert
    settings = dict(tls_cert=cert_file, tls_key=key_file, tls_port=free_port())
    with running_server(tls_proxy_protocol=True, trusted_proxies=("127.0.0.1",), **settings) as srv:
        data = whois_over_tls(srv.tls_port, v2("198.51.100.7"), cert_file)
        line = next(x for x in data.split(b"\r\n") if b" 311 " in x)
        assert line.split(b" ")[5] == b"198.51.100.7"
        # the plain port is not a proxy port here: a direct client is itself
        plain = IRCClient(srv.port).register("plain")
        assert host_of(plain) == "127.0.0.1"
        plain.close()


def test_proxy_protocol_needs_trusted_proxies(tmp_path: Path) -> None:
    from socketchat.server.config import ConfigError, load_config

    path = tmp_path / "c.toml"
    path.write_text("[server]\nproxy_protocol = true\n")
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_config(path)


def test_the_serve_command_reads_proxy_headers(tmp_path: Path, cert: tuple[str, str]) -> None:
    """The real `socketchat serve` (uvloop when installed), plain and TLS ports both proxied."""
    from tests.support.server import spawned_server

    cert_file, key_file = cert
    tls_port = free_port()
    config = tmp_path / "proxied.toml"
    config.write_text(
        "[server]\n"
        'trusted_proxies = ["127.0.0.1"]\n'
        "proxy_protocol = true\n"
        "tls_proxy_protocol = true\n"
        f'tls_cert = "{cert_file}"\ntls_key = "{key_file}"\ntls_port = {tls_port}\n'
    )
    with spawned_server("--config", str(config)) as srv:
        wait_for_port(tls_port)
        for header in (v1("203.0.113.5"), v2("2001:db8::9")):
            client = proxied_client(srv.port, header, "p", split=True)
            assert host_of(client) in ("203.0.113.5", "2001:db8::9")
            client.close()
        assert b" 198.51.100.7 " in whois_over_tls(tls_port, v1("198.51.100.7"), cert_file)
        sock = connect(srv.port, source="127.0.0.2")
        sock.sendall(v1("203.0.113.5"))
        assert refused(sock)
        sock.close()
