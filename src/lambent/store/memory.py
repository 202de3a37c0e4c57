"""``MemoryStore``: the ``Store`` protocols in dictionaries, for unit tests.

It answers as ``SqlStore`` answers (the same orders, the same errors, the same uid registry and
daily usage totals), and keeps nothing after the process. Records are immutable, so they are
kept as given; mutable containers are copied in and out, so a caller cannot change what is
stored by changing what it passed or got back.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from lambent.model.alias import Alias
from lambent.model.billing import SUMMED_COLUMNS, Charge, MonthState, Totals, UsageRecord
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
from lambent.model.uids import pick_uid, uid_key
from lambent.store import FunctionRecord, LogEvent
from lambent.store.journal import Position
from lambent.store.memory_bucket_notifications import MemoryBucketNotifications
from lambent.store.memory_code_signing import MemoryCodeSigning
from lambent.store.memory_event_buses import MemoryEventBuses
from lambent.store.memory_event_sources import MemoryEventSources
from lambent.store.memory_function_urls import MemoryFunctionUrls
from lambent.store.memory_http_apis import MemoryHttpApis
from lambent.store.memory_logs import MemoryLogs
from lambent.store.memory_metrics import MemoryMetrics
from lambent.store.memory_schedules import MemorySchedules
from lambent.store.memory_test_events import MemoryTestEvents

_TOTAL_KEYS = ("account", "function", "version", "day", "architecture")
_GROUP_KEYS = (*_TOTAL_KEYS, "month")


class _Function:
    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = dict(tags)
        self.versions: dict[str, FunctionVersion] = {}
        self.aliases: dict[str, Alias] = {}
        self.reserved: int | None = None
        self.recursive_loop: str | None = None
        self.policies: dict[str, FunctionPolicy] = {}


class _Event:
    def __init__(self, data: bytes, not_before: float) -> None:
        self.data = data
        self.not_before = not_before
        self.lease_until: float | None = None


class _Owned:
    """One account's Lambda resources."""

    def __init__(self) -> None:
        self.functions: dict[str, _Function] = {}
        self.layers: dict[tuple[str, int], LayerVersion] = {}
        self.event_configs: dict[tuple[str, str], EventInvokeConfig] = {}
        self.function_urls: dict[tuple[str, str], FunctionUrlConfig] = {}
        self.http_apis: dict[str, HttpApiState] = {}
        self.event_buses: dict[str, EventBusState] = {}
        self.schedules: dict[tuple[str, str], Schedule] = {}
        self.schedule_groups: dict[str, ScheduleGroup] = {}
        self.event_source_mappings: dict[str, EventSourceMapping] = {}
        self.test_events: dict[tuple[str, str], str] = {}
        self.bucket_notifications: dict[str, BucketNotification] = {}
        self.provisioned: dict[tuple[str, str], tuple[int, str]] = {}
        self.code_signing_configs: dict[str, CodeSigningConfig] = {}
        self.function_code_signing: dict[str, str] = {}
        self.signing_profiles: dict[str, SigningProfileVersion] = {}


