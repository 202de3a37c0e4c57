"""The event a request becomes, format 2.0 and 1.0, against the events AWS's guides document.

Each documented example is rebuilt from the request it describes and compared whole. Where the
example cannot follow from any request (its ``time`` says 12 March while its ``timeEpoch`` is
4 March; its headers lack the User-Agent its ``userAgent`` shows), the test says so and compares
what the request gives.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from lambent.model.http_event import (
    HttpRequest,
    IamCaller,
    cookies_of,
    grouped_query,
    is_text,
    payload_v1,
    payload_v2,
    request_time,
    resource_of,
)

CALLER = IamCaller(
    access_key="AKIA...",
    account_id="111122223333",
    caller_id="AIDA...",
    user_arn="arn:aws:iam::111122223333:user/example-user",
    user_id="AIDA...",
)


def url_request(**changes: Any) -> HttpRequest:
    """The request the Lambda guide's function URL example describes."""
    fields: dict[str, Any] = {
        "method": "POST",
        "raw_path": "/my/path",
        "raw_query": "parameter1=value1&parameter1=value2&parameter2=value",
        "headers": (
            ("Header1", "value1"),
            ("Header2", "value1"),
            ("Cookie", "cookie1; cookie2"),
            ("Header2", "value2"),
            ("User-Agent", "agent"),
            ("Content-Type", "text/plain"),
        ),
        "body": b"Hello from client!",
        "source_ip": "123.123.123.123",
        "request_id": "id",
        "time_ms": 1583348638390,
        "account_id": "123456789012",
        "api_id": "<urlid>",
        "domain_name": "<url-id>.lambda-url.us-west-2.on.aws",
        "domain_prefix": "<url-id>",
        "iam": CALLER,
    }
    fields.update(changes)
    return HttpRequest(**fields)


def test_the_function_url_example() -> None:
    """Lambda developer guide, "Invoking Lambda function URLs", request payload format. Its
    example's ``pathParameters`` and ``stageVariables`` are null, "or excluded": excluded here."""
    assert payload_v2(url_request()) == {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/my/path",
        "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
        "cookies": ["cookie1", "cookie2"],
        "headers": {
            "header1": "value1",
            "header2": "value1,value2",
            "user-agent": "agent",  # the example's userAgent comes from here
            "content-type": "text/plain",  # and its text body needs a text type
        },
        "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "<urlid>",
            "authentication": None,
            "authorizer": {
                "iam": {
                    "accessKey": "AKIA...",
                    "accountId": "111122223333",
                    "callerId": "AIDA...",
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": "arn:aws:iam::111122223333:user/example-user",
                    "userId": "AIDA...",
                }
            },
            "domainName": "<url-id>.lambda-url.us-west-2.on.aws",
            "domainPrefix": "<url-id>",
            "http": {
                "method": "POST",
                "path": "/my/path",
                "protocol": "HTTP/1.1",
                "sourceIp": "123.123.123.123",
                "userAgent": "agent",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "04/Mar/2020:19:03:58 +0000",  # the example says 12/Mar beside this timeEpoch
            "timeEpoch": 1583348638390,
        },
        "body": "Hello from client!",
        "isBase64Encoded": False,
    }


def test_the_http_api_example_parts_a_url_has_not() -> None:
    """API Gateway guide, format 2.0: a route key, a stage, path parameters and stage variables,
    in the example's order of members; no IAM caller means a null authorizer."""
    event = payload_v2(
        url_request(
            route_key="POST /my/{parameter1}",
            stage="prod",
            path_parameters={"parameter1": "value1"},
            stage_variables={"stageVariable1": "value1", "stageVariable2": "value2"},
            iam=None,
        )
    )
    assert list(event) == [
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "headers",
        "queryStringParameters",
        "requestContext",
        "body",
        "pathParameters",
        "isBase64Encoded",
        "stageVariables",
    ]
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /my/{parameter1}"
    assert event["requestContext"]["stage"] == "prod"
    assert event["requestContext"]["authorizer"] is None
    assert event["pathParameters"] == {"parameter1": "value1"}
    assert event["stageVariables"] == {"stageVariable1": "value1", "stageVariable2": "value2"}


