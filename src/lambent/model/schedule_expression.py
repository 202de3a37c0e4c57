"""Schedule expressions as EventBridge Scheduler and EventBridge rules read them, and when they fire. Pure.

``parse`` reads a Scheduler ``ScheduleExpression`` (1-256 characters, botocore's model) into an
``At``, a ``Rate`` or a ``Cron``; ``parse_rule_expression`` reads a rule's, which AWS allows only
``rate`` and ``cron`` and always evaluates in UTC. Anything else raises ``InvalidScheduleExpression``
naming the part refused; its ``aws_message`` is the wording AWS answers with (Scheduler: "Invalid
Schedule Expression <expression>." as localstack/localstack#9284 quotes it; rules: "Parameter
ScheduleExpression is not valid.", live in winglang/wing#7115).

The syntax is AWS's (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html and
eb-rate-expressions.html):

- ``at(yyyy-mm-ddThh:mm:ss)``, a wall-clock time of the schedule's zone;
- ``rate(value unit)``, value a positive integer, unit minute(s), hour(s) or day(s), singular
  exactly when the value is 1 (``rate(1 hours)`` and ``rate(5 hour)`` are refused);
- ``cron(minutes hours day-of-month month day-of-week year)``: ``, - * /`` everywhere but
  day-of-week, which has no ``/``; ``?`` only in the day fields, and exactly one of them is ``?``;
  months 1-12 or JAN-DEC, days of the week 1-7 or SUN-SAT (1 is Sunday), years 1970-2199. In
  day-of-month ``L`` is the month's last day and ``nW`` the weekday nearest day n; in day-of-week
  ``L`` alone is Saturday (day 7), ``nL`` the month's last day n and ``n#k`` its k-th day n. Each
  of those forms is the whole field ("If you use a '#' character, you can define only one
  expression in the day-of-week field"). ``a/s`` steps from a to the field's end, as in Quartz.

Where AWS's pages are silent this module follows Quartz, whose syntax AWS's is: names are read
case-insensitively, ``LW`` is the month's last weekday, ``nW`` never leaves its month (``1W`` on a
Saturday is Monday the 3rd, ``31W`` on a Sunday Friday the 29th), and Lambent's own choice, like a
plain ``31``, ``nW`` does not fire in a month shorter than n days. Ranges do not wrap (``FRI-MON``
is refused); AWS's examples split such spans in two.

Time. Every instant in and out is an aware datetime, returned in UTC; nothing here reads a clock.
Cron and at() are read in the wall-clock time of ``ScheduleExpressionTimezone`` (an IANA name, UTC
when absent; zoneinfo reads the system's tz database, the one I/O here). Daylight saving time, in
AWS's words (https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst, the guide's
"Daylight savings time" section): "When the time shifts forward in Spring, your schedule
invocation gets skipped if the cron expression falls on a non-existent date and time. When the
time shifts back in the Fall, your schedule runs only once and doesn't repeat its invocation" --
so a cron slot in the gap is dropped and one in the repeated hour fires at its first occurrence.
"days represents a 24-hour duration": rate slots are ``anchor + k * period`` in elapsed time, the
anchor being the schedule's StartDate or, without one, its creation ("If you do not provide a
StartDate ... your schedule starts invoking the target immediately", so k starts at 0). An at()
time in a gap, on which AWS is silent, fires when the clock would have shown it (02:30 on a
spring-forward night is 03:30 daylight time); in a repeated hour, at its first occurrence.

StartDate and EndDate bound recurring schedules, both inclusive ("invocations might occur on, or
after, the StartDate", "might stop on, or before, the EndDate"); "EventBridge Scheduler ignores
StartDate [and EndDate] for one-time schedules". ``flexible_offset`` spreads a slot over a
FlexibleTimeWindow deterministically.

croniter iterates the cron fields, in naive wall-clock time. The translator hands it only
explicit lists of numbers (croniter reads ``8-8`` as ``*``) and the forms it gets right (``L``,
``Ln``, ``n#k``, Sunday renumbered 0); the year field, ``W`` and ``LW``, which it lacks or reads
otherwise, are this module's, as is mapping wall-clock slots to instants.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from croniter import CroniterBadDateError, croniter

from lambent.errors import LambentError

MAX_LENGTH = 256
MAX_TIMEZONE_LENGTH = 50
#: FlexibleTimeWindow.MaximumWindowInMinutes (botocore's model).
MAX_WINDOW_MINUTES = 1440
FIRST_YEAR = 1970
LAST_YEAR = 2199
RULE_MESSAGE = "Parameter ScheduleExpression is not valid."


class InvalidScheduleExpression(LambentError, ValueError):
    """A schedule expression AWS would refuse: ``reason`` names the part, ``aws_message`` is AWS's
    answer. It belongs in errors.py's tree beside SettingsError once a service raises it."""

    def __init__(self, expression: str, reason: str, *, aws_message: str | None = None) -> None:
        super().__init__(f"Invalid schedule expression {expression!r}: {reason}")
        self.expression = expression
        self.reason = reason
        self.aws_message = aws_message or f"Invalid Schedule Expression {expression}."


