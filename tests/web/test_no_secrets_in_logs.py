"""No secret in the server's log at any level (issue 10): the real `socketchat serve` at
`--log-level DEBUG`, every way of logging in (PASS, SASL PLAIN, REGISTER, NickServ REGISTER and
IDENTIFY, OPER) over TCP and over WebSocket; then its whole log is searched for each secret,
plain and in base64."""

from __future__ import annotations

import base64
import signal
from pathlib import Path

from socketchat.server.passwords import hash_password
from tests.support import free_port, wait_for_port
from tests.support.irc import IRCClient, LineClient
from tests.support.server import spawned_server
from tests.web.wsclient import WSClient

SERVER_PASSWORD = "srv-pass-Q7w"
OPER_PASSWORD = "oper-pass-Z3k"


def _log_in_every_way(c: LineClient, tag: str) -> list[str]:
    """Use each kind of secret once on `c` (a fresh connection); the secrets used."""
    reg_pw, ns_pw, sasl_pw = f"reg-pw-{tag}-1a", f"ns-pw-{tag}-2b", f"sasl-pw-{tag}-3c"
    caps = "sasl draft/account-registration"
    c.send("CAP LS 302", f"PASS {SERVER_PASSWORD}", f"CAP REQ :{caps}")
    c.send(f"NICK acct{tag}", f"USER u{tag} 0 * :r")
    c.expect("CAP", lambda m: m.param(1) == "ACK")
    c.send(f"REGISTER * * {reg_pw}")  # before connect: creates acct<tag>
    c.expect("REGISTER", lambda m: m.param(0) == "SUCCESS")
    c.send("CAP END")
    c.expect("001")
    c.send("PRIVMSG NickServ :LOGOUT")
    c.expect("NOTICE", lambda m: "logged out" in m.param(1))
    c.send(f"PRIVMSG NickServ :IDENTIFY acct{tag} wrong-{reg_pw}")  # a failed try, too
    c.expect("NOTICE", lambda m: "Login failed" in m.param(1))
    c.send(f"NICK ns{tag}", f"PRIVMSG NickServ :REGISTER {ns_pw}")
    c.expect("NOTICE", lambda m: "is now registered" in m.param(1))
    c.send("PRIVMSG NickServ :LOGOUT")
    c.expect("NOTICE", lambda m: "logged out" in m.param(1))
    c.send(f"PRIVMSG NickServ :IDENTIFY ns{tag} {ns_pw}")
    c.expect("NOTICE", lambda m: "identified" in m.param(1))
    c.send("OPER admin wrong-oper-guess", f"OPER admin {OPER_PASSWORD}")
    c.expect("381")
    return [reg_pw, ns_pw, sasl_pw]


def _sasl(c: LineClient, account: str, password: str) -> str:
    payload = base64.b64encode(f"{account}\0{account}\0{password}".encode()).decode()
    c.send("CAP LS 302", f"PASS {SERVER_PASSWORD}", "CAP REQ :sasl")
    c.send(f"NICK s{account}", "USER u 0 * :r", "AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    c.send(f"AUTHENTICATE {payload}")
    c.expect("903")
    c.send("CAP END")
    c.expect("001")
    return payload


def test_debug_log_holds_no_password_after_every_kind_of_login(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(
        f'[server]\npassword = "{SERVER_PASSWORD}"\n'
        "[limits]\nenabled = false\n"
        f'[[operators]]\nname = "admin"\npassword_hash = "{hash_password(OPER_PASSWORD)}"\n'
    )
    web_port = free_port()
    args = ("--config", str(config), "--log-level", "DEBUG", "--web-port", str(web_port))
    secrets = [SERVER_PASSWORD, OPER_PASSWORD]
    with spawned_server(*args) as srv:
        wait_for_port(web_port)
        for tag, make in (("t", lambda: IRCClient(srv.port)), ("w", lambda: WSClient(web_port))):
            c = make()
            used = _log_in_every_way(c, tag)
            c.close()
            secrets += used
            s = make()  # SASL PLAIN for the account made with REGISTER above
            secrets.append(_sasl(s, f"acct{tag}", used[0]))
            s.close()
        assert srv.process is not None
        srv.process.send_signal(signal.SIGTERM)
        srv.process.wait(timeout=20)
        log = srv.output()
    assert " DEBUG " in log  # DEBUG really was on
    assert "connect id=" in log  # and this is the server's log
    for secret in secrets:
        forms = {secret, base64.b64encode(secret.encode()).decode()}
        for form in forms:
            assert form not in log, f"{form!r} is in the server's log"
