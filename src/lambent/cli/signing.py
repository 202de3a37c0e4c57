"""``lambent signing-profile create`` and ``lambent sign``: Lambent's stand-in for AWS Signer
(decision 0022). The server keeps each profile version's private key sealed and signs on
request, so signing needs the same credentials as any other call and no key leaves it."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Annotated

import typer

from lambent.cli.console import EndpointOption, err, lambent_api

profile_app = typer.Typer(help="Signing profiles: the key pairs code signing configs trust.", no_args_is_help=True)


@profile_app.command("create")
def profile_create(
    name: Annotated[str, typer.Argument(help="The profile's name (2 to 64 of A-Z, a-z, 0-9, _).")],
    endpoint_url: EndpointOption = None,
) -> None:
    """Make a new version of profile NAME (a fresh key pair); prints its profile version ARN."""
    sys.stdout.write(lambent_api(endpoint_url, "POST", f"/signing-profiles/{name}")["ProfileVersionArn"] + "\n")


def sign(
    source: Annotated[Path, typer.Argument(help="The zip to sign.", exists=True, dir_okay=False)],
    target: Annotated[Path, typer.Argument(help="Where to write the signed zip.", dir_okay=False)],
    profile_version_arn: Annotated[str, typer.Option("--profile-version-arn", help="The profile version that signs.")],
    endpoint_url: EndpointOption = None,
) -> None:
    """Sign a deployment package: the signature rides in the zip's comment (decision 0016)."""
    body = {"ProfileVersionArn": profile_version_arn, "ZipFile": base64.b64encode(source.read_bytes()).decode()}
    answer = lambent_api(endpoint_url, "POST", "/signing-jobs", body)
    target.write_bytes(base64.b64decode(answer["ZipFile"]))
    err.print(f"signed {source} as {target} (job {answer['JobArn']})")
    sys.stdout.write(answer["JobArn"] + "\n")
