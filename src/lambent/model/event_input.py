"""What an EventBridge rule target delivers to its target, and how PutTargets checks it. Pure.

A target carries at most one of ``Input`` (a JSON text, sent as is), ``InputPath`` (a JSON path;
the value it selects is sent), ``InputTransformer`` (an ``InputPathsMap`` of up to 100 keys to JSON
paths, and an ``InputTemplate`` with ``<key>`` placeholders), or none (the whole event is sent).
``validate_target_input`` refuses what PutTargets refuses, in AWS's words; ``render_input`` turns a
matched event into the bytes given to the Lambda invoke. Rule ARN, rule name and ingestion time
are arguments: nothing here reads a clock.

Sources: the EventBridge user guide, "Amazon EventBridge input transformation"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html), the API
reference for ``Target`` and ``InputTransformer`` and botocore's ``events`` model (lengths, the key
pattern). Behaviour the docs leave open is marked *observed* with where it was observed, or
*Lambent's* where this module chose.

What this module does:

- JSON paths are the subset AWS lists: ``$``, dot notation over names of letters, digits, ``-``,
  ``_`` and ``/``, array indices ``[0]``, wildcards ``.*`` and ``[*]``. Quoted bracket notation
  (``$['detail']``), filters, slices, recursive descent and a path not rooted at ``$`` are
  refused: "InputPath for target <id> is invalid." (the words are a third-party preflight rule's
  record; AWS's API reference asks for "JSON dot notation, not bracket notation"). A path with a
  wildcard selects the list of its matches (Goessner's JSONPath; *Lambent's*).
- A template placeholder is ``<name>`` with a name of key characters or dots; any other ``<`` is
  text. A name neither in ``InputPathsMap`` nor predefined is refused: "InputTemplate for target
  <id> contains invalid placeholder <name>." (*observed*: localstack's AWS-recorded snapshot
  ``test_put_events_with_input_transformer_missing_keys``).
- Inside a JSON string a placeholder becomes its value's text (a string as itself, anything else
  as its JSON), escaped so the string stays JSON; elsewhere it becomes its value's JSON. A path
  the event lacks gives empty text in a string and ``""`` elsewhere (*observed*: localstack's
  AWS-recorded ``custom-variables-not-match-all`` snapshots; the guide says the variable "won't
  appear in the output").
- Predefined: ``aws.events.rule-arn``, ``aws.events.rule-name``, ``aws.events.event.ingestion-time``
  (ISO 8601, seconds, ``Z``), ``aws.events.event.json`` (the whole event) and ``aws.events.event``
  (the event without ``detail``, ``detail-type`` named ``detailType``: *observed* in localstack's
  AWS-recorded ``test_input_transformer_predefined_variables``).
- The template, placeholders aside, is kept byte for byte; the guide's examples keep their layout
  though its "common issues" say the JSON is minified (*Lambent's*: a Lambda handler parses it
  either way). A Lambda invoke takes JSON, so a template that cannot render to JSON ("For
  Strings, quotes are required") is refused at PutTargets: "Input for target <id> is not a valid
  JSON text." (AWS's words for a template, awsdocs/aws-cloudformation-user-guide#1010).

What it refuses to model: target-specific shapes (a CloudWatch Logs target's ``timestamp`` and
``message``), cross-account buses, and EC2 Run Command or ECS targets, which get no event at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from lambent.model import constraints

#: botocore's events model: TargetInput, TargetInputPath, TransformerInput, TransformerPaths,
#: InputTransformerPathKey (``model.constraints`` checks them from the model; named here for
#: the tests that pin them to it).
INPUT_LIMIT = 8192
INPUT_PATH_LIMIT = 256
INPUT_TEMPLATE_LIMIT = 8192
INPUT_PATHS_LIMIT = 100
PATH_KEY_LIMIT = 256
PATH_KEY_PATTERN = r"[A-Za-z0-9\_\-]+"

RULE_ARN = "aws.events.rule-arn"
RULE_NAME = "aws.events.rule-name"
INGESTION_TIME = "aws.events.event.ingestion-time"
EVENT = "aws.events.event"
EVENT_JSON = "aws.events.event.json"
PREDEFINED = frozenset({RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON})

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_STEP = re.compile(r"\.([A-Za-z0-9_\-/]+|\*)|\[(\d+|\*)\]")
#: The order AWS lists ``aws.events.event``'s members in (the recorded snapshot).
_EVENT_ORDER = ("id", "account", "detail-type", "time", "source", "region", "resources", "version")
_MISSING: Any = object()


class TargetInputError(ValueError):
    """PutTargets would refuse this target's input; ``str()`` is AWS's message."""

    error_type: ClassVar[str] = "ValidationException"
    status: ClassVar[int] = 400


@dataclass(frozen=True, kw_only=True)
class InputTransformer:
    input_template: str
    input_paths_map: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TargetInput:
    """A target's ``Input``, ``InputPath`` and ``InputTransformer``; none set sends the event."""

    input: str | None = None
    input_path: str | None = None
    input_transformer: InputTransformer | None = None

    @classmethod
    def from_target(cls, target: Mapping[str, Any]) -> TargetInput:
        """The input members of a PutTargets ``Target`` (API member names)."""
        transformer = target.get("InputTransformer")
        return cls(
            input=target.get("Input"),
            input_path=target.get("InputPath"),
            input_transformer=None
            if transformer is None
            else InputTransformer(
                input_template=transformer.get("InputTemplate", ""),
                input_paths_map=dict(transformer.get("InputPathsMap") or {}),
            ),
        )


