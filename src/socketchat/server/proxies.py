"""Who is really connecting, when a proxy or gateway connects for them (sans-I/O).

A reverse proxy (nginx in front of the web port), a TCP proxy (HAProxy in front of the IRC
ports) or a web IRC gateway (WEBIRC) opens the connection itself, so the TCP peer is the proxy.
Each can tell the real client's address: ``X-Forwarded-For`` or ``Forwarded`` on the WebSocket
upgrade, the PROXY protocol header (v1 text or v2 binary) at the start of a TCP connection, the
``WEBIRC`` command before registration. Anyone can send those, so they are believed only from
the addresses in ``trusted_proxies`` (for WEBIRC: a gateway's own ``hosts`` and password).

The session then carries the client's address, for everything an address is used for: per-IP
connection limits, bans, cloaks, WHO/WHOIS hosts, ``/pm <ip>``, login throttling.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_HEADERS = ("x-forwarded-for", "forwarded")


def parse_ip(text: str) -> Address | None:
    """An address (IPv4-mapped IPv6 as IPv4; a zone index dropped), or None."""
    try:
        address = ipaddress.ip_address(text.strip().partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and CIDRs (``10.0.0.0/8``, ``::1``); ValueError names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {entry!r}") from None
    return tuple(networks)


class TrustedNetworks:
    """A set of networks; `contains` answers for an address given as text."""

    __slots__ = ("networks",)

    def __init__(self, entries: Iterable[str]) -> None:
        self.networks = parse_networks(entries)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def contains(self, ip: str | Address | None) -> bool:
        address = parse_ip(ip) if isinstance(ip, str) else ip
        if address is None:
            return False
        return any(address.version == n.version and address in n for n in self.networks)


def _hop_address(text: str) -> Address | None:
    """One hop of X-Forwarded-For or a ``for=`` of Forwarded: ``1.2.3.4``, ``1.2.3.4:80``,
    ``[2001:db8::1]:80``, ``"[2001:db8::1]"`` or an IPv6 address alone."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        return parse_ip(text[1:].partition("]")[0])
    if text.count(":") == 1:
        text = text.partition(":")[0]
    return parse_ip(text)


def _forwarded_hops(values: Iterable[str], header: str) -> list[str]:
    hops: list[str] = []
    for value in values:
        for element in value.split(","):
            if header == "x-forwarded-for":
                hops.append(element)
                continue
            # Forwarded (RFC 7239): for=...;proto=...;by=...
            found = ""
            for pair in element.split(";"):
                name, _, content = pair.partition("=")
                if name.strip().lower() == "for":
                    found = content
            hops.append(found)
    return hops


def forwarded_client(
    peer: str, values: Iterable[str], header: str, trusted: TrustedNetworks
) -> str:
    """The client's address for a request from `peer` carrying these `header` values.

    Only a trusted peer's header is read. Each proxy appends the address it got the request
    from, so the list is walked from the right: the first address that is not a trusted proxy
    is the client (anything left of it was written by the client itself, and may be forged).
    An entry that is not an address (``unknown``, an obfuscated name, garbage) stops the walk
    at the last good one.
    """
    if not trusted.contains(peer):
        return peer
    client = parse_ip(peer)
    for hop in reversed(_forwarded_hops(values, header)):
        address = _hop_address(hop)
        if address is None:
            break
        client = address
        if not trusted.contains(address):
            break
    return str(client) if client is not None else peer


# -- the PROXY protocol (haproxy.org/download/2.9/doc/proxy-protocol.txt) -----------------------

PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
PROXY_V1_MAX = 107  # the longest v1 header, CRLF included
PROXY_V2_MAX_BODY = 1024  # addresses plus TLVs; more is refused rather than buffered
PROXY_HEADER_TIMEOUT = 5.0  # seconds a connection may take to send its header


class ProxyHeaderError(ValueError):
    """Not a valid PROXY protocol header: the connection is refused."""


@dataclass(frozen=True, slots=True)
class ProxyHeader:
    """A complete header: the client's address, or None (``LOCAL``/``UNKNOWN``: the proxy's own
    connection, e.g. a health check; the peer's address stands)."""

    ip: str | None
    port: int
    length: int  # bytes the header took


