"""How a runtime that goes away, or cannot start, is worded: AWS's texts, word for word.

AWS's answers, as its users have recorded them: ``RequestId: <id> Error: Runtime exited without
providing a reason`` (a runtime that exits with status 0), ``... Runtime exited with error: exit
status N`` (any other status), both ``Runtime.ExitError``, in the init as in the invoke phase;
``... Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]``
(``Runtime.InvalidEntrypoint``) when a custom runtime has no bootstrap.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lambent.model.logs import exit_reason
from lambent.runtimes import Bootstrap, find_bootstrap
from lambent.sandbox.fake import FakeCall, FakeExit, FakeProcess, hang


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (0, "Runtime exited without providing a reason"),
        (1, "Runtime exited with error: exit status 1"),
        (137, "Runtime exited with error: exit status 137"),
        (-9, "Runtime exited with error: signal: killed"),
        (-11, "Runtime exited with error: signal: segmentation fault"),
    ],
)
def test_exit_reasons(status: int, reason: str) -> None:
    assert exit_reason(status) == reason


@pytest.mark.parametrize(
    ("status", "reason"), [(0, "Runtime exited without providing a reason"), (2, "Runtime exited with error: exit status 2")]
)
def test_a_runtime_that_exits_while_invoked(harness: Any, version: Any, make_request: Any, status: int, reason: str) -> None:
    async def scenario() -> None:
        def exits(_call: FakeCall) -> None:
            raise FakeExit(status)

        h = harness(exits)
        invocation = await h.invoker.invoke(version(), make_request(1))
        request_id = make_request(1).request_id
        assert invocation.failure is not None
        assert invocation.failure.document() == {
            "errorMessage": f"RequestId: {request_id} Error: {reason}",
            "errorType": "Runtime.ExitError",
        }
        # AWS logs the error and its type before END, and REPORT says how the environment ended.
        lines = invocation.log.decode().splitlines()
        assert lines[:4] == [
            f"START RequestId: {request_id} Version: $LATEST",
            f"RequestId: {request_id} Error: {reason}",
            "Runtime.ExitError",
            f"END RequestId: {request_id}",
        ]
        assert lines[4].startswith(f"REPORT RequestId: {request_id}\t")
        assert lines[4].endswith("Status: error\tError Type: Runtime.ExitError\t")
        assert h.sink.usage[-1].outcome == "crash" and h.invoker.statistics().environments == 0
        await h.invoker.shutdown()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("status", "reason"), [(0, "Runtime exited without providing a reason"), (3, "Runtime exited with error: exit status 3")]
)
def test_a_runtime_that_exits_in_its_init_names_the_waiting_request(
    harness: Any, version: Any, make_request: Any, status: int, reason: str
) -> None:
    async def scenario() -> None:
        def exits(_process: FakeProcess) -> None:
            raise FakeExit(status)

        h = harness(init=exits)
        invocation = await h.invoker.invoke(version(), make_request(7))
        request_id = make_request(7).request_id
        assert invocation.failure is not None
        assert invocation.failure.document() == {
            "errorMessage": f"RequestId: {request_id} Error: {reason}",
            "errorType": "Runtime.ExitError",
        }
        # As AWS logs it: the init failed, was tried again in the invoke phase, and failed again.
        lines = invocation.log.decode().splitlines()
        assert [line.split("\t", 1)[1] for line in lines[:2]] == [
            "Phase: init\tStatus: error\tError Type: Runtime.ExitError",
            "Phase: invoke\tStatus: error\tError Type: Runtime.ExitError",
        ]
        assert all(line.startswith("INIT_REPORT Init Duration: ") for line in lines[:2])
        assert lines[2:6] == [
            f"START RequestId: {request_id} Version: $LATEST",
            f"RequestId: {request_id} Error: {reason}",
            "Runtime.ExitError",
            f"END RequestId: {request_id}",
        ]
        assert "Init Duration" not in lines[6]  # REPORT: the failed init is in the Duration
        assert len(h.sandbox.processes) == 2
        assert h.sink.usage[-1].outcome == "init_error" and h.invoker.statistics().environments == 0
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_a_custom_runtime_without_bootstrap_never_starts(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness()
        invocation = await h.invoker.invoke(version(runtime="provided.al2023", handler="function.handler"), make_request(2))
        request_id = make_request(2).request_id
        assert invocation.failure is not None
        # The fake sandbox sees the package where it lies (/code/<sha>), as AWS's sees /var/task.
        assert invocation.failure.document() == {
            "errorMessage": f"RequestId: {request_id} Error: Couldn't find valid bootstrap(s): [/code/{'ab' * 32}/bootstrap /opt/bootstrap]",
            "errorType": "Runtime.InvalidEntrypoint",
        }
        block = (
            "INIT_REPORT Init Duration: 0.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.InvalidEntrypoint\n"
            "INIT_REPORT Init Duration: 0.00 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.InvalidEntrypoint\n"
            f"START RequestId: {request_id} Version: $LATEST\n{invocation.failure.message}\nRuntime.InvalidEntrypoint\n"
        )
        assert invocation.log.startswith(f"{block}END RequestId: {request_id}\n".encode())
        assert b"Status: error\tError Type: Runtime.InvalidEntrypoint\t" in invocation.log
        assert h.sandbox.processes == [] and h.invoker.statistics().environments == 0
        await h.invoker.shutdown()

    asyncio.run(scenario())


def _file(path: Path, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)


def test_the_package_bootstrap_comes_first(tmp_path: Path) -> None:
    _file(tmp_path / "task" / "bootstrap", 0o755)
    _file(tmp_path / "opt" / "bootstrap", 0o755)
    found = find_bootstrap(str(tmp_path / "task"), str(tmp_path / "opt"), "/var/task", "/opt")
    assert found == Bootstrap(path="/var/task/bootstrap")


def test_else_the_layers_bootstrap(tmp_path: Path) -> None:
    (tmp_path / "task").mkdir()
    _file(tmp_path / "opt" / "bootstrap", 0o755)
    found = find_bootstrap(str(tmp_path / "task"), str(tmp_path / "opt"), "/var/task", "/opt")
    assert found == Bootstrap(path="/opt/bootstrap")


def test_no_bootstrap_anywhere(tmp_path: Path) -> None:
    (tmp_path / "task").mkdir()
    (tmp_path / "opt" / "bootstrap").mkdir(parents=True)  # a folder is not a bootstrap
    expected = Bootstrap(error="Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")
    assert find_bootstrap(str(tmp_path / "task"), str(tmp_path / "opt"), "/var/task", "/opt") == expected
    assert find_bootstrap(str(tmp_path / "task"), None, "/var/task", "/opt") == expected


@pytest.mark.parametrize("where", ["task", "opt"])
def test_a_bootstrap_that_is_not_executable(tmp_path: Path, where: str) -> None:
    (tmp_path / "task").mkdir(exist_ok=True)
    _file(tmp_path / where / "bootstrap", 0o644)
    seen = "/var/task" if where == "task" else "/opt"
    found = find_bootstrap(str(tmp_path / "task"), str(tmp_path / "opt"), "/var/task", "/opt")
    assert found == Bootstrap(error=f"fork/exec {seen}/bootstrap: permission denied")


def _oom(process: FakeProcess) -> None:
    """The sandbox's OOM killer acted in *process*'s environment (the fake has no memory limit)."""
    process.oom_killed = lambda: True  # type: ignore[method-assign]


def test_killed_by_its_memory_limit_is_out_of_memory(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        def killed(call: FakeCall) -> None:
            _oom(call.process)
            raise FakeExit(-9)

        h = harness(killed)
        invocation = await h.invoker.invoke(version(), make_request(1))
        assert invocation.failure is not None
        assert invocation.failure.document() == {
            "errorMessage": f"RequestId: {make_request(1).request_id} Error: Runtime exited with error: signal: killed",
            "errorType": "Runtime.OutOfMemory",
        }
        assert f"signal: killed\nRuntime.OutOfMemory\nEND RequestId: {make_request(1).request_id}\n".encode() in invocation.log
        assert b"Max Memory Used: 128 MB\tInit Duration" in invocation.log and h.sink.usage[-1].outcome == "out_of_memory"
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_killed_by_its_memory_limit_as_the_deadline_comes_is_out_of_memory(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness(hang)
        task = asyncio.create_task(h.invoker.invoke(version(timeout_s=3), make_request(1)))
        for _ in range(1000):  # yield, never sleeping, until it runs with its deadline armed
            if h.sandbox.processes and h.sandbox.processes[-1].invocations and h.clock.sleepers:
                break
            await asyncio.sleep(0)
        process = h.sandbox.processes[-1]
        _oom(process)
        process.kill()  # the kernel's OOM kill, in the same instant as the deadline
        await h.clock.advance(3)
        invocation = await task
        assert invocation.failure is not None and invocation.failure.error_type == "Runtime.OutOfMemory"
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_a_child_lost_to_the_memory_limit_earlier_does_not_make_a_later_crash_out_of_memory(
    harness: Any, version: Any, make_request: Any
) -> None:
    async def scenario() -> None:
        def handler(call: FakeCall) -> str:
            if call.process.invocations == 1:
                _oom(call.process)  # a child was killed; the runtime lived on and answered
                return "survived"
            raise FakeExit(1)

        h = harness(handler)
        assert (await h.invoker.invoke(version(), make_request(1))).failure is None
        invocation = await h.invoker.invoke(version(), make_request(2))
        assert invocation.failure is not None
        assert invocation.failure.document() == {
            "errorMessage": f"RequestId: {make_request(2).request_id} Error: Runtime exited with error: exit status 1",
            "errorType": "Runtime.ExitError",
        }
        await h.invoker.shutdown()

    asyncio.run(scenario())
