"""The route table: every endpoint of the platform's HTTP surface, one line each.

Starlette tries routes in order, so Invoke, the hot path, is first; it is plain ASGI (no
Request or Response objects) for its ~30 µs. Paths are AWS's, with their API-version prefixes;
no trailing-slash redirects (``redirect_slashes`` is off), so the few paths AWS's clients send
both ways are listed both ways. Anything else is ``UnknownOperationException``.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lambent.api.control import AsgiEndpoint, ControlApi
from lambent.api.health import HealthApi
from lambent.api.layers import LayersApi
from lambent.api.logs import LogsApi
from lambent.api.render import error_response
from lambent.api.usage import PREFIX as USAGE
from lambent.api.usage import UsageApi
from lambent.errors import UnknownOperation


class Handlers(msgspec.Struct, frozen=True, kw_only=True):
    """The handler objects the table points into, one per resource."""

    control: ControlApi
    layers: LayersApi
    logs: LogsApi
    usage: UsageApi
    health: HealthApi


async def unknown(request: Request) -> Response:
    return error_response(UnknownOperation(f"No operation matches {request.method} {request.url.path}."))


FUNCTIONS = "/2015-03-31/functions"
EVENT_CONFIG = "/2019-09-25/functions/{name}/event-invoke-config"
PROVISIONED = "/2019-09-30/functions/{name}/provisioned-concurrency"
LAYER = "/2018-10-31/layers/{layer}/versions"


def routes(h: Handlers) -> list[BaseRoute]:
    c, layers, usage = h.control, h.layers, h.usage
    return [
        Route(f"{FUNCTIONS}/{{name}}/invocations", AsgiEndpoint(c.invoke), methods=["POST"]),
        Route(FUNCTIONS, c.create_function, methods=["POST"]),
        Route(FUNCTIONS, c.list_functions, methods=["GET"]),
        Route(f"{FUNCTIONS}/", c.create_function, methods=["POST"]),
        Route(f"{FUNCTIONS}/", c.list_functions, methods=["GET"]),
        Route(f"{FUNCTIONS}/{{name}}", c.get_function, methods=["GET"]),
        Route(f"{FUNCTIONS}/{{name}}", c.delete_function, methods=["DELETE"]),
        Route(f"{FUNCTIONS}/{{name}}/configuration", c.get_function_configuration, methods=["GET"]),
        Route(f"{FUNCTIONS}/{{name}}/configuration", c.update_function_configuration, methods=["PUT"]),
        Route(f"{FUNCTIONS}/{{name}}/code", c.update_function_code, methods=["PUT"]),
        Route(f"{FUNCTIONS}/{{name}}/versions", c.publish_version, methods=["POST"]),
        Route(f"{FUNCTIONS}/{{name}}/versions", c.list_versions, methods=["GET"]),
        Route(f"{FUNCTIONS}/{{name}}/aliases", c.create_alias, methods=["POST"]),
        Route(f"{FUNCTIONS}/{{name}}/aliases", c.list_aliases, methods=["GET"]),
        Route(f"{FUNCTIONS}/{{name}}/aliases/{{alias}}", c.get_alias, methods=["GET"]),
        Route(f"{FUNCTIONS}/{{name}}/aliases/{{alias}}", c.update_alias, methods=["PUT"]),
        Route(f"{FUNCTIONS}/{{name}}/aliases/{{alias}}", c.delete_alias, methods=["DELETE"]),
        Route(EVENT_CONFIG, c.put_event_invoke_config, methods=["PUT"]),
        Route(EVENT_CONFIG, c.update_event_invoke_config, methods=["POST"]),
        Route(EVENT_CONFIG, c.get_event_invoke_config, methods=["GET"]),
        Route(EVENT_CONFIG, c.delete_event_invoke_config, methods=["DELETE"]),
        Route(f"{EVENT_CONFIG}/list", c.list_event_invoke_configs, methods=["GET"]),
        Route(PROVISIONED, c.put_provisioned_concurrency, methods=["PUT"]),
        Route(PROVISIONED, c.get_provisioned_concurrency, methods=["GET"]),
        Route(PROVISIONED, c.delete_provisioned_concurrency, methods=["DELETE"]),
        Route("/2024-08-31/functions/{name}/recursion-config", c.put_recursion_config, methods=["PUT"]),
        Route("/2024-08-31/functions/{name}/recursion-config", c.get_recursion_config, methods=["GET"]),
        Route("/2014-11-13/functions/{name}/invoke-async", c.invoke_async, methods=["POST"]),
        Route("/2014-11-13/functions/{name}/invoke-async/", c.invoke_async, methods=["POST"]),
        Route("/2017-10-31/functions/{name}/concurrency", c.put_function_concurrency, methods=["PUT"]),
        Route("/2017-10-31/functions/{name}/concurrency", c.delete_function_concurrency, methods=["DELETE"]),
        Route("/2019-09-30/functions/{name}/concurrency", c.get_function_concurrency, methods=["GET"]),
        Route("/2016-08-19/account-settings", c.get_account_settings, methods=["GET"]),
        Route("/2016-08-19/account-settings/", c.get_account_settings, methods=["GET"]),
        Route("/2017-03-31/tags/{arn:path}", c.tag_resource, methods=["POST"]),
        Route("/2017-03-31/tags/{arn:path}", c.untag_resource, methods=["DELETE"]),
        Route("/2017-03-31/tags/{arn:path}", c.list_tags, methods=["GET"]),
        Route("/2018-10-31/layers", layers.list_layers, methods=["GET"]),
        Route(LAYER, layers.publish, methods=["POST"]),
        Route(LAYER, layers.list_versions, methods=["GET"]),
        Route(f"{LAYER}/{{version}}", layers.get, methods=["GET"]),
        Route(f"{LAYER}/{{version}}", layers.delete, methods=["DELETE"]),
        Route(f"{LAYER}/{{version}}/policy", layers.add_permission, methods=["POST"]),
        Route(f"{LAYER}/{{version}}/policy", layers.get_policy, methods=["GET"]),
        Route(f"{LAYER}/{{version}}/policy/{{statement}}", layers.remove_permission, methods=["DELETE"]),
        Route(f"{USAGE}/usage", usage.usage, methods=["GET"]),
        Route(f"{USAGE}/usage/records", usage.records, methods=["GET"]),
        Route(f"{USAGE}/budgets", usage.list_budgets, methods=["GET"]),
        Route(f"{USAGE}/budgets/{{name}}", usage.put_budget, methods=["PUT"]),
        Route(f"{USAGE}/budgets/{{name}}", usage.get_budget, methods=["GET"]),
        Route(f"{USAGE}/budgets/{{name}}", usage.delete_budget, methods=["DELETE"]),
        Route("/metrics", usage.metrics, methods=["GET"]),
        Route("/lambent/code/{sha}.zip", c.download_code, methods=["GET"]),
        Route("/lambent/health", h.health.health, methods=["GET"]),
        Route("/", h.logs.dispatch, methods=["POST"]),
        Route("/{rest:path}", unknown, methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    ]
