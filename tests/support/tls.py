"""Certificates for the TLS tests, made by the real `openssl` (one command line, kept here once)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support import require_tool


def make_cert(cert: Path, key: Path, name: str = "localhost", alt_names: str = "") -> None:
    """Write a one-day self-signed RSA certificate for CN=name to cert, its key to key.

    alt_names is an -addext subjectAltName value (e.g. "IP:127.0.0.1,DNS:localhost") for a
    client that checks the address it connected to; without it the certificate has none.
    Writing over existing files is how a renewal (certbot) looks to the server."""
    openssl = require_tool("openssl")
    extra = ("-addext", f"subjectAltName={alt_names}") if alt_names else ()
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}"),
            *extra,
        ],
        check=True,
        capture_output=True,
    )


def cert_in(directory: Path, alt_names: str = "") -> tuple[str, str]:
    """A localhost certificate and key made in directory: (cert path, key path), as strings
    for the server's tls_cert/tls_key settings."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    make_cert(cert, key, alt_names=alt_names)
    return str(cert), str(key)
