"""The code signing service on the in-memory store: configs and their refusals, the config a
function uses (dropped with the function), signing profiles whose private keys are stored only
sealed, and deployments through ``FunctionService`` verified under Warn and Enforce."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import msgspec
import pytest

from lambent.errors import (
    CodeSigningConfigNotFoundException,
    CodeVerificationFailedException,
    InvalidCodeSignatureException,
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lambent.model.arns import FunctionRef
from lambent.model.code_signing import CreateCodeSigningConfigInput, UpdateCodeSigningConfigInput
from lambent.model.function import CreateFunctionInput, UpdateFunctionCodeInput
from lambent.services.code_signing import CodeSigningService
from lambent.services.function_events import Listeners
from lambent.services.functions import FunctionService
from lambent.services.identity import Sealer
from lambent.services.package_gc import PackageCollector
from tests.fixtures.functions_world import ACCOUNT, REGION, KnownRoles, World, create_document, run
from tests.fixtures.zips import package


class Signed(World):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.sealer = Sealer(b"s" * 32)
        self.signing = CodeSigningService(self.store, self.index, self.sealer, self.clock)
        collector = PackageCollector(self.packages, self.environments)
        self.functions = FunctionService(
            self.store,
            self.index,
            self.packages,
            collector,
            self.layers,
            ["python3.12"],
            Listeners([self.recorder, self.signing]),
            KnownRoles(),
            self.clock,
            signing=self.signing,
        )

    async def config(self, publishers: list[str], policy: str = "Warn") -> str:
        request = msgspec.convert(
            {
                "AllowedPublishers": {"SigningProfileVersionArns": publishers},
                "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": policy},
            },
            CreateCodeSigningConfigInput,
        )
        return (await self.signing.create(request)).arn

    async def deploy(self, name: str, zip_bytes: bytes, **members: Any) -> Any:
        document = {**create_document(name, "v1", **members), "Code": {"ZipFile": base64.b64encode(zip_bytes).decode()}}
        return await self.functions.create(msgspec.convert(document, CreateFunctionInput))

    async def update(self, name: str, zip_bytes: bytes) -> Any:
        document = {"ZipFile": base64.b64encode(zip_bytes).decode()}
        return await self.functions.update_code(name, msgspec.convert(document, UpdateFunctionCodeInput))


CODE = package({"app.py": "def handler(e, c):\n    return 1\n"})


def test_configs_and_their_refusals(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = Signed(tmp_path)
        profile = (await world.signing.create_profile("team")).arn
        arn = await world.config([profile, profile])
        config = world.signing.get(arn)
        assert config.allowed_publishers == (profile,) and config.policy == "Warn"
        assert arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:{config.config_id}"
        updated = await world.signing.update(arn, UpdateCodeSigningConfigInput(description="d"))
        assert (updated.description, updated.allowed_publishers, updated.policy) == ("d", (profile,), "Warn")
        with pytest.raises(InvalidParameterValueException):
            await world.config(["arn:aws:iam::123456789012:role/r"])
        await world.create("fn")
        await world.signing.put_function("fn", arn)
        with pytest.raises(ResourceConflictException) as conflict:
            await world.signing.delete(arn)
        assert "function:fn" in conflict.value.message
        with pytest.raises(CodeSigningConfigNotFoundException):
            await world.signing.put_function("fn", arn + "x")
        with pytest.raises(ResourceNotFoundException):
            await world.signing.put_function("nope", arn)
        assert world.signing.functions_page(arn, None, None) == ([f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"], None)
        await world.functions.delete(FunctionRef(name="fn"))
        assert world.signing.functions_page(arn, None, None) == ([], None)
        assert await world.store.load_function_code_signing() == {}
        await world.signing.delete(arn)
        with pytest.raises(ResourceNotFoundException):
            world.signing.get(arn)

    run(scenario)


def test_profiles_keep_their_private_keys_sealed_and_survive_a_restart(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = Signed(tmp_path)
        made = await world.signing.create_profile("team_a")
        again = await world.signing.create_profile("team_a")
        assert made.arn != again.arn and made.arn.startswith(f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/team_a/")
        (stored, _second) = await world.store.load_signing_profiles()
        assert len(base64.b64decode(world.sealer.open(stored.sealed_private_key))) == 32
        assert stored.public_key not in stored.sealed_private_key
        with pytest.raises(InvalidParameterValueException):
            await world.signing.create_profile("no-dashes")
        restarted = CodeSigningService(world.store, world.index, world.sealer, world.clock)
        await restarted.load()
        job, signed = restarted.sign(made.arn, CODE)
        assert job.startswith(f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-jobs/")
        arn = await world.config([made.arn], "Enforce")
        assert world.signing.deployment("fn", signed, arn) == {"signing_profile_version_arn": made.arn, "signing_job_arn": job}
        with pytest.raises(ResourceNotFoundException):
            restarted.sign(made.arn[:-1] + ("Y" if made.arn.endswith("Z") else "Z"), CODE)  # another version
        with pytest.raises(InvalidParameterValueException):
            restarted.sign(made.arn, b"not a zip")

    run(scenario)


def test_deployments_under_enforce_and_warn(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = Signed(tmp_path)
        trusted, other = (await world.signing.create_profile("trusted")).arn, (await world.signing.create_profile("other")).arn
        enforce, warn = await world.config([trusted], "Enforce"), await world.config([trusted], "Warn")
        job, signed = world.signing.sign(trusted, CODE)
        _other_job, by_other = world.signing.sign(other, CODE)
        tampered = signed.replace(b"app.py", b"app.pz", 1)

        for refused in (CODE, by_other):
            with pytest.raises(CodeVerificationFailedException):
                await world.deploy("strict", refused, CodeSigningConfigArn=enforce)
        assert "strict" not in world.index
        for policy in (enforce, warn):
            with pytest.raises(InvalidCodeSignatureException):
                await world.deploy("strict", tampered, CodeSigningConfigArn=policy)
        with pytest.raises(CodeSigningConfigNotFoundException):
            await world.deploy("strict", signed, CodeSigningConfigArn=enforce[:-1] + ("1" if enforce.endswith("0") else "0"))

        created = await world.deploy("strict", signed, CodeSigningConfigArn=enforce)
        assert (created.signing_profile_version_arn, created.signing_job_arn) == (trusted, job)
        assert world.signing.of_function("strict") == enforce
        with pytest.raises(CodeVerificationFailedException):
            await world.update("strict", by_other)
        assert world.index.resolve(FunctionRef(name="strict")).signing_job_arn == job

        loose = await world.deploy("loose", by_other, CodeSigningConfigArn=warn)
        assert loose.signing_profile_version_arn is None and loose.signing_job_arn is None
        with pytest.raises(InvalidCodeSignatureException):
            await world.update("loose", tampered)
        assert (await world.update("loose", signed)).signing_job_arn == job

        plain = await world.deploy("plain", signed)  # no config: nothing is verified, nothing shown
        assert plain.signing_profile_version_arn is None and world.signing.of_function("plain") is None

    run(scenario)
