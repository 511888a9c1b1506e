"""SEARCH (soju.im/search): full-text search of the history the asker may read.

    SEARCH <attributes>        e.g.  SEARCH text=meeting\\sroom;in=#class;limit=20

The attributes are written like message tags (``key=value`` separated by ``;``, values
escaped as tag values: ``\\s`` a space, ``\\:`` a semicolon):

* ``text``: words that must all occur, each matching the start of a word, without case; Persian
  folded as `storage/fulltext.py` explains (``می‌روم`` and ``میروم`` find each other);
* ``in``: one channel or nick (a private conversation); without it, every channel the asker is
  in and all its private conversations;
* ``from``: the nick the line was said with;
* ``after``, ``before``: server-time timestamps, inclusive;
* ``limit``: at most this many results (`SEARCH_MAX` at most; that is also the default).

What is searched is exactly what CHATHISTORY reads (`Persistence.search_scope`): channels the
asker is in now, their closed lines only from this incarnation, private conversations only
between their two parties. An ``in`` that the asker may not read fails like one that does not
exist. Results are PRIVMSG and NOTICE lines as relayed (time, msgid, account tags), oldest
first, in a ``soju.im/search`` batch (one by one without the batch capability); the newest
matches, or with only ``after`` the first ones from that time. Errors are standard replies:
``FAIL SEARCH INVALID_PARAMS <attribute>`` for a bad, unknown or empty attribute, and
``FAIL SEARCH INTERNAL_ERROR TIMEOUT`` when the search ran too long; a server that keeps no
history answers 421, as soju does (it offers no soju.im/search then). While the index is
still being built (after an upgrade) the results may miss older lines, and a ``NOTE SEARCH
INDEXING`` before them says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.message import Message, parse_tags
from socketchat.irc.numbers import parse_number
from socketchat.irc.servertime import parse_ms
from socketchat.server.commands.history import history_lines
from socketchat.server.persistence import persistence_of
from socketchat.storage.base import SearchQuery, SearchTimeout

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

BATCH_TYPE = "soju.im/search"
SEARCH_MAX = 100  # results of one SEARCH at most
_ATTRIBUTES = frozenset({"text", "in", "from", "after", "before", "limit"})


class _Invalid(Exception):
    def __init__(self, attribute: str, description: str) -> None:
        super().__init__(description)
        self.attribute = attribute


def handle_search(server: Server, s: Session, m: Message) -> None:
    p = persistence_of(server)
    if p is None:  # no history kept (nor soju.im/search offered): as soju, no such command
        s.numeric(rpl.ERR_UNKNOWNCOMMAND, "SEARCH", "Unknown command")
        return
    try:
        target, query = _parse(m.params[0])
    except _Invalid as exc:
        s.fail("SEARCH", "INVALID_PARAMS", str(exc), exc.attribute)
        return
    scope = p.search_scope(server, s, target)
    if scope is None:
        s.fail("SEARCH", "INVALID_PARAMS", "Messages could not be retrieved", "in", target)
        return
    try:
        rows = p.backend.search(scope[0], scope[1], query)
    except SearchTimeout:
        s.fail("SEARCH", "INTERNAL_ERROR", "The search took too long: try more words", "TIMEOUT")
        return
    indexing = p.backend.search_indexing()
    if indexing is not None:  # after an upgrade, while the index is built: say so
        s.send(
            Message(
                "NOTE",
                (
                    "SEARCH",
                    "INDEXING",
                    f"The search index is {indexing:.0%} built: older lines may be missing",
                ),
                server.name,
            )
        )
    s.send_batch(BATCH_TYPE, (), history_lines(server, s, rows))


def _parse(raw: str) -> tuple[str, SearchQuery]:
    """The `in` target and the query that the attributes ask for; `_Invalid` names what is
    wrong."""
    attributes = parse_tags(raw)
    for name, value in attributes.items():
        if name not in _ATTRIBUTES:
            raise _Invalid(name, "Unknown search attribute")
        if not value and name != "text":
            raise _Invalid(name, "Empty search attribute")
    bounds: dict[str, int | None] = {}
    for name in ("after", "before"):
        stamp = attributes.get(name)
        bounds[name] = None if stamp is None else parse_ms(stamp)
        if stamp is not None and bounds[name] is None:
            raise _Invalid(name, "Invalid timestamp")
    limit = SEARCH_MAX
    if "limit" in attributes:
        number = parse_number(attributes["limit"])
        if number is None or number < 1:
            raise _Invalid("limit", "Invalid limit")
        limit = min(number, SEARCH_MAX)
    query = SearchQuery(
        text=attributes.get("text", ""),
        sender=attributes.get("from", ""),
        after_ms=bounds["after"],
        before_ms=bounds["before"],
        limit=limit,
    )
    return attributes.get("in", ""), query
