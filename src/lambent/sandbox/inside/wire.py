"""The messages between the platform and the code inside the sandbox, as types.

JSON over SOCK_SEQPACKET sockets, one message per packet, descriptors alongside (SCM_RIGHTS).
The platform builds them (``sandbox/launch.py``, ``spares.py``, ``restores.py``); the code in
this package reads them. Declarations only: the modules of this package import it for type
checking alone, so the zygote never loads ``typing``.

    platform → zygote    ZygoteConfig once, then a Placement per spare (+ the spare's link)
    zygote → platform    {"t": "ready"}, then {"t": "exit", "pid", "status"} per environment
    spare → platform     {"t": "placed", "pid"} on its link; then, given a LaunchRequest (+
                         channel, output, setup[, a template's control]), {"t": "pid"} and
                         {"t": "api"} (+ the API's listening socket) on the setup socket
    platform → template  RestoreRequest (+ the setup socket) per restored environment
    template → platform  {"t": "forked", "pid"} per request, {"t": "exit", "pid", "status"}
"""

from __future__ import annotations

from typing import Dict, List, Optional, TypedDict


class ZygoteConfig(TypedDict):
    #: The seccomp programs (BPF, hex) of an environment and of a SnapStart template.
    seccomp: str
    seccomp_template: str


class SpareScratch(TypedDict):
    #: The default-size /tmp image, and the empty directory the spare mounts it at.
    image: str
    staging: str


class Placement(TypedDict, total=False):
    """What a spare needs before its environment is known."""

    cgroup_procs: List[str]
    #: The reaper binary its PID 1 becomes (None: PID 1 stays a Python process).
    reaper: Optional[str]
    scratch: SpareScratch


class Tmp(TypedDict, total=False):
    #: The spare's /tmp, mounted while it waited (the staging directory), or an image to mount.
    staged: str
    image: str


class LaunchRequest(TypedDict):
    """What a spare becomes: its root, then its runtime (``RUNTIME_KEYS`` of it)."""

    root: str
    #: [source, target in the root]: read-only binds, and device nodes.
    binds: List[List[str]]
    devices: List[List[str]]
    tmp_mb: int
    tmp: Tmp
    hostname: str
    uid: int
    gid: int
    nofile: int
    env: Dict[str, str]
    cwd: str
    #: The platform API's port on the environment's loopback (0: none).
    api_port: int
    #: Wait for the platform's go (it attaches the route out) before the runtime starts.
    network_gate: bool
    #: A runtime that is not preloaded: its command line, exec'd in place of the entry point.
    exec: Optional[List[str]]
    extensions: List[str]


class RuntimeSpec(TypedDict, total=False):
    """The keys of a ``LaunchRequest`` the runtime process itself reads."""

    uid: int
    gid: int
    nofile: int
    env: Dict[str, str]
    cwd: str
    exec: Optional[List[str]]
    extensions: List[str]


class RestoreRequest(TypedDict):
    tmp_mb: int
    hostname: str
    api_port: int
