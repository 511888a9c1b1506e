"""``socketchat gui``: the desktop client's entry point."""

from __future__ import annotations

import argparse
import sys
import tkinter as tk

from socketchat.client.core import ClientConfig
from socketchat.client.gui.login import LoginDialog
from socketchat.client.gui.theme import Theme
from socketchat.client.gui.window import ChatWindow
from socketchat.client.helpers import channel_name, default_port

__all__ = ["gui_main"]


def gui_main(args: argparse.Namespace) -> int:
    """Ask for the nick (and server) when not given, then run the chat window until /exit."""
    host: str = args.host or "127.0.0.1"
    port: int = args.port or default_port(args.tls)
    try:
        root = tk.Tk(className="socketchat")
    except tk.TclError as exc:
        print(f"socketchat gui: cannot open a window ({exc})", file=sys.stderr)
        return 1
    theme = Theme.install(root)
    nick: str | None = args.nick
    account: str | None = args.account
    account_password: str | None = args.account_password
    if not nick:
        root.withdraw()
        login = LoginDialog(root, theme, "", host, port).show()
        if login is None:
            root.destroy()
            return 1
        nick, host, port = login.nick, login.host, login.port
        if login.password:
            account, account_password = login.nick, login.password
        root.deiconify()
    elif account and not account_password:  # no SOCKETCHAT_PASSWORD and no terminal to ask on
        from tkinter import simpledialog

        root.withdraw()  # the dialog alone, as with the sign-in dialog
        account_password = simpledialog.askstring(
            "socketchat: password", f"Password for account {account}:", show="*", parent=root
        )
        root.deiconify()
    root.geometry("900x560")
    config = ClientConfig(
        nick=nick,
        channels=(channel_name(args.channel or "#lobby"),),
        password=args.password,
        account=account,
        account_password=account_password,
    )
    window = ChatWindow(
        root, theme, config, host, port, tls=args.tls, tls_insecure=args.tls_insecure
    )
    window.start()
    try:
        root.mainloop()
    except KeyboardInterrupt:
        pass
    finally:
        window.close()
    return 0
