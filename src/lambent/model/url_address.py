"""Which function URL a request is addressed to: by its host name, or by a path for clients that
cannot set Host. Pure.

AWS serves a function URL at ``https://<url-id>.lambda-url.<region>.on.aws/``. Lambent serves
it on its own port, told apart by the Host header (decision 0025):

- ``<url-id>.lambda-url.<region>.localhost[:port]``, the default: every name under
  ``localhost`` resolves to the loopback address (RFC 6761) in browsers, curl and most resolvers,
  so the URL works as given with no DNS set up;
- ``<url-id>.<public host>[:port]`` when a public base is configured
  (``LAMBENT_FUNCTION_URL_BASE``, for a proxy or TLS terminator with a wildcard name in front);
- ``/lambent/urls/<url-id>/<path>`` on the server's own address, for a client that cannot set
  Host: the rest of the path is the URL's path (``/`` when there is none).

A URL id is AWS's form: 32 lowercase letters and digits.
"""

from __future__ import annotations

import re

import msgspec

URL_ID = re.compile(r"[a-z0-9]{32}")
#: The path form's prefix.
PATH_PREFIX = "/lambent/urls/"


class Address(msgspec.Struct, frozen=True, kw_only=True):
    url_id: str
    #: The path within the URL, as received (percent-encoded): what the function sees as rawPath.
    raw_path: str
    #: The host name the function sees as its domain (``requestContext.domainName``).
    domain_name: str


def url_host_suffix(region: str) -> str:
    """The default host suffix: ``.lambda-url.<region>.localhost``."""
    return f".lambda-url.{region}.localhost"


def address_of(host: str | None, raw_path: str, suffixes: tuple[str, ...]) -> Address | None:
    """The function URL *host* and *raw_path* address, given the host *suffixes* URLs are served
    under (each starting with a dot); None when the request is not for a function URL."""
    if host:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.lower().rstrip(".")
        for suffix in suffixes:
            if name.endswith(suffix):
                url_id = name[: -len(suffix)]
                if URL_ID.fullmatch(url_id):
                    return Address(url_id=url_id, raw_path=raw_path or "/", domain_name=name)
    if raw_path.startswith(PATH_PREFIX):
        url_id, _, rest = raw_path[len(PATH_PREFIX) :].partition("/")
        if URL_ID.fullmatch(url_id):
            return Address(url_id=url_id, raw_path="/" + rest, domain_name=(host or "").rsplit(":", 1)[0].lower())
    return None


def is_url_host(host: str | None, suffixes: tuple[str, ...]) -> bool:
    """Whether *host* names something under a function URL suffix (a malformed id included: such
    a request is the ingress's to refuse, never the API's)."""
    if not host:
        return False
    name = host.rsplit(":", 1)[0].lower().rstrip(".")
    return any(name.endswith(suffix) for suffix in suffixes)
