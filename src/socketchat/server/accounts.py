"""Accounts, sans-I/O: registering, logging in and out, failed-login throttling, nick protection.

The commands that reach these (REGISTER, AUTHENTICATE, /msg NickServ ...) live in
`server/commands/accounts.py` and `server/services.py`; the accounts themselves in the storage
backend, with passwords only as scrypt hashes (`server/passwords.py`).

Password hashing (scrypt, tens of milliseconds) runs off the event loop through `Server.offload`:
`check_password` and `register` answer through a `then` callback, and the session's later input
waits for it, in order.

Throttling (`LoginThrottle`, one per server, shared with OPER): failed logins count per account
*and* source address, per address, and — with a higher limit that never applies to addresses
the account was used from — per account; a locked key refuses further attempts without checking
the password for `lockout` seconds. An attacker on one address is stopped without locking the
real owner out. A failure counts when its check completes; checks still running count against
the limit meanwhile, so parallel connections get no extra guesses. Time comes from the server's
injected monotonic clock.

Account creation (`RegistrationLimit`): at most `accounts_per_ip_per_hour` per source address and
`accounts_per_hour` in all, counted before the password is hashed, so that a flood of REGISTER
cannot keep the CPUs hashing; what is refused gets TEMPORARILY_UNAVAILABLE at once.

Nick protection: a client that takes a registered nick without being logged in to that account
is told so by NickServ and renamed to a guest nick once `nick_protect_seconds` pass
(`Server.tick` -> `Persistence.tick` -> `enforce_nicks`), unless it identifies first. A nick that
looks like a registered one (the same confusable skeleton, `casemap.clash`: Cyrillic ``рау`` for
the account ``pay``) counts as that account's: only its owner keeps it, and nobody can register
it as an account of their own. Online, such a nick is refused with 433 as long as ``pay`` is
in use; this covers the time its owner is away.
"""

from __future__ import annotations

import logging
import random
import secrets
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold, valid_nick
from socketchat.irc.message import Message
from socketchat.server.audit import audit
from socketchat.server.nicks import change_nick
from socketchat.server.passwords import MAX_PASSWORD_BYTES, hash_password, verify_password
from socketchat.storage.base import Account

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.persistence import Persistence
    from socketchat.server.session import Session

log = logging.getLogger("socketchat.server")

NICKSERV = "NickServ"
NICKSERV_PREFIX = "NickServ!NickServ@services."
_SERVICE_NAMES = frozenset({casefold(NICKSERV), casefold("ChanServ")})  # never account names


