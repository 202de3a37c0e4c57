"""SnapStart: one initialised template per published version, environments restored from it.

As on AWS, a published version with ``SnapStart: {ApplyOn: PublishedVersions}`` initialises
once (``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``, before-snapshot hooks included) and every
new environment of it resumes from that state instead of running the init again; its first
REPORT has a Restore Duration instead of an Init Duration. Here the snapshot is a live template
environment that the sandbox forks (``sandbox/snapshots.py``): it is made when the version is
published (or, after a restart, on the version's first cold start), lives as long as the
version's configuration does, and is made again if it ended.

Where the sandbox cannot restore (the ``process`` mode, user namespaces off), for runtimes AWS
does not offer SnapStart on, and for functions with extensions (their processes are not part of
the template), environments initialise on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from lambent.errors import InvocationFailure
from lambent.invoker.environment import Environment
from lambent.model.arns import LATEST
from lambent.model.function import FunctionVersion, snap_start_supported
from lambent.runtimes import RuntimeSpec

log = logging.getLogger(__name__)

PoolKey = tuple[str, str, str]


def snap_start_runtime(runtime: RuntimeSpec) -> bool:
    """Whether environments of *runtime* can be restored here: AWS's Python runtimes that offer
    SnapStart (3.12 and later; Lambent runs no Java or .NET)."""
    return runtime.family == "python" and snap_start_supported(runtime.name)


class Template:
    """A version's template: the initialised environment, or how its init failed."""

    def __init__(self, environment: Environment, failure: InvocationFailure | None) -> None:
        self.environment = environment
        self.failure = failure


class Snapshots:
    def __init__(self, make: Callable[[FunctionVersion, PoolKey], Awaitable[Template]]) -> None:
        """*make* starts a version's template and logs (and meters) its init."""
        self._make = make
        self._templates: dict[PoolKey, asyncio.Task[Template]] = {}

    async def template(self, version: FunctionVersion, key: PoolKey) -> Template:
        """The version's template, made now if there is none or it ended (callers share one)."""
        task = self._templates.get(key)
        if task is not None and task.done() and not _alive(task):
            task = None
        if task is None:
            task = asyncio.ensure_future(self._make(version, key))
            self._templates[key] = task
        template = await asyncio.shield(task)
        if template.failure is not None and self._templates.get(key) is task:
            del self._templates[key]  # the next cold start tries again
        return template

    def prepare(self, version: FunctionVersion, key: PoolKey) -> asyncio.Task[Template]:
        """Make the template of a version just published, in the background."""
        if key not in self._templates:
            self._templates[key] = asyncio.ensure_future(self._make(version, key))
        return self._templates[key]

    async def retire(self, name: str, version: str | None = None) -> None:
        """End the templates of *name* (of its *version* only, if given). Environments restored
        from a template end with it (they live in its PID namespace)."""
        doomed = [key for key in self._templates if key[0] == name and version in (None, key[1])]
        await asyncio.gather(*(self._end(self._templates.pop(key)) for key in doomed))

    async def close(self) -> None:
        tasks, self._templates = list(self._templates.values()), {}
        await asyncio.gather(*(self._end(task) for task in tasks))

    @staticmethod
    async def _end(task: asyncio.Task[Template]) -> None:
        if not task.done():
            task.cancel()
        with contextlib.suppress(BaseException):
            template = await task
            await template.environment.destroy()


def _alive(task: asyncio.Task[Template]) -> bool:
    if task.cancelled() or task.exception() is not None:
        return False
    template = task.result()
    return template.failure is None and not template.environment.ended()


def applies(version: FunctionVersion, runtime: RuntimeSpec, sandbox_can: bool, extensions: bool) -> bool:
    """Whether new environments of *version* are restored from a snapshot."""
    return (
        sandbox_can
        and not extensions
        and version.version != LATEST
        and version.snap_start_apply_on == "PublishedVersions"
        and snap_start_runtime(runtime)
    )
