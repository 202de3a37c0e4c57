"""Restored environments placed ahead of need, per SnapStart template (the platform's side).

Placing one costs ~40 ms here, most of it the kernel's (joining cgroup v1 controllers waits
for RCU grace periods, an ext4 /tmp is attached and mounted, the network stack is started),
so each template keeps ``RESTORE_SPARES`` of them ready: forked, isolated, in their cgroups,
with /tmp, API port and route out, waiting for the "go" that brings the environment's channel
and output. A restore then costs the fork of the runtime and its after-restore hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambent.errors import SandboxSetupError
from lambent.sandbox import SandboxSpec, launch, outbound, scratch, snapshots
from lambent.sandbox.cgroups import Cgroups
from lambent.sandbox.sockets import SETUP_TIMEOUT_S, ready

log = logging.getLogger(__name__)

#: Restored environments kept placed per template (and kind of network).
RESTORE_SPARES = 1


class ExitRelay:
    """Where a restored environment's exit goes: held until the environment it becomes is known."""

    def __init__(self) -> None:
        self.status: int | None = None
        self._target: Callable[[int], None] | None = None

    def __call__(self, status: int) -> None:
        if self._target is None:
            self.status = status
        else:
            self._target(status)

    def bind(self, target: Callable[[int], None]) -> None:
        self._target = target
        if self.status is not None:
            target(self.status)


@dataclass
class Placed:
    """A restored environment waiting for its go."""

    env_id: str
    setup: socket.socket
    #: Its first process (B', PID 1 of its namespaces), as the platform sees it.
    init: int = 0
    #: The platform API's listening socket it made in its network namespace (if any).
    api: list[int] = field(default_factory=list)
    attachment: outbound.Attachment | None = None
    relay: ExitRelay = field(default_factory=ExitRelay)


class Restores:
    def __init__(
        self, cgroups: Cgroups, scratch_images: scratch.Scratch | None, api_port: int, background: set[asyncio.Task[Any]]
    ) -> None:
        """*scratch_images*: where /tmp images come from (None: a tmpfs); *api_port*: the
        platform API's port on each environment's loopback (0: none)."""
        self._cgroups = cgroups
        self._scratch = scratch_images
        self._api_port = api_port
        self._background = background
        self._pools: dict[tuple[int, bool], deque[asyncio.Future[Placed]]] = {}
        self._counter = 0

    async def take(self, forks: snapshots.ForkServer, spec: SandboxSpec, route_out: bool) -> Placed:
        """A placed environment of the template *forks* (one made now if none is ready)."""
        key = (id(forks), route_out)
        pool = self._pools.setdefault(key, deque())
        placed: Placed | None = None
        while pool and placed is None:
            candidate = pool.popleft()
            try:
                placed = await asyncio.wait_for(asyncio.shield(candidate), SETUP_TIMEOUT_S)
            except (TimeoutError, OSError, ValueError, ConnectionError, SandboxSetupError) as exc:
                log.warning("a placed restore failed (%s): taking another", exc)
                continue
            if placed.relay.status is not None:  # it ended while it waited
                self.discard(placed)
                placed = None
        self.prepare(forks, spec, route_out)
        if placed is None:
            placed = await self._place(forks, spec, route_out)
        return placed

    def prepare(self, forks: snapshots.ForkServer, spec: SandboxSpec, route_out: bool) -> None:
        """Keep RESTORE_SPARES environments of the template *forks* placed (made in the background)."""
        pool = self._pools.setdefault((id(forks), route_out), deque())
        for _ in range(RESTORE_SPARES - len(pool)):
            pool.append(self._spawn(forks, spec, route_out))

    def _spawn(self, forks: snapshots.ForkServer, spec: SandboxSpec, route_out: bool) -> asyncio.Future[Placed]:
        future = asyncio.ensure_future(self._place(forks, spec, route_out))
        self._background.add(future)
        future.add_done_callback(self._background.discard)
        return future

    async def _place(self, forks: snapshots.ForkServer, spec: SandboxSpec, route_out: bool) -> Placed:
        self._counter += 1
        env_id = f"{os.getpid()}-r{self._counter}"
        await asyncio.to_thread(self._cgroups.create, env_id)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        ours.setblocking(False)
        placed = Placed(env_id=env_id, setup=ours)
        request = launch.restore_request(spec, self._api_port)
        tmp = -1
        try:
            self._cgroups.limit_memory(env_id, spec.memory_mb)  # before the fork joins the groups
            if self._scratch is not None:
                image = await asyncio.to_thread(self._scratch.image, spec.ephemeral_storage_mb)
                try:
                    tmp = await asyncio.to_thread(snapshots.scratch_mount, image)
                finally:
                    self._scratch.discard(image)  # the loop device holds it from now on
            await asyncio.wait_for(forks.fork(request, [theirs.fileno()], placed.relay), SETUP_TIMEOUT_S)
            theirs.close()
            await asyncio.wait_for(self._handshake(placed, tmp, route_out), SETUP_TIMEOUT_S)
        except TimeoutError:
            self.discard(placed)
            raise SandboxSetupError("restore", f"environment {env_id}", f"no answer in {SETUP_TIMEOUT_S} s") from None
        except (OSError, ValueError, ConnectionError, SandboxSetupError) as exc:
            self.discard(placed)
            raise SandboxSetupError("restore", f"environment {env_id}", exc) from exc
        except asyncio.CancelledError:
            self.discard(placed)
            raise
        finally:
            theirs.close()
            if tmp >= 0:
                os.close(tmp)
        return placed

    async def _handshake(self, placed: Placed, tmp: int, route_out: bool) -> None:
        """A' says hello (its pid: into the cgroups; then its /tmp); B' sends its API socket (its
        pid: the environment's first process); with *route_out*, the stack is attached."""
        setup = placed.setup
        await ready(setup)
        _data, _fds, first = snapshots.receive(setup)
        if not first:
            raise ValueError("the restored environment ended before it started")
        await asyncio.to_thread(self._cgroups.join, placed.env_id, first)
        socket.send_fds(setup, [b'{"t":"placed"}'], [tmp] if tmp >= 0 else [])
        await ready(setup)
        _data, placed.api, placed.init = snapshots.receive(setup)
        if not placed.init:
            raise ValueError("the restored environment ended while it was set up")
        if route_out:
            placed.attachment = await outbound.attach(placed.init)

    def discard(self, placed: Placed) -> None:
        """End a placed environment that will not be used, and release what it held."""
        placed.setup.close()  # B' reads end-of-file and exits
        for fd in placed.api:
            os.close(fd)
        placed.api = []
        if placed.attachment is not None:
            placed.attachment.close()
            placed.attachment = None
        self._cgroups.kill(placed.env_id)
        if not self._cgroups.remove(placed.env_id):
            log.error("cgroups of restored environment %s could not be removed", placed.env_id)

    async def forget(self, forks: snapshots.ForkServer) -> None:
        """The template ended: so did its placed environments."""
        for key in [key for key in self._pools if key[0] == id(forks)]:
            await self._drain(self._pools.pop(key))

    async def close(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await self._drain(pool)

    async def _drain(self, pool: deque[asyncio.Future[Placed]]) -> None:
        for future in pool:
            future.cancel()
            with contextlib.suppress(BaseException):
                self.discard(await future)