class LoginThrottle:
    """Failed logins (SASL, NickServ IDENTIFY, OPER) counted per key in a sliding window.

    Three keys count each failure against `subject` (``account:<folded>`` or ``oper:<name>``)
    from address `ip`:

    * ``<subject> from <ip>``: `max_failures` guesses at this account from this address;
    * ``ip:<ip>``: `max_failures` failures from this address, whatever accounts it tries;
    * ``<subject>``: `account_factor` times as many from all addresses together — but this one
      never blocks an address that logged in to the subject before (remembered in memory).

    So an attacker on one address is locked out after `max_failures` guesses (a blocked attempt
    never reaches scrypt and counts nothing more), while the real owner, from another address
    with the right password, still gets in: one address can never reach the account-wide
    limit. Many attacking addresses together can lock the account for addresses it has not
    been used from, but not for the owner's usual ones.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window: float = 60.0,
        lockout: float = 60.0,
        account_factor: int = 10,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self.account_factor = account_factor
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._checking: dict[str, int] = {}  # checks started and not yet finished, per key
        self._good: dict[str, deque[str]] = {}  # subject -> addresses that logged in to it

    def keys(self, subject: str, ip: str) -> tuple[str, ...]:
        """The keys an attempt on `subject` from `ip` counts against (see the class doc)."""
        pair, per_ip = f"{subject} from {ip}", "ip:" + ip
        if ip in self._good.get(subject, ()):
            return (pair, per_ip)
        return (pair, per_ip, subject)

    def _limit(self, key: str) -> int:
        if " from " in key or key.startswith("ip:"):
            return self.max_failures
        return self.max_failures * self.account_factor

    def blocked(self, keys: Iterable[str], now: float) -> bool:
        for key in keys:
            if self._locked_until.get(key, 0.0) > now:
                return True
            checking = self._checking.get(key, 0)
            if checking:
                recent = sum(1 for t in self._failures.get(key, ()) if t > now - self.window)
                if recent + checking >= self._limit(key):
                    return True
        return False

    def started(self, keys: Iterable[str]) -> None:
        """A check for `keys` is running; `finished` ends it."""
        for key in keys:
            self._checking[key] = self._checking.get(key, 0) + 1

    def finished(self, keys: Iterable[str]) -> None:
        for key in keys:
            left = self._checking.get(key, 0) - 1
            if left > 0:
                self._checking[key] = left
            else:
                self._checking.pop(key, None)

    def failed(self, keys: Iterable[str], now: float) -> None:
        for key in keys:
            times = self._failures.setdefault(key, deque())
            times.append(now)
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self._limit(key):
                self._locked_until[key] = now + self.lockout
                del self._failures[key]
        if len(self._failures) + len(self._locked_until) > 10_000:
            self._forget_old(now)

    def succeeded(self, subject: str, ip: str) -> None:
        """`ip` logged in to `subject`: the account-wide limit no longer applies to it."""
        good = self._good.setdefault(subject, deque(maxlen=8))
        if ip not in good:
            good.append(ip)
        if len(self._good) > 10_000:
            self._good.pop(next(iter(self._good)))

    def _forget_old(self, now: float) -> None:
        self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}
        self._failures = {
            k: q for k, q in self._failures.items() if q and q[-1] > now - self.window
        }


@dataclass
class RegistrationLimit:
    """Accounts created per source address and in total, in a sliding hour (one per server,
    kept by `Persistence`). An attempt counts when its password hash starts, whatever its
    outcome: the hash is the cost. Entries leave in the order they came, so one deque of
    (time, address) keeps both counts and forgets an address once its hour is over."""

    window: float = 3600.0
    recent: deque[tuple[float, str]] = field(default_factory=deque)
    per_ip: dict[str, int] = field(default_factory=dict)
    refusals_logged: float = float("-inf")  # when the last "limit reached" line was logged
    refused: int = 0  # refusals since then

    def refusal(self, ip: str, now: float, per_ip: int, total: int) -> str | None:
        """Why one more account from `ip` is refused ("address" or "server"), or None."""
        recent = self.recent
        while recent and recent[0][0] <= now - self.window:
            _, old = recent.popleft()
            left = self.per_ip[old] - 1
            if left:
                self.per_ip[old] = left
            else:
                del self.per_ip[old]
        if per_ip and self.per_ip.get(ip, 0) >= per_ip:
            return "address"
        if total and len(recent) >= total:
            return "server"
        return None

    def record(self, ip: str, now: float) -> None:
        self.recent.append((now, ip))
        self.per_ip[ip] = self.per_ip.get(ip, 0) + 1

    def log_refusal(self, ip: str, why: str, now: float) -> None:
        """One warning per minute at most, saying how many were refused meanwhile."""
        self.refused += 1
        if now - self.refusals_logged < 60.0:
            return
        log.warning(
            "register: account creation refused for %s (%s limit reached; %d refused in the"
            " last minute)",
            ip,
            why,
            self.refused,
        )
        self.refusals_logged, self.refused = now, 0


@dataclass
class NickGuard:
    """Sessions holding a registered nick they have not identified for: (folded nick, deadline)."""

    pending: dict[Session, tuple[str, float]] = field(default_factory=dict)
    asked: weakref.WeakSet[Session] = field(default_factory=weakref.WeakSet)  # "due" appended


# -- logging in and out ------------------------------------------------------------------
LoginResult = Callable[[Account | None, str], None]


def throttled_check(
    server: Server,
    s: Session,
    subject: str,
    password: str,
    stored: str | None,
    done: Callable[[bool], None],
) -> bool:
    """Check `password` against `stored` (None: no such subject) under the server's
    `LoginThrottle` for `subject` from `s`'s address: the one path of logins and OPER.

    False at once, without scrypt, when the throttle blocks the attempt. Otherwise True: the
    check runs off the event loop (this session's next lines wait for it), is counted as a
    failure or a success, and then `done(right)` runs — even if `s` left meanwhile, so that a
    failure is audited; `right` is False whenever `stored` is None. An unknown subject costs the
    same scrypt check, so answers do not tell which names exist.
    """
    throttle = server.login_throttle
    keys = throttle.keys(subject, s.ip)
    if throttle.blocked(keys, server.monotonic()):
        return False
    throttle.started(keys)

    def checked(right: bool) -> None:
        throttle.finished(keys)
        right = right and stored is not None
        if right:
            throttle.succeeded(subject, s.ip)
        else:
            throttle.failed(keys, server.monotonic())
        done(right)

    server.offload(lambda: verify_password(password, stored), checked, session=s)
    return True


def check_password(
    server: Server, p: Persistence, s: Session, name: str, password: str, then: LoginResult
) -> None:
    """Check `name`'s password off the event loop, then `then(account, "")` when it is right,
    else `then(None, "throttled" | "invalid")`.

    A throttled attempt never reaches scrypt. A failure counts once its check completes, even if
    `s` left meanwhile; `then` runs only while `s` is still connected.
    """
    account = p.backend.get_account(name) if name else None
    stored = account.password_hash if account is not None else None

    def done(right: bool) -> None:
        if not right:
            audit(
                "login_failed",
                f"failed login to account {name!r} from {s.ip} (id={s.id})",
                failure=True,
                account=name,
                ip=s.ip,
            )
            if not s.closed:
                then(None, "invalid")
            return
        if not s.closed:
            then(account, "")

    if not throttled_check(server, s, "account:" + casefold(name), password, stored, done):
        then(None, "throttled")


def always_on_for(server: Server, p: Persistence, account: str) -> bool:
    """Does `account`'s user stay when its last device leaves? Its own choice (NickServ SET
    ALWAYS-ON), else the server's default."""
    own = p.account_setting(account, "always-on")
    return server.config.always_on if own is None else own


