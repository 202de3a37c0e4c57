"""Durable state behind a few small protocols; SQLite (WAL) by default, PostgreSQL later.

Each protocol is what one part of the services needs: ``FunctionStore`` (functions, their
versions, aliases, settings and uids), ``LayerStore``, ``EventConfigStore``, ``ProvisionedStore``,
``FunctionUrlStore`` (function URL configs), ``HttpApiStore`` (HTTP APIs), ``EventBusStore``
(EventBridge buses with their rules and targets), ``ScheduleStore`` (EventBridge Scheduler),
``BucketNotificationStore`` (S3 buckets' notification configurations and their push tokens),
``EventSourceStore`` (event source mappings, their stream positions and leases),
``QueueStore`` (the asynchronous invocations),
``UsageStore`` (the ledger's journal position, usage, budgets), ``MetricStore`` (metric series at
one-minute resolution), ``LogStore``, ``IdentityStore``
(accounts, IAM users and roles, access keys, customer managed policies) and ``CodeSigningStore``
(code signing configs, which function uses which, signing profiles).
``Store`` is all of them with a life cycle: ``SqlStore``
(``store.sql``, the only module that speaks SQL) and ``MemoryStore`` (``store.memory``, for unit
tests) implement it. Writes of one logical change happen in one transaction. A store is bound
to an account: Lambda's resources (functions, layers, configs) are each account's own.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from lambent.model.alias import Alias
from lambent.model.billing import Charge, MonthState, UsageRecord
from lambent.model.budget import Budget
from lambent.model.code_signing import CodeSigningConfig
from lambent.model.event_bus import EventBusState
from lambent.model.event_invoke import EventInvokeConfig
from lambent.model.event_source_mapping import Mapping as EventSourceMapping
from lambent.model.function import FunctionVersion
from lambent.model.function_policy import FunctionPolicy
from lambent.model.function_url import FunctionUrlConfig
from lambent.model.http_api import HttpApiState
from lambent.model.identity import AccessKey, Account, Role, User
from lambent.model.layer import LayerVersion
from lambent.model.log_groups import LogGroup, LogStream
from lambent.model.managed_policy import ManagedPolicy
from lambent.model.metric_series import Point, SeriesKey
from lambent.model.s3_event import BucketNotification
from lambent.model.schedule import Schedule, ScheduleGroup
from lambent.model.signing_profile import SigningProfileVersion
from lambent.store.journal import Position


class FunctionRecord(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    tags: dict[str, str]
    versions: dict[str, FunctionVersion]
    aliases: dict[str, Alias] = msgspec.field(default_factory=dict)
    reserved_concurrency: int | None = None
    recursive_loop: str = "Terminate"
    #: The uid its environments run as (None: created before the registry, not assigned yet).
    uid: int | None = None
    #: Resource policies by qualifier ("" for the unqualified function).
    policies: dict[str, FunctionPolicy] = msgspec.field(default_factory=dict)


class LogEvent(msgspec.Struct, frozen=True, kw_only=True):
    #: Whose function wrote it ("": the store's bound account, for a journal from before accounts).
    account: str = ""
    group: str
    stream: str
    timestamp_ms: int
    message: str
    ingestion_ms: int
    event_id: int = 0


class FunctionStore(Protocol):
    async def load_functions(self) -> list[FunctionRecord]:
        """Every function with all its versions, aliases, settings and uid (loaded once at start)."""
        ...

    async def create_function(self, name: str, tags: dict[str, str], versions: list[FunctionVersion]) -> int:
        """Insert a function and give it a uid (``model.uids``); returns the uid. Raises
        ``KeyError`` if one of that name exists."""
        ...

    async def accounts_with_resources(self) -> list[str]:
        """Every account owning a function, a layer, a code signing config or an HTTP API (of any view)."""
        ...

    async def assign_uid(self, name: str) -> int:
        """The uid of *name*, assigned now if it has none (functions of an older data directory)."""
        ...

    async def put_version(self, version: FunctionVersion) -> None:
        """Insert or replace one version of an existing function."""
        ...

    async def delete_version(self, name: str, version: str) -> None:
        """Delete the version and its resource policy."""
        ...

    async def put_alias(self, alias: Alias) -> None:
        """Insert or replace an alias of an existing function."""
        ...

    async def delete_alias(self, name: str, alias: str) -> None:
        """Delete the alias, its resource policy and its function URL config."""
        ...

    async def put_function_policy(self, policy: FunctionPolicy) -> None:
        """Insert or replace the resource policy of one (function, qualifier)."""
        ...

    async def delete_function_policy(self, name: str, qualifier: str) -> None: ...

    async def put_reserved_concurrency(self, name: str, reserved: int | None) -> None:
        """Set (or, with None, remove) the function's reserved concurrency."""
        ...

    async def put_recursive_loop(self, name: str, value: str) -> None: ...

    async def put_tags(self, name: str, tags: dict[str, str]) -> None: ...

    async def delete_function(self, name: str) -> None:
        """Remove the function, its versions, aliases, policies, settings and URL configs, nothing
        else (logs stay, as on AWS; its uid stays registered to its name)."""
        ...


