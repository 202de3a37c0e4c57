"""Metering: charging usage records, the totals behind reports and Prometheus, and budgets.

The ``Ledger`` hands this service each usage record as it is recorded, in order of use, and
journals the charge with it; ``charge`` (``model.billing``) moves the account's month on at once.
The month's state is loaded from the store at start, after the journal left by an earlier run has
been committed, so a restart continues the free tier and volume tiers exactly. Budgets are
checked on the hot path against the month-to-date totals kept here, which include every
invocation that has ended: a cap is overrun only by invocations already running when it is hit.
One meter serves every account: months, free tiers and budgets are each account's own.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from prometheus_client.core import CounterMetricFamily, Metric

from lambent.clock import Clock, SystemClock
from lambent.errors import ResourceNotFoundException, TooManyRequestsException
from lambent.model import budget as budgets
from lambent.model.billing import (
    Charge,
    MonthState,
    PriceTable,
    Totals,
    UsageRecord,
    charge,
    charge_columns,
    cost,
    gb_seconds,
    period_of,
    price_table,
)
from lambent.model.budget import Budget
from lambent.services.alerts import Alert, AlertOutbox
from lambent.store import UsageStore

log = logging.getLogger(__name__)
DEFAULT_PRICES = Path(__file__).with_name("prices.toml")


def load_prices(path: Path | None) -> PriceTable:
    import tomllib

    with (path or DEFAULT_PRICES).open("rb") as handle:
        return price_table(tomllib.load(handle))


class UsageLine(msgspec.Struct, kw_only=True):
    """One row of a usage report: a group's totals and cost."""

    account: str | None
    function: str | None
    version: str | None
    period: str | None
    requests: int
    billed_ms: int
    gb_seconds: str
    provisioned_gb_seconds: str
    cost_usd: str
    cost_after_free_tier_usd: str


def _money(value: Decimal) -> str:
    return f"{value.normalize():f}"


