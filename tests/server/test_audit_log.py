"""The audit trail of a real `socketchat serve`, in both log formats: OPER (failed and right),
KILL, KLINE/DLINE and their removal, REHASH, account creation and a failed login."""

from __future__ import annotations

import json
from pathlib import Path

from socketchat.server.passwords import hash_password
from tests.support.irc import IRCClient
from tests.support.server import spawned_server

OPER_HASH = hash_password("sekrit", log2_n=4)


def act(port: int) -> None:
    """One of each audited action, each answered before the next."""
    op = IRCClient(port).register("admin")
    op.send("OPER admin wrong")
    op.expect("464")
    op.send("OPER admin sekrit")
    op.expect("381")
    victim = IRCClient(port).register("victim")
    op.send("KILL victim :enough")
    victim.expect("ERROR")
    op.send("KLINE 1h *@192.0.2.1 :spam")
    op.expect("NOTICE", lambda m: "Added K-line" in m.params[-1])
    op.send("UNKLINE *@192.0.2.1")
    op.expect("NOTICE", lambda m: "Removed K-line" in m.params[-1])
    op.send("DLINE 198.51.100.0/24 :botnet")
    op.expect("NOTICE", lambda m: "Added D-line" in m.params[-1])
    op.send("UNDLINE 198.51.100.0/24")
    op.expect("NOTICE", lambda m: "Removed D-line" in m.params[-1])
    op.send("REHASH")
    op.expect("382")
    user = IRCClient(port).register("carol")
    user.send("REGISTER carol * correct-horse")
    user.expect("REGISTER")
    other = IRCClient(port).register("mallory")
    other.send("PRIVMSG NickServ :IDENTIFY carol wrong-password")
    other.expect("NOTICE")
    other.send("PING :done")
    other.expect("PONG")
    for c in (op, user, other):
        c.close()


def serve_and_log(tmp_path: Path, log_format: str) -> str:
    config = tmp_path / "socketchat.toml"
    config.write_text(
        f'[server]\nlog_format = "{log_format}"\n\n'
        f'[[operators]]\nname = "admin"\npassword_hash = "{OPER_HASH}"\n'
    )
    with spawned_server("--config", str(config), data_dir=str(tmp_path / "data")) as server:
        assert server.process is not None
        act(server.port)
        server.process.terminate()
        server.process.wait(timeout=10)
        out = server.output()
    return out


EVENTS = [
    "oper_failed",
    "oper",
    "kill",
    "kline",
    "unkline",
    "dline",
    "undline",
    "rehash",
    "account_created",
    "login_failed",
]


def test_audit_lines_as_json(tmp_path: Path) -> None:
    out = serve_and_log(tmp_path, "json")
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert records and all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    audit = [r for r in records if r["logger"] == "socketchat.audit"]
    assert [r["event"] for r in audit] == EVENTS
    by_event = {r["event"]: r for r in audit}
    assert by_event["oper_failed"]["level"] == "WARNING"
    assert by_event["oper"]["actor"] == "admin!~admin@127.0.0.1"
    assert by_event["kill"]["target"].startswith("victim!")
    assert by_event["kline"]["mask"] == "*@192.0.2.1" and by_event["kline"]["duration"] == 3600
    assert by_event["dline"]["reason"] == "botnet"
    assert by_event["account_created"]["account"] == "carol"
    assert by_event["login_failed"]["account"] == "carol"
    assert "wrong" not in out and "correct-horse" not in out  # never a password
    # the ordinary lines are JSON too
    assert any(r["logger"] == "socketchat.server" for r in records)


def test_audit_lines_as_text(tmp_path: Path) -> None:
    out = serve_and_log(tmp_path, "text")
    audit = [line for line in out.splitlines() if " socketchat.audit: " in line]
    assert [line.split(" socketchat.audit: ")[1].split(":")[0] for line in audit] == EVENTS
    assert any("WARNING socketchat.audit: oper_failed: admin!~admin@127.0.0.1" in a for a in audit)
    assert "wrong-password" not in out
