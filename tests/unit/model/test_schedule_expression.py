"""Schedule expressions: AWS's documented examples fire when the docs say, refusals name the part
refused, L/W/#/year are AWS's, DST follows AWS's rule (a skipped slot is dropped, a repeated one
fires once) over America/New_York's and Europe/London's 2026 changes, and generated expressions'
slots agree with a brute-force reading of the fields written here without croniter."""

from __future__ import annotations

import calendar
import collections
import functools
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambent.errors import InvalidScheduleExpression, InvalidTimezone
from lambent.model.schedule_expression import (
    RULE_MESSAGE,
    At,
    Cron,
    Rate,
    flexible_offset,
    next_fire,
    occurrences,
    parse,
    parse_rule_expression,
    zone,
)

NY = "America/New_York"
LONDON = "Europe/London"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def fires(expression: str, after: datetime, count: int, **kwargs: object) -> list[datetime]:
    slots = occurrences(parse(expression), after, after + timedelta(days=3660), **kwargs)  # type: ignore[arg-type]
    return [slot for slot, _ in zip(slots, range(count), strict=False)]


# -- AWS's examples (eb-cron-expressions.html, UTC) ---------------------------------------------


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # "Run at 10:00 am (UTC+0) every day": strictly after, so 10:00 itself is tomorrow's.
        ("cron(0 10 * * ? *)", utc(2026, 1, 1, 10), [utc(2026, 1, 2, 10), utc(2026, 1, 3, 10)]),
        ("cron(15 12 * * ? *)", utc(2026, 1, 1), [utc(2026, 1, 1, 12, 15), utc(2026, 1, 2, 12, 15)]),
        # 6:00 pm Monday through Friday: Friday 2 January 2026, then Monday the 5th.
        ("cron(0 18 ? * MON-FRI *)", utc(2026, 1, 2, 18), [utc(2026, 1, 5, 18), utc(2026, 1, 6, 18)]),
        ("cron(0 8 1 * ? *)", utc(2026, 1, 1, 8), [utc(2026, 2, 1, 8), utc(2026, 3, 1, 8)]),
        ("cron(0/15 * * * ? *)", utc(2026, 1, 1, 10, 7), [utc(2026, 1, 1, 10, 15), utc(2026, 1, 1, 10, 30)]),
        ("cron(0/10 * ? * MON-FRI *)", utc(2026, 1, 2, 23, 55), [utc(2026, 1, 5, 0, 0), utc(2026, 1, 5, 0, 10)]),
        ("cron(0/5 8-17 ? * MON-FRI *)", utc(2026, 1, 5, 17, 55), [utc(2026, 1, 6, 8, 0), utc(2026, 1, 6, 8, 5)]),
        # "Run at 9:00 am (UTC) the first Monday of each month".
        ("cron(0 9 ? * 2#1 *)", utc(2026, 1, 1), [utc(2026, 1, 5, 9), utc(2026, 2, 2, 9), utc(2026, 3, 2, 9)]),
        # The last Friday of each month.
        ("cron(15 10 ? * 6L *)", utc(2026, 1, 1), [utc(2026, 1, 30, 10, 15), utc(2026, 2, 27, 10, 15), utc(2026, 3, 27, 10, 15)]),
        ("cron(0 23 L * ? *)", utc(2028, 2, 1), [utc(2028, 2, 29, 23), utc(2028, 3, 31, 23)]),
        # Accepted by AWS (localstack/localstack#13572); croniter alone reads 8-8 as every hour.
        ("cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)", utc(2026, 1, 4), [utc(2026, 1, 5, 8, m) for m in range(3)]),
        ("cron(30-30 13-13 ? * 2,4,6 *)", utc(2026, 1, 1), [utc(2026, 1, 2, 13, 30), utc(2026, 1, 5, 13, 30)]),
        ("cron(1-31/30 1-1 ? * 1,7 *)", utc(2026, 1, 1), [utc(2026, 1, 3, 1, 1), utc(2026, 1, 3, 1, 31), utc(2026, 1, 4, 1, 1)]),
        # Quartz's forms AWS also shows elsewhere: */n, names in any case, a list of months.
        ("cron(*/20 0 1 jan,Jul ? *)", utc(2026, 1, 1, 0, 30), [utc(2026, 1, 1, 0, 40), utc(2026, 7, 1, 0, 0)]),
    ],
)
def test_documented_examples_fire_when_aws_says(expression: str, after: datetime, expected: list[datetime]) -> None:
    assert fires(expression, after, len(expected)) == expected


