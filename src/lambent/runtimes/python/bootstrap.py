"""The built-in Python runtime: one execution environment's loop. Standard library only.

Runs under the function's interpreter (python3.9 and newer), so it may import nothing of Lambent.
It speaks to the platform over an inherited socket with frames of
``!II`` (header length, body length) + a JSON header + a raw body:

    platform -> runtime   {"t": "invoke", "id", "deadline_ms", "arn", "trace_id",
                           "client_context", "identity"} + event bytes
    runtime  -> platform  {"t": "ready"}                   init done, waiting for work
                          {"t": "init_error"}  + error document
                          {"t": "result", "ok", "mem_kb"} + response or error document
                          {"t": "open", "ct"}                  a streamed response begins,
                          {"t": "chunk"} + bytes               each chunk of it, then its
                          {"t": "result", "ok", "streamed": true, "mem_kb"} (+ error document)

A handler that is a generator or an async generator streams (Lambent's, beyond AWS's Python
runtime; docs/runtimes.md): each value it yields is a chunk (bytes as they are, str in UTF-8,
anything else as its JSON). A first value that is a dict with ``statusCode`` is the HTTP
prelude function URLs read (status, headers, cookies), as Node's ``HttpResponseStream.from``.

Handler resolution and error documents follow AWS's Python runtime (awslambdaric) exactly.
Everything an environment needs is imported at the top, so a zygote's forks start warm.
Everything the function prints goes to fd 1/2, which the platform collects as the log.
"""

import asyncio
import importlib
import inspect
import json
import logging
import os
import socket
import struct
import sys
import time
import traceback

_FRAME = struct.Struct("!II")


