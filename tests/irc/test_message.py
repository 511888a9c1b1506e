import pytest

from socketchat.irc.message import (
    Message,
    ParseError,
    escape_tag_value,
    parse_message,
    unescape_tag_value,
)


def test_parse_full_message() -> None:
    m = parse_message(
        "@time=2026-01-01T00:00:00.000Z;+typing=active :nick!u@h PRIVMSG #c :hi there"
    )
    assert m.command == "PRIVMSG"
    assert m.params == ("#c", "hi there")
    assert m.source == "nick!u@h"
    assert m.nick == "nick"
    assert m.tags == {"time": "2026-01-01T00:00:00.000Z", "+typing": "active"}


def test_parse_middle_params_and_lowercase_command() -> None:
    m = parse_message("user  guest 0 * :Real Name\r\n")
    assert m.command == "USER"
    assert m.params == ("guest", "0", "*", "Real Name")


def test_trailing_may_be_empty_or_contain_colons() -> None:
    assert parse_message("PRIVMSG #c :").params == ("#c", "")
    assert parse_message("PRIVMSG #c ::-) ok").params == ("#c", ":-) ok")


@pytest.mark.parametrize("line", ["", "   ", "@a=b", ":src", "@a :src", "PRIV\x01MSG x"])
def test_malformed_lines_raise_parse_error(line: str) -> None:
    with pytest.raises(ParseError):
        parse_message(line)


@pytest.mark.parametrize("word", ["NONEXISTENT_COMMAND", "PRIV/MSG", "x-y"])
def test_any_word_is_a_command_so_unknown_ones_can_get_421(word: str) -> None:
    m = parse_message(f"@label=1 {word} a :b c")
    assert (m.command, m.params) == (word.upper(), ("a", "b c"))


def test_tag_escaping_round_trips() -> None:
    raw = "a;b c\\d\re\nf"
    assert escape_tag_value(raw) == "a\\:b\\sc\\\\d\\re\\nf"
    assert unescape_tag_value(escape_tag_value(raw)) == raw
    assert unescape_tag_value("x\\") == "x"  # a lone trailing backslash is dropped
    assert unescape_tag_value("\\b") == "b"  # unknown escapes keep the character


def test_serialize_round_trip() -> None:
    m = Message("PRIVMSG", ("#c", "hello world"), "n!u@h", {"msgid": "x;y", "flag": ""})
    line = m.to_line()
    assert line == "@msgid=x\\:y;flag :n!u@h PRIVMSG #c :hello world"
    assert parse_message(line) == m


def test_serialize_uses_trailing_only_when_needed() -> None:
    assert Message("NICK", ("bob",)).to_line() == "NICK bob"
    assert Message("PRIVMSG", ("#c", ":)")).to_line() == "PRIVMSG #c ::)"
    assert Message("PRIVMSG", ("#c", "")).to_line() == "PRIVMSG #c :"
    assert Message("PING", ("x",)).to_bytes() == b"PING x\r\n"


def test_tags_override_on_serialisation() -> None:
    m = Message("PRIVMSG", ("#c", "hi"), "n", {"time": "t", "+x": "1"})
    assert m.to_line(tags={}) == ":n PRIVMSG #c hi"
    assert m.to_line(tags={"time": "t"}) == "@time=t :n PRIVMSG #c hi"
