"""The shared client-core scenarios (tests/fixtures/client/*.json) run against the Python core.

The same files are run against the browser's core by tests/web/js/client_fixtures.test.mjs, so
the two cores cannot drift apart. A scenario is a config and a list of steps; each step is one
action (``connect``, ``server`` lines, typed ``input``, ``current``, ``close``, ``disconnect``,
``older``) or one check (``sent``: the IRC lines sent since the last check, compared as parsed
command and parameters; ``lines``: the chat lines added since the last check contain these, in
order; ``buffer_lines``: a buffer's whole scrollback; ``state``; ``events``). Both runners map
their core's own events and lines to the neutral vocabulary described in
tests/fixtures/client/README.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socketchat.client.core import ClientConfig, ClientCore
from socketchat.client.events import (
    BufferClosed,
    BufferOpened,
    ChannelList,
    ChatLine,
    CurrentBufferChanged,
    Event,
    ExitRequested,
    JumpTo,
    NickRefused,
    SearchResults,
)
from socketchat.client.history import START_MARKER
from socketchat.irc.message import parse_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "client"
NOW = 1_700_000_000.0


def scenarios() -> list[tuple[str, dict[str, Any]]]:
    """(file:name, scenario) for every scenario of every fixture file."""
    out = []
    for path in sorted(FIXTURES.glob("*.json")):
        for scenario in json.loads(path.read_text(encoding="utf-8")):
            out.append((f"{path.stem}:{scenario['name']}", scenario))
    return out


def parsed(line: str) -> list[str]:
    """Command and parameters; tags first (``@k=v;…``, sorted) when the line has any."""
    msg = parse_message(line)
    tags = ["@" + ";".join(sorted(f"{k}={v}" for k, v in msg.tags.items()))] if msg.tags else []
    return [*tags, msg.command, *msg.params]


def neutral_line(line: ChatLine) -> dict[str, Any]:
    """A chat line in the shared vocabulary (see the fixtures' README)."""
    kind: str = line.kind
    if line.history and line.kind == "info" and line.text.startswith(START_MARKER):
        kind = "history-start"
    return {
        "buffer": line.buffer,
        "kind": kind,
        "nick": line.nick,
        "text": line.text,
        "self": line.self_msg,
        "highlight": line.highlight,
        "history": line.history,
        "msgid": line.msgid,
        "reply": line.reply.msgid if line.reply else None,
        "quote_nick": line.reply.nick if line.reply else None,
        "quote_text": line.reply.text if line.reply else None,
        "redacted": line.redacted,
        "template": line.said.template if line.said else None,
        "args": {k: str(v) if isinstance(v, str) else v.fill() for k, v in line.said.args}
        if line.said
        else None,
    }


def neutral_events(event: Event) -> list[str]:
    """An event in the shared vocabulary (a focused BufferOpened is an open and a focus)."""
    if isinstance(event, ExitRequested):
        return ["exit"]
    if isinstance(event, CurrentBufferChanged):
        return [f"focus {event.buffer}"]
    if isinstance(event, BufferOpened):
        return [f"open {event.buffer}", *([f"focus {event.buffer}"] if event.focus else [])]
    if isinstance(event, BufferClosed):
        return [f"close {event.buffer}"]
    if isinstance(event, NickRefused):
        return [f"nick-refused {event.nick}"]
    if isinstance(event, ChannelList):
        return [f"channel-list {len(event.entries)}"]
    if isinstance(event, SearchResults):
        return [f"search-results {len(event.results)}"]
    if isinstance(event, JumpTo):
        return [f"jump {event.buffer} {event.msgid}"]
    return []


def line_matches(spec: dict[str, Any], line: dict[str, Any]) -> bool:
    for key, want in spec.items():
        if key == "contains":
            if want not in line["text"]:
                return False
        elif line.get(key) != want:
            return False
    return True


def contains_in_order(specs: list[dict[str, Any]], lines: list[dict[str, Any]]) -> bool:
    it = iter(lines)
    return all(any(line_matches(spec, line) for line in it) for spec in specs)


@dataclass
class Runner:
    """Drives one `ClientCore` through a scenario's steps."""

    scenario: dict[str, Any]
    core: ClientCore = field(init=False)
    now: float = NOW
    out: list[list[str]] = field(default_factory=list)
    new_lines: list[dict[str, Any]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    chat_lines: list[ChatLine] = field(default_factory=list)  # every line, as the core made it

    def __post_init__(self) -> None:
        c = self.scenario.get("config", {})
        self.core = ClientCore(
            ClientConfig(
                nick=c.get("nick", "alice"),
                channels=tuple(c.get("channels", ["#lobby"])),
                realname=c.get("realname", "socketchat user"),
                account=c.get("account"),
                account_password=c.get("account_password"),
                history_lines=c.get("history_lines", 50),
                ask_nick=c.get("ask_nick", False),
            )
        )
        self.pump()

    def pump(self) -> None:
        data = self.core.data_to_send().decode()
        self.out += [parsed(line) for line in data.split("\r\n") if line]
        for event in self.core.pop_events():
            if isinstance(event, ChatLine):
                self.chat_lines.append(event)
                self.new_lines.append(neutral_line(event))
            self.events += neutral_events(event)

    def run(self) -> None:
        for index, step in enumerate(self.scenario["steps"]):
            self.now += 1
            try:
                self.step(step)
            except AssertionError as exc:
                raise AssertionError(f"step {index} {json.dumps(step)}: {exc}") from None

    def step(self, step: dict[str, Any]) -> None:
        core, now = self.core, self.now
        if "connect" in step:
            core.connecting(now, "irc.test:6667")
            core.connection_made(now)
        elif "server" in step:
            for line in step["server"]:
                core.receive_line(line, now)
        elif "input" in step:
            core.handle_input(step["input"], now, step.get("buffer"))
        elif "current" in step:
            core.set_current(step["current"])
        elif "close" in step:
            core.close_buffer(step["close"], now)
        elif "older" in step:
            core.load_older(step["older"], now, step.get("limit"))
        elif "disconnect" in step:
            core.connection_lost(now, step["disconnect"] or None)
        elif "composing" in step:
            core.composing(step["composing"], now, step.get("buffer"))
        elif "tick" in step:
            self.now += step["tick"]
            core.tick(self.now)
        elif "react" in step:
            r = step["react"]
            core.react(r.get("buffer", core.current), r["msgid"], r["emoji"], now)
        elif "redact" in step:
            r = step["redact"]
            core.redact(r.get("buffer", core.current), r["msgid"], now, r.get("reason", ""))
        elif "jump" in step:
            core.jump(step["jump"]["buffer"], step["jump"]["msgid"], now)
        elif "reply_to" in step:
            r = step["reply_to"]
            core.reply(r.get("buffer", core.current), r["msgid"], r["text"], now)
        self.pump()
        if "sent" in step:
            want = [parsed(line) for line in step["sent"]]
            got, self.out = self.out, []
            assert got == want, f"sent {got}, expected {want}"
        if "lines" in step:
            got_lines, self.new_lines = self.new_lines, []
            assert contains_in_order(step["lines"], got_lines), f"lines {got_lines}"
        if "no_lines" in step:
            got_lines, self.new_lines = self.new_lines, []
            bad = [g for g in got_lines if any(line_matches(s, g) for s in step["no_lines"])]
            assert not bad, f"unexpected lines {bad}"
        if "events" in step:
            got_events, self.events = self.events, []
            it = iter(got_events)
            assert all(e in it for e in step["events"]), f"events {got_events}"
        if "buffer_lines" in step:
            for name, specs in step["buffer_lines"].items():
                lines = [neutral_line(line) for line in core.lines(name)]
                lines = [x for x in lines if x["kind"] not in ("info", "error")]
                assert len(lines) == len(specs) and all(
                    line_matches(s, x) for s, x in zip(specs, lines, strict=True)
                ), f"{name}: {lines}"
        if "state" in step:
            self.check_state(step["state"])

    def marker_text(self, buffer: str) -> str | None:
        line = self.core.unread_marker(buffer)
        return line.text if line else None

    def highlighted(self, buffer: str) -> bool:
        buf = self.core.model.buf(buffer)
        return buf is not None and buf.highlight

    def check_state(self, want: dict[str, Any]) -> None:
        core = self.core
        got: dict[str, Any] = {}
        for key, value in want.items():
            if key == "nick":
                got[key] = core.nick
            elif key == "registered":
                got[key] = core.registered
            elif key == "current":
                got[key] = core.current
            elif key == "buffers":
                got[key] = core.buffer_names()
            elif key == "caps":
                got[key] = sorted(core.caps)
            elif key == "account":
                got[key] = core.account
            elif key == "queued":
                got[key] = core.queued
            elif key == "members":
                got[key] = {b: [m.prefixes + m.nick for m in core.members(b)] for b in value}
            elif key == "topic":
                got[key] = {b: core.topic(b) for b in value}
            elif key == "modes":
                got[key] = {b: core.modes(b) for b in value}
            elif key == "unread":
                got[key] = {b: core.unread(b) for b in value}
            elif key == "highlight":
                got[key] = {b: self.highlighted(b) for b in value}
            elif key == "marker":
                got[key] = {b: self.marker_text(b) for b in value}
            elif key == "presence":
                got[key] = {b: core.presence(b) for b in value}
            elif key == "channel_list":
                got[key] = [[e.name, e.users, e.topic] for e in core.channel_list()]
            elif key == "search_results":
                got[key] = [[r.buffer, r.nick, r.text, r.msgid] for r in core.search_results()]
            elif key == "typing":
                got[key] = {b: list(core.typing(b)) for b in value}
            elif key == "reactions":
                got[key] = {
                    b: {
                        msgid: {r.emoji: list(r.nicks) for r in core.reactions(b, msgid)}
                        for msgid in msgids
                    }
                    for b, msgids in value.items()
                }
            else:
                raise AssertionError(f"unknown state key {key}")
        assert got == want, f"state {got}, expected {want}"
