"""EventBridge's event-pattern language, checked against the examples of its user guide
("Creating event patterns", "Content filtering", "Comparison operators") and event-ruler's
README, and by properties over generated events."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.model.event_pattern import EventPatternError, compile_pattern, parse

EC2_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}


def matches(pattern: dict[str, Any], event: Any) -> bool:
    return parse(json.dumps(pattern)).matches(event)


# --- the guide's examples ----------------------------------------------------------------------


def test_the_guides_ec2_pattern_matches_its_event() -> None:
    pattern = {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}
    assert matches(pattern, EC2_EVENT)
    assert matches({**pattern, "detail": {"state": ["terminated", "stopped"]}}, EC2_EVENT)
    assert not matches({**pattern, "detail": {"state": ["running"]}}, EC2_EVENT)
    assert not matches({"source": ["aws.s3"]}, EC2_EVENT)


def test_fields_the_pattern_does_not_name_are_ignored_and_an_empty_pattern_matches_all() -> None:
    assert matches({}, EC2_EVENT)
    assert matches({"detail": {"instance-id": ["i-1234567890abcdef0"]}}, EC2_EVENT)


def test_a_resource_array_matches_when_any_element_does() -> None:
    resource = "arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"
    assert matches({"resources": [resource, "arn:other"]}, EC2_EVENT)
    assert not matches({"resources": ["arn:other"]}, EC2_EVENT)


def test_exact_values_match_by_type() -> None:
    assert matches({"detail": {"n": [5]}}, {"detail": {"n": 5}})
    assert not matches({"detail": {"n": ["5"]}}, {"detail": {"n": 5}})
    assert not matches({"detail": {"n": [5]}}, {"detail": {"n": "5"}})
    assert matches({"detail": {"n": [300]}}, {"detail": {"n": 3.0e2}})
    assert matches({"detail": {"b": [True]}}, {"detail": {"b": True}})
    assert not matches({"detail": {"b": [True]}}, {"detail": {"b": 1}})


def test_null_and_empty_string_are_different_values() -> None:
    assert matches({"detail": {"v": [None]}}, {"detail": {"v": None}})
    assert not matches({"detail": {"v": [None]}}, {"detail": {"v": ""}})
    assert matches({"detail": {"v": [""]}}, {"detail": {"v": ""}})
    assert not matches({"detail": {"v": [None]}}, {"detail": {}})  # a missing field is not null


def test_prefix_and_suffix_with_and_without_case() -> None:
    assert matches({"time": [{"prefix": "2017-12-22"}]}, EC2_EVENT)
    assert not matches({"time": [{"prefix": "2017-10-02"}]}, EC2_EVENT)
    assert matches({"FileName": [{"suffix": ".png"}]}, {"FileName": "a.png"})
    assert not matches({"FileName": [{"suffix": ".png"}]}, {"FileName": "a.PNG"})
    assert matches({"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}, {"detail": {"FileName": "A.PNG"}})
    assert matches({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}, {"service": "EventBridge"})
    assert not matches({"n": [{"prefix": "1"}]}, {"n": 12})  # strings only


def test_anything_but_values_lists_and_affixes() -> None:
    assert matches({"detail": {"state": [{"anything-but": "initializing"}]}}, {"detail": {"state": "running"}})
    assert not matches({"detail": {"state": [{"anything-but": "initializing"}]}}, {"detail": {"state": "initializing"}})
    assert matches({"detail": {"x-limit": [{"anything-but": 123}]}}, {"detail": {"x-limit": 124}})
    assert not matches({"detail": {"x-limit": [{"anything-but": 123}]}}, {"detail": {"x-limit": 123}})
    stopped = {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}
    assert matches(stopped, {"detail": {"state": "running"}})
    assert not matches(stopped, {"detail": {"state": "overloaded"}})
    numbers = {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}
    assert matches(numbers, {"detail": {"x-limit": 150}})
    assert not matches(numbers, {"detail": {"x-limit": 200}})
    assert matches({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "eu-west-1"})
    assert not matches({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "us-east-1"})
    assert not matches({"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "x.png"})
    ignore = {"state": [{"anything-but": {"equals-ignore-case": ["initializing", "stopped"]}}]}
    assert not matches(ignore, {"state": "INITIALIZING"})
    assert matches(ignore, {"state": "running"})
    assert not matches({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/lib/x"})
    assert matches({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/bin/x"})


def test_anything_but_never_matches_a_missing_field() -> None:
    assert not matches({"detail": {"state": [{"anything-but": "initializing"}]}}, {"detail": {}})


def test_numeric_ranges() -> None:
    pattern = {
        "detail": {
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"numeric": ["=", 3.018e2]}],
        }
    }
    assert matches(pattern, {"detail": {"c-count": 5, "d-count": 7, "x-limit": 301.8}})
    assert not matches(pattern, {"detail": {"c-count": 0, "d-count": 7, "x-limit": 301.8}})
    assert not matches(pattern, {"detail": {"c-count": 5, "d-count": 10, "x-limit": 301.8}})
    assert not matches(pattern, {"detail": {"c-count": "5", "d-count": 7, "x-limit": 301.8}})
    assert matches({"n": [{"numeric": [">=", 1.0000001]}]}, {"n": 1.0})  # six decimal places


def test_exists_true_and_false() -> None:
    assert matches({"detail": {"state": [{"exists": True}]}}, EC2_EVENT)
    assert not matches({"detail": {"state": [{"exists": False}]}}, EC2_EVENT)
    assert matches({"detail": {"missing": [{"exists": False}]}}, EC2_EVENT)
    assert matches({"nothere": {"deeper": [{"exists": False}]}}, EC2_EVENT)
    # exists looks at leaves: an object or an empty array does not exist for it
    assert not matches({"detail": [{"exists": True}]}, EC2_EVENT)
    assert matches({"detail": {"list": [{"exists": False}]}}, {"detail": {"list": []}})


def test_equals_ignore_case_and_wildcard() -> None:
    assert matches({"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}, EC2_EVENT)
    assert matches(
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-east-1:123:event-bus/b"},
    )
    assert not matches(
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-west-2:123:event-bus/b"},
    )
    assert matches({"f": [{"wildcard": "a\\*b"}]}, {"f": "a*b"})
    assert not matches({"f": [{"wildcard": "a\\*b"}]}, {"f": "axxb"})
    assert matches({"f": [{"wildcard": "dir/*.png"}]}, {"f": "dir/a/b.png"})


def test_cidr_ipv4_and_ipv6() -> None:
    assert matches({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, {"detail": {"source-ip": "10.0.0.255"}})
    assert not matches({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, {"detail": {"source-ip": "10.0.1.1"}})
    assert matches({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "not an address"})


def test_or_of_sub_patterns() -> None:
    pattern = {
        "detail": {
            "$or": [
                {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                {"d-count": [{"numeric": ["<", 10]}]},
                {"x-limit": [{"numeric": ["=", 3.018e2]}]},
            ]
        }
    }
    assert matches(pattern, {"detail": {"d-count": 3}})
    assert matches(pattern, {"detail": {"x-limit": 301.8}})
    assert not matches(pattern, {"detail": {"c-count": 9, "d-count": 11}})
    top = {"source": ["aws.ec2"], "$or": [{"detail-type": ["nope"]}, {"detail": {"state": ["terminated"]}}]}
    assert matches(top, EC2_EVENT)


def test_arrays_of_objects_match_within_one_element() -> None:
    event = {"detail": {"items": [{"kind": "a", "size": 1}, {"kind": "b", "size": 2}]}}
    assert matches({"detail": {"items": {"kind": ["a"], "size": [1]}}}, event)
    assert not matches({"detail": {"items": {"kind": ["a"], "size": [2]}}}, event)  # array-consistent


# --- what a pattern may not be -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"source": "aws.ec2"}',
        '{"source": []}',
        '{"source": [["a"]]}',
        '{"n": [{"numeric": [">", "x"]}]}',
        '{"n": [{"numeric": [">", 5, "<", 1]}]}',
        '{"n": [{"numeric": ["!", 5]}]}',
        '{"n": [{"numeric": [">", 6e9]}]}',
        '{"s": [{"prefix": 5}]}',
        '{"s": [{"exists": "yes"}]}',
        '{"s": [{"anything-but": {"numeric": [">", 1]}}]}',
        '{"s": [{"anything-but": ["a", 1]}]}',
        '{"s": [{"wildcard": "a**b"}]}',
        '{"s": [{"wildcard": "a\\\\xb"}]}',
        '{"s": [{"cidr": "10.0.0.0/99"}]}',
        '{"s": [{"unknown": 1}]}',
        '{"s": [{"prefix": "a", "suffix": "b"}]}',
    ],
)
def test_invalid_patterns_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(EventPatternError) as refused:
        parse(text)
    assert str(refused.value)


# --- properties -------------------------------------------------------------------------------

scalars = st.one_of(st.text(max_size=8), st.integers(-1000, 1000), st.booleans(), st.none())
strings = st.text(alphabet="abcAB.-", max_size=6)


@given(value=scalars, expected=scalars)
def test_anything_but_is_the_complement_of_the_exact_match(value: Any, expected: Any) -> None:
    if expected is None or isinstance(expected, bool):
        return  # anything-but takes strings and numbers only
    event = {"f": value}
    exact = compile_pattern({"f": [expected]}).matches(event)
    assert compile_pattern({"f": [{"anything-but": expected}]}).matches(event) is (not exact)


@given(value=strings, affix=strings)
def test_prefix_and_suffix_agree_with_str(value: str, affix: str) -> None:
    event = {"f": value}
    assert compile_pattern({"f": [{"prefix": affix}]}).matches(event) is value.startswith(affix)
    assert compile_pattern({"f": [{"suffix": affix}]}).matches(event) is value.endswith(affix)
    assert compile_pattern({"f": [{"anything-but": {"prefix": affix}}]}).matches(event) is (not value.startswith(affix))


@given(value=st.integers(-10_000, 10_000), low=st.integers(-10_000, 10_000), width=st.integers(1, 1000))
def test_numeric_ranges_agree_with_comparison(value: int, low: int, width: int) -> None:
    pattern = compile_pattern({"f": [{"numeric": [">=", low, "<", low + width]}]})
    assert pattern.matches({"f": value}) is (low <= value < low + width)


@given(values=st.lists(scalars, min_size=1, max_size=4), value=scalars)
def test_a_list_of_values_is_an_or(values: list[Any], value: Any) -> None:
    event = {"f": value}
    either = compile_pattern({"f": values}).matches(event)
    assert either is any(compile_pattern({"f": [item]}).matches(event) for item in values)


@given(present=st.booleans(), value=scalars)
def test_exists_true_and_false_are_complements(present: bool, value: Any) -> None:
    event = {"f": value} if present else {}
    assert compile_pattern({"f": [{"exists": True}]}).matches(event) is present
    assert compile_pattern({"f": [{"exists": False}]}).matches(event) is (not present)