class InvalidTimezone(LambentError, ValueError):
    """A ScheduleExpressionTimezone that names no IANA time zone."""


class At(msgspec.Struct, frozen=True, kw_only=True):
    expression: str
    #: Naive: a wall-clock time of the schedule's zone.
    when: datetime


class Rate(msgspec.Struct, frozen=True, kw_only=True):
    expression: str
    value: int
    unit: Literal["minute", "hour", "day"]

    @property
    def period(self) -> timedelta:
        return timedelta(**{f"{self.unit}s": self.value})


class Cron(msgspec.Struct, frozen=True, kw_only=True):
    expression: str
    #: The six fields as written.
    fields: tuple[str, str, str, str, str, str]
    #: What croniter iterates: minute hour day-of-month month day-of-week, cron's numbering.
    croniter_fields: str
    years: frozenset[int]
    #: ``nW``: n; ``LW``: "L"; otherwise None (croniter's day-of-month decides).
    nearest_weekday: int | Literal["L"] | None = None


ScheduleExpression = At | Rate | Cron

_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)", re.ASCII)
_RATE = re.compile(r"rate\((\d+) (minute|hour|day)(s?)\)", re.ASCII)
_CRON = re.compile(r"cron\((.*)\)", re.ASCII | re.DOTALL)
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
_UNITS: dict[str, Literal["minute", "hour", "day"]] = {"minute": "minute", "hour": "hour", "day": "day"}


class _Field(NamedTuple):
    name: str
    low: int
    high: int
    names: Mapping[str, int] = {}
    step: bool = True


_MINUTES = _Field("minutes", 0, 59)
_HOURS = _Field("hours", 0, 23)
_DOM = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTHS)
_DOW = _Field("day-of-week", 1, 7, _DAYS, step=False)
_YEAR = _Field("year", FIRST_YEAR, LAST_YEAR)


class _Refused(Exception):
    """Internal: the reason a field is refused, turned into InvalidScheduleExpression by parse."""


def _value(text: str, field: _Field) -> int:
    number = field.names.get(text.upper())
    if number is None:
        if not text.isdigit() or not text.isascii():
            raise _Refused(f"{field.name}: {text!r} is not a value")
        number = int(text)
    if not field.low <= number <= field.high:
        raise _Refused(f"{field.name}: {text} is outside {field.low}-{field.high}")
    return number


def _values(text: str, field: _Field) -> frozenset[int]:
    """The values a field of ``, - * /`` denotes."""
    out: set[int] = set()
    for item in text.split(","):
        span, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not field.step:
                raise _Refused(f"{field.name}: / is not allowed here")
            if not step_text.isdigit() or not step_text.isascii() or not 1 <= int(step_text) <= field.high:
                raise _Refused(f"{field.name}: {step_text!r} is not an increment")
            step = int(step_text)
        if span == "*":
            first, last = field.low, field.high
        elif "-" in span:
            a, _, b = span.partition("-")
            first, last = _value(a, field), _value(b, field)
            if first > last:
                raise _Refused(f"{field.name}: range {span} runs backwards")
        else:
            first = _value(span, field)
            # Quartz's a/s: from a to the field's end; a lone a is itself.
            last = field.high if slash else first
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _listed(values: frozenset[int], field: _Field, shift: int = 0) -> str:
    # "*" for a full field keeps croniter's day-of-month/day-of-week "or" rule out of play.
    if values == frozenset(range(field.low, field.high + 1)):
        return "*"
    return ",".join(str(v + shift) for v in sorted(values))


def _day_of_month(text: str) -> tuple[str, int | Literal["L"] | None]:
    if text in ("?", "*"):
        return "*", None
    upper = text.upper()
    if "L" in upper or "W" in upper:
        if upper == "L":
            return "L", None
        if upper == "LW":
            return "*", "L"
        if upper.endswith("W") and upper[:-1].isdigit():
            return "*", _value(upper[:-1], _DOM)
        raise _Refused("day-of-month: L and W stand alone (L, LW, nW)")
    return _listed(_values(text, _DOM), _DOM), None


