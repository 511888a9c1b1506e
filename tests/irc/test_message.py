import pytest

from socketchat.irc.message import (
    MAX_BODY,
    Message,
    ParseError,
    encode_line,
    escape_tag_value,
    parse_message,
    serialize,
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
    assert m.to_line(tags={}) == ":n PRIVMSG #c :hi"
    assert m.to_line(tags={"time": "t"}) == "@time=t :n PRIVMSG #c :hi"


@pytest.mark.parametrize(
    ("message", "line"),
    [
        (Message("PRIVMSG", ("#lobby", "hi"), "a!u@h"), ":a!u@h PRIVMSG #lobby :hi"),
        (Message("NOTICE", ("bob", "x")), "NOTICE bob :x"),
        (Message("TOPIC", ("#c", "news")), "TOPIC #c :news"),
        (Message("PART", ("#c", "bye")), "PART #c :bye"),
        (Message("PART", ("#c",)), "PART #c"),  # no reason: the channel is no text
        (Message("QUIT", ("gone",)), "QUIT :gone"),
        (Message("AWAY", ("lunch",)), "AWAY :lunch"),
        (Message("KICK", ("#c", "bob", "spam")), "KICK #c bob :spam"),
        (Message("KICK", ("#c", "bob")), "KICK #c bob"),
        (Message("ERROR", ("bye",)), "ERROR :bye"),
        (Message("301", ("alice", "bob", "lunch"), "srv"), ":srv 301 alice bob :lunch"),
        (Message("001", ("alice",), "srv"), ":srv 001 alice"),
        (Message("JOIN", ("#c",)), "JOIN #c"),
        (Message("MODE", ("#c", "+o", "bob")), "MODE #c +o bob"),
    ],
)
def test_text_is_always_a_trailing_parameter(message: Message, line: str) -> None:
    assert message.to_line() == line
    assert parse_message(line) == message


@pytest.mark.parametrize("bad", ["", "x y", ":x", " ", "::", ":x y"])
def test_a_middle_parameter_that_is_not_a_word_goes_out_as_star(bad: str) -> None:
    for params in ((bad, "No such nick"), ("alice", bad, "No such nick")):
        line = serialize("401", params, "srv")
        parsed = parse_message(line)
        assert len(parsed.params) == len(params), line
        assert parsed.params[-1] == "No such nick"
        assert "*" in parsed.params[:-1], line


def test_lines_are_cut_to_512_bytes_without_tags_at_a_character_boundary() -> None:
    tags = {"time": "2026-01-01T00:00:00.000Z", "+x": "y" * 4000}
    for text in ("a" * 600, "é" * 400, "€" * 300, "a b " * 200):
        msg = Message("PRIVMSG", ("#lobby", text), "nick!user@host.example", tags)
        for data in (msg.to_bytes(), msg.to_bytes({})):
            body = data.split(b" ", 1)[1] if data.startswith(b"@") else data
            assert 500 < len(body) <= MAX_BODY and data.endswith(b"\r\n")
            back = parse_message(data.decode("utf-8"))  # still UTF-8: no character cut
            assert text.startswith(back.params[1])
    short = Message("PRIVMSG", ("#lobby", "hi"), "n!u@h", tags).to_bytes()
    assert short.endswith(b" :hi\r\n")


def test_encode_line_is_to_bytes() -> None:
    m = Message("PRIVMSG", ("#c", "x" * 600), "n!u@h", {"time": "t"})
    assert encode_line(m.command, m.params, m.source, m.tags) == m.to_bytes()