class LayerStore(Protocol):
    async def load_layers(self) -> list[LayerVersion]: ...

    async def put_layer_version(self, layer: LayerVersion) -> None:
        """Insert or replace one layer version (its policy changes replace it)."""
        ...

    async def delete_layer_version(self, name: str, version: int) -> None: ...


class EventConfigStore(Protocol):
    async def load_event_configs(self) -> list[EventInvokeConfig]: ...

    async def put_event_config(self, config: EventInvokeConfig) -> None: ...

    async def delete_event_config(self, name: str, qualifier: str | None) -> None:
        """Delete the config of one qualifier, or (None) every config of the function."""
        ...


class FunctionUrlStore(Protocol):
    """Function URL configs, one per (function, qualifier) of the bound account; their URL ids
    are unique across every account, so the ingress finds a config by its id alone."""

    async def load_function_urls(self) -> list[FunctionUrlConfig]:
        """The bound account's configs, by function name and qualifier."""
        ...

    async def put_function_url(self, config: FunctionUrlConfig) -> None:
        """Insert or replace the config of (function, qualifier) of an existing function.
        ``KeyError`` if another config, of any account, has its URL id."""
        ...

    async def delete_function_url(self, name: str, qualifier: str) -> None:
        """Delete the config of (function, qualifier); none: nothing."""
        ...

    async def function_url_by_id(self, url_id: str) -> tuple[str, FunctionUrlConfig] | None:
        """(account, config) of the URL id, whichever account owns it; None when none does."""
        ...


class HttpApiStore(Protocol):
    """HTTP APIs (apigatewayv2) of the bound account, each stored whole (``HttpApiState``: the
    API, its routes, integrations, authorizers, stages and deployments); their ids are unique
    across every account, so the ingress finds an API by its id alone."""

    async def load_http_apis(self) -> list[HttpApiState]:
        """The bound account's APIs, by id."""
        ...

    async def put_http_api(self, state: HttpApiState) -> None:
        """Insert or replace the API of ``state.api_id``; ``KeyError`` if another account's API
        has that id."""
        ...

    async def delete_http_api(self, api_id: str) -> None:
        """Delete the API; none: nothing."""
        ...


class EventBusStore(Protocol):
    """EventBridge buses of the bound account, each stored whole (``EventBusState``: the bus, its
    rules and their targets). The ``default`` bus is stored once something changes it."""

    async def load_event_buses(self) -> list[EventBusState]:
        """The bound account's buses, by name."""
        ...

    async def put_event_bus(self, state: EventBusState) -> None:
        """Insert or replace the bus of ``state.name``."""
        ...

    async def delete_event_bus(self, name: str) -> None:
        """Delete the bus; none: nothing."""
        ...


class BucketNotificationStore(Protocol):
    """The bound account's S3 bucket notification configurations, each stored whole with its
    push token; tokens are unique across accounts."""

    async def load_bucket_notifications(self) -> list[BucketNotification]:
        """The bound account's configurations, by bucket."""
        ...

    async def put_bucket_notification(self, notification: BucketNotification) -> None:
        """Insert or replace the configuration of ``notification.bucket`` (``KeyError`` if its
        token is another bucket's or another account's)."""
        ...

    async def delete_bucket_notification(self, bucket: str) -> None:
        """Delete the bucket's configuration; none: nothing."""
        ...

    async def bucket_notification_by_token(self, token: str) -> tuple[str, BucketNotification] | None:
        """(account, configuration) of the push token *token*, in any account; None if no
        configuration has it."""
        ...


