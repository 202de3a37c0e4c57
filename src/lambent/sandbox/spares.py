"""Spares: zygote children placed ahead of need, so that a cold start skips the slow steps.

A spare is a fork of a zygote that has already joined fresh cgroups (a v1 migration costs an RCU
grace period per controller), mounted a default-size /tmp in a mount namespace of its own, and,
for functions with a route out, made its network namespace and had its slirp4netns stack
attached. It waits on a socket for the environment's spec. The pool keeps SPARES of each kind
(zygote, with or without a route out) and refills in the background; a spare that failed a
platform-side step is discarded and the next one taken, so the caller never sees it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections import deque
from typing import Any

import msgspec

from lambent.errors import SandboxSetupError
from lambent.sandbox import launch, outbound, scratch
from lambent.sandbox.cgroups import Cgroups
from lambent.sandbox.sockets import SETUP_TIMEOUT_S, ready
from lambent.sandbox.zygote_client import Zygote, ZygoteKey

log = logging.getLogger(__name__)
#: Spares kept per zygote and kind: processes already in fresh cgroups.
SPARES = 4
#: Spares tried before a start fails (a spare fails only on a platform-side setup step).
SPARE_ATTEMPTS = 3


class Spare(msgspec.Struct, kw_only=True):
    """A zygote child already in its cgroups (and its network namespace, with the outbound
    stack attached, where there is one), waiting on *link* for the environment to become."""

    env_id: str
    link: socket.socket
    placed: asyncio.Future[None]
    #: Done once placed and, where outbound is available, attached.
    ready: asyncio.Future[None] | None = None
    pid: int = 0
    attachment: outbound.Attachment | None = None
    #: Its /tmp (``scratch.DEFAULT_TMP_MB``), mounted at the staging point of its own mount namespace.
    staged_tmp: bool = False


class SparePool:
    def __init__(
        self, cgroups: Cgroups, scratch_images: scratch.Scratch | None, staging: str, background: set[asyncio.Task[Any]]
    ) -> None:
        """*scratch_images*: where spares' /tmp images come from (None: no /tmp on disk);
        *staging*: the empty directory a spare mounts its /tmp at; *background*: where the
        sandbox keeps the tasks it waits for when it closes."""
        self._cgroups = cgroups
        self._scratch = scratch_images
        self._staging = staging
        self._background = background
        #: The reaper binary each spare's PID 1 becomes (None: it reaps in Python).
        self.reaper: str | None = None
        #: Spares per (zygote, with a route out): the two kinds differ in their network namespace.
        self._pools: dict[tuple[ZygoteKey, bool], deque[Spare]] = {}
        self._refilling: dict[tuple[ZygoteKey, bool], int] = {}
        self._counter = 0

    async def _spare(self, zygote: Zygote, route_out: bool) -> Spare:
        """A ready spare of *zygote* (of the kind *route_out* says) if there is one, else a new
        one; the pool of that kind is refilled."""
        pool = self._pools.setdefault((zygote.key, route_out), deque())
        waiting = next((spare for spare in pool if _succeeded(spare.ready)), None)
        chosen = waiting if waiting is not None else (pool[0] if pool else None)
        if chosen is None:
            chosen = await self._new_spare(zygote, route_out)
        else:
            pool.remove(chosen)
        self._refill(zygote, route_out)
        return chosen

    async def take(self, zygote: Zygote, route_out: bool) -> Spare:
        """A spare that got ready: one that failed (a setup step of the platform's, not the
        function's) is discarded and the next one taken, a few times before giving up."""
        for attempt in range(SPARE_ATTEMPTS):
            spare = await self._spare(zygote, route_out)
            assert spare.ready is not None
            try:
                await asyncio.wait_for(asyncio.shield(spare.ready), SETUP_TIMEOUT_S)
                return spare
            except (TimeoutError, OSError, ValueError, SandboxSetupError) as exc:
                self.discard(spare)
                if attempt == SPARE_ATTEMPTS - 1:
                    raise SandboxSetupError("start", f"spare {spare.env_id}", exc) from exc
                log.warning("spare %s failed (%s): taking another", spare.env_id, exc)
        raise AssertionError("unreachable")

    def discard(self, spare: Spare) -> None:
        if spare.ready is not None:
            spare.ready.cancel()
        if spare.attachment is not None:
            spare.attachment.close()
            spare.attachment = None
        spare.link.close()  # the spare, if alive, reads end-of-file and exits
        self._cgroups.kill(spare.env_id)
        if not self._cgroups.remove(spare.env_id):
            log.error("cgroups of spare %s could not be removed", spare.env_id)

    async def _new_spare(self, zygote: Zygote, route_out: bool) -> Spare:
        self._counter += 1
        env_id = f"{os.getpid()}-{self._counter}"
        await asyncio.to_thread(self._cgroups.create, env_id)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.setblocking(False)
        image = None
        try:
            if self._scratch is not None:
                image = await asyncio.to_thread(self._scratch.image, scratch.DEFAULT_TMP_MB)
            placement = launch.placement(self._cgroups.procs_files(env_id), self.reaper, image, self._staging)
            await zygote.send(placement, [theirs.fileno()])
        except (OSError, SandboxSetupError) as exc:
            ours.close()
            scratch.Scratch.discard(image)
            self._cgroups.remove(env_id)
            raise SandboxSetupError("spare", "zygote request", exc) from exc
        finally:
            theirs.close()
        spare = Spare(env_id=env_id, link=ours, placed=asyncio.ensure_future(ready(ours)), staged_tmp=image is not None)
        spare.ready = asyncio.ensure_future(self._prepare_spare(spare, route_out, image))
        return spare

    async def _prepare_spare(self, spare: Spare, route_out: bool, image: str | None) -> None:
        """Wait for the spare to be placed (its /tmp mounted: the image file can go, the loop
        device keeps it); with *route_out*, attach an outbound stack to the network namespace
        it has made (attaching takes ~4 ms: off the cold path)."""
        try:
            await spare.placed
        finally:
            scratch.Scratch.discard(image)
        message = json.loads(spare.link.recv(256) or b"{}")
        if message.get("t") != "placed":
            raise ValueError("the spare did not say it was placed")
        spare.pid = int(message["pid"])
        if route_out:
            try:
                spare.attachment = await outbound.attach(spare.pid)
            except SandboxSetupError as exc:  # the environment attaches one when it starts
                log.warning("could not attach an outbound stack to a spare: %s", exc)

    def _refill(self, zygote: Zygote, route_out: bool) -> None:
        """Keep SPARES spares of each kind in use per zygote, made in the background."""
        key = (zygote.key, route_out)
        pool = self._pools.setdefault(key, deque())
        for _ in range(SPARES - len(pool) - self._refilling.get(key, 0)):
            self._refilling[key] = self._refilling.get(key, 0) + 1
            task = asyncio.ensure_future(self._make_spare(zygote, route_out, pool))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _make_spare(self, zygote: Zygote, route_out: bool, pool: deque[Spare]) -> None:
        try:
            pool.append(await self._new_spare(zygote, route_out))
        except SandboxSetupError as exc:
            log.warning("could not make a spare environment: %s", exc)
        finally:
            self._refilling[(zygote.key, route_out)] -= 1

    async def close(self) -> None:
        """Release every waiting spare: each reads end-of-file and exits."""
        spares = [spare for pool in self._pools.values() for spare in pool]
        self._pools.clear()
        for spare in spares:
            spare.placed.cancel()
            if spare.ready is not None:
                spare.ready.cancel()
        await asyncio.gather(*(spare.placed for spare in spares), return_exceptions=True)
        await asyncio.gather(*(spare.ready for spare in spares if spare.ready is not None), return_exceptions=True)
        for spare in spares:
            if spare.attachment is not None:
                spare.attachment.close()
            spare.link.close()


def _succeeded(future: asyncio.Future[None] | None) -> bool:
    return future is not None and future.done() and not future.cancelled() and future.exception() is None
