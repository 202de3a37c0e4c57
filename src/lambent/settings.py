"""One Settings record, built by a pure function from an explicit environment.

Command-line flags win over ``LAMBENT_*`` variables, which win over the defaults. Nothing here
reads ``os.environ`` itself: callers pass the mapping in, so tests build settings from a dict.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from lambent.errors import SettingsError


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 9001
    data_dir: Path = Path(".lambent")
    region: str = "us-east-1"
    account_id: str = "000000000000"
    #: The URL functions and clients use to reach this server (AWS_ENDPOINT_URL inside functions).
    public_url: str = ""
    #: Seconds an idle warm environment is kept before it is reaped.
    idle_timeout_s: float = 300.0
    #: Account-wide concurrent executions (AWS's default quota).
    concurrency_limit: int = 1000
    #: New execution environments per function per 10 seconds (AWS's default scaling rate).
    scale_out_limit: int = 1000
    #: Sandbox mode: ``namespaces``, ``process``, or ``auto`` (namespaces where this machine allows).
    sandbox: str = "auto"
    log_level: str = "info"
    #: The SQS API that SQS destinations and dead-letter queues are sent to (None: AWS's).
    sqs_endpoint_url: str | None = None
    #: The Kinesis API that Kinesis event source mappings read (None: AWS's).
    kinesis_endpoint_url: str | None = None
    #: Amazon MQ brokers for event source mappings: a JSON object from each broker's ARN to the
    #: AMQP URL of its RabbitMQ (``amqp://user:password@host:port``); Lambent has no MQ service.
    mq_brokers: str = ""
    #: Seconds a Redis Streams entry or NATS JetStream message a mapping read may stay
    #: unacknowledged before it is delivered again (Redis: XAUTOCLAIM's idle time; NATS: the
    #: consumer's AckWait and a failed message's nak delay). Pollers keep what they are invoking
    #: fresh, so only a failed batch's or a crashed server's messages wait this out (decision 0031).
    source_redelivery_s: float = 30.0
    #: Deliveries of one Redis Streams entry or NATS JetStream message before it is given up:
    #: Redis moves it to ``<stream>:dead-letter``, NATS terminates it (decision 0031).
    source_max_deliveries: int = 5
    #: Multiplies AWS's 1 and 2 minute waits before retrying a failed asynchronous invocation.
    async_retry_scale: float = 1.0
    #: Outbound network for functions without a ``lambent:outbound`` tag: ``allow`` (as AWS) or ``none``.
    outbound: str = "allow"
    #: A price table (TOML) to bill with instead of AWS's us-east-1 prices (services/prices.toml).
    prices: Path | None = None
    #: ``on``: every request is signed (SigV4) and authorized; ``off``: permissive, for throwaway
    #: test setups only (refused on a non-loopback address). See decision 0015.
    auth: str = "on"
    #: Where the administrator's key is written as the ``lambent`` profile (AWS's shared files;
    #: defaults: ``AWS_SHARED_CREDENTIALS_FILE`` / ``AWS_CONFIG_FILE``, else ``~/.aws/...``).
    credentials_file: Path | None = None
    aws_config_file: Path | None = None
    #: The key Lambent signs with when it sends to an SQS API (destinations, dead-letter queues).
    function_access_key_id: str = "LAMBENTFUNCTIONKEY00"
    function_secret_access_key: str = "lambent-function-secret"  # noqa: S105 - a placeholder for a local SQS
    #: Where function URLs are served, as ``scheme://host[:port]`` (no path): a URL is then
    #: ``scheme://<url-id>.host[:port]/``, for a proxy that sends every ``*.host`` to this server
    #: (e.g. ``https://urls.example.com`` gives ``https://<url-id>.urls.example.com/``). Empty,
    #: the default: ``http://<url-id>.lambda-url.<region>.localhost:<port>/``, AWS's host form
    #: on this server's port (``*.localhost`` resolves to loopback). A URL is at most 100
    #: characters (the API model's FunctionUrl), so the base is at most 66.
    function_url_base: str = ""
    #: Where HTTP APIs are served, as ``scheme://host[:port]``, as ``function_url_base`` for URLs:
    #: an API's endpoint is then ``scheme://<api-id>.host[:port]``. Empty, the default:
    #: ``http://<api-id>.execute-api.<region>.localhost:<port>`` (decision 0028).
    api_endpoint_base: str = ""
    #: ``on``: Lambda's own metrics (AWS/Lambda) are recorded; ``off``: not (PutMetricData and
    #: EMF still are; decision 0034).
    metrics: str = "on"
    #: Days one-minute metric points are kept (CloudWatch keeps one-minute data 15 days).
    metrics_retention_days: float = 15.0
    #: An OpenTelemetry collector's OTLP/HTTP base URL (``http://host:4318``): the platform's
    #: spans of sampled invocations are exported there. Empty: no export.
    otlp_endpoint: str = ""

    def function_url(self, url_id: str) -> str:
        """The URL of the function URL whose id is *url_id* (``function_url_base``'s rule)."""
        if not self.function_url_base:
            return f"http://{url_id}.lambda-url.{self.region}.localhost:{self.port}/"
        match = _URL_BASE.fullmatch(self.function_url_base)
        if match is None:
            raise SettingsError(f"function_url_base {self.function_url_base!r} is not scheme://host[:port]")
        return f"{match['scheme']}://{url_id}.{match['host']}{match['port'] or ''}/"

    def api_endpoint(self, api_id: str) -> str:
        """The ``ApiEndpoint`` of the HTTP API whose id is *api_id* (``api_endpoint_base``'s rule)."""
        if not self.api_endpoint_base:
            return f"http://{api_id}.execute-api.{self.region}.localhost:{self.port}"
        match = _URL_BASE.fullmatch(self.api_endpoint_base)
        if match is None:
            raise SettingsError(f"api_endpoint_base {self.api_endpoint_base!r} is not scheme://host[:port]")
        return f"{match['scheme']}://{api_id}.{match['host']}{match['port'] or ''}"

    def mq_broker_urls(self) -> dict[str, str]:
        """``mq_brokers`` read: each broker's ARN and its AMQP URL (checked by ``build_settings``)."""
        return _mq_brokers(self.mq_brokers)

    @property
    def endpoint_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


_FIELDS: dict[str, Any] = {f.name: f.type for f in msgspec.structs.fields(Settings)}
_REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")
_ACCOUNT = re.compile(r"\d{12}")
_URL_BASE = re.compile(r"(?P<scheme>https?)://(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?P<port>:\d{1,5})?/?")
#: The longest FunctionUrl the API model allows.
_FUNCTION_URL_MAX = 100


def build_settings(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from ``LAMBENT_<NAME>`` variables in *environ*, then *overrides* (flags).

    ``None`` values in *overrides* mean "not given" and are skipped.
    """
    raw: dict[str, Any] = {}
    for name in _FIELDS:
        value = environ.get(f"LAMBENT_{name.upper()}")
        if value is not None and value != "":
            raw[name] = value
    for name, value in (overrides or {}).items():
        if value is not None:
            raw[name] = value
    if "data_dir" in raw:
        raw["data_dir"] = Path(raw["data_dir"])
    for name in ("prices", "credentials_file", "aws_config_file"):
        if name in raw:
            raw[name] = Path(raw[name])
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(str(exc)) from None
    if not _REGION.fullmatch(settings.region):
        raise SettingsError(f"region {settings.region!r} is not a region name like us-east-1")
    if not _ACCOUNT.fullmatch(settings.account_id):
        raise SettingsError(f"account_id {settings.account_id!r} must be 12 digits")
    if settings.sandbox not in ("auto", "namespaces", "process"):
        raise SettingsError(f"sandbox {settings.sandbox!r} is not one of auto, namespaces, process")
    if settings.outbound not in ("allow", "none"):
        raise SettingsError(f"outbound {settings.outbound!r} is not one of allow, none")
    if settings.metrics not in ("on", "off"):
        raise SettingsError(f"metrics {settings.metrics!r} is not one of on, off")
    if settings.otlp_endpoint and not settings.otlp_endpoint.startswith(("http://", "https://")):
        raise SettingsError(f"otlp_endpoint {settings.otlp_endpoint!r} is not an http:// or https:// URL")
    if settings.metrics_retention_days <= 0:
        raise SettingsError("metrics_retention_days must be more than 0")
    if settings.auth not in ("on", "off"):
        raise SettingsError(f"auth {settings.auth!r} is not one of on, off")
    if settings.auth == "off" and not _is_loopback(settings.host):
        raise SettingsError(f"auth off is refused on {settings.host}: a permissive server listens on loopback only")
    if len(settings.function_url("x" * 32)) > _FUNCTION_URL_MAX:  # also refuses a base of another form
        raise SettingsError(f"function_url_base {settings.function_url_base!r} makes URLs over {_FUNCTION_URL_MAX} characters")
    settings.api_endpoint("x" * 10)  # refuses a base of another form
    if settings.concurrency_limit < 1:
        raise SettingsError("concurrency_limit must be at least 1")
    _mq_brokers(settings.mq_brokers)
    if settings.source_redelivery_s <= 0:
        raise SettingsError("source_redelivery_s must be more than 0")
    if settings.source_max_deliveries < 1:
        raise SettingsError("source_max_deliveries must be at least 1")
    return settings


def _mq_brokers(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        brokers = msgspec.json.decode(text, type=dict[str, str])
    except msgspec.DecodeError as exc:
        raise SettingsError(f"mq_brokers is not a JSON object from broker ARNs to AMQP URLs: {exc}") from None
    for arn, url in brokers.items():
        if not arn.startswith("arn:aws:mq:"):
            raise SettingsError(f"mq_brokers: {arn!r} is not an Amazon MQ broker ARN (arn:aws:mq:...)")
        if not url.startswith(("amqp://", "amqps://")):
            raise SettingsError(f"mq_brokers: the URL of {arn} is not amqp:// or amqps://")
    return brokers


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
