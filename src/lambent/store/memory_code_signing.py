"""The code signing half of ``MemoryStore``: configs, which function uses which, signing
profile versions, in dictionaries (answering as ``store.sql_code_signing`` does)."""

from __future__ import annotations

from lambent.model.code_signing import CodeSigningConfig
from lambent.model.signing_profile import SigningProfileVersion


class MemoryCodeSigning:
    """Mixed into ``MemoryStore``, which binds these to its account's."""

    _code_signing_configs: dict[str, CodeSigningConfig]
    _function_code_signing: dict[str, str]
    _signing_profiles: dict[str, SigningProfileVersion]

    async def load_code_signing_configs(self) -> list[CodeSigningConfig]:
        return sorted(self._code_signing_configs.values(), key=lambda c: c.config_id)

    async def put_code_signing_config(self, config: CodeSigningConfig) -> None:
        self._code_signing_configs[config.arn] = config

    async def delete_code_signing_config(self, arn: str) -> None:
        self._code_signing_configs.pop(arn, None)

    async def load_function_code_signing(self) -> dict[str, str]:
        return dict(self._function_code_signing)

    async def put_function_code_signing(self, name: str, arn: str | None) -> None:
        if arn is None:
            self._function_code_signing.pop(name, None)
        else:
            self._function_code_signing[name] = arn

    async def load_signing_profiles(self) -> list[SigningProfileVersion]:
        return list(self._signing_profiles.values())

    async def put_signing_profile(self, profile: SigningProfileVersion) -> None:
        if profile.arn in self._signing_profiles:
            raise KeyError(profile.arn)
        self._signing_profiles[profile.arn] = profile
