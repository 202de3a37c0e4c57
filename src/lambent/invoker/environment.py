"""One execution environment: a sandboxed runtime process, its channel and its log pipe.

Guarantees: one invocation at a time; an environment that timed out, crashed or failed its
init is killed and never used again (``usable`` turns false for good); output written by the
function before it answers is in that invocation's log (the runtime flushes before it sends
its result, and the pipe is drained when the result arrives). Output is bounded per
invocation so a flood cannot grow the server's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import struct
from collections.abc import Callable
from typing import Any, cast

import msgspec

from lambent.clock import Clock
from lambent.errors import (
    InvocationFailure,
    ResponseSizeTooLarge,
    RuntimeExitError,
    RuntimeInvalidEntrypoint,
    RuntimeOutOfMemory,
    SandboxSetupError,
    SandboxTimedOut,
)
from lambent.invoker.extensions import Extensions
from lambent.invoker.response_stream import ResponseStream
from lambent.invoker.runtime_channel import EnvironmentApi, Inbox, RuntimeApiChannel
from lambent.invoker.telemetry import Telemetry
from lambent.invoker.timeouts import within
from lambent.model.channel import InvokeMessage
from lambent.model.limits import INIT_TIMEOUT_S, LOG_CAP_BYTES, SYNC_RESPONSE_LIMIT_BYTES
from lambent.model.logs import exit_reason, platform_text, timed_out_text
from lambent.model.response_stream import too_large_message
from lambent.sandbox import Sandbox, SandboxProcess, SandboxSpec

_FRAME = struct.Struct("!II")


class Channel(asyncio.Protocol):
    """The platform's end of an environment's socket: frames in, one waiter at a time.

    A protocol rather than a StreamReader: a reply costs one wake-up, not one per
    ``readexactly``. End of file or an error fails the waiter with ConnectionError.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._inbox = Inbox(self._pause, self._resume)

    def _pause(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= _FRAME.size:
            header_len, body_len = _FRAME.unpack_from(self._buffer)
            end = _FRAME.size + header_len + body_len
            if len(self._buffer) < end:
                break
            header = _decode_header(self._buffer[_FRAME.size : _FRAME.size + header_len])
            body = bytes(self._buffer[_FRAME.size + header_len : end])
            del self._buffer[:end]
            self._inbox.put((header, body))

    def connection_lost(self, exc: Exception | None) -> None:
        self._inbox.close(exc or ConnectionError("the environment closed its channel"))

    async def receive(self) -> tuple[dict[str, Any], bytes]:
        return await self._inbox.get()

    def send(self, message: InvokeMessage, body: bytes) -> None:
        assert self.transport is not None
        encoded = _encode_header(message)
        self.transport.write(_FRAME.pack(len(encoded), len(body)) + encoded + body)


class _Answer:
    """A streamed answer as it arrives: passed on to the invocation's stream, or gathered when
    there is none; too large (200 MB streamed, 6 MB gathered) it ends in ``failure``."""

    def __init__(self, stream: ResponseStream | None) -> None:
        self._stream = stream
        self._gathered = bytearray()
        self.failure: InvocationFailure | None = None

    async def take(self, reply: dict[str, Any], body: bytes) -> None:
        stream = self._stream
        if self.failure is not None:
            return  # past the limit: the rest is read and dropped until the runtime's result
        if reply["t"] == "open":
            if stream is not None:
                stream.open(reply.get("ct"))
        elif stream is not None:
            if not await stream.write(body):
                self.failure = ResponseSizeTooLarge(too_large_message(stream.total + len(body)))
        elif len(self._gathered) + len(body) > SYNC_RESPONSE_LIMIT_BYTES:
            size = len(self._gathered) + len(body)
            self.failure = ResponseSizeTooLarge(
                f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({SYNC_RESPONSE_LIMIT_BYTES} bytes)."
            )
        else:
            self._gathered += body

    def gathered(self) -> bytes:
        return bytes(self._gathered)


_encode_header = msgspec.json.Encoder().encode
_decode_header = msgspec.json.Decoder(dict[str, Any]).decode


class InvokeResult(msgspec.Struct, kw_only=True):
    """What one invocation produced, as the platform measured it."""

    payload: bytes
    failure: InvocationFailure | None
    duration_ms: float
    max_memory_kb: int
    log: bytes
    #: The function streamed its response: *payload* is empty (or the error document), and this
    #: many bytes went to the invocation's ``ResponseStream``.
    streamed_bytes: int | None = None


class Environment:
    def __init__(
        self,
        sandbox: Sandbox,
        spec: SandboxSpec,
        key: Any,
        stream_name: str,
        runtime_api: bool = False,
        extensions: Extensions | None = None,
        *,
        entrypoint_error: str | None = None,
        clock: Clock,
    ) -> None:
        """*runtime_api*: the runtime speaks the HTTP Runtime API rather than the framed channel;
        *extensions*: the Extensions API state, when the function's layers bring extensions;
        *entrypoint_error*: why the runtime cannot be started at all (a custom runtime without a
        bootstrap), its init failing with ``Runtime.InvalidEntrypoint`` before any process runs;
        *clock*: what durations, deadlines and idle ages are read from."""
        self._clock = clock
        self._entrypoint_error = entrypoint_error
        self._runtime_channel = RuntimeApiChannel() if runtime_api else None
        self._extensions = extensions
        #: Telemetry subscriptions come from extensions, so there is none without them.
        self.telemetry = Telemetry(clock) if extensions is not None else None
        self.log_group = ""
        self.architecture = "x86_64"
        #: Kept initialised ahead of invocations (provisioned concurrency): never reaped when idle.
        self.provisioned = False
        #: Provisioned: the wall-clock ms up to which its allocation has been metered.
        self.metered_ms: int | None = None
        self.id = secrets.token_hex(16)
        self.key = key
        self.stream_name = stream_name
        self._sandbox = sandbox
        self.spec = spec
        self._process: SandboxProcess | None = None
        self._channel: Channel | RuntimeApiChannel | None = None
        self._out_fd = -1
        self._log = bytearray()
        self._dropped = 0
        self.usable = True
        self.busy = False
        self.invocations = 0
        self.init_duration_ms: float | None = None
        #: Of a cold start: how long the sandbox took to be ready to run the runtime (the rest
        #: of ``init_duration_ms`` is the runtime's start and the function's init code).
        self.sandbox_ms: float | None = None
        #: Restored from a SnapStart snapshot: how long its after-restore hooks took.
        self.restore_hooks_ms: float | None = None
        self.last_used = self.born = clock.monotonic()
        self._max_memory_kb = 0
        self._oom_before = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def process(self) -> SandboxProcess | None:
        return self._process

    @property
    def max_memory_kb(self) -> int:
        """The most memory it has used so far (the sandbox's measure where it has one)."""
        return self._peak_memory_kb(0)

    def ended(self) -> bool:
        """Whether it was destroyed or its runtime went away (its channel closed)."""
        channel = self._channel
        return not self.usable or channel is None or channel.transport is None or channel.transport.is_closing()

    async def start(self, request_id: str = "", timeout_s: float = INIT_TIMEOUT_S) -> InvocationFailure | None:
        """Start the runtime and wait for its init, for at most *timeout_s* (the init phase's
        limit; a retry in the invoke phase has the function's timeout). Returns the init
        failure, if any.

        The init's own output stays in the log buffer, so it lands in the first invocation's log.
        *request_id*: the invocation the init runs for (on demand), which the platform's own
        failures name as AWS's do (``RequestId: <id> Error: ...``); none ahead of invocations.
        """
        started = self._clock.monotonic()
        if self._entrypoint_error is not None:
            self.init_duration_ms = 0.0
            self.usable = False
            return RuntimeInvalidEntrypoint(platform_text(request_id, self._entrypoint_error))
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_read, out_write = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        os.set_blocking(out_write, True)
        try:
            spec = self.spec
            if self._runtime_channel is not None or self._extensions is not None:
                api = EnvironmentApi(runtime=self._runtime_channel, extensions=self._extensions, telemetry=self.telemetry)
                spec = msgspec.structs.replace(spec, api_context=api)
            self._process = await self._sandbox.start(spec, child.fileno(), out_write)
            self.sandbox_ms = (self._clock.monotonic() - started) * 1000
        except BaseException:
            parent.close()
            os.close(out_read)
            raise
        finally:
            child.close()
            os.close(out_write)
        self._out_fd = out_read
        if self.telemetry is not None:
            self.telemetry.attach(self._process.connect)
        asyncio.get_running_loop().add_reader(out_read, self._read_output)
        runtime_channel = self._runtime_channel
        factory: Callable[[], Channel | RuntimeApiChannel] = Channel if runtime_channel is None else lambda: runtime_channel
        _transport, self._channel = await asyncio.get_running_loop().create_unix_connection(factory, sock=parent)
        try:
            async with within(self._clock, timeout_s):
                header, body = await self._channel.receive()
        except TimeoutError:
            self.init_duration_ms = (self._clock.monotonic() - started) * 1000
            await self.destroy()
            return SandboxTimedOut(f"Init timed out after {timeout_s:.2f} seconds")
        except (asyncio.IncompleteReadError, ConnectionError):
            self.init_duration_ms = (self._clock.monotonic() - started) * 1000
            return await self._exited_failure(request_id)
        self.init_duration_ms = (self._clock.monotonic() - started) * 1000
        self._max_memory_kb = int(header.get("mem_kb", 0))
        if "restore_ms" in header:
            self.restore_hooks_ms = float(header["restore_ms"])
        if header["t"] == "ready" and self._extensions is not None:
            remaining = timeout_s - (self._clock.monotonic() - started)
            if not await self._extensions.init_done(remaining):
                self.init_duration_ms = (self._clock.monotonic() - started) * 1000
                self._drain_output()
                await self.destroy()
                error = self._extensions.error or {
                    "errorType": "Extension.Crash",
                    "errorMessage": f"{self._extensions.expected} extensions were expected to register and call event/next",
                }
                return InvocationFailure(error["errorMessage"], error["errorType"])
            self.init_duration_ms = (self._clock.monotonic() - started) * 1000
        if header["t"] == "ready":
            try:
                self._process.settle()
            except SandboxSetupError as exc:
                await self.destroy()
                return RuntimeExitError(f"Sandbox setup failed: {exc}")
        if header["t"] == "init_error":
            self._drain_output()
            await self.destroy()
            document = json.loads(body)
            return InvocationFailure(document.pop("errorMessage", ""), document.pop("errorType", "Runtime.Unknown"), **document)
        return None

    async def invoke(
        self,
        message: InvokeMessage,
        event: bytes,
        timeout_s: float,
        function_timeout_s: float | None = None,
        stream: ResponseStream | None = None,
    ) -> InvokeResult:
        """Run one invocation for at most *timeout_s*; the environment must be usable and not
        busy. *function_timeout_s*: the timeout the message names, when an init retried in the
        invoke phase already used part of it (else *timeout_s*). *stream*: where a response the
        runtime streams goes as it comes (None: a streamed response is gathered into the payload,
        within the 6 MB of a buffered one, as AWS answers Invoke of a streaming function)."""
        assert self._channel is not None and self.usable and not self.busy
        self.busy = True
        self.invocations += 1
        request_id = message.id
        started = self._clock.monotonic()
        # An earlier invocation may have lost a child process to the memory limit and lived on.
        self._oom_before = self.oom_killed()
        try:
            if self._extensions is not None:
                self._extensions.invoke(message)
            self._channel.send(message, event)
            answer = _Answer(stream)
            async with within(self._clock, timeout_s):
                reply, body = await self._channel.receive()
                while reply.get("t") in ("open", "chunk"):
                    await answer.take(reply, body)
                    reply, body = await self._channel.receive()
                # The invocation ends when the runtime answered and its extensions are done too.
                if self._extensions is not None and not await self._extensions.invoke_done(timeout_s):
                    raise TimeoutError
        except TimeoutError:
            duration = (self._clock.monotonic() - started) * 1000
            if self.ended():  # the runtime died (of its memory limit, say) as the deadline came
                exited = await self._exited_failure(request_id)
                return InvokeResult(
                    payload=b"", failure=exited, duration_ms=duration, max_memory_kb=self._max_memory_kb, log=self.take_log()
                )
            self._max_memory_kb = self._peak_memory_kb(0)
            await self.destroy()
            named_s = timeout_s if function_timeout_s is None else function_timeout_s
            timed_out = SandboxTimedOut(platform_text(request_id, timed_out_text(named_s)))
            return InvokeResult(
                payload=b"", failure=timed_out, duration_ms=duration, max_memory_kb=self._max_memory_kb, log=self.take_log()
            )
        except (asyncio.IncompleteReadError, ConnectionError):
            duration = (self._clock.monotonic() - started) * 1000
            exited = await self._exited_failure(request_id)
            return InvokeResult(
                payload=b"", failure=exited, duration_ms=duration, max_memory_kb=self._max_memory_kb, log=self.take_log()
            )
        finally:
            self.busy = False
            self.last_used = self._clock.monotonic()
        duration = (self._clock.monotonic() - started) * 1000
        self._drain_output()
        self._max_memory_kb = self._peak_memory_kb(int(reply.get("mem_kb", 0)))
        failure: InvocationFailure | None = None
        if not reply.get("ok", False):
            document = json.loads(body)
            failure = InvocationFailure(
                document.pop("errorMessage", ""), document.pop("errorType", "Runtime.Unknown"), **document
            )
        elif answer.failure is not None:
            failure, body = answer.failure, msgspec.json.encode(answer.failure.document())
        elif reply.get("streamed"):
            body = answer.gathered()
        return InvokeResult(
            payload=body,
            failure=failure,
            duration_ms=duration,
            max_memory_kb=self._max_memory_kb,
            log=self.take_log(),
            streamed_bytes=stream.total if stream is not None and stream.opened else None,
        )

    async def _exited_failure(self, request_id: str) -> InvocationFailure:
        """The runtime went away: wait for its status and word it as AWS does."""
        assert self._process is not None
        self.usable = False
        try:
            async with within(self._clock, 1.0):
                status = await self._process.wait()
        except TimeoutError:
            self._process.kill()
            status = await self._process.wait()
        self._drain_output()
        # The memory limit ended it, as AWS tells: the runtime was killed and the sandbox's OOM
        # killer acted during this invocation (or, having acted before, killed it now).
        oom = self.oom_killed() and (not self._oom_before or status == -signal.SIGKILL)
        self._max_memory_kb = self._peak_memory_kb(0)
        await self.destroy()
        text = platform_text(request_id, exit_reason(status))
        return RuntimeOutOfMemory(text) if oom else RuntimeExitError(text)

    def oom_killed(self) -> bool:
        """Whether the sandbox's memory limit ended the environment (modes with a limit)."""
        return self._process is not None and self._process.oom_killed()

    def _peak_memory_kb(self, reported: int) -> int:
        """The sandbox's measure of the whole environment where it has one, else the runtime's."""
        measured = self._process.peak_memory_kb() if self._process is not None else None
        return max(self._max_memory_kb, measured if measured is not None else reported)

    def _read_output(self) -> None:
        try:
            while True:
                chunk = os.read(self._out_fd, 65536)
                if not chunk:
                    asyncio.get_running_loop().remove_reader(self._out_fd)
                    return
                room = LOG_CAP_BYTES - len(self._log)
                if room > 0:
                    self._log += chunk[:room]
                self._dropped += max(0, len(chunk) - max(room, 0))
        except BlockingIOError:
            return
        except OSError:
            return

    def _drain_output(self) -> None:
        if self._out_fd >= 0:
            self._read_output()

    def take_log(self) -> bytes:
        """The output collected since the last call (and a note of what was dropped)."""
        data = bytes(self._log)
        if self._dropped:
            data += f"[lambent] {self._dropped} bytes of output dropped (limit {LOG_CAP_BYTES} per invocation)\n".encode()
        self._log.clear()
        self._dropped = 0
        return data

    async def destroy(self, reason: str | None = None) -> None:
        """Kill every process of the environment and release it. Idempotent.

        With a *reason* (``spindown``), extensions subscribed to SHUTDOWN get it first, within
        the shutdown budget."""
        if reason is not None and self.usable and self._extensions is not None and self._process is not None:
            await self._extensions.shutdown(reason)
        if self._extensions is not None:
            self._extensions.close()
        if self.telemetry is not None:
            await self.telemetry.close()
        self.usable = False
        if self._channel is not None and self._channel.transport is not None:
            self._channel.transport.close()
        self._channel = None
        if self._process is not None:
            self._process.kill()
            with contextlib.suppress(TimeoutError):
                async with within(self._clock, 5.0):
                    await self._process.wait()
            self._drain_output()
            self._process.close()
        if self._out_fd >= 0:
            asyncio.get_running_loop().remove_reader(self._out_fd)
            os.close(self._out_fd)
            self._out_fd = -1
