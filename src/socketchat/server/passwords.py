"""Password hashes for operator (and account) passwords: scrypt, salted, compared in constant time.

A hash is one printable string, ``scrypt$<log2 n>$<r>$<p>$<salt>$<key>`` (salt and key in unpadded
urlsafe base64), so it fits in the TOML config (`socketchat hash-password` prints one) or a database
column. `verify_password` never raises on a malformed hash: it is simply a mismatch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

SCHEME = "scrypt"
LOG2_N = 14  # n = 16384: ~16 MiB and tens of milliseconds per check
BLOCK_SIZE = 8
PARALLELISM = 1
KEY_BYTES = 32
SALT_BYTES = 16
MAX_PASSWORD_BYTES = 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogateescape")[:MAX_PASSWORD_BYTES],
        salt=salt,
        n=1 << log2_n,
        r=r,
        p=p,
        maxmem=256 * 1024 * 1024,
        dklen=KEY_BYTES,
    )


def hash_password(password: str, *, log2_n: int = LOG2_N) -> str:
    """A fresh salted hash of `password`."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, log2_n, BLOCK_SIZE, PARALLELISM)
    return f"{SCHEME}${log2_n}${BLOCK_SIZE}${PARALLELISM}${_b64(salt)}${_b64(key)}"


# Checked when there is no real hash to check against (unknown operator name), so that the reply
# takes as long as a wrong password and does not reveal which names exist.
@cache
def _dummy_hash() -> str:
    return hash_password("")


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches `stored`. A missing or malformed hash never matches."""
    try:
        scheme, log2_n, r, p, salt, key = (stored or _dummy_hash()).split("$")
        params = int(log2_n), int(r), int(p)
        if scheme != SCHEME or not (1 <= params[0] <= 20 and 1 <= params[1] <= 32):
            return False
        if not 1 <= params[2] <= 16:
            return False
        expected = _unb64(key)
        actual = _derive(password, _unb64(salt), *params)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected) and bool(stored)
