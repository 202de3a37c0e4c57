"""S3 event notifications as AWS sends them to Lambda and to EventBridge, made from what an
S3-compatible store pushes. Pure.

A bucket's ``NotificationConfiguration`` is AWS's shape, its Lambda half and EventBridge's:
``LambdaFunctionConfigurations`` (Id, LambdaFunctionArn, Events, Filter.Key.FilterRules) and
``EventBridgeConfiguration: {}``. An event type is ``s3:ObjectCreated:Put`` or a family's
wildcard ``s3:ObjectCreated:*``; a filter has at most one ``prefix`` and one ``suffix`` rule
(names in any case, as S3 takes them), matched against the object's key as stored.

A store's record (``StoreRecord``) comes in three dialects, told apart by ``eventSource``:
Ceph RGW's (``ceph:s3``, eventVersion 2.2: the key raw UTF-8, time in microseconds, region
empty, ``versionId`` "" when unversioned, deletes with size and eTag), MinIO's (``minio:s3``,
2.0) and AWS's own (``aws:s3``); the last two carry the key URL-encoded already. Each becomes
AWS's 2.1 record for one configuration: the region the function lives in, the configuration's
Id, the key form-encoded as S3 encodes it (``red flower.jpg`` -> ``red+flower.jpg``), the time
in milliseconds, ``versionId`` only when the object has one, and a delete without size or eTag.
The store's own extras (bucket id, metadata, tags, eventId, opaqueData) are dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import msgspec

from lambent.errors import InvalidParameterValueException
from lambent.model.lambda_target import lambda_target

#: What the ingest endpoint reads of one POST at most (RGW posts one record of ~1-2 KB; AWS caps
#: a notification at 64 KB; MinIO may post a few records at once).
INGEST_LIMIT_BYTES = 256 * 1024
#: What a NotificationConfiguration body may be.
CONFIG_LIMIT_BYTES = 64 * 1024

#: The event types Lambda configurations may name (AWS's "Supported event types"), by family.
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "ObjectCreated": ("Put", "Post", "Copy", "CompleteMultipartUpload"),
    "ObjectRemoved": ("Delete", "DeleteMarkerCreated"),
    "ObjectRestore": ("Post", "Completed", "Delete"),
    "ObjectTagging": ("Put", "Delete"),
    "ObjectAcl": ("Put",),
    "LifecycleExpiration": ("Delete", "DeleteMarkerCreated"),
    "LifecycleTransition": (),
    "ReducedRedundancyLostObject": (),
    "Replication": ("OperationFailedReplication", "OperationMissedThreshold", "OperationReplicatedAfterThreshold"),
    "IntelligentTiering": (),
}


def known_event_types() -> frozenset[str]:
    names = set()
    for family, members in EVENT_TYPES.items():
        if members:
            names.add(f"s3:{family}:*")
            names.update(f"s3:{family}:{member}" for member in members)
        else:
            names.add(f"s3:{family}")
    return frozenset(names)


_KNOWN = known_event_types()


#: AWS's member names, frozen, unknown members refused, absent ones left out when rendered.
_SHAPE: dict[str, Any] = {
    "frozen": True,
    "kw_only": True,
    "rename": "pascal",
    "forbid_unknown_fields": True,
    "omit_defaults": True,
}


class FilterRule(msgspec.Struct, **_SHAPE):
    name: str
    value: str


class KeyFilter(msgspec.Struct, **_SHAPE):
    filter_rules: tuple[FilterRule, ...] = ()


class NotificationFilter(msgspec.Struct, **_SHAPE):
    key: KeyFilter | None = None


class LambdaConfiguration(msgspec.Struct, **_SHAPE):
    lambda_function_arn: str
    events: tuple[str, ...]
    config_id: str | None = msgspec.field(default=None, name="Id")
    filter: NotificationFilter | None = None


class EventBridgeConfiguration(msgspec.Struct, **_SHAPE):
    pass


class NotificationConfiguration(msgspec.Struct, **_SHAPE):
    """The body of PutBucketNotificationConfiguration, Lambda's and EventBridge's members (the
    SQS and SNS ones are S3's own destinations, which Lambent does not deliver to)."""

    lambda_function_configurations: tuple[LambdaConfiguration, ...] = ()
    event_bridge_configuration: EventBridgeConfiguration | None = None


class BucketNotification(msgspec.Struct, frozen=True, kw_only=True):
    """One bucket's configuration in an account, with the secret the store's pushes carry."""

    bucket: str
    configuration: NotificationConfiguration
    token: str
    updated_at: float


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def checked(configuration: NotificationConfiguration, new_id: Any) -> NotificationConfiguration:
    """*configuration* as S3 stores it, each configuration given an Id (``new_id()``) where it
    has none; InvalidParameterValueException for what S3 refuses (an unknown event type, a
    filter rule other than one prefix and one suffix, an ARN naming no function, a duplicate Id)."""
    seen: set[str] = set()
    kept = []
    for item in configuration.lambda_function_configurations:
        if lambda_target(item.lambda_function_arn) is None:
            raise InvalidParameterValueException(f"LambdaFunctionArn {item.lambda_function_arn!r} names no function.")
        if not item.events:
            raise InvalidParameterValueException("A configuration names at least one event type.")
        for name in item.events:
            if name not in _KNOWN:
                raise InvalidParameterValueException(f"The event is not supported for notifications: {name}")
        rules = item.filter.key.filter_rules if item.filter and item.filter.key else ()
        names = [rule.name.lower() for rule in rules]
        if any(n not in ("prefix", "suffix") for n in names) or len(set(names)) != len(names):
            raise InvalidParameterValueException("A filter has at most one prefix rule and one suffix rule.")
        config_id = item.config_id or new_id()
        if config_id in seen:
            raise InvalidParameterValueException(f"Configuration Id {config_id} is used twice.")
        seen.add(config_id)
        kept.append(msgspec.structs.replace(item, config_id=config_id))
    return msgspec.structs.replace(configuration, lambda_function_configurations=tuple(kept))


# -- matching --------------------------------------------------------------------------------


def event_matches(wanted: str, event_name: str) -> bool:
    """Whether the configured type *wanted* (``s3:ObjectCreated:*``) covers *event_name*
    (``ObjectCreated:Put``, as records name it)."""
    name = wanted.removeprefix("s3:")
    if name.endswith(":*"):
        return event_name.startswith(name[:-1])
    return event_name == name


def key_matches(item: LambdaConfiguration, key: str) -> bool:
    """Whether the raw *key* passes *item*'s prefix and suffix rules (case-sensitive values)."""
    rules = item.filter.key.filter_rules if item.filter and item.filter.key else ()
    for rule in rules:
        kind = rule.name.lower()
        if kind == "prefix" and not key.startswith(rule.value):
            return False
        if kind == "suffix" and not key.endswith(rule.value):
            return False
    return True


def matching(configuration: NotificationConfiguration, event_name: str, key: str) -> list[LambdaConfiguration]:
    return [
        item
        for item in configuration.lambda_function_configurations
        if any(event_matches(wanted, event_name) for wanted in item.events) and key_matches(item, key)
    ]


# -- a store's records -----------------------------------------------------------------------


class StoreRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What Lambent needs of one record a store pushed, its key decoded."""

    event_name: str
    event_time: datetime
    bucket: str
    key: str
    size: int | None
    etag: str | None
    version_id: str | None
    sequencer: str | None
    principal_id: str
    owner_id: str
    source_ip: str
    request_id: str
    host_id: str


class BadRecord(ValueError):
    """A pushed record that is not an S3 event record (``str()``: what is wrong)."""


def _text(mapping: Any, *path: str, default: str = "") -> str:
    for name in path:
        if not isinstance(mapping, dict):
            return default
        mapping = mapping.get(name)
    return mapping if isinstance(mapping, str) else default


def _time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(f"eventTime {text!r} is not an ISO-8601 time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_records(document: Any) -> list[StoreRecord]:
    """The records of a pushed body (``{"Records": [...]}``); BadRecord for anything else."""
    if not isinstance(document, dict) or not isinstance(document.get("Records"), list):
        raise BadRecord('the body is no {"Records": [...]} object')
    return [parse_record(item) for item in document["Records"]]


def parse_record(item: Any) -> StoreRecord:
    if not isinstance(item, dict):
        raise BadRecord("a record is not an object")
    s3 = item.get("s3")
    obj = s3.get("object") if isinstance(s3, dict) else None
    name, bucket, key = _text(item, "eventName"), _text(s3, "bucket", "name"), _text(obj, "key")
    if not name or not bucket or not key or not isinstance(obj, dict):
        raise BadRecord("a record lacks eventName, s3.bucket.name or s3.object.key")
    if _text(item, "eventSource") != "ceph:s3":  # AWS and MinIO send the key encoded already
        key = unquote_plus(key)
    size = obj.get("size")
    return StoreRecord(
        event_name=name,
        event_time=_time(_text(item, "eventTime")),
        bucket=bucket,
        key=key,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        etag=_text(obj, "eTag") or None,
        version_id=_text(obj, "versionId") or None,
        sequencer=_text(obj, "sequencer") or None,
        principal_id=_text(item, "userIdentity", "principalId"),
        owner_id=_text(s3, "bucket", "ownerIdentity", "principalId"),
        source_ip=_text(item, "requestParameters", "sourceIPAddress"),
        request_id=_text(item, "responseElements", "x-amz-request-id"),
        host_id=_text(item, "responseElements", "x-amz-id-2"),
    )


# -- what AWS sends --------------------------------------------------------------------------


def encode_key(key: str) -> str:
    """The key as S3 writes it in a notification: form-encoded UTF-8 (space as ``+``), as Java's
    URLEncoder does, ``/`` kept (``in/hello wörld+a=b`` -> ``in/hello+w%C3%B6rld%2Ba%3Db``)."""
    return quote_plus(key, safe="/*").replace("~", "%7E")


def event_time(moment: datetime) -> str:
    """ISO-8601 with milliseconds, UTC: ``2026-12-04T18:02:29.208Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _is_removal(event_name: str) -> bool:
    return event_name.startswith(("ObjectRemoved:", "LifecycleExpiration:"))


def lambda_record(record: StoreRecord, region: str, configuration_id: str) -> dict[str, Any]:
    """AWS's record (eventVersion 2.1) of *record* for the configuration *configuration_id*."""
    obj: dict[str, Any] = {"key": encode_key(record.key)}
    if not _is_removal(record.event_name):
        if record.size is not None:
            obj["size"] = record.size
        if record.etag is not None:
            obj["eTag"] = record.etag
    if record.version_id is not None:
        obj["versionId"] = record.version_id
    if record.sequencer is not None:
        obj["sequencer"] = record.sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time(record.event_time),
        "eventName": record.event_name,
        "userIdentity": {"principalId": record.principal_id},
        "requestParameters": {"sourceIPAddress": record.source_ip},
        "responseElements": {"x-amz-request-id": record.request_id, "x-amz-id-2": record.host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": record.bucket,
                "ownerIdentity": {"principalId": record.owner_id},
                "arn": bucket_arn(record.bucket),
            },
            "object": obj,
        },
    }


