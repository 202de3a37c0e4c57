"""Deliveries of asynchronous invocation outcomes: to a function, an EventBridge bus, an SQS queue,
or a webhook.

An event bus gets the invocation record as the ``detail`` of an event from ``lambda``
(``detail-type`` "Lambda Function Invocation Result - Success" or "- Failure"), put on the bus as
PutEvents would put it, so the bus's rules route it (``to_bus``: the account's EventBridge).

SQS deliveries go to any SQS API endpoint (``LAMBENT_SQS_ENDPOINT_URL``: AWS, or a local
stand-in such as moto's server), with boto3 in a worker thread; webhooks get the invocation
record as a JSON POST. A failed delivery raises, so the caller can say so loudly.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from lambent.model.event_invoke import destination_kind, sqs_queue_name, webhook_url

SendToFunction = Callable[[str, bytes], Awaitable[None]]
#: Puts an invocation record (JSON) on the event bus of an ARN.
SendToBus = Callable[[str, bytes], Awaitable[None]]


class Destinations:
    def __init__(
        self,
        region: str,
        sqs_endpoint_url: str | None,
        access_key_id: str,
        secret_access_key: str,
        to_bus: SendToBus | None = None,
    ) -> None:
        self._region = region
        self._to_bus = to_bus
        self._sqs_endpoint_url = sqs_endpoint_url
        self._credentials = (access_key_id, secret_access_key)
        self._sqs: Any = None

    def _sqs_client(self) -> Any:
        if self._sqs is None:
            import boto3

            self._sqs = boto3.client(
                "sqs",
                region_name=self._region,
                endpoint_url=self._sqs_endpoint_url,
                aws_access_key_id=self._credentials[0],
                aws_secret_access_key=self._credentials[1],
            )
        return self._sqs

    async def deliver(
        self, target: str, body: bytes, to_function: SendToFunction, attributes: dict[str, str] | None = None
    ) -> None:
        kind = destination_kind(target)
        if kind == "lambda":
            await to_function(target, body)
        elif kind == "eventbridge" and self._to_bus is not None:
            await self._to_bus(target, body)
        elif kind == "sqs":
            await asyncio.to_thread(self._send_sqs, target, body, attributes or {})
        elif kind == "webhook":
            await asyncio.to_thread(self._post, webhook_url(target), body)
        else:
            raise ValueError(f"unsupported destination {target}")

    def _send_sqs(self, arn: str, body: bytes, attributes: dict[str, str]) -> None:
        client = self._sqs_client()
        url = client.get_queue_url(QueueName=sqs_queue_name(arn))["QueueUrl"]
        message_attributes = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        client.send_message(QueueUrl=url, MessageBody=body.decode("utf-8", "replace"), MessageAttributes=message_attributes)

    @staticmethod
    def _post(url: str, body: bytes) -> None:
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - http(s) only
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http(s) only (checked)
            response.read()


def dead_letter_attributes(request_id: str, error: dict[str, Any] | None) -> dict[str, str]:
    """The message attributes AWS puts on a dead-letter message."""
    attributes = {"RequestID": request_id}
    if error is not None:
        attributes["ErrorCode"] = "200"
        attributes["ErrorMessage"] = json.dumps(error)[:1024]
    return attributes
