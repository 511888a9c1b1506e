"""draft/metadata with storage: a logged-in user's own keys are kept for the account and come
back at every login (also on another connection); without an account they stay with the
connection."""

from __future__ import annotations

from pathlib import Path

from socketchat.irc.message import Message
from tests.server.commands.test_readmarker_storage import login
from tests.storage.helpers import persistence, stored_net

CAP = "draft/metadata-2 draft/metadata-3"


def public(kept: dict[str, str]) -> dict[str, str]:
    """The keys clients set (the server's own, e.g. ``!seen``, start with ``!``)."""
    return {k: v for k, v in kept.items() if not k.startswith("!")}


def values(got: list[Message]) -> dict[str, str]:
    return {m.params[2]: m.params[4] for m in got if m.command == "761"}


def test_an_accounts_keys_come_back_at_login(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    owner = net.client("alice")
    owner.send("REGISTER * * correct-horse")
    owner.send("METADATA * SET avatar :https://example.org/a.png", "METADATA * SET pronouns she")
    owner.send("METADATA * SET pronouns :", "METADATA * SET color blue", "QUIT")
    kept = public(persistence(net).backend.account_metadata("alice"))
    assert kept == {"avatar": "https://example.org/a.png", "color": "blue"}
    phone = net.client()
    login(phone, "alice_phone", "alice", "correct-horse")
    phone.send("METADATA * LIST")
    assert values(phone.received()) == {"avatar": "https://example.org/a.png", "color": "blue"}
    phone.send("METADATA * SET color red")
    assert public(persistence(net).backend.account_metadata("alice"))["color"] == "red"
    phone.send("METADATA * CLEAR", "QUIT")
    assert public(persistence(net).backend.account_metadata("alice")) == {}
    guest = net.client("guest")
    guest.send("METADATA * SET color green", "QUIT")
    assert persistence(net).backend.account_metadata("guest") == {}


def test_keys_set_before_identifying_win_and_are_kept(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    owner = net.client("alice")
    owner.send("REGISTER * * correct-horse", "METADATA * SET color blue")
    owner.send("METADATA * SET avatar a.png", "QUIT")
    later = net.client("alice2")
    later.send("METADATA * SET color green", "PRIVMSG NickServ :IDENTIFY alice correct-horse")
    later.send("METADATA * LIST")
    assert values(later.received()) == {"avatar": "a.png", "color": "green"}
    assert public(persistence(net).backend.account_metadata("alice")) == {
        "avatar": "a.png",
        "color": "green",
    }
