"""EventBridge's buses, rules and targets, pure: each step takes a bus and returns the next one
(or AWS's refusal), with AWS's names, ARNs, quotas and messages."""

from __future__ import annotations

import msgspec
import pytest

from lambent.errors import EventsLimitExceeded, EventsResourceNotFound, EventsValidationException, InvalidEventPatternException
from lambent.model.event_bus import (
    RULES_PER_BUS,
    TARGETS_PER_RULE,
    EventBusState,
    EventTarget,
    FailedTarget,
    RulePut,
    bus_arn,
    bus_name,
    delete_rule,
    new_bus,
    put_rule,
    put_targets,
    remove_targets,
    rule_arn,
    rule_of,
    rules_targeting,
    set_rule_state,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
PATTERN = '{"source": ["shop"]}'
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"


def bus(name: str = "default", now: float = 100.0) -> EventBusState:
    return new_bus(REGION, ACCOUNT, name, None, now)


def no_schedule_check(expression: str) -> None:
    pass


def refuse_schedules(expression: str) -> None:
    raise ValueError(f"not a schedule: {expression}")


def no_input_check(target: EventTarget) -> None:
    pass


def put(on: EventBusState, name: str = "r", now: float = 200.0, **fields: str) -> EventBusState:
    request = RulePut(name=name, **({"event_pattern": PATTERN} | fields))
    return put_rule(on, request, ACCOUNT, REGION, now, no_schedule_check)


def target(id: str, arn: str = FUNCTION) -> EventTarget:
    return EventTarget(id=id, arn=arn)


def with_targets(state: EventBusState, rule: str, *targets: EventTarget) -> EventBusState:
    after, failed = put_targets(state, rule, targets, REGION, no_input_check)
    assert failed == []
    return after


# --- names -------------------------------------------------------------------------------------


def test_arns_are_awss() -> None:
    assert bus_arn(REGION, ACCOUNT, "orders") == "arn:aws:events:us-east-1:123456789012:event-bus/orders"
    assert rule_arn(REGION, ACCOUNT, "default", "r") == "arn:aws:events:us-east-1:123456789012:rule/r"
    assert rule_arn(REGION, ACCOUNT, "orders", "r") == "arn:aws:events:us-east-1:123456789012:rule/orders/r"


@pytest.mark.parametrize(
    ("given", "name"),
    [
        (None, "default"),
        ("", "default"),
        ("orders", "orders"),
        ("arn:aws:events:us-east-1:123456789012:event-bus/orders", "orders"),
        ("arn:aws:events:eu-west-2:210987654321:event-bus/default", "default"),
        ("arn:aws-us-gov:events:us-gov-west-1:123456789012:event-bus/gov", "gov"),
        ("arn:aws:events:us-east-1:123456789012:event-bus/aws.partner/saas/1", "aws.partner/saas/1"),
        # Not a bus ARN (no account, a rule): taken as the name it is, for the lookup to refuse.
        ("arn:aws:events:us-east-1::event-bus/orders", "arn:aws:events:us-east-1::event-bus/orders"),
        ("arn:aws:events:us-east-1:123456789012:rule/r", "arn:aws:events:us-east-1:123456789012:rule/r"),
    ],
)
def test_bus_name_takes_a_name_or_a_bus_arn(given: str | None, name: str) -> None:
    assert bus_name(given) == name


def test_a_new_bus_is_empty_and_dated_now() -> None:
    state = new_bus(REGION, ACCOUNT, "orders", "order events", 5.0)
    assert state == EventBusState(
        name="orders",
        arn="arn:aws:events:us-east-1:123456789012:event-bus/orders",
        description="order events",
        creation_time=5.0,
        last_modified_time=5.0,
        rules={},
    )


# --- put_rule ----------------------------------------------------------------------------------


def test_put_rule_creates_an_enabled_rule_made_by_the_account_now() -> None:
    before = bus("orders")
    after = put(before, "r", now=200.0, description="d")
    rule = after.rules["r"]
    assert rule.arn == "arn:aws:events:us-east-1:123456789012:rule/orders/r"
    assert (rule.event_bus_name, rule.state, rule.enabled) == ("orders", "ENABLED", True)
    assert (rule.event_pattern, rule.schedule_expression, rule.description) == (PATTERN, None, "d")
    assert (rule.created_by, rule.created_at, rule.targets) == (ACCOUNT, 200.0, ())
    assert after.last_modified_time == 200.0
    assert before.rules == {}  # the input is never changed


def test_put_rule_again_replaces_settings_but_keeps_targets_creator_and_creation_time() -> None:
    first = with_targets(put(bus(), "r", now=200.0, description="old"), "r", target("t1"))
    again = put_rule(
        first, RulePut(name="r", event_pattern='{"source": ["other"]}'), "999999999999", REGION, 300.0, no_schedule_check
    )
    rule = again.rules["r"]
    assert rule.event_pattern == '{"source": ["other"]}'
    assert rule.description is None  # an omitted member is cleared, as AWS's PutRule says
    assert rule.targets == (target("t1"),)
    assert (rule.created_by, rule.created_at) == (ACCOUNT, 200.0)
    assert again.last_modified_time == 300.0


def test_put_rule_with_a_state_and_without_one() -> None:
    disabled = put(bus(), "r", state="DISABLED")
    assert (disabled.rules["r"].state, disabled.rules["r"].enabled) == ("DISABLED", False)
    assert put(disabled, "r").rules["r"].state == "ENABLED"  # not kept: PutRule replaces the rule
    cloudtrail = put(bus(), "r", state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS").rules["r"]
    assert cloudtrail.enabled


def test_put_rule_needs_a_pattern_or_a_schedule() -> None:
    with pytest.raises(EventsValidationException) as refused:
        put_rule(bus(), RulePut(name="r"), ACCOUNT, REGION, 1.0, no_schedule_check)
    assert refused.value.message == "Parameter(s) EventPattern or ScheduleExpression must be specified."


def test_put_rule_refuses_a_pattern_with_the_matchers_reason() -> None:
    with pytest.raises(InvalidEventPatternException) as refused:
        put(bus(), event_pattern="not json")
    assert refused.value.message.startswith("Event pattern is not valid. Reason: ")
    assert refused.value.error_type == "InvalidEventPatternException"


def test_schedules_are_checked_and_only_on_the_default_bus() -> None:
    scheduled = put_rule(
        bus(), RulePut(name="tick", schedule_expression="rate(5 minutes)"), ACCOUNT, REGION, 1.0, no_schedule_check
    )
    assert scheduled.rules["tick"].schedule_expression == "rate(5 minutes)"
    assert scheduled.rules["tick"].arn == "arn:aws:events:us-east-1:123456789012:rule/tick"
    with pytest.raises(EventsValidationException) as bad:
        put_rule(bus(), RulePut(name="tick", schedule_expression="every day"), ACCOUNT, REGION, 1.0, refuse_schedules)
    assert bad.value.message == "Parameter ScheduleExpression is not valid."
    with pytest.raises(EventsValidationException) as custom:
        put_rule(
            bus("orders"), RulePut(name="tick", schedule_expression="rate(5 minutes)"), ACCOUNT, REGION, 1.0, no_schedule_check
        )
    assert custom.value.message == "ScheduleExpression is supported only on the default event bus."


def test_a_bus_holds_at_most_300_rules_but_a_full_one_still_updates_its_rules() -> None:
    state = bus()
    for number in range(RULES_PER_BUS):
        state = put(state, f"r{number}")
    assert len(state.rules) == 300
    with pytest.raises(EventsLimitExceeded) as full:
        put(state, "one-more")
    assert full.value.message == "The requested resource exceeds the maximum number allowed (300 rules)."
    assert put(state, "r0", description="changed").rules["r0"].description == "changed"


# --- set_rule_state and delete_rule ------------------------------------------------------------


def test_set_rule_state_changes_only_the_state() -> None:
    before = with_targets(put(bus(), "r", description="d"), "r", target("t1"))
    after = set_rule_state(before, "r", "DISABLED")
    assert after.rules["r"] == msgspec.structs.replace(before.rules["r"], state="DISABLED")
    assert (after.rules["r"].state, after.rules["r"].description, after.rules["r"].targets) == ("DISABLED", "d", (target("t1"),))
    assert set_rule_state(after, "r", "ENABLED").rules["r"].state == "ENABLED"
    assert before.rules["r"].state == "ENABLED"


def test_set_rule_state_of_a_missing_rule_names_the_rule_and_the_bus() -> None:
    with pytest.raises(EventsResourceNotFound) as missing:
        set_rule_state(bus("orders"), "nope", "DISABLED")
    assert missing.value.message == "Rule nope does not exist on EventBus orders."
    assert missing.value.error_type == "ResourceNotFoundException"


def test_delete_rule_removes_only_that_rule_and_a_missing_one_is_no_error() -> None:
    state = put(put(bus(), "a"), "b")
    assert set(delete_rule(state, "a", force=False).rules) == {"b"}
    assert delete_rule(state, "gone", force=False) is state


def test_a_rule_with_targets_is_deleted_only_with_force() -> None:
    state = with_targets(put(bus(), "r"), "r", target("t1"))
    with pytest.raises(EventsValidationException) as refused:
        delete_rule(state, "r", force=False)
    assert refused.value.message == "Rule can't be deleted since it has targets."
    assert delete_rule(state, "r", force=True).rules == {}


# --- put_targets and remove_targets ------------------------------------------------------------


def test_put_targets_adds_and_replaces_by_id_in_first_put_order() -> None:
    state = with_targets(put(bus(), "r"), "r", target("a"), target("b"))
    changed = with_targets(state, "r", target("a", FUNCTION + ":live"), target("c"))
    assert changed.rules["r"].targets == (target("a", FUNCTION + ":live"), target("b"), target("c"))
    assert state.rules["r"].targets == (target("a"), target("b"))


def test_put_targets_takes_functions_qualified_or_not() -> None:
    for arn in (FUNCTION, FUNCTION + ":7", FUNCTION + ":$LATEST", FUNCTION + ":live"):
        assert with_targets(put(bus(), "r"), "r", target("t", arn)).rules["r"].targets == (target("t", arn),)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sqs:us-east-1:123456789012:queue",
        "arn:aws:lambda:eu-west-1:123456789012:function:orders",  # another region
        "arn:aws:lambda:us-east-1:123456789012:layer:l",
        # Lambda functions only as their own ARN: not API Gateway's URI for one, nor another partition's.
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations",
        "arn:aws-cn:lambda:us-east-1:123456789012:function:orders",
    ],
)
def test_a_target_that_is_not_a_function_of_the_region_is_refused_alone(arn: str) -> None:
    after, failed = put_targets(put(bus(), "r"), "r", [target("bad", arn), target("good")], REGION, no_input_check)
    assert failed == [
        FailedTarget(
            target_id="bad",
            error_code="ValidationException",
            error_message=f"Target bad: Lambent delivers to Lambda functions of us-east-1 only, and {arn} is not one.",
        )
    ]
    assert after.rules["r"].targets == (target("good"),)


