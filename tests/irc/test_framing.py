from socketchat.irc.framing import FramingError, LineBuffer


def test_crlf_and_bare_lf_and_partial_lines() -> None:
    buf = LineBuffer()
    assert buf.feed(b"NICK a\r\nUSER a 0 * :A\nPI") == ["NICK a", "USER a 0 * :A"]
    assert buf.pending == 2
    assert buf.feed(b"NG x\r") == []
    assert buf.feed(b"\n") == ["PING x"]


def test_empty_lines_are_ignored() -> None:
    assert LineBuffer().feed(b"\r\n\n  \r\nPING x\n") == ["PING x"]


def test_line_of_exactly_512_bytes_is_accepted_and_513_refused() -> None:
    ok = b"PRIVMSG #c :" + b"a" * (510 - 12)
    assert len(ok) + 2 == 512
    assert LineBuffer().feed(ok + b"\r\n") == [ok.decode()]
    out = LineBuffer().feed(ok + b"a\r\n")
    assert out == [FramingError("too-long", "Input line too long")]


def test_tags_have_their_own_budget() -> None:
    tags = b"@+x=" + b"y" * 8000 + b" "
    body = b"PRIVMSG #c :" + b"a" * 400
    assert len(LineBuffer().feed(tags + body + b"\r\n")) == 1
    assert isinstance(
        LineBuffer().feed(b"@+x=" + b"y" * 8200 + b" " + body + b"\n")[0], FramingError
    )


def test_overlong_unterminated_line_is_refused_once_then_skipped() -> None:
    buf = LineBuffer()
    out = buf.feed(b"A" * 20000)
    assert out == [FramingError("too-long", "Input line too long")]
    assert buf.pending == 0
    assert buf.feed(b"B" * 5000) == []  # still the same over-long line
    assert buf.feed(b"C\r\nPING ok\r\n") == ["PING ok"]


def test_invalid_utf8_is_an_error_not_an_exception() -> None:
    out = LineBuffer().feed(b"PRIVMSG #c :\xff\xfe\r\nPING x\r\n")
    assert out == [FramingError("bad-utf8", "Input line is not valid UTF-8", "PRIVMSG"), "PING x"]
    # the command is named when it can be read (UTF8ONLY: FAIL <command> INVALID_UTF8)
    (err,) = LineBuffer().feed(b"@a=b :src!u@h metadata * SET k :\xc3\r\n")
    assert isinstance(err, FramingError) and err.command == "METADATA"
    (err,) = LineBuffer().feed(b"PRIV\xffMSG x\r\n")
    assert isinstance(err, FramingError) and err.command == "*"


def test_limits_can_be_switched_off() -> None:
    big = b"PRIVMSG #c :" + b"a" * 100000
    assert LineBuffer(max_line=0).feed(big + b"\n") == [big.decode()]
