"""The sans-I/O half of trusted proxies: forwarded-address walks and PROXY protocol headers."""

from __future__ import annotations

import ipaddress
import struct

import pytest

from socketchat.server.proxies import (
    PROXY_V2_SIGNATURE,
    ProxyHeaderError,
    TrustedNetworks,
    forwarded_client,
    parse_proxy_header,
    proxy_bytes_wanted,
)

TRUSTED = TrustedNetworks(["127.0.0.1", "10.0.0.0/8", "::1"])


@pytest.mark.parametrize(
    ("peer", "values", "client"),
    [
        ("127.0.0.1", ["203.0.113.5"], "203.0.113.5"),
        ("127.0.0.1", ["6.6.6.6, 203.0.113.5"], "203.0.113.5"),  # forged entry on the left
        ("127.0.0.1", ["6.6.6.6, 203.0.113.5, 10.1.2.3"], "203.0.113.5"),  # two proxies
        ("127.0.0.1", ["6.6.6.6", "203.0.113.5"], "203.0.113.5"),  # two header lines
        ("127.0.0.1", ["10.0.0.2, 10.0.0.3"], "10.0.0.2"),  # all trusted: the left-most
        ("127.0.0.1", ["203.0.113.5:4711"], "203.0.113.5"),
        ("127.0.0.1", ["[2001:db8::1]:80"], "2001:db8::1"),
        ("127.0.0.1", ["2001:db8::1"], "2001:db8::1"),
        ("127.0.0.1", ["::ffff:203.0.113.5"], "203.0.113.5"),
        ("127.0.0.1", ["203.0.113.5, garbage"], "127.0.0.1"),  # stops at the bad entry
        ("127.0.0.1", ["unknown"], "127.0.0.1"),
        ("127.0.0.1", [], "127.0.0.1"),
        ("192.0.2.9", ["203.0.113.5"], "192.0.2.9"),  # an untrusted peer is not believed
        ("::1", ["203.0.113.5"], "203.0.113.5"),
    ],
)
def test_x_forwarded_for_right_most_untrusted(peer: str, values: list[str], client: str) -> None:
    assert forwarded_client(peer, values, "x-forwarded-for", TRUSTED) == client


def test_forwarded_rfc7239() -> None:
    values = ['for=6.6.6.6, for="[2001:db8::5]:4711";proto=https;by=10.0.0.1', "for=10.0.0.7"]
    assert forwarded_client("127.0.0.1", values, "forwarded", TRUSTED) == "2001:db8::5"
    assert forwarded_client("127.0.0.1", ["for=_hidden"], "forwarded", TRUSTED) == "127.0.0.1"
    assert forwarded_client("127.0.0.1", ["proto=http"], "forwarded", TRUSTED) == "127.0.0.1"


def test_bad_networks_are_refused() -> None:
    with pytest.raises(ValueError, match="not an address"):
        TrustedNetworks(["10.0.0.0/33"])


def v2(command: int, family: int, body: bytes, transport: int = 1) -> bytes:
    return (
        PROXY_V2_SIGNATURE
        + bytes((0x20 | command, family << 4 | transport))
        + (struct.pack("!H", len(body)) + body)
    )


def test_proxy_v1() -> None:
    line = b"PROXY TCP4 203.0.113.5 10.0.0.1 4711 6667\r\n"
    header = parse_proxy_header(line + b"NICK a\r\n")
    assert header is not None
    assert (header.ip, header.port, header.length) == ("203.0.113.5", 4711, len(line))
    six = parse_proxy_header(b"PROXY TCP6 2001:db8::5 2001:db8::1 1 2\r\n")
    assert six is not None and six.ip == "2001:db8::5"
    unknown = parse_proxy_header(b"PROXY UNKNOWN whatever\r\n")
    assert unknown is not None and unknown.ip is None
    assert parse_proxy_header(b"PROXY TCP4 203.0") is None  # not complete yet
    assert proxy_bytes_wanted(b"PROXY") is None  # v1: read up to the CRLF


@pytest.mark.parametrize(
    "data",
    [
        b"NICK alice\r\n",
        b"PROXY TCP4 203.0.113.5 10.0.0.1 4711\r\n",
        b"PROXY TCP4 2001:db8::5 10.0.0.1 1 2\r\n",
        b"PROXY TCP4 203.0.113.500 10.0.0.1 1 2\r\n",
        b"PROXY TCP4 203.0.113.5 10.0.0.1 99999 2\r\n",
        b"PROXY TCP4 203.0.113.5 10.0.0.1 +1 2\r\n",
        b"PROXY TCP5 203.0.113.5 10.0.0.1 1 2\r\n",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
        b"PROXY " + b"x" * 120,
        b"\r\n\r\n\x00\r\nQUIX\n" + bytes(4),
    ],
)
def test_invalid_proxy_headers(data: bytes) -> None:
    with pytest.raises(ProxyHeaderError):
        parse_proxy_header(data)


def test_proxy_v2() -> None:
    body = ipaddress.IPv4Address("203.0.113.5").packed + bytes(4) + struct.pack("!HH", 4711, 6667)
    data = v2(1, 1, body + b"\x03\x00\x04abcd")  # with a TLV after the addresses
    header = parse_proxy_header(data + b"NICK a\r\n")
    assert header is not None and (header.ip, header.port, header.length) == (
        "203.0.113.5",
        4711,
        len(data),
    )
    six = ipaddress.IPv6Address("2001:db8::5").packed + bytes(16) + struct.pack("!HH", 1, 2)
    assert parse_proxy_header(v2(1, 2, six)).ip == "2001:db8::5"  # type: ignore[union-attr]
    local = parse_proxy_header(v2(0, 0, b""))
    assert local is not None and local.ip is None and local.length == 16
    assert parse_proxy_header(data[:10]) is None
    assert parse_proxy_header(data[:20]) is None
    assert proxy_bytes_wanted(data[:10]) == 6
    assert proxy_bytes_wanted(data[:16]) == len(data) - 16
    with pytest.raises(ProxyHeaderError):
        parse_proxy_header(v2(1, 1, b"short"))
    with pytest.raises(ProxyHeaderError):
        parse_proxy_header(v2(1, 1, bytes(2000)))  # longer than any real header
    with pytest.raises(ProxyHeaderError):
        parse_proxy_header(PROXY_V2_SIGNATURE + b"\x31\x11\x00\x0c")  # version 3
