"""SQS as a queue source: any SQS API (AWS, ElasticMQ, LocalStack, moto's server), through
botocore's client in worker threads of its own pool, so that twenty-second long polls never
starve the server's default executor.

Records have AWS's ``aws:sqs`` shape. A success deletes (``DeleteMessageBatch``); a failure
leaves the message alone, so it comes back when its visibility timeout ends and the queue's
redrive policy counts the receive, as on AWS; a message received and never invoked (a stop) is
made visible at once (``ChangeMessageVisibility`` 0). Filters see the record with ``body``
parsed when it is JSON.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import msgspec

from lambent.sources.queue_poller import Message

T = TypeVar("T")
#: The most messages ReceiveMessage returns, and DeleteMessageBatch takes.
PER_CALL = 10
#: The message system attributes a record carries (FIFO queues add theirs when present).
ATTRIBUTES = ["All"]


class QueueFacts(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    visibility_timeout_s: int
    fifo: bool


class SqsClients:
    """One botocore SQS client and the threads its calls run in, shared by every SQS poller."""

    def __init__(self, region: str, endpoint_url: str | None, access_key_id: str, secret_access_key: str, threads: int = 64):
        self._region = region
        self._endpoint_url = endpoint_url
        self._credentials = (access_key_id, secret_access_key)
        self._threads = threads
        self._client: Any = None
        self._pool: ThreadPoolExecutor | None = None

    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "sqs",
                region_name=self._region,
                endpoint_url=self._endpoint_url,
                aws_access_key_id=self._credentials[0],
                aws_secret_access_key=self._credentials[1],
                config=Config(max_pool_connections=self._threads, retries={"max_attempts": 2}),
            )
        return self._client

    async def call(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="sqs")
        return await asyncio.get_running_loop().run_in_executor(self._pool, lambda: work(*args, **kwargs))

    async def facts(self, arn: str) -> QueueFacts:
        """The queue *arn* names: its URL, visibility timeout and whether it is FIFO. Raises
        botocore's ClientError when there is no such queue."""
        client = self.client()
        name = arn.split(":")[5]
        url = (await self.call(client.get_queue_url, QueueName=name))["QueueUrl"]
        attributes = (await self.call(client.get_queue_attributes, QueueUrl=url, AttributeNames=["All"]))["Attributes"]
        return QueueFacts(
            url=url,
            visibility_timeout_s=int(attributes.get("VisibilityTimeout", 30)),
            fifo=attributes.get("FifoQueue") == "true",
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute as the ``aws:sqs`` record has it (camel case, binary as base64)."""
    binary = value.get("BinaryValue")
    shaped: dict[str, Any] = {}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if binary is not None:
        shaped["binaryValue"] = base64.b64encode(binary).decode()
    shaped["stringListValues"] = list(value.get("StringListValues", []))
    shaped["binaryListValues"] = [base64.b64encode(b).decode() for b in value.get("BinaryListValues", [])]
    shaped["dataType"] = value.get("DataType", "String")
    return shaped


def record(message: dict[str, Any], arn: str, region: str) -> dict[str, Any]:
    """AWS's ``aws:sqs`` record of one received message."""
    shaped: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {name: _attribute(v) for name, v in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if "MD5OfMessageAttributes" in message:
        shaped["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    shaped.update(eventSource="aws:sqs", eventSourceARN=arn, awsRegion=region)
    return shaped


def filter_view(shaped: dict[str, Any]) -> dict[str, Any]:
    """What filters match: the record, its body parsed when it is a JSON object or value."""
    try:
        body = json.loads(shaped["body"])
    except ValueError:
        return shaped
    return {**shaped, "body": body}


class SqsQueue:
    """The queue source of one mapping (``QueueSource``)."""

    per_receive = PER_CALL

    def __init__(self, clients: SqsClients, arn: str, region: str) -> None:
        self._clients = clients
        self._arn = arn
        self._region = region
        self._url: str | None = None

    async def _queue_url(self) -> str:
        if self._url is None:
            self._url = (await self._clients.facts(self._arn)).url
        return self._url

    async def receive(self, limit: int, wait_s: float) -> list[Message]:
        url = await self._queue_url()
        client = self._clients.client()
        answer = await self._clients.call(
            client.receive_message,
            QueueUrl=url,
            MaxNumberOfMessages=max(1, min(limit, PER_CALL)),
            WaitTimeSeconds=max(0, min(20, int(wait_s + 0.999))),
            MessageSystemAttributeNames=ATTRIBUTES,
            MessageAttributeNames=["All"],
        )
        messages = []
        for message in answer.get("Messages", []):
            shaped = record(message, self._arn, self._region)
            size = len(shaped["body"].encode()) + 512
            messages.append(
                Message(
                    id=shaped["messageId"], record=shaped, view=filter_view(shaped), size=size, handle=message["ReceiptHandle"]
                )
            )
        return messages

    async def ack(self, messages: list[Message]) -> None:
        url, client = await self._queue_url(), self._clients.client()
        for start in range(0, len(messages), PER_CALL):
            entries = [{"Id": str(i), "ReceiptHandle": m.handle} for i, m in enumerate(messages[start : start + PER_CALL])]
            await self._clients.call(client.delete_message_batch, QueueUrl=url, Entries=entries)

    async def release(self, messages: list[Message], failed: bool) -> None:
        if failed:  # the visibility timeout brings them back, counted, as on AWS
            return
        url, client = await self._queue_url(), self._clients.client()
        for start in range(0, len(messages), PER_CALL):
            entries = [
                {"Id": str(i), "ReceiptHandle": m.handle, "VisibilityTimeout": 0}
                for i, m in enumerate(messages[start : start + PER_CALL])
            ]
            await self._clients.call(client.change_message_visibility_batch, QueueUrl=url, Entries=entries)

    def event(self, messages: list[Message]) -> bytes:
        return json.dumps({"Records": [m.record for m in messages]}).encode()

    async def depth(self) -> int | None:
        url, client = await self._queue_url(), self._clients.client()
        answer = await self._clients.call(
            client.get_queue_attributes, QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(answer["Attributes"].get("ApproximateNumberOfMessages", 0))

    async def close(self) -> None:
        """The clients are shared: nothing of this mapping's to close."""
