"""A self-signed certificate for a LAN without a proxy (`socketchat serve --tls-self-signed`).

Made once with the `cryptography` library (``pip install 'socketchat[tls]'``) and kept in the
data directory (``tls-self-signed.pem`` and ``tls-self-signed.key``, 0600), so its fingerprint
stays the same across restarts: people compare it once (the server prints it) and their
clients and browsers remember it. It names localhost, this machine's hostname and
``<hostname>.local`` (mDNS), the loopback addresses and the configured host when it is an
address. It is valid for ten years; delete both files to make a new one.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import socket
import ssl
from pathlib import Path

CERT_FILE = "tls-self-signed.pem"
KEY_FILE = "tls-self-signed.key"
MISSING = "--tls-self-signed needs the cryptography library: pip install 'socketchat[tls]'"
VALID_DAYS = 3650


class CertificateError(Exception):
    """The self-signed certificate cannot be made or read (one sentence)."""


def fingerprint(cert_pem_path: str | Path) -> str:
    """SHA-256 of the certificate (DER), as browsers show it: ``AB:CD:...``."""
    text = Path(cert_pem_path).read_text()
    end = "-----END CERTIFICATE-----"
    first = text[text.index("-----BEGIN CERTIFICATE-----") : text.index(end) + len(end)]
    der = ssl.PEM_cert_to_DER_cert(first)  # the server's own: the first of a chain
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _names(host: str) -> tuple[list[str], list[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
    hostname = socket.gethostname().lower().rstrip(".")
    dns = ["localhost", hostname, hostname.split(".")[0] + ".local"]
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host and host not in dns:
            dns.append(host)
    else:
        if not address.is_unspecified and address not in ips:
            ips.append(address)
    return list(dict.fromkeys(dns)), ips


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def ensure_self_signed(data_dir: str | Path, host: str) -> tuple[str, str]:
    """(certificate path, key path) in `data_dir`, made now if they are not there yet."""
    directory = Path(data_dir)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return str(cert_path), str(key_path)
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as exc:
        raise CertificateError(MISSING) from exc
    key = ec.generate_private_key(ec.SECP256R1())
    dns, ips = _names(host)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[1] or "socketchat")])
    now = datetime.datetime.now(datetime.UTC)
    alt = [*(x509.DNSName(d) for d in dns), *(x509.IPAddress(ip) for ip in ips)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_bytes = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(key_path, key_bytes)
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        raise CertificateError(f"cannot write the certificate in {directory}: {exc}") from exc
    return str(cert_path), str(key_path)
