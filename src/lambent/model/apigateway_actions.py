"""The IAM action and resource that authorize an apigatewayv2 control-plane request. Pure.

API Gateway's management APIs are authorized by HTTP method, not by operation: the action is
``apigateway:<METHOD>`` (``GET``, ``POST``, ``PUT``, ``PATCH``, ``DELETE``) and the resource is
the request's path under ``/v2`` as an ARN of no account, ``arn:aws:apigateway:<region>::<path>``
(``arn:aws:apigateway:us-east-1::/apis/a1b2c3d4e5/routes/abc1234``); the Service Authorization
Reference's "Actions, resources, and condition keys for Amazon API Gateway Management V2" and
the developer guide's identity-based policy examples (``arn:aws:apigateway:us-east-1::/restapis``)
say so. Such an ARN names no account, so the resource is the caller's own account's.
"""

from __future__ import annotations

V2_PREFIX = "/v2"


def management_action(method: str) -> str:
    return f"apigateway:{method.upper()}"


def management_resource(region: str, path: str) -> str:
    """The ARN of the resource a ``/v2/...`` request *path* (decoded) is on."""
    resource = path.removeprefix(V2_PREFIX) or "/"
    return f"arn:aws:apigateway:{region}::{resource}"


def execute_api_arn(region: str, account: str, api_id: str, stage: str, method: str, route_key: str) -> str:
    """The ``SourceArn`` an API invokes a function with, as a function's resource policy matches
    it (``aws lambda add-permission --source-arn 'arn:aws:execute-api:REGION:ACCOUNT:API/*/*/PATH'``):
    the API, the stage, the method and the route's path (``$default`` for that route)."""
    _, _, path = route_key.partition(" ")
    return execute_api_resource(region, account, api_id, stage, f"{method}{path}" if path else route_key)


def execute_api_resource(region: str, account: str, api_id: str, stage: str, tail: str) -> str:
    """``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/TAIL``, the one form of both the
    integration's ``SourceArn`` (*tail* ``METHOD/route path``) and a Lambda authorizer's
    ``routeArn`` (*tail* ``METHOD/request path``)."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{tail}"
