"""[environments.<env>.databases.<name>]: environment keys are defaults, a database's own keys
win; names and identifiers are checked across every environment, every problem at once."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from synth_helpers import VALID_ENVIRONMENT

from rds_ha.errors import ConfigurationError
from stacks.config import DEFAULT_CONFIG_PATH, load_config, parse_config

BASE: dict[str, Any] = {
    **VALID_ENVIRONMENT,
    "parameters": {"log_min_duration_statement": 500},
    "alarms": {"max_cpu_percent": {"warning": 70}},
}


def environment(**databases: dict[str, Any]) -> dict[str, Any]:
    table = copy.deepcopy(BASE)
    table["databases"] = databases
    return table


def problems(**environments: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigurationError) as error:
        parse_config({"environments": environments})
    return error.value.problems


def test_the_committed_environments_have_no_fleet_and_keep_one_database() -> None:
    for env in load_config(DEFAULT_CONFIG_PATH).environments.values():
        assert env.fleet == ()
        assert env.identifier == f"rds-ha-{env.name}"


def test_a_database_inherits_the_environment_keys_and_its_own_win() -> None:
    config = parse_config(
        {"environments": {"dev": environment(orders={"instance_class": "db.r7g.large"})}}
    )
    (orders,) = config.environments["dev"].fleet
    assert orders.stack_name == "rds-ha-dev-orders"
    assert orders.identifier == "rds-ha-dev-orders"
    props = orders.database_props()
    assert props["instance_class"] == "db.r7g.large"
    assert props["backup_window"] == "02:00-02:30"
    assert props["parameters"] == {"log_min_duration_statement": 500}
    # The environment's own database is unchanged.
    assert config.environments["dev"].database_props()["instance_class"] == "db.m7g.large"


def test_alarm_overrides_merge_by_name_and_parameters_are_replaced() -> None:
    config = parse_config(
        {
            "environments": {
                "dev": environment(
                    billing={
                        "engine": "mysql",
                        "engine_version": "8.4.9",
                        "parameters": {},
                        "alarms": {"max_connections_percent": {"warning": 60}},
                    }
                )
            }
        }
    )
    (billing,) = config.environments["dev"].fleet
    assert billing.settings.parameters == {}
    thresholds = billing.alarms_props()["thresholds"]
    assert thresholds.max_cpu_percent.warning.threshold == 70
    assert thresholds.max_connections_percent.warning.threshold == 60


def test_every_problem_of_every_environment_and_database_is_listed_at_once() -> None:
    found = problems(
        dev=environment(
            Orders={},
            dr={},
            billing={"instance_class": 5, "backup_retention_days": 99, "region": "eu-west-2"},
            events={"engine_version": "16.3"},
        ),
        staging=environment(reports={"backup_window": "05:00-05:30"}),
    )
    joined = "\n".join(found)
    assert "[dev] databases.Orders: the name must be 1-63 lower-case letters" in joined
    assert "[dev] databases.dr: reserved" in joined
    assert "[dev.databases.billing] instance_class=5: Input should be a valid string" in joined
    assert "[dev.databases.billing] region='eu-west-2': unknown key" in joined
    assert "[dev.databases.billing] backup_retention_days=99: must be 1-35" in joined
    assert "[dev.databases.events] engine_version='16.3'" in joined
    assert "[staging.databases.reports] backups.backup_start_hour_utc=5" in joined
    assert len(found) == 7, found


def test_an_inherited_problem_is_reported_once_on_the_environment() -> None:
    table = environment(orders={}, billing={})
    table["instance_class"] = "db.m7g.huge"
    found = problems(dev=table)
    assert [p for p in found if "db.m7g.huge" in p and p.startswith("[dev] ")]
    assert not [p for p in found if "db.m7g.huge" in p and "databases" in p]


def test_identifiers_are_unique_per_account_and_region_across_environments() -> None:
    found = problems(
        dev=environment(orders={}, copy={"database_identifier": "rds-ha-dev"}),
        staging=environment(reports={"database_identifier": "rds-ha-dev-orders"}),
    )
    assert found == [
        "[dev.databases.copy] database_identifier='rds-ha-dev': already used by [dev] in "
        "account 123456789012, region eu-west-1; allowed: an identifier unique in the account "
        "and region",
        "[staging.databases.reports] database_identifier='rds-ha-dev-orders': already used by "
        "[dev.databases.orders] in account 123456789012, region eu-west-1; allowed: an "
        "identifier unique in the account and region",
    ]


def test_the_same_identifier_in_another_account_is_allowed() -> None:
    other = environment(reports={"database_identifier": "rds-ha-dev-orders"})
    other["account"] = "210987654321"
    parse_config({"environments": {"dev": environment(orders={}), "other": other}})


def test_a_database_stack_name_may_not_be_another_environments_stack() -> None:
    found = problems(dev=environment(x={}), **{"dev-x": environment()})
    assert any(
        p.startswith("[dev-x] stack name 'rds-ha-dev-x': already the stack of [dev.databases.x]")
        for p in found
    ), found


def test_a_default_identifier_that_is_too_long_is_reported() -> None:
    found = problems(dev=environment(**{"a" * 60: {}}))
    assert any(p.startswith(f"[dev.databases.{'a' * 60}] identifier=") for p in found), found