def test_every_five_minutes_of_a_working_day_is_120_slots() -> None:
    day = occurrences(parse("cron(0/5 8-17 ? * MON-FRI *)"), utc(2026, 1, 5), utc(2026, 1, 6))
    assert len(list(day)) == 120


# -- L, W, #, year -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day_of_month", "after", "expected"),
    [
        # 1 August 2026 is a Saturday: W does not go back into July, it takes Monday the 3rd.
        ("1W", utc(2026, 7, 15), date(2026, 8, 3)),
        # 31 May 2026 is a Sunday: not June 1st but Friday the 29th.
        ("31W", utc(2026, 5, 15), date(2026, 5, 29)),
        ("15W", utc(2026, 2, 1), date(2026, 2, 16)),  # Sunday -> Monday
        ("14W", utc(2026, 2, 1), date(2026, 2, 13)),  # Saturday -> Friday
        ("3W", utc(2026, 3, 1), date(2026, 3, 3)),  # a Tuesday is itself
        # April has no 31st, so 31W does not fire in April (as a plain 31 would not).
        ("31W", utc(2026, 4, 1), date(2026, 5, 29)),
        # LW, the last weekday: Saturday 31 January 2026 -> Friday 30th; Saturday 28 February -> 27th.
        ("LW", utc(2026, 1, 1), date(2026, 1, 30)),
        ("LW", utc(2026, 1, 31), date(2026, 2, 27)),
        ("LW", utc(2026, 3, 1), date(2026, 3, 31)),
        ("L", utc(2026, 2, 1), date(2026, 2, 28)),
    ],
)
def test_last_and_nearest_weekday_of_the_month(day_of_month: str, after: datetime, expected: date) -> None:
    slot = next_fire(parse(f"cron(0 12 {day_of_month} * ? *)"), after)
    assert slot is not None and slot.date() == expected and slot.hour == 12


@pytest.mark.parametrize(
    ("day_of_week", "expected"),
    [
        ("L", [date(2026, 1, 3), date(2026, 1, 10)]),  # L alone is day 7, every Saturday
        ("7L", [date(2026, 1, 31), date(2026, 2, 28)]),  # the last Saturday
        ("1L", [date(2026, 1, 25), date(2026, 2, 22)]),  # the last Sunday
        ("FRIL", [date(2026, 1, 30), date(2026, 2, 27)]),
        ("5#5", [date(2026, 1, 29), date(2026, 4, 30)]),  # a fifth Thursday skips months without one
        ("mon#2", [date(2026, 1, 12), date(2026, 2, 9)]),
        ("1", [date(2026, 1, 4), date(2026, 1, 11)]),  # 1 is Sunday, not cron's Monday
        ("SUN-TUE", [date(2026, 1, 4), date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 11)]),
    ],
)
def test_day_of_week_forms(day_of_week: str, expected: list[date]) -> None:
    slots = fires(f"cron(0 12 ? * {day_of_week} *)", utc(2026, 1, 1), len(expected))
    assert [s.date() for s in slots] == expected


