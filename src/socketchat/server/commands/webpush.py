"""WEBPUSH (IRCv3 draft/webpush): a logged-in client subscribes its device to push messages.

    WEBPUSH REGISTER <endpoint> <keys>    keep (or replace) this device's subscription; the
                                          answer repeats the command
    WEBPUSH UNREGISTER <endpoint>         forget it (always answered, even if unknown)

The server's VAPID public key, which the client subscribes with, is ISUPPORT ``VAPID=<key>``.
Subscriptions belong to the account (every device of it, up to `[webpush] max_subscriptions`);
what is pushed, and when, is `server/webpush.py`. Errors are standard replies, as ergo's:
``FAIL WEBPUSH FORBIDDEN`` (off, or not logged in), ``INVALID_PARAMS`` (a bad URL, keys or
subcommand), ``MAX_REGISTRATIONS``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from socketchat.irc.message import Message
from socketchat.server.webpush import check_endpoint, parse_keys

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

log = logging.getLogger("socketchat.webpush")


def _safe(param: str) -> str:
    """A client's parameter, fit to echo in a FAIL (no spaces, not empty, not too long)."""
    cleaned = param.replace(" ", "")[:400]
    return cleaned if cleaned and not cleaned.startswith(":") else "*"


def handle_webpush(server: Server, s: Session, m: Message) -> None:
    sub = m.param(0).upper()
    endpoint = m.param(1)
    if sub not in ("REGISTER", "UNREGISTER"):
        s.fail("WEBPUSH", "INVALID_PARAMS", "Unknown subcommand", _safe(sub))
        return
    if not endpoint:
        s.fail("WEBPUSH", "INVALID_PARAMS", "Missing endpoint", sub)
        return
    push = server.push
    if not push.enabled:
        s.fail("WEBPUSH", "FORBIDDEN", "Web push is disabled", sub, _safe(endpoint))
        return
    if not s.account:
        s.fail(
            "WEBPUSH",
            "FORBIDDEN",
            "You must be logged in to receive push messages",
            sub,
            _safe(endpoint),
        )
        return
    if sub == "UNREGISTER":
        push.unregister(s.account, endpoint)
        s.send(Message("WEBPUSH", ("UNREGISTER", endpoint), server.name))
        return
    why = check_endpoint(endpoint, server.config.webpush.allowed_hosts)
    if why is not None:
        s.fail("WEBPUSH", "INVALID_PARAMS", f"Invalid web push URL: {why}", sub, _safe(endpoint))
        return
    keys = parse_keys(m.param(2))
    if keys is None:
        s.fail(
            "WEBPUSH",
            "INVALID_PARAMS",
            "Invalid subscription keys (p256dh and auth)",
            sub,
            _safe(endpoint),
        )
        return
    if not push.register(s.account, endpoint, *keys):
        s.fail(
            "WEBPUSH",
            "MAX_REGISTRATIONS",
            "You have too many push subscriptions already",
            sub,
            _safe(endpoint),
        )
        return
    log.info("webpush: %s registered a device", s.account)
    s.send(Message("WEBPUSH", ("REGISTER", endpoint, m.param(2)), server.name))
