"""A function's live log tail: htmx polls ``tail`` every second from the last position it was
shown (``model.log_groups.LogPosition``'s token), and gets the lines written since, appended out
of band, with the poller itself replaced to carry the new position. A group Lambda has not made
yet (no invocation has logged) is an empty tail, as FilterLogEvents is answered then."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambent.console.shell import Shell, Visitor
from lambent.errors import LogsResourceNotFound
from lambent.model.arns import parse_function_ref
from lambent.model.lambda_actions import log_group_arn
from lambent.model.log_groups import LogPosition
from lambent.services.logs import LogService

#: Lines shown per poll at most.
TAIL_LINES = 200


def position(token: str | None) -> LogPosition | None:
    """The position a token names (``block-line``), None for none or a malformed one."""
    if not token:
        return None
    block, _, line = token.partition("-")
    return LogPosition(int(block), int(line)) if block.isdigit() and line.isdigit() else None


class LogPages:
    def __init__(self, shell: Shell, logs: LogService) -> None:
        self._shell = shell
        self._logs = logs

    async def tail(self, request: Request, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        cell = visitor.cell
        await self._shell.allow(request, visitor, "GetFunction", name)  # as its page: nothing of it otherwise
        function = cell.functions.resolve(parse_function_ref(name, cell.region, cell.account_id))
        group = function.log_group_name
        await self._shell.check_action(
            request, visitor, "logs:FilterLogEvents", log_group_arn(cell.region, cell.account_id, group)
        )
        after = position(request.query_params.get("after"))
        start = request.query_params.get("start", "")
        start_ms = int(start) if start.isdigit() else None
        lines: list[tuple[int, str]] = []
        last = after
        try:
            while len(lines) < TAIL_LINES:
                found, more = await self._logs.search(
                    cell.account_id, group, None, None, start_ms, None, last, TAIL_LINES - len(lines), None
                )
                lines.extend((event.timestamp_ms, event.message) for _, event in found)
                if found:
                    last = found[-1][0]
                if more is None:
                    break
                last = more
        except LogsResourceNotFound:
            pass
        return self._shell.render(
            request, "_tail.html", visitor, name=name, lines=lines, after=last.token() if last else "", start=start
        )