def test_a_bad_input_setting_refuses_the_whole_request() -> None:
    def check_input(checked: EventTarget) -> None:
        if checked.input is not None:
            raise EventsValidationException("Input is not valid JSON.")

    state = put(bus(), "r")
    with pytest.raises(EventsValidationException) as refused:
        put_targets(state, "r", [target("good"), EventTarget(id="bad", arn=FUNCTION, input="{")], REGION, check_input)
    assert refused.value.message == "Input is not valid JSON."
    assert state.rules["r"].targets == ()


def test_a_rule_holds_at_most_five_targets() -> None:
    state = with_targets(put(bus(), "r"), "r", *(target(f"t{n}") for n in range(TARGETS_PER_RULE)))
    assert len(state.rules["r"].targets) == 5
    assert with_targets(state, "r", target("t0", FUNCTION + ":2")).rules["r"].targets[0].arn == FUNCTION + ":2"
    with pytest.raises(EventsLimitExceeded) as full:
        put_targets(state, "r", [target("t5")], REGION, no_input_check)
    assert full.value.message == "The requested resource exceeds the maximum number allowed."


def test_targets_of_a_missing_rule_are_refused() -> None:
    with pytest.raises(EventsResourceNotFound) as missing:
        put_targets(bus(), "nope", [target("t")], REGION, no_input_check)
    assert missing.value.message == "Rule nope does not exist on EventBus default."
    with pytest.raises(EventsResourceNotFound):
        remove_targets(bus(), "nope", ["t"])