def test_years_bound_a_schedule() -> None:
    once = parse("cron(0 0 1 1 ? 2030)")
    assert next_fire(once, utc(2026, 6, 1)) == utc(2030, 1, 1)
    assert next_fire(once, utc(2030, 1, 1)) is None
    assert fires("cron(0 0 1 1 ? 2027,2029-2030)", utc(2026, 1, 1), 5) == [utc(2027, 1, 1), utc(2029, 1, 1), utc(2030, 1, 1)]
    assert fires("cron(0 0 1 1 ? 2026/3)", utc(2026, 1, 1), 3) == [utc(2029, 1, 1), utc(2032, 1, 1), utc(2035, 1, 1)]
    # The last year AWS allows, then nothing; a 1960 start waits for 1970.
    assert next_fire(parse("cron(0 0 * * ? *)"), utc(2199, 12, 31)) is None
    assert next_fire(parse("cron(0 0 * * ? *)"), utc(2199, 12, 30, 1)) == utc(2199, 12, 31)
    assert next_fire(parse("cron(0 0 1 1 ? *)"), utc(1960, 5, 1)) == utc(1970, 1, 1)


def test_a_day_that_never_comes_never_fires() -> None:
    assert next_fire(parse("cron(0 0 30 2 ? *)"), utc(2026, 1, 1)) is None
    assert next_fire(parse("cron(0 0 29 2 ? 2027)"), utc(2026, 1, 1)) is None
    assert next_fire(parse("cron(0 0 29 2 ? *)"), utc(2026, 1, 1)) == utc(2028, 2, 29)


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("cron(0 10 * * * *)", "exactly one of day-of-month and day-of-week must be ?"),
        ("cron(0 10 ? * ? *)", "exactly one of day-of-month and day-of-week must be ?"),
        ("cron(0 10 1 * MON *)", "exactly one of day-of-month and day-of-week must be ?"),
        ("cron(0 10 * * ?)", "cron needs six fields (minutes hours day-of-month month day-of-week year), not 5"),
        ("cron(0 0 10 * * ? *)", "cron needs six fields (minutes hours day-of-month month day-of-week year), not 7"),
        ("cron()", "cron needs six fields (minutes hours day-of-month month day-of-week year), not 0"),
        ("cron(60 10 * * ? *)", "minutes: 60 is outside 0-59"),
        ("cron(0 24 * * ? *)", "hours: 24 is outside 0-23"),
        ("cron(0 10 0 * ? *)", "day-of-month: 0 is outside 1-31"),
        ("cron(0 10 32 * ? *)", "day-of-month: 32 is outside 1-31"),
        ("cron(0 10 * 13 ? *)", "month: 13 is outside 1-12"),
        ("cron(0 10 ? * 0 *)", "day-of-week: 0 is outside 1-7"),  # cron's Sunday is not AWS's
        ("cron(0 10 ? * 8 *)", "day-of-week: 8 is outside 1-7"),
        ("cron(0 10 * * ? 1969)", "year: 1969 is outside 1970-2199"),
        ("cron(0 10 * * ? 2200)", "year: 2200 is outside 1970-2199"),
        ("cron(0 10 ? * 2/2 *)", "day-of-week: / is not allowed here"),
        ("cron(0 10 ? * 2#6 *)", "day-of-week: #6 is not an instance 1-5"),
        ("cron(0 10 ? * 2#1,3#2 *)", "day-of-week: with # the field holds one expression"),
        ("cron(0 10 ? * 2-6L *)", "day-of-week: '2-6' is not a value"),
        ("cron(0 10 L-2 * ? *)", "day-of-month: L and W stand alone (L, LW, nW)"),
        ("cron(0 10 1,LW * ? *)", "day-of-month: L and W stand alone (L, LW, nW)"),
        ("cron(0 10 32W * ? *)", "day-of-month: 32 is outside 1-31"),
        ("cron(0 ? * * ? *)", "hours: ? is allowed only in day-of-month and day-of-week"),
        ("cron(0 10 * FOO ? *)", "month: 'FOO' is not a value"),
        ("cron(0 10 ? * FRI-MON *)", "day-of-week: range FRI-MON runs backwards"),
        ("cron(0 22-2 * * ? *)", "hours: range 22-2 runs backwards"),
        ("cron(0/0 10 * * ? *)", "minutes: '0' is not an increment"),
        ("cron(0/61 10 * * ? *)", "minutes: '61' is not an increment"),
        ("cron(1,,2 10 * * ? *)", "minutes: '' is not a value"),
        ("cron(٣ 10 * * ? *)", "minutes: '٣' is not a value"),
        ("rate(1 minutes)", "the unit is singular when the value is 1 and plural otherwise"),
        ("rate(5 minute)", "the unit is singular when the value is 1 and plural otherwise"),
        ("rate(1 hours)", "the unit is singular when the value is 1 and plural otherwise"),
        ("rate(5 hour)", "the unit is singular when the value is 1 and plural otherwise"),
        ("rate(0 minutes)", "the value must be a positive integer"),
        ("rate(99999999999 days)", "the value is too large"),
        ("rate(-1 minutes)", "expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"),
        ("rate(1.5 hours)", "expected at("),
        ("rate(2 weeks)", "expected at("),
        ("rate(5  minutes)", "expected at("),
        ("Rate(5 minutes)", "expected at("),
        ("cron(0 10 * * ? *) ", "expected at("),
        ("at(2026-02-30T10:00:00)", "2026-02-30T10:00:00 is not a date and time"),
        ("at(2026-01-01 10:00:00)", "expected at("),
        ("at(2026-01-01T10:00)", "expected at("),
        ("", "the expression must be 1-256 characters"),
        ("cron(" + "0," * 126 + "1 * * * ? *)", "the expression must be 1-256 characters"),
    ],
)
def test_refusals_name_the_part_refused(expression: str, reason: str) -> None:
    with pytest.raises(InvalidScheduleExpression) as caught:
        parse(expression)
    assert caught.value.reason.startswith(reason)
    assert caught.value.aws_message == f"Invalid Schedule Expression {expression}."
    assert isinstance(caught.value, ValueError)


