"""The `socketchat` command: `serve`, `init`, `chat`, `gui` and `hash-password`.

Each subcommand imports its implementation lazily, so `socketchat --help` stays fast and the
server never imports a GUI toolkit.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence

from socketchat import __version__


def _add_client_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=None, help="server to connect to (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=None, help="server port (default 6667, 6697 with --tls)"
    )
    p.add_argument("--tls", action="store_true", help="connect with TLS")
    p.add_argument(
        "--tls-insecure", action="store_true", help="with --tls: do not verify the certificate"
    )
    p.add_argument("--nick", default=None, help="your nickname (the GUI asks when not given)")
    p.add_argument(
        "--channel",
        default=None,
        help="channel to join on connect (default: the ones open last time, else #lobby)",
    )
    p.add_argument(
        "--lang", default=None, help="interface language: en or fa (default: the locale)"
    )
    p.add_argument(
        "--theme", choices=("dark", "light"), default=None, help="colour theme (remembered)"
    )
    p.add_argument(
        "--password",
        default=None,
        help=f"server password (PASS); better: the {SERVER_PASSWORD_ENV} environment variable",
    )
    p.add_argument(
        "--account",
        default=None,
        help=f"account to log in to with SASL; its password comes from {PASSWORD_ENV} or a prompt",
    )
    p.add_argument(
        "--account-password", default=None, help=argparse.SUPPRESS
    )  # deprecated: visible to every local user in `ps`; warns


# Passwords never belong on a command line: every local user reads it in `ps` (and it lands in
# shell history). Clients take them from these variables or a prompt instead.
PASSWORD_ENV = "SOCKETCHAT_PASSWORD"
SERVER_PASSWORD_ENV = "SOCKETCHAT_SERVER_PASSWORD"


def client_secrets(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] = os.environ,
    prompt: Callable[[str], str] | None = None,
) -> str | None:
    """Fill in `args.account_password` and `args.password` (server PASS) without taking them
    from the command line; None when all is well, else why not (an error message).

    Order: the variable (`SOCKETCHAT_PASSWORD`, `SOCKETCHAT_SERVER_PASSWORD`), then a flag given
    anyway (with a warning: `ps` shows it), then — for `--account` only — `prompt` (getpass
    on a terminal). Without a terminal and without the variable, the caller decides (the GUI
    asks in a dialog; the terminal client refuses).
    """
    for flag, name in (("--account-password", "account_password"), ("--password", "password")):
        if getattr(args, name, None):
            env = PASSWORD_ENV if name == "account_password" else SERVER_PASSWORD_ENV
            print(
                f"socketchat: warning: {flag} puts the password where every local user sees it "
                f"(ps); set {env} or let the client ask for it",
                file=sys.stderr,
            )
    if environ.get(SERVER_PASSWORD_ENV):
        args.password = environ[SERVER_PASSWORD_ENV]
    if not getattr(args, "account", None):
        return None
    if environ.get(PASSWORD_ENV):
        args.account_password = environ[PASSWORD_ENV]
    elif not args.account_password and prompt is not None:
        args.account_password = prompt(f"Password for account {args.account}: ")
    if not args.account_password and prompt is None and args.command == "chat":
        return f"--account {args.account}: set {PASSWORD_ENV}, or run on a terminal to be asked"
    return None


def _terminal_prompt() -> Callable[[str], str] | None:
    if not sys.stdin.isatty():
        return None
    import getpass

    return getpass.getpass


def _hash_password_main(password: str | None) -> int:
    from socketchat.server.passwords import hash_password

    if password is None:
        if sys.stdin.isatty():
            import getpass

            password = getpass.getpass("Password: ")
            if getpass.getpass("Again: ") != password:
                print("socketchat: the passwords differ", file=sys.stderr)
                return 1
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("socketchat: empty password", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="socketchat",
        description="A chat server that speaks IRC, with terminal, desktop and browser clients.",
    )
    parser.add_argument("--version", action="version", version=f"socketchat {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the chat server (IRC, TLS and web)")
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="IRC port (default 6667)")
    serve.add_argument("--tls-port", type=int, default=None, help="IRC-over-TLS port (e.g. 6697)")
    serve.add_argument("--tls-cert", default=None, help="TLS certificate chain (PEM)")
    serve.add_argument("--tls-key", default=None, help="TLS private key (PEM)")
    serve.add_argument(
        "--tls-self-signed",
        action="store_true",
        default=None,
        help="make (once) and use a self-signed certificate in the data dir, for TLS on the"
        " IRC TLS port (6697) and HTTPS/WSS on the web port; prints its SHA-256 fingerprint",
    )
    serve.add_argument(
        "--web-port",
        type=int,
        default=None,
        help="web client + WebSocket port (default 8080, 0: off)",
    )
    serve.add_argument("--data-dir", default=None, help="where history and accounts live")
    serve.add_argument(
        "--storage",
        default=None,
        metavar="URL",
        help="history and accounts in PostgreSQL (postgresql://USER@HOST:PORT/DB), shared by"
        " several nodes; default: SQLite in the data directory",
    )
    serve.add_argument("--config", default=None, help="TOML configuration file")
    serve.add_argument("--name", default=None, help="server name (default socketchat.local)")
    serve.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR")
    serve.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="run as one node of a cluster on this Redis (redis://HOST:PORT/DB; docs/cluster.md)",
    )
    serve.add_argument("--node-id", default=None, help="this cluster node's name (with --redis)")

    init = sub.add_parser("init", help="write a commented config file and say what to do next")
    init.add_argument("directory", nargs="?", default=".", help="where (default: here)")

    hashpw = sub.add_parser(
        "hash-password", help="print a password hash for [[operators]] in the config file"
    )
    hashpw.add_argument(
        "password",
        nargs="?",
        default=None,
        help="the password (better not: ps shows it; asked for, or read from stdin, if absent)",
    )

    chat = sub.add_parser("chat", help="the terminal client")
    _add_client_options(chat)
    gui = sub.add_parser("gui", help="the desktop (tkinter) client")
    _add_client_options(gui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        from socketchat.server.main import serve_main

        return serve_main(args)
    if args.command == "init":
        from socketchat.server.init import init_main

        return init_main(args.directory)
    if args.command == "hash-password":
        if args.password is not None:
            print(
                "socketchat: warning: a password on the command line is visible to every local "
                "user (ps); leave it out to be asked, or pipe it in",
                file=sys.stderr,
            )
        return _hash_password_main(args.password)
    if args.command in ("chat", "gui"):
        problem = client_secrets(args, prompt=_terminal_prompt())
        if problem:
            print(f"socketchat {args.command}: {problem}", file=sys.stderr)
            return 2
    if args.command == "chat":
        from socketchat.client.tui.app import chat_main

        return chat_main(args)
    if args.command == "gui":
        from socketchat.client.gui.app import gui_main

        return gui_main(args)
    parser.print_help(sys.stdout)
    return 0
