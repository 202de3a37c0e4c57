"""Reports and raw records of metered use, read after the ledger has committed what it has
journaled, so that a report includes every invocation that has ended when it is asked for."""

from __future__ import annotations

from typing import Any

from lambent.services.ledger import Ledger
from lambent.services.metering import MeterService, UsageLine


class UsageReports:
    def __init__(self, ledger: Ledger, meter: MeterService) -> None:
        self._ledger = ledger
        self._meter = meter

    async def report(
        self, group_by: list[str], period: str | None, filters: dict[str, str], first_day: str | None, last_day: str | None
    ) -> list[UsageLine]:
        """``MeterService.report`` over everything journaled until now."""
        await self._ledger.flush()
        return await self._meter.report(group_by, period, filters, first_day, last_day)

    async def records(self, filters: dict[str, str], after: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """``MeterService.records`` over everything journaled until now."""
        await self._ledger.flush()
        return await self._meter.records(filters, after, limit)
