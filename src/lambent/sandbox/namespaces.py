"""The ``namespaces`` sandbox: each environment in its own namespaces, cgroups and root.

Guarantees (root, cgroup v1 or v2): own mount, PID, IPC, UTS and network namespaces; a
read-only root holding only the system's /usr, the interpreter, the code at /var/task and the
runtime at /var/runtime; a private /tmp capped at EphemeralStorage; its own /proc and a
minimal /dev; a non-root uid per function with no capabilities, no_new_privs and the seccomp
policy of ``seccomp.py``; memory = MemorySize without swap, CPU ∝ memory, 1,024 pids and
1,024 descriptors. The network namespace has loopback, where the platform's API port is served
by the platform itself (its listening socket is made inside the namespace and handed out), so
AWS_ENDPOINT_URL works; with outbound allowed (the default, as on AWS) a slirp4netns stack of its
own (``outbound.py``) gives it a route out that never leads to the host's loopback. Spares of
functions with a route out make their network namespace early and get their stack attached
while they wait, so a cold start does not pay for it.

Killing the environment's first process (PID 1 of its namespace) makes the kernel kill every
process left in it, double-forked or not; the cgroup is killed too, then removed.

Environments are forks of a zygote per interpreter (``zygote.py``) that has preloaded the
runtime, so a cold start costs forks and mounts, not an interpreter start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from lambent.errors import SandboxSetupError
from lambent.sandbox import ApiServer, Protection, SandboxSpec, outbound, rootfs, scratch, snapshots
from lambent.sandbox.cgroups import Cgroups
from lambent.sandbox.restores import Restores
from lambent.sandbox.spares import DEFAULT_TMP_MB, SETUP_TIMEOUT_S, SparePool, ready

log = logging.getLogger(__name__)

ZYGOTE = Path(__file__).with_name("zygote.py")
TASK_ROOT = "/var/task"
RUNTIME_ROOT = "/var/runtime"
SETUP_FAILED = 120
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
#: Environments being set up at once (forks, mounts); the rest wait their turn.
CONCURRENT_SETUPS = 8


class NamespaceProcess:
    def __init__(self, sandbox: NamespacesSandbox, env_id: str, memory_mb: int, api_context: Any = None) -> None:
        self.api_context = api_context
        self._sandbox = sandbox
        self.env_id = env_id
        self.memory_mb = memory_mb
        self._pid = 0
        self._pidfd = -1
        self._exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._stop_api: Callable[[], Coroutine[Any, Any, None]] | None = None
        self._closed = False
        #: The environment's outbound network stack, if it has one.
        self.attachment: outbound.Attachment | None = None
        self._peak_fd = -1
        #: A SnapStart template's fork requests and spec (None for any other environment).
        self.fork_server: snapshots.ForkServer | None = None
        self.template_spec: SandboxSpec | None = None

    @property
    def pid(self) -> int:
        return self._pid

    def _attach(self, pid: int) -> None:
        self._pid = pid
        with contextlib.suppress(OSError):
            self._pidfd = os.pidfd_open(pid)

    def _exit(self, status: int) -> None:
        if not self._exited.done():
            self._exited.set_result(-(status - 128) if 128 < status < 128 + 65 else status)

    def kill(self) -> None:
        if self._exited.done():
            return
        if self._pidfd >= 0:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        self._sandbox.cgroups.kill(self.env_id)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def settle(self) -> None:
        # A template forks the restored environments: it gets a whole vCPU at least for that.
        memory_mb = max(self.memory_mb, 1769) if self.fork_server is not None else self.memory_mb
        try:
            self._sandbox.cgroups.limit_cpu(self.env_id, memory_mb)
        except SandboxSetupError:
            self.kill()  # an environment without its limits is never used
            raise
        if self.fork_server is not None and self.template_spec is not None:
            self._sandbox.prepare_restores(self.fork_server, self.template_spec)

    def peak_memory_kb(self) -> int | None:
        # On the hot path (every REPORT line): one pread of a descriptor kept open.
        try:
            if self._peak_fd < 0:
                self._peak_fd = os.open(self._sandbox.cgroups.peak_file(self.env_id), os.O_RDONLY | os.O_CLOEXEC)
            return int(os.pread(self._peak_fd, 64, 0)) // 1024
        except (OSError, ValueError):
            return None

    def oom_killed(self) -> bool:
        return self._sandbox.cgroups.usage(self.env_id).oom_killed

    async def connect(self, port: int) -> socket.socket:
        """Connect from inside the environment's network namespace: a short-lived thread joins
        it (setns affects only that thread, which then ends), the socket keeps its namespace."""
        if self._exited.done() or not self._pid:
            raise ConnectionError("the environment is gone")
        path = f"/proc/{self._pid}/ns/net"
        result: list[socket.socket | BaseException] = []

        def inside() -> None:
            try:
                with open(path, "rb") as namespace:
                    if _libc.setns(namespace.fileno(), CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns")
                result.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except BaseException as exc:  # reported to the caller below
                result.append(exc)

        thread = threading.Thread(target=inside, name="lambent-netns")
        thread.start()
        await asyncio.to_thread(thread.join)
        outcome = result[0]
        if isinstance(outcome, BaseException):
            raise ConnectionError(str(outcome))
        outcome.setblocking(False)
        return outcome

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._stop_api is not None:
            task = asyncio.get_running_loop().create_task(self._stop_api())
            self._sandbox.background.add(task)
            task.add_done_callback(self._sandbox.background.discard)
        if self.attachment is not None:
            self.attachment.close()
            self.attachment = None
        if self.fork_server is not None:
            self.fork_server.close()
            self._sandbox.template_ended(self.fork_server)
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1
        if self._peak_fd >= 0:
            os.close(self._peak_fd)
            self._peak_fd = -1
        if not self._sandbox.cgroups.remove(self.env_id):
            log.error("cgroups of environment %s could not be removed", self.env_id)
        self._sandbox.forget(self)


class Zygote:
    """One zygote process per interpreter, and its control socket."""

    def __init__(self, executable: str, preload: str, entry: str, sandbox: NamespacesSandbox, seccomp: tuple[str, str]) -> None:
        self.executable, self.preload, self.entry = executable, preload, entry
        self._seccomp = seccomp
        self._sandbox = sandbox
        self.control: socket.socket | None = None
        self.pid = 0

    async def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [self.executable, "-I", "-S", "-B", str(ZYGOTE), self.preload, self.entry]
        try:
            self.pid = os.posix_spawn(  # noqa: ASYNC221 - vfork+exec: returns at once
                argv[0], argv, {"PATH": "/usr/bin:/bin"}, file_actions=[(os.POSIX_SPAWN_DUP2, theirs.fileno(), 3)], setsid=True
            )
        except OSError as exc:
            raise SandboxSetupError("spawn zygote", self.executable, exc) from exc
        finally:
            theirs.close()
        ours.send(json.dumps({"seccomp": self._seccomp[0], "seccomp_template": self._seccomp[1]}).encode())
        ours.setblocking(False)
        await asyncio.wait_for(ready(ours), 10)
        if json.loads(ours.recv(4096)).get("t") != "ready":
            raise SandboxSetupError("start zygote", self.executable, "no ready message")
        self.control = ours
        asyncio.get_running_loop().add_reader(ours.fileno(), self._on_message)

    def _on_message(self) -> None:
        assert self.control is not None
        while True:
            try:
                data = self.control.recv(65536)
            except BlockingIOError:
                return
            if not data:
                asyncio.get_running_loop().remove_reader(self.control.fileno())
                log.error("zygote for %s exited", self.executable)
                self._sandbox.zygote_died(self)
                return
            message = json.loads(data)
            if message.get("t") == "exit":
                self._sandbox.exited(int(message["pid"]), int(message["status"]))

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.executable, self.preload, self.entry)

    async def send(self, request: dict[str, Any], fds: list[int]) -> None:
        """Hand a request to the zygote, waiting while its socket is full."""
        message = [json.dumps(request).encode()]
        while True:
            if self.control is None:
                raise ConnectionError("the zygote has exited")
            try:
                socket.send_fds(self.control, message, fds)
                return
            except BlockingIOError:
                await ready(self.control, write=True)

    def stop(self) -> None:
        if self.control is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self.control.fileno())
            self.control.close()
            self.control = None
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0


class NamespacesSandbox:
    name = "namespaces"
    measures_memory = True

    def __init__(
        self,
        work_dir: Path,
        seccomp_programs: tuple[bytes, bytes],
        api_port: int,
        serve_api: ApiServer | None,
        exec_zygote: tuple[str, str, str] | None = None,
    ) -> None:
        """*seccomp_programs*: an environment's and a SnapStart template's (``seccomp.py``);
        *exec_zygote* (interpreter, preload, entry): the zygote that starts runtimes which
        are not preloaded; it isolates the child and then execs the runtime's command."""
        self._exec_zygote = exec_zygote
        work_dir.mkdir(parents=True, exist_ok=True)
        instance = hashlib.sha256(str(work_dir.resolve()).encode()).hexdigest()[:12]
        self.cgroups = Cgroups(instance)
        self._work_dir = work_dir
        self._seccomp = (seccomp_programs[0].hex(), seccomp_programs[1].hex())
        self._api_port = api_port
        self._serve_api = serve_api
        self._zygotes: dict[tuple[str, str, str], Zygote] = {}
        self._zygote_lock = asyncio.Lock()
        self._root_lock = asyncio.Lock()
        self._starting = asyncio.Semaphore(CONCURRENT_SETUPS)
        self._by_pid: dict[int, NamespaceProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._roots: dict[tuple[str, ...], str] = {}
        self.background: set[asyncio.Task[Any]] = set()
        self._outbound = outbound.available()
        self._reaper: str | None = None
        self._scratch_ok = scratch.available()
        self._scratch = scratch.Scratch(work_dir / "scratch")
        self._staging = str(work_dir / "scratch-staging")
        self._snapshots_ok = snapshots.available()
        self.snapshots = self._snapshots_ok[0]
        images = self._scratch if self._scratch_ok[0] else None
        self._spares = SparePool(self.cgroups, images, self._staging, self.background)
        self._restores = Restores(self.cgroups, images, api_port if serve_api else 0, self.background)

    @staticmethod
    def usable() -> tuple[bool, str]:
        if os.geteuid() != 0:
            return False, "needs root (user namespaces are not used yet)"
        return Cgroups("probe").available()

    def protections(self) -> list[Protection]:
        ok, why = self.cgroups.available()
        return [
            Protection(name="namespaces (mount, pid, ipc, uts, net)", active=True, reason="unshare in each environment"),
            Protection(name="read-only root, private /tmp, own /proc", active=True, reason="pivot_root into binds"),
            Protection(name="cgroup memory/cpu/pids limits", active=ok, reason=why),
            Protection(name="uid per function, no capabilities", active=True, reason="setresuid + no_new_privs"),
            Protection(name="seccomp", active=bool(self._seccomp[0]), reason="libseccomp policy, BPF"),
            Protection(name="network: own namespace, no host loopback", active=True, reason="own network namespace"),
            Protection(name="outbound network per function", active=self._outbound[0], reason=self._outbound[1]),
            Protection(
                name="ephemeral storage on disk, not counted as memory", active=self._scratch_ok[0], reason=self._scratch_ok[1]
            ),
            Protection(
                name="SnapStart: restored environments in namespaces of their own",
                active=self._snapshots_ok[0],
                reason=self._snapshots_ok[1],
            ),
        ]

    def code_path(self, spec_code_dir: str) -> str:
        return TASK_ROOT

    def runtime_path(self, runtime_dir: str) -> str:
        return RUNTIME_ROOT

    def opt_path(self, opt_dir: str) -> str:
        return "/opt"

    def prepare(self) -> None:
        self._reaper = rootfs.build_reaper(self._work_dir)
        self._spares.reaper = self._reaper
        if self._scratch_ok[0]:
            Path(self._staging).mkdir(parents=True, exist_ok=True)
            if gone := self._scratch.prepare():
                log.warning("removed %d /tmp images left by an earlier run", gone)
        self.cgroups.prepare()
        swept = self.cgroups.sweep()
        if swept:
            log.warning("removed %d environment cgroups left by an earlier run", swept)

    def _root(self, system_dirs: tuple[str, ...]) -> str:
        """A skeleton root with mount points for every bind (built once per set of dirs)."""
        key = tuple(sorted(system_dirs))
        if key in self._roots:
            return self._roots[key]
        root = rootfs.skeleton(self._work_dir, key)
        self._roots[key] = str(root)
        return str(root)

    async def _zygote(self, spec: SandboxSpec) -> Zygote:
        if spec.preload is not None and spec.entry is not None:
            key = (spec.argv[0], spec.preload, spec.entry)
        elif self._exec_zygote is not None:
            key = self._exec_zygote
        else:
            raise SandboxSetupError("start", spec.argv[0], "no zygote can start a runtime that is not preloaded")
        async with self._zygote_lock:
            zygote = self._zygotes.get(key)
            if zygote is None or zygote.control is None:
                zygote = Zygote(*key, self, self._seccomp)
                await zygote.start()
                self._zygotes[key] = zygote
            return zygote

    async def start(self, spec: SandboxSpec, channel: int, output: int) -> NamespaceProcess:
        if spec.template is not None:
            return await self._restore(spec, channel, output)
        zygote = await self._zygote(spec)
        root = self._roots.get(tuple(sorted(spec.system_dirs)))
        if root is None:
            async with self._root_lock:  # concurrent first starts build the skeleton once
                root = await asyncio.to_thread(self._root, spec.system_dirs)
        binds = [
            ["/usr", "/usr"],
            *[[d, d] for d in spec.system_dirs if not d.startswith("/usr/")],
            [spec.code_dir, TASK_ROOT],
            [spec.runtime_dir, RUNTIME_ROOT],
            *([[spec.opt_dir, "/opt"]] if spec.opt_dir else []),
        ]
        for etc in ("ssl", "alternatives"):
            if Path("/etc", etc).is_dir():  # noqa: ASYNC240 - a stat of /etc, no waiting
                binds.append([f"/etc/{etc}", f"/etc/{etc}"])
        if Path("/usr/bin/bash").is_file():  # noqa: ASYNC240 - a stat, no waiting
            binds.append(["/usr/bin/bash", "/usr/bin/sh"])  # bash as /bin/sh, as in Amazon Linux 2023
        route_out = spec.outbound and self._outbound[0]
        image = None
        if self._scratch_ok[0] and spec.ephemeral_storage_mb != DEFAULT_TMP_MB:
            image = await asyncio.to_thread(self._scratch.image, spec.ephemeral_storage_mb)
        request = {
            "root": root,
            "binds": binds,
            "devices": [[f"/dev/{d}", f"/dev/{d}"] for d in rootfs.DEVICES],
            "tmp_mb": spec.ephemeral_storage_mb,
            "tmp": {"image": image} if image else {},
            "hostname": "lambent",
            "uid": spec.uid,
            "gid": spec.uid,
            "nofile": 1024,
            "env": spec.env
            if spec.api_context is None
            else {**spec.env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{self._api_port}"},
            "cwd": TASK_ROOT,
            "api_port": self._api_port if self._serve_api else 0,
            # With a route out, B waits for the platform to have attached it.
            "network_gate": route_out,
            "exec": list(spec.argv) if spec.preload is None else None,
            "extensions": [f"/opt/extensions/{name}" for name in spec.extensions],
        }
        async with self._starting:  # a burst queues here rather than swamping two cores with setups
            spare = await self._spares.take(zygote, route_out)
            process = NamespaceProcess(self, spare.env_id, spec.memory_mb, spec.api_context)
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            control = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) if spec.snapshot else None
            try:
                self.cgroups.limit_memory(spare.env_id, spec.memory_mb)  # before any of the function runs
                process.attachment, spare.attachment = spare.attachment, None
                if spare.staged_tmp and image is None and self._scratch_ok[0]:
                    request["tmp"] = {"staged": self._staging}
                fds = [channel, output, theirs.fileno(), *([control[1].fileno()] if control else [])]
                socket.send_fds(spare.link, [json.dumps(request).encode()], fds)
                if control is not None:
                    process.fork_server = snapshots.ForkServer(control[0])
                    process.template_spec = spec
                await asyncio.wait_for(self._handshake(process, ours, route_out), SETUP_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                process.close()
                raise SandboxSetupError("start", f"environment {spare.env_id}", f"no answer in {SETUP_TIMEOUT_S} s") from None
            except (OSError, ValueError, SandboxSetupError) as exc:
                process.kill()
                process.close()
                raise SandboxSetupError("start", f"environment {spare.env_id}", exc) from exc
            finally:
                theirs.close()
                ours.close()
                if control is not None:
                    control[1].close()
                    if process.fork_server is None:
                        control[0].close()
                spare.link.close()
                if spare.attachment is not None:
                    spare.attachment.close()
                self._scratch.discard(image)  # mounted by now, or never to be
        return process

    async def _serve_api_socket(self, process: NamespaceProcess, fds: list[int]) -> None:
        """Serve the platform API on the listening socket the environment made (if it sent one)."""
        for fd in fds:
            sock = socket.socket(fileno=fd)
            if self._serve_api is not None:
                process._stop_api = await self._serve_api(sock, process.api_context)
            else:
                sock.close()

    async def _restore(self, spec: SandboxSpec, channel: int, output: int) -> NamespaceProcess:
        """A SnapStart environment: a fork of *spec.template*'s initialised runtime, placed ahead
        of need (``restores.py``), given its channel and output and told to go."""
        template: NamespaceProcess = spec.template
        forks = template.fork_server
        if forks is None or forks.closed:
            raise SandboxSetupError("restore", "template", "the template has ended")
        placed = await self._restores.take(forks, spec, spec.outbound and self._outbound[0])
        process = NamespaceProcess(self, placed.env_id, spec.memory_mb, spec.api_context)
        process._attach(placed.init)
        process.attachment, placed.attachment = placed.attachment, None
        placed.relay.bind(process._exit)
        try:
            await self._serve_api_socket(process, placed.api)
            placed.api = []
            socket.send_fds(placed.setup, [b"go"], [channel, output])
        except OSError as exc:
            process.kill()
            process.close()
            raise SandboxSetupError("restore", f"environment {placed.env_id}", exc) from exc
        finally:
            placed.setup.close()
        return process

    async def _handshake(self, process: NamespaceProcess, setup: socket.socket, route_out: bool) -> None:
        """Learn the environment's pid (from A) and its API socket (from B), in either order.

        With *route_out*, B waits for a go once the stack is attached: the spare's, or, if it
        has none, one attached as soon as the pid exists (while B builds the root)."""
        setup.setblocking(False)
        got_pid = got_api = False
        attaching: asyncio.Task[outbound.Attachment] | None = None
        try:
            while not (got_pid and got_api):
                await ready(setup)
                data, fds, _flags, _addr = socket.recv_fds(setup, 4096, 1)
                if not data:
                    if got_pid:
                        return  # B failed before it could answer: its exit says why
                    raise ValueError("the environment ended before it started")
                message = json.loads(data)
                if message["t"] == "pid":
                    got_pid = True
                    pid = int(message["pid"])
                    process._attach(pid)
                    self._by_pid[pid] = process
                    if route_out and process.attachment is None:
                        attaching = asyncio.ensure_future(outbound.attach(pid))
                    if pid in self._early_exits:
                        self.exited(pid, self._early_exits.pop(pid))
                elif message["t"] == "api":
                    got_api = True
                    await self._serve_api_socket(process, fds)
            if attaching is not None:
                process.attachment = await attaching
                attaching = None
            if route_out:
                setup.send(b"go")
        finally:
            if attaching is not None:  # the handshake failed while the stack was being attached
                attaching.cancel()
                with contextlib.suppress(BaseException):
                    (await attaching).close()

    def exited(self, pid: int, status: int) -> None:
        process = self._by_pid.get(pid)
        if process is None:
            self._early_exits[pid] = status
            return
        process._exit(status)

    def prepare_restores(self, forks: snapshots.ForkServer, spec: SandboxSpec) -> None:
        """A template is ready: place an environment restored from it ahead of the first need."""
        self._restores.prepare(forks, spec, spec.outbound and self._outbound[0])

    def template_ended(self, forks: snapshots.ForkServer) -> None:
        """Release what was placed ahead of need for a template that ended."""
        task = asyncio.get_running_loop().create_task(self._restores.forget(forks))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def forget(self, process: NamespaceProcess) -> None:
        self._by_pid.pop(process.pid, None)

    def zygote_died(self, zygote: Zygote) -> None:
        zygote.stop()
        for process in list(self._by_pid.values()):
            process.kill()

    async def close(self) -> None:
        await self._spares.close()
        await self._restores.close()
        await asyncio.to_thread(outbound.join_reapers, 3.0)
        for zygote in self._zygotes.values():
            zygote.stop()
        self._zygotes.clear()
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)
        self.cgroups.sweep()
        self.cgroups.release()


SPARE_ATTEMPTS = 3
