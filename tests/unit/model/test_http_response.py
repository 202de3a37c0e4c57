"""What a function's answer means to a function URL (format 2.0) and to format 1.0.

The parametrized 2.0 cases are the answers AWS gave in localstack's AWS-recorded
TestLambdaURL::test_lambda_url_invocation (2025-11-24): a Python function returning each value,
its runtime encoding it with ``", "`` and ``": "`` separators, and what the client received.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import MalformedHttpResponse
from lambent.model.http_response import (
    HTTP_API_INTERNAL_ERROR,
    URL_FORBIDDEN,
    URL_FUNCTION_ERROR,
    URL_NOT_FOUND,
    HttpResponse,
    response_v1,
    response_v2,
)

JSON = ("content-type", "application/json")


def runtime(value: Any) -> bytes:
    """The payload the Python runtime posts for a handler's return value."""
    return json.dumps(value).encode()


@pytest.mark.parametrize(
    ("returned", "body"),
    [
        ({"hello": "world"}, b'{"hello":"world"}'),
        ({"statusCode": 200, "body": "body123"}, b"body123"),
        ({"statusCode": 200, "body": '{"hello": "world"}'}, b'{"hello": "world"}'),
        (["hello", 3, True], b'["hello",3,true]'),
        ("hello", b"hello"),
        (3, b"3"),
        (3.1, b"3.1"),
        (True, b"true"),
    ],
    ids=["dict", "http-response", "http-response-json", "list-mixed", "string", "integer", "float", "boolean"],
)
def test_as_aws_answered(returned: Any, body: bytes) -> None:
    assert response_v2(runtime(returned)) == HttpResponse(status=200, headers=(JSON,), body=body)


def test_the_guides_custom_response_with_cookies() -> None:
    """Lambda developer guide, "Invoking Lambda function URLs": a custom response and cookies."""
    answer = response_v2(
        runtime(
            {
                "statusCode": 201,
                "headers": {"Content-Type": "application/json", "My-Custom-Header": "Custom Value"},
                "body": json.dumps({"message": "Hello, world!"}),
                "cookies": ["Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT", "Cookie_2=Value2; Max-Age=78000"],
                "isBase64Encoded": False,
            }
        )
    )
    assert answer == HttpResponse(
        status=201,
        headers=(
            ("Content-Type", "application/json"),
            ("My-Custom-Header", "Custom Value"),
            ("set-cookie", "Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT"),
            ("set-cookie", "Cookie_2=Value2; Max-Age=78000"),
        ),
        body=b'{"message": "Hello, world!"}',
    )


def test_a_string_status_code_and_a_text_body() -> None:
    """localstack's AWS-validated test_lambda_url_headers_and_status: ``"418"`` answers 418."""
    answer = response_v2(runtime({"statusCode": "418", "body": "i'm a teapot", "isBase64Encoded": False}))
    assert (answer.status, answer.body, answer.header("Content-Type")) == (418, b"i'm a teapot", "application/json")


def test_a_base64_body_is_decoded() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    answer = response_v2(runtime({"statusCode": 200, "headers": {"content-type": "image/png"},
                                  "body": base64.b64encode(png).decode(), "isBase64Encoded": True}))  # fmt: skip
    assert answer == HttpResponse(status=200, headers=(("content-type", "image/png"),), body=png)


def test_a_structured_response_may_leave_everything_else_out() -> None:
    assert response_v2(b'{"statusCode": 204}') == HttpResponse(status=204, headers=(JSON,), body=b"")
    assert response_v2(b'{"statusCode": 200, "body": null, "headers": null, "cookies": null, "isBase64Encoded": null}') == (
        HttpResponse(status=200, headers=(JSON,), body=b"")
    )


def test_an_object_without_status_code_is_the_body_even_with_a_body_member() -> None:
    answer = response_v2(b'{"body": "x", "headers": {"a": "b"}}')
    assert answer == HttpResponse(status=200, headers=(JSON,), body=b'{"body":"x","headers":{"a":"b"}}')


def test_inferred_bodies_keep_non_ascii_and_null() -> None:
    assert response_v2('{"é": "€"}'.encode()).body == '{"é":"€"}'.encode()
    assert response_v2(b'"\\u20ac"').body == "€".encode()
    assert response_v2(b"null").body == b"null"
    assert response_v2(b" [ ] ").body == b"[]"


def test_header_values_that_are_not_strings() -> None:
    answer = response_v2(b'{"statusCode": 200, "headers": {"a": 1, "b": true, "c": null, "d": 1.5}}')
    assert answer.headers == (("a", "1"), ("b", "true"), ("d", "1.5"), JSON)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"\xff",
        b"NaN",
        b'{"statusCode": 200} trailing',
        b'{"statusCode": true}',
        b'{"statusCode": "abc"}',
        b'{"statusCode": 99}',
        b'{"statusCode": 600}',
        b'{"statusCode": null}',
        b'{"statusCode": 200.5}',
        b'{"statusCode": 200, "headers": []}',
        b'{"statusCode": 200, "headers": {"a": {}}}',
        b'{"statusCode": 200, "cookies": "a=1"}',
        b'{"statusCode": 200, "cookies": [1]}',
        b'{"statusCode": 200, "body": {"a": 1}}',
        b'{"statusCode": 200, "body": "!!", "isBase64Encoded": true}',
        b'{"statusCode": 200, "body": "\\u20ac", "isBase64Encoded": true}',
        b'{"statusCode": 200, "body": "x", "isBase64Encoded": "yes"}',
        b"[" * 100_000,
        b'{"a": 1e400}',
    ],
)
def test_malformed_answers(payload: bytes) -> None:
    with pytest.raises(MalformedHttpResponse):
        response_v2(payload)


