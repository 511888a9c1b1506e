"""draft/metadata over real sockets: an account's keys survive a restart."""

from __future__ import annotations

from pathlib import Path

from tests.server.test_accounts_sockets import start_sasl
from tests.support.irc import IRCClient
from tests.support.server import running_server


def test_an_accounts_keys_survive_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with running_server(data_dir=data) as srv:
        a = IRCClient(srv.port)
        a.send("CAP LS 302", "CAP REQ :draft/account-registration", "NICK alice", "USER a 0 * :a")
        a.send("REGISTER * * correct-horse-battery")
        a.expect("900")
        a.send("CAP END")
        a.expect("001")
        a.send("METADATA * SET avatar :https://example.org/alice.png")
        assert a.expect("761").params[-1] == "https://example.org/alice.png"
    with running_server(data_dir=data) as srv:
        c = IRCClient(srv.port)
        start_sasl(c, "alice", "alice", "correct-horse-battery")
        c.expect("903")
        c.send("CAP END")
        c.expect("001")
        c.send("METADATA * GET avatar")
        assert c.expect("761").params[-1] == "https://example.org/alice.png"
