"""Billing arithmetic: usage records, prices, volume tiers and the free tier. Pure.

Every quantity that is summed is an integer, so totals are exact however they are grouped:
billed milliseconds, requests, and *MB-ms* (billed milliseconds x megabytes; one GB-second is
1,024,000 MB-ms). Money is a ``Decimal`` computed from those integers only at the end.

The ``Ledger`` charges records in the order they were used (the order invocations ended) against
one account's calendar month (UTC): the free tier (requests, then GB-seconds) is consumed by the
first usage of the month, and on-demand duration climbs AWS's volume tiers per architecture. Its
state is a handful of integers per (account, month) that can be rebuilt from the charged records
themselves, so a restart continues exactly where the last committed charge left off.

Decisions (AWS's documents leave them open):
- the tiers count every on-demand GB-second of the month, free ones included;
- the free tier covers on-demand requests and duration of both architectures; provisioned
  concurrency (allocation and the duration of invocations it serves) and ephemeral storage are
  never free, as AWS's pricing page says;
- a record belongs to the month (and day) in which its invocation ended.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

MB_MS_PER_GB_S = 1024 * 1000
FREE_STORAGE_MB = 512


class UsageRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One invocation attempt as it ran, or one stretch of a provisioned environment's life.

    ``id`` is unique per execution: an attempt that ran twice (a redelivery after a crash) is
    two records with the same ``request_id`` and ``attempt``, as it cost twice.
    """

    id: str
    #: "invoke"; "provisioned" (an allocation); "snapshot" (a SnapStart template's init:
    #: duration billed as on-demand, no request).
    kind: str
    request_id: str
    attempt: int
    account: str
    function: str
    version: str
    qualifier: str | None
    invocation_type: str  # RequestResponse | Event | Provisioned
    start_ms: int
    end_ms: int
    duration_ms: float
    init_duration_ms: float | None
    billed_ms: int
    memory_mb: int
    max_memory_used_mb: int
    architecture: str
    ephemeral_mb: int
    provisioned: bool
    outcome: str  # success | error | timeout | out_of_memory | crash | init_error | allocated
    #: The invocation's trace header when it was sampled (its spans are exported), else None.
    trace: str | None = None
    #: Of a cold start (a record with ``init_duration_ms``): the part of the init the sandbox
    #: took to be ready (namespaces, cgroup, mounts: Lambent's own figure, beyond AWS's).
    sandbox_ms: float | None = None


class Charge(msgspec.Struct, frozen=True, kw_only=True):
    """What one record adds to the bill, in integers (MB-ms and requests)."""

    month: str  # 2026-11
    day: str  # 2026-11-27
    requests: int
    #: On-demand duration by volume tier (first, second, third).
    tier_mb_ms: tuple[int, int, int]
    #: Duration of invocations served by provisioned concurrency.
    pc_duration_mb_ms: int
    #: Provisioned concurrency allocated (environments x memory x time).
    pc_allocated_mb_ms: int
    #: Configured ephemeral storage above 512 MB x billed duration.
    storage_mb_ms: int
    free_requests: int
    free_mb_ms: int

    @property
    def mb_ms(self) -> int:
        return sum(self.tier_mb_ms)


CHARGE_COLUMNS = (
    "requests",
    "tier1_mb_ms",
    "tier2_mb_ms",
    "tier3_mb_ms",
    "pc_duration_mb_ms",
    "pc_allocated_mb_ms",
    "storage_mb_ms",
    "free_requests",
    "free_mb_ms",
)


def charge_columns(charge: Charge) -> dict[str, int]:
    t1, t2, t3 = charge.tier_mb_ms
    return {
        "requests": charge.requests,
        "tier1_mb_ms": t1,
        "tier2_mb_ms": t2,
        "tier3_mb_ms": t3,
        "pc_duration_mb_ms": charge.pc_duration_mb_ms,
        "pc_allocated_mb_ms": charge.pc_allocated_mb_ms,
        "storage_mb_ms": charge.storage_mb_ms,
        "free_requests": charge.free_requests,
        "free_mb_ms": charge.free_mb_ms,
    }


@dataclass(frozen=True, kw_only=True)
class ArchitecturePrices:
    #: Dollars per GB-second of on-demand duration, by tier.
    duration: tuple[Decimal, Decimal, Decimal]
    #: GB-seconds a month at which the second and third tiers start.
    tier_starts_gb_s: tuple[int, int]
    provisioned_concurrency: Decimal
    provisioned_duration: Decimal