def test_status_codes_that_count() -> None:
    assert response_v2(b'{"statusCode": 200.0}').status == 200
    assert response_v2(b'{"statusCode": "100"}').status == 100
    assert response_v2(b'{"statusCode": 599}').status == 599


# -- format 1.0 --------------------------------------------------------------------------------


def test_format_1_example_response() -> None:
    """API Gateway guide, format 1.0: headers and multiValueHeaders merge, the latter winning."""
    answer = response_v1(
        runtime(
            {
                "isBase64Encoded": False,
                "statusCode": 200,
                "headers": {"headerName": "headerValue", "Other": "x"},
                "multiValueHeaders": {"headerName": ["headerValue", "headerValue2"], "Set-Cookie": ["a=1", "b=2"]},
                "body": "...",
            }
        )
    )
    assert answer == HttpResponse(
        status=200,
        headers=(
            ("headerName", "headerValue"),
            ("headerName", "headerValue2"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Other", "x"),
            JSON,
        ),
        body=b"...",
    )


@pytest.mark.parametrize(
    "payload",
    [b'"hello"', b'{"body": "x"}', b"[]", b'{"statusCode": 200, "multiValueHeaders": {"a": "b"}}', b"{"],
)
def test_format_1_requires_a_structured_response(payload: bytes) -> None:
    with pytest.raises(MalformedHttpResponse):
        response_v1(payload)


def test_format_1_cookies_are_not_a_member() -> None:
    assert response_v1(b'{"statusCode": 200, "cookies": ["a=1"]}').headers == (JSON,)


# -- the ingress's answers -----------------------------------------------------------------


def test_the_urls_own_answers() -> None:
    assert (URL_FUNCTION_ERROR.status, URL_FUNCTION_ERROR.body) == (502, b"Internal Server Error")
    assert (URL_NOT_FOUND.status, URL_NOT_FOUND.body) == (403, b'{"Message":null}')
    assert URL_NOT_FOUND.header("X-Amzn-ErrorType") == URL_FORBIDDEN.header("x-amzn-errortype") == "AccessDeniedException"
    assert json.loads(URL_FORBIDDEN.body) == {
        "Message": "Forbidden. For troubleshooting Function URL authorization issues, see: "
        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
    }
    assert json.loads(HTTP_API_INTERNAL_ERROR.body) == {"message": "Internal Server Error"}


def test_head_gets_the_headers_and_no_body() -> None:
    answer = response_v2(b'{"statusCode": 200, "headers": {"Content-Length": "99"}, "body": "hello"}')
    head = answer.for_method("head")
    assert head == HttpResponse(status=200, headers=(JSON, ("content-length", "5")), body=b"")
    assert answer.for_method("GET") is answer


# -- properties --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
members = st.fixed_dictionaries(
    {},
    optional={
        "statusCode": json_values | st.integers(100, 599) | st.sampled_from(["200", "404"]),
        "headers": json_values | st.dictionaries(st.text(max_size=5), json_values, max_size=3),
        "multiValueHeaders": json_values | st.dictionaries(st.text(max_size=5), st.lists(json_values, max_size=2)),
        "cookies": json_values | st.lists(st.text(max_size=5), max_size=3),
        "body": json_values | st.text(max_size=10) | st.binary(max_size=10).map(lambda b: base64.b64encode(b).decode()),
        "isBase64Encoded": json_values | st.booleans(),
    },
)


@given(st.binary(max_size=64) | json_values.map(runtime) | members.map(runtime))
def test_reading_never_fails_but_as_malformed(payload: bytes) -> None:
    for read in (response_v2, response_v1):
        try:
            answer = read(payload)
        except MalformedHttpResponse:
            continue
        assert 100 <= answer.status <= 599
        assert isinstance(answer.body, bytes)
        assert all(isinstance(name, str) and isinstance(value, str) for name, value in answer.headers)
        assert answer.header("content-type") is not None


@given(json_values.filter(lambda v: not (isinstance(v, dict) and "statusCode" in v)))
def test_any_inferred_answer_is_the_value(value: Any) -> None:
    answer = response_v2(runtime(value))
    assert (answer.status, answer.headers) == (200, (JSON,))
    assert answer.body.decode() == value if isinstance(value, str) else json.loads(answer.body) == value


@given(st.binary(max_size=64))
def test_any_base64_body_comes_back_as_its_bytes(body: bytes) -> None:
    payload = runtime({"statusCode": 200, "body": base64.b64encode(body).decode(), "isBase64Encoded": True})
    assert response_v2(payload).body == response_v1(payload).body == body
