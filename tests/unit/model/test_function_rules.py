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

from lambent.errors import InvalidParameterValueException, PreconditionFailedException
from lambent.model.function import (
    RESERVED_ENVIRONMENT_KEYS,
    REVISION_MISMATCH,
    CreateFunctionInput,
    FunctionVersion,
    UpdateFunctionCodeInput,
    UpdateFunctionConfigurationInput,
    aws_timestamp,
    check_environment,
    check_revision,
    check_runtime,
    check_snap_start,
    configuration_document,
    snap_start_supported,
)
from lambent.model.function_update import (
    LayerFields,
    Package,
    check_code_update,
    check_create,
    check_publish,
    code_changes,
    configuration_changes,
    created_version,
    next_version_number,
    published_version,
    replaced,
    same_snapshot,
    unchanged_since,
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
        # AWS's list and order (the runtimes open for new functions), not the model's enum.
        "Value cobol85 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
        "[nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java17, "
        "nodejs16.x, java25, dotnet8, python3.10, java11, python3.11, dotnet6, java21, nodejs18.x, provided.al2, "
        "ruby3.3, ruby3.4, java8.al2, ruby3.2, python3.8, python3.9] or be a valid ARN"
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


# --- requests to versions (lambent.model.function_update) ------------------------------------

MOMENT = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
PACKAGE = Package(sha256_hex="ab" * 32, size=1234, unzipped_size=5678)
INSTALLED = ["python3.12", "nodejs20.x"]
AWS_RUNTIMES = ["nodejs20.x", "python3.12", "python3.13"]


def create_input(**members: object) -> CreateFunctionInput:
    document: dict[str, object] = {
        "FunctionName": "fn",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
        "Runtime": "python3.12",
        "Handler": "app.handler",
        **members,
    }
    return msgspec.convert(document, CreateFunctionInput)


def test_created_version_takes_the_request_the_package_the_layers_the_moment_and_the_id() -> None:
    request = create_input(
        Description="d",
        Timeout=30,
        MemorySize=256,
        Environment={"Variables": {"STAGE": "prod"}},
        Architectures=["arm64"],
        EphemeralStorage={"Size": 1024},
        TracingConfig={"Mode": "Active"},
        DeadLetterConfig={"TargetArn": "arn:aws:sqs:eu-central-1:123456789012:dlq"},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"},
        SnapStart={"ApplyOn": "PublishedVersions"},
    )
    layers = LayerFields(layers=(("arn:aws:lambda:eu-central-1:123456789012:layer:l:1", 10),), opt_key="k")
    made = created_version(request, PACKAGE, layers, MOMENT, "rev-1")
    assert made.name == "fn" and made.version == "$LATEST" and made.revision_id == "rev-1"
    assert made.last_modified == "2026-05-01T12:00:00.123+0000"
    assert (made.runtime, made.handler, made.description, made.timeout_s, made.memory_mb) == (
        "python3.12",
        "app.handler",
        "d",
        30,
        256,
    )
    assert made.environment == {"STAGE": "prod"} and made.architectures == ("arm64",)
    assert made.ephemeral_storage_mb == 1024 and made.tracing_mode == "Active"
    assert made.dead_letter_target_arn == "arn:aws:sqs:eu-central-1:123456789012:dlq"
    assert (made.log_format, made.application_log_level, made.log_group) == ("JSON", "DEBUG", None)
    assert made.snap_start_apply_on == "PublishedVersions"
    assert (made.code_sha256_hex, made.code_size, made.code_unzipped_size) == ("ab" * 32, 1234, 5678)
    assert made.layers == layers.layers and made.opt_key == "k"
    assert made.state == "Active" and made.last_update_status == "Successful"


def test_created_version_defaults_are_aws_defaults() -> None:
    made = created_version(create_input(), PACKAGE, LayerFields(), MOMENT, "rev")
    assert (made.timeout_s, made.memory_mb, made.ephemeral_storage_mb) == (3, 128, 512)
    assert made.architectures == ("x86_64",) and made.environment == {} and made.tracing_mode == "PassThrough"
    assert made.layers == () and made.opt_key is None and made.snap_start_apply_on == "None"


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"Code": {"S3Bucket": "b", "S3Key": "k"}}, "Code.S3Bucket is not supported by Lambent yet."),
        ({"PackageType": "Image"}, "PackageType Image is not supported by Lambent yet."),
        ({"Code": {}}, "Please provide a source for function code."),
        ({"FunctionName": "a:b"}, "Function name a:b is not a plain name."),
        ({"Handler": None}, MANDATORY),
        (
            {"DeadLetterConfig": {"TargetArn": "arn:aws:sns:eu-central-1:123456789012:t"}},
            "The dead-letter target arn:aws:sns:eu-central-1:123456789012:t is not an SQS queue; Lambent sends to SQS only.",
        ),
        ({"Tags": {"lambent:outbound": "maybe"}}, "Tag lambent:outbound must be one of allow, none, not 'maybe'."),
        (
            {"Runtime": "nodejs20.x", "SnapStart": {"ApplyOn": "PublishedVersions"}},
            "nodejs20.x is not supported for SnapStart enabled functions.",
        ),
    ],
)
def test_check_create_refuses_as_aws(members: dict[str, object], message: str) -> None:
    assert refusal(check_create, create_input(**members), INSTALLED, AWS_RUNTIMES) == message


