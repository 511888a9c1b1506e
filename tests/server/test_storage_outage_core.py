"""A storage outage through the sans-I/O server, on a real full filesystem: the memory queue's
limit, what is logged once, and what each user is told (NOTICE without standard-replies)."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from socketchat.irc.message import Message
from socketchat.server.compose import build_server
from socketchat.server.config import Limits, ServerConfig
from socketchat.server.persistence import STORAGE_RETRY_INTERVAL, Persistence
from socketchat.storage.sqlite import SqliteBackend
from tests.server.harness import Net
from tests.support.tmpfs import fill, small_tmpfs, unfill


def notices(got: list[Message], needle: str) -> list[str]:
    return [m.param(1) for m in got if m.command == "NOTICE" and needle in m.param(1)]


def test_queue_limit_is_logged_once_and_users_learn_how_many_lines_were_lost(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(SqliteBackend, "MAX_PENDING_BYTES", 3000)
    with small_tmpfs("8m") as mnt:
        config = dataclasses.replace(ServerConfig(), limits=Limits().disabled())
        net = Net(config)
        backend = SqliteBackend(mnt / "socketchat.db")
        net.server = build_server(config, clock=net.clock, storage=Persistence(backend, config))
        alice, bob = net.client("alice"), net.client("bob")
        for c in (alice, bob):
            c.send("JOIN #room")
        filler = fill(mnt)
        caplog.set_level(logging.INFO, logger="socketchat.storage")
        for i in range(40):
            alice.send(f"PRIVMSG #room :line {i} " + "x" * 100)
        got = alice.received()
        assert len(notices(got, "History is paused")) == 1
        assert len([m for m in bob.received() if m.command == "PRIVMSG"]) == 40  # all live
        _, dropped = backend.unsaved()
        assert dropped > 0
        records = [r for r in caplog.records if r.name == "socketchat.storage"]
        assert len([r for r in records if r.levelno == logging.CRITICAL]) == 1
        assert len([r for r in records if "memory queue" in r.getMessage()]) == 1
        unfill(filler)
        net.server.tick()  # the first tick of the outage sets the retry time
        net.clock.advance(STORAGE_RETRY_INTERVAL + 0.1)
        net.server.tick()
        net.server.flush()
        [resumed] = notices(alice.received(), "History resumed")
        assert f"{dropped} lines said during the outage could not be kept" in resumed
        assert notices(bob.received(), "History") == []  # bob said nothing: not affected
        stored = backend.before("#room", None, 100)
        assert len(stored) == 40 - dropped
        assert [m.text for m in stored] == [f"line {i} " + "x" * 100 for i in range(len(stored))]
        net.server.shutdown()
        net.server.flush()
        backend.close()