class MeterService:
    def __init__(
        self, store: UsageStore, prices: PriceTable, clock: Clock | None = None, alerts: AlertOutbox | None = None
    ) -> None:
        """*alerts*: where alerts with a target go for delivery (none: they are only logged and stored)."""
        self._store = store
        self._alerts = alerts
        self.prices = prices
        self._clock = (clock or SystemClock()).time
        self._months: dict[tuple[str, str], MonthState] = {}
        #: Month-to-date totals by (month, account, function, architecture), for budgets; the
        #: function None holds the account's, so a budget's spend is a lookup per architecture.
        self._month_totals: dict[tuple[str, str, str | None, str], Totals] = {}
        self._architectures: set[str] = set()
        #: All-time totals by (account, function, version, architecture), for Prometheus.
        self._all_time: dict[tuple[str, str, str, str], Totals] = {}
        self._budgets: dict[tuple[str, str], Budget] = {}  # (account, name)
        self._fired: dict[tuple[str, str, str], set[int]] = {}  # (account, budget, month) -> thresholds
        self._throttling: set[tuple[str, str]] = set()  # THROTTLE budgets at their cap in _budget_month
        self._budget_month = ""
        self._blocked: dict[tuple[str, str | None], str] = {}  # (account, function or None) -> THROTTLE budget
        self._background: set[asyncio.Task[None]] = set()

    async def load(self, account: str) -> None:
        """Every account's totals and budgets, and the month so far of *account* (the server's
        default) and of every account that used anything this month."""
        for row in await self._store.usage_sums(["account", "function", "version"], {}):
            key = (row["account"], row["function"], row["version"], row["architecture"])
            self._all_time.setdefault(key, Totals()).add(Totals.of(row))
        month, _ = period_of(int(self._clock() * 1000))
        used = {account}
        for row in await self._store.usage_sums(["account", "function"], {"month": month}):
            used.add(row["account"])
            self._architectures.add(row["architecture"])
            for function in (row["function"], None):
                key = (month, row["account"], function, row["architecture"])
                self._month_totals.setdefault(key, Totals()).add(Totals.of(row))
        for each in sorted(used):
            self._months[(each, month)] = await self._store.month_state(each, month)
        for owner, item in await self._store.load_budgets():
            self._budgets[(owner, item.name)] = item
        for owner, name, threshold, _spent, _at in await self._store.budget_alerts(month):
            self._fired.setdefault((owner, name, month), set()).add(threshold)
        self._evaluate(alert=False)

    # -- charging (the Ledger's Charger) -------------------------------------------------------

    def charge(self, record: UsageRecord) -> Charge:
        """Charge *record* after everything charged before it; month totals and budgets move on."""
        key = (record.account, period_of(record.end_ms)[0])
        # A month not loaded at start began after it: only this process has charged it.
        made, self._months[key] = charge(record, self._months.get(key) or MonthState(), self.prices)
        self._architectures.add(record.architecture)
        version_key = (record.account, record.function, record.version, record.architecture)
        (self._all_time.get(version_key) or self._all_time.setdefault(version_key, Totals())).add_charge(record, made)
        for function in (record.function, None):
            month_key = (made.month, record.account, function, record.architecture)
            (self._month_totals.get(month_key) or self._month_totals.setdefault(month_key, Totals())).add_charge(record, made)
        if self._budgets:
            self._evaluate(alert=True, account=record.account, function=record.function)
        return made

    # -- budgets ------------------------------------------------------------------------------

    def spent(self, account: str, item: Budget, month: str) -> Decimal:
        total = Decimal(0)
        for architecture in self._architectures:
            totals = self._month_totals.get((month, account, item.function_name, architecture))
            if totals is None:
                continue
            if item.unit == "USD":
                total += cost(totals, architecture, self.prices)[1]
            else:
                total += gb_seconds(totals.mb_ms)
        return total

    def _evaluate(self, alert: bool, account: str | None = None, function: str | None = None) -> None:
        """Check the budgets (with *account* and *function*, only those covering that function:
        its account's and its own), raising alerts for thresholds newly crossed and updating which
        ones throttle."""
        now = self._clock()
        month, _ = period_of(int(now * 1000))
        if month != self._budget_month:  # a new month: every budget starts again
            self._budget_month, function = month, None
            self._month_totals = {key: totals for key, totals in self._month_totals.items() if key[0] >= month}
        throttling = set(self._throttling) if function is not None else set()
        for (owner, name), item in self._budgets.items():
            if function is not None and (owner != account or item.function_name not in (None, function)):
                continue
            spent = self.spent(owner, item, month)
            if budgets.exhausted(item, spent):
                throttling.add((owner, name))
            else:
                throttling.discard((owner, name))
            fired = self._fired.setdefault((owner, name, month), set())
            for threshold in budgets.crossed(item, spent, fired):
                fired.add(threshold)
                if alert:
                    self._spawn(self._alert(owner, item, month, threshold, spent, int(now * 1000)))
        if throttling != self._throttling:
            self._throttling = throttling
            self._blocked = {(owner, self._budgets[(owner, name)].function_name): name for owner, name in throttling}

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _alert(self, account: str, item: Budget, month: str, threshold: int, spent: Decimal, at_ms: int) -> None:
        log.warning(
            "budget %s of %s: %d%% of %s %s reached (%s) in %s",
            item.name,
            account,
            threshold,
            item.limit,
            item.unit,
            spent,
            month,
        )
        await self._store.put_budget_alert(account, item.name, month, threshold, _money(spent), at_ms)
        if item.notify and self._alerts is not None:
            body = {
                "budget": item.name,
                "month": month,
                "threshold": threshold,
                "limit": item.limit,
                "unit": item.unit,
                "spent": _money(spent),
                "action": item.action,
                "functionName": item.function_name,
            }
            self._alerts.put(Alert(account=account, budget=item.name, target=item.notify, body=json.dumps(body).encode()))

    def check(self, account: str, function: str) -> None:
        """Raise the 429 of an exhausted THROTTLE budget covering *account*'s *function* (the hot path)."""
        if not self._blocked:
            return
        if period_of(int(self._clock() * 1000))[0] != self._budget_month:
            self._evaluate(alert=False)  # blocked functions are not charged: the month turns here
        name = self._blocked.get((account, function)) or self._blocked.get((account, None))
        if name is not None:
            raise TooManyRequestsException(
                f"Budget {name} is exhausted for this month.",
                Reason=budgets.REASON,
                retryAfterSeconds=str(budgets.seconds_to_month_end(self._clock())),
            )

    async def put_budget(self, account: str, item: Budget) -> Budget:
        item = budgets.check(item)
        await self._store.put_budget(account, item)
        self._budgets[(account, item.name)] = item
        self._evaluate(alert=True)
        return item

    def budget(self, account: str, name: str) -> Budget:
        if (account, name) not in self._budgets:
            raise ResourceNotFoundException(f"Budget not found: {name}")
        return self._budgets[(account, name)]

    def list_budgets(self, account: str) -> list[Budget]:
        return sorted((b for (owner, _), b in self._budgets.items() if owner == account), key=lambda b: b.name)

    async def delete_budget(self, account: str, name: str) -> None:
        self.budget(account, name)
        await self._store.delete_budget(account, name)
        del self._budgets[(account, name)]
        self._evaluate(alert=False)

    async def budget_status(self, account: str, name: str) -> dict[str, Any]:
        item = self.budget(account, name)
        month, _ = period_of(int(self._clock() * 1000))
        spent = self.spent(account, item, month)
        raised = await self._store.budget_alerts(month)
        alerts = [{"Threshold": t, "Spent": s, "At": at} for a, n, t, s, at in raised if (a, n) == (account, item.name)]
        return {
            "Budget": msgspec.to_builtins(item),
            "Month": month,
            "Spent": _money(spent),
            "Exhausted": spent >= item.cap,
            "Throttling": (account, item.function_name) in self._blocked,
            "Alerts": alerts,
        }

    # -- reports ------------------------------------------------------------------------------

    async def report(
        self, group_by: list[str], period: str | None, filters: dict[str, str], first_day: str | None, last_day: str | None
    ) -> list[UsageLine]:
        """Totals and cost per group (``account``, ``function``, ``version``) and *period*
        (``day``, ``month`` or None for the whole range)."""
        keys = [*group_by, *([period] if period else [])]
        lines: dict[tuple[Any, ...], tuple[Totals, list[Decimal]]] = {}
        for row in await self._store.usage_sums(keys, filters, first_day, last_day):
            totals, money = lines.setdefault(tuple(row[k] for k in keys), (Totals(), [Decimal(0), Decimal(0)]))
            group = Totals.of(row)
            totals.add(group)
            before, after = cost(group, row["architecture"], self.prices)
            money[0] += before
            money[1] += after
        report = []
        for key, (totals, (before, after)) in sorted(lines.items()):
            values = dict(zip(keys, key, strict=True))
            report.append(
                UsageLine(
                    account=values.get("account"),
                    function=values.get("function"),
                    version=values.get("version"),
                    period=values.get(period) if period else None,
                    requests=totals.requests,
                    billed_ms=totals.billed_ms,
                    gb_seconds=_money(gb_seconds(totals.mb_ms)),
                    provisioned_gb_seconds=_money(gb_seconds(totals.pc_allocated_mb_ms)),
                    cost_usd=_money(before),
                    cost_after_free_tier_usd=_money(after),
                )
            )
        return report

    async def records(self, filters: dict[str, str], after: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """Records with their charges in commit order after sequence *after*: a page read of at
        most *limit* records, of which those matching *filters*; and where to continue."""
        rows = await self._store.usage_records(filters.get("function"), after, limit)
        made = []
        for seq, record, charged in rows:
            document = {
                **msgspec.to_builtins(record),
                **charge_columns(charged),
                "seq": seq,
                "month": charged.month,
                "day": charged.day,
                # What the integers mean in AWS's unit (exact decimals, as strings).
                "gb_seconds": _money(gb_seconds(charged.mb_ms + charged.pc_duration_mb_ms)),
                "ephemeral_gb_seconds": _money(gb_seconds(charged.storage_mb_ms)),
                "provisioned_gb_seconds": _money(gb_seconds(charged.pc_allocated_mb_ms)),
            }
            if all(str(document.get(name)) == value for name, value in filters.items()):
                made.append(document)
        return made, (rows[-1][0] if len(rows) == limit else None)

    # -- Prometheus ---------------------------------------------------------------------------

    def collect(self) -> Iterator[Metric]:
        """Counters with the same totals as the usage reports (all time, per function version)."""
        labels = ["account", "function", "version", "architecture"]
        families = {
            "requests": CounterMetricFamily("lambent_usage_requests", "Billed invocation requests.", labels=labels),
            "billed": CounterMetricFamily("lambent_usage_billed_milliseconds", "Billed duration.", labels=labels),
            "gbs": CounterMetricFamily("lambent_usage_gb_seconds", "Billed duration in GB-seconds.", labels=labels),
            "cost": CounterMetricFamily("lambent_usage_cost_usd", "Cost before the free tier.", labels=labels),
            "after": CounterMetricFamily("lambent_usage_cost_after_free_tier_usd", "Cost after the free tier.", labels=labels),
        }
        for key, totals in sorted(self._all_time.items()):
            before, after = cost(totals, key[3], self.prices)
            values = list(key)
            families["requests"].add_metric(values, totals.requests)
            families["billed"].add_metric(values, totals.billed_ms)
            families["gbs"].add_metric(values, float(gb_seconds(totals.mb_ms)))
            families["cost"].add_metric(values, float(before))
            families["after"].add_metric(values, float(after))
        yield from families.values()

    async def close(self) -> None:
        await asyncio.gather(*self._background, return_exceptions=True)