@dataclass(frozen=True, kw_only=True)
class PriceTable:
    requests_per_million: Decimal
    ephemeral_storage: Decimal
    free_requests: int
    free_gb_s: int
    architectures: Mapping[str, ArchitecturePrices] = field(default_factory=dict)

    def architecture(self, name: str) -> ArchitecturePrices:
        return self.architectures.get(name) or self.architectures["x86_64"]


def price_table(document: Mapping[str, Any]) -> PriceTable:
    """A price table from its TOML document (see ``services/prices.toml``); ``ValueError`` if malformed."""
    try:
        architectures = {
            name: ArchitecturePrices(
                duration=tuple(Decimal(str(p)) for p in arch["duration_per_gb_s"]),  # type: ignore[arg-type]
                tier_starts_gb_s=tuple(int(s) for s in arch["tier_starts_gb_s"]),  # type: ignore[arg-type]
                provisioned_concurrency=Decimal(str(arch["provisioned_concurrency_per_gb_s"])),
                provisioned_duration=Decimal(str(arch["provisioned_duration_per_gb_s"])),
            )
            for name, arch in document["architectures"].items()
        }
        table = PriceTable(
            requests_per_million=Decimal(str(document["requests_per_million"])),
            ephemeral_storage=Decimal(str(document["ephemeral_storage_per_gb_s"])),
            free_requests=int(document["free_tier"]["requests"]),
            free_gb_s=int(document["free_tier"]["gb_seconds"]),
            architectures=architectures,
        )
    except (KeyError, TypeError, ArithmeticError, ValueError) as exc:
        raise ValueError(f"price table: {exc!r}") from None
    for name, arch in architectures.items():
        if (
            len(arch.duration) != 3
            or len(arch.tier_starts_gb_s) != 2
            or not 0 < arch.tier_starts_gb_s[0] < arch.tier_starts_gb_s[1]
        ):
            raise ValueError(f"price table: architecture {name} needs 3 duration prices and 2 increasing tier starts")
    if "x86_64" not in architectures:
        raise ValueError("price table: x86_64 prices are required")
    return table


