"""model.http_routes: HTTP API route keys checked, and requests routed as API Gateway ranks them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.model.http_routes import (
    DUPLICATE_VARIABLE,
    GREEDY_NOT_LAST,
    INVALID_KEY,
    INVALID_PARTS,
    KEY_REQUIRED,
    Refusal,
    RouteMatch,
    check_route_key,
    check_route_keys,
    compile,
    decode_path,
)


def routed(keys: list[str], method: str, path: str) -> tuple[str, dict[str, str]] | None:
    found = compile(keys).match(method, path)
    return None if found is None else (found.route_key, dict(found.path_parameters))


# The developer guide's example, verbatim: "consider an API with a $default stage and the
# following example routes" and its table of requests.
GUIDE = ["GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default"]


def test_the_guides_example_table() -> None:
    # "The request fully matches this route."
    assert routed(GUIDE, "GET", "/pets/dog/1") == ("GET /pets/dog/{id}", {"id": "1"})
    # "The request doesn't fully match a route. The route with a GET method and a greedy path
    # variable catches this request."
    assert routed(GUIDE, "GET", "/pets/cat/1") == ("GET /pets/{proxy+}", {"proxy": "cat/1"})
    # "The ANY method matches all methods that you haven't defined for a route. Routes with
    # greedy path variables have higher priority than the $default route."
    assert routed(GUIDE, "POST", "/test/5") == ("ANY /{proxy+}", {"proxy": "test/5"})


def test_the_guides_path_variable_and_default_examples() -> None:
    assert routed(["GET /pets/{petID}"], "GET", "/pets/6") == ("GET /pets/{petID}", {"petID": "6"})
    # "an API with only a $default route": the full path goes to the integration
    assert routed(["$default"], "GET", "/store/checkout") == ("$default", {})
    assert routed(["$default"], "DELETE", "/") == ("$default", {})


# Precedence, one rule at a time.


def test_a_full_literal_match_beats_a_variable_one() -> None:
    keys = ["GET /pets/{id}", "GET /pets/dog"]
    assert routed(keys, "GET", "/pets/dog") == ("GET /pets/dog", {})
    assert routed(keys, "GET", "/pets/cat") == ("GET /pets/{id}", {"id": "cat"})


def test_a_variable_match_beats_a_greedy_one() -> None:
    keys = ["GET /pets/{proxy+}", "GET /pets/{id}"]
    assert routed(keys, "GET", "/pets/1") == ("GET /pets/{id}", {"id": "1"})
    assert routed(keys, "GET", "/pets/1/toys") == ("GET /pets/{proxy+}", {"proxy": "1/toys"})


def test_a_literal_beats_a_variable_at_the_first_part_they_differ() -> None:
    keys = ["GET /{kind}/dog/{id}", "GET /pets/{kind}/{id}", "GET /pets/dog/{id}"]
    assert routed(keys, "GET", "/pets/dog/1") == ("GET /pets/dog/{id}", {"id": "1"})
    assert routed(keys, "GET", "/pets/cat/1") == ("GET /pets/{kind}/{id}", {"kind": "cat", "id": "1"})
    assert routed(keys, "GET", "/toys/dog/1") == ("GET /{kind}/dog/{id}", {"kind": "toys", "id": "1"})
    # left to right, not by counting literals: /pets/{a}/{b} wins over /{a}/dog/1
    assert routed(["GET /{a}/dog/1", "GET /pets/{a}/{b}"], "GET", "/pets/dog/1") == (
        "GET /pets/{a}/{b}",
        {"a": "dog", "b": "1"},
    )


def test_a_route_that_fails_further_on_gives_way_to_a_less_specific_one() -> None:
    keys = ["GET /pets/dog/x", "GET /pets/{kind}/{id}"]
    assert routed(keys, "GET", "/pets/dog/1") == ("GET /pets/{kind}/{id}", {"kind": "dog", "id": "1"})


def test_the_longest_greedy_prefix_wins() -> None:
    keys = ["ANY /{proxy+}", "GET /api/{proxy+}", "GET /api/v1/{rest+}", "GET /api/{version}/{tail+}"]
    assert routed(keys, "GET", "/api/v1/users/7") == ("GET /api/v1/{rest+}", {"rest": "users/7"})
    assert routed(keys, "GET", "/api/v2/users") == ("GET /api/{version}/{tail+}", {"version": "v2", "tail": "users"})
    assert routed(keys, "GET", "/api/x") == ("GET /api/{proxy+}", {"proxy": "x"})
    assert routed(keys, "GET", "/other") == ("ANY /{proxy+}", {"proxy": "other"})


def test_a_method_beats_any_on_the_same_path() -> None:
    for path in ("/pets", "/pets/{id}", "/pets/{proxy+}"):
        keys = [f"ANY {path}", f"GET {path}"]
        request = path.replace("{id}", "1").replace("{proxy+}", "1/2")
        table = compile(keys)
        assert (table.match("GET", request) or RouteMatch(route_key="")).route_key == f"GET {path}"
        assert (table.match("POST", request) or RouteMatch(route_key="")).route_key == f"ANY {path}"


def test_the_path_decides_before_the_method() -> None:
    # ANY /pets/dog matches the whole path literally: it beats GET /pets/{id}
    assert routed(["GET /pets/{id}", "ANY /pets/dog"], "GET", "/pets/dog") == ("ANY /pets/dog", {})
    # a full match with ANY beats a greedy route with the request's method
    assert routed(["GET /pets/{proxy+}", "ANY /pets/{id}"], "GET", "/pets/1") == ("ANY /pets/{id}", {"id": "1"})


def test_a_route_of_another_method_is_not_a_match() -> None:
    keys = ["POST /pets/dog", "GET /pets/{id}"]
    assert routed(keys, "GET", "/pets/dog") == ("GET /pets/{id}", {"id": "dog"})
    assert routed(["POST /pets"], "GET", "/pets") is None


def test_default_is_last() -> None:
    keys = ["$default", "GET /pets", "GET /pets/{id}", "GET /toys/{proxy+}"]
    assert routed(keys, "GET", "/pets") == ("GET /pets", {})
    assert routed(keys, "GET", "/toys/a") == ("GET /toys/{proxy+}", {"proxy": "a"})
    assert routed(keys, "POST", "/pets") == ("$default", {})
    assert routed(keys, "GET", "/pets/1/2") == ("$default", {})


def test_no_match() -> None:
    keys = ["GET /pets", "GET /pets/{id}", "POST /toys/{proxy+}"]
    table = compile(keys)
    assert table.match("GET", "/") is None
    assert table.match("GET", "/toys/a") is None
    assert table.match("GET", "/pets/1/2") is None
    assert compile([]).match("GET", "/") is None


def test_the_root() -> None:
    assert routed(["GET /", "GET /{id}"], "GET", "/") == ("GET /", {})
    assert routed(["GET /", "GET /{id}"], "GET", "/x") == ("GET /{id}", {"id": "x"})
    assert routed(["GET /{id}"], "GET", "/") is None  # a variable never takes an empty part
    assert routed(["ANY /{proxy+}"], "GET", "/") == ("ANY /{proxy+}", {"proxy": ""})
    assert routed(["GET /"], "GET", "") == ("GET /", {})


# Paths as they are.


def test_paths_are_case_sensitive() -> None:
    keys = ["GET /Pets", "GET /pets/{id}"]
    assert routed(keys, "GET", "/Pets") == ("GET /Pets", {})
    assert routed(keys, "GET", "/pets") is None
    assert routed(keys, "GET", "/PETS/1") is None
    assert routed(keys, "GET", "/pets/ABC") == ("GET /pets/{id}", {"id": "ABC"})


def test_methods_are_case_sensitive() -> None:
    keys = ["GET /pets", "ANY /toys"]
    assert routed(keys, "get", "/pets") is None
    assert routed(keys, "get", "/toys") == ("ANY /toys", {})
    assert routed(keys, "BREW", "/toys") == ("ANY /toys", {})  # ANY is any method at all


def test_a_trailing_slash_is_significant() -> None:
    assert routed(["POST /todos"], "POST", "/todos/") is None
    assert routed(["GET /pets/{id}"], "GET", "/pets/") is None
    assert routed(["GET /pets/{id}"], "GET", "/pets/1/") is None
    # a greedy variable takes the empty rest after the slash
    assert routed(["GET /metrics", "GET /metrics/{proxy+}"], "GET", "/metrics/") == (
        "GET /metrics/{proxy+}",
        {"proxy": ""},
    )
    assert routed(["GET /metrics/{proxy+}"], "GET", "/metrics") is None
    assert routed(["GET /a/{proxy+}"], "GET", "/a/b/") == ("GET /a/{proxy+}", {"proxy": "b/"})


def test_empty_parts() -> None:
    assert routed(["GET /a/{id}/c"], "GET", "/a//c") is None
    assert routed(["GET /a/{proxy+}"], "GET", "/a//c") == ("GET /a/{proxy+}", {"proxy": "/c"})


def test_greedy_values_keep_their_slashes() -> None:
    assert routed(["ANY /files/{path+}"], "PUT", "/files/a/b/c.txt") == ("ANY /files/{path+}", {"path": "a/b/c.txt"})
    assert routed(["GET /{a}/{b}/{rest+}"], "GET", "/1/2/3/4") == ("GET /{a}/{b}/{rest+}", {"a": "1", "b": "2", "rest": "3/4"})


def test_variable_names_as_aws_allows_them() -> None:
    keys = ["GET /v/{my.id}/{x:y}/{a-b}/{under_score}"]
    assert routed(keys, "GET", "/v/1/2/3/4") == (keys[0], {"my.id": "1", "x:y": "2", "a-b": "3", "under_score": "4"})


def test_routes_differing_only_in_variable_names_resolve_stably() -> None:
    assert routed(["GET /pets/{name}", "GET /pets/{id}"], "GET", "/pets/1") == ("GET /pets/{id}", {"id": "1"})
    assert routed(["GET /pets/{id}", "GET /pets/{name}"], "GET", "/pets/1") == ("GET /pets/{id}", {"id": "1"})


# Encoded characters: decode_path as live HTTP APIs decode (hotsock/voker's captures, verbatim).

CAPTURES = [
    ("/capture/plain", "/capture/plain"),
    ("/capture/space%20value", "/capture/space value"),
    ("/capture/question%3Fvalue", "/capture/question"),
    ("/capture/percent%25done", None),
    ("/capture/hash%23value", "/capture/hash#value"),
    ("/capture/slash%2Fvalue", "/capture/slash/value"),
    ("/capture/unicode-%CE%BB-%E4%B8%96%E7%95%8C", "/capture/unicode-λ-世界"),
    ("/capture/literal%252Fvalue", "/capture/literal/value"),
    ("/capture/literal%253Fvalue", "/capture/literal?value"),
    ("/capture/literal%2525value", "/capture/literal%value"),
]


@pytest.mark.parametrize(("sent", "delivered"), CAPTURES)
def test_decode_path_as_the_live_captures(sent: str, delivered: str | None) -> None:
    assert decode_path(sent) == delivered


def test_decode_path_refuses_what_cannot_be_decoded() -> None:
    assert decode_path("/a%zz") is None
    assert decode_path("/a%") is None
    assert decode_path("/a%FF") is None  # not UTF-8
    assert decode_path("/%E4%B8") is None  # a cut sequence
    assert decode_path("") == "/"
    assert decode_path("/") == "/"


def test_encoded_characters_route_decoded() -> None:
    keys = ["GET /files/{name}", "GET /files/{dir}/{name}", "GET /raw/{proxy+}"]

    def route(raw: str) -> tuple[str, dict[str, str]] | None:
        path = decode_path(raw)
        assert path is not None
        return routed(keys, "GET", path)

    assert route("/files/my%20file.txt") == ("GET /files/{name}", {"name": "my file.txt"})
    assert route("/files/caf%C3%A9") == ("GET /files/{name}", {"name": "café"})
    # an encoded slash is a slash once decoded: it splits the parts
    assert route("/files/a%2Fb") == ("GET /files/{dir}/{name}", {"dir": "a", "name": "b"})
    assert route("/raw/a%2Fb%20c") == ("GET /raw/{proxy+}", {"proxy": "a/b c"})
    assert route("/files/q%3Fx") == ("GET /files/{name}", {"name": "q"})
    assert route("/files/h%23x") == ("GET /files/{name}", {"name": "h#x"})
    # an encoded literal part matches the literal
    assert routed(["GET /pets/dog"], "GET", decode_path("/pets/%64og") or "") == ("GET /pets/dog", {})


# Route keys refused.


@pytest.mark.parametrize(
    "key",
    [
        "GET /",
        "GET /pets",
        "ANY /pets/{id}",
        "OPTIONS /{proxy+}",
        "HEAD /a/b.c/d-e/f_g/h:i",
        "PATCH /pets/{id}/toys/{toy+}",
        "DELETE /v1/{a}/{b}/{c}",
        "PUT /1/2/3",
        "POST /{x}",
        "GET /pets/:id",  # a colon is a literal's character in the pattern AWS validates against
        "$default",
    ],
)
def test_valid_route_keys(key: str) -> None:
    assert check_route_key(key) is None


def bad(message: str) -> Refusal:
    return Refusal(error_type="BadRequestException", message=message)


@pytest.mark.parametrize(
    ("key", "refusal"),
    [
        ("", bad(KEY_REQUIRED)),
        ("GET", bad(INVALID_KEY)),
        ("/pets", bad(INVALID_KEY)),
        ("get /pets", bad(INVALID_KEY)),
        ("TRACE /pets", bad(INVALID_KEY)),
        ("CONNECT /pets", bad(INVALID_KEY)),
        ("GET pets", bad(INVALID_KEY)),
        ("GET  /pets", bad(INVALID_KEY)),
        ("$DEFAULT", bad(INVALID_KEY)),
        ("$connect", bad(INVALID_KEY)),
        ("GET /pets/", bad(INVALID_PARTS)),  # storacha/w3infra#166: a route ending in / is refused
        ("GET //pets", bad(INVALID_PARTS)),
        ("GET /pets//toys", bad(INVALID_PARTS)),
        ("GET /pets/*", bad(INVALID_PARTS)),
        ("GET /pets/{id}.json", bad(INVALID_PARTS)),  # serverless/serverless#10423, live AWS
        ("GET /pets/{}", bad(INVALID_PARTS)),
        ("GET /pets/{+}", bad(INVALID_PARTS)),
        ("GET /pets/{a b}", bad(INVALID_PARTS)),
        ("GET /pets/{id", bad(INVALID_PARTS)),
        ("GET /pets/caf\u00e9", bad(INVALID_PARTS)),
        ("GET /pets/{caf\u00e9}", bad(INVALID_PARTS)),
        ("GET /pets/a b", bad(INVALID_PARTS)),
        ("GET /pets/a%20b", bad(INVALID_PARTS)),
        ("GET /pets/a\n", bad(INVALID_PARTS)),
        ("GET /pets?x=1", bad(INVALID_PARTS)),
        ("GET /{proxy+}/toys", bad(GREEDY_NOT_LAST)),
        ("GET /a/{p+}/{q+}", bad(GREEDY_NOT_LAST)),
        ("GET /{id}/{id}", bad(DUPLICATE_VARIABLE)),
        ("GET /{id}/{id+}", bad(DUPLICATE_VARIABLE)),
    ],
)
def test_invalid_route_keys(key: str, refusal: Refusal) -> None:
    assert check_route_key(key) == refusal


def test_the_parts_message_is_awss() -> None:
    assert INVALID_PARTS.startswith("One or more path parts appear to be invalid")


def test_a_repeated_key_is_a_conflict() -> None:
    assert check_route_keys(["GET /pets", "POST /pets", "GET /pets"]) == Refusal(
        error_type="ConflictException", message="Route with key 'GET /pets' already exists"
    )
    assert check_route_keys(["$default", "$default"]) == Refusal(
        error_type="ConflictException", message="Route with key '$default' already exists"
    )
    assert check_route_keys(["GET /pets", "ANY /pets", "GET /pets/{id}", "$default"]) is None
    assert check_route_keys(["GET /pets", "GET /a/"]) == bad(INVALID_PARTS)


def test_compile_refuses_what_the_checks_refuse() -> None:
    with pytest.raises(ValueError, match="BadRequestException: One or more path parts"):
        compile(["GET /pets/"])
    with pytest.raises(ValueError, match="ConflictException"):
        compile(["GET /a", "GET /a"])
    assert compile(["GET /a", "$default", "POST /b"]).route_keys == ("GET /a", "POST /b", "$default")


def test_a_match_is_a_record() -> None:
    assert compile(["GET /a"]).match("GET", "/a") == RouteMatch(route_key="GET /a")


# Properties.

PART = st.text(alphabet="abcxyz019._-:", min_size=1, max_size=4)
VALUE = st.text(alphabet=st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), min_size=1, max_size=6)


@given(st.lists(PART, min_size=1, max_size=5), st.data())
def test_a_literal_route_beats_a_variable_one_for_its_own_path(parts: list[str], data: st.DataObject) -> None:
    path = "/" + "/".join(parts)
    # the same path with some parts made variables, and a greedy route over a prefix
    mask = data.draw(st.lists(st.booleans(), min_size=len(parts), max_size=len(parts)))
    variable = "/" + "/".join(f"{{v{i}}}" if m else p for i, (p, m) in enumerate(zip(parts, mask, strict=True)))
    cut = data.draw(st.integers(0, len(parts) - 1))
    greedy = "/" + "/".join([*parts[:cut], "{proxy+}"])
    method = data.draw(st.sampled_from(["GET", "ANY"]))
    keys = list(dict.fromkeys([f"ANY {greedy}", f"GET {variable}", f"{method} {path}", "$default"]))
    assert routed(keys, "GET", path) == (f"{method} {path}", {})


@given(st.sampled_from(["GET", "POST", "get", "BREW", ""]), st.text(max_size=40))
def test_matching_never_raises(method: str, path: str) -> None:
    table = compile(["GET /", "GET /a/{b}", "ANY /a/{b}/c", "POST /{p+}", "GET /x/{y}/{z+}", "$default"])
    assert table.match(method, path) is not None
    assert compile(["GET /a/{b}", "GET /x/{y+}"]).match(method, path) is None or path.lstrip("/").startswith(("a/", "x/"))
    decoded = decode_path(path)
    assert decoded is None or decoded.startswith("/")


@given(st.lists(VALUE, min_size=1, max_size=4), st.lists(PART, max_size=3))
def test_every_path_parameter_value_appears_in_the_path(values: list[str], tail: list[str]) -> None:
    keys = ["GET /{a}", "GET /{a}/{b}", "GET /{a}/{b}/{c}", "GET /k/{rest+}", "ANY /{a}/{b}/{c}/{d+}"]
    path = "/" + "/".join(values + tail)
    found = compile(keys).match("GET", path)
    if found is not None:
        for value in found.path_parameters.values():
            assert value in path
        assert all("/" not in v for k, v in found.path_parameters.items() if k in "abc")


def reference(keys: list[str], method: str, path: str) -> str | None:
    """The documented rules, by brute force: every route that matches, ranked."""
    segments = path[1:].split("/")
    ranked: list[tuple[tuple[object, ...], str]] = []
    for key in keys:
        if key == "$default":
            ranked.append(((2,), key))
            continue
        verb, _, route = key.partition(" ")
        if verb not in (method, "ANY"):
            continue
        parts = [] if route == "/" else route[1:].split("/")
        greedy = bool(parts) and parts[-1].endswith("+}")
        fixed = parts[:-1] if greedy else parts or [""]
        if len(segments) <= len(fixed) if greedy else len(segments) != len(fixed):
            continue
        if all(p == s if not p.startswith("{") else s != "" for p, s in zip(fixed, segments, strict=False)):
            shape = tuple(int(p.startswith("{")) for p in fixed)
            ranked.append(((int(greedy), -len(fixed), shape, verb == "ANY", key), key))
    return min(ranked)[1] if ranked else None


ROUTE_PART = st.sampled_from(["a", "b", "{x}", "{y}"])


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["GET", "ANY", "POST"]),
            st.lists(ROUTE_PART, max_size=3),
            st.booleans(),
        ),
        max_size=8,
    ),
    st.booleans(),
    st.sampled_from(["GET", "POST", "PUT"]),
    st.lists(st.sampled_from(["a", "b", "c", ""]), min_size=1, max_size=4),
)
def test_the_table_picks_what_the_rules_pick(
    specs: list[tuple[str, list[str], bool]], default: bool, method: str, segments: list[str]
) -> None:
    keys: list[str] = []
    for verb, parts, greedy in specs:
        named = [p.replace("x", f"x{i}").replace("y", f"y{i}") for i, p in enumerate(parts)]
        key = f"{verb} /" + "/".join([*named, "{rest+}"] if greedy else named)
        if key not in keys:
            keys.append(key)
    if default:
        keys.append("$default")
    path = "/" + "/".join(segments)
    found = compile(keys).match(method, path)
    assert (found.route_key if found else None) == reference(keys, method, path)
