"""An environment's network namespace from inside: loopback up, and the platform API's port
listening on it (the listening socket is handed to the platform, which serves it)."""

from __future__ import annotations

import fcntl
import socket
import struct

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def open_api(setup: socket.socket, api_port: int, network_gate: bool) -> None:
    """The platform API's *api_port* (0: none) on this network namespace's loopback, its
    listening socket handed to the platform over *setup*; with *network_gate* (a route out),
    wait for the platform's go."""
    api = None
    if api_port:
        api = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        api.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        api.bind(("127.0.0.1", api_port))
        api.listen(128)
    socket.send_fds(setup, [b'{"t":"api"}'], [api.fileno()] if api else [])
    if api is not None:
        api.close()
    if network_gate and setup.recv(16) != b"go":
        # The platform attaches (or takes away) the route out from the host side: nothing
        # of the function runs before that is done (its init may well use the network).
        raise OSError("outbound network: the platform did not finish setting it up")
