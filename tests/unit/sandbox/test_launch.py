"""What the platform sends the inside of the namespaces sandbox, as a function of the spec."""

from __future__ import annotations

import json
from typing import Any

from lambent.sandbox import SandboxSpec
from lambent.sandbox.inside.runtime import RUNTIME_KEYS
from lambent.sandbox.launch import launch_request, placement, restore_request


def spec(**changes: Any) -> SandboxSpec:
    fields: dict[str, Any] = {
        "argv": ("/usr/bin/python3.12", "/var/runtime/bootstrap.py"),
        "env": {"AWS_LAMBDA_FUNCTION_NAME": "f", "TZ": ":UTC"},
        "code_dir": "/data/code/f-1",
        "runtime_dir": "/data/runtime/python",
        "memory_mb": 256,
        "ephemeral_storage_mb": 1024,
        "uid": 20123,
        "preload": "/data/runtime/python/bootstrap.py",
        "entry": "run",
    }
    fields.update(changes)
    return SandboxSpec(**fields)


def request(sandbox_spec: SandboxSpec, **options: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {"root": "/data/sandbox/root-1", "api_port": 9000, "serve_api": True, "route_out": False}
    arguments.update(options)
    return dict(launch_request(sandbox_spec, **arguments))


def test_the_root_binds_system_code_runtime_layers_then_the_hosts_etc_and_bash_as_sh() -> None:
    built = request(
        spec(system_dirs=("/usr/lib/python3.12", "/opt/python/3.12"), opt_dir="/data/layers/f-1"),
        etc_dirs=("ssl",),
        bash_as_sh=True,
    )
    assert built["root"] == "/data/sandbox/root-1"
    assert built["binds"] == [
        ["/usr", "/usr"],
        ["/opt/python/3.12", "/opt/python/3.12"],  # under /usr already: not bound twice
        ["/data/code/f-1", "/var/task"],
        ["/data/runtime/python", "/var/runtime"],
        ["/data/layers/f-1", "/opt"],
        ["/etc/ssl", "/etc/ssl"],
        ["/usr/bin/bash", "/usr/bin/sh"],
    ]
    assert built["devices"] == [[f"/dev/{name}", f"/dev/{name}"] for name in ("null", "zero", "full", "random", "urandom")]


def test_without_layers_etc_or_bash_only_the_four_binds_remain() -> None:
    built = request(spec())
    assert built["binds"] == [["/usr", "/usr"], ["/data/code/f-1", "/var/task"], ["/data/runtime/python", "/var/runtime"]]


def test_identity_limits_and_working_directory_come_from_the_spec() -> None:
    built = request(spec())
    assert (built["uid"], built["gid"], built["nofile"]) == (20123, 20123, 1024)
    assert (built["cwd"], built["hostname"]) == ("/var/task", "lambent")
    assert built["tmp_mb"] == 1024


def test_a_runtime_api_is_announced_in_the_environment_only_when_asked_for() -> None:
    plain = request(spec())
    assert plain["env"] == {"AWS_LAMBDA_FUNCTION_NAME": "f", "TZ": ":UTC"}
    with_api = request(spec(api_context=object()))
    assert with_api["env"] == {"AWS_LAMBDA_FUNCTION_NAME": "f", "TZ": ":UTC", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9000"}


def test_the_api_port_is_opened_only_where_the_platform_serves_it() -> None:
    assert request(spec(), serve_api=True)["api_port"] == 9000
    assert request(spec(), serve_api=False)["api_port"] == 0


def test_a_route_out_gates_the_runtime_until_the_stack_is_attached() -> None:
    assert request(spec(), route_out=True)["network_gate"] is True
    assert request(spec(), route_out=False)["network_gate"] is False


def test_a_preloaded_runtime_runs_the_entry_point_and_any_other_is_execd_with_its_argv() -> None:
    assert request(spec())["exec"] is None
    command = ("/usr/bin/node", "/var/runtime/index.mjs")
    assert request(spec(argv=command, preload=None, entry=None))["exec"] == list(command)


def test_extensions_start_from_the_layers_extensions_directory_in_order() -> None:
    assert request(spec(extensions=("b-ext", "a-ext")))["extensions"] == ["/opt/extensions/b-ext", "/opt/extensions/a-ext"]
    assert request(spec())["extensions"] == []


def test_tmp_is_the_sized_image_else_the_spares_staged_mount_else_a_tmpfs() -> None:
    image, staged = "/data/scratch/tmp-1024-ab.img", "/data/sandbox/scratch-staging"
    assert request(spec(), tmp_image=image, staged_tmp=staged)["tmp"] == {"image": image}
    assert request(spec(), staged_tmp=staged)["tmp"] == {"staged": staged}
    assert request(spec())["tmp"] == {}


def test_the_request_holds_every_key_the_runtime_process_reads_and_fits_one_packet() -> None:
    built = request(spec(api_context=object(), extensions=("e",)))
    assert set(RUNTIME_KEYS) <= set(built)
    assert len(json.dumps(built).encode()) < 1 << 20  # what the spare reads in one recv


def test_a_spares_placement_carries_its_tmp_image_only_when_there_is_one() -> None:
    procs = ["/sys/fs/cgroup/memory/lambent/i/1/cgroup.procs"]
    assert placement(procs, "/data/sandbox/reaper-1", None, "/staging") == {
        "cgroup_procs": procs,
        "reaper": "/data/sandbox/reaper-1",
    }
    assert placement(procs, None, "/data/scratch/tmp-512.img", "/staging") == {
        "cgroup_procs": procs,
        "reaper": None,
        "scratch": {"image": "/data/scratch/tmp-512.img", "staging": "/staging"},
    }


def test_a_restore_request_sizes_tmp_and_names_the_api_port() -> None:
    assert restore_request(spec(ephemeral_storage_mb=2048), 9000) == {"tmp_mb": 2048, "hostname": "lambent", "api_port": 9000}
