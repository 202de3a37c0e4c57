"""Each operation Lambent serves, with the IAM action that authorizes it and the resource it is on.

From the Service Authorization Reference ("Actions, resources, and condition keys for AWS
Lambda") and the Lambda Developer Guide's "Fine-tuning the Resources and Conditions sections of
policies":

- the action is the operation's name prefixed ``lambda:``, except Invoke (``lambda:InvokeFunction``)
  and GetLayerVersionByArn (``lambda:GetLayerVersion``);
- an operation that takes a Qualifier (or a qualified FunctionName) is authorized on the
  *qualified* ARN: a policy naming ``function:f`` does not cover ``function:f:1``, one naming
  ``function:f:*`` covers every qualified ARN but not ``function:f`` (``qualifiable`` below);
- PublishLayerVersion and ListLayerVersions are on the layer's ARN, the other layer operations on
  a layer version's, ListLayers and ListFunctions on ``*``;
- the CloudWatch Logs operations are on the log group, rendered as AWS renders it in its refusals
  (``...:log-group:NAME:log-stream:``, which ``log-group:NAME:*`` covers), GetLogEvents on the
  stream;
- Lambent's own usage and budget operations are ``lambent:<Operation>`` on ``*`` in the caller's
  account; those on the server itself (accounts, every account's metrics) in the server's
  default account (``server``); its signing profiles and jobs (its stand-in for AWS Signer)
  ``signer:<Operation>`` on ``*``;
- CreateEventSourceMapping and ListEventSourceMappings are on ``*``, the other mapping operations
  on the mapping's ARN (``arn:aws:lambda:REGION:ACCOUNT:event-source-mapping:UUID``), and so is
  Lambent's own ``lambent:GetEventSourceMappingStatistics`` (a poller's counts and lag);
- its stand-in for S3's bucket notification configuration is S3's actions,
  ``s3:PutBucketNotification`` and ``s3:GetBucketNotification``, on the bucket's ARN
  (``arn:aws:s3:::BUCKET``) in the caller's account.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

from lambent.model.arns import function_arn
from lambent.model.code_signing import config_arn
from lambent.model.layer import layer_arn

ResourceKind = Literal[
    "*", "function", "layer", "layer_version", "code_signing_config", "log_group", "log_stream", "bucket", "event_source_mapping"
]


class Operation(msgspec.Struct, frozen=True):
    action: str
    resource: ResourceKind
    #: True when a Qualifier narrows the resource to a version's or alias's ARN.
    qualifiable: bool = False
    #: True for Lambent's operations on the server itself (its accounts, every account's
    #: metrics): authorized in the server's default account, whose administrator runs it.
    server: bool = False


def _lambda(resource: ResourceKind, *names: str, qualifiable: bool = False) -> dict[str, Operation]:
    return {n: Operation(f"lambda:{n}", resource, qualifiable) for n in names}


OPERATIONS: Mapping[str, Operation] = {
    "Invoke": Operation("lambda:InvokeFunction", "function", qualifiable=True),
    "InvokeWithResponseStream": Operation("lambda:InvokeFunction", "function", qualifiable=True),
    "InvokeAsync": Operation("lambda:InvokeAsync", "function"),
    **_lambda(
        "function",
        "GetFunction",
        "GetFunctionConfiguration",
        "DeleteFunction",
        "AddPermission",
        "RemovePermission",
        "GetPolicy",
        "PutFunctionEventInvokeConfig",
        "GetFunctionEventInvokeConfig",
        "UpdateFunctionEventInvokeConfig",
        "DeleteFunctionEventInvokeConfig",
        "PutProvisionedConcurrencyConfig",
        "GetProvisionedConcurrencyConfig",
        "DeleteProvisionedConcurrencyConfig",
        "CreateFunctionUrlConfig",
        "GetFunctionUrlConfig",
        "UpdateFunctionUrlConfig",
        "DeleteFunctionUrlConfig",
        qualifiable=True,
    ),
    **_lambda(
        "function",
        "CreateFunction",
        "UpdateFunctionConfiguration",
        "UpdateFunctionCode",
        "PublishVersion",
        "ListVersionsByFunction",
        "CreateAlias",
        "GetAlias",
        "UpdateAlias",
        "DeleteAlias",
        "ListAliases",
        "ListFunctionEventInvokeConfigs",
        "ListFunctionUrlConfigs",
        "ListProvisionedConcurrencyConfigs",
        "PutFunctionConcurrency",
        "GetFunctionConcurrency",
        "DeleteFunctionConcurrency",
        "PutFunctionRecursionConfig",
        "GetFunctionRecursionConfig",
        "TagResource",
        "UntagResource",
        "ListTags",
        "PutFunctionCodeSigningConfig",
        "GetFunctionCodeSigningConfig",
        "DeleteFunctionCodeSigningConfig",
    ),
    **_lambda("*", "ListFunctions", "GetAccountSettings", "ListLayers", "CreateCodeSigningConfig", "ListCodeSigningConfigs"),
    **_lambda("layer", "PublishLayerVersion", "ListLayerVersions"),
    **_lambda("*", "CreateEventSourceMapping", "ListEventSourceMappings"),
    **_lambda("event_source_mapping", "GetEventSourceMapping", "UpdateEventSourceMapping", "DeleteEventSourceMapping"),
    **_lambda(
        "layer_version",
        "GetLayerVersion",
        "DeleteLayerVersion",
        "AddLayerVersionPermission",
        "GetLayerVersionPolicy",
        "RemoveLayerVersionPermission",
    ),
    "GetLayerVersionByArn": Operation("lambda:GetLayerVersion", "layer_version"),
    **_lambda(
        "code_signing_config",
        "GetCodeSigningConfig",
        "UpdateCodeSigningConfig",
        "DeleteCodeSigningConfig",
        "ListFunctionsByCodeSigningConfig",
    ),
    **{
        n: Operation(f"lambent:{n}", "*")
        for n in ("GetUsage", "ListUsageRecords", "PutBudget", "GetBudget", "DeleteBudget", "ListBudgets")
    },
    **{n: Operation(f"lambent:{n}", "*", server=True) for n in ("GetMetrics", "CreateAccount", "ListAccounts")},
    "GetEventSourceMappingStatistics": Operation("lambent:GetEventSourceMappingStatistics", "event_source_mapping"),
    "PutBucketNotificationConfiguration": Operation("s3:PutBucketNotification", "bucket"),
    "GetBucketNotificationConfiguration": Operation("s3:GetBucketNotification", "bucket"),
    "PutSigningProfile": Operation("signer:PutSigningProfile", "*"),
    "StartSigningJob": Operation("signer:StartSigningJob", "*"),
    "FilterLogEvents": Operation("logs:FilterLogEvents", "log_group"),
    "DescribeLogStreams": Operation("logs:DescribeLogStreams", "log_group"),
    "GetLogEvents": Operation("logs:GetLogEvents", "log_stream"),
}


def log_group_arn(region: str, account_id: str, group: str, stream: str = "") -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{group}:log-stream:{stream}"


def resource_arn(
    op_name: str,
    *,
    region: str,
    account_id: str,
    function: str | None = None,
    qualifier: str | None = None,
    layer: str | None = None,
    version: int | str | None = None,
    code_signing_config: str | None = None,
    log_group: str | None = None,
    log_stream: str | None = None,
    bucket: str | None = None,
    mapping: str | None = None,
    arn: str | None = None,
) -> str:
    """The ARN *op_name* is authorized on. *arn*, when given (TagResource's Resource, a code
    signing config's ARN), is that ARN as is; a *qualifier* counts only where AWS counts it.
    ``KeyError`` for an unknown operation; ``ValueError`` when a needed part is missing."""
    op = OPERATIONS[op_name]
    if op.resource == "*":
        return "*"
    if arn is not None:
        return arn
    if op.resource == "function" and function is not None:
        return function_arn(region, account_id, function, qualifier if op.qualifiable else None)
    if op.resource == "layer" and layer is not None:
        return layer_arn(region, account_id, layer)
    if op.resource == "layer_version" and layer is not None and version is not None:
        return f"{layer_arn(region, account_id, layer)}:{version}"
    if op.resource == "code_signing_config" and code_signing_config is not None:
        return config_arn(region, account_id, code_signing_config)
    if op.resource == "log_group" and log_group is not None:
        return log_group_arn(region, account_id, log_group)
    if op.resource == "log_stream" and log_group is not None and log_stream is not None:
        return log_group_arn(region, account_id, log_group, log_stream)
    if op.resource == "bucket" and bucket is not None:
        return f"arn:aws:s3:::{bucket}"
    if op.resource == "event_source_mapping" and mapping is not None:
        return f"arn:aws:lambda:{region}:{account_id}:event-source-mapping:{mapping}"
    raise ValueError(f"{op_name} is on a {op.resource}: its name is needed")
