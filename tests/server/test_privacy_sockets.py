"""Privacy over real sockets: invites belong to people, secret channels stay secret, history
follows the rules its channel had when the lines were said (issue 10)."""

from __future__ import annotations

import base64
import socket

from socketchat.irc.message import Message
from socketchat.server.config import Operator
from socketchat.server.passwords import hash_password
from tests.support.irc import IRCClient, LineClient
from tests.support.server import running_server

NO_FLOOD = {"flood_rate": 0.0, "flood_burst": 0}


def test_an_invite_is_for_the_person_not_the_nick() -> None:
    with running_server(limits=NO_FLOOD) as srv:
        op = IRCClient(srv.port).register("op")
        op.send("JOIN #club", "MODE #club +i")
        op.expect("MODE")
        bob = IRCClient(srv.port).register("bob")
        op.send("INVITE bob #club")
        op.expect("341")
        bob.expect("INVITE")
        bob.send("QUIT :bye")
        assert bob.closed_by_server()
        op.send("WHOIS bob")  # wait until the server has seen bob go
        op.expect("401", lambda m: m.param(1) == "bob")
        mallory = IRCClient(srv.port).register("bob")
        mallory.send("JOIN #club")
        assert mallory.expect("473").param(1) == "#club"

        carol = IRCClient(srv.port).register("carol")
        op.send("INVITE carol #club")
        carol.expect("INVITE")
        carol.send("NICK carol2", "JOIN #club")  # the invite follows her across a nick change
        carol.expect("JOIN", lambda m: m.nick == "carol2")
        for c in (op, mallory, carol):
            c.close()


def _answers(c: IRCClient, *lines: str) -> list[Message]:
    """Everything the server answers to `lines` (up to the PONG of a PING sent after them)."""
    c.collect(0)
    start = len(c.log)
    c.send(*lines, "PING :done")
    c.expect("PONG", lambda m: m.param(-1) == "done")
    return [m for m in c.log[start:] if m.command != "PONG"]


def test_a_secret_channel_answers_non_members_as_if_it_did_not_exist() -> None:
    """MODE, creation time, ban list, TOPIC, NAMES, LIST, WHO, WHOIS, PART, KICK, INVITE and
    PRIVMSG: the same answer for #secret as for a channel that was never there."""
    with running_server(limits=NO_FLOOD) as srv:
        op = IRCClient(srv.port).register("op")
        op.send("JOIN #secret", "MODE #secret +sn", "MODE #secret +b evil!*@*")
        op.send("TOPIC #secret :the plan")
        op.expect("TOPIC")
        spy = IRCClient(srv.port).register("spy")
        spy.send("PING :warm")
        spy.expect("PONG")
        probes = [
            "MODE {c}",
            "MODE {c} +b",
            "MODE {c} +e",
            "MODE {c} +I",
            "MODE {c} +o spy",
            "TOPIC {c}",
            "TOPIC {c} :mine",
            "NAMES {c}",
            "LIST {c}",
            "WHO {c}",
            "PART {c}",
            "KICK {c} op",
            "INVITE op {c}",
            "PRIVMSG {c} :hello?",
            "CHATHISTORY LATEST {c} * 10",
        ]

        def answers(channel: str) -> list[tuple[str, tuple[str, ...]]]:
            got: list[tuple[str, tuple[str, ...]]] = []
            for probe in probes:
                for m in _answers(spy, probe.format(c=channel)):
                    params = tuple(p.replace(channel, "#C") for p in m.params)
                    got.append((m.command, params))
            return got

        secret, missing = answers("#secret"), answers("#nowhere")
        assert secret == missing
        text = " ".join(" ".join(p) for _, p in secret)
        assert "the plan" not in text and "evil" not in text and "329" not in [c for c, _ in secret]
        whois = _answers(spy, "WHOIS op")
        assert not any("#secret" in " ".join(m.params) for m in whois)
        assert any(m.command == "318" for m in whois)
        op.send("PING :alive")
        op.expect("PONG")
        assert not any(m.command == "PART" or m.command == "KICK" for m in op.log)
        op.close()
        spy.close()