def stays_for(server: Server, p: Persistence, s: Session, account: str) -> bool:
    """Is `s`'s user, logging in to `account`, the one that stays when its last device
    leaves? As `always_on_for`, but only one user of an account is: a connection that logs in
    without attaching (NickServ IDENTIFY after registering, under another nick while the
    account's user holds its own) is a second user, and the account has one record of what a
    restart brings back (`Persistence.user_left`)."""
    return always_on_for(server, p, account) and not p.another_user_of(server, s.user, account)


def multiclient_for(server: Server, p: Persistence, account: str) -> bool:
    """May a second device attach to `account`'s user? (NickServ SET MULTICLIENT)"""
    own = p.account_setting(account, "multiclient")
    return server.config.multiclient if own is None else own


def log_in(server: Server, p: Persistence, s: Session, account: Account) -> None:
    """`s` is logged in to `account` (SASL, IDENTIFY, REGISTER). The account's stored values
    are read once for the whole login (`Persistence.login_started`): here, and when the
    registration of `s` ends (commands/registration.py `try_register`)."""
    p.login_started(s, account.name)
    server.state.set_account(s, account.name)
    s.user.always_on = stays_for(server, p, s, account.name)
    p.restore_metadata(server, s)  # draft/metadata: the account's keys come back
    s.numeric(rpl.RPL_LOGGEDIN, s.prefix, account.name, f"You are now logged in as {account.name}")
    if s.registered:
        server.account_changed(s)
    check_nick(server, p, s)
    if s.registered:
        p.login_over(s)


def log_out(server: Server, p: Persistence, s: Session) -> None:
    server.state.set_account(s, None)
    s.user.always_on = False
    s.numeric(rpl.RPL_LOGGEDOUT, s.prefix, "You are now logged out")
    if s.registered:
        server.account_changed(s)
    check_nick(server, p, s)


RegisterResult = Callable[[Account | None, str, str], None]


def register(
    server: Server,
    p: Persistence,
    s: Session,
    name: str,
    email: str,
    password: str,
    then: RegisterResult,
) -> None:
    """Create an account (the hash is made off the event loop), then `then(account, "", "")`
    or `then(None, FAIL code, description)`; `then` runs only while `s` is still connected."""
    refused = _refusal(server, p, s, name, email, password)
    if refused is not None:
        then(None, *refused)
        return
    limits, now = server.config.limits, server.monotonic()
    limit = p.registrations
    why = limit.refusal(s.ip, now, limits.accounts_per_ip_per_hour, limits.accounts_per_hour)
    if why is not None:
        limit.log_refusal(s.ip, why, now)
        source = "from your address" if why == "address" else "on this server"
        then(None, "TEMPORARILY_UNAVAILABLE", f"Too many accounts created {source}; try later")
        return
    limit.record(s.ip, now)

    def done(password_hash: str) -> None:
        if s.closed:
            return
        refused = _refusal(server, p, s, name, email, password)  # the world moved meanwhile?
        if refused is not None:
            then(None, *refused)
            return
        account = Account(name, password_hash, "" if email == "*" else email, server.clock())
        if not p.backend.create_account(account):
            then(None, "ACCOUNT_EXISTS", "That account already exists")
            return
        server.login_throttle.succeeded("account:" + casefold(name), s.ip)
        audit(
            "account_created",
            f"account {name!r} created by {s.nick} from {s.ip}",
            account=name,
            ip=s.ip,
        )
        then(account, "", "")

    server.offload(lambda: hash_password(password), done, session=s)