def test_remove_targets_keeps_the_others_in_order_and_ignores_unknown_ids() -> None:
    state = with_targets(put(bus(), "r"), "r", target("a"), target("b"), target("c"))
    after, failed = remove_targets(state, "r", ["b", "unknown"])
    assert failed == []
    assert after.rules["r"].targets == (target("a"), target("c"))


def test_rule_of_finds_the_rule_or_refuses() -> None:
    state = put(bus(), "r")
    assert rule_of(state, "r") is state.rules["r"]
    with pytest.raises(EventsResourceNotFound):
        rule_of(state, "R")


# --- rules_targeting ---------------------------------------------------------------------------


def test_rules_targeting_an_arn_are_listed_by_name_and_match_the_arn_exactly() -> None:
    state = bus()
    for name in ("zeta", "alpha", "mid", "other"):
        state = put(state, name)
    state = with_targets(state, "zeta", target("t", FUNCTION))
    state = with_targets(state, "alpha", target("x", FUNCTION + ":live"), target("t", FUNCTION))
    state = with_targets(state, "other", target("t", FUNCTION + ":live"))
    assert rules_targeting(state, FUNCTION) == ["alpha", "zeta"]
    assert rules_targeting(state, FUNCTION + ":live") == ["alpha", "other"]
    assert rules_targeting(state, FUNCTION + ":nope") == []
