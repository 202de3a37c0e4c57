"""The AWS query protocol (IAM, STS, CloudWatch), read and written from botocore's models.

A request is ``Action=<Op>&Version=<date>&...`` (a form body, or the query string of a GET),
its members flattened by the input shape: ``Tags.member.1.Key``, ``Attributes.entry.1.key``,
``PolicyArns.member.2.arn``. ``QueryCodec.parse`` turns it into a dict keyed by member names, as
boto3 takes them, and checks it against the model's constraints (required, lengths, ranges,
patterns), refusing with AWS's ``ValidationError`` words. ``QueryCodec.render`` writes a result
dict as the output shape's XML::

    <OpResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <OpResult>...</OpResult>
      <ResponseMetadata><RequestId>uuid</RequestId></ResponseMetadata>
    </OpResponse>

lists as ``<member>`` (or the shape's own member name), maps as ``<entry><key/><value/></entry>``,
timestamps ISO-8601 UTC, booleans lower case. ``query_error`` renders an ``ApiError`` as
``<ErrorResponse><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/></ErrorResponse>``.
The XML is built with ElementTree, so every value is escaped. The model is the one boto3 reads
with, so what is written here is what its parser expects (tests/unit/api/test_query.py).
"""

from __future__ import annotations

import base64
import datetime
import functools
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from starlette.responses import Response

from lambent.api.render import request_id
from lambent.errors import ApiError, InvalidAction, ValidationError
from lambent.model.constraints import summary, violations

#: The XML namespace of each query service's answers (its model's ``xmlNamespace``).
NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
}
_XML = "text/xml"


@functools.cache
def service_model(service: str) -> ServiceModel:
    return ServiceModel(Loader().load_service_model(service, "service-2"), service_name=service)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _xml_name(shape: Shape, default: str) -> str:
    return str(shape.serialization.get("name", default))


def _present(form: Mapping[str, str], prefix: str) -> bool:
    dotted = prefix + "."
    return any(key == prefix or key.startswith(dotted) for key in form)


def _scalar(shape: Shape, raw: str, where: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
    except ValueError:
        raise ValidationError(
            f"1 validation error detected: Value '{raw}' at '{where}' failed to satisfy constraint: Member must be a number"
        ) from None
    if kind == "boolean":
        return raw.lower() == "true"
    if kind == "blob":
        return base64.b64decode(raw)
    return raw


def _read(shape: Shape, prefix: str, form: Mapping[str, str], where: str) -> Any:
    """The value of *shape* at *prefix* in *form*, or None when the request has none."""
    if isinstance(shape, StructureShape):
        found: dict[str, Any] = {}
        for member, member_shape in shape.members.items():
            key = _xml_name(member_shape, member)
            value = _read(member_shape, f"{prefix}.{key}" if prefix else key, form, _lower_first(member))
            if value is not None:
                found[member] = value
        return found if found or not prefix else (found if _present(form, prefix) else None)
    if isinstance(shape, ListShape):
        if form.get(prefix) == "":  # botocore's empty list
            return []
        if not _present(form, prefix):
            return None
        flattened = shape.serialization.get("flattened")
        item_prefix = prefix if flattened else f"{prefix}.{_xml_name(shape.member, 'member')}"
        items, index = [], 1
        while _present(form, f"{item_prefix}.{index}"):
            items.append(_read(shape.member, f"{item_prefix}.{index}", form, where))
            index += 1
        return items
    if isinstance(shape, MapShape):
        if not _present(form, prefix):
            return None
        entry_prefix = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name, value_name = _xml_name(shape.key, "key"), _xml_name(shape.value, "value")
        entries, index = {}, 1
        while _present(form, f"{entry_prefix}.{index}"):
            key = form.get(f"{entry_prefix}.{index}.{key_name}", "")
            entries[key] = _read(shape.value, f"{entry_prefix}.{index}.{value_name}", form, where)
            index += 1
        return entries
    raw = form.get(prefix)
    return None if raw is None else _scalar(shape, raw, where)


def _iso(value: Any) -> str:
    if isinstance(value, int | float):
        value = datetime.datetime.fromtimestamp(value, datetime.UTC)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _write(parent: ET.Element, name: str, shape: Shape, value: Any) -> None:
    if isinstance(shape, StructureShape):
        element = ET.SubElement(parent, name)
        for member, member_shape in shape.members.items():
            if value.get(member) is not None:
                _write(element, _xml_name(member_shape, member), member_shape, value[member])
    elif isinstance(shape, ListShape):
        member_name = _xml_name(shape.member, "member")
        if shape.serialization.get("flattened"):
            for item in value:
                _write(parent, _xml_name(shape.member, name), shape.member, item)
            return
        element = ET.SubElement(parent, name)
        for item in value:
            _write(element, member_name, shape.member, item)
    elif isinstance(shape, MapShape):
        element = ET.SubElement(parent, name)
        for key, item in value.items():
            entry = ET.SubElement(element, "entry")
            _write(entry, _xml_name(shape.key, "key"), shape.key, key)
            _write(entry, _xml_name(shape.value, "value"), shape.value, item)
    else:
        ET.SubElement(parent, name).text = _text(shape, value)


def _text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return _iso(value)
    if kind == "blob":
        return base64.b64encode(value).decode()
    return str(value)


def _xml_response(root: ET.Element, status: int) -> Response:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return Response(body, status_code=status, media_type=_XML)


class QueryCodec:
    """One query-protocol service's requests and answers, from its botocore model."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.model = service_model(service)
        self.namespace = str(self.model.metadata["xmlNamespace"])

    def operation(self, action: str | None) -> OperationModel:
        """The operation named by *action*; ``InvalidAction`` if the service has none such."""
        if action and action in self.model.operation_names:
            return self.model.operation_model(action)
        raise InvalidAction(f"Could not find operation {action} for version {self.model.api_version}")

    def parse(self, operation: OperationModel, form: Mapping[str, str]) -> dict[str, Any]:
        """The input of *operation* that *form* carries, checked against the model's constraints."""
        shape = operation.input_shape
        params: dict[str, Any] = _read(shape, "", form, "") if shape is not None else {}
        problems = violations(operation.name, params, service=self.service) if shape is not None else []
        if problems:
            raise ValidationError(summary(problems))
        return params

    def render(self, operation: OperationModel, result: Mapping[str, Any] | None = None) -> Response:
        """*result* (members by model name) as *operation*'s answer."""
        root = ET.Element(f"{operation.name}Response", xmlns=self.namespace)
        shape = operation.output_shape
        if shape is not None:
            wrapper = str(shape.serialization.get("resultWrapper", f"{operation.name}Result"))
            _write(root, wrapper, shape, result or {})
        ET.SubElement(ET.SubElement(root, "ResponseMetadata"), "RequestId").text = request_id()
        return _xml_response(root, 200)


def query_error(error: ApiError, service: str) -> Response:
    """*error* as a query-protocol service answers it: its code, status and message."""
    root = ET.Element("ErrorResponse", xmlns=NAMESPACES.get(service, NAMESPACES["iam"]))
    body = ET.SubElement(root, "Error")
    ET.SubElement(body, "Type").text = "Receiver" if error.status >= 500 else "Sender"
    code = getattr(error, "query_error_type", error.error_type)  # AccessDenied, SignatureDoesNotMatch...
    ET.SubElement(body, "Code").text = code
    ET.SubElement(body, "Message").text = error.message
    ET.SubElement(root, "RequestId").text = request_id()
    return _xml_response(root, error.status)