def period_of(end_ms: int) -> tuple[str, str]:
    """(month, day) in UTC of the moment *end_ms* (milliseconds since the epoch)."""
    return _period_of_day(end_ms // 86_400_000)


@functools.lru_cache(maxsize=64)
def _period_of_day(day: int) -> tuple[str, str]:
    moment = datetime.fromtimestamp(day * 86_400, UTC)
    return f"{moment:%Y-%m}", f"{moment:%Y-%m-%d}"


@dataclass(frozen=True)
class MonthState:
    """One account's month so far: what the free tier and the tiers have already absorbed."""

    requests: int = 0
    free_requests: int = 0
    free_mb_ms: int = 0
    #: On-demand MB-ms so far, by architecture.
    on_demand_mb_ms: Mapping[str, int] = field(default_factory=dict)


def _split_tiers(before: int, amount: int, starts_mb_ms: tuple[int, int]) -> tuple[int, int, int]:
    """Split *amount* MB-ms that follow *before* MB-ms of the month across the three tiers."""
    bounds = (0, starts_mb_ms[0], starts_mb_ms[1], None)
    parts = []
    position, left = before, amount
    for index in range(3):
        upper = bounds[index + 1]
        room = left if upper is None else max(0, min(left, upper - position))
        parts.append(room)
        position += room
        left -= room
    return parts[0], parts[1], parts[2]


def charge(record: UsageRecord, state: MonthState, prices: PriceTable) -> tuple[Charge, MonthState]:
    """What *record* costs after *state*, and the month's state after it."""
    month, day = period_of(record.end_ms)
    mb_ms = record.billed_ms * record.memory_mb
    if record.kind == "provisioned":
        made = Charge(
            month=month,
            day=day,
            requests=0,
            tier_mb_ms=(0, 0, 0),
            pc_duration_mb_ms=0,
            pc_allocated_mb_ms=mb_ms,
            storage_mb_ms=0,
            free_requests=0,
            free_mb_ms=0,
        )
        return made, state
    requests = 0 if record.kind == "snapshot" else 1
    free_requests = 1 if requests and state.free_requests < prices.free_requests else 0
    storage = record.billed_ms * max(0, record.ephemeral_mb - FREE_STORAGE_MB)
    if record.provisioned:
        made = Charge(
            month=month,
            day=day,
            requests=1,
            tier_mb_ms=(0, 0, 0),
            pc_duration_mb_ms=mb_ms,
            pc_allocated_mb_ms=0,
            storage_mb_ms=storage,
            free_requests=free_requests,
            free_mb_ms=0,
        )
        return made, replace(state, requests=state.requests + 1, free_requests=state.free_requests + free_requests)
    arch = prices.architecture(record.architecture)
    before = state.on_demand_mb_ms.get(record.architecture, 0)
    starts = (arch.tier_starts_gb_s[0] * MB_MS_PER_GB_S, arch.tier_starts_gb_s[1] * MB_MS_PER_GB_S)
    tiers = _split_tiers(before, mb_ms, starts)
    free_mb_ms = min(mb_ms, max(0, prices.free_gb_s * MB_MS_PER_GB_S - state.free_mb_ms))
    made = Charge(
        month=month,
        day=day,
        requests=requests,
        tier_mb_ms=tiers,
        pc_duration_mb_ms=0,
        pc_allocated_mb_ms=0,
        storage_mb_ms=storage,
        free_requests=free_requests,
        free_mb_ms=free_mb_ms,
    )
    after = MonthState(
        requests=state.requests + requests,
        free_requests=state.free_requests + free_requests,
        free_mb_ms=state.free_mb_ms + free_mb_ms,
        on_demand_mb_ms={**state.on_demand_mb_ms, record.architecture: before + mb_ms},
    )
    return made, after


class Totals(msgspec.Struct, kw_only=True):
    """Sums of charges (a month's, a report group's, a day's row in the store), and what they
    cost. Fields are in ``SUMMED_COLUMNS`` order."""

    records: int = 0
    #: Invocations' billed milliseconds (a provisioned allocation is not an invocation).
    billed_ms: int = 0
    requests: int = 0
    tier1_mb_ms: int = 0
    tier2_mb_ms: int = 0
    tier3_mb_ms: int = 0
    pc_duration_mb_ms: int = 0
    pc_allocated_mb_ms: int = 0
    storage_mb_ms: int = 0
    free_requests: int = 0
    free_mb_ms: int = 0

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Totals:
        """Totals from a mapping holding every summed column (a store row)."""
        return cls(**{name: int(row[name]) for name in SUMMED_COLUMNS})

    def add(self, other: Totals) -> None:
        for name in SUMMED_COLUMNS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def add_charge(self, record: UsageRecord, made: Charge) -> None:
        """Add one charged record (the hot path: no name lookups)."""
        self.records += 1
        if record.kind != "provisioned":
            self.billed_ms += record.billed_ms
        self.requests += made.requests
        self.tier1_mb_ms += made.tier_mb_ms[0]
        self.tier2_mb_ms += made.tier_mb_ms[1]
        self.tier3_mb_ms += made.tier_mb_ms[2]
        self.pc_duration_mb_ms += made.pc_duration_mb_ms
        self.pc_allocated_mb_ms += made.pc_allocated_mb_ms
        self.storage_mb_ms += made.storage_mb_ms
        self.free_requests += made.free_requests
        self.free_mb_ms += made.free_mb_ms

    @property
    def mb_ms(self) -> int:
        return self.tier1_mb_ms + self.tier2_mb_ms + self.tier3_mb_ms + self.pc_duration_mb_ms


#: What is summed per group: the record count, invocations' billed ms, and the charge columns.
SUMMED_COLUMNS = tuple(field.name for field in msgspec.structs.fields(Totals))
assert SUMMED_COLUMNS[2:] == CHARGE_COLUMNS


def gb_seconds(mb_ms: int) -> Decimal:
    return Decimal(mb_ms) / MB_MS_PER_GB_S


def cost(totals: Totals, architecture: str, prices: PriceTable) -> tuple[Decimal, Decimal]:
    """(cost before the free tier, cost after it) in dollars, unrounded."""
    arch = prices.architecture(architecture)
    request_price = prices.requests_per_million / 1_000_000
    before = (
        totals.requests * request_price
        + gb_seconds(totals.tier1_mb_ms) * arch.duration[0]
        + gb_seconds(totals.tier2_mb_ms) * arch.duration[1]
        + gb_seconds(totals.tier3_mb_ms) * arch.duration[2]
        + gb_seconds(totals.pc_duration_mb_ms) * arch.provisioned_duration
        + gb_seconds(totals.pc_allocated_mb_ms) * arch.provisioned_concurrency
        + gb_seconds(totals.storage_mb_ms) * prices.ephemeral_storage
    )
    # Free GB-seconds are the month's first, so they always lie in the first tier.
    credit = totals.free_requests * request_price + gb_seconds(totals.free_mb_ms) * arch.duration[0]
    return before, before - credit