def proxy_bytes_wanted(data: bytes) -> int | None:
    """How many more bytes surely belong to the header, from what has arrived so far; None for a
    v1 header, whose end is its CRLF (the reader looks for it without reading past it)."""
    if not data:
        return 1
    if data[:1] == b"P":
        return None
    if len(data) < 16:
        return 16 - len(data)
    length = int.from_bytes(data[14:16], "big")
    return max(0, 16 + length - len(data))


def parse_proxy_header(data: bytes) -> ProxyHeader | None:
    """The header at the start of `data`; None if it is not complete yet.

    Raises `ProxyHeaderError` as soon as `data` cannot be the start of a valid header.
    """
    if not data:
        return None
    if data[:1] == b"P":
        return _parse_v1(data)
    if not PROXY_V2_SIGNATURE.startswith(data[:12]):
        raise ProxyHeaderError("no PROXY protocol signature")
    return _parse_v2(data)


def _parse_v1(data: bytes) -> ProxyHeader | None:
    if not b"PROXY ".startswith(data[:6]):
        raise ProxyHeaderError("no PROXY protocol signature")
    end = data.find(b"\r\n")
    if end < 0:
        if len(data) >= PROXY_V1_MAX or b"\n" in data:
            raise ProxyHeaderError("PROXY v1 header too long or not ended by CRLF")
        return None
    if end + 2 > PROXY_V1_MAX:
        raise ProxyHeaderError("PROXY v1 header too long")
    try:
        fields = data[:end].decode("ascii").split(" ")
    except UnicodeDecodeError:
        raise ProxyHeaderError("PROXY v1 header is not ASCII") from None
    if len(fields) >= 2 and fields[1] == "UNKNOWN":
        return ProxyHeader(None, 0, end + 2)
    if len(fields) != 6 or fields[1] not in ("TCP4", "TCP6"):
        raise ProxyHeaderError("malformed PROXY v1 header")
    _, family, source, dest, sport, dport = fields
    src, dst = parse_ip(source), parse_ip(dest)
    version = 4 if family == "TCP4" else 6
    if src is None or dst is None or ipaddress.ip_address(source).version != version:
        raise ProxyHeaderError("bad address in PROXY v1 header")
    for port in (sport, dport):
        if not (port.isascii() and port.isdigit()) or int(port) > 65535 or port != str(int(port)):
            raise ProxyHeaderError("bad port in PROXY v1 header")
    return ProxyHeader(str(src), int(sport), end + 2)


def _parse_v2(data: bytes) -> ProxyHeader | None:
    if len(data) < 16:
        return None
    version, command = data[12] >> 4, data[12] & 0x0F
    if version != 2 or command not in (0, 1):
        raise ProxyHeaderError("unsupported PROXY v2 version or command")
    family, transport = data[13] >> 4, data[13] & 0x0F
    length = int.from_bytes(data[14:16], "big")
    if length > PROXY_V2_MAX_BODY:
        raise ProxyHeaderError("PROXY v2 header too long")
    if len(data) < 16 + length:
        return None
    body = data[16 : 16 + length]
    total = 16 + length
    if command == 0 or family == 0 or transport != 1:  # LOCAL, UNSPEC, or not a stream
        return ProxyHeader(None, 0, total)
    if family == 1:  # AF_INET: 4 + 4 + 2 + 2
        if length < 12:
            raise ProxyHeaderError("short PROXY v2 IPv4 address block")
        ip: Address = ipaddress.IPv4Address(body[0:4])
        port = int.from_bytes(body[8:10], "big")
    elif family == 2:  # AF_INET6: 16 + 16 + 2 + 2
        if length < 36:
            raise ProxyHeaderError("short PROXY v2 IPv6 address block")
        ip = ipaddress.IPv6Address(body[0:16])
        port = int.from_bytes(body[32:34], "big")
    else:  # AF_UNIX and others: no address to use
        return ProxyHeader(None, 0, total)
    mapped = parse_ip(str(ip))
    return ProxyHeader(str(mapped if mapped is not None else ip), port, total)