def _day_of_week(text: str) -> str:
    """croniter's day-of-week (0 is Sunday) for AWS's (1 is Sunday)."""
    if text in ("?", "*"):
        return "*"
    upper = text.upper()
    if upper == "L":
        return "6"
    if "#" in upper:
        day, _, nth = upper.partition("#")
        if "," in text or "-" in day:
            raise _Refused("day-of-week: with # the field holds one expression")
        if nth not in ("1", "2", "3", "4", "5"):
            raise _Refused(f"day-of-week: #{nth} is not an instance 1-5")
        return f"{_value(day, _DOW) - 1}#{nth}"
    if upper.endswith("L"):
        # Anything but one day before the L (5-6L, 2,6L) is refused by _value.
        return f"L{_value(upper[:-1], _DOW) - 1}"
    return _listed(_values(text, _DOW), _DOW, shift=-1)


def _cron(expression: str, body: str) -> Cron:
    parts = body.split()
    if len(parts) != 6:
        raise _Refused(f"cron needs six fields (minutes hours day-of-month month day-of-week year), not {len(parts)}")
    minutes, hours, dom, month, dow, year = parts
    if (dom == "?") == (dow == "?"):
        raise _Refused("exactly one of day-of-month and day-of-week must be ?")
    for name, text in (("minutes", minutes), ("hours", hours), ("month", month), ("year", year)):
        if "?" in text:
            raise _Refused(f"{name}: ? is allowed only in day-of-month and day-of-week")
    dom_field, nearest = _day_of_month(dom)
    fields = (
        _listed(_values(minutes, _MINUTES), _MINUTES),
        _listed(_values(hours, _HOURS), _HOURS),
        dom_field,
        _listed(_values(month, _MONTH), _MONTH),
        _day_of_week(dow),
    )
    return Cron(
        expression=expression,
        fields=(minutes, hours, dom, month, dow, year),
        croniter_fields=" ".join(fields),
        years=_values(year, _YEAR),
        nearest_weekday=nearest,
    )


def _rate(expression: str, match: re.Match[str]) -> Rate:
    value, unit, plural = int(match[1]), match[2], match[3]
    if value < 1:
        raise _Refused("the value must be a positive integer")
    if (value == 1) == bool(plural):
        raise _Refused("the unit is singular when the value is 1 and plural otherwise")
    try:
        timedelta(**{f"{unit}s": value})  # refused here rather than when it would fire
    except OverflowError:
        raise _Refused("the value is too large") from None
    return Rate(expression=expression, value=value, unit=_UNITS[unit])


def _at(match: re.Match[str]) -> datetime:
    try:
        return datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise _Refused(f"{match[1]} is not a date and time") from None


def parse(expression: str) -> ScheduleExpression:
    """An EventBridge Scheduler ScheduleExpression."""
    if not 1 <= len(expression) <= MAX_LENGTH:
        raise InvalidScheduleExpression(expression, f"the expression must be 1-{MAX_LENGTH} characters")
    try:
        if match := _AT.fullmatch(expression):
            return At(expression=expression, when=_at(match))
        if match := _RATE.fullmatch(expression):
            return _rate(expression, match)
        if match := _CRON.fullmatch(expression):
            return _cron(expression, match[1])
        raise _Refused("expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)")
    except _Refused as refused:
        raise InvalidScheduleExpression(expression, str(refused)) from None


def parse_rule_expression(expression: str) -> Rate | Cron:
    """An EventBridge rule's ScheduleExpression: rate or cron only, evaluated in UTC."""
    try:
        parsed = parse(expression)
    except InvalidScheduleExpression as invalid:
        raise InvalidScheduleExpression(expression, invalid.reason, aws_message=RULE_MESSAGE) from None
    if isinstance(parsed, At):
        raise InvalidScheduleExpression(expression, "rules take rate() or cron(), not at()", aws_message=RULE_MESSAGE)
    return parsed


