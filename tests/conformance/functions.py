"""Functions through their lifecycle, whole bodies: created (Pending), Active, updating
(InProgress), updated (Successful), each with the RevisionId AWS draws for it; and runtimes AWS
no longer lets one create.

Sources: the API reference's FunctionConfiguration; the developer guide's "Lambda function
states" (Pending with "The function is being created." / Creating; an update in progress shows
the same reason and code, as its get-function-configuration example does); botocore's
ListFunctions documentation (the list leaves out State, its reasons, LastUpdateStatus, its
reasons and RuntimeVersionConfig); the runtime-deprecation message as AWS answers it, quoted in
public issues (docs/runtimes.md lists them).
"""

from __future__ import annotations

from typing import Any

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.documents import configuration, creating, listed, listed_version, normalised, updating
from tests.fixtures.server import ROLE, RUNTIME, make_zip

CODE = "def handler(event, context):\n    return 1\n"
FAST = {"Delay": 0.1, "MaxAttempts": 50}


def _create(lam: Any, name: str, code: bytes, **kwargs: Any) -> dict[str, Any]:
    params = {"Runtime": RUNTIME, "Handler": "app.handler", **kwargs}
    result: dict[str, Any] = lam.create_function(FunctionName=name, Role=ROLE, Code={"ZipFile": code}, **params)
    return result


def test_create_answers_pending_then_the_function_is_active_with_a_new_revision(lam: Any, fn_name: str) -> None:
    code = make_zip({"app.py": CODE})
    created = _create(lam, fn_name, code)
    assert normalised(created) == creating(configuration(fn_name, code))

    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    active = lam.get_function_configuration(FunctionName=fn_name)
    assert normalised(active) == configuration(fn_name, code)
    assert active["RevisionId"] != created["RevisionId"]
    assert normalised(lam.get_function(FunctionName=fn_name)) == {
        "Configuration": configuration(fn_name, code),
        "Code": {"RepositoryType": "S3", "Location": "<url>"},
    }
    assert lam.get_function(FunctionName=fn_name)["Configuration"]["RevisionId"] == active["RevisionId"]
    assert normalised(lam.list_versions_by_function(FunctionName=fn_name)) == {
        "Versions": [listed_version(configuration(fn_name, code))]
    }


def test_list_functions_lists_the_subset_aws_lists(lam: Any, fn_name: str) -> None:
    code = make_zip({"app.py": CODE})
    _create(lam, fn_name, code, Publish=True)
    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    pages = lam.get_paginator("list_functions").paginate()
    mine = [normalised(f) for page in pages for f in page["Functions"] if f["FunctionName"] == fn_name]
    assert mine == [listed(configuration(fn_name, code))]


def test_environment_appears_only_when_given(lam: Any, fn_name: str) -> None:
    code = make_zip({"app.py": CODE})
    created = _create(lam, fn_name, code, Environment={"Variables": {"AA": "1"}})
    assert normalised(created) == creating(configuration(fn_name, code, Environment={"Variables": {"AA": "1"}}))
    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    other = f"{fn_name}-none"
    assert "Environment" not in _create(lam, other, code)
    assert "Environment" not in lam.get_function_configuration(FunctionName=other)


def test_update_configuration_is_in_progress_then_successful_each_with_a_new_revision(lam: Any, fn_name: str) -> None:
    code = make_zip({"app.py": CODE})
    _create(lam, fn_name, code)
    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    before = lam.get_function_configuration(FunctionName=fn_name)

    updated = lam.update_function_configuration(FunctionName=fn_name, Description="second", Timeout=5)
    assert normalised(updated) == updating(configuration(fn_name, code, Description="second", Timeout=5))
    assert updated["RevisionId"] != before["RevisionId"]

    lam.get_waiter("function_updated_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    after = lam.get_function_configuration(FunctionName=fn_name)
    assert normalised(after) == configuration(fn_name, code, Description="second", Timeout=5)
    assert after["RevisionId"] not in (updated["RevisionId"], before["RevisionId"])


def test_update_code_is_in_progress_then_successful_each_with_a_new_revision(lam: Any, fn_name: str) -> None:
    _create(lam, fn_name, make_zip({"app.py": CODE}))
    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    before = lam.get_function_configuration(FunctionName=fn_name)

    code = make_zip({"app.py": CODE.replace("1", "2")})
    updated = lam.update_function_code(FunctionName=fn_name, ZipFile=code)
    assert normalised(updated) == updating(configuration(fn_name, code))
    assert updated["RevisionId"] != before["RevisionId"]

    lam.get_waiter("function_updated_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    after = lam.get_function(FunctionName=fn_name)
    assert normalised(after)["Configuration"] == configuration(fn_name, code)
    assert after["Configuration"]["RevisionId"] != updated["RevisionId"]


def test_create_with_publish_answers_version_1_pending(lam: Any, fn_name: str) -> None:
    code = make_zip({"app.py": CODE})
    created = _create(lam, fn_name, code, Publish=True)
    assert normalised(created) == creating(configuration(fn_name, code, version="1"))
    lam.get_waiter("published_version_active").wait(FunctionName=fn_name, Qualifier="1", WaiterConfig=FAST)
    one = lam.get_function_configuration(FunctionName=fn_name, Qualifier="1")
    assert normalised(one) == configuration(fn_name, code, version="1")
    assert one["RevisionId"] != created["RevisionId"]


def test_a_deprecated_runtime_is_refused_from_awss_block_dates(lam: Any, fn_name: str) -> None:
    code = make_zip({"app.py": CODE})
    for runtime, successor in (("python3.7", "python3.15"), ("provided", "provided.al2023")):
        refused = wire_error(lam, lambda runtime=runtime: _create(lam, fn_name, code, Runtime=runtime))
        assert refused == aws_error(
            400,
            "InvalidParameterValueException",
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. "
            f"We recommend you use the new runtime ({successor}) while creating or updating functions.",
        )
    assert "Functions" in lam.list_functions() and fn_name not in {f["FunctionName"] for f in lam.list_functions()["Functions"]}