class MemoryStore(
    MemoryCodeSigning,
    MemoryFunctionUrls,
    MemoryHttpApis,
    MemoryEventBuses,
    MemorySchedules,
    MemoryBucketNotifications,
    MemoryEventSources,
    MemoryTestEvents,
    MemoryLogs,
    MemoryMetrics,
):
    """Bound to *account*, as ``SqlStore`` is: ``of_account`` views another account's resources."""

    def __init__(self, account: str = "000000000000") -> None:
        self._owned: dict[str, _Owned] = {}  # account -> its resources, shared by every view
        self._uids: dict[str, int] = {}  # model.uids.uid_key -> uid, across accounts
        self._bind(account)
        self._events: dict[int, _Event] = {}
        self._event_ids = itertools.count(1)
        self._position: Position | None = None
        self._logs: dict[int, LogEvent] = {}
        self._log_ids = itertools.count(1)
        self._log_groups: dict[tuple[str, str], LogGroup] = {}
        self._log_streams: dict[tuple[str, str, str], LogStream] = {}
        self._usage: list[tuple[int, UsageRecord, Charge]] = []
        self._totals: dict[tuple[str, ...], tuple[str, Totals]] = {}  # TOTAL_KEYS -> (month, totals)
        self._budgets: dict[tuple[str, str], Budget] = {}  # (account, name)
        self._alerts: dict[tuple[str, str, str, int], tuple[str, int]] = {}  # (account, budget, month, threshold) -> (spent, at)
        self._accounts: dict[str, Account] = {}
        self._principals: dict[tuple[str, str, str], User | Role | ManagedPolicy] = {}  # (account, kind, name)
        self._keys: dict[str, AccessKey] = {}
        self._positions: dict[tuple[str, str], list[object]] = {}
        self._metric_points: dict[tuple[SeriesKey, int, str], Point] = {}
        self._metric_last: dict[SeriesKey, int] = {}

    def _bind(self, account: str) -> None:
        self._account = account
        owned = self._owned.setdefault(account, _Owned())
        self._functions = owned.functions
        self._layers = owned.layers
        self._event_configs = owned.event_configs
        self._function_urls = owned.function_urls
        self._http_apis = owned.http_apis
        self._event_buses = owned.event_buses
        self._schedules = owned.schedules
        self._schedule_groups = owned.schedule_groups
        self._event_source_mappings = owned.event_source_mappings
        self._test_events = owned.test_events
        self._bucket_notifications = owned.bucket_notifications
        self._provisioned = owned.provisioned
        self._code_signing_configs = owned.code_signing_configs
        self._function_code_signing = owned.function_code_signing
        self._signing_profiles = owned.signing_profiles

    def _apis_of(self) -> dict[str, dict[str, HttpApiState]]:
        return {account: owned.http_apis for account, owned in self._owned.items()}

    def _urls_of(self) -> dict[str, dict[tuple[str, str], FunctionUrlConfig]]:
        return {account: owned.function_urls for account, owned in self._owned.items()}

    def _notifications_of(self) -> dict[str, dict[str, BucketNotification]]:
        return {account: owned.bucket_notifications for account, owned in self._owned.items()}

    def of_account(self, account: str) -> MemoryStore:
        view = copy.copy(self)
        view._bind(account)
        return view

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    # -- functions ----------------------------------------------------------------------------

    async def load_functions(self) -> list[FunctionRecord]:
        return [
            FunctionRecord(
                name=name,
                tags=dict(f.tags),
                versions=dict(f.versions),
                aliases=dict(f.aliases),
                reserved_concurrency=f.reserved,
                recursive_loop=f.recursive_loop or "Terminate",
                uid=self._uids.get(uid_key(self._account, name)),
                policies=dict(f.policies),
            )
            for name, f in self._functions.items()
        ]

    async def create_function(self, name: str, tags: dict[str, str], versions: list[FunctionVersion]) -> int:
        if name in self._functions:
            raise KeyError(name)
        function = self._functions[name] = _Function(tags)
        function.versions = {v.version: v for v in versions}
        return await self.assign_uid(name)

    async def accounts_with_resources(self) -> list[str]:
        return sorted(
            a
            for a, owned in self._owned.items()
            if owned.functions
            or owned.layers
            or owned.code_signing_configs
            or owned.http_apis
            or owned.event_buses
            or owned.schedules
            or owned.bucket_notifications
            or owned.event_source_mappings
        )

    async def assign_uid(self, name: str) -> int:
        key = uid_key(self._account, name)
        if key not in self._uids:
            live = {uid_key(account, n) for account, owned in self._owned.items() for n in owned.functions}
            uid = pick_uid(key, self._uids, live)
            for stale in [k for k, u in self._uids.items() if u == uid]:
                del self._uids[stale]
            self._uids[key] = uid
        return self._uids[key]

    def _function(self, name: str) -> _Function:
        return self._functions[name]  # a write to a function that does not exist: a caller's bug

    async def put_version(self, version: FunctionVersion) -> None:
        self._function(version.name).versions[version.version] = version

    async def delete_version(self, name: str, version: str) -> None:
        if name in self._functions:
            self._functions[name].versions.pop(version, None)
            self._functions[name].policies.pop(version, None)

    async def put_alias(self, alias: Alias) -> None:
        self._function(alias.function_name).aliases[alias.name] = alias

    async def delete_alias(self, name: str, alias: str) -> None:
        if name in self._functions:
            self._functions[name].aliases.pop(alias, None)
            self._functions[name].policies.pop(alias, None)
            self._function_urls.pop((name, alias), None)

    async def put_function_policy(self, policy: FunctionPolicy) -> None:
        self._function(policy.function_name).policies[policy.qualifier] = policy

    async def delete_function_policy(self, name: str, qualifier: str) -> None:
        if name in self._functions:
            self._functions[name].policies.pop(qualifier, None)

    async def put_reserved_concurrency(self, name: str, reserved: int | None) -> None:
        self._function(name).reserved = reserved

    async def put_recursive_loop(self, name: str, value: str) -> None:
        self._function(name).recursive_loop = value

    async def put_tags(self, name: str, tags: dict[str, str]) -> None:
        if name in self._functions:
            self._functions[name].tags = dict(tags)

    async def delete_function(self, name: str) -> None:
        self._functions.pop(name, None)
        for key in [key for key in self._function_urls if key[0] == name]:
            del self._function_urls[key]

    # -- layers, event invoke configs, provisioned concurrency ----------------------------------

    async def load_layers(self) -> list[LayerVersion]:
        return list(self._layers.values())

    async def put_layer_version(self, layer: LayerVersion) -> None:
        self._layers[(layer.name, layer.version)] = layer

    async def delete_layer_version(self, name: str, version: int) -> None:
        self._layers.pop((name, version), None)

    async def load_event_configs(self) -> list[EventInvokeConfig]:
        return list(self._event_configs.values())

    async def put_event_config(self, config: EventInvokeConfig) -> None:
        self._event_configs[(config.function_name, config.qualifier)] = config

    async def delete_event_config(self, name: str, qualifier: str | None) -> None:
        for key in [k for k in self._event_configs if k[0] == name and qualifier in (None, k[1])]:
            del self._event_configs[key]

    async def load_provisioned(self) -> list[tuple[str, str, int, str]]:
        return [(name, qualifier, count, modified) for (name, qualifier), (count, modified) in self._provisioned.items()]

    async def put_provisioned(self, name: str, qualifier: str, count: int | None, last_modified: str) -> None:
        if count is None:
            self._provisioned.pop((name, qualifier), None)
        else:
            self._provisioned[(name, qualifier)] = (count, last_modified)

    # -- the asynchronous invocation queue ------------------------------------------------------

    async def enqueue(self, events: list[bytes], now: float) -> list[int]:
        ids = [next(self._event_ids) for _ in events]
        for event_id, data in zip(ids, events, strict=True):
            self._events[event_id] = _Event(data, now)
        return ids

    async def claim(self, now: float, lease_until: float, limit: int) -> list[tuple[int, bytes]]:
        due = sorted(
            (e.not_before, event_id)
            for event_id, e in self._events.items()
            if e.not_before <= now and (e.lease_until is None or e.lease_until < now)
        )
        claimed = []
        for _due, event_id in due[:limit]:
            self._events[event_id].lease_until = lease_until
            claimed.append((event_id, self._events[event_id].data))
        return claimed

    async def finish(self, ids: list[int]) -> None:
        for event_id in ids:
            self._events.pop(event_id, None)

    async def reschedule(self, event_id: int, event: bytes, not_before: float) -> None:
        if event_id in self._events:
            stored = self._events[event_id]
            stored.data, stored.not_before, stored.lease_until = event, not_before, None

    async def release_leases(self) -> int:
        leased = [e for e in self._events.values() if e.lease_until is not None]
        for event in leased:
            event.lease_until = None
        return len(leased)

    def queued(self) -> list[tuple[int, float]]:
        """(id, due at) of every queued event, by id: what a test inspects."""
        return sorted((event_id, e.not_before) for event_id, e in self._events.items())

    # -- usage, budgets ---------------------------------------------------------------------------

    async def journal_position(self) -> Position | None:
        return self._position

    def commit_journal(self, events: list[LogEvent], charged: list[tuple[UsageRecord, Charge]], position: Position) -> None:
        self._keep_blocks(events, self._account)
        for record, made in charged:
            self._usage.append((len(self._usage) + 1, record, made))
            key = (record.account, record.function, record.version, made.day, record.architecture)
            _month, totals = self._totals.setdefault(key, (made.month, Totals()))
            totals.add_charge(record, made)
        self._position = position

    async def month_state(self, account: str, month: str) -> MonthState:
        on_demand: dict[str, int] = {}
        requests = free_requests = free_mb_ms = 0
        for key, (row_month, totals) in self._totals.items():
            if key[0] != account or row_month != month:
                continue
            requests += totals.requests
            free_requests += totals.free_requests
            free_mb_ms += totals.free_mb_ms
            on_demand[key[4]] = on_demand.get(key[4], 0) + totals.tier1_mb_ms + totals.tier2_mb_ms + totals.tier3_mb_ms
        return MonthState(requests=requests, free_requests=free_requests, free_mb_ms=free_mb_ms, on_demand_mb_ms=on_demand)

    async def usage_sums(
        self, group_by: list[str], filters: dict[str, str], first_day: str | None = None, last_day: str | None = None
    ) -> list[dict[str, Any]]:
        keys = [k for k in dict.fromkeys([*group_by, "architecture"]) if k in _GROUP_KEYS]
        groups: dict[tuple[str, ...], Totals] = {}
        for key, (month, totals) in self._totals.items():
            row = {**dict(zip(_TOTAL_KEYS, key, strict=True)), "month": month}
            if any(row[name] != value for name, value in filters.items()):
                continue
            if (first_day is not None and row["day"] < first_day) or (last_day is not None and row["day"] > last_day):
                continue
            groups.setdefault(tuple(row[k] for k in keys), Totals()).add(totals)
        return [
            {**dict(zip(keys, group, strict=True)), **{c: getattr(totals, c) for c in SUMMED_COLUMNS}}
            for group, totals in sorted(groups.items())
        ]

    async def usage_records(self, function: str | None, after_seq: int, limit: int) -> list[tuple[int, UsageRecord, Charge]]:
        chosen = [row for row in self._usage if row[0] > after_seq and function in (None, row[1].function)]
        return chosen[:limit]

    async def load_budgets(self) -> list[tuple[str, Budget]]:
        return [(account, budget) for (account, _name), budget in self._budgets.items()]

    async def put_budget(self, account: str, budget: Budget) -> None:
        self._budgets[(account, budget.name)] = budget

    async def delete_budget(self, account: str, name: str) -> None:
        self._budgets.pop((account, name), None)
        self._alerts = {key: alert for key, alert in self._alerts.items() if key[:2] != (account, name)}

    async def budget_alerts(self, month: str) -> list[tuple[str, str, int, str, int]]:
        found = [(a, name, threshold, spent, at) for (a, name, m, threshold), (spent, at) in self._alerts.items() if m == month]
        return sorted(found, key=lambda alert: alert[4])

    async def put_budget_alert(self, account: str, name: str, month: str, threshold: int, spent: str, at_ms: int) -> None:
        self._alerts.setdefault((account, name, month, threshold), (spent, at_ms))

    # -- identity ------------------------------------------------------------------------

    async def put_account(self, account: Account) -> None:
        self._accounts.setdefault(account.account_id, account)

    async def accounts(self) -> list[Account]:
        return [self._accounts[key] for key in sorted(self._accounts)]

    def _put_principal(
        self, kind: str, record: User | Role | ManagedPolicy, expected: User | Role | ManagedPolicy | None
    ) -> None:
        key = (record.account_id, kind, record.name)
        if expected is None:
            if key in self._principals:
                raise KeyError(record.name)
        elif self._principals.get(key) != expected:
            raise LookupError(record.name)
        self._principals[key] = record

    def _delete_principal(self, kind: str, account_id: str, name: str) -> bool:
        found = self._principals.pop((account_id, kind, name), None)
        if found is None:
            return False
        for key in [key for key, value in self._keys.items() if value.principal_arn == found.arn]:
            del self._keys[key]
        return True

    async def put_user(self, user: User, expected: User | None) -> None:
        self._put_principal("user", user, expected)

    async def user(self, account_id: str, name: str) -> User | None:
        found = self._principals.get((account_id, "user", name))
        return found if isinstance(found, User) else None

    async def users(self, account_id: str) -> list[User]:
        return [v for (a, _, n), v in sorted(self._principals.items()) if a == account_id and isinstance(v, User)]

    async def delete_user(self, account_id: str, name: str) -> bool:
        return self._delete_principal("user", account_id, name)

    async def put_role(self, role: Role, expected: Role | None) -> None:
        self._put_principal("role", role, expected)

    async def role(self, account_id: str, name: str) -> Role | None:
        found = self._principals.get((account_id, "role", name))
        return found if isinstance(found, Role) else None

    async def roles(self, account_id: str) -> list[Role]:
        return [v for (a, _, n), v in sorted(self._principals.items()) if a == account_id and isinstance(v, Role)]

    async def delete_role(self, account_id: str, name: str) -> bool:
        return self._delete_principal("role", account_id, name)

    async def put_access_key(self, key: AccessKey) -> None:
        self._keys[key.access_key_id] = key

    async def access_key(self, access_key_id: str) -> AccessKey | None:
        return self._keys.get(access_key_id)

    async def access_keys(self, principal_arn: str) -> list[AccessKey]:
        found = [key for key in self._keys.values() if key.principal_arn == principal_arn]
        return sorted(found, key=lambda key: (key.created, key.access_key_id))

    async def delete_access_key(self, access_key_id: str) -> bool:
        return self._keys.pop(access_key_id, None) is not None

    async def put_policy(self, policy: ManagedPolicy, expected: ManagedPolicy | None) -> None:
        self._put_principal("policy", policy, expected)

    async def policy(self, account_id: str, name: str) -> ManagedPolicy | None:
        found = self._principals.get((account_id, "policy", name))
        return found if isinstance(found, ManagedPolicy) else None

    async def policies(self, account_id: str) -> list[ManagedPolicy]:
        return [v for (a, _, n), v in sorted(self._principals.items()) if a == account_id and isinstance(v, ManagedPolicy)]

    async def delete_policy(self, account_id: str, name: str) -> bool:
        return self._principals.pop((account_id, "policy", name), None) is not None
