"""The [environments.<name>.resilience] table: defaults, validation and construct properties."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from rds_ha import ConfigurationError, Deployment, ResilienceConfig, parse_config
from stacks.config import DEFAULT_CONFIG_PATH


def environments(**resilience: Any) -> dict[str, Any]:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text())
    if resilience:
        data["environments"]["staging"]["resilience"] = resilience
    return data


@pytest.mark.parametrize(
    ("production", "deployment", "expected"),
    [
        (True, Deployment.MULTI_AZ_INSTANCE, True),
        (False, Deployment.MULTI_AZ_INSTANCE, False),
        (True, Deployment.MULTI_AZ_CLUSTER, False),
    ],
)
def test_a_proxy_by_default_for_production_db_instances_only(
    production: bool, deployment: Deployment, expected: bool
) -> None:
    assert ResilienceConfig().wants_proxy(production=production, deployment=deployment) is expected


def test_the_proxy_key_overrides_the_default() -> None:
    assert ResilienceConfig(proxy=True).wants_proxy(
        production=False, deployment=Deployment.SINGLE_AZ
    )
    assert not ResilienceConfig(proxy=False).wants_proxy(
        production=True, deployment=Deployment.MULTI_AZ_INSTANCE
    )


def test_pool_settings_and_alarm_minutes_become_construct_properties() -> None:
    config = parse_config(
        environments(
            proxy=True,
            proxy_max_connections_percent=75,
            proxy_idle_client_timeout_seconds=600,
            recovery_point_alarm_minutes=20,
            game_day=True,
        )
    )
    resilience = config.environments["staging"].resilience
    props = resilience.proxy_props()
    assert props["max_connections_percent"] == 75
    assert props["idle_client_timeout"].to_seconds() == 600
    assert props["connection_borrow_timeout"].to_seconds() == 120
    assert resilience.recovery_point_props()["max_recovery_point_age"].to_minutes() == 20
    assert resilience.game_day is True


def test_every_environment_has_the_defaults_when_the_table_is_absent() -> None:
    data = environments()
    absent = [name for name, env in data["environments"].items() if "resilience" not in env]
    config = parse_config(data)

    assert absent == ["dev", "staging"]  # prod turns the game day on
    for name in absent:
        assert config.environments[name].resilience == ResilienceConfig()
    assert config.environments["prod"].resilience == ResilienceConfig(game_day=True)


def test_bad_values_are_reported_with_the_environment_and_key() -> None:
    with pytest.raises(ConfigurationError) as error:
        parse_config(
            environments(
                recovery_point_alarm_minutes=5,
                proxi=True,
            )
        )
    text = str(error.value)
    assert "[staging] resilience.proxi=True: unknown key" in text
    assert "[staging] resilience.recovery_point_alarm_minutes=5" in text
    # The pool rules run once the keys have the right types.
    with pytest.raises(ConfigurationError) as error:
        parse_config(
            environments(proxy_max_connections_percent=30, proxy_max_idle_connections_percent=50)
        )
    assert "proxy_max_idle_connections_percent=50: must not exceed max_connections_percent" in (
        str(error.value)
    )
