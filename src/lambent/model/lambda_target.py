"""Which Lambda function an API Gateway integration or authorizer names. Pure.

API Gateway takes a Lambda function two ways: its ARN (``arn:aws:lambda:REGION:ACCOUNT:function:
NAME[:QUALIFIER]``, a version or an alias), as an HTTP API's integration URI and quick create's
Target take it; or the invocation URI REST APIs and authorizers use
(``arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/<function ARN>/invocations``).
"""

from __future__ import annotations

import re

import msgspec

_FUNCTION = re.compile(
    r"arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):(?P<account>\d{12}):"
    r"function:(?P<name>[a-zA-Z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]{1,128}))?"
)
_INVOCATION = re.compile(r"arn:aws[a-zA-Z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(?P<arn>[^/]+)/invocations")


class LambdaTarget(msgspec.Struct, frozen=True, kw_only=True):
    region: str
    account: str
    name: str
    qualifier: str | None = None

    @property
    def arn(self) -> str:
        """The function's ARN, qualified as named (the ARN its resource policy is on)."""
        arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"
        return f"{arn}:{self.qualifier}" if self.qualifier else arn


def lambda_target(uri: str) -> LambdaTarget | None:
    """The function *uri* names, or None when it names none."""
    invocation = _INVOCATION.fullmatch(uri)
    if invocation is not None:
        uri = invocation["arn"]
    match = _FUNCTION.fullmatch(uri)
    if match is None:
        return None
    return LambdaTarget(region=match["region"], account=match["account"], name=match["name"], qualifier=match["qualifier"])
