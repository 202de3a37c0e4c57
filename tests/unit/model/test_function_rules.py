"""Function records and the rules AWS applies to them (lambent.model.function)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import InvalidParameterValueException
from lambent.model.function import (
    RESERVED_ENVIRONMENT_KEYS,
    FunctionVersion,
    aws_timestamp,
    check_environment,
    check_runtime,
    check_snap_start,
    configuration_document,
    snap_start_supported,
)
from lambent.model.limits import ENVIRONMENT_LIMIT_BYTES

REGION = "eu-central-1"
ACCOUNT = "123456789012"
RESERVED_PREFIX = (
    "Lambda was unable to configure your environment variables because the environment variables you have "
    "provided contains reserved keys that are currently not supported for modification. "
    "Reserved keys used in this request: "
)
TOO_LARGE_PREFIX = (
    "Lambda was unable to configure your environment variables because the environment variables you have "
    "provided exceeded the 4KB limit. String measured: "
)
MANDATORY = "Runtime and Handler are mandatory parameters for functions created with deployment packages."


def refusal(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(InvalidParameterValueException) as caught:
        call(*args)
    return caught.value.message


# --- environment ---------------------------------------------------------------------------


def test_ordinary_environment_passes() -> None:
    check_environment({})
    check_environment({"STAGE": "prod", "AWS_PROFILE_X": "ok", "aws_region": "lowercase is not reserved"})


def test_reserved_key_is_refused() -> None:
    assert refusal(check_environment, {"A": "1", "AWS_REGION": "x"}) == RESERVED_PREFIX + "AWS_REGION"


def test_reserved_keys_are_listed_sorted() -> None:
    variables = {"LAMBDA_TASK_ROOT": "/x", "OK": "1", "_HANDLER": "h", "AWS_ACCESS_KEY_ID": "k"}
    assert refusal(check_environment, variables) == RESERVED_PREFIX + "AWS_ACCESS_KEY_ID, LAMBDA_TASK_ROOT, _HANDLER"


@given(st.sets(st.sampled_from(sorted(RESERVED_ENVIRONMENT_KEYS)), min_size=1))
def test_any_reserved_keys_are_named(keys: set[str]) -> None:
    variables = dict.fromkeys(keys, "v") | {"MINE": "v"}
    assert refusal(check_environment, variables) == RESERVED_PREFIX + ", ".join(sorted(keys))


def test_reserved_keys_are_checked_before_size() -> None:
    message = refusal(check_environment, {"AWS_REGION": "x" * 5000})
    assert message.startswith(RESERVED_PREFIX)


def _one_variable_of(size: int, char: str = "x") -> dict[str, str]:
    """A single variable whose compact JSON ``{"A":"..."}`` is *size* bytes (``char`` is 1 byte)."""
    return {"A": char * (size - len('{"A":""}'))}


def test_exactly_4096_bytes_pass() -> None:
    variables = _one_variable_of(4096)
    assert len(json.dumps(variables, separators=(",", ":")).encode()) == 4096 == ENVIRONMENT_LIMIT_BYTES
    check_environment(variables)


def test_4097_bytes_fail_with_the_measured_string() -> None:
    variables = _one_variable_of(4097)
    measured = '{"A":"' + "x" * (4097 - 8) + '"}'
    assert refusal(check_environment, variables) == TOO_LARGE_PREFIX + measured


def test_size_is_measured_on_compact_json_not_pretty_json() -> None:
    # With ", " and ": " separators this would be 4096 + 2 * 99 bytes; compact it is 4096 exactly.
    variables = {f"K{i:02d}": "" for i in range(99)}
    compact = json.dumps(variables, separators=(",", ":"))
    filler = 4096 - len(compact)
    variables["K00"] = "x" * filler
    assert len(json.dumps(variables, separators=(",", ":"))) == 4096
    check_environment(variables)
    variables["K00"] += "x"
    refusal(check_environment, variables)


def test_size_counts_utf8_bytes() -> None:
    # 4096 characters but more bytes: "é" is two bytes in UTF-8.
    variables = {"A": "é" * (4096 - 8)}
    message = refusal(check_environment, variables)
    assert message == TOO_LARGE_PREFIX + '{"A":"' + "é" * (4096 - 8) + '"}'


@given(st.integers(min_value=8, max_value=6000))
def test_size_limit_boundary(size: int) -> None:
    variables = _one_variable_of(size)
    if size <= 4096:
        check_environment(variables)
    else:
        assert refusal(check_environment, variables).startswith(TOO_LARGE_PREFIX)


# --- runtime and handler -------------------------------------------------------------------

KNOWN = ["nodejs20.x", "python3.11", "python3.12", "python3.13"]


def test_installed_runtime_with_handler_passes() -> None:
    check_runtime("python3.12", "app.handler", ["python3.12", "python3.11"], KNOWN)


def test_unknown_runtime() -> None:
    assert refusal(check_runtime, "cobol85", "app.handler", ["python3.12"], KNOWN) == (
        "Value cobol85 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
        "[nodejs20.x, python3.11, python3.12, python3.13] or be a valid ARN"
    )


def test_runtime_not_installed_names_the_available_ones_sorted() -> None:
    assert refusal(check_runtime, "nodejs20.x", "index.handler", ["python3.12", "python3.11"], KNOWN) == (
        "The runtime parameter of nodejs20.x is not supported by this Lambent server. "
        "Runtimes available here: python3.11, python3.12."
    )


def test_runtime_not_installed_when_none_is() -> None:
    assert refusal(check_runtime, "python3.13", "app.handler", [], KNOWN) == (
        "The runtime parameter of python3.13 is not supported by this Lambent server. Runtimes available here: none."
    )


@pytest.mark.parametrize(("runtime", "handler"), [(None, "app.handler"), ("python3.12", None), ("python3.12", "")])
def test_runtime_and_handler_are_mandatory(runtime: str | None, handler: str | None) -> None:
    assert refusal(check_runtime, runtime, handler, ["python3.12"], KNOWN) == MANDATORY


def test_available_runtimes_may_be_any_iterable() -> None:
    check_runtime("python3.12", "app.handler", iter(["python3.12"]), KNOWN)


# --- configuration document ----------------------------------------------------------------

CODE = b"PK\x05\x06" + bytes(18)
SHA_HEX = hashlib.sha256(CODE).hexdigest()


def version(**changes: object) -> FunctionVersion:
    fields: dict[str, object] = {
        "name": "my-fn",
        "runtime": "python3.12",
        "handler": "app.handler",
        "role": "arn:aws:iam::123456789012:role/r",
        "description": "does things",
        "memory_mb": 256,
        "timeout_s": 30,
        "code_sha256_hex": SHA_HEX,
        "code_size": len(CODE),
        "last_modified": "2024-05-01T12:00:00.123+0000",
        "revision_id": "0d6e6e7c-6e55-4d8d-9c6a-6b2b5c8f0a11",
    }
    fields.update(changes)
    return msgspec.convert(fields, FunctionVersion)


def test_configuration_document_has_every_field() -> None:
    doc = configuration_document(version(), REGION, ACCOUNT)
    assert doc == {
        "FunctionName": "my-fn",
        "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:my-fn",
        "Runtime": "python3.12",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Handler": "app.handler",
        "CodeSize": 22,
        "Description": "does things",
        "Timeout": 30,
        "MemorySize": 256,
        "LastModified": "2024-05-01T12:00:00.123+0000",
        "CodeSha256": base64.b64encode(hashlib.sha256(CODE).digest()).decode(),
        "Version": "$LATEST",
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": "0d6e6e7c-6e55-4d8d-9c6a-6b2b5c8f0a11",
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "RuntimeVersionConfig": {"RuntimeVersionArn": f"arn:aws:lambda:{REGION}::runtime:lambent-python3.12"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/my-fn"},
    }
    assert json.loads(json.dumps(doc)) == doc  # JSON-serialisable as it stands


def test_code_sha256_is_base64_of_the_digest_bytes() -> None:
    doc = configuration_document(version(), REGION, ACCOUNT)
    assert base64.b64decode(doc["CodeSha256"]).hex() == SHA_HEX
    assert len(doc["CodeSha256"]) == 44


def test_published_version_has_a_qualified_arn() -> None:
    doc = configuration_document(version(version="3"), REGION, ACCOUNT)
    assert doc["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:my-fn:3"
    assert doc["Version"] == "3"


def test_optional_members_appear_only_when_set() -> None:
    doc = configuration_document(
        version(
            environment={"STAGE": "prod"},
            kms_key_arn="arn:aws:kms:eu-central-1:123456789012:key/k",
            dead_letter_target_arn="arn:aws:sqs:eu-central-1:123456789012:dlq",
            architectures=["arm64"],
            ephemeral_storage_mb=1024,
        ),
        REGION,
        ACCOUNT,
    )
    assert doc["Environment"] == {"Variables": {"STAGE": "prod"}}
    assert doc["KMSKeyArn"] == "arn:aws:kms:eu-central-1:123456789012:key/k"
    assert doc["DeadLetterConfig"] == {"TargetArn": "arn:aws:sqs:eu-central-1:123456789012:dlq"}
    assert doc["Architectures"] == ["arm64"]
    assert doc["EphemeralStorage"] == {"Size": 1024}
    plain = configuration_document(version(), REGION, ACCOUNT)
    for member in ("Environment", "KMSKeyArn", "DeadLetterConfig", "StateReason", "LastUpdateStatusReason"):
        assert member not in plain


def test_pending_and_in_progress_carry_reasons() -> None:
    doc = configuration_document(version(state="Pending", last_update_status="InProgress"), REGION, ACCOUNT)
    assert (doc["State"], doc["StateReason"], doc["StateReasonCode"]) == (
        "Pending",
        "The function is being created.",
        "Creating",
    )
    assert (doc["LastUpdateStatusReason"], doc["LastUpdateStatusReasonCode"]) == (
        "The function is being created.",
        "Creating",
    )


def test_json_logging_config_carries_levels() -> None:
    doc = configuration_document(version(log_format="JSON", log_group="/custom/group"), REGION, ACCOUNT)
    assert doc["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": "/custom/group",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
    }
    doc = configuration_document(
        version(log_format="JSON", application_log_level="DEBUG", system_log_level="WARN"), REGION, ACCOUNT
    )
    assert doc["LoggingConfig"]["ApplicationLogLevel"] == "DEBUG"
    assert doc["LoggingConfig"]["SystemLogLevel"] == "WARN"


def test_document_does_not_share_mutable_state_with_the_version() -> None:
    stored = version(environment={"K": "v"})
    doc = configuration_document(stored, REGION, ACCOUNT)
    doc["Environment"]["Variables"]["K"] = "changed"
    assert stored.environment == {"K": "v"}


# --- LastModified --------------------------------------------------------------------------


def test_aws_timestamp_format() -> None:
    assert aws_timestamp(datetime(2024, 5, 1, 12, 0, 0, 123_456, tzinfo=UTC)) == "2024-05-01T12:00:00.123+0000"
    assert aws_timestamp(datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)) == "2024-05-01T12:00:00.000+0000"
    assert aws_timestamp(datetime(2024, 5, 1, 12, 0, 0, 999_999, tzinfo=UTC)) == "2024-05-01T12:00:00.999+0000"


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)))
def test_aws_timestamp_shape(moment: datetime) -> None:
    text = aws_timestamp(moment)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000", text)
    parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    assert timedelta(0) <= moment - parsed < timedelta(milliseconds=1)


def test_aws_timestamp_of_a_non_utc_moment_is_converted() -> None:
    moment = datetime(2024, 5, 1, 14, 0, 0, 123_000, tzinfo=timezone(timedelta(hours=2)))
    assert aws_timestamp(moment) == "2024-05-01T12:00:00.123+0000"


@pytest.mark.parametrize(
    ("runtime", "supported"),
    [
        ("python3.12", True),
        ("python3.13", True),
        ("python3.11", False),
        ("java11", True),
        ("java8.al2", False),
        ("dotnet8", True),
        ("nodejs22.x", False),
        ("provided.al2023", False),
    ],
)
def test_snap_start_runtimes_are_aws_s(runtime: str, supported: bool) -> None:
    assert snap_start_supported(runtime) is supported


def test_snap_start_on_another_runtime_is_refused_as_aws_words_it() -> None:
    check_snap_start("nodejs22.x", "None")  # off: any runtime
    with pytest.raises(InvalidParameterValueException) as refused:
        check_snap_start("nodejs22.x", "PublishedVersions")
    assert str(refused.value) == "nodejs22.x is not supported for SnapStart enabled functions."