def _refusal(
    server: Server, p: Persistence, s: Session, name: str, email: str, password: str
) -> tuple[str, str] | None:
    """Why `s` may not register `name` with these details: (FAIL code, description), or None."""
    if p.paused:  # storage is failing (full disk): an account now could vanish at a restart
        return "TEMPORARILY_UNAVAILABLE", "Accounts cannot be created until storage works again"
    if not valid_nick(name, server.config.nicklen) or casefold(name) in _SERVICE_NAMES:
        return "BAD_ACCOUNT_NAME", "Account names follow the rules for nicknames"
    existing = p.backend.account_like(name)
    if existing is not None:
        if casefold(existing.name) == casefold(name):
            return "ACCOUNT_EXISTS", "That account already exists"
        # Cyrillic "рау" while "pay" is registered: it would pose as pay's owner. The code is
        # ACCOUNT_EXISTS (the name is taken, as a nick that looks alike is: 433), with a text
        # that says why a name no one has is refused.
        return "ACCOUNT_EXISTS", (
            f"That name looks like the registered account {existing.name} (confusable letters)"
        )
    if server.state.nick_holder(name, s.user) is not None:
        return "ACCOUNT_EXISTS", "Someone else is using that nickname right now"
    shortest = server.config.min_password_length
    if len(password) < shortest:
        return "WEAK_PASSWORD", f"Passwords need at least {shortest} characters"
    if len(password.encode("utf-8", "surrogateescape")) > MAX_PASSWORD_BYTES or " " in password:
        return "UNACCEPTABLE_PASSWORD", "That password is too long or contains spaces"
    if email not in ("", "*") and ("@" not in email or len(email) > 254):
        return "INVALID_EMAIL", "That is not an email address"
    return None


# -- nick protection ----------------------------------------------------------------------
def nickserv_notice(server: Server, s: Session, text: str) -> None:
    s.send(Message("NOTICE", (s.nick, text), NICKSERV_PREFIX, {"time": server.now_tag()}))


def check_nick(server: Server, p: Persistence, s: Session) -> None:
    """Start (or stop) the rename timer for `s` after its nick or account changed."""
    grace = server.config.nick_protect_seconds
    if not s.registered or grace <= 0:
        return
    # the account of this nick, or of one it looks like: Cyrillic "рау" is protected as the
    # account "pay" (its owner may use it; anyone else is warned and renamed)
    account = p.backend.account_like(s.nick)
    if account is None or (s.account and casefold(s.account) == casefold(account.name)):
        p.guard.pending.pop(s, None)
        return
    if p.guard.pending.get(s, ("", 0.0))[0] == s.folded:
        return
    p.guard.pending[s] = (s.folded, server.monotonic() + grace)
    if casefold(account.name) == s.folded:
        what, identify = f"{s.nick} is a registered nickname", "IDENTIFY <password>"
    else:
        what = f"{s.nick} looks like the registered nickname {account.name}"
        identify = f"IDENTIFY {account.name} <password>"
    nickserv_notice(
        server,
        s,
        f"{what}. Identify with /msg NickServ {identify} within {grace:g} seconds, or your "
        "nick will be changed.",
    )


def enforce_nicks(server: Server, p: Persistence, now: float) -> None:
    """Rename everyone whose grace period ended without identifying.

    On a cluster node (`Server.sequencer`) the rename changes the network's state, so it is
    not done here: the session's own node appends "due" for it (once), and every node renames
    it when that entry comes back (`expire_nick`); shadows wait for their node's entry."""
    sequencer = server.sequencer
    for s, (folded, deadline) in list(p.guard.pending.items()):
        if s.closed or s.folded != folded:
            del p.guard.pending[s]
        elif now >= deadline:
            if sequencer is None:
                del p.guard.pending[s]
                rename_to_guest(server, s)
            elif s in server.sessions and s not in p.guard.asked:
                p.guard.asked.add(s)
                sequencer.due(s, "nick:" + folded)


def expire_nick(server: Server, p: Persistence, s: Session, folded: str) -> None:
    """The grace period of `s` for the registered nick `folded` ended (a cluster's "due"
    entry): renamed, unless it identified or changed nick meanwhile (in the log's order)."""
    p.guard.asked.discard(s)
    pending = p.guard.pending.get(s)
    if pending is None or pending[0] != folded or s.folded != folded:
        return
    del p.guard.pending[s]
    rename_to_guest(server, s)


def rename_to_guest(server: Server, s: Session) -> None:
    """Registered `s` did not identify in time: a free Guest nick (the NICK change core,
    `nicks.change_nick`, without NICK's checks: the name is valid and free by construction).
    On a cluster node the number comes from the log entry (every node picks the same)."""
    pick = (
        random.Random(server.next_msgid()).randrange
        if server.sequencer is not None
        else secrets.randbelow
    )
    while True:
        guest = f"Guest{pick(90000) + 10000}"
        if server.state.nick_holder(guest, s.user) is None:
            break
    nickserv_notice(server, s, f"You did not identify in time; your nick is now {guest}.")
    change_nick(server, s.user, guest)