def test_parse_records() -> None:
    assert parse("at(2026-06-01T09:30:00)") == At(expression="at(2026-06-01T09:30:00)", when=datetime(2026, 6, 1, 9, 30))
    assert parse("rate(1 minute)").period == timedelta(minutes=1)  # type: ignore[union-attr]
    assert parse("rate(12 hours)") == Rate(expression="rate(12 hours)", value=12, unit="hour")
    assert parse("rate(7 days)").period == timedelta(days=7)  # type: ignore[union-attr]
    cron = parse("cron(0 18 ? * MON-FRI *)")
    assert isinstance(cron, Cron)
    assert cron.fields == ("0", "18", "?", "*", "MON-FRI", "*")
    assert cron.croniter_fields == "0 18 * * 1,2,3,4,5"
    assert cron.years == frozenset(range(1970, 2200))


def test_rules_take_rate_and_cron_only() -> None:
    assert parse_rule_expression("rate(5 minutes)") == parse("rate(5 minutes)")
    assert isinstance(parse_rule_expression("cron(0 20 * * ? *)"), Cron)
    for expression in ("at(2026-06-01T09:30:00)", "cron(0 20 * * * *)", "rate(1 hours)"):
        with pytest.raises(InvalidScheduleExpression) as caught:
            parse_rule_expression(expression)
        assert caught.value.aws_message == RULE_MESSAGE == "Parameter ScheduleExpression is not valid."


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "/etc/localtime", "A" * 51, "America/"])
def test_unknown_time_zones_are_refused(name: str) -> None:
    with pytest.raises(InvalidTimezone):
        zone(name)


def test_known_time_zones() -> None:
    assert zone(None) == ZoneInfo("UTC")
    assert zone("Asia/Kolkata") == ZoneInfo("Asia/Kolkata")
    assert next_fire(parse("cron(0 9 * * ? *)"), utc(2026, 1, 1), timezone="Asia/Kolkata") == utc(2026, 1, 1, 3, 30)


