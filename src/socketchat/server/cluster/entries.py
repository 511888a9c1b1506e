"""The cluster log's entries: what one node appends and every node applies, as one JSON object.

Every entry names the node incarnation that appended it (`n`: its number, unique per start,
from Redis `INCR`) and that node's own sequence number (`q`, from 1): a node that retries an
append whose answer it lost may append an entry twice, and the appliers drop every entry whose
`q` is not above the last one they applied from that node.

Kinds (`k`):

- ``up``: node `n` joined, named `name`.
- ``conn``: node `n` accepted session `s` from `ip`:`port` (`host` as shown, `sec` TLS,
  `via` tcp/tls/ws/..., `fp` a client certificate's fingerprint).
- ``line``: session `s` sent one parsed line (after framing and flood control, on its node):
  `c` the command, `p` the parameters, `x` the source, `t` the tags; or `bad`, why the line
  could not be framed or parsed (it is answered in its place).
- ``close``: session `s` ended for a reason its node saw (the peer left, ping or registration
  timeout, SendQ, Excess Flood): `r` the reason, `m` the QUIT message when it differs.
- ``res``: the outcome of session `s`'s blocking work (a password check): `v` the value,
  `e` true when the work failed.
- ``due``: a storage timer of session `s` is due on its node: `w` what (``nick:<folded>``:
  its grace period for a registered nick it holds without being identified ended).
- ``gone``: node `g` is gone (its lease expired, or it stopped): its sessions end with `r`.
- ``unpush``: a push service told node `n` that the Web Push subscription `e` (its endpoint)
  of account `a` (folded) is gone (404/410): every node forgets it.
- ``conf``: node `n` was told to reload its configuration by `by` (SIGHUP): `v` is its file's
  network settings (``{"config": {path: value}}``, `config.deciding`), which every node takes
  (its own file only for its node-local settings). REHASH carries the same in a ``res``.

The entry's time and msgids come from its stream id (``<ms>-<seq>``, from Redis' clock), so
every node stamps a message alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from socketchat.irc.framing import FramingError
from socketchat.irc.message import Message, ParseError

KINDS = frozenset({"up", "conn", "line", "close", "res", "due", "gone", "unpush", "conf"})


class EntryError(ValueError):
    """A log entry that cannot be decoded (written by another version, or damaged)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One decoded log entry; `data` holds the fields of its kind (see the module's doc)."""

    kind: str
    node: int
    seq: int
    data: dict[str, Any]

    @property
    def sid(self) -> int:
        return int(self.data.get("s", 0))

    def message(self) -> Message | FramingError | ParseError:
        """The line of a ``line`` entry (or why it could not be read, `bad`)."""
        d = self.data
        bad = d.get("bad")
        if bad is not None:
            if "parse" in bad:
                return ParseError(str(bad["parse"]))
            return FramingError(str(bad["kind"]), str(bad["detail"]), str(bad["command"]))
        params = tuple(str(p) for p in d.get("p", ()))
        return Message(str(d["c"]), params, d.get("x"), d.get("t", {}))


def encode(kind: str, node: int, seq: int, **data: Any) -> bytes:
    """An entry as the bytes stored in the log."""
    return json.dumps({"k": kind, "n": node, "q": seq, **data}, separators=(",", ":")).encode()


def line_fields(msg: Message) -> dict[str, Any]:
    """The fields of a ``line`` entry for `msg`."""
    fields: dict[str, Any] = {"c": msg.command, "p": list(msg.params)}
    if msg.source is not None:
        fields["x"] = msg.source
    if msg.tags:
        fields["t"] = dict(msg.tags)
    return fields


def bad_fields(error: FramingError | ParseError) -> dict[str, Any]:
    """The fields of a ``line`` entry for a line that could not be framed or parsed."""
    if isinstance(error, FramingError):
        return {"bad": {"kind": error.kind, "detail": error.detail, "command": error.command}}
    return {"bad": {"parse": str(error)}}


# `json.loads` on bytes first guesses their encoding (BOMs, UTF-16/32) in Python: ~0.7 µs of
# the ~2 µs an entry's decoding takes. Entries are UTF-8 JSON objects, always.
_decode_json = json.JSONDecoder().decode


def decode(raw: bytes | str) -> Entry:
    try:
        obj = _decode_json(raw.decode() if isinstance(raw, bytes) else raw)
        kind, node, seq = obj.pop("k"), int(obj.pop("n")), int(obj.pop("q"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # (UnicodeDecodeError too)
        raise EntryError(f"bad log entry: {exc}") from None
    if kind not in KINDS:
        raise EntryError(f"unknown log entry kind {kind!r}")
    return Entry(kind, node, seq, obj)


def entry_time(entry_id: str) -> float:
    """The wall time (seconds) of a stream id ``<ms>-<seq>``."""
    ms, _, _ = entry_id.partition("-")
    return int(ms) / 1000.0