#: eventName -> the ``reason`` S3 gives EventBridge.
_REASONS = {
    "ObjectCreated:Put": "PutObject",
    "ObjectCreated:Post": "POST Object",
    "ObjectCreated:Copy": "CopyObject",
    "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "ObjectRemoved:Delete": "DeleteObject",
    "ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
    "LifecycleExpiration:Delete": "Lifecycle Expiration",
    "LifecycleExpiration:DeleteMarkerCreated": "Lifecycle Expiration",
}


def eventbridge_event(record: StoreRecord, event_id: str, account: str, region: str) -> dict[str, Any] | None:
    """The ``aws.s3`` event S3 puts on the default bus for *record* ("Object Created" or
    "Object Deleted"; the key not encoded), or None for an event type Lambent does not send."""
    reason = _REASONS.get(record.event_name)
    if reason is None:
        return None
    created = record.event_name.startswith("ObjectCreated:")
    obj: dict[str, Any] = {"key": record.key}
    if created:
        if record.size is not None:
            obj["size"] = record.size
        if record.etag is not None:
            obj["etag"] = record.etag
    if record.version_id is not None:
        obj["version-id"] = record.version_id
    if record.sequencer is not None:
        obj["sequencer"] = record.sequencer
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": record.bucket},
        "object": obj,
        "request-id": record.request_id,
        "requester": record.principal_id,
        "source-ip-address": record.source_ip,
        "reason": reason,
    }
    if not created:
        marker = record.event_name.endswith("DeleteMarkerCreated")
        detail["deletion-type"] = "Delete Marker Created" if marker else "Permanently Deleted"
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Object Created" if created else "Object Deleted",
        "source": "aws.s3",
        "account": account,
        "time": record.event_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [bucket_arn(record.bucket)],
        "detail": detail,
    }
