"""`net/http.py` without sockets: request heads from a byte stream, however it is cut."""

from __future__ import annotations

import pytest

from socketchat.server.net.http import BadRequest, HttpResponse, RequestReader

TWO = (
    b"\r\nGET /a?x=1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n\r\n"
    b"HEAD http://h/b HTTP/1.0\nHost: h\n\nrest"
)


@pytest.mark.parametrize("step", [1, 2, 3, 7, len(TWO)])
def test_heads_come_out_the_same_however_the_bytes_are_cut(step: int) -> None:
    reader = RequestReader()
    heads = []
    for i in range(0, len(TWO), step):
        reader.feed(TWO[i : i + step])
        while (head := reader.next_request()) is not None:
            heads.append(head)
    assert [(h.method, h.path, h.version) for h in heads] == [
        ("GET", "/a", "HTTP/1.1"),
        ("HEAD", "/b", "HTTP/1.0"),
    ]
    assert heads[0].tokens("connection") == {"keep-alive", "upgrade"} and heads[0].keep_alive
    assert not heads[1].keep_alive  # HTTP/1.0 without keep-alive
    assert heads[1].raw == b"HEAD http://h/b HTTP/1.0\r\nHost: h\r\n\r\n"  # CRLF for websockets
    assert reader.rest() == b"rest"


def test_an_endless_head_is_refused_once_too_long() -> None:
    reader = RequestReader()
    reader.feed(b"GET / HTTP/1.1\r\n")
    with pytest.raises(BadRequest) as info:
        for _ in range(2000):
            reader.feed(b"X-A: bbbbbbbbbbbb\r\n")
            assert reader.next_request() is None
    assert info.value.status == 431


def test_serialize_head_and_bodiless_statuses() -> None:
    answer = HttpResponse(200, (("Content-Type", "text/plain"),), b"hello")
    assert answer.serialize().endswith(b"Content-Length: 5\r\nConnection: close\r\n\r\nhello")
    assert answer.serialize(head_only=True, keep_alive=True).endswith(
        b"Content-Length: 5\r\nConnection: keep-alive\r\n\r\n"
    )
    not_modified = HttpResponse(304, (), b"ignored").serialize()
    assert not_modified.endswith(b"\r\n\r\n") and b"Content-Length" not in not_modified
