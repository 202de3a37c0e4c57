"""A ``Sandbox`` whose environments are in-process fakes, for unit tests of the invoker.

Each "environment" is one asyncio task on the caller's loop that speaks the channel protocol of
the built-in runtime (``runtimes/python/bootstrap.py``) over the socket the platform hands it:
``ready`` or ``init_error`` once, then for each ``invoke`` frame a ``result``. What it does is
decided by callables the test gives: ``init(process)`` and ``handler(call)``, plain or async.

A handler returns the payload (bytes as they are, anything else JSON-encoded), raises an
exception (an error result, as a function's unhandled error), raises ``FakeExit`` (the runtime
exits with that status, so the channel closes), or never returns (``hang``) until the platform
kills the environment. ``call.print`` writes to the environment's log. There are no processes,
threads or timers: given the same calls in the same order, a test sees the same thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from lambent.sandbox import Protection, SandboxSpec

_FRAME = struct.Struct("!II")
_KILLED = -9


class FakeExit(Exception):
    """Raised by a fake's init or handler: its runtime exits with *status*."""

    def __init__(self, status: int = 1) -> None:
        super().__init__(f"exit status {status}")
        self.status = status


class FakeCall(msgspec.Struct, kw_only=True):
    """One invocation as a fake environment's handler sees it."""

    process: FakeProcess
    #: The invoke frame's header, decoded (``id``, ``deadline_ms``, ``arn``, ...).
    header: dict[str, Any]
    event: bytes
    #: Reported to the platform as the runtime's peak memory (``mem_kb``).
    memory_kb: int = 0

    def print(self, text: str) -> None:
        self.process.print(text)


Init = Callable[["FakeProcess"], Awaitable[None] | None]
Handler = Callable[[FakeCall], Awaitable[Any] | Any]


async def hang(_call: FakeCall) -> None:
    """A handler that never returns (until the environment is killed)."""
    await asyncio.get_running_loop().create_future()


def _ready(_process: FakeProcess) -> None:
    return None


class FakeProcess:
    """A fake environment's process: its spec, what it served, and how it ended."""

    def __init__(self, spec: SandboxSpec, pid: int, channel: int, output: int, init: Init, handler: Handler) -> None:
        self.spec = spec
        self._pid = pid
        self._sock = socket.socket(fileno=os.dup(channel))
        self._output = os.dup(output)
        self._init = init
        self._handler = handler
        self._status: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.invocations = 0
        self.settled = False
        self.killed = False
        self.closed = False
        self.peak_kb: int | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task = asyncio.ensure_future(self._run())

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def exited(self) -> bool:
        return self._status.done()

    def print(self, text: str) -> None:
        if self._output >= 0:
            os.write(self._output, text.encode() + (b"" if text.endswith("\n") else b"\n"))

    def kill(self) -> None:
        if not self._status.done():
            self.killed = True
            self._task.cancel()
            self._exit(_KILLED)

    async def wait(self) -> int:
        return await asyncio.shield(self._status)

    def close(self) -> None:
        self.closed = True
        if self._output >= 0:
            os.close(self._output)
            self._output = -1

    def settle(self) -> None:
        self.settled = True

    def peak_memory_kb(self) -> int | None:
        return self.peak_kb

    def oom_killed(self) -> bool:
        return False

    async def connect(self, port: int) -> Any:
        raise OSError(f"a fake environment has no loopback (port {port})")

    def _exit(self, status: int) -> None:
        if not self._status.done():
            self._status.set_result(status)
        if self._writer is not None:
            self._writer.close()  # the platform's end sees the channel close
        else:
            self._sock.close()

    async def _run(self) -> None:
        status = 0
        try:
            reader, writer = await asyncio.open_unix_connection(sock=self._sock)
            self._writer = writer
            try:
                await _maybe(self._init(self))
            except FakeExit:
                raise
            except Exception as exc:
                _send(writer, {"t": "init_error"}, msgspec.json.encode(_document(exc)))
                await reader.read()  # the platform ends an environment whose init failed
                return
            _send(writer, {"t": "ready", "mem_kb": 0})
            while True:
                head = await reader.readexactly(_FRAME.size)
                header_len, body_len = _FRAME.unpack(head)
                header = msgspec.json.decode(await reader.readexactly(header_len))
                event = await reader.readexactly(body_len)
                call = FakeCall(process=self, header=header, event=event)
                self.invocations += 1
                try:
                    result = await _maybe(self._handler(call))
                except FakeExit:
                    raise
                except Exception as exc:
                    _send(writer, {"t": "result", "ok": False, "mem_kb": call.memory_kb}, msgspec.json.encode(_document(exc)))
                    continue
                payload = result if isinstance(result, bytes) else msgspec.json.encode(result)
                _send(writer, {"t": "result", "ok": True, "mem_kb": call.memory_kb}, payload)
        except FakeExit as exit_:
            status = exit_.status
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            status = 0  # the platform closed the channel: the runtime ends
        finally:
            if not self._status.done():
                self._exit(status)


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _document(exc: Exception) -> dict[str, Any]:
    return {"errorMessage": str(exc), "errorType": type(exc).__name__}


def _send(writer: asyncio.StreamWriter, header: dict[str, Any], body: bytes = b"") -> None:
    encoded = msgspec.json.encode(header)
    writer.write(_FRAME.pack(len(encoded), len(body)) + encoded + body)


class FakeSandbox:
    """Starts ``FakeProcess`` environments; ``processes`` lists every one, in start order."""

    name = "fake"
    measures_memory = False
    snapshots = False

    def __init__(self, handler: Handler, init: Init = _ready) -> None:
        self.handler = handler
        self.init = init
        self.processes: list[FakeProcess] = []
        self.closed = False
        self._pids = itertools.count(1000)

    def protections(self) -> list[Protection]:
        return [Protection(name="none", active=False, reason="a fake sandbox for tests: nothing is isolated")]

    def code_path(self, spec_code_dir: str) -> str:
        return spec_code_dir

    def runtime_path(self, runtime_dir: str) -> str:
        return runtime_dir

    def opt_path(self, opt_dir: str) -> str:
        return opt_dir

    async def start(self, spec: SandboxSpec, channel: int, output: int) -> FakeProcess:
        process = FakeProcess(spec, next(self._pids), channel, output, self.init, self.handler)
        self.processes.append(process)
        return process

    async def close(self) -> None:
        self.closed = True
        for process in self.processes:
            process.kill()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*(p.wait() for p in self.processes))
