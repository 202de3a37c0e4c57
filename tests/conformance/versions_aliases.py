"""PublishVersion, ListVersionsByFunction and aliases, whole bodies.

Sources: the API reference of PublishVersion ("Lambda doesn't publish a version if the
function's configuration and code haven't changed since the last version"), of
ListVersionsByFunction and of AliasConfiguration; botocore's ListFunctions documentation for the
fields a listing leaves out; the AWS CLI's list-versions-by-function example (no State, no
LastUpdateStatus, no RuntimeVersionConfig; ``$LATEST`` listed with its ARN qualified, and each
version with the LastModified of the ``$LATEST`` it was taken from).
"""

from __future__ import annotations

from typing import Any

from tests.fixtures.documents import REVISION, configuration, creating, function_arn, listed_version, normalised
from tests.fixtures.server import create, make_zip

CODE = "def handler(event, context):\n    return 1\n"
FAST = {"Delay": 0.1, "MaxAttempts": 50}


def _published(lam: Any, name: str, **kwargs: Any) -> dict[str, Any]:
    version: dict[str, Any] = lam.publish_version(FunctionName=name, **kwargs)
    lam.get_waiter("published_version_active").wait(FunctionName=name, Qualifier=version["Version"], WaiterConfig=FAST)
    return version


def test_a_configuration_only_change_publishes_a_new_version(lam: Any, fn_name: str) -> None:
    code = make_zip({"app.py": CODE})
    create(lam, fn_name, CODE)
    one = _published(lam, fn_name)
    # AWS answers a publish with the new version being created, as it answers CreateFunction
    assert normalised(one) == creating(configuration(fn_name, code, version="1"))
    again = lam.publish_version(FunctionName=fn_name)  # nothing changed: the last version, as it is now
    assert normalised(again) == configuration(fn_name, code, version="1")
    assert again["RevisionId"] == lam.get_function_configuration(FunctionName=fn_name, Qualifier="1")["RevisionId"]
    assert again["RevisionId"] != one["RevisionId"]  # Pending -> Active drew a new one

    lam.update_function_configuration(FunctionName=fn_name, Description="only this")
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    two = _published(lam, fn_name)
    assert normalised(two) == creating(configuration(fn_name, code, version="2", Description="only this"))
    assert normalised(lam.publish_version(FunctionName=fn_name)) == configuration(
        fn_name, code, version="2", Description="only this"
    )

    assert normalised(lam.list_versions_by_function(FunctionName=fn_name)) == {
        "Versions": [
            listed_version(configuration(fn_name, code, Description="only this")),
            listed_version(configuration(fn_name, code, version="1")),
            listed_version(configuration(fn_name, code, version="2", Description="only this")),
        ]
    }
    assert normalised(lam.get_function_configuration(FunctionName=fn_name, Qualifier="1")) == configuration(
        fn_name, code, version="1"
    )


def test_a_code_change_publishes_a_new_version_with_the_description_asked_for(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    _published(lam, fn_name)
    code = make_zip({"app.py": CODE.replace("1", "2")})
    lam.update_function_code(FunctionName=fn_name, ZipFile=code)
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    two = _published(lam, fn_name, Description="v2")
    assert normalised(two) == creating(configuration(fn_name, code, version="2", Description="v2"))


def _alias(name: str, alias: str, version: str, description: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "AliasArn": function_arn(name, alias),
        "Name": alias,
        "FunctionVersion": version,
        "Description": description,
        "RevisionId": REVISION,
        **extra,
    }


def test_aliases_whole_bodies(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    _published(lam, fn_name)
    lam.update_function_configuration(FunctionName=fn_name, Description="b")
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    _published(lam, fn_name)

    created = lam.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1", Description="first")
    assert normalised(created) == _alias(fn_name, "live", "1", "first")
    assert normalised(lam.get_alias(FunctionName=fn_name, Name="live")) == _alias(fn_name, "live", "1", "first")

    split = {"AdditionalVersionWeights": {"2": 0.25}}
    updated = lam.update_alias(FunctionName=fn_name, Name="live", RoutingConfig=split, RevisionId=created["RevisionId"])
    assert normalised(updated) == _alias(fn_name, "live", "1", "first", RoutingConfig=split)
    assert updated["RevisionId"] != created["RevisionId"]

    lam.create_alias(FunctionName=fn_name, Name="edge", FunctionVersion="$LATEST")
    assert normalised(lam.list_aliases(FunctionName=fn_name)) == {
        "Aliases": [_alias(fn_name, "edge", "$LATEST"), _alias(fn_name, "live", "1", "first", RoutingConfig=split)]
    }


def test_update_code_with_publish_answers_the_new_version(lam: Any, fn_name: str) -> None:
    """UpdateFunctionCode with Publish: the response is the version it published, as
    PublishVersion's would be; ``$LATEST`` carries the same code."""
    create(lam, fn_name, CODE)
    code = make_zip({"app.py": CODE.replace("1", "3")})
    published = lam.update_function_code(FunctionName=fn_name, ZipFile=code, Publish=True)
    assert normalised(published) == creating(configuration(fn_name, code, version="1"))
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    assert normalised(lam.get_function_configuration(FunctionName=fn_name)) == configuration(fn_name, code)
    assert lam.invoke(FunctionName=fn_name, Qualifier="1")["Payload"].read() == b"3"
