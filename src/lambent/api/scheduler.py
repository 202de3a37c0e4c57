"""EventBridge Scheduler (``scheduler``, rest-json): schedules and schedule groups at AWS's paths,
so boto3's ``scheduler`` client and ``aws scheduler`` drive them.

Each operation: path, query and body checked against botocore's model of ``scheduler``, the
caller authorized for ``scheduler:<Op>`` on the schedule's or group's ARN (and, to create or
update a schedule, ``iam:PassRole`` on its target's role, as AWS asks), one service call, the
answer rendered; refusals as Scheduler words them (``x-amzn-ErrorType`` and ``{"Message"}``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.auth import principal
from lambent.api.guard import Guard
from lambent.api.render import json_response, scheduler_error_response
from lambent.errors import ApiError, SchedulerValidation
from lambent.model import constraints
from lambent.model import schedule as model
from lambent.model.limits import SCHEDULER_REQUEST_LIMIT_BYTES
from lambent.model.paging import offset_page
from lambent.model.schedule import Schedule, ScheduleGroup, ScheduleInput
from lambent.services.schedules import ScheduleService

LIST_LIMIT = 100
SchedulesOf = Callable[[Request], Awaitable[ScheduleService]]


def _summary(schedule: Schedule) -> dict[str, Any]:
    """A schedule as ListSchedules lists it."""
    return {
        "Arn": schedule.arn,
        "Name": schedule.name,
        "GroupName": schedule.group,
        "State": schedule.spec.state or "ENABLED",
        "CreationDate": schedule.creation_date,
        "LastModificationDate": schedule.last_modification_date,
        "Target": {"Arn": schedule.spec.target.arn},
    }


def _schedule(schedule: Schedule) -> dict[str, Any]:
    """A schedule as GetSchedule answers: its summary with every setting it was given."""
    spec = msgspec.to_builtins(schedule.spec)
    spec.pop("GroupName", None)
    spec.pop("ClientToken", None)
    return {**_summary(schedule), **{key: value for key, value in spec.items() if value is not None}}


def _group(group: ScheduleGroup) -> dict[str, Any]:
    return {
        "Arn": group.arn,
        "Name": group.name,
        "State": "ACTIVE",
        "CreationDate": group.creation_date,
        "LastModificationDate": group.last_modification_date,
    }


class SchedulerApi:
    def __init__(self, schedules_of: SchedulesOf, guard: Guard) -> None:
        self._schedules_of = schedules_of
        self._guard = guard

    async def _begin(
        self, request: Request, operation: str, resource: Callable[[ScheduleService], str], params: dict[str, Any]
    ) -> ScheduleService:
        """Check *params* (model names) against the model, then authorize *operation* on the
        ARN *resource* makes from the caller's account's service."""
        problems = constraints.violations(operation, params, service="scheduler")
        if problems:
            raise SchedulerValidation(constraints.summary(problems))
        schedules = await self._schedules_of(request)
        await self._guard.check(principal(request), f"scheduler:{operation}", resource(schedules), request.scope)
        return schedules

    async def _body(self, request: Request, operation: str) -> dict[str, Any]:
        raw = await inputs.body(request, SCHEDULER_REQUEST_LIMIT_BYTES, operation)
        try:
            body = msgspec.json.decode(raw or b"{}")
        except msgspec.DecodeError:
            raise SchedulerValidation("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise SchedulerValidation("The request body is not a JSON object.")
        return body

    async def _run(self, request: Request, work: Callable[[], Awaitable[Any]]) -> Response:
        try:
            return json_response(await work(), 200)
        except ApiError as refused:
            return scheduler_error_response(refused)

    # -- schedules ------------------------------------------------------------------------------

    def _spec(self, body: dict[str, Any]) -> ScheduleInput:
        try:
            return msgspec.convert(body, ScheduleInput)
        except msgspec.ValidationError as refused:
            raise SchedulerValidation(f"The request is not valid: {refused}") from None

    async def create(self, request: Request) -> Response:
        return await self._put(request, "CreateSchedule")

    async def update(self, request: Request) -> Response:
        return await self._put(request, "UpdateSchedule")

    async def _put(self, request: Request, operation: str) -> Response:
        """CreateSchedule or UpdateSchedule: the same body, made or replaced."""

        async def work() -> dict[str, Any]:
            name = request.path_params["Name"]
            body = await self._body(request, operation)
            group = body.get("GroupName") or model.DEFAULT_GROUP
            schedules = await self._begin(
                request,
                operation,
                lambda s: model.schedule_arn(s.region, s.account_id, group, name),
                {**body, "Name": name},
            )
            spec = self._spec(body)
            # as on AWS, whoever hands Scheduler a role must be allowed to pass it
            await self._guard.check(principal(request), "iam:PassRole", spec.target.role_arn, request.scope)
            put = schedules.create if operation == "CreateSchedule" else schedules.update
            return {"ScheduleArn": (await put(name, spec)).arn}

        return await self._run(request, work)

    async def _named(self, request: Request, operation: str) -> tuple[ScheduleService, str | None, str]:
        """GetSchedule's and DeleteSchedule's schedule: the service, its group (None: the
        default) and its name, checked and authorized."""
        name, group = request.path_params["Name"], request.query_params.get("groupName")
        params = {"Name": name, **({"GroupName": group} if group else {})}
        arn = lambda s: model.schedule_arn(s.region, s.account_id, group or model.DEFAULT_GROUP, name)  # noqa: E731
        return await self._begin(request, operation, arn, params), group, name

    async def get(self, request: Request) -> Response:
        async def work() -> dict[str, Any]:
            schedules, group, name = await self._named(request, "GetSchedule")
            return _schedule(schedules.get(group, name))

        return await self._run(request, work)

    async def delete(self, request: Request) -> Response:
        async def work() -> dict[str, Any]:
            schedules, group, name = await self._named(request, "DeleteSchedule")
            await schedules.delete(group, name)
            return {}

        return await self._run(request, work)

    async def list(self, request: Request) -> Response:
        async def work() -> dict[str, Any]:
            query = request.query_params
            params: dict[str, Any] = {
                member: query[wire]
                for wire, member in (("ScheduleGroup", "GroupName"), ("NamePrefix", "NamePrefix"), ("State", "State"))
                if wire in query
            }
            schedules = await self._begin(request, "ListSchedules", lambda s: "*", params)
            found = [
                _summary(schedule)
                for schedule in schedules.all()
                if schedule.name.startswith(params.get("NamePrefix", ""))
                and ("GroupName" not in params or schedule.group == params["GroupName"])
                and ("State" not in params or (schedule.spec.state or "ENABLED") == params["State"])
            ]
            chosen, token = offset_page(found, query.get("NextToken"), query.get("MaxResults"), LIST_LIMIT)
            return {"Schedules": chosen, **({"NextToken": token} if token else {})}

        return await self._run(request, work)

    # -- groups ---------------------------------------------------------------------------------

    async def create_group(self, request: Request) -> Response:
        async def work() -> dict[str, Any]:
            name = request.path_params["Name"]
            body = await self._body(request, "CreateScheduleGroup")
            arn = lambda s: model.group_arn(s.region, s.account_id, name)  # noqa: E731
            schedules = await self._begin(request, "CreateScheduleGroup", arn, {**body, "Name": name})
            return {"ScheduleGroupArn": (await schedules.create_group(name)).arn}

        return await self._run(request, work)

    async def get_group(self, request: Request) -> Response:
        async def work() -> dict[str, Any]:
            name = request.path_params["Name"]
            arn = lambda s: model.group_arn(s.region, s.account_id, name)  # noqa: E731
            schedules = await self._begin(request, "GetScheduleGroup", arn, {"Name": name})
            return _group(schedules.group(name))

        return await self._run(request, work)

    async def delete_group(self, request: Request) -> Response:
        async def work() -> dict[str, Any]:
            name = request.path_params["Name"]
            arn = lambda s: model.group_arn(s.region, s.account_id, name)  # noqa: E731
            schedules = await self._begin(request, "DeleteScheduleGroup", arn, {"Name": name})
            await schedules.delete_group(name)
            return {}

        return await self._run(request, work)

    async def list_groups(self, request: Request) -> Response:
        async def work() -> dict[str, Any]:
            query = request.query_params
            prefix = query.get("NamePrefix") or ""
            schedules = await self._begin(request, "ListScheduleGroups", lambda s: "*", {})
            found = [_group(group) for group in schedules.groups() if group.name.startswith(prefix)]
            chosen, token = offset_page(found, query.get("NextToken"), query.get("MaxResults"), LIST_LIMIT)
            return {"ScheduleGroups": chosen, **({"NextToken": token} if token else {})}

        return await self._run(request, work)