def test_ban_list_of_a_public_channel_hides_the_setters_address_from_outsiders() -> None:
    with running_server(limits=NO_FLOOD) as srv:
        op = IRCClient(srv.port).register("op")
        op.send("JOIN #pub", "MODE #pub +b evil!*@*")
        op.expect("MODE")
        outsider = IRCClient(srv.port).register("out")
        entries = [m for m in _answers(outsider, "MODE #pub +b") if m.command == "367"]
        assert [m.params[1:4] for m in entries] == [("#pub", "evil!*@*", "op")]
        member = [m for m in _answers(op, "MODE #pub +b") if m.command == "367"]
        assert member[0].params[3].startswith("op!")  # members still see who it was
        op.send("MODE #pub +eI friend!*@* pal!*@*")
        op.expect("MODE", lambda m: m.param(0) == "#pub" and "e" in m.param(1))
        for query, numeric in (("MODE #pub +e", "348"), ("MODE #pub +I", "346")):
            entries = [m for m in _answers(outsider, query) if m.command == numeric]
            assert len(entries) == 1 and entries[0].params[3] == "op", entries
        op.close()
        outsider.close()


class FromAddress(IRCClient):
    """An IRCClient whose connection comes from another loopback address (127.0.0.0/8)."""

    def __init__(self, port: int, source: str) -> None:
        LineClient.__init__(self, 10.0)
        self.sock = socket.create_connection(("127.0.0.1", port), 10.0, (source, 0))
        self.buffer = b""


def test_an_attacker_on_one_address_does_not_lock_the_owner_out() -> None:
    """SASL PLAIN, NickServ IDENTIFY and OPER: five wrong guesses from 127.0.0.1 lock that
    address (even the right password is refused there), while the owner on 127.0.0.2 gets in."""
    operators = (Operator("admin", hash_password("oper-secret")),)
    with running_server(limits=NO_FLOOD, operators=operators) as srv:
        maker = IRCClient(srv.port).register("maker")
        maker.send("PRIVMSG NickServ :REGISTER owner-secret")
        maker.expect("NOTICE", lambda m: "registered" in m.param(1))
        maker.close()
        attacker = IRCClient(srv.port).register("attacker")
        for _ in range(5):
            attacker.send("PRIVMSG NickServ :IDENTIFY maker wrong-guess")
            attacker.expect("NOTICE", lambda m: "Login failed: invalid" in m.param(1))
        attacker.send("PRIVMSG NickServ :IDENTIFY maker owner-secret")
        attacker.expect("NOTICE", lambda m: "too many" in m.param(1))
        sasl_attacker = IRCClient(srv.port)
        assert _sasl_result(sasl_attacker, "x1", "maker", "owner-secret") == "904"

        owner = FromAddress(srv.port, "127.0.0.2")
        assert _sasl_result(owner, "maker", "maker", "owner-secret") == "903"
        owner2 = FromAddress(srv.port, "127.0.0.2").register("owner2")
        owner2.send("PRIVMSG NickServ :IDENTIFY maker owner-secret")
        owner2.expect("NOTICE", lambda m: "identified as maker" in m.param(1))

        for _ in range(5):
            attacker.send("OPER admin wrong-guess")
            attacker.expect("464")
        attacker.send("OPER admin oper-secret")  # locked here: not even the right password
        assert "too many" in attacker.expect("464").param(-1)
        owner2.send("OPER admin oper-secret")
        owner2.expect("381")
        for c in (attacker, sasl_attacker, owner, owner2):
            c.close()


def _sasl_result(c: IRCClient, nick: str, account: str, password: str) -> str:
    """SASL PLAIN during registration; the numeric that ends the exchange (903 or 904)."""
    payload = base64.b64encode(f"\0{account}\0{password}".encode()).decode()
    c.send("CAP LS 302", "CAP REQ :sasl", f"NICK {nick}", "USER u 0 * :r")
    c.expect("CAP", lambda m: m.param(1) == "ACK")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    c.send(f"AUTHENTICATE {payload}")
    for _ in range(50):
        for msg in c.collect(0.2):
            if msg.command in ("903", "904"):
                return msg.command
    raise AssertionError("no 903/904")
