"""The event source mapping endpoints (2015-03-31/event-source-mappings): create, get, update,
delete and list, answered as AWS answers them, with the members each kind of source shows.

Each handler: the body read within its limit, checked against the API model (Lambent's own
``SelfManagedEventSource.Endpoints`` keys, ``REDIS_URLS`` and ``NATS_URLS``, are let past the
model's enum of one), decoded into its record, one service call, the mapping rendered.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import json_response
from lambent.model import constraints
from lambent.model.event_source_mapping import ENDPOINT_KINDS, STREAMS, Mapping, MappingInput, MappingUpdate
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES

#: Members every mapping shows, then those only streams show, in AWS's order.
_STREAM_MEMBERS = (
    "ParallelizationFactor",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
)
_OPTIONAL = ("FilterCriteria", "ScalingConfig", "MetricsConfig", "KMSKeyArn", "Topics", "Queues", "SourceAccessConfigurations")


def document(mapping: Mapping) -> dict[str, Any]:
    """The mapping as GetEventSourceMapping answers (``EventSourceMappingConfiguration``)."""
    settings = msgspec.to_builtins(mapping.settings)
    shown: dict[str, Any] = {"UUID": mapping.uuid}
    if mapping.kind in STREAMS:
        shown["StartingPosition"] = settings.get("StartingPosition")
        if "StartingPositionTimestamp" in settings:
            shown["StartingPositionTimestamp"] = settings["StartingPositionTimestamp"]
    shown["BatchSize"] = settings["BatchSize"]
    shown["MaximumBatchingWindowInSeconds"] = settings["MaximumBatchingWindowInSeconds"]
    if mapping.source_arn:
        shown["EventSourceArn"] = mapping.source_arn
    for member in _OPTIONAL:
        if member in settings:
            shown[member] = settings[member]
    shown["FunctionArn"] = mapping.function_arn
    shown["LastModified"] = mapping.last_modified
    if mapping.kind != "sqs":
        shown["LastProcessingResult"] = mapping.last_processing_result
    shown["State"] = mapping.state
    shown["StateTransitionReason"] = mapping.state_transition_reason
    if mapping.kind in STREAMS:
        for member in _STREAM_MEMBERS:
            shown[member] = settings.get(member, {"OnFailure": {}} if member == "DestinationConfig" else None)
    if "SelfManagedEventSource" in settings:
        shown["SelfManagedEventSource"] = settings["SelfManagedEventSource"]
    shown["FunctionResponseTypes"] = settings.get("FunctionResponseTypes", [])
    shown["EventSourceMappingArn"] = mapping.arn
    return shown


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _checked(operation: str, body: dict[str, Any]) -> None:
    """The model's constraints, but for the Endpoints keys Lambent adds beyond AWS's."""
    source = body.get("SelfManagedEventSource")
    endpoints = source.get("Endpoints") if isinstance(source, dict) else None
    if isinstance(endpoints, dict):
        ours = {key: value for key, value in endpoints.items() if key in ENDPOINT_KINDS and key != "KAFKA_BOOTSTRAP_SERVERS"}
        others = {key: value for key, value in endpoints.items() if key not in ours}
        as_aws = {"KAFKA_BOOTSTRAP_SERVERS": next(iter(ours.values()))} if ours else {}
        body = {**body, "SelfManagedEventSource": {**(source or {}), "Endpoints": {**others, **as_aws}}}
    constraints.validate(operation, body)


class EventSourceMappingsApi:
    def __init__(self, cells: RequestCells) -> None:
        self._cells = cells

    async def create(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        body = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "CreateEventSourceMapping")
        _checked("CreateEventSourceMapping", body)
        mapping = await cell.event_sources.create(inputs.decode(body, MappingInput))
        return json_response(document(mapping), 202)

    async def get(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        uuid = request.path_params["UUID"]
        constraints.validate("GetEventSourceMapping", {"UUID": uuid})
        return json_response(document(cell.event_sources.get(uuid)))

    async def update(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        uuid = request.path_params["UUID"]
        body = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "UpdateEventSourceMapping")
        _checked("UpdateEventSourceMapping", {**body, "UUID": uuid})
        mapping = await cell.event_sources.update(uuid, inputs.decode(body, MappingUpdate))
        return json_response(document(mapping), 202)

    async def delete(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        uuid = request.path_params["UUID"]
        constraints.validate("DeleteEventSourceMapping", {"UUID": uuid})
        return json_response(document(await cell.event_sources.delete(uuid)), 202)

    async def statistics(self, request: Request) -> Response:
        """Lambent's own: what the mapping's poller counted, and its lag (queue depth or iterator
        age), for ``lambent sources``; AWS shows these as CloudWatch metrics."""
        cell = await self._cells.of(request.scope)
        uuid = request.path_params["UUID"]
        constraints.validate("GetEventSourceMapping", {"UUID": uuid})
        counted = cell.event_sources.statistics(uuid)
        answer: dict[str, Any] = {"UUID": uuid, "Polling": counted is not None}
        if counted is not None:
            answer.update({_pascal(k): v for k, v in msgspec.to_builtins(counted).items()})
            depth = await cell.event_sources.depth(uuid)
            if depth is not None:
                answer["Depth"] = depth
        return json_response(answer)

    async def list(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        params = inputs.paging(request, "EventSourceArn", "FunctionName")
        params.pop("FunctionVersion", None)
        constraints.validate("ListEventSourceMappings", params)
        chosen, marker = cell.event_sources.find(
            params.get("FunctionName"), params.get("EventSourceArn"), params.get("Marker"), params.get("MaxItems")
        )
        answer: dict[str, Any] = {"EventSourceMappings": [document(m) for m in chosen]}
        if marker:
            answer["NextMarker"] = marker
        return json_response(answer)
