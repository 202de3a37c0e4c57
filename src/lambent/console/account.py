"""The account's pages: this month's usage and cost, budgets (list, create, delete after a
confirmation), and the signed-in user's access keys (list; a new key's secret shown once; delete
after a confirmation)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from lambent.console.shell import Shell, Visitor
from lambent.errors import InvalidParameterValueException
from lambent.model.budget import Budget
from lambent.services.iam import IamService
from lambent.services.metering import MeterService
from lambent.services.usage_reports import UsageReports


class AccountPages:
    def __init__(self, shell: Shell, meter: MeterService, reports: UsageReports, iam: IamService) -> None:
        self._shell = shell
        self._meter = meter
        self._reports = reports
        self._iam = iam

    async def usage(self, request: Request, visitor: Visitor) -> Response:
        account = visitor.principal.account_id
        lines = None
        if await self._shell.allowed(request, visitor, "GetUsage"):
            month = datetime.fromtimestamp(self._shell.clock.time(), UTC).strftime("%Y-%m-01")
            lines = await self._reports.report(["function"], "month", {"account": account}, month, None)
        budgets = None
        if await self._shell.allowed(request, visitor, "ListBudgets"):
            budgets = []
            for budget in self._meter.list_budgets(account):
                status = await self._meter.budget_status(account, budget.name)
                budgets.append((budget, status))
        return self._shell.render(request, "usage.html", visitor, lines=lines, budgets=budgets)

    async def put_budget(self, request: Request, visitor: Visitor) -> Response:
        await self._shell.allow(request, visitor, "PutBudget")
        form = await request.form()
        try:
            thresholds = [int(t) for t in str(form.get("thresholds") or "50,80,100").replace(" ", "").split(",") if t]
        except ValueError:
            raise InvalidParameterValueException("Thresholds are whole percentages separated by commas.") from None
        budget = Budget(
            name=str(form.get("name") or "").strip(),
            limit=str(form.get("limit") or "").strip(),
            unit=str(form.get("unit") or "USD"),
            action=str(form.get("action") or "ALERT"),
            function_name=str(form.get("function") or "").strip() or None,
            thresholds=thresholds,
        )
        await self._meter.put_budget(visitor.principal.account_id, budget)
        return self._shell.redirect(request, "/usage")

    async def confirm_budget_delete(self, request: Request, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        self._meter.budget(visitor.principal.account_id, name)  # 404 for a budget that is not there
        return self._shell.render(
            request,
            "confirm.html",
            visitor,
            title=f"Delete budget {name}?",
            message=f"The budget {name} and its alerts will be deleted. Its cap will no longer apply.",
            action=f"/budgets/{name}/delete",
            back="/usage",
        )

    async def delete_budget(self, request: Request, visitor: Visitor) -> Response:
        await self._shell.allow(request, visitor, "DeleteBudget")
        await self._meter.delete_budget(visitor.principal.account_id, request.path_params["name"])
        return self._shell.redirect(request, "/usage")

    # -- access keys ----------------------------------------------------------------------

    async def keys(self, request: Request, visitor: Visitor) -> Response:
        principal = visitor.principal
        await self._shell.check_action(request, visitor, "iam:ListAccessKeys", principal.arn)
        keys, user = await self._iam.list_access_keys(principal.account_id, None, principal.arn)
        return self._shell.render(request, "keys.html", visitor, keys=keys, user=user)

    async def create_key(self, request: Request, visitor: Visitor) -> Response:
        principal = visitor.principal
        await self._shell.check_action(request, visitor, "iam:CreateAccessKey", principal.arn)
        credential, user = await self._iam.create_access_key(principal.account_id, None, principal.arn)
        return self._shell.render(request, "key_created.html", visitor, credential=credential, user=user)

    async def confirm_key_delete(self, request: Request, visitor: Visitor) -> Response:
        key = request.path_params["key"]
        current = key == visitor.principal.access_key_id
        return self._shell.render(
            request,
            "confirm.html",
            visitor,
            title=f"Delete access key {key}?",
            message="Anything signing with this key will be refused from now on."
            + (" It is the key of this session: you will be signed out." if current else ""),
            action=f"/keys/{key}/delete",
            back="/keys",
        )

    async def delete_key(self, request: Request, visitor: Visitor) -> Response:
        principal = visitor.principal
        await self._shell.check_action(request, visitor, "iam:DeleteAccessKey", principal.arn)
        await self._iam.delete_access_key(principal.account_id, None, principal.arn, request.path_params["key"])
        return self._shell.redirect(request, "/keys")