def v1_request() -> HttpRequest:
    """The request the API Gateway guide's format 1.0 example describes."""
    return url_request(
        method="GET",
        headers=(("Header1", "value1"), ("Header2", "value1"), ("Header2", "value2"), ("User-Agent", "user-agent")),
        body=b"Hello from Lambda!",
        source_ip="IP",
        request_id="id=",
        time_ms=1583349317135,
        api_id="id",
        domain_name="id.execute-api.us-east-1.amazonaws.com",
        domain_prefix="id",
        route_key="GET /my/path",
        iam=None,
    )


def test_the_format_1_example() -> None:
    """API Gateway guide, format 1.0 (client certificate left out: no mutual TLS here)."""
    event = payload_v1(v1_request())
    assert event == {
        "version": "1.0",
        "resource": "/my/path",
        "path": "/my/path",
        "httpMethod": "GET",
        "headers": {"header1": "value1", "header2": "value2", "user-agent": "user-agent"},
        "multiValueHeaders": {"header1": ["value1"], "header2": ["value1", "value2"], "user-agent": ["user-agent"]},
        # The example shows parameter1's first value; REST proxies and the SDKs built on them
        # give the last (aws/aws-lambda-go#42), as this event's headers do in the example too.
        "queryStringParameters": {"parameter1": "value2", "parameter2": "value"},
        "multiValueQueryStringParameters": {"parameter1": ["value1", "value2"], "parameter2": ["value"]},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "id",
            "authorizer": {"claims": None, "scopes": None},
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "id",
            "extendedRequestId": "id=",
            "httpMethod": "GET",
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "IP",
                "user": None,
                "userAgent": "user-agent",
                "userArn": None,
            },
            "path": "/my/path",
            "protocol": "HTTP/1.1",
            "requestId": "id=",
            "requestTime": "04/Mar/2020:19:15:17 +0000",
            "requestTimeEpoch": 1583349317135,
            "resourceId": None,
            "resourcePath": "/my/path",
            "stage": "$default",
        },
        "pathParameters": None,
        "stageVariables": None,
        "body": "SGVsbG8gZnJvbSBMYW1iZGEh",  # no Content-Type: binary (the example's is text)
        "isBase64Encoded": True,
    }


def test_format_1_names_the_iam_caller_and_keeps_cookies_in_headers() -> None:
    event = payload_v1(url_request())
    assert event["requestContext"]["identity"] | {"sourceIp": "", "userAgent": ""} == {
        "accessKey": "AKIA...",
        "accountId": "111122223333",
        "caller": "AIDA...",
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": "",
        "user": "AIDA...",
        "userAgent": "",
        "userArn": "arn:aws:iam::111122223333:user/example-user",
    }
    assert event["headers"]["cookie"] == "cookie1; cookie2"
    assert "cookies" not in event
    assert (event["body"], event["isBase64Encoded"]) == ("Hello from client!", False)


def test_an_empty_request() -> None:
    """No query, no cookies, no body: 2.0 leaves the members out, 1.0 has nulls."""
    request = url_request(method="GET", raw_query="", headers=(), body=b"", iam=None)
    v2 = payload_v2(request)
    assert not {"cookies", "queryStringParameters", "body", "pathParameters", "stageVariables"} & set(v2)
    assert (v2["headers"], v2["isBase64Encoded"], v2["requestContext"]["http"]["userAgent"]) == ({}, False, "")
    v1 = payload_v1(request)
    assert (v1["queryStringParameters"], v1["multiValueQueryStringParameters"]) == (None, None)
    assert (v1["body"], v1["isBase64Encoded"], v1["headers"], v1["multiValueHeaders"]) == (None, False, {}, {})


def test_head_is_an_ordinary_event() -> None:
    event = payload_v2(url_request(method="HEAD", body=b""))
    assert event["requestContext"]["http"]["method"] == "HEAD"
    assert "body" not in event


def test_paths_and_queries_stay_as_sent_in_their_raw_members() -> None:
    event = payload_v2(url_request(raw_path="/a%2Fb/%E2%82%AC", raw_query="q=a%20b&q=c+d&flag&=empty&x=%ZZ"))
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/a%2Fb/%E2%82%AC"
    assert event["rawQueryString"] == "q=a%20b&q=c+d&flag&=empty&x=%ZZ"
    assert event["queryStringParameters"] == {"q": "a b,c+d", "flag": "", "": "empty", "x": "%ZZ"}
    assert payload_v1(url_request(raw_path="/a%2Fb"))["path"] == "/a%2Fb"


