"""One Settings record built by a pure function from an explicit environment (lambent.settings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.settings import Settings, SettingsError, build_settings


def test_defaults() -> None:
    settings = build_settings({})
    assert settings == Settings()
    assert settings.host == "127.0.0.1"
    assert settings.port == 9001
    assert settings.region == "us-east-1"
    assert settings.account_id == "000000000000"
    assert settings.data_dir == Path(".lambent")
    assert settings.concurrency_limit == 1000
    assert settings.sandbox == "auto"
    assert settings.endpoint_url == "http://127.0.0.1:9001"


def test_unrelated_variables_are_ignored() -> None:
    assert build_settings({"PORT": "1", "HOST": "0.0.0.0", "AWS_REGION": "eu-west-1", "lambent_port": "2"}) == Settings()


def test_port_from_the_environment() -> None:
    settings = build_settings({"LAMBENT_PORT": "8080"})
    assert settings.port == 8080
    assert isinstance(settings.port, int)
    assert settings.endpoint_url == "http://127.0.0.1:8080"


def test_every_kind_of_field_from_the_environment() -> None:
    settings = build_settings(
        {
            "LAMBENT_HOST": "0.0.0.0",
            "LAMBENT_REGION": "eu-west-2",
            "LAMBENT_ACCOUNT_ID": "123456789012",
            "LAMBENT_IDLE_TIMEOUT_S": "12.5",
            "LAMBENT_CONCURRENCY_LIMIT": "10",
            "LAMBENT_PUBLIC_URL": "https://lambda.example.test",
        }
    )
    assert settings.host == "0.0.0.0"
    assert settings.region == "eu-west-2"
    assert settings.account_id == "123456789012"
    assert settings.idle_timeout_s == 12.5
    assert settings.concurrency_limit == 10
    assert settings.endpoint_url == "https://lambda.example.test"


def test_data_dir_override_as_a_path() -> None:
    assert build_settings({}, {"data_dir": Path("/srv/lambent")}).data_dir == Path("/srv/lambent")


def test_data_dir_from_the_environment() -> None:
    assert build_settings({"LAMBENT_DATA_DIR": "/var/lib/lambent"}).data_dir == Path("/var/lib/lambent")


def test_empty_variables_mean_not_given() -> None:
    assert build_settings({"LAMBENT_PORT": "", "LAMBENT_REGION": ""}) == Settings()


def test_overrides_win_over_the_environment() -> None:
    settings = build_settings({"LAMBENT_PORT": "8080", "LAMBENT_HOST": "0.0.0.0"}, {"port": 7000})
    assert settings.port == 7000
    assert settings.host == "0.0.0.0"


def test_none_overrides_are_ignored() -> None:
    settings = build_settings({"LAMBENT_PORT": "8080"}, {"port": None, "host": None, "region": None})
    assert settings.port == 8080
    assert settings.host == "127.0.0.1"
    assert settings.region == "us-east-1"


@given(st.integers(min_value=1, max_value=65535), st.integers(min_value=1, max_value=65535))
def test_precedence(env_port: int, flag_port: int) -> None:
    environ = {"LAMBENT_PORT": str(env_port)}
    assert build_settings(environ).port == env_port
    assert build_settings(environ, {"port": flag_port}).port == flag_port
    assert build_settings(environ, {"port": None}).port == env_port


@pytest.mark.parametrize("region", ["useast1", "US-EAST-1", "us-east", "us-east-1x", "u-east-1", " us-east-1"])
def test_bad_region(region: str) -> None:
    with pytest.raises(SettingsError, match="region"):
        build_settings({"LAMBENT_REGION": region})
    with pytest.raises(SettingsError, match="region"):
        build_settings({}, {"region": region})


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1"])
def test_good_region(region: str) -> None:
    assert build_settings({"LAMBENT_REGION": region}).region == region


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", "12345678901a", "", "abcdefghijkl"])
def test_bad_account(account: str) -> None:
    with pytest.raises(SettingsError, match="account_id"):
        build_settings({}, {"account_id": account})


def test_bad_account_from_the_environment() -> None:
    with pytest.raises(SettingsError, match="must be 12 digits"):
        build_settings({"LAMBENT_ACCOUNT_ID": "42"})


@pytest.mark.parametrize("environ", [{"LAMBENT_PORT": "eighty"}, {"LAMBENT_IDLE_TIMEOUT_S": "soon"}])
def test_unconvertible_values(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        build_settings(environ)


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_concurrency_limit_must_be_positive(limit: str) -> None:
    with pytest.raises(SettingsError, match="concurrency_limit"):
        build_settings({"LAMBENT_CONCURRENCY_LIMIT": limit})


def test_settings_are_frozen() -> None:
    settings = build_settings({})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_auth_is_on_unless_turned_off_and_off_only_on_loopback() -> None:
    assert build_settings({}).auth == "on"
    assert build_settings({"LAMBENT_AUTH": "off"}).auth == "off"
    assert build_settings({"LAMBENT_AUTH": "off", "LAMBENT_HOST": "::1"}).auth == "off"
    assert build_settings({"LAMBENT_AUTH": "off", "LAMBENT_HOST": "localhost"}).auth == "off"
    for host in ("0.0.0.0", "192.168.1.5", "example.com"):
        with pytest.raises(SettingsError, match=f"auth off is refused on {host}"):
            build_settings({"LAMBENT_AUTH": "off", "LAMBENT_HOST": host})
    assert build_settings({"LAMBENT_HOST": "0.0.0.0"}).auth == "on"  # checking stays on anywhere
    with pytest.raises(SettingsError, match="auth 'maybe' is not one of on, off"):
        build_settings({"LAMBENT_AUTH": "maybe"})


ID = "0123456789abcdefghijklmnopqrstuv"


def test_function_urls_default_to_awss_host_form_on_this_port() -> None:
    settings = build_settings({"LAMBENT_PORT": "9100", "LAMBENT_REGION": "eu-west-1"})
    assert settings.function_url_base == ""
    assert settings.function_url(ID) == f"http://{ID}.lambda-url.eu-west-1.localhost:9100/"


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://urls.example.com", f"https://{ID}.urls.example.com/"),
        ("https://urls.example.com/", f"https://{ID}.urls.example.com/"),
        ("http://lambda.test:8080", f"http://{ID}.lambda.test:8080/"),
    ],
)
def test_a_public_base_puts_the_id_before_its_host(base: str, url: str) -> None:
    assert build_settings({"LAMBENT_FUNCTION_URL_BASE": base}).function_url(ID) == url


@pytest.mark.parametrize(
    "base",
    ["urls.example.com", "ftp://urls.example.com", "https://urls.example.com/path", "https://-x.test", "https://" + "a" * 59],
)
def test_a_base_of_another_form_or_making_urls_over_100_characters_is_refused(base: str) -> None:
    with pytest.raises(SettingsError, match="function_url_base"):
        build_settings({"LAMBENT_FUNCTION_URL_BASE": base})
    assert len(build_settings({"LAMBENT_FUNCTION_URL_BASE": "https://" + "a" * 58}).function_url(ID)) == 100


def test_mq_brokers_map_broker_arns_to_amqp_urls() -> None:
    arn = "arn:aws:mq:us-east-1:000000000000:broker:b:b-1"
    settings = build_settings({"LAMBENT_MQ_BROKERS": f'{{"{arn}": "amqp://u:p@127.0.0.1:5672"}}'})
    assert settings.mq_broker_urls() == {arn: "amqp://u:p@127.0.0.1:5672"}
    assert build_settings({}).mq_broker_urls() == {}
    for text in ("[1]", "{not json", '{"arn:aws:sqs:x": "amqp://h"}', f'{{"{arn}": "http://h"}}'):
        with pytest.raises(SettingsError, match="mq_brokers"):
            build_settings({"LAMBENT_MQ_BROKERS": text})


def test_queue_sources_redelivery_settings_are_checked() -> None:
    settings = build_settings({"LAMBENT_SOURCE_REDELIVERY_S": "1.5", "LAMBENT_SOURCE_MAX_DELIVERIES": "3"})
    assert (settings.source_redelivery_s, settings.source_max_deliveries) == (1.5, 3)
    with pytest.raises(SettingsError, match="source_redelivery_s"):
        build_settings({"LAMBENT_SOURCE_REDELIVERY_S": "0"})
    with pytest.raises(SettingsError, match="source_max_deliveries"):
        build_settings({"LAMBENT_SOURCE_MAX_DELIVERIES": "0"})
