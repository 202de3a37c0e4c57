"""The administrator's key where the AWS CLI, boto3 and ``lambent`` look for it: a profile in
AWS's shared credentials and config files.

``[lambent]`` in the credentials file holds the key; ``[profile lambent]`` in the config file
holds the region and this server's ``endpoint_url`` (botocore reads it since 1.31), so that
``AWS_PROFILE=lambent aws lambda list-functions`` needs no other flag. Other profiles in either
file are kept as they are; the credentials file is written 0600, as the AWS CLI writes it.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path

from lambent.model.identity import Credential

PROFILE = "lambent"


def profile_paths(credentials_file: Path | None, config_file: Path | None, environ: Mapping[str, str]) -> tuple[Path, Path]:
    """The files to write: as given, else where the AWS CLI and SDKs read them
    (``AWS_SHARED_CREDENTIALS_FILE`` / ``AWS_CONFIG_FILE``, else ``~/.aws/credentials`` / ``config``)."""
    home = Path(environ.get("HOME") or "/root")
    return (
        credentials_file or Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials"),
        config_file or Path(environ.get("AWS_CONFIG_FILE") or home / ".aws" / "config"),
    )


def _write(path: Path, parser: configparser.ConfigParser, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".lambent-tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        parser.write(handle)
    os.replace(temporary, path)


def _read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    if path.exists():
        parser.read(path)
    return parser


def write_profile(credentials_path: Path, config_path: Path, credential: Credential, region: str, endpoint_url: str) -> bool:
    """Make the ``lambent`` profile hold *credential*; whether either file changed."""
    keys = {"aws_access_key_id": credential.access_key_id, "aws_secret_access_key": credential.secret_access_key}
    wrote_keys = _ensure(credentials_path, PROFILE, keys, 0o600)
    wrote_config = _ensure(config_path, f"profile {PROFILE}", {"region": region, "endpoint_url": endpoint_url}, 0o644)
    return wrote_keys or wrote_config


def _ensure(path: Path, section: str, values: dict[str, str], mode: int) -> bool:
    """Make *section* of the INI file at *path* hold *values*; whether the file was written."""
    parser = _read(path)
    if parser.has_section(section) and {k: parser.get(section, k, fallback=None) for k in values} == values:
        return False
    if not parser.has_section(section):
        parser.add_section(section)
    for name, value in values.items():
        parser.set(section, name, value)
    _write(path, parser, mode)
    return True


def read_profile(credentials_path: Path) -> tuple[str, str] | None:
    """The ``lambent`` profile's (access key id, secret), if the file has one."""
    keys = _read(credentials_path)
    if not keys.has_section(PROFILE):
        return None
    key_id = keys.get(PROFILE, "aws_access_key_id", fallback=None)
    secret = keys.get(PROFILE, "aws_secret_access_key", fallback=None)
    return (key_id, secret) if key_id and secret else None
