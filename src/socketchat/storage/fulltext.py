"""Full-text search over history: how text is folded before SQLite's FTS5 indexes it, and how a
person's search words become an FTS5 query.

The tokenizer is FTS5's ``unicode61`` with ``remove_diacritics 2``: words are runs of letters and
digits (any script), case-folded, Latin accents dropped (``café`` = ``cafe``). Persian needs more
than that, because of how Persian is typed; every line is folded first (`fold`), the same way
when it is indexed (by triggers in SQL: `fold_sql`) and when it is searched (in Python):

* the zero-width non-joiner (U+200C, *nim-fasele*) is removed. ``می‌روم`` is one word written
  with it and ``میروم`` the same word typed without it (many keyboards and phones have no
  ZWNJ key); unicode61 would split the first into ``می`` + ``روم`` and never match the second.
  Removed, both are the one word ``میروم``, and either spelling finds both. (The price: ``روم``
  alone does not find ``می‌روم``; a search word matches the *start* of words, see `match_query`,
  so ``می`` finds it.) The zero-width joiner (U+200D) and the byte-order mark go the same way;
* Arabic letter forms that Persian text contains when typed on an Arabic keyboard are mapped to
  the Persian letters: ``ي``/``ى`` → ``ی``, ``ك`` → ``ک``, ``ۀ`` → ``ه`` (with its hamza dropped,
  as below), and ``ة`` stays (it is a different letter in Persian text);
* the short vowels and other Arabic marks (harakat U+064B–U+065F, the superscript alef U+0670)
  are removed: unicode61 counts them as separators, so ``مُحَمَّد`` would become four one-letter
  "words"; the kashida (tatweel, U+0640) that stretches a word (``سـلام``) is removed too;
* Persian and Arabic-Indic digits become ASCII digits (``۱۰:۳۰`` finds ``10:30``).

The folding in the index is done by SQL triggers (`fold_sql`, plain nested ``replace()`` calls:
no Python function is needed to write to the database, so any SQLite client may insert or delete
rows and the index stays right). `FOLD` is therefore part of the schema: changing it needs a new
migration that drops the index and its triggers and builds them again.
"""

from __future__ import annotations

import hashlib
import re

# Every character the folding changes -> what it becomes ("" removes it). Part of the schema
# (see the module docstring): the migration that built the index used exactly this table.
FOLD: dict[str, str] = {
    "\u200c": "",  # zero-width non-joiner
    "\u200d": "",  # zero-width joiner
    "\ufeff": "",  # zero-width no-break space (BOM)
    "\u0640": "",  # tatweel (kashida)
    **{chr(c): "" for c in range(0x064B, 0x0660)},  # harakat, hamza above/below, ...
    "\u0670": "",  # superscript alef
    "\u064a": "\u06cc",  # ARABIC YEH -> FARSI YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
    "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH
    "\u06c0": "\u0647",  # HEH WITH YEH ABOVE -> HEH
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
}

_TABLE = str.maketrans(FOLD)
TOKENIZER = "unicode61 remove_diacritics 2"
_SQL_NESTING = 16  # replace() calls nested in one SQL expression at most (see `fold_sql`)
MAX_TERMS = 16  # search words in one query at most
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """`text` as the index sees it (before unicode61 splits and case-folds it)."""
    return text.translate(_TABLE)


def fold_sql(column: str) -> str:
    """An SQL expression computing `fold(column)` with built-in functions only (triggers).

    Nested ``replace()`` calls, at most `_SQL_NESTING` in one expression (SQLite's parser stack
    overflows near 30, less inside a trigger); the groups are chained through one-row
    subqueries in FROM, flat (``SELECT g3(t) FROM (SELECT g2(t) AS t FROM (SELECT g1(x) AS
    t))``), which nest no deeper than one group."""
    items = list(FOLD.items())
    groups = []
    for start in range(0, len(items), _SQL_NESTING):
        inner = "t"
        for char, replacement in items[start : start + _SQL_NESTING]:
            inner = f"replace({inner}, char({ord(char)}), '{replacement}')"
        groups.append(inner)
    query = f"SELECT {column} AS t"
    for group in groups:
        query = f"SELECT {group} AS t FROM ({query})"
    return f"({query})"


# The words of the `meta` column are one character each, from the CJK Unified Ideographs
# block (letters to unicode61: one token each when spaced): a word of one character gets no
# entry in the prefix indexes (``prefix='2 3'``), so each costs the index one posting per line,
# not three. The block's two halves are the conversations' and the senders' words.
_META_BASE, _META_SPAN = 0x4E00, 10496


def _bucket(data: str, half: int) -> str:
    digest = int.from_bytes(hashlib.blake2b(data.encode(), digest_size=8).digest(), "big")
    return chr(_META_BASE + half * _META_SPAN + digest % _META_SPAN)


def key_token(key: str) -> str:
    """The index's word for a conversation (`meta` column of the search index): one of
    10,496 characters, by a hash of its key. A search in a few conversations puts theirs in
    the MATCH, so FTS5 intersects doclists instead of the rows being filtered one by one; the
    other conversations that share the character (a ten-thousandth of history) bring
    candidates that the check against `messages` drops."""
    return _bucket(key, 0)


def sender_token(nick: str) -> str:
    """The index's word for the nick a line was said with (``from=``), likewise: by a hash of
    the nick case-folded (a superset of what ``from=`` matches: the check against `messages`
    then compares the nick as `SearchQuery.sender` says)."""
    return _bucket(nick.casefold(), 1)


def meta(key: str, source: str) -> str:
    """The `meta` column of a line in the search index: its conversation's and sender's
    words (`source` is ``nick!user@host``)."""
    return key_token(key) + " " + sender_token(source.split("!", 1)[0])


def terms(text: str) -> list[str]:
    """The words of a search, folded and case-folded, roughly as unicode61 sees them (`\\w`);
    `match_query` uses it to leave out what has no word in it."""
    return [word.casefold() for word in _WORD.findall(fold(text)) if word.strip("_")]


def match_query(text: str) -> str | None:
    """The FTS5 MATCH expression for what someone typed: every word must occur, each as the
    start of a word in the line (``meet`` finds ``meeting``, ``می`` finds ``می‌روم``).

    Each word is quoted, so nothing typed is FTS5 syntax (``AND``, ``NEAR``, ``*``, ``"``,
    ``col:``): a search never fails to parse. A word that unicode61 would cut in two (``can't``,
    ``e-mail``) is a quoted phrase of its parts, which FTS5 matches as consecutive words. None:
    no word at all (only punctuation), so nothing can match. At most `MAX_TERMS` words count.
    A word of one character is matched whole (`whole`). Prefixes of two and three characters
    are fast: the index keeps them (``prefix='2 3'``, see the migration).
    """
    words = [fold(w) for w in text.split() if terms(w)][:MAX_TERMS]
    if not words:
        return None
    # FTS5 splits a quoted string with the table's own tokenizer: "can't"* is "can" "t"*
    return " ".join('"' + w.replace('"', '""') + '"' + ("" if whole(w) else "*") for w in words)


def whole(word: str) -> bool:
    """A typed word matched whole, not as a word start: one letter or digit (``a``, ``و``,
    ``5``). As a prefix it would be a good part of the dictionary, the slowest search there is,
    for nothing anyone looks for."""
    parts = terms(word)
    return len(parts) == 1 and len(parts[0]) == 1
