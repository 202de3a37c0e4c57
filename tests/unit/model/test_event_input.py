"""What an EventBridge target delivers: the user guide's examples byte for byte, AWS's recorded
answers (localstack's AWS-validated snapshots), PutTargets' refusals in AWS's words, and
properties over generated templates and events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.model.constraints import service_model
from lambent.model.event_input import (
    INPUT_LIMIT,
    INPUT_PATH_LIMIT,
    INPUT_PATHS_LIMIT,
    INPUT_TEMPLATE_LIMIT,
    PATH_KEY_LIMIT,
    PATH_KEY_PATTERN,
    InputTransformer,
    TargetInput,
    TargetInputError,
    event_without_detail,
    parse_path,
    render_input,
    select,
    validate_target_input,
)

RULE_ARN = "arn:aws:events:us-east-2:123456789012:rule/example"
INGESTED = datetime(2015, 11, 11, 21, 29, 55, tzinfo=UTC)

#: The user guide's example EC2 event ("Input transform examples").
EC2_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING"},
}
#: The guide's Input Path for it.
EC2_PATHS = {
    "timestamp": "$.time",
    "instance": "$.detail.instance-id",
    "state": "$.detail.state",
    "resource": "$.resources[0]",
}


def transformer(template: str, paths: dict[str, str] | None = None) -> TargetInput:
    return TargetInput(input_transformer=InputTransformer(input_template=template, input_paths_map=paths or {}))


def render(target_input: TargetInput, event: dict[str, Any] = EC2_EVENT, *, target_id: str = "t1") -> str:
    validate_target_input(target_input, target_id=target_id)
    return render_input(target_input, event, rule_arn=RULE_ARN, rule_name="example", ingestion_time=INGESTED).decode()


def refusal(target_input: TargetInput, target_id: str = "t1") -> str:
    with pytest.raises(TargetInputError) as refused:
        validate_target_input(target_input, target_id=target_id)
    assert refused.value.error_type == "ValidationException"
    return str(refused.value)


# -- the user guide's examples table, template -> output --------------------------------------

GUIDE_EXACT = [
    # Simple string
    ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
    # String with escaped quotes (the console's behaviour, as the guide notes)
    ('"instance \\"<instance>\\" is in <state>"', '"instance \\"i-0123456789\\" is in RUNNING"'),
    # Simple JSON
    ('{\n  "instance" : <instance>,\n  "state": <state>\n}', '{\n  "instance" : "i-0123456789",\n  "state": "RUNNING"\n}'),
    # JSON with strings and variables
    (
        '{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}',
        '{\n "instance" : "i-0123456789",\n "state": "RUNNING",\n "instanceStatus": "instance \\"i-0123456789\\" is in RUNNING"\n}',
    ),
    # Including reserved variables in a string
    ('"<aws.events.rule-name> triggered"', '"example triggered"'),
]


@pytest.mark.parametrize(("template", "output"), GUIDE_EXACT)
def test_the_guides_examples_render_byte_for_byte(template: str, output: str) -> None:
    assert render(transformer(template, EC2_PATHS)) == output


def test_the_guides_mix_of_variables_and_static_information() -> None:
    template = '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}\n'
    out = render(transformer(template, EC2_PATHS))
    # The guide prints the output re-indented; the JSON is the same, and the layout is the template's.
    assert json.loads(out) == {"instance": "i-0123456789", "state": [9, "RUNNING", True], "Transformed": "Yes"}
    assert out == '{\n  "instance" : "i-0123456789",\n  "state": [ 9, "RUNNING", true ],\n  "Transformed" : "Yes"\n}\n'


def test_the_guides_reserved_variables_in_json() -> None:
    template = (
        '{\n  "instance" : <instance>,\n  "state": <state>,\n  "ruleArn" : <aws.events.rule-arn>,\n'
        '  "ruleName" : <aws.events.rule-name>,\n  "originalEvent" : <aws.events.event>\n}'
    )
    out = json.loads(render(transformer(template, EC2_PATHS)))
    assert out["instance"] == "i-0123456789"
    assert out["state"] == "RUNNING"
    assert out["ruleArn"] == "arn:aws:events:us-east-2:123456789012:rule/example"
    assert out["ruleName"] == "example"
    assert out["originalEvent"] == {
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "account": "123456789012",
        "detailType": "EC2 Instance State-change Notification",
        "time": "2015-11-11T21:29:54Z",
        "source": "aws.ec2",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "version": "0",
    }


def test_an_array_index_selects_one_member() -> None:
    assert render(transformer("<resource>", EC2_PATHS)) == '"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"'


# -- AWS's recorded deliveries (localstack's AWS-validated snapshots) -------------------------

RECORDED_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "e1",
    "detail-type": "core.update-account-command",
    "source": "core.update-account-command",
    "account": "111111111111",
    "time": "date",
    "region": "us-east-1",
    "resources": [],
    "detail": {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}},
}
RECORDED_PATHS = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.command"}
MISSING_PATHS = {**RECORDED_PATHS, "command": "$.detail.notinmessage"}


def test_a_string_template_and_a_missing_path_in_it() -> None:
    template = '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"'
    assert (
        render(transformer(template, RECORDED_PATHS), RECORDED_EVENT)
        == '"Event of core.update-account-command type, at time date, info extracted from detail update-account"'
    )
    assert (
        render(transformer(template, MISSING_PATHS), RECORDED_EVENT)
        == '"Event of core.update-account-command type, at time date, info extracted from detail "'
    )


def test_a_string_template_may_start_with_json_punctuation() -> None:
    template = '"{[/Check with special starting characters for event of <detail-type> type"'
    assert (
        render(transformer(template, RECORDED_PATHS), RECORDED_EVENT)
        == '"{[/Check with special starting characters for event of core.update-account-command type"'
    )


def test_a_json_template_and_a_missing_path_in_a_value_position() -> None:
    template = '{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}'
    assert json.loads(render(transformer(template, RECORDED_PATHS), RECORDED_EVENT)) == {
        "detailType": "core.update-account-command",
        "time": "date",
        "command": "update-account",
    }
    assert json.loads(render(transformer(template, MISSING_PATHS), RECORDED_EVENT)) == {
        "detailType": "core.update-account-command",
        "time": "date",
        "command": "",
    }


def test_predefined_variables_need_no_paths_map() -> None:
    arn = "arn:aws:events:us-east-1:111111111111:rule/bus/r"
    template = '"Message containing all pre defined variables <aws.events.rule-arn> <aws.events.rule-name> <aws.events.event.ingestion-time>"'
    target_input = TargetInput(input_transformer=InputTransformer(input_template=template))
    validate_target_input(target_input, target_id="t")
    out = render_input(target_input, RECORDED_EVENT, rule_arn=arn, rule_name="r", ingestion_time=INGESTED)
    assert out == f'"Message containing all pre defined variables {arn} r 2015-11-11T21:29:55Z"'.encode()


def test_the_event_and_the_event_json() -> None:
    template = '{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}'
    out = json.loads(render(transformer(template), RECORDED_EVENT))
    assert out["originalEventJson"] == RECORDED_EVENT
    assert list(out["originalEvent"]) == ["id", "account", "detailType", "time", "source", "region", "resources", "version"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("$.detail", {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}),
        ("$.detail.payload", {"acc_id": "0a787ecb-4015", "sf_id": "baz"}),
        ("$.detail.payload.sf_id", "baz"),
        ("$", RECORDED_EVENT),
    ],
)
def test_input_path_sends_the_selected_value(path: str, body: Any) -> None:
    assert json.loads(render(TargetInput(input_path=path), RECORDED_EVENT)) == body


def test_no_input_sends_the_whole_event_and_input_is_sent_as_is() -> None:
    assert json.loads(render(TargetInput(), RECORDED_EVENT)) == RECORDED_EVENT
    assert render(TargetInput(input='{ "hello" :  "world" }')) == '{ "hello" :  "world" }'


def test_a_missing_input_path_sends_null() -> None:
    assert render(TargetInput(input_path="$.detail.nothing")) == "null"


# -- values in strings and in value positions -------------------------------------------------

EVENT = {"detail": {"q": 'say "hi"\\', "n": 9, "ok": True, "none": None, "obj": {"a": [1, "x"]}, "uni": "é"}}
PATHS = {k: f"$.detail.{k}" for k in EVENT["detail"]}


@pytest.mark.parametrize(
    ("name", "in_string", "in_value"),
    [
        ("q", '"say \\"hi\\"\\\\"', '"say \\"hi\\"\\\\"'),
        ("n", '"9"', "9"),
        ("ok", '"true"', "true"),
        ("none", '"null"', "null"),
        ("obj", '"{\\"a\\":[1,\\"x\\"]}"', '{"a":[1,"x"]}'),
        ("uni", '"é"', '"é"'),
    ],
)
def test_a_value_in_a_string_is_escaped_text_and_elsewhere_its_json(name: str, in_string: str, in_value: str) -> None:
    assert render(transformer(f'"<{name}>"', PATHS), EVENT) == in_string
    assert render(transformer(f"<{name}>", PATHS), EVENT) == in_value
    assert json.loads(render(transformer(f'["x <{name}> y", <{name}>]', PATHS), EVENT))[1] == EVENT["detail"][name]


def test_the_event_json_inside_a_string_is_its_text() -> None:
    out = json.loads(render(transformer('"original: <aws.events.event.json>"'), RECORDED_EVENT))
    assert out == "original: " + json.dumps(RECORDED_EVENT, separators=(",", ":"))


def test_angle_brackets_that_are_no_placeholder_are_text() -> None:
    assert render(transformer('"a < b and <not one> and <x"')) == '"a < b and <not one> and <x"'


def test_wildcards_select_the_list_of_matches() -> None:
    event = {"detail": {"items": [{"id": 1}, {"id": 2}, {"name": "no id"}], "m": {"a": 1, "b": 2}}}
    assert select(event, "$.detail.items[*].id") == [1, 2]
    assert select(event, "$.detail.m.*") == [1, 2]
    assert select(event, "$.detail.items[1].id") == 2
    assert select(event, "$.detail.items[3]") is None
    assert select(event, "$.detail.m[0]") is None
    assert select(event, "$.detail.items.id") is None


def test_ingestion_time_is_utc_to_the_second() -> None:
    local = datetime(2015, 11, 11, 23, 29, 55, 123456, tzinfo=timezone(timedelta(hours=2)))
    target_input = transformer("<aws.events.event.ingestion-time>")
    out = render_input(target_input, EC2_EVENT, rule_arn=RULE_ARN, rule_name="example", ingestion_time=local)
    assert out == b'"2015-11-11T21:29:55Z"'
    naive = render_input(
        target_input, EC2_EVENT, rule_arn=RULE_ARN, rule_name="example", ingestion_time=INGESTED.replace(tzinfo=None)
    )
    assert naive == b'"2015-11-11T21:29:55Z"'


def test_event_without_detail_keeps_other_members_after_aws_order() -> None:
    assert list(event_without_detail({"replay-name": "r", "detail": {}, "version": "0", "id": "i"})) == [
        "id",
        "version",
        "replay-name",
    ]


# -- PutTargets' refusals ---------------------------------------------------------------------


def test_only_one_kind_of_input() -> None:
    both = TargetInput(input_path="$.detail", input_transformer=InputTransformer(input_template="<aws.events.event>"))
    assert (
        refusal(both, "my-target") == "Only one of Input, InputPath, or InputTransformer must be provided for target my-target."
    )
    assert refusal(TargetInput(input="{}", input_path="$")).startswith("Only one of Input")


def test_an_undefined_placeholder() -> None:
    template = '"Event of <detail-type> type, with not defined key <notdefinedkey>"'
    assert (
        refusal(transformer(template, RECORDED_PATHS), "t9")
        == "InputTemplate for target t9 contains invalid placeholder notdefinedkey."
    )


def test_input_that_is_not_json() -> None:
    assert (
        refusal(TargetInput(input="env:dev"), "1")
        == 'JSON syntax error in input for target 1: [Source: (String)"env:dev"; line: 1, column: 1]'
    )
    assert refusal(TargetInput(input='{"a": NaN}')).startswith("JSON syntax error in input for target t1: ")
    assert "[truncated 100 chars]" in refusal(TargetInput(input="x" * 600))


@pytest.mark.parametrize(
    "path",
    [
        "detail",
        "$.",
        "$..detail",
        "$['detail']",
        '$["detail"]',
        "$.detail[-1]",
        "$.detail[0:2]",
        "$.a b",
        "$.detail[?(@.x)]",
        "$.détail",
    ],
)
def test_paths_eventbridge_does_not_support(path: str) -> None:
    assert parse_path(path) is None
    assert refusal(TargetInput(input_path=path), "t2") == "InputPath for target t2 is invalid."
    assert refusal(transformer("<k>", {"k": path}), "t2") == "InputPath for target t2 is invalid."
    with pytest.raises(ValueError):
        select({}, path)


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("$", ()),
        ("$.detail.state", ("detail", "state")),
        ("$.detail.items[0]", ("detail", "items", 0)),
        ("$.detail-type", ("detail-type",)),
        ("$.detail.a_b/c", ("detail", "a_b/c")),
        ("$.detail.*", ("detail", "*")),
        ("$.resources[*]", ("resources", "*")),
        ("$[0][1]", (0, 1)),
    ],
)
def test_paths_eventbridge_supports(path: str, steps: tuple[str | int, ...]) -> None:
    assert parse_path(path) == steps
    validate_target_input(TargetInput(input_path=path), target_id="t")


@pytest.mark.parametrize(
    "template",
    ["instance <instance> is in <state>", "{<instance>: 1}", '{"a": <instance> <state>}', '"unterminated <state>', ""],
)
def test_a_template_that_cannot_render_to_json(template: str) -> None:
    message = refusal(transformer(template, EC2_PATHS), "t3")
    if template:
        assert message == "Input for target t3 is not a valid JSON text."
    else:
        assert message == (
            "1 validation error detected: Value '' at 'targets.1.member.inputTransformer.inputTemplate' "
            "failed to satisfy constraint: Member must have length greater than or equal to 1"
        )


def test_the_models_lengths() -> None:
    assert refusal(TargetInput(input=" " * (INPUT_LIMIT - 1) + "1" + " ")) == (
        f"1 validation error detected: Value '{' ' * (INPUT_LIMIT - 1)}1 ' at 'targets.1.member.input' "
        "failed to satisfy constraint: Member must have length less than or equal to 8192"
    )
    validate_target_input(TargetInput(input=" " * (INPUT_LIMIT - 1) + "1"), target_id="t")
    long_path = "$." + "a" * (INPUT_PATH_LIMIT - 1)
    assert refusal(TargetInput(input_path=long_path)).endswith(
        "at 'targets.1.member.inputPath' failed to satisfy constraint: Member must have length less than or equal to 256"
    )
    validate_target_input(TargetInput(input_path=long_path[:-1]), target_id="t")
    long_template = '"' + "x" * (INPUT_TEMPLATE_LIMIT - 1) + '"'
    with pytest.raises(TargetInputError, match="inputTemplate' failed to satisfy constraint: Member must have length less"):
        validate_target_input(
            TargetInput(input_transformer=InputTransformer(input_template=long_template)), target_id="t", index=1
        )
    validate_target_input(transformer(long_template[:-2] + '"'), target_id="t")


def test_the_paths_map_holds_at_most_100_keys_named_by_the_models_pattern() -> None:
    paths = {f"k{i}": "$.id" for i in range(INPUT_PATHS_LIMIT)}
    validate_target_input(transformer('"x"', paths), target_id="t")
    message = refusal(transformer('"x"', {**paths, "k100": "$.id"}))
    assert message.startswith("1 validation error detected: Value '{k0=$.id, k1=$.id, ")
    assert message.endswith(
        "at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Member must have length less than or equal to 100"
    )
    with pytest.raises(TargetInputError) as refused:
        validate_target_input(
            transformer('"<aws.events.rule-name>"', {"aws.events.rule-name": "$.id", "": "$"}), target_id="t", index=3
        )
    assert str(refused.value) == (
        "3 validation errors detected: Value 'aws.events.rule-name' at 'targets.3.member.inputTransformer.inputPathsMap' "
        "failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
        "[A-Za-z0-9\\_\\-]+]; Value '' at 'targets.3.member.inputTransformer.inputPathsMap' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length greater than or equal to 1]; Value '' at "
        "'targets.3.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must satisfy regular expression pattern: [A-Za-z0-9\\_\\-]+]"
    )
    assert "Member must have length less than or equal to 256" in refusal(transformer('"x"', {"k" * (PATH_KEY_LIMIT + 1): "$"}))
    assert "Map value must satisfy constraint" in refusal(transformer('"x"', {"k": "$." + "a" * INPUT_PATH_LIMIT}))


def test_the_limits_are_botocores() -> None:
    shapes = service_model("events")["shapes"]
    assert shapes["TargetInput"]["max"] == INPUT_LIMIT
    assert shapes["TargetInputPath"]["max"] == INPUT_PATH_LIMIT
    assert (shapes["TransformerInput"]["min"], shapes["TransformerInput"]["max"]) == (1, INPUT_TEMPLATE_LIMIT)
    assert shapes["TransformerPaths"]["max"] == INPUT_PATHS_LIMIT
    key = shapes["InputTransformerPathKey"]
    assert (key["min"], key["max"], key["pattern"]) == (1, PATH_KEY_LIMIT, PATH_KEY_PATTERN)
    assert shapes["TransformerPaths"]["value"]["shape"] == "TargetInputPath"


def test_from_target_reads_the_api_members() -> None:
    target = {"Id": "1", "Arn": "arn", "InputTransformer": {"InputTemplate": '"<k>"', "InputPathsMap": {"k": "$.id"}}}
    assert TargetInput.from_target(target) == transformer('"<k>"', {"k": "$.id"})
    assert TargetInput.from_target({"Id": "1", "InputPath": "$.detail"}) == TargetInput(input_path="$.detail")
    assert TargetInput.from_target({"Id": "1"}) == TargetInput()


# -- properties -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
events = st.dictionaries(st.text(max_size=8), json_values, max_size=6).map(lambda d: {**d, "detail": d.get("detail", {})})
#: Text that holds no placeholder: every "<" is followed by a character no name has.
plain_text = st.text().map(lambda s: s.replace("<", "< "))


@given(text=plain_text, event=events)
def test_a_template_without_placeholders_renders_to_itself(text: str, event: dict[str, Any]) -> None:
    template = json.dumps({"k": text, "n": [1, None]}, ensure_ascii=False)
    target_input = transformer(template)
    validate_target_input(target_input, target_id="t")
    assert render_input(target_input, event, rule_arn=RULE_ARN, rule_name="r", ingestion_time=INGESTED) == template.encode()


@given(event=events)
def test_the_event_json_in_a_value_position_round_trips(event: dict[str, Any]) -> None:
    for template in ("<aws.events.event.json>", '{"e": <aws.events.event.json>}'):
        out = json.loads(render(transformer(template), event))
        assert (out if template.startswith("<") else out["e"]) == event


@given(event=events, value=json_values, prefix=plain_text)
def test_an_accepted_template_always_renders_to_json(event: dict[str, Any], value: Any, prefix: str) -> None:
    event = {**event, "detail": {"v": value}}
    quoted_prefix = json.dumps(prefix, ensure_ascii=False)[1:-1]
    template = f'{{"in": "{quoted_prefix}<v>", "at": <v>, "gone": <g>, "gone_in": "<g>", "e": "<aws.events.event>"}}'
    out = json.loads(render(transformer(template, {"v": "$.detail.v", "g": "$.nothing.here"}), event))
    assert out["at"] == value
    assert out["in"] == prefix + (
        value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    )
    assert (out["gone"], out["gone_in"]) == ("", "")
    assert json.loads(out["e"]) == event_without_detail(event)


@given(event=events, path=st.lists(st.text(alphabet="abc-_/", min_size=1, max_size=3) | st.integers(0, 3), max_size=4))
def test_input_path_selects_what_walking_the_event_finds(event: dict[str, Any], path: list[str | int]) -> None:
    text = "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    expected: Any = event
    for step in path:
        in_list = isinstance(step, int) and isinstance(expected, list) and step < len(expected)
        if in_list or (isinstance(step, str) and isinstance(expected, dict) and step in expected):
            expected = expected[step]
        else:
            expected = None
            break
    assert json.loads(render(TargetInput(input_path=text), event)) == expected
