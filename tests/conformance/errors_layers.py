"""Layer versions and their permission policies: errors and RevisionId as AWS answers them.

Sources: the botocore model (Action's pattern ``lambda:GetLayerVersion``); AWS's words as
LocalStack records them against AWS: "Layer version ARN does not exist.", "The statement id (ID)
provided already exists. ...", "Statement ID is not found in resource policy.", and the layer
policy's own RevisionId refusal ("... Call the GetLayerPolicy API ..."), checked after the
statement id on AddLayerVersionPermission and before it on RemoveLayerVersionPermission.
"""

from __future__ import annotations

from typing import Any

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import make_zip

LAYER_ARN = "arn:aws:lambda:us-east-1:000000000000:layer:"
STALE = aws_error(
    412,
    "PreconditionFailedException",
    "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id",
)


def _publish(lam: Any, name: str) -> int:
    return int(lam.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip({"python/x.py": "X = 1\n"})})["Version"])


def _grant(lam: Any, name: str, version: int, sid: str, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = lam.add_layer_version_permission(
        LayerName=name, VersionNumber=version, StatementId=sid, Action="lambda:GetLayerVersion", Principal="*", **extra
    )
    return answer


def test_a_layer_version_that_does_not_exist(lam: Any, fn_name: str) -> None:
    missing = aws_error(404, "ResourceNotFoundException", f"Layer version {LAYER_ARN}{fn_name}:1 does not exist.")
    assert wire_error(lam, lambda: lam.get_layer_version(LayerName=fn_name, VersionNumber=1)) == missing
    assert wire_error(lam, lambda: lam.get_layer_version_policy(LayerName=fn_name, VersionNumber=1)) == missing
    assert wire_error(lam, lambda: _grant(lam, fn_name, 1, "s")) == missing
    assert (
        wire_error(lam, lambda: lam.remove_layer_version_permission(LayerName=fn_name, VersionNumber=1, StatementId="s"))
        == missing
    )


def test_a_version_without_a_policy(lam: Any, fn_name: str) -> None:
    version = _publish(lam, fn_name)
    assert wire_error(lam, lambda: lam.get_layer_version_policy(LayerName=fn_name, VersionNumber=version)) == aws_error(
        404, "ResourceNotFoundException", "No policy is associated with the given resource."
    )


def test_only_get_layer_version_can_be_granted(lam: Any, fn_name: str) -> None:
    version = _publish(lam, fn_name)
    assert wire_error(
        lam,
        lambda: lam.add_layer_version_permission(
            LayerName=fn_name, VersionNumber=version, StatementId="s", Action="lambda:InvokeFunction", Principal="*"
        ),
    ) == aws_error(
        400,
        "ValidationException",
        "1 validation error detected: Value 'lambda:InvokeFunction' at 'action' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: lambda:GetLayerVersion",
    )


def test_statement_ids_and_revisions(lam: Any, fn_name: str) -> None:
    version = _publish(lam, fn_name)
    first = _grant(lam, fn_name, version, "everyone")["RevisionId"]
    policy = lam.get_layer_version_policy(LayerName=fn_name, VersionNumber=version)
    assert policy["RevisionId"] == first

    # A statement id already used is refused before the RevisionId is looked at.
    assert wire_error(lam, lambda: _grant(lam, fn_name, version, "everyone", RevisionId="stale")) == aws_error(
        409,
        "ResourceConflictException",
        "The statement id (everyone) provided already exists. Please provide a new statement id, "
        "or remove the existing statement.",
    )
    assert wire_error(lam, lambda: _grant(lam, fn_name, version, "second", RevisionId="stale")) == STALE
    second = _grant(lam, fn_name, version, "second", RevisionId=first)["RevisionId"]
    assert second != first

    # Removing checks the RevisionId first, then the statement id.
    assert (
        wire_error(
            lam,
            lambda: lam.remove_layer_version_permission(
                LayerName=fn_name, VersionNumber=version, StatementId="nobody", RevisionId=first
            ),
        )
        == STALE
    )
    assert wire_error(
        lam, lambda: lam.remove_layer_version_permission(LayerName=fn_name, VersionNumber=version, StatementId="nobody")
    ) == aws_error(404, "ResourceNotFoundException", "Statement nobody is not found in resource policy.")
    lam.remove_layer_version_permission(LayerName=fn_name, VersionNumber=version, StatementId="second", RevisionId=second)
    assert lam.get_layer_version_policy(LayerName=fn_name, VersionNumber=version)["RevisionId"] not in (first, second)
