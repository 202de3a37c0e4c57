"""Which HTTP API a request is addressed to: by its host name, or by a path for clients that
cannot set Host. Pure.

AWS serves an API at ``https://<api-id>.execute-api.<region>.amazonaws.com``, a named stage under
``/<stage>/`` and the ``$default`` stage at the root. Lambent serves it on its own port, told
apart as function URLs are (decision 0028, after 0025):

- ``<api-id>.execute-api.<region>.localhost[:port]``, the default (``*.localhost`` is loopback);
- ``<api-id>.<public host>[:port]`` under a public base (``LAMBENT_API_ENDPOINT_BASE``);
- ``/lambent/apis/<api-id>/<path>`` on the server's own address.

An API id is AWS's form: 10 lowercase letters and digits. The stage is the ingress's to pick from
the path (``stage_and_path``): the first part when a stage of that name exists, else ``$default``.
"""

from __future__ import annotations

import re
from collections.abc import Container

import msgspec

API_ID = re.compile(r"[a-z0-9]{10}")
#: The path form's prefix.
PATH_PREFIX = "/lambent/apis/"
DEFAULT_STAGE = "$default"


class ApiAddress(msgspec.Struct, frozen=True, kw_only=True):
    api_id: str
    #: The path within the API, as received (percent-encoded), a named stage's prefix included.
    raw_path: str
    #: The host name the function sees as ``requestContext.domainName``.
    domain_name: str


def api_host_suffix(region: str) -> str:
    """The default host suffix: ``.execute-api.<region>.localhost``."""
    return f".execute-api.{region}.localhost"


def _name(host: str) -> str:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name.lower().rstrip(".")


def api_address_of(host: str | None, raw_path: str, suffixes: tuple[str, ...]) -> ApiAddress | None:
    """The API *host* and *raw_path* address, given the host *suffixes* APIs are served under
    (each starting with a dot); None when the request is not for an API."""
    if host:
        name = _name(host)
        for suffix in suffixes:
            if name.endswith(suffix):
                api_id = name[: -len(suffix)]
                if API_ID.fullmatch(api_id):
                    return ApiAddress(api_id=api_id, raw_path=raw_path or "/", domain_name=name)
    if raw_path.startswith(PATH_PREFIX):
        api_id, _, rest = raw_path[len(PATH_PREFIX) :].partition("/")
        if API_ID.fullmatch(api_id):
            return ApiAddress(api_id=api_id, raw_path="/" + rest, domain_name=_name(host or ""))
    return None


def is_api_host(host: str | None, suffixes: tuple[str, ...]) -> bool:
    """Whether *host* names something under an API suffix (a malformed id included)."""
    return bool(host) and any(_name(host or "").endswith(suffix) for suffix in suffixes)


def stage_and_path(path: str, stages: Container[str]) -> tuple[str, str, str] | None:
    """(stage, the stage's prefix, the path within the stage) for the decoded *path*: a named
    stage when the first part names one of *stages* (its prefix ``/<stage>``), else ``$default``
    with no prefix; None when neither serves it."""
    first, _, rest = path[1:].partition("/")
    if first and first != DEFAULT_STAGE and first in stages:
        return first, f"/{first}", "/" + rest
    if DEFAULT_STAGE in stages:
        return DEFAULT_STAGE, "", path
    return None
