"""Response streaming's pure rules: the pace past the uncapped burst and the HTTP prelude."""

from __future__ import annotations

import pytest

from lambent.errors import MalformedHttpResponse
from lambent.model.response_stream import (
    CAPPED_RATE_BYTES_S,
    MB,
    PRELUDE_END,
    PRELUDE_LIMIT_BYTES,
    UNCAPPED_BYTES,
    release_at,
    split_prelude,
)


def test_the_first_6_mb_go_at_once_and_the_rest_at_2_mb_a_second() -> None:
    assert release_at(UNCAPPED_BYTES, 100.0) == 0.0
    assert release_at(UNCAPPED_BYTES + CAPPED_RATE_BYTES_S, 100.0) == pytest.approx(101.0)
    assert release_at(10 * MB, 5.0) == pytest.approx(7.0)


def test_a_prelude_sets_status_headers_and_cookies_and_keeps_the_body_after_it() -> None:
    buffer = b'{"statusCode": 201, "headers": {"x-a": "b", "n": 3}, "cookies": ["c=d"]}' + PRELUDE_END + b"body"
    split = split_prelude(buffer)
    assert split is not None
    head, rest = split
    assert head.status == 201 and rest == b"body"
    assert head.headers == (("x-a", "b"), ("n", "3"), ("set-cookie", "c=d"), ("content-type", "application/octet-stream"))


def test_a_prelude_not_yet_ended_waits_for_more() -> None:
    assert split_prelude(b'{"statusCode": 200') is None
    assert split_prelude(b'{"statusCode": 200}' + b"\0" * 7) is None


def test_an_empty_prelude_is_200() -> None:
    split = split_prelude(PRELUDE_END + b"x")
    assert split is not None and split[0].status == 200 and split[1] == b"x"


@pytest.mark.parametrize(
    "prelude",
    [b"[1, 2]", b'{"statusCode": "teapot"}', b'{"headers": []}', b'{"cookies": "a=b"}', b"not json"],
)
def test_a_malformed_prelude_is_refused(prelude: bytes) -> None:
    with pytest.raises(MalformedHttpResponse):
        split_prelude(prelude + PRELUDE_END)


def test_a_prelude_without_an_end_is_refused_past_its_bound() -> None:
    with pytest.raises(MalformedHttpResponse):
        split_prelude(b"{" + b" " * PRELUDE_LIMIT_BYTES)
