"""Invoke payloads that are not JSON, refused in AWS's words (Jackson's message and location).

The first cases are AWS's answers as its users recorded them, byte for byte where the payload is
known: awsdocs/aws-lambda-developer-guide#382 and #351, penkow/llama-lambda#2,
alexcasalboni/aws-lambda-power-tuning#148, ballerina-platform/module-ballerina-c2c#15 and a
multipart body posted to a Lambda proxy. The rest follow Jackson's UTF8StreamJsonParser.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import InvalidRequestContentException
from lambent.model.payload import PREFIX, char_desc, check

VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"


def refusal(payload: bytes) -> str:
    with pytest.raises(InvalidRequestContentException) as raised:
        check(payload)
    assert raised.value.message.startswith(PREFIX)
    assert (raised.value.error_type, raised.value.status, raised.value.fault) == ("InvalidRequestContentException", 400, "User")
    return raised.value.message[len(PREFIX) :]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            b"test data",
            f"Unrecognized token 'test': was expecting {VALUES}\n at [Source: (byte[])\"test data\"; line: 1, column: 6]",
        ),
        (
            b"\x99\x9a",
            f'Unexpected character ((CTRL-CHAR, code 153)): expected a valid value {VALUES}\n at [Source: (byte[])"\ufffd\ufffd"; line: 1, column: 2]',
        ),
        (
            b"1\x84D",
            "Unexpected character ((CTRL-CHAR, code 132)): Expected space separating root-level values\n"
            ' at [Source: (byte[])"1\ufffdD"; line: 1, column: 3]',
        ),
        (
            b"0Da",
            "Unexpected character ('D' (code 68)): Expected space separating root-level values\n at [Source: (byte[])\"0Da\"; line: 1, column: 3]",
        ),
        (b"\xe0\x97", 'Invalid UTF-8 start byte 0x97\n at [Source: (byte[])"\ufffd\ufffd"; line: 1, column: 3]'),
        (
            b"------Web",
            "Unexpected character ('-' (code 45)) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value\n"
            ' at [Source: (byte[])"------Web"; line: 1, column: 3]',
        ),
        (
            b"'x'",
            f"Unexpected character (''' (code 39)): expected a valid value {VALUES}\n at [Source: (byte[])\"'x'\"; line: 1, column: 2]",
        ),
    ],
)
def test_as_aws_answered(payload: bytes, message: str) -> None:
    assert refusal(payload) == message


@pytest.mark.parametrize(
    ("payload", "head", "column"),
    [
        (b"Hello World", f"Unrecognized token 'Hello': was expecting {VALUES}", 7),
        (b"tru", f"Unrecognized token 'tru': was expecting {VALUES}", 4),
        (b"truex", f"Unrecognized token 'truex': was expecting {VALUES}", 6),
        (b"NaN", "Non-standard token 'NaN': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow", 4),
        (b'{"a":1,}', "Unexpected character ('}' (code 125)): was expecting double-quote to start field name", 9),
        (b"{a:1}", "Unexpected character ('a' (code 97)): was expecting double-quote to start field name", 3),
        (b'{"a" 1}', "Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value", 7),
        (b'{"a":1 "b":2}', "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries", 9),
        (b"[1,]", "Unexpected character (']' (code 93)): expected a value", 5),
        (b"[1 2]", "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries", 5),
        (b'{"a":', "Unexpected end-of-input within/between Object entries", 6),
        (b'"abc', "Unexpected end-of-input in VALUE_STRING", 5),
        (b"01", "Invalid numeric value: Leading zeroes not allowed", 2),
        (b"1.x", "Unexpected character ('x' (code 120)) in numeric value: Decimal point not followed by a digit", 4),
        (
            b'{"a":"\n"}',
            "Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value",
            8,
        ),
        (b'["\\x"]', "Unrecognized character escape 'x' (code 120)", 5),
        (b'["\\u12g4"]', "Unexpected character ('g' (code 103)): expected a hex-digit for character escape sequence", 8),
        (b'"\xff"', "Invalid UTF-8 start byte 0xff", 3),
        (b'"\xc3\x28"', "Invalid UTF-8 middle byte 0x28", 4),
        (b"\n\n  x", f"Unrecognized token 'x': was expecting {VALUES}", 4),
    ],
)
def test_jacksons_words_and_column(payload: bytes, head: str, column: int) -> None:
    message = refusal(payload)
    shown = payload.decode("utf-8", "replace")
    line = payload.count(b"\n") + 1 if payload.startswith(b"\n") else 1
    assert message == f'{head}\n at [Source: (byte[])"{shown}"; line: {line}, column: {column}]'


def test_a_field_name_is_decoded_whole_so_its_utf8_error_points_past_the_quote() -> None:
    assert (
        refusal(b'{"\xc3(ab": 1}')
        == 'Invalid UTF-8 middle byte 0x28\n at [Source: (byte[])"{"\ufffd(ab": 1}"; line: 1, column: 8]'
    )
    check('{"é": "ü"}'.encode())


def test_unclosed_and_mismatched_containers_name_where_they_started() -> None:
    assert refusal(b' {"a": [1') == (
        "Unexpected end-of-input: expected close marker for Array (start marker at "
        '[Source: (byte[])" {"a": [1"; line: 1, column: 8])\n at [Source: (byte[])" {"a": [1"; line: 1, column: 10]'
    )
    assert refusal(b"[1}") == (
        "Unexpected close marker '}': expected ']' (for Array starting at "
        '[Source: (byte[])"[1}"; line: 1, column: 1])\n at [Source: (byte[])"[1}"; line: 1, column: 4]'
    )


def test_the_source_is_cut_at_500_bytes() -> None:
    message = refusal(b"x" * 600)
    assert message.endswith(f'[Source: (byte[])"{"x" * 500}"[truncated 100 bytes]; line: 1, column: 257]')
    assert f"Unrecognized token '{'x' * 256}...'" in message


@pytest.mark.parametrize("payload", [b"", b"  \n", b'{"a": 1} trailing', b"1 2", b'"\xc3\xa9"', b"[]", b"null"])
def test_what_jackson_reads_is_accepted(payload: bytes) -> None:
    check(payload)  # readTree reads the first root value and no further


def test_character_descriptions() -> None:
    assert [char_desc(c) for c in (120, 10, 127, 153, 233, 0x20AC)] == [
        "'x' (code 120)",
        "(CTRL-CHAR, code 10)",
        "(CTRL-CHAR, code 127)",
        "(CTRL-CHAR, code 153)",
        "'é' (code 233)",
        "'€' (code 8364 / 0x20ac)",
    ]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(JSON, st.booleans())
def test_every_json_document_is_accepted(value: Any, ascii_only: bool) -> None:
    check(json.dumps(value, ensure_ascii=ascii_only).encode())


@given(st.binary(max_size=64))
def test_any_bytes_are_accepted_or_refused_with_a_location(data: bytes) -> None:
    try:
        check(data)
    except InvalidRequestContentException as refused:
        assert refused.message.startswith(PREFIX)
        assert '\n at [Source: (byte[])"' in refused.message and refused.message.endswith("]")