# -- validation ------------------------------------------------------------------------------


def validate_target_input(target_input: TargetInput, *, target_id: str, index: int = 1) -> None:
    """Raise ``TargetInputError`` as PutTargets answers a target whose input it refuses.

    *index* is the target's 1-based place in the request, as the model's messages name it.
    """
    given = [v for v in (target_input.input, target_input.input_path, target_input.input_transformer) if v is not None]
    if len(given) > 1:
        raise TargetInputError(f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}.")
    problems = _model_violations(target_input, f"targets.{index}.member")
    if problems:
        raise TargetInputError(constraints.summary(problems))
    if target_input.input is not None:
        _check_input_json(target_input.input, target_id)
    if target_input.input_path is not None and parse_path(target_input.input_path) is None:
        raise TargetInputError(f"InputPath for target {target_id} is invalid.")
    transformer = target_input.input_transformer
    if transformer is not None:
        if any(parse_path(p) is None for p in transformer.input_paths_map.values()):
            raise TargetInputError(f"InputPath for target {target_id} is invalid.")
        for name, _ in _placeholders(transformer.input_template):
            if name not in transformer.input_paths_map and name not in PREDEFINED:
                raise TargetInputError(f"InputTemplate for target {target_id} contains invalid placeholder {name}.")
        sample = _fill(transformer.input_template, lambda _name, in_string: "" if in_string else "null")
        if not _is_json(sample):
            raise TargetInputError(f"Input for target {target_id} is not a valid JSON text.")


def _model_violations(target_input: TargetInput, at: str) -> list[str]:
    """What botocore's model of a Target's input members refuses (``model.constraints``)."""
    out: list[str] = []
    if target_input.input is not None:
        out += constraints.shape_violations("TargetInput", target_input.input, f"{at}.input", "events")
    if target_input.input_path is not None:
        out += constraints.shape_violations("TargetInputPath", target_input.input_path, f"{at}.inputPath", "events")
    transformer = target_input.input_transformer
    if transformer is not None:
        document = {"InputPathsMap": dict(transformer.input_paths_map), "InputTemplate": transformer.input_template}
        out += constraints.shape_violations("InputTransformer", document, f"{at}.inputTransformer", "events")
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def _loads(text: str) -> Any:
    # NaN and Infinity are Python's, not JSON's: AWS's parser refuses them.
    return json.loads(text, parse_constant=_reject_constant)


def _is_json(text: str) -> bool:
    try:
        _loads(text)
    except ValueError:
        return False
    return True


def _check_input_json(text: str, target_id: str) -> None:
    try:
        _loads(text)
    except json.JSONDecodeError as bad:
        line, column = bad.lineno, bad.colno
    except ValueError:
        line, column = 1, 1
    else:
        return
    # AWS quotes its (Jackson) parser: "[Source: (String)"env:dev"; line: 1, column: 4]"
    # (aws/aws-cli#6711). The position here is Python's decoder's, which may differ by a column.
    shown = text if len(text) <= 500 else f'{text[:500]}"[truncated {len(text) - 500} chars]'
    raise TargetInputError(
        f'JSON syntax error in input for target {target_id}: [Source: (String)"{shown}"; line: {line}, column: {column}]'
    )


# -- JSON paths ------------------------------------------------------------------------------