def zone(name: str | None) -> ZoneInfo:
    """The zone a ScheduleExpressionTimezone names; UTC when there is none."""
    if name is None:
        return ZoneInfo("UTC")
    if not 1 <= len(name) <= MAX_TIMEZONE_LENGTH:
        raise InvalidTimezone(f"Invalid time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTimezone(f"Invalid time zone {name!r}") from None


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return value.astimezone(UTC)


def _instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant the clocks of *tz* show *wall*; in a gap, the pre-transition offset's."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _exists(wall: datetime, tz: ZoneInfo) -> bool:
    return _instant(wall, tz).astimezone(tz).replace(tzinfo=None) == wall


def _nearest_weekday(year: int, month: int, rule: int | Literal["L"]) -> int | None:
    """The day ``nW`` (or ``LW``) picks in a month, never leaving it; None when day n is not in it."""
    last = calendar.monthrange(year, month)[1]
    day = last if rule == "L" else rule
    if day > last:
        return None
    weekday = date(year, month, day).weekday()  # Monday 0
    if weekday == 5:  # Saturday: Friday before, unless that leaves the month
        return day + 2 if day == 1 else day - 1
    if weekday == 6:  # Sunday: Monday after, unless that leaves the month
        return day - 2 if day == last else day + 1
    return day


def _wall_slots(cron: Cron, after: datetime) -> Iterator[datetime]:
    """Naive wall-clock slots of *cron* strictly after naive *after*, in order."""
    last_year = max(cron.years)
    cursor = croniter(cron.croniter_fields, after)
    while True:
        try:
            slot: datetime = cursor.get_next(datetime)
        except CroniterBadDateError:  # e.g. cron(0 0 30 2 ? *): croniter gives up, and so do we
            return
        restart: datetime | None = None
        if slot.year > last_year:
            return
        if slot.year not in cron.years:
            restart = datetime(min(y for y in cron.years if y > slot.year), 1, 1)
        elif cron.nearest_weekday is not None:
            day = _nearest_weekday(slot.year, slot.month, cron.nearest_weekday)
            if day is None or slot.day > day:
                restart = datetime(slot.year + slot.month // 12, slot.month % 12 + 1, 1)
            elif slot.day < day:
                restart = slot.replace(day=day, hour=0, minute=0)
        if restart is None:
            yield slot
        else:
            # A minute early, as croniter's next is strictly after its start.
            cursor = croniter(cron.croniter_fields, restart - timedelta(minutes=1))


def _slots(expression: ScheduleExpression, after: datetime, tz: ZoneInfo, anchor: datetime | None) -> Iterator[datetime]:
    """Every slot of *expression* strictly after *after* (UTC), in order, ignoring Start/EndDate."""
    if isinstance(expression, At):
        when = _instant(expression.when, tz)
        if when > after:
            yield when
    elif isinstance(expression, Rate):
        if anchor is None:
            raise ValueError("a rate() schedule needs its anchor (StartDate or creation time)")
        period = expression.period
        k = 0 if after < anchor else (after - anchor) // period + 1
        try:
            while True:
                yield anchor + k * period
                k += 1
        except OverflowError:  # past year 9999
            return
    else:
        for wall in _wall_slots(expression, after.astimezone(tz).replace(tzinfo=None)):
            if not _exists(wall, tz):  # sprung forward over: skipped
                continue
            instant = _instant(wall, tz)
            # The repeated hour's second pass maps back to the first, already past: runs once.
            if instant > after:
                yield instant


def occurrences(
    expression: ScheduleExpression,
    after: datetime,
    until: datetime,
    *,
    timezone: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    anchor: datetime | None = None,
) -> Iterator[datetime]:
    """The slots in (after, until], in order, within [start, end] for recurring schedules: what a
    scheduler that was down from *after* to *until* missed. Aware datetimes in, UTC out. *anchor*
    (rate only) defaults to *start*."""
    after, until = _aware(after, "after"), _aware(until, "until")
    tz = zone(timezone)
    lower = upper = None
    if not isinstance(expression, At):
        lower = _aware(start, "start") if start is not None else None
        upper = _aware(end, "end") if end is not None else None
    if anchor is not None:
        anchor = _aware(anchor, "anchor")
    elif lower is not None:
        anchor = lower
    if lower is not None and lower > after:
        after = lower - timedelta(microseconds=1)  # start is inclusive
    for slot in _slots(expression, after, tz, anchor):
        if slot > until or (upper is not None and slot > upper):
            return
        yield slot


def next_fire(
    expression: ScheduleExpression,
    after: datetime,
    *,
    timezone: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    anchor: datetime | None = None,
) -> datetime | None:
    """The first slot strictly after *after* (UTC), or None: an at() already past, a slot past
    *end*, a cron whose years are spent. Arguments as ``occurrences``'."""
    forever = datetime.max.replace(tzinfo=UTC)
    return next(occurrences(expression, after, forever, timezone=timezone, start=start, end=end, anchor=anchor), None)


def flexible_offset(schedule_key: str, slot: datetime, window_minutes: int) -> timedelta:
    """How long after *slot* a schedule with a FlexibleTimeWindow of *window_minutes* fires: whole
    seconds in [0, window), from SHA-256 of the key and the slot's UTC instant, so one schedule's
    slot always lands at the same moment (across restarts and replicas) and many schedules due at
    one slot spread evenly. *schedule_key* should name the schedule (group and name)."""
    if not 1 <= window_minutes <= MAX_WINDOW_MINUTES:
        raise ValueError(f"window_minutes must be 1-{MAX_WINDOW_MINUTES}")
    instant = _aware(slot, "slot").isoformat()
    digest = hashlib.sha256(f"{schedule_key}\n{instant}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % (window_minutes * 60))