def test_instants_must_be_aware() -> None:
    with pytest.raises(ValueError, match="after must be an aware datetime"):
        next_fire(parse("cron(0 9 * * ? *)"), datetime(2026, 1, 1))


# -- time zones and daylight saving time ----------------------------------------------------------


def test_new_york_spring_forward_drops_the_skipped_slot() -> None:
    # 8 March 2026: 02:00 EST becomes 03:00 EDT; 02:30 does not exist that night.
    assert fires("cron(30 2 * * ? *)", utc(2026, 3, 7), 3, timezone=NY) == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT; the 8th is skipped, not shifted
        utc(2026, 3, 10, 6, 30),
    ]
    quarter_hours = occurrences(parse("cron(0/15 * * * ? *)"), utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 15), timezone=NY)
    assert list(quarter_hours) == [utc(2026, 3, 8, 6, 45), utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 7, 15)]  # 01:45 EST, 03:00 EDT


def test_new_york_fall_back_runs_the_repeated_hour_once() -> None:
    # 1 November 2026: 02:00 EDT becomes 01:00 EST; 01:00-01:59 happens twice.
    half_hours = occurrences(parse("cron(0/30 * * * ? *)"), utc(2026, 11, 1, 3, 59), utc(2026, 11, 1, 8), timezone=NY)
    assert list(half_hours) == [
        utc(2026, 11, 1, 4, 0),  # 00:00 EDT
        utc(2026, 11, 1, 4, 30),
        utc(2026, 11, 1, 5, 0),  # 01:00 EDT, the first 01:00
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 7, 0),  # 02:00 EST: the second 01:00 and 01:30 are not repeated
        utc(2026, 11, 1, 7, 30),
        utc(2026, 11, 1, 8, 0),
    ]
    daily = parse("cron(30 1 * * ? *)")
    assert next_fire(daily, utc(2026, 11, 1), timezone=NY) == utc(2026, 11, 1, 5, 30)
    # Asked during the second 01:xx, the next run is tomorrow's, not a repeat.
    assert next_fire(daily, utc(2026, 11, 1, 6, 10), timezone=NY) == utc(2026, 11, 2, 6, 30)


def test_london_changes_of_2026() -> None:
    # 29 March: 01:00 GMT becomes 02:00 BST; 25 October: 02:00 BST becomes 01:00 GMT.
    assert fires("cron(30 1 * * ? *)", utc(2026, 3, 28), 2, timezone=LONDON) == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30)]
    assert fires("cron(30 1 * * ? *)", utc(2026, 10, 24, 12), 2, timezone=LONDON) == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
    ]
    # A slot outside the changed hour keeps its wall-clock time across the change.
    assert fires("cron(0 9 ? * SUN *)", utc(2026, 3, 21), 2, timezone=LONDON) == [utc(2026, 3, 22, 9), utc(2026, 3, 29, 8)]


def test_at_is_read_in_the_schedule_zone() -> None:
    assert next_fire(parse("at(2026-07-01T09:00:00)"), utc(2026, 1, 1), timezone=NY) == utc(2026, 7, 1, 13)
    # In the spring gap, when the clock would have shown it (03:30 EDT); in the repeated hour, the first.
    assert next_fire(parse("at(2026-03-08T02:30:00)"), utc(2026, 1, 1), timezone=NY) == utc(2026, 3, 8, 7, 30)
    assert next_fire(parse("at(2026-11-01T01:30:00)"), utc(2026, 1, 1), timezone=NY) == utc(2026, 11, 1, 5, 30)