def parse_path(path: str) -> tuple[str | int, ...] | None:
    """*path*'s steps (a name, an index, or ``"*"``), or None for a path EventBridge refuses."""
    if not path.startswith("$"):
        return None
    steps: list[str | int] = []
    at = 1
    while at < len(path):
        step = _STEP.match(path, at)
        if step is None:
            return None
        name, index = step.group(1), step.group(2)
        steps.append(name if name is not None else ("*" if index == "*" else int(index)))
        at = step.end()
    return tuple(steps)


def select(event: Any, path: str) -> Any:
    """The value *path* selects in *event*; ``None`` if it selects nothing. A path with a
    wildcard selects the list of what it matches. ``ValueError`` for a refused path."""
    steps = parse_path(path)
    if steps is None:
        raise ValueError(f"not a JSON path EventBridge supports: {path!r}")
    found = _select(event, steps)
    return None if found is _MISSING else found


def _select(value: Any, steps: tuple[str | int, ...]) -> Any:
    for at, step in enumerate(steps):
        if step == "*":
            members = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
            found = (_select(member, steps[at + 1 :]) for member in members)
            return [item for item in found if item is not _MISSING]
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _MISSING
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return _MISSING
            value = value[step]
    return value


# -- templates -------------------------------------------------------------------------------


def _placeholders(template: str) -> Iterator[tuple[str, bool]]:
    """Each placeholder's name, and whether it stands inside a JSON string, in order."""
    for match, in_string in _scan(template):
        yield match.group(1), in_string


def _scan(template: str) -> Iterator[tuple[re.Match[str], bool]]:
    in_string = False
    at = 0
    while at < len(template):
        char = template[at]
        if char == "<":
            match = _PLACEHOLDER.match(template, at)
            if match is not None:
                yield match, in_string
                at = match.end()
                continue
        elif in_string and char == "\\":
            at += 1  # the escaped character cannot end the string
        elif char == '"':
            in_string = not in_string
        at += 1


def _fill(template: str, value_of: Callable[[str, bool], str]) -> str:
    parts: list[str] = []
    last = 0
    for match, in_string in _scan(template):
        parts.append(template[last : match.start()])
        parts.append(value_of(match.group(1), in_string))
        last = match.end()
    parts.append(template[last:])
    return "".join(parts)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else _dumps(value)


def ingestion_timestamp(ingestion_time: datetime) -> str:
    """``aws.events.event.ingestion-time``: ISO 8601 in UTC to the second (a naive time is UTC)."""
    if ingestion_time.tzinfo is not None:
        ingestion_time = ingestion_time.astimezone(UTC)
    return ingestion_time.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_without_detail(event: Mapping[str, Any]) -> dict[str, Any]:
    """``aws.events.event``: the event without ``detail``, ``detail-type`` as ``detailType``."""
    keys = [k for k in _EVENT_ORDER if k in event] + [k for k in event if k not in _EVENT_ORDER]
    return {("detailType" if k == "detail-type" else k): event[k] for k in keys if k != "detail"}


def render_input(
    target_input: TargetInput,
    event: Mapping[str, Any],
    *,
    rule_arn: str,
    rule_name: str,
    ingestion_time: datetime,
) -> bytes:
    """The payload (UTF-8 JSON) a target with *target_input* is invoked with for *event*.

    *target_input* is one ``validate_target_input`` accepted. A missing ``InputPath`` value is
    sent as ``null`` (AWS does not say; *Lambent's*).
    """
    if target_input.input is not None:
        return target_input.input.encode()
    if target_input.input_path is not None:
        return _dumps(select(event, target_input.input_path)).encode()
    transformer = target_input.input_transformer
    if transformer is None:
        return _dumps(event).encode()
    predefined: dict[str, Any] = {
        RULE_ARN: rule_arn,
        RULE_NAME: rule_name,
        INGESTION_TIME: ingestion_timestamp(ingestion_time),
        EVENT: event_without_detail(event),
        EVENT_JSON: event,
    }
    values: dict[str, Any] = {}
    for key, path in transformer.input_paths_map.items():
        steps = parse_path(path)
        values[key] = _MISSING if steps is None else _select(event, steps)

    def value_of(name: str, in_string: bool) -> str:
        value = predefined[name] if name in predefined else values.get(name, _MISSING)
        if value is _MISSING:
            return "" if in_string else '""'
        return _dumps(_as_text(value))[1:-1] if in_string else _dumps(value)

    return _fill(transformer.input_template, value_of).encode()
