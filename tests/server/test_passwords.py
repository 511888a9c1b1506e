"""Password hashes (scrypt) and the `socketchat hash-password` command."""

import subprocess
import sys

from socketchat.server.passwords import hash_password, verify_password


def test_hash_verifies_only_the_same_password() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$")
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("", stored)


def test_hashes_are_salted() -> None:
    assert hash_password("same") != hash_password("same")


def test_missing_or_malformed_hashes_never_match() -> None:
    for stored in (
        None,
        "",
        "garbage",
        "scrypt$x$8$1$aa$bb",
        "md5$14$8$1$aa$bb",
        "scrypt$40$8$1$a$b",
    ):
        assert not verify_password("", stored)
        assert not verify_password("x", stored)


def test_hash_password_command_prints_a_usable_hash() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "socketchat", "hash-password"],
        input="s3cret\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    assert verify_password("s3cret", out)
