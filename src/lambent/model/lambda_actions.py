"""Each operation Lambent serves, by its AWS name, mapped to the IAM action and the resource a
policy must name for it (AWS's service authorization reference for Lambda). Pure.

Resource kinds: ``*`` (the action names no resource: a policy needs ``"Resource": "*"``),
``function`` (the function's ARN; *qualified* operations are authorized on the version or alias
ARN when the request names one, as Lambda does, so a policy on the unqualified ARN does not
cover them), ``layer`` / ``layer_version``, and ``tagged`` (the ARN the request tags).
Lambent's own operations (usage, budgets, metrics) are ``lambent:`` actions on ``*``; its signing
profiles and jobs are ``signer:`` actions on ``*``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

ResourceKind = Literal["*", "function", "layer", "layer_version", "tagged"]


class Operation(msgspec.Struct, frozen=True):
    action: str
    resource: ResourceKind
    qualified: bool = False


def _fn(action: str, qualified: bool = False) -> Operation:
    return Operation(f"lambda:{action}", "function", qualified)


OPERATIONS: dict[str, Operation] = {
    "Invoke": _fn("InvokeFunction", qualified=True),
    "InvokeAsync": _fn("InvokeFunction", qualified=True),
    "CreateFunction": _fn("CreateFunction"),
    "GetFunction": _fn("GetFunction", qualified=True),
    "GetFunctionConfiguration": _fn("GetFunctionConfiguration", qualified=True),
    "UpdateFunctionConfiguration": _fn("UpdateFunctionConfiguration"),
    "UpdateFunctionCode": _fn("UpdateFunctionCode"),
    "DeleteFunction": _fn("DeleteFunction", qualified=True),
    "ListFunctions": Operation("lambda:ListFunctions", "*"),
    "PublishVersion": _fn("PublishVersion"),
    "ListVersionsByFunction": _fn("ListVersionsByFunction"),
    "CreateAlias": _fn("CreateAlias"),
    "GetAlias": _fn("GetAlias"),
    "UpdateAlias": _fn("UpdateAlias"),
    "DeleteAlias": _fn("DeleteAlias"),
    "ListAliases": _fn("ListAliases"),
    "PutFunctionEventInvokeConfig": _fn("PutFunctionEventInvokeConfig", qualified=True),
    "UpdateFunctionEventInvokeConfig": _fn("UpdateFunctionEventInvokeConfig", qualified=True),
    "GetFunctionEventInvokeConfig": _fn("GetFunctionEventInvokeConfig", qualified=True),
    "DeleteFunctionEventInvokeConfig": _fn("DeleteFunctionEventInvokeConfig", qualified=True),
    "ListFunctionEventInvokeConfigs": _fn("ListFunctionEventInvokeConfigs"),
    "PutProvisionedConcurrencyConfig": _fn("PutProvisionedConcurrencyConfig", qualified=True),
    "GetProvisionedConcurrencyConfig": _fn("GetProvisionedConcurrencyConfig", qualified=True),
    "DeleteProvisionedConcurrencyConfig": _fn("DeleteProvisionedConcurrencyConfig", qualified=True),
    "PutFunctionRecursionConfig": _fn("PutFunctionRecursionConfig"),
    "GetFunctionRecursionConfig": _fn("GetFunctionRecursionConfig"),
    "PutFunctionConcurrency": _fn("PutFunctionConcurrency"),
    "GetFunctionConcurrency": _fn("GetFunctionConcurrency"),
    "DeleteFunctionConcurrency": _fn("DeleteFunctionConcurrency"),
    "AddPermission": _fn("AddPermission", qualified=True),
    "RemovePermission": _fn("RemovePermission", qualified=True),
    "GetPolicy": _fn("GetPolicy", qualified=True),
    "GetAccountSettings": Operation("lambda:GetAccountSettings", "*"),
    "TagResource": Operation("lambda:TagResource", "tagged"),
    "UntagResource": Operation("lambda:UntagResource", "tagged"),
    "ListTags": Operation("lambda:ListTags", "tagged"),
    "ListLayers": Operation("lambda:ListLayers", "*"),
    "ListLayerVersions": Operation("lambda:ListLayerVersions", "*"),
    "PublishLayerVersion": Operation("lambda:PublishLayerVersion", "layer"),
    "GetLayerVersion": Operation("lambda:GetLayerVersion", "layer_version"),
    "DeleteLayerVersion": Operation("lambda:DeleteLayerVersion", "layer_version"),
    "AddLayerVersionPermission": Operation("lambda:AddLayerVersionPermission", "layer_version"),
    "GetLayerVersionPolicy": Operation("lambda:GetLayerVersionPolicy", "layer_version"),
    "RemoveLayerVersionPermission": Operation("lambda:RemoveLayerVersionPermission", "layer_version"),
    "CreateCodeSigningConfig": Operation("lambda:CreateCodeSigningConfig", "*"),
    "GetCodeSigningConfig": Operation("lambda:GetCodeSigningConfig", "*"),
    "UpdateCodeSigningConfig": Operation("lambda:UpdateCodeSigningConfig", "*"),
    "DeleteCodeSigningConfig": Operation("lambda:DeleteCodeSigningConfig", "*"),
    "ListCodeSigningConfigs": Operation("lambda:ListCodeSigningConfigs", "*"),
    "ListFunctionsByCodeSigningConfig": Operation("lambda:ListFunctionsByCodeSigningConfig", "*"),
    "PutFunctionCodeSigningConfig": _fn("PutFunctionCodeSigningConfig"),
    "GetFunctionCodeSigningConfig": _fn("GetFunctionCodeSigningConfig"),
    "DeleteFunctionCodeSigningConfig": _fn("DeleteFunctionCodeSigningConfig"),
    # Lambent's stand-in for AWS Signer (decision 0020), by Signer's action names.
    "PutSigningProfile": Operation("signer:PutSigningProfile", "*"),
    "StartSigningJob": Operation("signer:StartSigningJob", "*"),
    "GetUsage": Operation("lambent:GetUsage", "*"),
    "ListUsageRecords": Operation("lambent:ListUsageRecords", "*"),
    "ListBudgets": Operation("lambent:ListBudgets", "*"),
    "PutBudget": Operation("lambent:PutBudget", "*"),
    "GetBudget": Operation("lambent:GetBudget", "*"),
    "DeleteBudget": Operation("lambent:DeleteBudget", "*"),
    "GetMetrics": Operation("lambent:GetMetrics", "*"),
}


def log_group_arn(region: str, account_id: str, group: str) -> str:
    """A log group as CloudWatch Logs' actions name it (``...:log-group:NAME:*``)."""
    return f"arn:aws:logs:{region}:{account_id}:log-group:{group}:*"