def test_cookies_split_on_semicolons_from_every_cookie_header() -> None:
    headers = (("cookie", "a=1; b=2"), ("COOKIE", "c=3;d=4;;"), ("x", "y"))
    assert cookies_of(headers) == ["a=1", "b=2", "c=3", "d=4"]
    assert cookies_of((("x", "y"),)) == []


def test_header_names_are_lower_cased_and_repeats_joined() -> None:
    event = payload_v2(url_request(headers=(("X-A", "1"), ("x-a", "2"), ("X-B", ""), ("x-A", "3"))))
    assert event["headers"] == {"x-a": "1,2,3", "x-b": ""}


def test_which_bodies_are_text() -> None:
    for text in ("text/plain", "TEXT/HTML; charset=latin-1", "application/json", "application/json; charset=utf-8"):
        assert is_text(text), text
    for binary in (None, "", "application/octet-stream", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                   "image/png", "application/vnd.api+json", "application/jsonx"):  # fmt: skip
        assert not is_text(binary), binary
    assert is_text("application/xml") and is_text("application/javascript")


def test_text_that_is_not_utf8_goes_as_base64() -> None:
    event = payload_v2(url_request(headers=(("content-type", "text/plain"),), body=b"\xff\xfe"))
    assert (event["body"], event["isBase64Encoded"]) == ("//4=", True)


def test_a_multipart_form_goes_as_base64() -> None:
    """As the function URL did in localstack's AWS-recorded test_lambda_url_form_payload."""
    body = b'\r\n--4efd\r\nContent-Disposition: form-data; name="formfield"\r\n\r\nnot a file\r\n--4efd--\r\n'
    event = payload_v2(url_request(headers=(("Content-Type", "multipart/form-data; boundary=4efd"),), body=body))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_request_time_is_aws_format_in_utc() -> None:
    assert request_time(0) == "01/Jan/1970:00:00:00 +0000"
    assert request_time(1631055022677) == "07/Sep/2021:22:50:22 +0000"  # the guide's own pair
    assert request_time(951782400999) == "29/Feb/2000:00:00:00 +0000"


def test_resource_is_the_route_path() -> None:
    assert resource_of("GET /pets/{id}") == "/pets/{id}"
    assert resource_of("ANY /{proxy+}") == "/{proxy+}"
    assert resource_of("$default") == "$default"


# -- properties --------------------------------------------------------------------------------

header_names = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1)
header_lists = st.lists(st.tuples(header_names, st.text(max_size=20)), max_size=12)


@given(header_lists)
def test_any_headers_join_as_documented(headers: list[tuple[str, str]]) -> None:
    event = payload_v2(url_request(headers=tuple(headers)))
    expected: dict[str, list[str]] = {}
    for name, value in headers:
        if name.lower() != "cookie":
            expected.setdefault(name.lower(), []).append(value)
    assert event["headers"] == {name: ",".join(values) for name, values in expected.items()}
    v1 = payload_v1(url_request(headers=tuple(headers)))
    everything: dict[str, list[str]] = {}
    for name, value in headers:
        everything.setdefault(name.lower(), []).append(value)
    assert v1["multiValueHeaders"] == everything
    assert v1["headers"] == {name: values[-1] for name, values in everything.items()}


@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=10))
def test_any_query_round_trips(pairs: list[tuple[str, str]]) -> None:
    raw = "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)
    expected: dict[str, list[str]] = {}
    for name, value in pairs:
        expected.setdefault(name, []).append(value)
    assert grouped_query(raw) == expected
    event = payload_v2(url_request(raw_query=raw))
    assert event["rawQueryString"] == raw
    assert event.get("queryStringParameters") == ({k: ",".join(v) for k, v in expected.items()} or None)


@given(st.binary(max_size=64), st.sampled_from([None, "text/plain", "application/json", "application/octet-stream"]))
def test_any_body_survives(body: bytes, content_type: str | None) -> None:
    headers = () if content_type is None else (("Content-Type", content_type),)
    for event in (payload_v2(url_request(headers=headers, body=body)), payload_v1(url_request(headers=headers, body=body))):
        if not body:
            assert event.get("body") is None and event["isBase64Encoded"] is False
        elif event["isBase64Encoded"]:
            assert base64.b64decode(event["body"]) == body
        else:
            assert content_type in ("text/plain", "application/json")
            assert event["body"].encode("utf-8") == body
