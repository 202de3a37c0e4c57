"""model.cors: preflights answered by the platform, CORS headers on responses, the function's own dropped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lambent.model.cors import CorsRules, is_preflight, on_response, preflight

SITE = "https://app.example.com"
RULES = CorsRules(
    allow_origins=(SITE,),
    allow_methods=("GET", "POST"),
    allow_headers=("X-Custom", "Content-Type"),
    max_age_s=300,
    expose_headers=("X-Trace",),
)


def ask(origin: str = SITE, method: str = "POST", headers: str | None = None) -> list[tuple[str, str]]:
    asked = [("Origin", origin), ("Access-Control-Request-Method", method)]
    return asked + ([("Access-Control-Request-Headers", headers)] if headers is not None else [])


def test_a_preflight_is_an_options_request_naming_origin_and_method() -> None:
    assert is_preflight("OPTIONS", ask())
    assert not is_preflight("OPTIONS", [("Origin", SITE)])  # a plain OPTIONS goes to the function
    assert not is_preflight("GET", ask())


def test_an_allowed_preflight_gets_the_configuration() -> None:
    assert preflight(RULES, ask(headers="x-custom, content-type")) == [
        ("access-control-allow-origin", SITE),
        ("access-control-allow-methods", "GET,POST"),
        ("access-control-allow-headers", "X-Custom,Content-Type"),
        ("access-control-max-age", "300"),
        ("vary", "Origin"),
    ]


def test_a_refused_preflight_gets_no_cors_headers() -> None:
    assert preflight(RULES, ask(origin="https://evil.example")) == [("vary", "Origin")]
    assert preflight(RULES, ask(method="DELETE")) == [("vary", "Origin")]
    assert preflight(RULES, ask(headers="x-other")) == [("vary", "Origin")]


def test_wildcards() -> None:
    rules = CorsRules(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    assert preflight(rules, ask(origin="https://any.example", method="PATCH", headers="x-anything"))[0] == (
        "access-control-allow-origin",
        "*",
    )
    # with credentials a browser refuses "*": the origin is echoed
    credentialed = CorsRules(allow_origins=("*",), allow_methods=("GET",), allow_credentials=True)
    answer = preflight(credentialed, ask(origin="https://any.example", method="GET"))
    assert ("access-control-allow-origin", "https://any.example") in answer
    assert ("access-control-allow-credentials", "true") in answer


def test_responses_carry_the_configuration_not_the_functions_own() -> None:
    function_set = [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*"), ("access-control-max-age", "9")]
    assert on_response(RULES, [("Origin", SITE)], function_set) == [
        ("Content-Type", "text/plain"),
        ("access-control-allow-origin", SITE),
        ("access-control-expose-headers", "X-Trace"),
        ("vary", "Origin"),
    ]
    # another origin, or none: the function's CORS headers still go, and none are added
    assert on_response(RULES, [("Origin", "https://evil.example")], function_set) == [("Content-Type", "text/plain")]
    assert on_response(RULES, [], function_set) == [("Content-Type", "text/plain")]


@given(st.lists(st.tuples(st.text(min_size=1, max_size=20), st.text(max_size=20)), max_size=10))
def test_no_function_header_named_access_control_survives(headers: list[tuple[str, str]]) -> None:
    out = on_response(RULES, [("Origin", SITE)], headers)
    added = {"access-control-allow-origin", "access-control-expose-headers"}
    assert all(not n.lower().startswith("access-control-") or n in added for n, _ in out)
