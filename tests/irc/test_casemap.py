"""Name folding, nick rules and confusable skeletons under the two casemappings (sans-I/O)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from socketchat.irc import casemap
from socketchat.irc.casemap import casefold, clash, nick_problem, skeleton, valid_nick

ZWNJ = "\u200c"
MAHSA = "مهسا"  # Persian: م ه س ا


@pytest.fixture(autouse=True)
def _precis() -> Iterator[None]:
    casemap.use("precis")
    yield
    casemap.use("precis")


def test_ascii_names_fold_to_lowercase_under_both_mappings() -> None:
    assert casefold("PaUL[]\\^") == "paul[]\\^"  # ASCII, not rfc1459: brackets stay
    casemap.use("ascii")
    assert casefold("PaUL[]\\^") == "paul[]\\^"


def test_persian_nicks_are_allowed_and_fold_to_themselves() -> None:
    for nick in (MAHSA, "کاوه", "نگار۱۳۷۰", "مهسا_92", "Işıl", "Ελένη", "Дмитрий"):
        assert nick_problem(nick, 30) is None, nick
    assert casefold(MAHSA) == MAHSA


def test_unicode_case_folding_is_precis() -> None:
    assert casefold("Işıl") == "işıl"
    assert casefold("ДМИТРИЙ") == casefold("Дмитрий") == "дмитрий"
    assert casefold("Ｐaul") == "paul"  # fullwidth is width-mapped (RFC 8265 §3.3.2)
    assert casefold("#КЛАСС") == "#класс"  # a channel folds after its prefix


def test_persian_channel_names_fold_and_odd_ones_still_fold() -> None:
    assert casefold("#کلاس") == "#کلاس"
    assert casemap.valid_channel("#کلاس", 64)
    # PRECIS refuses symbols; a channel may still be #☕ and folds without failing
    assert casefold("#☕Кто") == "#☕кто"


def test_under_ascii_non_ascii_nicks_are_refused_and_left_unfolded() -> None:
    casemap.use("ascii")
    problem = nick_problem(MAHSA, 30)
    assert problem is not None and "ASCII nicknames only" in problem
    assert casefold("#КЛАСС") == "#КЛАСС"  # only A-Z fold under ascii
    assert skeleton("Paul") == "paul"


def test_unknown_casemapping_is_refused() -> None:
    with pytest.raises(ValueError, match="precis, ascii"):
        casemap.use("rfc1459")


def test_zwnj_is_allowed_between_joining_persian_letters_only() -> None:
    assert nick_problem("می" + ZWNJ + "خواهم", 30) is None  # "mi-khaham": ZWNJ after ی
    for bad in ("a" + ZWNJ + "b", MAHSA + ZWNJ, ZWNJ + MAHSA):
        problem = nick_problem(bad, 30)
        assert problem is not None, repr(bad)
    problem = nick_problem("a" + ZWNJ + "b", 30)
    assert problem is not None and "zero-width non-joiner" in problem


def test_a_right_to_left_nick_may_not_hold_latin_or_end_in_punctuation() -> None:
    for bad in ("Mahsa" + MAHSA, MAHSA + "_", MAHSA + "x"):
        problem = nick_problem(bad, 30)
        assert problem is not None and "right-to-left" in problem, bad


def test_mixed_scripts_and_mixed_digits_are_refused() -> None:
    cyrillic_ra_latin_ul = "\u0440\u0430ul"  # р а (Cyrillic) + u l (Latin)
    problem = nick_problem(cyrillic_ra_latin_ul, 30)
    assert problem is not None and "one script" in problem
    problem = nick_problem("abc۱", 30)  # Latin letters with an Extended Arabic-Indic digit
    assert problem is not None and "one script" in problem
    problem = nick_problem(MAHSA + "۱2", 30)  # two digit systems
    assert problem is not None and "digits of one kind" in problem


def test_symbols_leading_digits_and_protocol_characters_are_refused_with_a_reason() -> None:
    problem = nick_problem("☕" + MAHSA, 30)
    assert problem is not None and "hot beverage is not allowed" in problem
    problem = nick_problem("۱" + MAHSA, 30)
    assert problem is not None and "must not start with a digit" in problem
    for c in " ,*?!@:.#":
        assert not valid_nick(MAHSA + c + MAHSA, 30), c
    assert not valid_nick(MAHSA * 8, 30)  # 32 characters: NICKLEN counts characters


def test_cyrillic_lookalike_of_a_latin_nick_clashes_by_skeleton() -> None:
    whole_cyrillic = "\u0440\u0430\u0443"  # р а у: every letter Cyrillic, so not "mixed"
    assert nick_problem(whole_cyrillic, 30) is None
    assert skeleton(whole_cyrillic) == skeleton("pay") == "pay"
    assert clash(whole_cyrillic, "pay")
    assert skeleton("\u0440\u0430ul") == skeleton("paul")


def test_arabic_and_persian_yeh_and_kaf_are_one_nick() -> None:
    # ي U+064A (Arabic yeh) and ی U+06CC (Farsi yeh); ك U+0643 and ک U+06A9: different code
    # points, the same letters to a reader; an Arabic and a Persian keyboard type different ones.
    persian, arabic = "مهسی", "مهسي"
    assert casefold(persian) != casefold(arabic)  # PRECIS keeps them apart ...
    assert clash(persian, arabic)  # ... the skeleton does not
    assert clash("کاوه", "كاوه")
    assert clash("می" + ZWNJ + "خواهم", "میخواهم")  # the ZWNJ alone does not make a new nick


def test_ascii_nicks_never_clash_by_skeleton_alone() -> None:
    assert skeleton("paul1") == skeleton("paull")  # 1 and l look alike ...
    assert not clash("paul1", "paull")  # ... but IRC always had both
    assert clash("PAUL", "paul")


def test_folds_and_checks_are_cached() -> None:
    name = "نگار" + "۱۲۳۴۵"
    casemap._precis_fold.cache_clear()
    assert nick_problem(name, 30) is None
    casefold(name)
    info = casemap._precis_fold.cache_info()
    assert info.misses == 1 and info.hits >= 1  # the check and the fold share one PRECIS run


def test_a_server_loads_the_libraries_at_start_not_at_the_first_registration() -> None:
    casemap._spoof.cache_clear()
    casemap._precis.cache_clear()
    casemap.use("precis")
    assert casemap._spoof.cache_info().currsize == 1  # ICU loads here (~0.2 s), not mid-loop
    assert casemap._precis.cache_info().currsize == 1
