"""The README's "Use it" examples, run as written against a fresh server, with the ``lambent``
profile that server wrote on its first start and nothing else of the caller's AWS settings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.fixtures.server import ROOT, VENV_BIN, Server

README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    section = README[README.index("## Use it") : README.index("The `lambent` CLI")]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_examples_work_with_the_key_the_server_wrote(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        env = server.cli_env(PATH=f"{VENV_BIN}:/usr/bin:/bin")
        assert "AWS_ACCESS_KEY_ID" not in env and env["AWS_PROFILE"] == "lambent"
        (shell,) = blocks("sh")
        script = tmp_path / "use-it.sh"
        script.write_text("set -eu\n" + shell)
        ran = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
        assert ran.returncode == 0, ran.stderr
        assert (tmp_path / "out.json").read_text() == '{"hello": "world"}'
        assert (tmp_path / "url.json").read_text() == '{"hello":null}'  # the URL's event names no one; AWS re-encodes
        (python,) = blocks("python")
        printed = subprocess.run(
            [sys.executable, "-c", python.replace("lam.invoke(", "print(lam.invoke(", 1).rstrip() + ")"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout.strip() == """b'{"hello": "world"}'"""
        assert "created the administrator key AKIA" in server.log_text()
    finally:
        server.stop()
