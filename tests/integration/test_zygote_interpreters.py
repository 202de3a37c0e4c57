"""The program inside the sandbox starts under every Python a function may run on (3.9+).

It is the function's own interpreter that runs ``inside/``, so a construct or a module newer
than the oldest supported Python would break only the functions of that version: each
interpreter found here starts a zygote with the built-in runtime preloaded, and it must say
ready. (Forking environments from it needs root and is what the acceptance tests do.)
"""

from __future__ import annotations

import asyncio
import os

import pytest

from lambent.runtimes import PYTHON_BOOTSTRAP, RuntimeSpec, discover_python
from lambent.sandbox.zygote_client import Zygote

INTERPRETERS = sorted(discover_python(os.environ).values(), key=lambda runtime: runtime.name)


@pytest.mark.skipif(not INTERPRETERS, reason="no Python runtime found on this machine")
@pytest.mark.parametrize("runtime", INTERPRETERS, ids=[runtime.name for runtime in INTERPRETERS])
def test_the_zygote_starts_and_says_ready(runtime: RuntimeSpec) -> None:
    deaths: list[Zygote] = []

    async def start_and_stop() -> int:
        zygote = Zygote(
            runtime.executable, str(PYTHON_BOOTSTRAP), "run", ("", ""), on_exit=lambda _p, _s: None, on_death=deaths.append
        )
        try:
            await zygote.start()  # raises unless the zygote answered ready
            return zygote.pid
        finally:
            zygote.stop()

    pid = asyncio.run(start_and_stop())
    assert pid > 0
    assert deaths == []  # it did not exit on its own before it was stopped