def test_at_past_future_and_ignored_bounds() -> None:
    once = parse("at(2026-06-01T12:00:00)")
    assert next_fire(once, utc(2026, 6, 1, 11, 59)) == utc(2026, 6, 1, 12)
    assert next_fire(once, utc(2026, 6, 1, 12)) is None
    # "EventBridge Scheduler ignores StartDate [and EndDate] for one-time schedules."
    assert next_fire(once, utc(2026, 1, 1), start=utc(2027, 1, 1), end=utc(2026, 2, 1)) == utc(2026, 6, 1, 12)


# -- rate anchors, start and end ----------------------------------------------------------------


def test_rate_slots_count_from_the_anchor() -> None:
    every5 = parse("rate(5 minutes)")
    anchor = utc(2026, 1, 1, 0, 2)
    assert next_fire(every5, utc(2025, 12, 31), anchor=anchor) == anchor  # it "starts invoking immediately"
    assert next_fire(every5, anchor, anchor=anchor) == utc(2026, 1, 1, 0, 7)
    assert next_fire(every5, utc(2026, 1, 1, 0, 10), anchor=anchor) == utc(2026, 1, 1, 0, 12)
    assert next_fire(every5, utc(2026, 1, 1, 0, 12), anchor=anchor) == utc(2026, 1, 1, 0, 17)
    # A StartDate is the anchor when no other is given.
    assert next_fire(every5, utc(2026, 1, 1), start=anchor) == anchor
    with pytest.raises(ValueError, match="anchor"):
        next_fire(every5, utc(2026, 1, 1))


def test_rate_days_are_24_hours_across_dst() -> None:
    # "days represents a 24-hour duration": the wall-clock hour moves, the interval does not.
    daily = parse("rate(1 day)")
    slots = occurrences(daily, utc(2026, 3, 7), utc(2026, 3, 10), timezone=NY, anchor=utc(2026, 3, 6, 15))
    assert list(slots) == [utc(2026, 3, 7, 15), utc(2026, 3, 8, 15), utc(2026, 3, 9, 15)]


def test_start_and_end_are_inclusive() -> None:
    daily = parse("cron(0 10 * * ? *)")
    end = utc(2026, 1, 3, 10)
    assert next_fire(daily, utc(2026, 1, 2, 10), end=end) == end
    assert next_fire(daily, end, end=end) is None
    assert next_fire(daily, utc(2026, 1, 1), start=utc(2026, 2, 1, 10)) == utc(2026, 2, 1, 10)
    assert next_fire(daily, utc(2026, 1, 1), start=utc(2026, 2, 1, 10, 1)) == utc(2026, 2, 2, 10)
    hourly = parse("rate(1 hour)")
    assert list(occurrences(hourly, utc(2026, 1, 1), utc(2026, 1, 2), start=utc(2026, 1, 1, 21), end=utc(2026, 1, 1, 23))) == [
        utc(2026, 1, 1, 21),
        utc(2026, 1, 1, 22),
        utc(2026, 1, 1, 23),
    ]


def test_occurrences_catch_up_missed_slots() -> None:
    missed = occurrences(parse("cron(0 */6 * * ? *)"), utc(2026, 1, 1, 1), utc(2026, 1, 2, 6))
    assert list(missed) == [utc(2026, 1, 1, 6), utc(2026, 1, 1, 12), utc(2026, 1, 1, 18), utc(2026, 1, 2), utc(2026, 1, 2, 6)]


# -- FlexibleTimeWindow -------------------------------------------------------------------------