class _Reader:
    """Frames from the channel, reading as much as is there (one recv per frame, usually)."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self, size):
        while len(self.buffer) < size:
            chunk = self.sock.recv(max(65536, size - len(self.buffer)))
            if not chunk:
                raise EOFError
            self.buffer += chunk

    def frame(self):
        self._fill(_FRAME.size)
        header_len, body_len = _FRAME.unpack_from(self.buffer)
        end = _FRAME.size + header_len + body_len
        self._fill(end)
        header = json.loads(self.buffer[_FRAME.size : _FRAME.size + header_len])
        body = bytes(self.buffer[_FRAME.size + header_len : end])
        del self.buffer[:end]
        return header, body


def _send(sock, header, body=b""):
    encoded = json.dumps(header).encode()
    sock.sendall(_FRAME.pack(len(encoded), len(body)) + encoded + body)


class FaultException(Exception):
    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity):
        self.cognito_identity_id = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")


class Client:
    __slots__ = ("app_package_name", "app_title", "app_version_code", "app_version_name", "installation_id")

    def __init__(self, client):
        self.installation_id = client.get("installation_id")
        self.app_title = client.get("app_title")
        self.app_version_name = client.get("app_version_name")
        self.app_version_code = client.get("app_version_code")
        self.app_package_name = client.get("app_package_name")


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, context):
        self.custom = context.get("custom")
        self.env = context.get("env")
        client = context.get("client")
        self.client = Client(client) if client is not None else None


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity, tenant_id=None):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.tenant_id = tenant_id
        self.client_context = ClientContext(client_context) if client_context else None
        self.identity = CognitoIdentity(identity or {})
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id={}, log_group_name={}, log_stream_name={}, function_name={}, "
            "memory_limit_in_mb={}, function_version={}, invoked_function_arn={}, client_context={}, "
            "identity={}, tenant_id={}])".format(
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
                self.tenant_id,
            )
        )


def _load_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise FaultException("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(handler, exc)) from None
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                "Runtime.BuiltInModuleConflict",
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise FaultException("Runtime.ImportModuleError", "Unable to import module '{}': {}".format(modname, exc)) from None
    except SyntaxError as exc:
        trace = ['  File "%s" Line %s\n    %s\n' % (exc.filename, exc.lineno, (exc.text or "").strip())]
        raise FaultException(
            "Runtime.UserCodeSyntaxError", "Syntax error in module '{}': {}".format(modname, exc), trace
        ) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException("Runtime.HandlerNotFound", "Handler '{}' missing on module '{}'".format(fname, modname)) from None


def _user_trace(tb):
    frames = traceback.extract_tb(tb)
    for index, frame in enumerate(frames):
        if not frame.filename.endswith("/bootstrap.py"):
            return traceback.format_list(frames[index:])
    return []


def _error_document(exc, request_id):
    if isinstance(exc, FaultException):
        return {"errorMessage": exc.message, "errorType": exc.error_type, "requestId": request_id, "stackTrace": exc.trace}
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": _user_trace(exc.__traceback__),
    }


def _log_error(document):
    lines = ["[ERROR] {}: {}".format(document["errorType"], document["errorMessage"]), "Traceback (most recent call last):"]
    lines.extend(frame.rstrip("\n") for frame in document["stackTrace"])
    sys.stdout.write("\r".join(lines) + "\n")


class _RequestIdFilter:
    request_id = ""

    def filter(self, record):
        record.aws_request_id = _RequestIdFilter.request_id
        return True


def _setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    handler.terminator = ""
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper().replace("WARN", "WARNING").replace("WARNINGING", "WARNING"))


class _PeakMemory:
    """VmHWM of this process, re-read with one pread per call (not getrusage: ru_maxrss
    survives exec and after a vfork-based spawn reports the platform's own memory).
    Off where the platform measures the environment itself (_LAMBENT_SELF_MEASURE=0)."""

    fd = -1

    @classmethod
    def kb(cls):
        if os.environ.get("_LAMBENT_SELF_MEASURE", "1") == "0":
            return 0
        try:
            if cls.fd < 0:
                cls.fd = os.open("/proc/self/status", os.O_RDONLY | os.O_CLOEXEC)
            status = os.pread(cls.fd, 4096, 0)
        except OSError:
            return 0
        start = status.find(b"VmHWM:")
        return int(status[start + 6 : status.find(b"kB", start)]) if start >= 0 else 0


def _flush():
    sys.stdout.flush()
    sys.stderr.flush()


def _init_failed(sock, exc):
    document = _error_document(exc, "")
    if not isinstance(exc, FaultException):
        document["stackTrace"] = _user_trace(exc.__traceback__)
    _log_error(document)
    _flush()
    _send(sock, {"t": "init_error"}, json.dumps(document).encode())


def _run_hooks(registry, reverse=False):
    """SnapStart's runtime hooks, registered with AWS's snapshot_restore_py (only if the
    function imported it): before the snapshot in reverse order of registration, after a
    restore in order."""
    module = sys.modules.get("snapshot_restore_py")
    if module is None:
        return
    hooks = list(getattr(module, registry)())
    for function, args, kwargs in reversed(hooks) if reverse else hooks:
        function(*args, **kwargs)


def serve(sock, fork_server=None):
    """*fork_server*: given, this runtime is a SnapStart template; once initialised it serves
    restores through it and goes on only in each restored environment, with its channel."""
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    version = "{}.{}".format(*sys.version_info[:2])
    opt = os.environ.get("_LAMBENT_OPT", "/opt")
    extra = [task_root, opt + "/python", opt + "/python/lib/python{}/site-packages".format(version)]
    # what the runtime itself provides (boto3, pip, ...): one set per interpreter (runtimes/python_libs.py)
    extra += [p + "/python" + version for p in os.environ.get("_LAMBENT_PYTHON_PATH", "").split(os.pathsep) if p]
    sys.path[:0] = [p for p in extra if p not in sys.path]
    _setup_logging()
    try:
        handler = _load_handler(os.environ["_HANDLER"])
        if fork_server is not None:
            _run_hooks("get_before_snapshot", reverse=True)
    except Exception as exc:
        _init_failed(sock, exc)
        return
    _flush()
    _send(sock, {"t": "ready", "mem_kb": _PeakMemory.kb()})
    if fork_server is not None:
        channel = fork_server(sock)  # from here on: a restored environment
        os.set_inheritable(channel, False)
        sock = socket.socket(fileno=channel)
        started = time.perf_counter()
        try:
            _run_hooks("get_after_restore")
        except Exception as exc:
            _init_failed(sock, exc)
            return
        _flush()
        restore_ms = (time.perf_counter() - started) * 1000
        _send(sock, {"t": "ready", "mem_kb": _PeakMemory.kb(), "restore_ms": restore_ms})
    reader = _Reader(sock)
    while True:
        try:
            header, body = reader.frame()
        except EOFError:
            return
        request_id = header["id"]
        _RequestIdFilter.request_id = request_id
        if header.get("trace_id"):
            os.environ["_X_AMZN_TRACE_ID"] = header["trace_id"]
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        context = LambdaContext(
            request_id,
            header["deadline_ms"],
            header["arn"],
            header.get("client_context"),
            header.get("identity"),
            header.get("tenant_id"),
        )
        ok = True
        streamed = False
        try:
            event = json.loads(body) if body else {}
            result = handler(event, context)
            if inspect.isgenerator(result) or inspect.isasyncgen(result):
                streamed = True
                _stream(sock, _drained(result) if inspect.isasyncgen(result) else result)
                payload = b""
            else:
                try:
                    payload = json.dumps(result).encode()
                except (TypeError, ValueError) as exc:
                    raise FaultException("Runtime.MarshalError", "Unable to marshal response: {}".format(exc)) from None
        except Exception as exc:
            ok = False
            document = _error_document(exc, request_id)
            _log_error(document)
            payload = json.dumps(document).encode()
        _flush()
        header = {"t": "result", "ok": ok, "mem_kb": _PeakMemory.kb()}
        if streamed:
            header["streamed"] = True
        _send(sock, header, payload)


_HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"


def _chunk(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    try:
        return json.dumps(value).encode()
    except (TypeError, ValueError) as exc:
        raise FaultException("Runtime.MarshalError", "Unable to marshal response: {}".format(exc)) from None


def _stream(sock, values):
    """Send what the generator *values* yields as a streamed response; the error that ends it
    early propagates (the caller reports it, after what was sent)."""
    first = True
    for value in values:
        if first:
            first = False
            prelude = isinstance(value, dict) and "statusCode" in value
            _send(sock, {"t": "open", "ct": _HTTP_INTEGRATION if prelude else "application/octet-stream"})
            if prelude:
                _send(sock, {"t": "chunk"}, json.dumps(value).encode() + b"\0" * 8)
                continue
        data = _chunk(value)
        if data:
            _send(sock, {"t": "chunk"}, data)
    if first:
        _send(sock, {"t": "open", "ct": "application/octet-stream"})


def _drained(agen):
    """An async generator's values, as a plain generator (each step on one event loop)."""
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def run(fd, fork_server=None):
    """Serve invocations on the channel *fd* until it closes (the zygote's entry point too)."""
    sock = socket.socket(fileno=fd)
    os.set_inheritable(fd, False)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    os.chdir(os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    try:
        serve(sock, fork_server)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        pass


def main():
    run(int(os.environ.pop("_LAMBENT_CHANNEL_FD")))


if __name__ == "__main__":
    main()