def test_check_create_passes_a_plain_request() -> None:
    check_create(create_input(), INSTALLED, AWS_RUNTIMES)


def update_input(**members: object) -> UpdateFunctionConfigurationInput:
    return msgspec.convert(members, UpdateFunctionConfigurationInput)


def test_configuration_changes_are_exactly_the_members_given() -> None:
    current = version(log_format="JSON", application_log_level="WARN", system_log_level="WARN")
    changes = configuration_changes(
        update_input(Timeout=10, Description="", Environment={"Variables": {}}, LoggingConfig={"LogGroup": "/mine"}),
        current,
        INSTALLED,
        AWS_RUNTIMES,
    )
    assert changes == {
        "timeout_s": 10,
        "description": "",
        "environment": {},
        "log_format": "JSON",
        "log_group": "/mine",
        "application_log_level": "WARN",
        "system_log_level": "WARN",
    }


def test_configuration_changes_of_an_empty_update_are_none() -> None:
    assert configuration_changes(update_input(), version(), INSTALLED, AWS_RUNTIMES) == {}


def test_configuration_changes_map_nested_members_to_fields() -> None:
    changes = configuration_changes(
        update_input(
            EphemeralStorage={"Size": 2048},
            TracingConfig={},
            DeadLetterConfig={},
            SnapStart={"ApplyOn": "PublishedVersions"},
            Runtime="python3.12",
        ),
        version(),
        INSTALLED,
        AWS_RUNTIMES,
    )
    assert changes == {
        "ephemeral_storage_mb": 2048,
        "tracing_mode": "PassThrough",
        "dead_letter_target_arn": None,
        "snap_start_apply_on": "PublishedVersions",
        "runtime": "python3.12",
    }


def test_configuration_changes_check_what_the_version_would_become() -> None:
    snap = version(snap_start_apply_on="PublishedVersions")
    assert refusal(configuration_changes, update_input(Runtime="nodejs20.x"), snap, INSTALLED, AWS_RUNTIMES) == (
        "nodejs20.x is not supported for SnapStart enabled functions."
    )
    assert refusal(
        configuration_changes, update_input(Environment={"Variables": {"AWS_REGION": "x"}}), version(), INSTALLED, AWS_RUNTIMES
    ) == (RESERVED_PREFIX + "AWS_REGION")


def test_code_changes_carry_the_package_the_layers_and_architectures() -> None:
    request = msgspec.convert(
        {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==", "Architectures": ["arm64"]}, UpdateFunctionCodeInput
    )
    assert code_changes(request, PACKAGE, LayerFields(opt_key="o")) == {
        "code_sha256_hex": "ab" * 32,
        "code_size": 1234,
        "code_unzipped_size": 5678,
        "layers": (),
        "opt_key": "o",
        "architectures": ("arm64",),
    }
    assert (
        refusal(check_code_update, msgspec.convert({}, UpdateFunctionCodeInput)) == "Please provide a source for function code."
    )


def test_replaced_is_a_new_revision_at_the_moment() -> None:
    updated = replaced(version(), {"timeout_s": 9}, MOMENT, "rev-2")
    assert (updated.timeout_s, updated.revision_id, updated.last_modified) == (9, "rev-2", "2026-05-01T12:00:00.123+0000")


def test_revision_check_passes_none_and_the_current_and_refuses_others() -> None:
    check_revision(None, "r1")
    check_revision("r1", "r1")
    with pytest.raises(PreconditionFailedException) as refused:
        check_revision("r0", "r1")
    assert refused.value.message == REVISION_MISMATCH


def test_publishing_numbers_and_snapshots() -> None:
    latest = version(description="latest")
    one = published_version(latest, 1, "rev-p")
    assert (one.version, one.revision_id, one.description) == ("1", "rev-p", "latest")
    assert published_version(latest, 2, "r", "mine").description == "mine"
    assert next_version_number(["$LATEST"]) == 1 and next_version_number(["$LATEST", "1", "7"]) == 8
    assert same_snapshot(one, replaced(latest, {}, MOMENT, "other"))
    assert not same_snapshot(one, replaced(latest, {"timeout_s": 99}, MOMENT, "other"))
    assert unchanged_since(one, latest, None) and unchanged_since(one, latest, "latest")
    assert not unchanged_since(one, latest, "new words") and not unchanged_since(None, latest, None)


def test_publish_refuses_another_code_sha() -> None:
    latest = version()
    check_publish(latest, None)
    check_publish(latest, latest.code_sha256)
    assert refusal(check_publish, latest, "AAAA").startswith("CodeSHA256 (AAAA) is different from current CodeSHA256 in $LATEST")