def test_flexible_offset_is_deterministic_and_in_the_window() -> None:
    slot = utc(2026, 1, 1, 10)
    offset = flexible_offset("default/nightly", slot, 15)
    assert offset == flexible_offset("default/nightly", slot, 15)
    assert offset == flexible_offset("default/nightly", slot.astimezone(ZoneInfo(NY)), 15)  # the instant, not its zone
    assert timedelta(0) <= offset < timedelta(minutes=15) and offset.microseconds == 0
    # 1000 schedules due together spread over the window: about 100 in each of its 10 minutes.
    per_minute = collections.Counter(flexible_offset(f"default/s{i}", slot, 10) // timedelta(minutes=1) for i in range(1000))
    assert sorted(per_minute) == list(range(10)) and all(60 < n < 140 for n in per_minute.values())
    assert len({flexible_offset("default/nightly", slot + timedelta(days=d), 60) for d in range(50)}) > 40
    for bad in (0, 1441):
        with pytest.raises(ValueError):
            flexible_offset("k", slot, bad)


# -- properties against a brute-force reading of the fields --------------------------------------

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@functools.cache
def _set(text: str, low: int, high: int, names: tuple[str, ...] = ()) -> frozenset[int]:
    def value(t: str) -> int:
        return names.index(t.upper()) + low if t.upper() in names else int(t)

    out: set[int] = set()
    for item in text.split(","):
        span, _, step = item.partition("/")
        if span in ("*", "?"):
            a, b = low, high
        elif "-" in span:
            a, b = map(value, span.split("-"))
        else:
            a = value(span)
            b = high if step else a
        out.update(range(a, b + 1, int(step or 1)))
    return frozenset(out)


def _aws_weekday(d: date) -> int:
    return (d.weekday() + 1) % 7 + 1  # Sunday 1 ... Saturday 7


def _day_matches(dom: str, dow: str, d: date) -> bool:
    last = calendar.monthrange(d.year, d.month)[1]
    if dom != "?":
        if dom == "L":
            return d.day == last
        if dom.endswith("W"):
            n = last if dom == "LW" else int(dom[:-1])
            if n > last:
                return False
            candidates = [c for c in range(max(1, n - 2), min(last, n + 2) + 1) if _aws_weekday(d.replace(day=c)) not in (1, 7)]
            return d.day == min(candidates, key=lambda c: (abs(c - n), c))
        return d.day in _set(dom, 1, 31)
    if dow == "L":
        return _aws_weekday(d) == 7
    if "#" in dow:
        day, nth = dow.split("#")
        return _aws_weekday(d) == min(_set(day, 1, 7, DAY_NAMES)) and (d.day - 1) // 7 + 1 == int(nth)
    if dow.endswith("L"):
        return _aws_weekday(d) == min(_set(dow[:-1], 1, 7, DAY_NAMES)) and d.day + 7 > last
    return _aws_weekday(d) in _set(dow, 1, 7, DAY_NAMES)


def _matches(fields: tuple[str, ...], wall: datetime) -> bool:
    minutes, hours, dom, month, dow, year = fields
    return (
        wall.second == 0
        and wall.minute in _set(minutes, 0, 59)
        and wall.hour in _set(hours, 0, 23)
        and wall.month in _set(month, 1, 12, MONTH_NAMES)
        and wall.year in _set(year, 1970, 2199)
        and _day_matches(dom, dow, wall.date())
    )


def _numeric(low: int, high: int, names: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    text = st.one_of(value.map(str), value.map(lambda v: names[v - low])) if names else value.map(str)
    span = st.builds(lambda a, b: f"{min(a, b)}-{max(a, b)}", value, value)
    steps = st.builds(lambda a, s: f"{a}/{s}", st.sampled_from(["*", str(low), str(low + 1)]), st.integers(1, high))
    item = st.one_of(text, span, steps) if names is not DAY_NAMES else st.one_of(text, span)
    return st.one_of(st.just("*"), st.lists(item, min_size=1, max_size=3).map(",".join))


DAY_FIELDS = st.one_of(
    st.tuples(st.one_of(_numeric(1, 31), st.sampled_from(["L", "LW", "1W", "15W", "30W", "31W"])), st.just("?")),
    st.tuples(
        st.just("?"),
        st.one_of(_numeric(1, 7, DAY_NAMES), st.sampled_from(["L", "6L", "1L", "2#1", "5#5", "FRI#3", "7#2"])),
    ),
)
CRONS = st.builds(
    lambda mi, h, days, mo, y: (mi, h, days[0], mo, days[1], y),
    _numeric(0, 59),
    _numeric(0, 23),
    DAY_FIELDS,
    _numeric(1, 12, MONTH_NAMES),
    st.one_of(st.just("*"), st.sampled_from(["2026", "2026-2027", "2025,2028", "2026/2"])),
)
AFTER = st.datetimes(datetime(2025, 6, 1), datetime(2027, 6, 1), timezones=st.just(UTC))


def _midnight(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time(), UTC)


def _assert_nothing_matches(fields: tuple[str, ...], after: datetime, before: datetime) -> None:
    """No slot in (after, before): minute by minute on the first and last days, day by day between."""
    minute = (after + timedelta(minutes=1)).replace(second=0, microsecond=0)
    while minute < min(before, _midnight(after.date() + timedelta(days=1))):
        assert not _matches(fields, minute.replace(tzinfo=None)), minute
        minute += timedelta(minutes=1)
    day = after.date() + timedelta(days=1)
    while day < before.date():
        wall = datetime.combine(day, datetime.min.time())
        on_day = _day_matches(fields[2], fields[4], day) and day.month in _set(fields[3], 1, 12, MONTH_NAMES)
        assert not (on_day and wall.year in _set(fields[5], 1970, 2199)), day
        day += timedelta(days=1)
    minute = max(minute, _midnight(before.date()))
    while minute < before:
        assert not _matches(fields, minute.replace(tzinfo=None)), minute
        minute += timedelta(minutes=1)


@settings(max_examples=200, deadline=None)
@given(CRONS, AFTER)
def test_next_fire_is_the_first_matching_minute_after(fields: tuple[str, ...], after: datetime) -> None:
    slot = next_fire(parse(f"cron({' '.join(fields)})"), after)
    if slot is None:  # then nothing matches for years (the generated years end by 2028)
        _assert_nothing_matches(fields, after, utc(2031, 1, 1))
        return
    assert slot > after and slot.tzinfo == UTC
    assert _matches(fields, slot.replace(tzinfo=None))
    _assert_nothing_matches(fields, after, slot)


@settings(max_examples=100, deadline=None)
@given(CRONS, AFTER, st.integers(1, 3 * 24 * 60))
def test_next_fire_is_monotone_and_matches_in_wall_time(fields: tuple[str, ...], after: datetime, later_minutes: int) -> None:
    cron = parse(f"cron({' '.join(fields)})")
    first, second = next_fire(cron, after, timezone=NY), next_fire(cron, after + timedelta(minutes=later_minutes), timezone=NY)
    if first is None:
        assert second is None
        return
    assert first > after and _matches(fields, first.astimezone(ZoneInfo(NY)).replace(tzinfo=None))
    assert second is None or second >= first


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 500),
    st.sampled_from(["minute", "hour", "day"]),
    AFTER,
    st.datetimes(datetime(2024, 1, 1), datetime(2028, 1, 1), timezones=st.just(UTC)),
)
def test_rate_slots_are_anchor_plus_whole_periods(value: int, unit: str, after: datetime, anchor: datetime) -> None:
    rate = parse(f"rate({value} {unit}{'s' if value > 1 else ''})")
    assert isinstance(rate, Rate)
    slot = next_fire(rate, after, anchor=anchor)
    assert slot is not None and slot > after and slot >= anchor
    assert (slot - anchor) % rate.period == timedelta(0)
    assert slot == anchor or slot - rate.period <= after


def test_a_year_of_half_hours_in_new_york_loses_only_the_skipped_hour() -> None:
    year = list(occurrences(parse("cron(0/30 * * * ? *)"), utc(2026, 1, 1, 4, 59), utc(2027, 1, 1, 4, 59), timezone=NY))
    assert all(a < b for a, b in itertools.pairwise(year))
    # 365 days of 48, less 02:00 and 02:30 on 8 March; 1 November's repeated 01:00 and 01:30 run once.
    assert len(year) == 365 * 48 - 2
