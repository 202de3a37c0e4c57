"""model.url_address: a function URL told apart by host name or by the path form."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lambent.model.url_address import Address, address_of, is_url_host, url_host_suffix

ID = "abcdefghijklmnopqrstuvwxyz012345"
SUFFIXES = (url_host_suffix("us-east-1"), ".urls.example.com")


def test_the_host_form_on_any_port() -> None:
    assert address_of(f"{ID}.lambda-url.us-east-1.localhost:9001", "/a/b%20c", SUFFIXES) == Address(
        url_id=ID, raw_path="/a/b%20c", domain_name=f"{ID}.lambda-url.us-east-1.localhost"
    )
    assert address_of(f"{ID.upper()}.LAMBDA-URL.us-east-1.localhost", "", SUFFIXES) == Address(
        url_id=ID, raw_path="/", domain_name=f"{ID}.lambda-url.us-east-1.localhost"
    )
    assert address_of(f"{ID}.urls.example.com", "/", SUFFIXES) is not None  # a configured public base


def test_the_path_form() -> None:
    assert address_of("127.0.0.1:9001", f"/lambent/urls/{ID}/items/1", SUFFIXES) == Address(
        url_id=ID, raw_path="/items/1", domain_name="127.0.0.1"
    )
    assert address_of("127.0.0.1:9001", f"/lambent/urls/{ID}", SUFFIXES) == Address(
        url_id=ID, raw_path="/", domain_name="127.0.0.1"
    )


def test_what_is_not_a_function_url() -> None:
    assert address_of("127.0.0.1:9001", "/2015-03-31/functions", SUFFIXES) is None
    assert address_of(f"{ID}.lambda-url.eu-west-1.localhost", "/", SUFFIXES) is None  # another region
    assert address_of("short.lambda-url.us-east-1.localhost", "/", SUFFIXES) is None
    assert address_of("127.0.0.1", "/lambent/urls/short/x", SUFFIXES) is None
    # a malformed id under the suffix is still the ingress's (to refuse), never the API's
    assert is_url_host("short.lambda-url.us-east-1.localhost:9001", SUFFIXES)
    assert not is_url_host("127.0.0.1:9001", SUFFIXES)


@given(st.text(max_size=60), st.text(max_size=60))
def test_any_host_and_path_parse_without_raising(host: str, path: str) -> None:
    found = address_of(host, path, SUFFIXES)
    assert found is None or len(found.url_id) == 32
