"""Code signing: the configs (AWS's CodeSigningConfig API), which function uses which, the
signing profiles that stand in for AWS Signer, and the check every deployment passes.

Guarantees: a deployment to a function with a config is verified against every profile version
Lambent knows, so a signature that fails its integrity check is refused under any policy
(InvalidCodeSignatureException) even when its signer is not an allowed publisher; code that is
unsigned or signed by a profile version outside AllowedPublishers is refused under Enforce and
deployed with a logged warning under Warn (``model.code_signing.judge``). A profile version's
private key is stored only sealed (``Sealer``) and leaves the server only as signatures.
A config that functions still use cannot be deleted.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lambent.clock import Clock, SystemClock
from lambent.errors import InvalidParameterValueException, ResourceConflictException
from lambent.model import code_signature
from lambent.model.code_signature import Verdict
from lambent.model.code_signing import (
    CodeSigningConfig,
    CreateCodeSigningConfigInput,
    Outcome,
    UpdateCodeSigningConfigInput,
    config_arn,
    created_config,
    judge,
    missing_config,
    new_config_id,
    not_found,
    updated_config,
)
from lambent.model.function import aws_timestamp
from lambent.model.paging import page
from lambent.model.signing_profile import (
    SigningProfileVersion,
    check_profile_name,
    job_arn,
    new_version,
    profile_not_found,
    profile_version_arn,
)
from lambent.services.function_events import FunctionListener
from lambent.services.function_index import FunctionIndex
from lambent.services.identity import Sealer
from lambent.store import CodeSigningStore

log = logging.getLogger("lambent.code_signing")
_RAW = serialization.Encoding.Raw


class CodeSigningService(FunctionListener):
    def __init__(self, store: CodeSigningStore, index: FunctionIndex, sealer: Sealer, clock: Clock | None = None) -> None:
        self._store = store
        self._index = index
        self._sealer = sealer
        self._clock = clock or SystemClock()
        self._configs: dict[str, CodeSigningConfig] = {}
        self._uses: dict[str, str] = {}
        self._profiles: dict[str, SigningProfileVersion] = {}
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        self._configs = {c.arn: c for c in await self._store.load_code_signing_configs()}
        self._uses = await self._store.load_function_code_signing()
        self._profiles = {p.arn: p for p in await self._store.load_signing_profiles()}

    def _now(self) -> str:
        return aws_timestamp(datetime.fromtimestamp(self._clock.time(), UTC))

    # -- configs ----------------------------------------------------------------------------------

    def get(self, arn: str) -> CodeSigningConfig:
        config = self._configs.get(arn)
        if config is None:
            raise not_found(arn)
        return config

    async def create(self, request: CreateCodeSigningConfigInput) -> CodeSigningConfig:
        config_id = new_config_id(secrets.token_bytes(17))
        arn = config_arn(self._index.region, self._index.account_id, config_id)
        config = created_config(request, config_id, arn, self._now())
        async with self._lock:
            await self._store.put_code_signing_config(config)
            self._configs[arn] = config
        return config

    async def update(self, arn: str, request: UpdateCodeSigningConfigInput) -> CodeSigningConfig:
        async with self._lock:
            config = updated_config(self.get(arn), request, self._now())
            await self._store.put_code_signing_config(config)
            self._configs[arn] = config
        return config

    async def delete(self, arn: str) -> None:
        async with self._lock:
            self.get(arn)
            users = sorted(name for name, used in self._uses.items() if used == arn)
            if users:
                raise ResourceConflictException(
                    f"The code signing configuration {arn} cannot be deleted because it is used by the following "
                    f"functions: [{', '.join(self._index.arn(name) for name in users)}]"
                )
            await self._store.delete_code_signing_config(arn)
            del self._configs[arn]

    def page(self, marker: str | None, max_items: int | None) -> tuple[list[CodeSigningConfig], str | None]:
        ordered = sorted(self._configs.values(), key=lambda c: c.config_id)
        return page(ordered, lambda c: c.config_id, marker, max_items)

    def functions_page(self, arn: str, marker: str | None, max_items: int | None) -> tuple[list[str], str | None]:
        self.get(arn)
        arns = [self._index.arn(name) for name in sorted(n for n, used in self._uses.items() if used == arn)]
        return page(arns, lambda a: a, marker, max_items)

    # -- which function uses which ------------------------------------------------------------------

    def of_function(self, name: str) -> str | None:
        """The ARN of the config *name* uses (404 when there is no such function)."""
        self._index.function(name)
        return self._uses.get(name)

    async def put_function(self, name: str, arn: str | None) -> None:
        """Make *name* use the config *arn* (None: none)."""
        async with self._lock:
            self._index.function(name)
            if arn is not None and arn not in self._configs:
                raise missing_config(arn)
            await self._store.put_function_code_signing(name, arn)
            if arn is None:
                self._uses.pop(name, None)
            else:
                self._uses[name] = arn

    async def function_deleted(self, name: str) -> None:
        if name in self._uses:
            await self._store.put_function_code_signing(name, None)
            self._uses.pop(name, None)

    # -- deployments ------------------------------------------------------------------------------

    def deployment(self, name: str, package: bytes, arn: str | None = None) -> dict[str, Any]:
        """The version fields a deployment of *package* to *name* gets (who signed it), once
        the config *arn* (CreateFunction's, which must exist; default: the one *name* uses)
        lets it deploy; raises its refusal."""
        if arn is not None and arn not in self._configs:
            raise missing_config(arn)
        config = self._configs.get(arn or self._uses.get(name, ""))
        if config is None:
            return {"signing_profile_version_arn": None, "signing_job_arn": None}
        verdict, signature = code_signature.verify(package, {p.arn: p.public_key for p in self._profiles.values()})
        if verdict is Verdict.VALID and signature is not None and signature.profile_version_arn not in config.allowed_publishers:
            verdict = Verdict.UNTRUSTED
        if judge(verdict, config.enforced, name) is Outcome.WARN:
            log.warning("code of %s deployed under %s: %s (policy Warn)", name, config.arn, verdict.value)
            return {"signing_profile_version_arn": None, "signing_job_arn": None}
        assert signature is not None  # VALID
        return {"signing_profile_version_arn": signature.profile_version_arn, "signing_job_arn": signature.job_arn}

    # -- signing profiles -------------------------------------------------------------------------

    async def create_profile(self, name: str) -> SigningProfileVersion:
        """A new version of profile *name*: a fresh key pair (the first version creates it)."""
        check_profile_name(name)
        key = Ed25519PrivateKey.generate()
        version = new_version(secrets.token_bytes(10))
        arn = profile_version_arn(self._index.region, self._index.account_id, name, version)
        private = key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        profile = SigningProfileVersion(
            account_id=self._index.account_id,
            name=name,
            version=version,
            arn=arn,
            public_key=key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw),
            sealed_private_key=self._sealer.seal(base64.b64encode(private).decode()),
            created=self._now(),
        )
        async with self._lock:
            await self._store.put_signing_profile(profile)
            self._profiles[arn] = profile
        return profile

    def sign(self, arn: str, package: bytes) -> tuple[str, bytes]:
        """A signing job: *package* signed by profile version *arn*; (job ARN, signed package)."""
        profile = self._profiles.get(arn)
        if profile is None:
            raise profile_not_found(arn)
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(self._sealer.open(profile.sealed_private_key)))
        job = job_arn(self._index.region, self._index.account_id, str(uuid.uuid4()))
        try:
            return job, code_signature.sign(package, key, arn, job)
        except ValueError as exc:
            raise InvalidParameterValueException(f"Could not sign the package: {exc}.") from None