class ScheduleStore(Protocol):
    """EventBridge Scheduler's schedules and groups of the bound account; a schedule's
    ``next_fire_at`` is kept apart, so claiming a slot is one compare-and-set."""

    async def load_schedules(self) -> list[Schedule]:
        """Every schedule, by group and name, with its ``next_fire_at``."""
        ...

    async def put_schedule(self, schedule: Schedule) -> None:
        """Insert or replace the schedule (its ``next_fire_at`` too)."""
        ...

    async def delete_schedule(self, group: str, name: str) -> None:
        """Delete the schedule; none: nothing."""
        ...

    async def claim_slot(self, group: str, name: str, slot: float, next_fire_at: float | None) -> bool:
        """Move the schedule's ``next_fire_at`` from *slot* to *next_fire_at*; False (nothing
        changed) when it is not at *slot*: another try claimed it, or the schedule changed."""
        ...

    async def load_schedule_groups(self) -> list[ScheduleGroup]:
        """The groups made with CreateScheduleGroup (``default`` is implied), by name."""
        ...

    async def put_schedule_group(self, group: ScheduleGroup) -> None: ...

    async def delete_schedule_group(self, name: str) -> None:
        """Delete the group and every schedule in it, at once."""
        ...


class TestEventStore(Protocol):
    """The bound account's saved test events (the console's), by function and name; each body
    is the JSON text as the user wrote it."""

    async def test_events(self, function: str) -> dict[str, str]:
        """Name -> body of *function*'s saved events, by name."""
        ...

    async def put_test_event(self, function: str, name: str, body: str) -> None:
        """Save (or replace) one."""
        ...

    async def delete_test_event(self, function: str, name: str) -> None:
        """Forget one; nothing if there is none."""
        ...


class EventSourceStore(Protocol):
    """The bound account's event source mappings, each stored whole, and the positions and
    leases of the partitions (shards) stream pollers read, by mapping UUID (unique across
    accounts)."""

    async def load_event_source_mappings(self) -> list[EventSourceMapping]:
        """The bound account's mappings, by UUID."""
        ...

    async def put_event_source_mapping(self, mapping: EventSourceMapping) -> None:
        """Insert or replace the mapping of ``mapping.uuid``."""
        ...

    async def delete_event_source_mapping(self, uuid: str) -> None:
        """Delete the mapping and every position of it; none: nothing."""
        ...

    async def load_positions(self, uuid: str) -> dict[str, str | None]:
        """partition -> checkpointed position (None: none yet) of the mapping's partitions."""
        ...

    async def claim_partition(self, uuid: str, partition: str, owner: str, until: float, now: float) -> bool:
        """Take or renew the lease of *partition* for *owner* until *until* (epoch seconds):
        True when it was free, expired at *now*, or *owner*'s already; False: another holds it."""
        ...

    async def release_partition(self, uuid: str, partition: str, owner: str) -> None:
        """Give up *owner*'s lease of *partition* (its position stays); not *owner*'s: nothing."""
        ...

    async def put_position(self, uuid: str, partition: str, owner: str, position: str | None) -> bool:
        """Checkpoint *partition* at *position* if *owner* holds its lease; False: it does not
        (the lease was lost, and the position is another's to write)."""
        ...


class ProvisionedStore(Protocol):
    async def load_provisioned(self) -> list[tuple[str, str, int, str]]:
        """(function, qualifier, count, last modified) of every provisioned concurrency config."""
        ...

    async def put_provisioned(self, name: str, qualifier: str, count: int | None, last_modified: str) -> None:
        """Set (or, with None, delete) the provisioned concurrency of *name*:*qualifier*."""
        ...


class QueueStore(Protocol):
    async def enqueue(self, events: list[bytes], now: float) -> list[int]:
        """Durably queue asynchronous invocations (one transaction); their ids, in order."""
        ...

    async def claim(self, now: float, lease_until: float, limit: int) -> list[tuple[int, bytes]]:
        """Lease up to *limit* due events no live lease holds: (id, event), oldest due first."""
        ...

    async def finish(self, ids: list[int]) -> None: ...

    async def reschedule(self, event_id: int, event: bytes, not_before: float) -> None:
        """Store the event's new state, due at *not_before*, lease released."""
        ...

    async def release_leases(self) -> int:
        """Free every lease (at start: nothing of an earlier run still works on them); how many."""
        ...


