"""Waiting, in asyncio, on the raw sockets the platform talks to the inside of the sandbox over.

The sockets are SOCK_SEQPACKET pairs whose other end is a process being set up (a zygote, a
spare, a restored environment); every wait for its answer is bounded by ``SETUP_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import socket

#: How long the platform waits for a step of the inside's setup to answer.
SETUP_TIMEOUT_S = 10.0


async def ready(sock: socket.socket, write: bool = False) -> None:
    """Wait until *sock* can be read (or written) without blocking."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    fd = sock.fileno()
    (loop.add_writer if write else loop.add_reader)(fd, wake)
    try:
        await ready
    finally:
        (loop.remove_writer if write else loop.remove_reader)(fd)
