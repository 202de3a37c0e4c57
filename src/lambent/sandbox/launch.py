"""What the platform sends the inside of the sandbox, built from a ``SandboxSpec``: pure.

Three messages (their types are ``inside/wire.py``): a spare's ``Placement`` (its cgroups,
its PID 1, its default /tmp), the ``LaunchRequest`` that turns a spare into the environment
(its root of read-only binds, /tmp, identity, environment, command) and a SnapStart template's
``RestoreRequest``. The builders read no file and no clock: what they need of the host (which
/etc directories exist, the skeleton's path, the /tmp image) is handed in by the sandbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambent.model.limits import NOFILE_LIMIT
from lambent.sandbox import SandboxSpec
from lambent.sandbox.rootfs import DEVICES, OPT_ROOT, RUNTIME_ROOT, TASK_ROOT

if TYPE_CHECKING:
    from lambent.sandbox.inside.wire import LaunchRequest, Placement, RestoreRequest, Tmp

#: The host's /etc directories an environment sees where the host has them (CA certificates,
#: the alternatives' symlinks).
ETC_DIRS = ("ssl", "alternatives")
HOSTNAME = "lambent"


def launch_request(
    spec: SandboxSpec,
    *,
    root: str,
    api_port: int,
    serve_api: bool,
    route_out: bool,
    tmp_image: str | None = None,
    staged_tmp: str | None = None,
    etc_dirs: tuple[str, ...] = (),
    bash_as_sh: bool = False,
) -> LaunchRequest:
    """The request that makes a spare the environment of *spec*.

    *root*: the skeleton (``rootfs.skeleton``) for ``spec.system_dirs``; *api_port*: the
    platform API's port, served on the environment's loopback if *serve_api*; *route_out*: the
    environment waits for its outbound stack; *tmp_image*: a /tmp image of the spec's size to
    mount, else *staged_tmp*: where the spare mounted its default-size /tmp, else a tmpfs;
    *etc_dirs*: those of ``ETC_DIRS`` the host has; *bash_as_sh*: /usr/bin/bash exists and is
    the environment's /bin/sh (as in Amazon Linux 2023)."""
    binds = [
        ["/usr", "/usr"],
        *[[d, d] for d in spec.system_dirs if not d.startswith("/usr/")],
        [spec.code_dir, TASK_ROOT],
        [spec.runtime_dir, RUNTIME_ROOT],
        *([[spec.opt_dir, OPT_ROOT]] if spec.opt_dir else []),
        *[[f"/etc/{etc}", f"/etc/{etc}"] for etc in etc_dirs],
        *([["/usr/bin/bash", "/usr/bin/sh"]] if bash_as_sh else []),
    ]
    tmp: Tmp = {"image": tmp_image} if tmp_image else {"staged": staged_tmp} if staged_tmp else {}
    env = spec.env if spec.api_context is None else {**spec.env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api_port}"}
    return {
        "root": root,
        "binds": binds,
        "devices": [[f"/dev/{d}", f"/dev/{d}"] for d in DEVICES],
        "tmp_mb": spec.ephemeral_storage_mb,
        "tmp": tmp,
        "hostname": HOSTNAME,
        "uid": spec.uid,
        "gid": spec.uid,
        "nofile": NOFILE_LIMIT,
        "env": env,
        "cwd": TASK_ROOT,
        "api_port": api_port if serve_api else 0,
        # With a route out, B waits for the platform to have attached it.
        "network_gate": route_out,
        "exec": list(spec.argv) if spec.preload is None else None,
        "extensions": [f"{OPT_ROOT}/extensions/{name}" for name in spec.extensions],
    }


def placement(cgroup_procs: list[str], reaper: str | None, scratch_image: str | None, staging: str) -> Placement:
    """A spare's placement: the cgroup ``procs`` files it joins, the reaper binary its PID 1
    becomes (None: a Python PID 1), and a default-size /tmp image to mount at *staging*."""
    message: Placement = {"cgroup_procs": cgroup_procs, "reaper": reaper}
    if scratch_image is not None:
        message["scratch"] = {"image": scratch_image, "staging": staging}
    return message


def restore_request(spec: SandboxSpec, api_port: int) -> RestoreRequest:
    """A SnapStart template's fork request for an environment of *spec*; *api_port*: the
    platform API's port on its loopback (0: none)."""
    return {"tmp_mb": spec.ephemeral_storage_mb, "hostname": HOSTNAME, "api_port": api_port}