class UsageStore(Protocol):
    async def journal_position(self) -> Position | None:
        """Where the last ``commit_journal`` left the journal (None: never committed)."""
        ...

    def commit_journal(self, events: list[LogEvent], charged: list[tuple[UsageRecord, Charge]], position: Position) -> None:
        """In one transaction: append log events, keep the charged usage records (and add them to
        the daily totals) and record the journal *position* they were read up to. Synchronous:
        the ledger calls it from a worker thread, so the event loop does nothing per record."""
        ...

    async def month_state(self, account: str, month: str) -> MonthState:
        """The free tier and volume used by *account* in *month*, from the daily totals."""
        ...

    async def usage_sums(
        self, group_by: list[str], filters: dict[str, str], first_day: str | None = None, last_day: str | None = None
    ) -> list[dict[str, Any]]:
        """Per group of *group_by* (account, function, version, day, month) and architecture:
        ``records``, ``billed_ms`` and the charge columns summed over the daily totals equal to
        *filters*, from *first_day* to *last_day* (YYYY-MM-DD, inclusive), in key order."""
        ...

    async def usage_records(self, function: str | None, after_seq: int, limit: int) -> list[tuple[int, UsageRecord, Charge]]:
        """(sequence, record, charge) in commit order after *after_seq*, of one function or all."""
        ...

    # Budgets are each account's, and the meter keeps every account's: these take the account.

    async def load_budgets(self) -> list[tuple[str, Budget]]:
        """(account, budget) of every account."""
        ...

    async def put_budget(self, account: str, budget: Budget) -> None: ...

    async def delete_budget(self, account: str, name: str) -> None:
        """Delete the budget and its alerts."""
        ...

    async def budget_alerts(self, month: str) -> list[tuple[str, str, int, str, int]]:
        """(account, budget, threshold %, spent, at ms) of alerts raised in *month*, oldest first."""
        ...

    async def put_budget_alert(self, account: str, name: str, month: str, threshold: int, spent: str, at_ms: int) -> None:
        """Record an alert once (again for the same month and threshold: nothing)."""
        ...


class MetricStore(Protocol):
    """Metric series rolled up per (series, minute, unit); every account's, named by its key."""

    def commit_metrics(self, points: list[Point]) -> None:
        """Synchronous, on a worker thread: merge each point into the stored point of its
        (series, minute, unit), one transaction; the series are marked seen up to their minutes.
        Callers serialize their calls (points are read, merged and written back)."""
        ...

    async def metric_points(self, key: SeriesKey, start_ms: int, end_ms: int, unit: str | None) -> list[Point]:
        """The points of *key* whose minutes are in [start, end), of *unit* (None: every unit),
        by minute then unit."""
        ...

    async def metric_series(self, account: str, namespace: str | None, name: str | None, since_ms: int) -> list[SeriesKey]:
        """The series of *account* (of *namespace* and *name* where given) with data at or after
        *since_ms*, sorted."""
        ...

    async def delete_metrics_before(self, before_ms: int) -> int:
        """Delete points of minutes before *before_ms* and series with none since; how many points."""
        ...


class LogStore(Protocol):
    """CloudWatch Logs' groups, streams and events of every account (each call names its
    account). The ledger's journal commits (``UsageStore.commit_journal``) also create the groups
    and streams their events are in, as Lambda creates a function's group on its first write."""

    async def create_log_group(self, account: str, group: LogGroup) -> bool:
        """Keep *group*; False (and nothing changed) if *account* has one of that name."""
        ...

    async def delete_log_group(self, account: str, name: str) -> bool:
        """Delete the group with its streams and events; False if there is none."""
        ...

    async def log_group(self, account: str, name: str) -> LogGroup | None: ...

    async def log_groups(
        self, account: str, prefix: str | None, pattern: str | None, after: str | None, limit: int
    ) -> list[LogGroup]:
        """*account*'s groups by name after *after*, at most *limit*; *prefix*: names starting
        with it; *pattern*: names containing it (case-sensitive)."""
        ...

    async def put_retention(self, account: str, name: str, days: int | None) -> bool:
        """Set (None: remove) the group's retention; False if there is no such group."""
        ...

    async def retained_groups(self) -> list[tuple[str, str, int]]:
        """(account, group, retention days) of every group that has a retention."""
        ...

    async def expire_log_events(self, account: str, group: str, before_ms: int, batch: int) -> int:
        """Delete up to *batch* of the group's blocks with timestamps before *before_ms* (and
        take their bytes off its ``stored_bytes``); how many were deleted."""
        ...

    async def oldest_log_event(self, account: str, group: str) -> int | None:
        """The earliest timestamp in the group, None when it is empty."""
        ...

    async def create_log_stream(self, account: str, group: str, stream: str, created_ms: int) -> bool | None:
        """Make the stream; False if it exists, None if the group does not."""
        ...

    async def delete_log_stream(self, account: str, group: str, stream: str) -> bool:
        """Delete the stream and its events; False if there is none."""
        ...

    async def log_streams(
        self, account: str, group: str, prefix: str | None, by_last_event: bool, descending: bool, offset: int, limit: int
    ) -> list[LogStream]:
        """The group's streams ordered by name or by last event time, from *offset*, at most
        *limit*; *prefix*: names starting with it."""
        ...

    async def put_log_events(
        self, account: str, group: str, stream: str, events: list[tuple[int, str]], ingestion_ms: int
    ) -> None:
        """Append (timestamp, message) events to an existing stream, a block each."""
        ...

    async def log_blocks(
        self,
        account: str,
        group: str,
        streams: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        after_id: int | None,
        before_id: int | None,
        limit: int,
        descending: bool = False,
        stream_prefix: str | None = None,
    ) -> list[LogEvent]:
        """The group's blocks with ``after_id < event_id < before_id`` (each bound when given)
        and timestamps in [*start_ms*, *end_ms*], in id order (or reversed), at most *limit*."""
        ...


