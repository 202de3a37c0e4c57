"""The functions pages: the list (with the last 24 h of invocations and errors), one function's
configuration and triggers, and invoking it with a test event (saved per function)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.console.metrics import totals
from lambent.console.shell import Shell, Visitor
from lambent.errors import ApiError, InvalidParameterValueException
from lambent.model import logs as loglines
from lambent.model.arns import parse_function_ref
from lambent.model.function import FunctionVersion
from lambent.services.metrics import MetricService

DAY_MS = 86_400_000


def _pretty(payload: bytes) -> str:
    try:
        return json.dumps(json.loads(payload), indent=2)
    except ValueError:
        return payload.decode("utf-8", "replace")


class FunctionPages:
    def __init__(self, shell: Shell, metrics: MetricService) -> None:
        self._shell = shell
        self._metrics = metrics

    async def list(self, request: Request, visitor: Visitor) -> Response:
        await self._shell.allow(request, visitor, "ListFunctions")
        functions: list[FunctionVersion] = []
        marker = None
        while True:
            page, marker = visitor.cell.functions.page(marker, 50)
            functions.extend(page)
            if marker is None:
                break
        stats: dict[str, tuple[int, float | None]] | None = None
        try:
            await self._shell.check_action(request, visitor, "cloudwatch:GetMetricStatistics", "*")
        except ApiError:
            stats = None  # metrics not permitted: the columns say so
        else:
            end = int(self._shell.clock.time() * 1000)
            stats = {}
            for function in functions:
                found = await totals(self._metrics, visitor.principal.account_id, function.name, end - DAY_MS, end)
                stats[function.name] = (
                    int(found["Invocations"]),
                    found["Errors"] / found["Invocations"] if found["Invocations"] else None,
                )
        return self._shell.render(request, "functions.html", visitor, functions=functions, stats=stats)

    async def detail(self, request: Request, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        shell, cell = self._shell, visitor.cell
        await shell.allow(request, visitor, "GetFunction", name)
        ref = parse_function_ref(name, cell.region, cell.account_id)
        function = cell.functions.resolve(ref)
        sections: dict[str, Any] = {}

        async def section(key: str, operation: str, read: Any) -> None:
            if not await shell.allowed(request, visitor, operation, name):
                sections[key] = "denied"
                return
            try:
                sections[key] = read()
            except ApiError:
                sections[key] = None

        await section("versions", "ListVersionsByFunction", lambda: cell.functions.versions_page(name, None, 50)[0])
        await section("aliases", "ListAliases", lambda: cell.aliases.aliases_page(name, None, None, 50)[0])
        await section(
            "urls",
            "ListFunctionUrlConfigs",
            lambda: [(c, cell.function_urls.url(c)) for c in cell.function_urls.list(name, None, 50)[0]],
        )
        await section("mappings", "ListEventSourceMappings", lambda: cell.event_sources.find(name, None, None, 100)[0])
        await section("policy", "GetPolicy", lambda: json.loads(cell.permissions.get_policy(ref)[0]).get("Statement", []))
        await section("concurrency", "GetFunctionConcurrency", lambda: cell.functions.reserved(name))
        arn = cell.functions.arn(name)
        schedules = [s for s in cell.schedules.all() if s.spec.target.arn.split(":")[:7] == arn.split(":")[:7]]
        events = await cell.test_events.list(name) if await shell.allowed(request, visitor, "Invoke", name) else {}
        return shell.render(
            request,
            "function.html",
            visitor,
            function=function,
            arn=arn,
            sections=sections,
            schedules=schedules,
            test_events=events,
            chosen=request.query_params.get("event", ""),
            start_ms=int(shell.clock.time() * 1000) - 60_000,
        )

    async def invoke(self, request: Request, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        cell = visitor.cell
        await self._shell.allow(request, visitor, "Invoke", name)
        form = await request.form()
        payload = str(form.get("payload") or "{}")
        try:
            json.loads(payload)
        except ValueError as bad:
            raise InvalidParameterValueException(f"The test event is not JSON: {bad}") from None
        save_as = str(form.get("save_as") or "").strip()
        if save_as:
            await cell.test_events.save(name, save_as, payload)
        ref = parse_function_ref(name, cell.region, cell.account_id)
        outcome = await cell.invocations.invoke(ref, payload.encode(), "RequestResponse")
        invocation = outcome.invocation
        failure = invocation.failure if invocation is not None else None
        return self._shell.render(
            request,
            "_invoke_result.html",
            visitor,
            outcome=outcome,
            function_error=failure.error_type if failure is not None else None,
            result=_pretty(invocation.payload) if invocation is not None else "",
            log=loglines.tail(invocation.log).decode("utf-8", "replace") if invocation is not None else "",
            duration_ms=invocation.duration_ms if invocation is not None else None,
            saved=save_as,
        )

    async def delete_event(self, request: Request, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        await self._shell.allow(request, visitor, "Invoke", name)
        await visitor.cell.test_events.delete(name, request.path_params["event"])
        return self._shell.redirect(request, f"/functions/{name}")
