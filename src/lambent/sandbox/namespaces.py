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

Environments are forks of a zygote per interpreter (``inside/``, driven by ``zygote_client``)
that has preloaded the runtime, so a cold start costs forks and mounts, not an interpreter
start. What the zygote is sent is built by ``launch``; the environment is a ``NamespaceProcess``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

from lambent.errors import SandboxSetupError
from lambent.sandbox import ApiServer, Protection, SandboxSpec, outbound, rootfs, scratch, snapshots
from lambent.sandbox.cgroups import Cgroups
from lambent.sandbox.launch import ETC_DIRS, launch_request
from lambent.sandbox.ns_process import NamespaceProcess
from lambent.sandbox.restores import Restores
from lambent.sandbox.sockets import SETUP_TIMEOUT_S, ready
from lambent.sandbox.spares import SparePool
from lambent.sandbox.zygote_client import Zygote, ZygoteKey

log = logging.getLogger(__name__)

#: Environments being set up at once (forks, mounts); the rest wait their turn.
CONCURRENT_SETUPS = 8


class NamespacesSandbox:
    name = "namespaces"
    measures_memory = True

    def __init__(
        self,
        work_dir: Path,
        seccomp_programs: tuple[bytes, bytes],
        api_port: int,
        serve_api: ApiServer | None,
        exec_zygote: ZygoteKey | None = None,
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
        self._zygotes: dict[ZygoteKey, Zygote] = {}
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
        return rootfs.TASK_ROOT

    def runtime_path(self, runtime_dir: str) -> str:
        return rootfs.RUNTIME_ROOT

    def opt_path(self, opt_dir: str) -> str:
        return rootfs.OPT_ROOT

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
                zygote = Zygote(*key, self._seccomp, on_exit=self.exited, on_death=self.zygote_died)
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
        etc_dirs = tuple(etc for etc in ETC_DIRS if Path("/etc", etc).is_dir())  # noqa: ASYNC240 - stats, no waiting
        bash_as_sh = Path("/usr/bin/bash").is_file()  # noqa: ASYNC240 - a stat, no waiting
        route_out = spec.outbound and self._outbound[0]
        image = None
        if self._scratch_ok[0] and spec.ephemeral_storage_mb != scratch.DEFAULT_TMP_MB:
            image = await asyncio.to_thread(self._scratch.image, spec.ephemeral_storage_mb)
        async with self._starting:  # a burst queues here rather than swamping two cores with setups
            spare = await self._spares.take(zygote, route_out)
            process = NamespaceProcess(self, spare.env_id, spec.memory_mb, spec.api_context)
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            control = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) if spec.snapshot else None
            try:
                self.cgroups.limit_memory(spare.env_id, spec.memory_mb)  # before any of the function runs
                process.attachment, spare.attachment = spare.attachment, None
                request = launch_request(
                    spec,
                    root=root,
                    api_port=self._api_port,
                    serve_api=self._serve_api is not None,
                    route_out=route_out,
                    tmp_image=image,
                    staged_tmp=self._staging if spare.staged_tmp and self._scratch_ok[0] else None,
                    etc_dirs=etc_dirs,
                    bash_as_sh=bash_as_sh,
                )
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
                process.stop_api = await self._serve_api(sock, process.api_context)
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
        process.attach(placed.init)
        process.attachment, placed.attachment = placed.attachment, None
        placed.relay.bind(process.exited)
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
                    process.attach(pid)
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
        process.exited(status)

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