class IdentityStore(Protocol):
    """Accounts, IAM users and roles (each one record, its policies inside), and long-term keys.

    Users and roles are replaced whole; a writer that read a record passes it back as
    *expected* so that a concurrent change is not lost (``LookupError`` if it changed).
    """

    async def put_account(self, account: Account) -> None:
        """Insert *account*; an existing one of that id is kept."""
        ...

    async def accounts(self) -> list[Account]:
        """Every account, by id."""
        ...

    async def put_user(self, user: User, expected: User | None) -> None:
        """Insert (*expected* None: ``KeyError`` if the name is taken) or replace *expected*."""
        ...

    async def user(self, account_id: str, name: str) -> User | None: ...

    async def users(self, account_id: str) -> list[User]:
        """The account's users, by name."""
        ...

    async def delete_user(self, account_id: str, name: str) -> bool:
        """Whether there was one; its access keys go with it."""
        ...

    async def put_role(self, role: Role, expected: Role | None) -> None:
        """As ``put_user``."""
        ...

    async def role(self, account_id: str, name: str) -> Role | None: ...

    async def roles(self, account_id: str) -> list[Role]:
        """The account's roles, by name."""
        ...

    async def delete_role(self, account_id: str, name: str) -> bool: ...

    async def put_access_key(self, key: AccessKey) -> None:
        """Insert or replace one access key."""
        ...

    async def access_key(self, access_key_id: str) -> AccessKey | None: ...

    async def access_keys(self, principal_arn: str) -> list[AccessKey]:
        """The keys of one principal, oldest first."""
        ...

    async def delete_access_key(self, access_key_id: str) -> bool: ...

    async def put_policy(self, policy: ManagedPolicy, expected: ManagedPolicy | None) -> None:
        """A customer managed policy (all its versions in it): insert (*expected* None:
        ``KeyError`` if the account has one of that name) or replace *expected* (``LookupError``
        if it changed)."""
        ...

    async def policy(self, account_id: str, name: str) -> ManagedPolicy | None: ...

    async def policies(self, account_id: str) -> list[ManagedPolicy]:
        """The account's customer managed policies, by name."""
        ...

    async def delete_policy(self, account_id: str, name: str) -> bool: ...


class CodeSigningStore(Protocol):
    """Code signing configs (each one record), the config each function uses, and signing
    profile versions (their private keys sealed before they get here)."""

    async def load_code_signing_configs(self) -> list[CodeSigningConfig]:
        """Every config, by id."""
        ...

    async def put_code_signing_config(self, config: CodeSigningConfig) -> None:
        """Insert or replace the config of that ARN."""
        ...

    async def delete_code_signing_config(self, arn: str) -> None: ...

    async def load_function_code_signing(self) -> dict[str, str]:
        """Function name -> the ARN of the config it uses, for every function that uses one."""
        ...

    async def put_function_code_signing(self, name: str, arn: str | None) -> None:
        """Set (or, with None, remove) the config function *name* uses."""
        ...

    async def load_signing_profiles(self) -> list[SigningProfileVersion]:
        """Every profile version, oldest first."""
        ...

    async def put_signing_profile(self, profile: SigningProfileVersion) -> None:
        """Insert a profile version (``KeyError`` if its ARN exists)."""
        ...


class Store(
    FunctionStore,
    LayerStore,
    EventConfigStore,
    FunctionUrlStore,
    HttpApiStore,
    EventBusStore,
    ScheduleStore,
    BucketNotificationStore,
    EventSourceStore,
    TestEventStore,
    ProvisionedStore,
    QueueStore,
    UsageStore,
    MetricStore,
    LogStore,
    IdentityStore,
    CodeSigningStore,
    Protocol,
):
    """Everything, with a life cycle: what the composition root opens and closes.

    A store is bound to one account: the functions, layers and their settings it reads and
    writes are that account's (decision 0024); ``of_account`` is the view of another's."""

    def of_account(self, account: str) -> Store:
        """This store bound to *account* (the same database; open and close it once)."""
        ...

    async def open(self) -> None:
        """Create the schema if needed (tables added since a data directory was made included,
        and those made before accounts upgraded: their rows become the bound account's)."""
        ...

    async def close(self) -> None: ...
