"""The `socketchat` command's handling of client passwords: never from the command line (every
local user reads it in `ps`), but from an environment variable or a prompt."""

from __future__ import annotations

import os
import subprocess
import sys

from socketchat.cli import build_parser, client_secrets


def test_account_password_comes_from_the_environment_or_a_prompt() -> None:
    args = build_parser().parse_args(["chat", "--nick", "a", "--account", "alice"])
    assert client_secrets(args, environ={"SOCKETCHAT_PASSWORD": "from-env"}) is None
    assert args.account_password == "from-env"

    asked: list[str] = []
    args = build_parser().parse_args(["gui", "--account", "alice"])
    client_secrets(args, environ={}, prompt=lambda text: asked.append(text) or "typed")
    assert args.account_password == "typed" and asked == ["Password for account alice: "]

    args = build_parser().parse_args(["chat", "--account", "alice"])
    problem = client_secrets(args, environ={}, prompt=None)
    assert problem is not None and "SOCKETCHAT_PASSWORD" in problem

    args = build_parser().parse_args(["chat", "--nick", "a"])
    client_secrets(args, environ={"SOCKETCHAT_SERVER_PASSWORD": "pass-env"})
    assert args.password == "pass-env"


def test_a_password_flag_warns_and_a_missing_password_off_a_terminal_is_refused() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETCHAT_")}
    run = [sys.executable, "-m", "socketchat", "chat", "--nick", "a", "--account", "alice"]
    done = subprocess.run(
        run, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2 and "SOCKETCHAT_PASSWORD" in done.stderr
    args = build_parser().parse_args(["chat", "--account", "a", "--account-password", "x"])
    warned = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from socketchat.cli import *; "
            "a = build_parser().parse_args(sys.argv[1:]); client_secrets(a, environ={})",
            "chat",
            "--account",
            "a",
            "--account-password",
            "pw",
            "--password",
            "pw2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert args.account_password == "x"
    assert "--account-password puts the password" in warned.stderr
    assert "--password puts the password" in warned.stderr
    chat_help = subprocess.run(
        [sys.executable, "-m", "socketchat", "chat", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert "--account" in chat_help and "--account-password" not in chat_help


def test_hash_password_reads_stdin_and_warns_about_an_argument() -> None:
    run = [sys.executable, "-m", "socketchat", "hash-password"]
    piped = subprocess.run(run, input="pw-secret\n", capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and piped.stdout.startswith("scrypt$") and not piped.stderr
    argued = subprocess.run([*run, "pw-secret"], capture_output=True, text=True, timeout=60)
    assert argued.returncode == 0 and "visible to every local user" in argued.stderr
